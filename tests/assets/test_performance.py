"""Asset performance on the hand-made library of ``fixture.py``; every number worked out by hand
in the comments (period 2026-Q1 unless said)."""

from __future__ import annotations

from datetime import date

import pytest

from demandos.assets import last_full_quarter, performance, weighted_half_life
from demandos.store import FactStore

from .fixture import TODAY


def test_default_period_is_the_last_full_quarter(store: FactStore) -> None:
    report = performance(store, today=TODAY)
    assert (report.period, report.start, report.end) == ("2026-Q1", date(2026, 1, 1),
                                                         date(2026, 4, 1))  # fmt: skip
    assert report.partial is None
    assert last_full_quarter(date(2026, 4, 1)).label == "2026-Q1"
    assert last_full_quarter(date(2026, 3, 31)).label == "2025-Q4"


def test_case_study(store: FactStore) -> None:
    r = performance(store, "2026-Q1", today=TODAY).get("cs1", "asset")
    # touches in Q1: t1 (p1, a1), t4 (p1, a1), t13 (p9, a7); t6 and t10 are before Q1
    assert (r.touches, r.people, r.accounts) == (3, 2, 2)
    # o1 (t1 within 90 days before 02-01) and o2 (t6 on 2025-12-20, 62 days before 02-20);
    # o6 (touched by t13) is created in April
    assert (r.pipeline_influenced, r.opportunities_influenced) == (16000.0, 2)
    # the first touch before o1 is t1 and before o2 is t6, both on cs1
    assert (r.pipeline_sourced, r.opportunities_sourced) == (16000.0, 2)
    # lifetime to 2026-03-31: o5 at age 61 (5,000), o1 at 123 (10,000), o2 at 142 (6,000);
    # half of 21,000 is 10,500: 5,000 at 61, 15,000 at 123
    assert r.half_life_days == 123
    assert r.durability == "durable"
    assert (r.type, r.pillar, r.status, r.parent_asset_id) == ("case_study", "efficiency",
                                                               "published", None)  # fmt: skip


def test_derivatives_webinar_and_idea(store: FactStore) -> None:
    report = performance(store, "2026-Q1", today=TODAY)
    po1 = report.get("po1", "asset")
    # t2 (p2, a1), t12 (p8, a6); influences o1 (10,000) and o4 (3,000); sources neither: o1's
    # first touch is t1 on cs1, o4's is t11, a sales call; ages 17 (10,000) and 69 (3,000)
    assert (po1.touches, po1.people, po1.accounts) == (2, 2, 2)
    assert (po1.pipeline_influenced, po1.pipeline_sourced) == (13000.0, 0.0)
    assert (po1.half_life_days, po1.durability) == (17, "disposable")
    nl1 = report.get("nl1", "asset")  # t3 → o2 (6,000) at age 19
    assert (nl1.touches, nl1.people, nl1.accounts) == (1, 1, 1)
    assert (nl1.pipeline_influenced, nl1.pipeline_sourced, nl1.half_life_days) == (6000.0, 0.0,
                                                                                   19)  # fmt: skip
    wb1 = report.get("wb1", "asset")
    # t5 (visit) and t8 (a sales email, still a touch on it) by p4 on a3; only t5 influences o3,
    # and is its first touch; o3 at age 74 (01-05 → 03-20)
    assert (wb1.touches, wb1.people, wb1.accounts) == (2, 1, 1)
    assert (wb1.pipeline_influenced, wb1.pipeline_sourced) == (4000.0, 4000.0)
    assert (wb1.half_life_days, wb1.durability) == (74, "disposable")
    id1 = report.get("id1", "asset")
    assert (id1.touches, id1.pipeline_influenced, id1.half_life_days) == (0, 0.0, None)
    assert id1.durability == "unknown"
    # sourced adds up: o1 + o2 (cs1) + o3 (wb1); o4 (sales first) and o7 (untouched) are not
    assert sum(r.pipeline_sourced for r in report.rows if r.kind == "asset") == 20000.0
    assert report.unlisted_touches == 1  # t9 on zz9
    assert [(r.kind, r.key) for r in report.rows] == [
        ("asset", "cs1"), ("asset", "id1"), ("asset", "nl1"), ("asset", "po1"),
        ("asset", "wb1"), ("family", "cs1"), ("family", "po1"),
    ]  # fmt: skip


