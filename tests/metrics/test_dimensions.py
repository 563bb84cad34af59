"""Metrics by ICP segment, persona, message pillar and asset type, worked out by hand.

The fixture's kernel (fixture.KERNEL, fixture.CHANNELS) puts the accounts in segments
a1, a6 → saas_mid; a2 → fin_ent; a4 → large; a3, a5 → (no segment); the people in personas
p1, p3, p5 → finance_lead; p2 → marketing_lead; p4 → (no persona). Programs: prog_a is
saas_mid / efficiency, prog_b fin_ent / predictability (its first segment and pillar), prog_c
neither, prog_news saas_mid / predictability.
"""

from __future__ import annotations

import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from demandos.errors import StoreError
from demandos.kernel import NO_ASSET, NO_PERSONA, NO_PILLAR, NO_SEGMENT
from demandos.metrics import DIMENSIONS, compute
from demandos.metrics.components import UNASSIGNED
from demandos.metrics.dimensions import KernelView, for_dimension
from demandos.metrics.table import MetricTable
from demandos.store import FactStore, open_facts

from .fixture import ACCOUNTS, ASSETS, COSTS, TODAY, load, specs, spend

KERNEL_DIMS = ("segment", "persona", "pillar", "asset_type")


def touches_metric() -> dict[str, Any]:
    return {"id": "touches", "name": "Touches", "tier": 2, "parent": "der", "owner": "ana",
            "unit": "count", "calculation": {"type": "simple", "table": "touchpoints",
                                             "agg": "count"}}  # fmt: skip


def tree() -> Any:
    """Every built-in, and touches (a custom count over touchpoints)."""
    return specs(*specs().metrics.model_dump()["metrics"], touches_metric())


def by(table: MetricTable, metric: str) -> dict[str | None, float | None]:
    return {m.member: m.value for m in table.members(metric)}


def test_the_kernel_dimensions_are_dimensions() -> None:
    assert set(KERNEL_DIMS) <= set(DIMENSIONS)


def test_by_segment(store: FactStore) -> None:
    table = compute(store, tree(), "2026-03", by="segment", today=TODAY)
    # opportunities created in March: o1, o3 (a1) and o6 (a4)
    assert by(table, "pipeline_created") == {
        "saas_mid": 18000.0, "large": 2000.0, "fin_ent": 0.0, NO_SEGMENT: 0.0}  # fmt: skip
    # leads in March: p1 (a1), p2 (a2), p4 (no account); MQLs: p1, p3 (a6), p2
    assert by(table, "leads") == {"saas_mid": 1.0, "fin_ent": 1.0, UNASSIGNED: 1.0}
    assert by(table, "mqls") == {"saas_mid": 2.0, "fin_ent": 1.0, UNASSIGNED: 0.0}
    # spend by program: prog_a 100 (saas_mid), prog_b 300 (fin_ent first), prog_c 100 (none)
    assert by(table, "media_spend") == {"saas_mid": 100.0, "fin_ent": 300.0, NO_SEGMENT: 100.0}
    # other costs (3,100 + 620) belong to no segment
    assert by(table, "fully_loaded_cost")[UNASSIGNED] == 3720.0
    der = by(table, "der")
    assert der["saas_mid"] == pytest.approx(18000 / 100)
    assert der[UNASSIGNED] == 0.0 and der["fin_ent"] == 0.0
    assert table.get("der", "large").state == "no_data"  # pipeline, but no cost in the segment
    assert table.get("der").value == pytest.approx(20000 / 4220)
    # closed in March: o1 won (a1), o4 won (a3, no segment), o2 lost (a2)
    assert by(table, "win_rate") == {"saas_mid": 1.0, NO_SEGMENT: 1.0, "fin_ent": 0.0}
    # e1 (prog_news: saas_mid) 300 / 1000; e2 names no program
    assert by(table, "email_open_rate") == pytest.approx({"saas_mid": 0.3, UNASSIGNED: 0.2})
    # touches: t1 (a1), t6 (a6); t2 via its person p2 (a2); t3 (a4); t4 has no account
    assert by(table, "touches") == {"saas_mid": 2.0, "fin_ent": 1.0, "large": 1.0, UNASSIGNED: 1.0}
    assert "owned_audience_growth" in table.unsupported  # audiences carry no segment
    assert "der" not in table.unsupported


