"""Every built-in formula computed by hand on the hand-made company (March 2026)."""

from __future__ import annotations

import pytest

from demandos.metrics import BUILTINS, compute
from demandos.spec.metrics import BUILTIN_CATALOG
from demandos.store import FactStore

from .fixture import TODAY, specs
from .test_cohorts import COHORT_IDS

# March 2026, from the rows in fixture.py:
MEDIA = 100.0 + 300.0 + 100.0  # spend on 03-02, 03-10, 03-31
OTHER = 3100.0 + 620.0  # people + tools; the 9,999 of category media is left out
FULLY_LOADED = MEDIA + OTHER  # 4,220
PIPELINE = 10000.0 + 8000.0 + 2000.0  # o1, o3, o6 created in March
WON, LOST = 2, 1  # o1 and o4 won, o2 lost, all closing in March
WON_AMOUNT, LOST_AMOUNT = 10000.0 + 6000.0, 5000.0
CYCLE = 20 + 80  # o1: 03-05 → 03-25; o4: 01-10 → 03-31 (21 + 28 + 31)
OPEN_AT_END = 2  # o3 and o6 (o4 closed on 03-31)
NEW_CUSTOMERS, NEW_ARR = 1, 6000.0  # a3 (o4); a1 first won in 2025 (o5)
LEADS, MQLS, SQLS = 3, 3, 2  # leads p1 p2 p4; MQLs p1 p2 p3; SQLs p1 p3
OPPS = 3
IMPRESSIONS, CLICKS, CONVERSIONS = 10000 + 5000 + 1000, 100 + 20 + 10, 5 + 2 + 1
DELIVERED = 1000 + 500  # e2 has no delivered count: its 500 recipients
OPENS, EMAIL_CLICKS = 300 + 100, 50 + 10
AUDIENCE_START, AUDIENCE_END = 1000, 1100  # webinars started mid-March: not counted

EXPECTED = {
    "der": PIPELINE / FULLY_LOADED,
    "der_bookings": WON_AMOUNT / FULLY_LOADED,
    "pipeline_created": PIPELINE,
    "fully_loaded_cost": FULLY_LOADED,
    "media_spend": MEDIA,
    "opportunities_created": OPPS,
    "pipeline_velocity": OPEN_AT_END * (WON / (WON + LOST)) * (WON_AMOUNT / WON) / (CYCLE / WON),
    "win_rate": WON / (WON + LOST),
    "win_rate_value": WON_AMOUNT / (WON_AMOUNT + LOST_AMOUNT),
    "sales_cycle_days": CYCLE / WON,
    "leads": LEADS,
    "mqls": MQLS,
    "sqls": SQLS,
    "lead_to_mql": MQLS / LEADS,
    "mql_to_sql": SQLS / MQLS,
    "sql_to_opp": OPPS / SQLS,
    "opp_to_won": WON / OPPS,
    "cpl": MEDIA / LEADS,
    "cac": MEDIA / NEW_CUSTOMERS,
    "cac_fully_loaded": FULLY_LOADED / NEW_CUSTOMERS,
    "cac_payback_months": (FULLY_LOADED / NEW_CUSTOMERS) / (NEW_ARR / NEW_CUSTOMERS / 12 * 0.8),
    "impressions": IMPRESSIONS,
    "clicks": CLICKS,
    "ctr": CLICKS / IMPRESSIONS,
    "cpc": MEDIA / CLICKS,
    "cpm": MEDIA / IMPRESSIONS * 1000,
    "conversion_rate": CONVERSIONS / CLICKS,
    "email_open_rate": OPENS / DELIVERED,
    "email_click_rate": EMAIL_CLICKS / DELIVERED,
    "owned_audience_growth": (AUDIENCE_END - AUDIENCE_START) / AUDIENCE_START,
}


# Cohort conversions, cohort DER and revenue influenced/sourced: by hand in test_cohorts.py.
ACROSS_TABLES = {*COHORT_IDS, "der_cohort", "revenue_influenced", "revenue_sourced"}


def test_every_builtin_is_computed_and_checked_by_hand() -> None:
    assert set(BUILTINS) == set(BUILTIN_CATALOG)
    assert set(EXPECTED) | ACROSS_TABLES == set(BUILTINS)
    assert not set(EXPECTED) & ACROSS_TABLES


def test_every_builtin_by_hand(store: FactStore) -> None:
    table = compute(store, specs(), "2026-03", today=TODAY)
    got = {m: (table.get(m).value, table.get(m).state, table.get(m).reason) for m in EXPECTED}
    assert got == {m: (pytest.approx(v, rel=1e-12), "ok", None) for m, v in EXPECTED.items()}


def test_gross_margin_is_a_parameter(store: FactStore) -> None:
    table = compute(store, specs(), "2026-03", today=TODAY, gross_margin=0.5)
    assert table.get("cac_payback_months").value == pytest.approx(FULLY_LOADED / (6000 / 12 * 0.5))


def test_comparisons_by_hand(store: FactStore) -> None:
    table = compute(store, specs(), "2026-03", today=TODAY)
    media = table.get("media_spend")
    assert media.previous == 50.0  # February 2026
    assert media.change == pytest.approx(MEDIA - 50.0)
    assert media.change_ratio == pytest.approx((MEDIA - 50.0) / 50.0)
    assert media.last_year == 80.0  # March 2025
    # Trailing: November to February; spend data starts 2025-03, so all four count: 50 / 4.
    assert media.trailing_avg == pytest.approx(50.0 / 4)
    # A ratio's trailing value pools the periods: clicks ÷ impressions over Nov-Feb.
    assert table.get("ctr").trailing_avg == pytest.approx(40 / 4000)
    # The costs of February and March 2025 are known; DER last year: no pipeline, so 0.
    assert table.get("fully_loaded_cost").last_year == pytest.approx(80.0 + 3100.0)
