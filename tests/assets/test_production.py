"""Production against target (assets/production.py), by hand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pytest
from pydantic import ValidationError

from demandos.assets.production import production
from demandos.metrics.periods import parse_period
from demandos.spec.assets import AssetsSpec, ProductionTarget


@dataclass(frozen=True)
class A:
    type: str
    published_at: datetime | None
    parent_asset_id: str | None = None


NOV = parse_period("2026-11")  # 30 days
ASSETS = [
    A("case_study", datetime(2026, 11, 2, 9)),
    A("case_study", datetime(2026, 11, 20, 23, 59)),  # the last day counted
    A("case_study", datetime(2026, 11, 21, 0, 1)),  # after it
    A("case_study", datetime(2026, 10, 31, 23, 0)),  # October
    A("blog_post", datetime(2026, 11, 3), parent_asset_id="cs1"),  # a derivative
    A("blog_post", datetime(2026, 11, 4)),
    A("blog_post", datetime(2026, 10, 1)),
    A("blog_post", datetime(2026, 10, 15), parent_asset_id="cs1"),
    A("webinar", None),  # not published
]


def _target(kind: str, per_month: float, derivatives: bool = True) -> ProductionTarget:
    return ProductionTarget(type=kind, per_month=per_month, owner="priya", derivatives=derivatives)


def test_month_to_date_pace_and_status_by_hand() -> None:
    targets = [
        _target("case_study", 2),  # 2 published by the 20th: met
        _target("blog_post", 6),  # 2 published, pace 6 × 20/30 = 4: 2 + 1 <= 4, behind
        _target("blog_post", 4, derivatives=False),
        _target("webinar", 1),  # none, pace 20/30: short by less than one, due
    ]
    rows = production(ASSETS, targets, NOV, date(2026, 11, 20))
    got = [(r.type, r.published, r.pace, r.status, r.last_month) for r in rows]
    assert got == [
        ("case_study", 2, pytest.approx(2 * 20 / 30), "met", 1),
        ("blog_post", 2, pytest.approx(4.0), "behind", 2),
        # originals only: the derivative on 3 Nov and on 15 Oct do not count
        ("blog_post", 1, pytest.approx(4 * 20 / 30), "behind", 1),
        ("webinar", 0, pytest.approx(20 / 30), "due", 0),
    ]
    assert [r.last_month_met for r in rows] == [False, False, False, False]


def test_behind_needs_a_whole_asset_short_of_the_pace() -> None:
    # one a month: pace reaches 1 on the 30th only, so nothing is behind before; it is due
    (early,) = production([], [_target("webinar", 1)], NOV, date(2026, 11, 29))
    (last,) = production([], [_target("webinar", 1)], NOV, date(2026, 11, 30))
    assert (early.status, last.status) == ("due", "behind")
    assert last.pace == pytest.approx(1.0)
    # at the pace exactly: on pace (3 a month, one by the 10th)
    one = [A("guide", datetime(2026, 11, 10, 12))]
    (exact,) = production(one, [_target("guide", 3)], NOV, date(2026, 11, 10))
    assert (exact.pace, exact.status) == (pytest.approx(1.0), "on pace")


def test_a_day_outside_the_month_is_clamped_to_it() -> None:
    (after,) = production(ASSETS, [_target("case_study", 3)], NOV, date(2026, 12, 5))
    assert (after.through, after.published, after.pace) == (date(2026, 11, 30), 3, 3.0)
    (before,) = production(ASSETS, [_target("case_study", 3)], NOV, date(2026, 10, 5))
    assert (before.through, before.published) == (date(2026, 11, 1), 0)
    assert before.pace == pytest.approx(3 / 30)


def test_one_target_per_type_and_a_positive_rate() -> None:
    with pytest.raises(ValidationError, match="has two production targets"):
        AssetsSpec.model_validate(
            {"production": [_target("guide", 1).model_dump(), _target("guide", 2).model_dump()]}
        )
    with pytest.raises(ValidationError, match="greater than 0"):
        ProductionTarget.model_validate({"type": "guide", "per_month": 0, "owner": "priya"})