def test_by_persona(store: FactStore) -> None:
    table = compute(store, tree(), "2026-03", by="persona", today=TODAY)
    assert by(table, "leads") == {"finance_lead": 1.0, "marketing_lead": 1.0, NO_PERSONA: 1.0}
    assert by(table, "mqls") == {"finance_lead": 2.0, "marketing_lead": 1.0}
    assert by(table, "sqls") == {"finance_lead": 2.0}
    assert by(table, "lead_to_mql") == {"finance_lead": 2.0, "marketing_lead": 1.0,
                                        NO_PERSONA: 0.0}  # fmt: skip
    # t1, t6 → finance_lead; t2 → marketing_lead; t4 → p4 (no persona); t3 names no person
    assert by(table, "touches") == {
        "finance_lead": 2.0, "marketing_lead": 1.0, NO_PERSONA: 1.0, UNASSIGNED: 1.0}  # fmt: skip
    # deals and spend carry no person: their totals only, and the table says so
    assert table.members("pipeline_created") == []
    assert table.get("pipeline_created").value == 20000.0
    assert {"pipeline_created", "der", "media_spend"} <= set(table.unsupported)
    assert "leads" not in table.unsupported


def test_by_pillar(store: FactStore) -> None:
    table = compute(store, tree(), "2026-03", by="pillar", today=TODAY)
    assert by(table, "media_spend") == {"efficiency": 100.0, "predictability": 300.0,
                                        NO_PILLAR: 100.0}  # fmt: skip
    assert by(table, "fully_loaded_cost") == {"efficiency": 100.0, "predictability": 300.0,
                                              NO_PILLAR: 100.0, UNASSIGNED: 3720.0}  # fmt: skip
    assert by(table, "ctr") == pytest.approx({"efficiency": 0.01, "predictability": 0.004,
                                              NO_PILLAR: 0.01})  # fmt: skip
    assert by(table, "email_open_rate") == pytest.approx({"predictability": 0.3, UNASSIGNED: 0.2})
    # t1: its asset's pillar (predictability) over its program's; t2: prog_b's; t3: its asset has
    # none, so prog_a's (efficiency); t6: prog_c has none; t4: unknown asset, no program
    assert by(table, "touches") == {"predictability": 2.0, "efficiency": 1.0, NO_PILLAR: 1.0,
                                    UNASSIGNED: 1.0}  # fmt: skip
    assert "pipeline_created" in table.unsupported


def test_by_asset_type(store: FactStore) -> None:
    table = compute(store, tree(), "2026-03", by="asset_type", today=TODAY)
    # t1 as1 (case study), t3 as2 (webinar), t2 and t6 without an asset, t4 an unknown asset
    assert by(table, "touches") == {"case_study": 1.0, "webinar": 1.0, NO_ASSET: 2.0,
                                    UNASSIGNED: 1.0}  # fmt: skip
    assert table.get("touches").value == 5.0
    assert table.members("media_spend") == []
    assert "media_spend" in table.unsupported


@pytest.mark.parametrize("dimension", KERNEL_DIMS)
def test_additive_members_sum_to_the_total(store: FactStore, dimension: str) -> None:
    table = compute(store, tree(), "2026-03", by=dimension, today=TODAY)
    split = [r for r in table.totals() if r.additive and table.members(r.metric)]
    assert split, dimension
    for total in split:
        parts = [m.value or 0.0 for m in table.members(total.metric)]
        assert sum(parts) == pytest.approx(total.value or 0.0), (dimension, total.metric)


def test_totals_do_not_change_with_the_breakdown(store: FactStore) -> None:
    plain = {r.metric: r.value for r in compute(store, tree(), "2026-03", today=TODAY).totals()}
    for dimension in KERNEL_DIMS:
        table = compute(store, tree(), "2026-03", by=dimension, today=TODAY)
        assert {r.metric: r.value for r in table.totals()} == pytest.approx(plain), dimension


def test_only_kernel_and_channel_breakdowns_read_through_a_view(store: FactStore) -> None:
    assert for_dimension(store, specs(), None) is store
    assert for_dimension(store, specs(), "program") is store
    assert "_channel" in for_dimension(store, specs(), "channel").table("people").columns
    view = for_dimension(store, specs(), "segment")
    assert isinstance(view, KernelView)
    assert "_segment" in view.table("spend").columns
    assert "_persona" not in view.table("people").columns  # only the dimension asked for
    assert view.table("costs").columns == store.table("costs").columns
    with pytest.raises(StoreError, match="read-only"), view.transaction():
        pass
    view.close()
    assert store.table("spend").count().to_pyarrow().as_py() == 5  # the store stays open