def test_family_rows_count_each_opportunity_once(store: FactStore) -> None:
    report = performance(store, "2026-Q1", today=TODAY)
    cs1 = report.get("cs1", "family")
    # cs1, po1, nl1: t1, t4, t13, t2, t12, t3; people p1, p9, p2, p8, p3; accounts a1, a7, a6, a2
    assert (cs1.assets, cs1.touches, cs1.people, cs1.accounts) == (3, 6, 5, 4)
    # o1 + o2 + o4 once each (19,000), not 16,000 + 13,000 + 6,000
    assert (cs1.pipeline_influenced, cs1.opportunities_influenced) == (19000.0, 3)
    assert cs1.pipeline_sourced == 16000.0
    # each at the age of its oldest influencing member: o5 61 (5,000), o4 69 (po1; 3,000),
    # o1 123 (10,000), o2 142 (6,000); half of 24,000 is reached at 123
    assert (cs1.half_life_days, cs1.durability) == (123, "durable")
    assert cs1.title == "Title cs1 + 2 derivatives"
    po1 = report.get("po1", "family")
    # po1, nl1: o1 17 (10,000), o2 19 (nl1; 6,000), o4 69 (3,000): half of 19,000 at 17
    assert (po1.assets, po1.touches, po1.people, po1.accounts) == (2, 3, 3, 3)
    assert (po1.pipeline_influenced, po1.half_life_days) == (19000.0, 17)


def test_by_type_and_pillar(store: FactStore) -> None:
    by_type = performance(store, "2026-Q1", by="type", today=TODAY)
    assert [r.key for r in by_type.rows] == ["case_study", "newsletter_section", "post",
                                             "webinar"]  # fmt: skip
    post = by_type.get("post")  # po1 and the idea id1
    assert (post.kind, post.assets, post.touches) == ("type", 2, 2)
    assert post.pipeline_influenced == 13000.0
    by_pillar = performance(store, "2026-Q1", by="pillar", today=TODAY)
    assert [r.key for r in by_pillar.rows] == ["(none)", "efficiency", "predictability"]
    eff = by_pillar.get("efficiency")  # the cs1 family
    assert (eff.touches, eff.pipeline_influenced, eff.pipeline_sourced,
            eff.half_life_days) == (6, 19000.0, 16000.0, 123)  # fmt: skip
    assert by_pillar.get("(none)").touches == 0


def test_compounding_reads_health(store: FactStore) -> None:
    c = performance(store, "2026-Q1", today=TODAY).compounding
    # pipeline created in Q1: o1 + o2 + o3 + o4 + o7 = 25,000; only o1 had a touch (t1,
    # 2026-01-10) on an asset published over 90 days before it (cs1, 2025-10-01 < 10-12);
    # o2's t6 (2025-12-20) came 80 days after cs1
    assert (c.pipeline, c.durable_pipeline) == (25000.0, 10000.0)
    assert c.share == pytest.approx(0.4)


def test_a_month(store: FactStore) -> None:
    r = performance(store, "2026-02", today=TODAY).get("cs1", "asset")
    assert (r.touches, r.pipeline_influenced) == (1, 16000.0)  # t4; o1 and o2
    assert r.half_life_days == 123  # o5, o1, o2: the same opportunities up to 02-28


def test_weighted_half_life() -> None:
    assert weighted_half_life([]) is None
    assert weighted_half_life([(10, 0.0)]) is None
    assert weighted_half_life([(30, 1.0), (10, 1.0)]) == 10  # half reached exactly at 10
    assert weighted_half_life([(10, 1.0), (200, 3.0)]) == 200
