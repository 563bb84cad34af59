"""Attribution metrics (``type: attribution`` in metrics.yaml) and CAC by source, worked out by
hand on a company of their own.

March 2026: three opportunities created, 20,000 of pipeline.

- O1 on a1 (10,000, created 03-10): touches t1 (paid_social, program prog_b) on 02-01 and t2
  (webinars, no program) on 03-01; t0 (events) on 2025-11-01 is outside the 90-day window.
- O2 on a2 (4,000, created 03-20, won 03-28): touch t3 (newsletter, prog_news) on 03-05.
- O3 on a3 (6,000, created 03-25): no touch at all, so no journey (unattributed).
- O4 on a1 (2,000) is April's.

Media spend in March: 1,000 on paid_social (prog_b), 200 on the newsletter (prog_news).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from demandos.feedback import JourneyQuery, Options, run
from demandos.metrics import compute
from demandos.metrics.components import UNASSIGNED
from demandos.metrics.periods import parse_period
from demandos.spec.metrics import ATTRIBUTION_MODELS, Metric
from demandos.store import FactStore, open_facts

from .fixture import batch, load, open_store, specs, spend

TODAY = date(2026, 6, 1)
BACKENDS = ["embedded", pytest.param("postgres", marks=pytest.mark.postgres)]


def opp(opp_id: str, account: str, created: datetime, amount: float,
        won: date | None = None) -> dict[str, Any]:  # fmt: skip
    return {"opp_id": opp_id, "account_id": account, "created_at": created, "amount": amount,
            "stage": "Won" if won else "Open", "close_date": won, "is_closed": won is not None,
            "is_won": won is not None, "source": "inbound"}  # fmt: skip


def touch(
    tid: str, account: str, ts: datetime, channel: str, program: str | None
) -> dict[str, Any]:
    return {"touch_id": tid, "ts": ts, "account_id": account, "channel": channel,
            "program_id": program, "touch_type": "page_view"}  # fmt: skip


TABLES = {
    "opportunities": [
        opp("O1", "a1", datetime(2026, 3, 10), 10000.0),
        opp("O2", "a2", datetime(2026, 3, 20), 4000.0, won=date(2026, 3, 28)),
        opp("O3", "a3", datetime(2026, 3, 25), 6000.0),
        opp("O4", "a1", datetime(2026, 4, 5), 2000.0),
    ],
    "touchpoints": [
        touch("t0", "a1", datetime(2025, 11, 1), "events", None),
        touch("t1", "a1", datetime(2026, 2, 1), "paid_social", "prog_b"),
        touch("t2", "a1", datetime(2026, 3, 1), "webinars", None),
        touch("t3", "a2", datetime(2026, 3, 5), "newsletter", "prog_news"),
    ],
    "spend": [
        spend(date(2026, 3, 3), "paid_social", "prog_b", 1000.0, 1000, 10, 1),
        spend(date(2026, 3, 4), "newsletter", "prog_news", 200.0, 100, 5, 1),
    ],
}


@pytest.fixture(params=BACKENDS)
def company(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FactStore]:
    facts = load(open_store(request.param, tmp_path / ".demandos", request), TABLES)
    yield facts
    facts.close()


def credited(id_: str, unit: str = "currency", **calc: Any) -> dict[str, Any]:
    return {"id": id_, "name": id_, "tier": 3, "owner": "ana", "unit": unit,
            "calculation": {"type": "attribution", **calc}}  # fmt: skip


def members(table: Any, metric: str) -> dict[str, float | None]:
    """A metric's members with credit (a channel seen only in other periods shows 0)."""
    return {r.member: r.value for r in table.rows
            if r.metric == metric and r.member is not None and r.value}  # fmt: skip


def test_linear_pipeline_by_hand(company: FactStore) -> None:
    tree = specs(credited("pipe", model="linear"), credited("opps", "count", model="linear",
                 measure="conversions"))  # fmt: skip
    march = compute(company, tree, "2026-03", by="channel", today=TODAY)
    # O1's 10,000 split over t1 and t2; O2's 4,000 to t3; O3 has no touch
    assert members(march, "pipe") == {
        "paid_social": 5000.0, "webinars": 5000.0, "newsletter": 4000.0, UNASSIGNED: 6000.0,
    }  # fmt: skip
    assert (march.get("pipe").value, march.get("pipe").state) == (20000.0, "ok")
    assert members(march, "opps") == {
        "paid_social": 0.5, "webinars": 0.5, "newsletter": 1.0, UNASSIGNED: 1.0,
    }  # fmt: skip
    assert march.get("opps").value == 3.0
    # April: O4 on a1, whose touches t1 and t2 fall in its window too
    assert members(compute(company, tree, "2026-04", by="channel", today=TODAY), "pipe") == {
        "paid_social": 1000.0, "webinars": 1000.0,
    }  # fmt: skip


def test_credit_by_program_puts_touches_without_one_in_unassigned(company: FactStore) -> None:
    tree = specs(credited("pipe", model="last"))
    march = compute(company, tree, "2026-03", by="program", today=TODAY)
    # last touch: O1 → t2 (no program), O2 → t3 (prog_news), O3 → no touch
    assert members(march, "pipe") == {"prog_news": 4000.0, UNASSIGNED: 16000.0}


