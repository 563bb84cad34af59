"""The built-in metrics: each one a formula over components (``metrics.components``).

Formulas follow DESIGN.md. Decisions the design leaves open:

- *Period stage rates* (lead_to_mql, mql_to_sql, sql_to_opp, opp_to_won) divide the count
  entering the later stage in the period by the count entering the earlier one in the same
  period. *Cohort* rates (``*_cohort``) follow the people (or opportunities) entering a stage in
  the period for 90 days (180 to won); see ``metrics.cohorts``, which also defines cohort
  pipeline (cohort DER) and revenue influenced and sourced.
- *Win rate*, *sales cycle*, *bookings*: deals whose ``close_date`` falls in the period.
- *New customers*: accounts whose first won deal closes in the period (a deal without an account
  is its own customer); *new ARR* is the amount of those first deals, taken to be annual.
- *CAC* uses media spend; *fully loaded CAC* and *CAC payback* use fully loaded cost.
  CAC payback = fully loaded CAC ÷ (new ARR per customer ÷ 12 × gross margin); gross margin is
  demandos.yaml's ``gross_margin`` (default ``GROSS_MARGIN``, 0.8).
- *Pipeline velocity* counts every opportunity open at the period's end as qualified.
- By channel: spend and email by their ``channel``; people by their lead source and
  opportunities by their source (else their account's first lead's), mapped to channel ids by
  the ``sources`` of channels.yaml (``metrics.channels``); costs other than media go to
  ``(unassigned)``.
- By segment, persona, pillar and asset type: as ``demandos.kernel.mapping`` maps each table's
  rows (people and opportunities by their account's segment, spend and email by their program's
  segment and pillar, people by persona); costs other than media go to ``(unassigned)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import ibis

from demandos.kernel.mapping import KERNEL_DIMENSIONS, dimension_columns
from demandos.metrics.channels import COLUMN as CHANNEL
from demandos.metrics.cohorts import (
    COHORT_PIPELINE,
    REVENUE_INFLUENCED,
    REVENUE_SOURCED,
    conversion,
)
from demandos.metrics.components import (
    Aggregate,
    AllocatedCosts,
    AudienceSize,
    Component,
    Measure,
    OpenOpportunities,
)
from demandos.spec.metrics import BUILTIN_CATALOG

GROSS_MARGIN = 0.8
"""Default gross margin for CAC payback (demandos.yaml's ``gross_margin`` sets it)."""
MARGIN_KEY = "_gross_margin"  # the engine passes its gross_margin to formulas under this key

Values = Mapping[str, float | None]
Outcome = tuple[float | None, str | None]  # value, or None and the reason


def _first_win(t: ibis.Table) -> ibis.Value:
    won = t.filter(t.is_won, t.close_date.notnull())
    customer = ibis.coalesce(won.account_id, won.opp_id)
    rank = ibis.row_number().over(group_by=customer, order_by=[won.close_date, won.opp_id])
    first = won.mutate(_rank=rank)
    first = first.filter(first._rank == 0).select(_first=first.opp_id)
    return t.opp_id.isin(first._first)


_OPP = {"channel": CHANNEL, **dimension_columns("opportunities")}
_PEOPLE = {"channel": CHANNEL, **dimension_columns("people")}
_SPEND = {"channel": "channel", "platform": "platform", "program": "program_id",
          **dimension_columns("spend")}  # fmt: skip
_EMAIL = {"channel": "channel", "program": "program_id", **dimension_columns("email_campaigns")}
_ANY = dict.fromkeys(("channel", "platform", "program", *KERNEL_DIMENSIONS), "")  # to (unassigned)


def _opps(
    name: str, time: str, measure: Measure, where: Callable[[Any], Any] | None = None
) -> Component:
    return Aggregate(name, "opportunities", _OPP, time=time, measure=measure, where=where)


def _days(t: ibis.Table) -> ibis.Value:
    """Days from an opportunity's creation to its close date."""
    return t.close_date.delta(t.created_at.date(), unit="day")


def _closed(t: ibis.Table) -> object:
    return t.is_closed


COMPONENTS: dict[str, Component] = {
    c.name: c
    for c in (
        _opps("pipeline", "created_at", lambda t, w: t.amount.sum(where=w)),
        _opps("opps_created", "created_at", lambda t, w: t.count(where=w)),
        _opps("won", "close_date", lambda t, w: t.count(where=w & t.is_won), _closed),
        _opps("lost", "close_date", lambda t, w: t.count(where=w & ~t.is_won), _closed),
        _opps("won_amount", "close_date", lambda t, w: t.amount.sum(where=w & t.is_won), _closed),
        _opps("lost_amount", "close_date", lambda t, w: t.amount.sum(where=w & ~t.is_won), _closed),
        _opps(
            "cycle_days",
            "close_date",
            lambda t, w: _days(t).sum(where=w & t.is_won),
            _closed,
        ),
        _opps("new_customers", "close_date", lambda t, w: t.count(where=w), _first_win),
        _opps("new_arr", "close_date", lambda t, w: t.amount.sum(where=w), _first_win),
        OpenOpportunities("open_opps", "opportunities", _OPP),
        Aggregate("leads", "people", _PEOPLE, time="lead_at"),
        Aggregate("mqls", "people", _PEOPLE, time="mql_at"),
        Aggregate("sqls", "people", _PEOPLE, time="sql_at"),
        Aggregate(
            "media", "spend", _SPEND, time="date", measure=lambda t, w: t.amount.sum(where=w)
        ),
        Aggregate(
            "impressions", "spend", _SPEND, time="date",
            measure=lambda t, w: t.impressions.sum(where=w),
        ),
        Aggregate(
            "clicks", "spend", _SPEND, time="date", measure=lambda t, w: t.clicks.sum(where=w)
        ),
        Aggregate(
            "conversions", "spend", _SPEND, time="date",
            measure=lambda t, w: t.conversions.sum(where=w),
        ),
        Aggregate(
            "delivered", "email_campaigns", _EMAIL, time="send_time",
            measure=lambda t, w: ibis.coalesce(t.delivered, t.recipients).sum(where=w),
        ),
        Aggregate(
            "opens", "email_campaigns", _EMAIL, time="send_time",
            measure=lambda t, w: t.unique_opens.sum(where=w),
        ),
        Aggregate(
            "email_clicks", "email_campaigns", _EMAIL, time="send_time",
            measure=lambda t, w: t.unique_clicks.sum(where=w),
        ),
        AllocatedCosts("other_costs", "costs", _ANY, time="month"),
        AudienceSize("audience_start", "audiences", {"channel": "channel"}),
        AudienceSize("audience_end", "audiences", {"channel": "channel"}, at_end=True),
    )
}  # fmt: skip


COHORTS: dict[str, tuple[str, str, int]] = {
    "lead_to_mql_cohort": ("lead", "mql", 90),
    "mql_to_sql_cohort": ("mql", "sql", 90),
    "sql_to_opp_cohort": ("sql", "opportunity", 90),
    "opp_to_won_cohort": ("opportunity", "won", 180),
}
"""Built-in cohort stage conversions: base stage, later stage, days allowed."""

for _id, (_base, _later, _days_allowed) in COHORTS.items():
    _entity = "opportunities" if _base == "opportunity" else "people"
    COMPONENTS.update((c.name, c) for c in conversion(_id, _entity, _base, _later, _days_allowed))
for _comp in (COHORT_PIPELINE, REVENUE_INFLUENCED, REVENUE_SOURCED):
    COMPONENTS[_comp.name] = _comp


@dataclass(frozen=True)
class Formula:
    """A built-in metric: the components it reads and how they combine."""

    needs: tuple[str, ...]
    combine: Callable[[Values], Outcome]
    additive: bool = False  # a sum or count: by-dimension values add up to the total
    own: tuple[Component, ...] = ()  # components of a custom metric, not in COMPONENTS

    def components(self) -> list[Component]:
        mine = {c.name: c for c in self.own}
        return [mine[n] if n in mine else COMPONENTS[n] for n in self.needs]


def _v(values: Values, name: str) -> float:
    return values.get(name) or 0.0


def total(*names: str) -> Formula:
    """A sum of components (additive)."""
    return Formula(names, lambda v: (sum(_v(v, n) for n in names), None), additive=True)


def ratio(
    num: str | tuple[str, ...], den: str | tuple[str, ...], what: str, k: float = 1.0
) -> Formula:
    """``k × Σnum ÷ Σden``; no data when the denominator is zero (``what`` names it)."""
    nums = (num,) if isinstance(num, str) else num
    dens = (den,) if isinstance(den, str) else den

    def combine(v: Values) -> Outcome:
        bottom = sum(_v(v, n) for n in dens)
        if bottom == 0:
            return None, f"no {what} in the period (the denominator is zero)"
        return k * sum(_v(v, n) for n in nums) / bottom, None

    return Formula((*nums, *dens), combine)


def _velocity(v: Values) -> Outcome:
    won, lost, cycle = _v(v, "won"), _v(v, "lost"), _v(v, "cycle_days")
    if won == 0:
        return None, "no deals won in the period (win rate and deal size are unknown)"
    if cycle == 0:
        return None, "won deals closed the day they were created (sales cycle is zero)"
    win_rate = won / (won + lost)
    deal = _v(v, "won_amount") / won
    return _v(v, "open_opps") * win_rate * deal / (cycle / won), None


def _payback(v: Values) -> Outcome:
    customers, arr = _v(v, "new_customers"), _v(v, "new_arr")
    margin = v.get(MARGIN_KEY) or GROSS_MARGIN
    if customers == 0:
        return None, "no new customers won in the period"
    if arr == 0:
        return None, "new customers brought no ARR (deal amounts are zero or missing)"
    cac = (_v(v, "media") + _v(v, "other_costs")) / customers
    return cac / (arr / customers / 12 * margin), None


def known(name: str, why: str, *, additive: bool = True) -> Formula:
    """One component that may be unknown (None): then no data, with ``why``."""

    def combine(v: Values) -> Outcome:
        value = v.get(name)
        return (value, None) if value is not None else (None, why)

    return Formula((name,), combine, additive=additive)


def _growth(v: Values) -> Outcome:
    start = _v(v, "audience_start")
    if start == 0:
        return None, "no owned-audience size recorded before the period"
    return (_v(v, "audience_end") - start) / start, None


_COST = ("media", "other_costs")
BUILTINS: dict[str, Formula] = {
    "der": ratio("pipeline", _COST, "fully loaded cost"),
    "der_bookings": ratio("won_amount", _COST, "fully loaded cost"),
    "pipeline_created": total("pipeline"),
    "fully_loaded_cost": total(*_COST),
    "media_spend": total("media"),
    "opportunities_created": total("opps_created"),
    "pipeline_velocity": Formula(
        ("open_opps", "won", "lost", "won_amount", "cycle_days"), _velocity
    ),
    "win_rate": ratio("won", ("won", "lost"), "deals closed"),
    "win_rate_value": ratio("won_amount", ("won_amount", "lost_amount"), "closed deal value"),
    "sales_cycle_days": ratio("cycle_days", "won", "deals won"),
    "leads": total("leads"),
    "mqls": total("mqls"),
    "sqls": total("sqls"),
    "lead_to_mql": ratio("mqls", "leads", "leads"),
    "mql_to_sql": ratio("sqls", "mqls", "MQLs"),
    "sql_to_opp": ratio("opps_created", "sqls", "SQLs"),
    "opp_to_won": ratio("won", "opps_created", "opportunities created"),
    **{
        _id: ratio(f"{_id}:converted", f"{_id}:cohort", f"{base}s entering the stage")
        for _id, (base, _, _) in COHORTS.items()
    },
    "der_cohort": ratio("cohort_pipeline", _COST, "fully loaded cost"),
    # A deal counts in every channel that touched it: channels do not add up to the total.
    "revenue_influenced": known("revenue_influenced", "no touchpoints are loaded", additive=False),
    "revenue_sourced": known("revenue_sourced", "no touchpoints are loaded"),
    "cpl": ratio("media", "leads", "leads"),
    "cac": ratio("media", "new_customers", "new customers won"),
    "cac_fully_loaded": ratio(_COST, "new_customers", "new customers won"),
    "cac_payback_months": Formula(("media", "other_costs", "new_customers", "new_arr"), _payback),
    "impressions": total("impressions"),
    "clicks": total("clicks"),
    "ctr": ratio("clicks", "impressions", "impressions"),
    "cpc": ratio("media", "clicks", "clicks"),
    "cpm": ratio("media", "impressions", "impressions", k=1000.0),
    "conversion_rate": ratio("conversions", "clicks", "clicks"),
    "email_open_rate": ratio("opens", "delivered", "emails delivered"),
    "email_click_rate": ratio("email_clicks", "delivered", "emails delivered"),
    "owned_audience_growth": Formula(("audience_start", "audience_end"), _growth),
}
"""Every built-in metric computed so far, by id."""

assert set(BUILTINS) == set(BUILTIN_CATALOG), "every built-in needs a formula"