# -- the law on random companies -----------------------------------------------------------

DAYS = st.integers(min_value=0, max_value=89).map(lambda d: date(2026, 1, 1) + timedelta(d))
ACCOUNT_IDS = st.sampled_from(["a1", "a2", "a3", "a4", "a5", "a6", "a9", None])
TITLES = st.sampled_from(["CFO", "VP Marketing", "Financial Controller", "Engineer", None])
PROGRAMS = st.sampled_from(["prog_a", "prog_b", "prog_c", "prog_news", "other"])


@st.composite
def companies(draw: st.DrawFn) -> dict[str, list[dict[str, Any]]]:
    keyed = {(d, p): (a, i) for d, p, a, i in draw(st.lists(st.tuples(
        DAYS, PROGRAMS, st.floats(0, 1e4, allow_nan=False), st.integers(0, 10**5)),
        max_size=15))}  # fmt: skip
    spend_rows = [spend(d, "google_ads", p, a, i, 0, 0) for (d, p), (a, i) in keyed.items()]
    opps = draw(st.lists(st.tuples(DAYS, st.floats(0, 1e6, allow_nan=False), ACCOUNT_IDS),
                         min_size=1, max_size=12))  # fmt: skip
    opp_rows = [{"opp_id": f"o{n}", "account_id": acc, "amount": a, "stage": "Open",
                 "created_at": datetime.combine(d, datetime.min.time()), "is_closed": False,
                 "is_won": False} for n, (d, a, acc) in enumerate(opps)]  # fmt: skip
    people = draw(st.lists(st.tuples(DAYS, ACCOUNT_IDS, TITLES), min_size=1, max_size=12))
    people_rows = [{"person_id": f"p{n}", "account_id": acc, "title": title,
                    "created_at": datetime.combine(d, datetime.min.time()),
                    "lead_at": datetime.combine(d, datetime.min.time())}
                   for n, (d, acc, title) in enumerate(people)]  # fmt: skip
    touches = draw(st.lists(st.tuples(DAYS, st.sampled_from([None, "p0", "p1", "p7"]),
                                      ACCOUNT_IDS, st.one_of(st.none(), PROGRAMS),
                                      st.sampled_from([None, "as1", "as2", "as9"])),
                            min_size=1, max_size=12))  # fmt: skip
    touch_rows = [{"touch_id": f"t{n}", "ts": datetime.combine(d, datetime.min.time()),
                   "person_id": p, "account_id": acc, "channel": "web", "program_id": prog,
                   "asset_id": asset, "touch_type": "visit"}
                  for n, (d, p, acc, prog, asset) in enumerate(touches)]  # fmt: skip
    edges = [spend(date(2026, 1, 1), "google_ads", "edge", 0, 0, 0, 0),
             spend(date(2026, 3, 31), "google_ads", "edge", 0, 0, 0, 0)]  # fmt: skip
    return {"spend": spend_rows + edges, "opportunities": opp_rows, "costs": COSTS,
            "people": people_rows, "accounts": ACCOUNTS, "assets": ASSETS,
            "touchpoints": touch_rows}  # fmt: skip


LAW_TREE = specs(
    *(m for m in specs().metrics.model_dump()["metrics"]
      if m["id"] in ("der", "media_spend", "impressions", "pipeline_created", "leads",
                     "fully_loaded_cost")),
    touches_metric(),
)  # fmt: skip


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(companies())
def test_kernel_members_sum_to_totals(company: dict[str, list[dict[str, Any]]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        facts = load(open_facts(Path(tmp) / ".demandos"), company)
        try:
            tables = {
                d: compute(facts, LAW_TREE, "2026-Q1", by=d, today=TODAY) for d in KERNEL_DIMS
            }
        finally:
            facts.close()
    checked = {
        "segment": ("media_spend", "pipeline_created", "leads", "fully_loaded_cost", "touches"),
        "persona": ("leads", "touches"),
        "pillar": ("media_spend", "impressions", "fully_loaded_cost", "touches"),
        "asset_type": ("touches",),
    }
    for dimension, names in checked.items():
        table = tables[dimension]
        for name in names:
            total = table.get(name)
            assert total.value is not None, (dimension, name, total.reason)
            parts = [m.value or 0.0 for m in table.members(name)]
            assert sum(parts) == pytest.approx(total.value, rel=1e-9, abs=1e-6), (dimension, name)