def test_markov_credit_by_hand_and_as_the_attribution_command_gives_it(
    company: FactStore,
) -> None:
    tree = specs(credited("opps", "count", model="markov", measure="conversions"))
    march = compute(company, tree, "2026-03", by="channel", today=TODAY)
    # Paths paid_social > webinars and newsletter, both converting. Removing any one channel
    # loses one of the two paths: every removal effect is 1/2, so each channel gets 1/3 of the
    # two attributed conversions; O3 stays unattributed.
    got = members(march, "opps")
    assert got == {
        "paid_social": pytest.approx(2 / 3), "webinars": pytest.approx(2 / 3),
        "newsletter": pytest.approx(2 / 3), UNASSIGNED: 1.0,
    }  # fmt: skip
    q = JourneyQuery(period=parse_period("2026-03"), milestone="opportunity")
    direct = run(company, None, q, ("markov",), Options()).models[0]
    assert {r.member: r.conversions for r in direct.rows} == {
        k: v for k, v in got.items() if k != UNASSIGNED
    }


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FactStore]:
    facts = load(open_facts(tmp_path_factory.mktemp("attributed") / ".demandos"), TABLES)
    yield facts
    facts.close()


@pytest.mark.parametrize("model", ATTRIBUTION_MODELS)
def test_every_models_credit_adds_up_to_the_pipeline_created(
    embedded: FactStore, model: str
) -> None:
    tree = specs(credited("pipe", model=model), {"id": "pipeline_created", "name": "p",
                 "tier": 2, "owner": "ana", "builtin": "pipeline_created"})  # fmt: skip
    for by in ("channel", "program", "segment", "pillar"):
        table = compute(embedded, tree, "2026-03", by=by, today=TODAY)
        total = table.get("pipe").value
        assert total == pytest.approx(20000.0)
        assert table.get("pipeline_created").value == 20000.0
        assert sum(v or 0.0 for v in members(table, "pipe").values()) == pytest.approx(total)


def test_cac_by_source_divides_media_by_the_deals_credited(company: FactStore) -> None:
    tree = specs(
        credited("won_credited", "count", model="markov", milestone="won", measure="conversions"),
        {"id": "cac_by_source", "name": "CAC by source", "tier": 3, "owner": "ana",
         "unit": "currency", "direction": "lower_is_better",
         "calculation": {"type": "ratio", "numerator": "media_spend",
                         "denominator": "won_credited"}},
    )  # fmt: skip
    march = compute(company, tree, "2026-03", by="channel", today=TODAY)
    # O2, won 03-28, credited to the newsletter (t3): 200 of media for one deal; paid social
    # spent 1,000 and was credited no deal
    cac = {r.member: (r.value, r.reason) for r in march.rows if r.metric == "cac_by_source"}
    assert cac["newsletter"] == (200.0, None)
    assert cac["paid_social"][0] is None and "won_credited is zero" in str(cac["paid_social"][1])
    assert march.get("cac_by_source").value == 1200.0  # all media ÷ every deal won


def test_credit_is_kept_for_the_snapshot_and_a_load_renews_it(tmp_path: Path) -> None:
    with load(open_facts(tmp_path / ".demandos"), TABLES) as embedded:
        _kept_and_renewed(embedded)


def _kept_and_renewed(embedded: FactStore) -> None:
    tree = specs(credited("pipe", model="last"))
    assert members(compute(embedded, tree, "2026-03", by="channel", today=TODAY), "pipe") == {
        "webinars": 10000.0, "newsletter": 4000.0, UNASSIGNED: 6000.0,
    }  # fmt: skip
    kept = ("attribution", "last", "opportunity", "account", 90, 1, "channel")
    assert embedded.recall((*kept, date(2026, 3, 1), date(2026, 4, 1))) is not None
    late = touch("t9", "a1", datetime(2026, 3, 5), "events", None)  # now O1's last touch
    with embedded.transaction(source="test") as tx:
        tx.load("touchpoints", batch("touchpoints", [late]))
    assert embedded.recall((*kept, date(2026, 3, 1), date(2026, 4, 1))) is None
    assert members(compute(embedded, tree, "2026-03", by="channel", today=TODAY), "pipe") == {
        "events": 10000.0, "newsletter": 4000.0, UNASSIGNED: 6000.0,
    }  # fmt: skip


def test_without_touchpoints_an_attribution_metric_is_no_data(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:  # fmt: skip
    bare = {k: v for k, v in TABLES.items() if k != "touchpoints"}
    facts = load(open_store("embedded", tmp_path / ".demandos", request), bare)
    try:
        row = compute(facts, specs(credited("pipe")), "2026-03", today=TODAY).rows[0]
        assert (row.value, row.state, row.reason) == (None, "no_data", "no touchpoints are loaded")
    finally:
        facts.close()


@pytest.mark.parametrize(
    ("calc", "message", "hint"),
    [
        ({"model": "markow"}, "'markow' is not an attribution model", "markov"),
        ({"milestone": "mql"}, "mql carries no value to credit", "measure: conversions"),
        ({"level": "person"}, "opportunity journeys are account journeys", "level: account"),
        ({"model": "linear", "order": 2}, "order 2 is for the markov model only", "order"),
    ],
)
def test_a_wrong_attribution_metric_names_the_fix(
    calc: dict[str, Any], message: str, hint: str
) -> None:
    with pytest.raises(ValidationError) as err:
        Metric.model_validate(credited("pipe", **calc))
    (error,) = err.value.errors()
    assert message in error["msg"] and hint in error["ctx"]["hint"]
