"""Cohort stage conversions, cohort DER and revenue influenced and sourced, worked out by hand.

A small company of its own (``TABLES`` below): three accounts, six people, six opportunities and
seven touches. Every expected number is counted from these rows in the comments.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from demandos.metrics import compute
from demandos.metrics.components import UNASSIGNED
from demandos.store import FactStore

from .fixture import BACKENDS, batch, load, open_store, specs, spend

TODAY = date(2027, 1, 15)


def person(pid: str, account: str | None, lead: datetime, mql: datetime | None = None,
           sql: datetime | None = None, source: str | None = None) -> dict[str, Any]:  # fmt: skip
    return {"person_id": pid, "account_id": account, "created_at": lead, "lead_at": lead,
            "mql_at": mql, "sql_at": sql, "lead_source": source}  # fmt: skip


PEOPLE = [
    # lead in March, MQL after 8 days, SQL in April
    person(
        "q1",
        "a1",
        datetime(2026, 3, 2),
        datetime(2026, 3, 10),
        datetime(2026, 4, 20),
        "Paid Social",
    ),
    # lead in March, MQL 118 days later: outside the 90 days
    person("q2", "a2", datetime(2026, 3, 5), datetime(2026, 7, 1), source="Webinar"),
    person("q3", "a3", datetime(2026, 3, 20), source="Webinar"),  # never an MQL
    # lead in February; MQL and SQL in March; its account a1 gets X1 on 04-01 (27 days)
    person(
        "q4", "a1", datetime(2026, 2, 25), datetime(2026, 3, 3), datetime(2026, 3, 4), "Paid Social"
    ),
    # lead and MQL at the same moment, no account
    person("q5", None, datetime(2026, 3, 30, 12), datetime(2026, 3, 30, 12)),
    # SQL in March; a3's only opportunity (X3) was created before it
    person(
        "q6", "a3", datetime(2026, 1, 10), datetime(2026, 1, 20), datetime(2026, 3, 15), "Webinar"
    ),
]


def opp(opp_id: str, account: str | None, created: datetime, amount: float,
        close: date | None = None, won: bool = False) -> dict[str, Any]:  # fmt: skip
    return {"opp_id": opp_id, "account_id": account, "created_at": created, "amount": amount,
            "stage": "Won" if won else ("Lost" if close else "Open"), "close_date": close,
            "is_closed": close is not None, "is_won": won, "source": "inbound"}  # fmt: skip


OPPORTUNITIES = [
    opp("X1", "a1", datetime(2026, 4, 1), 10000.0, date(2026, 6, 15), won=True),
    opp("X2", "a2", datetime(2026, 3, 10), 5000.0, date(2026, 5, 1), won=True),  # 52 days
    opp("X3", "a3", datetime(2026, 2, 1), 7000.0, date(2026, 3, 20)),  # lost
    opp("X4", "a2", datetime(2026, 3, 25), 3000.0, date(2026, 11, 30), won=True),  # 250 days
    opp("X5", "a2", datetime(2026, 3, 28), 2000.0),  # open
    opp("X6", None, datetime(2026, 6, 10), 1000.0),  # no account
]


def touch(tid: str, account: str, ts: datetime, channel: str, kind: str) -> dict[str, Any]:
    return {"touch_id": tid, "ts": ts, "account_id": account, "channel": channel,
            "touch_type": kind}  # fmt: skip


TOUCHPOINTS = [
    touch("t0", "a1", datetime(2025, 12, 1), "events", "event_visit"),  # > 90 days before X1
    touch("t1", "a1", datetime(2026, 1, 15), "paid_social", "ad_click"),  # X1's first touch
    touch("t2", "a1", datetime(2026, 3, 1), "webinars", "webinar_attend"),
    touch("t3", "a1", datetime(2026, 3, 20), "sales", "sdr_call"),  # a sales touch
    touch("t4", "a2", datetime(2026, 2, 1), "sales", "sdr_call"),  # X2's first touch: sales
    touch("t5", "a2", datetime(2026, 2, 15), "newsletter", "email_click"),
    touch("t6", "a3", datetime(2026, 12, 31), "organic_search", "page_view"),  # data ends here
]

TABLES = {
    "people": PEOPLE,
    "opportunities": OPPORTUNITIES,
    "touchpoints": TOUCHPOINTS,
    "spend": [spend(date(2026, 3, 10), "google_ads", "prog_a", 1000.0, 100, 10, 1)],
    "costs": [{"month": date(2026, 3, 1), "category": "people", "item": "team", "amount": 3000.0}],
}


@pytest.fixture(params=BACKENDS)
def company(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FactStore]:
    facts = load(open_store(request.param, tmp_path / ".demandos", request), TABLES)
    yield facts
    facts.close()


def tree(*ids: str) -> Any:
    return specs(*({"id": i, "name": i, "tier": 2, "owner": "ana", "builtin": i} for i in ids))


COHORT_IDS = ("lead_to_mql_cohort", "mql_to_sql_cohort", "sql_to_opp_cohort", "opp_to_won_cohort")


def test_cohort_conversions_by_hand(company: FactStore) -> None:
    table = compute(company, tree(*COHORT_IDS), "2026-03", today=TODAY)
    got = {m: (table.get(m).value, table.get(m).state) for m in COHORT_IDS}
    assert got == {
        "lead_to_mql_cohort": (pytest.approx(2 / 4), "ok"),  # q1 q2 q3 q5 lead; q1, q5 MQL
        "mql_to_sql_cohort": (pytest.approx(2 / 3), "ok"),  # q1 q4 q5 MQL; q1 (41 d), q4 SQL
        "sql_to_opp_cohort": (pytest.approx(1 / 2), "ok"),  # q4 q6 SQL; a1 gets X1 in 28 days
        "opp_to_won_cohort": (pytest.approx(1 / 3), "ok"),  # X2 X4 X5; X2 won in 52 days
    }


def test_cohort_conversion_by_channel(company: FactStore) -> None:
    table = compute(company, tree("lead_to_mql_cohort"), "2026-03", by="channel", today=TODAY)
    by = {r.member: r.value for r in table.rows if r.member is not None}
    assert by == {"Paid Social": 1.0, "Webinar": 0.0, UNASSIGNED: 1.0}
    assert table.get("lead_to_mql_cohort").value == pytest.approx(0.5)  # not a mean of rates


def test_cohort_der_by_hand(company: FactStore) -> None:
    # Each opportunity joins the cohort of its account's first lead in the 180 days before it:
    # X1 → q4 (February); X2, X4, X5 → q2 (March); X3 → q6 (January); X6 has no account.
    table = compute(company, tree("der_cohort", "der"), "2026-03", by="channel", today=TODAY)
    cohort = table.get("der_cohort")
    assert (cohort.value, cohort.state) == (pytest.approx((5000 + 3000 + 2000) / 4000), "ok")
    rows = {r.member: r.value for r in table.rows if r.metric == "der_cohort" and r.member}
    # Lead sources cost nothing by channel (media is google_ads', the team is unassigned);
    # Paid Social's cohort (q4, February) has pipeline in another period only.
    assert rows == {"Webinar": None, "Paid Social": None, "google_ads": 0.0, UNASSIGNED: 0.0}
    # the period DER counts pipeline created in March instead: X2, X4, X5
    assert table.get("der").value == pytest.approx(10000 / 4000)
    february = compute(company, tree("der_cohort"), "2026-02", today=TODAY).get("der_cohort")
    assert (february.value, february.state) == (None, "no_data")  # no costs in February


def test_revenue_influenced_and_sourced_by_hand(company: FactStore) -> None:
    ids = ("revenue_influenced", "revenue_sourced")
    june = compute(company, tree(*ids), "2026-06", by="channel", today=TODAY)
    # X1 (10,000, won 06-15): demand touches t1 and t2 in the 90 days before 04-01; t0 is
    # older, t3 is a sales touch. Its first touch in the window, t1, is a demand touch.
    assert june.get("revenue_influenced").value == 10000.0
    assert june.get("revenue_sourced").value == 10000.0
    influenced = {r.member: r.value for r in june.rows if r.metric == ids[0] and r.member}
    # every channel that touched it gets the deal (no sum), the newsletter's deal is May's
    assert influenced == {"paid_social": 10000.0, "webinars": 10000.0, "newsletter": 0.0}
    sourced = {r.member: r.value for r in june.rows if r.metric == ids[1] and r.member}
    assert sourced == {"paid_social": 10000.0}
    may = compute(company, tree(*ids), "2026-05", today=TODAY)
    # X2 (5,000, won 05-01): influenced by the newsletter (t5); its first touch t4 is sales.
    assert may.get("revenue_influenced").value == 5000.0
    assert may.get("revenue_sourced").value == 0.0


def test_deal_touches_are_kept_per_snapshot_and_follow_loads(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:  # fmt: skip
    ids = ("revenue_influenced", "revenue_sourced")
    kept = tmp_path / ".demandos" / "facts" / "derived"

    def may(facts: FactStore) -> tuple[float | None, ...]:
        table = compute(facts, tree(*ids), "2026-05", today=TODAY)
        return tuple(table.get(i).value for i in ids)

    facts = load(open_store("embedded", tmp_path / ".demandos", request), TABLES)
    try:
        assert may(facts) == (5000.0, 0.0)  # X2: influenced by t5, its first touch t4 is sales
        [path] = kept.glob("deal_touches-*.parquet")
        written = path.stat().st_ino
        with open_store("embedded", tmp_path / ".demandos", request) as other:
            assert may(other) == (5000.0, 0.0)
        assert path.stat().st_ino == written  # another reader reads the rows back
        # a newsletter click at the very moment of X2's sales call: X2 is sourced now
        click = {"touch_id": "t7", "ts": datetime(2026, 2, 1), "account_id": "a2",
                 "channel": "newsletter", "touch_type": "email_click"}  # fmt: skip
        facts.load("touchpoints", batch("touchpoints", [click]))
        assert may(facts) == (5000.0, 5000.0)
        # X2 turns out lost: neither influenced nor sourced
        lost = {**OPPORTUNITIES[1], "stage": "Lost", "is_won": False}
        facts.load("opportunities", batch("opportunities", [lost]))
        assert may(facts) == (0.0, 0.0)
        assert len(list(kept.glob("*.parquet"))) == 1  # older snapshots' rows are dropped
        # the store's clean-up of unused files leaves the kept rows of the current snapshot
        [path] = kept.glob("deal_touches-*.parquet")
        facts.gc_grace = timedelta(0)  # type: ignore[attr-defined]
        facts.load("touchpoints", batch("touchpoints", [{**click, "touch_id": "t8"}]))
        assert path.exists()  # the load's clean-up left it (the next read replaces it)
    finally:
        facts.close()


def test_a_workspace_load_keeps_the_derived_rows_ready(tmp_path: Path) -> None:
    """Workspace.load of touchpoints or opportunities computes the deal touches at load time,
    as a database keeps an index: the next reader of the snapshot finds them on disk."""
    from demandos.workspace import Workspace

    ws = Workspace.init(tmp_path / "ws")
    kept = ws.data_dir / "facts" / "derived"
    folder = tmp_path / "files"
    folder.mkdir()
    paths = []
    for name in ("people", "touchpoints", "opportunities"):
        path = folder / f"{name}.parquet"
        pq.write_table(batch(name, TABLES[name]), path)
        paths.append(path)
    try:
        ws.load(paths[:1])  # people only: nothing derived depends on them
        assert not list(kept.glob("*.parquet"))
        ws.load(paths[1:])
        [path] = kept.glob("deal_touches-*.parquet")
        mtime = path.stat().st_mtime_ns
        table = compute(ws.facts, tree("revenue_influenced"), "2026-05", today=TODAY)
        assert table.get("revenue_influenced").value == 5000.0
        assert path.stat().st_mtime_ns == mtime  # read, not computed again
    finally:
        ws.close()


def test_maturing_cohorts_are_partial(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:  # fmt: skip
    early = {**TABLES, "touchpoints": TOUCHPOINTS[:-1]}  # data now ends 2026-06-10 (X6)
    facts = load(open_store("embedded", tmp_path / ".demandos", request), early)
    try:
        table = compute(facts, tree(*COHORT_IDS, "der_cohort"), "2026-03", today=TODAY)
        lead = table.get("lead_to_mql_cohort")  # until 2026-06-29
        assert (lead.value, lead.state) == (pytest.approx(0.5), "partial")
        assert lead.reason is not None and "still maturing" in lead.reason
        assert "2026-06-29" in lead.reason
        assert table.get("opp_to_won_cohort").state == "partial"  # until 2026-09-27
        assert table.get("der_cohort").state == "partial"
    finally:
        facts.close()


def test_without_touchpoints_influence_is_no_data(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:  # fmt: skip
    bare = {k: v for k, v in TABLES.items() if k != "touchpoints"}
    facts = load(open_store("embedded", tmp_path / ".demandos", request), bare)
    try:
        row = compute(facts, tree("revenue_influenced"), "2026-06", today=TODAY).rows[0]
        assert (row.value, row.state, row.reason) == (None, "no_data", "no touchpoints are loaded")
    finally:
        facts.close()


def custom(id_: str, calculation: dict[str, Any]) -> dict[str, Any]:
    return {"id": id_, "name": id_, "tier": 3, "owner": "ana", "unit": "percent",
            "calculation": calculation}  # fmt: skip


def test_custom_conversion_metrics_by_hand(company: FactStore) -> None:
    accounts = custom("acct_lead_to_opp", {"type": "conversion", "entity": "accounts",
                      "base_event": "lead", "conversion_event": "opportunity",
                      "within_days": 30})  # fmt: skip
    people = custom("mql_to_won", {"type": "conversion", "entity": "people", "base_event": "mql",
                    "conversion_event": "won", "within_days": 120})  # fmt: skip
    march = compute(company, specs(accounts, people), "2026-03", today=TODAY)
    # Accounts enter at their first lead: a3 in January (q6), a1 in February (q4), a2 in March
    # (q2). a2's X2 comes 5 days later; a1's X1 35 days later (> 30); a3's X3 22 days later.
    assert march.get("acct_lead_to_opp").value == 1.0
    assert march.get("acct_lead_to_opp").previous == 0.0  # February: a1 only, too late
    # March MQLs q1, q4 (a1) and q5 (no account); a1's X1 is won on 06-15: 97 and 104 days on.
    assert march.get("mql_to_won").value == pytest.approx(2 / 3)


def cumulative(id_: str, **window: Any) -> dict[str, Any]:
    calculation = {"type": "cumulative", "metric": "pipeline_created", **window}
    return {"id": id_, "name": id_, "tier": 3, "owner": "ana", "unit": "currency",
            "calculation": calculation}  # fmt: skip


def test_cumulative_metrics_by_hand(company: FactStore) -> None:
    tree = specs(
        cumulative("pipe_90d", window_days=90),
        cumulative("pipe_qtd", grain_to_date="quarter"),
        cumulative("pipe_ytd", grain_to_date="year"),
    )
    june = compute(company, tree, "2026-06", today=TODAY)
    rolling = june.get("pipe_90d")  # created 04-02 … 06-30: X6 (06-10); X1 (04-01) is 91 days back
    assert (rolling.value, rolling.state) == (1000.0, "ok")
    assert rolling.previous == 10000.0 + 3000.0 + 2000.0 + 5000.0  # 03-03 … 05-31: X1 X4 X5 X2
    assert june.get("pipe_qtd").value == 11000.0  # Q2: X1 and X6
    assert june.get("pipe_ytd").value == 5000.0 + 7000.0 + 3000.0 + 2000.0 + 10000.0 + 1000.0
    may = compute(company, tree, "2026-05", today=TODAY)
    assert may.get("pipe_qtd").value == 10000.0  # 04-01 … 05-31: X1


def test_cumulative_follows_the_fiscal_year(company: FactStore) -> None:
    tree = specs(
        cumulative("pipe_qtd", grain_to_date="quarter"),
        cumulative("pipe_ytd", grain_to_date="year"),
        fiscal_year_start_month=3,
    )
    march = compute(company, tree, "2026-03", today=TODAY)
    assert march.get("pipe_qtd").value == 10000.0  # fiscal Q1 starts 03-01: X2 X4 X5
    assert march.get("pipe_ytd").value == 10000.0  # so does the fiscal year
    february = compute(company, tree, "2026-02", today=TODAY)
    assert february.get("pipe_qtd").value == 7000.0  # fiscal Q4: 12-01 … 02-28: X3
