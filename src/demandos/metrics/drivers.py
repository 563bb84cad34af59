"""Driver identities of the built-in metrics: how each one is built from drivers a team can act on.

An identity writes a metric as a function of named drivers, each a value computed from the
engine's components (``catalog.COMPONENTS``)::

    pipeline created = leads × lead→opportunity rate × average opportunity amount
    DER              = leads × lead→opportunity rate × average amount ÷ (media + other costs)

A metric lists its identities finest first; ``decompose.explain`` uses the first one that holds
in both periods (see there). A ratio metric also names its numerator and denominator components,
which is what the mix-versus-rate split across a dimension's members needs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from demandos.metrics.catalog import MARGIN_KEY

Inputs = Mapping[str, float | None]  # component values of one period
Point = Mapping[str, float]  # driver values


@dataclass(frozen=True)
class Driver:
    """One factor or term of an identity: a value computed from components (None: undefined)."""

    id: str
    name: str
    unit: str
    value: Callable[[Inputs], float | None]
    needs: tuple[str, ...]  # the components it reads


@dataclass(frozen=True)
class Identity:
    """``metric = combine(drivers)``; ``combine`` returns None where the metric is undefined.

    ``combine`` also finds the gross margin under ``MARGIN_KEY`` (a setting, not a driver)."""

    text: str
    drivers: tuple[Driver, ...]
    combine: Callable[[Point], float | None]


@dataclass(frozen=True)
class Ratio:
    """``k × Σ numerator ÷ Σ denominator``: the shape mix versus rate splits across members."""

    numerator: tuple[str, ...]
    denominator: tuple[str, ...]
    k: float = 1.0
    rate: str = "rate"  # what a member's ratio is called, e.g. "channel DER"
    weight: str = "share"  # what a member's share of the denominator is called


@dataclass(frozen=True)
class Drivers:
    """What decomposition knows about one built-in metric."""

    identities: tuple[Identity, ...]
    ratio: Ratio | None = None


# -- drivers ---------------------------------------------------------------------------------

_COMPONENT_NAMES = {
    "pipeline": ("pipeline created", "currency"),
    "opps_created": ("opportunities created", "count"),
    "leads": ("leads", "count"),
    "mqls": ("MQLs", "count"),
    "sqls": ("SQLs", "count"),
    "media": ("media spend", "currency"),
    "other_costs": ("other costs (people, tools, agency, other)", "currency"),
    "won": ("deals won", "count"),
    "lost": ("deals lost", "count"),
    "won_amount": ("won amount", "currency"),
    "lost_amount": ("lost amount", "currency"),
    "cycle_days": ("days to close, summed over won deals", "days"),
    "new_customers": ("new customers", "count"),
    "new_arr": ("new ARR", "currency"),
    "open_opps": ("open opportunities", "count"),
    "impressions": ("impressions", "count"),
    "clicks": ("clicks", "count"),
    "conversions": ("conversions", "count"),
    "delivered": ("emails delivered", "count"),
    "opens": ("unique opens", "count"),
    "email_clicks": ("unique email clicks", "count"),
    "audience_start": ("owned audience at the start", "count"),
    "audience_end": ("owned audience at the end", "count"),
}


def component(name: str) -> Driver:
    """A component itself as a driver."""
    label, unit = _COMPONENT_NAMES[name]
    return Driver(name, label, unit, lambda v: v.get(name), (name,))


def per(id_: str, name: str, unit: str, num: str, den: str | tuple[str, ...]) -> Driver:
    """``num ÷ den`` (components); undefined when the denominator is zero."""
    dens = (den,) if isinstance(den, str) else den

    def value(v: Inputs) -> float | None:
        top, bottom = v.get(num), [v.get(d) for d in dens]
        if top is None or any(b is None for b in bottom):
            return None
        total = math.fsum(b for b in bottom if b is not None)
        return top / total if total else None

    return Driver(id_, name, unit, value, (num, *dens))


def _product(text: str, *drivers: Driver, k: float = 1.0) -> Identity:
    ids = [d.id for d in drivers]
    return Identity(text, drivers, lambda x: k * math.prod(x[i] for i in ids))


def _quotient(text: str, top: tuple[Driver, ...], bottom: tuple[Driver, ...],
              k: float = 1.0) -> Identity:  # fmt: skip
    """``k × Π top ÷ Σ bottom``: a product over a sum (DER, CAC, …)."""

    def combine(x: Point) -> float | None:
        below = math.fsum(x[d.id] for d in bottom)
        return k * math.prod(x[d.id] for d in top) / below if below else None

    return Identity(text, (*top, *bottom), combine)


def _ratio(num: tuple[str, ...], den: tuple[str, ...], *, k: float = 1.0, rate: str = "rate",
           weight: str = "share") -> tuple[Identity, Ratio]:  # fmt: skip
    """A ratio of component sums: its identity over the components, and its mix/rate shape."""
    top, bottom = [component(n) for n in num], [component(n) for n in den]
    nums, dens = " + ".join(d.name for d in top), " + ".join(d.name for d in bottom)
    scale = f"{k:g} × " if k != 1.0 else ""
    text = f"{scale}({nums}) ÷ ({dens})" if len(top) > 1 else f"{scale}{nums} ÷ ({dens})"

    def combine(x: Point) -> float | None:
        below = math.fsum(x[n] for n in den)
        return k * math.fsum(x[n] for n in num) / below if below else None

    unique = tuple({d.id: d for d in (*top, *bottom)}.values())  # win rate: won is in both
    return Identity(text, unique, combine), Ratio(num, den, k, rate, weight)


def _single(name: str) -> Identity:
    return Identity(_COMPONENT_NAMES[name][0], (component(name),), lambda x: x[name])


def _ratio_only(num: str | tuple[str, ...], den: str | tuple[str, ...], *, k: float = 1.0,
                rate: str = "rate", weight: str = "share",
                finer: tuple[Identity, ...] = ()) -> Drivers:  # fmt: skip
    nums = (num,) if isinstance(num, str) else num
    dens = (den,) if isinstance(den, str) else den
    identity, shape = _ratio(nums, dens, k=k, rate=rate, weight=weight)
    return Drivers((*finer, identity), shape)


_C = component
_COST = ("media", "other_costs")
_LEAD_OPP = per("lead_to_opp", "lead→opportunity rate", "percent", "opps_created", "leads")
_AVG_OPP = per("avg_amount", "average opportunity amount", "currency", "pipeline", "opps_created")
_AVG_WON = per("avg_won", "average won deal", "currency", "won_amount", "won")
_WIN_RATE = per("win_rate", "win rate", "percent", "won", ("won", "lost"))
_CYCLE = per("cycle", "average sales cycle (days)", "days", "cycle_days", "won")
_CPC = per("cpc", "cost per click", "currency", "media", "clicks")
_CTR = per("ctr", "click-through rate", "percent", "clicks", "impressions")
_OPEN = per("open_rate", "open rate", "percent", "opens", "delivered")
_CTO = per("click_to_open", "click-to-open rate", "percent", "email_clicks", "opens")


def _payback(x: Point) -> float | None:
    """CAC payback = (cost ÷ customers) ÷ (ARR ÷ customers ÷ 12 × margin) = 12 cost ÷ (ARR × m).

    The gross margin comes in under ``MARGIN_KEY`` (demandos.yaml's ``gross_margin``)."""
    arr = x["new_arr"]
    return 12 * (x["media"] + x["other_costs"]) / (arr * x[MARGIN_KEY]) if arr else None


def _growth(x: Point) -> float | None:
    start = x["audience_start"]
    return (x["audience_end"] - start) / start if start else None


DRIVERS: dict[str, Drivers] = {
    "der": _ratio_only(
        "pipeline", _COST, rate="DER of the member", weight="share of cost",
        finer=(_quotient("leads × lead→opportunity rate × average amount ÷ (media + other costs)",
                         (_C("leads"), _LEAD_OPP, _AVG_OPP), (_C("media"), _C("other_costs"))),),
    ),
    "der_bookings": _ratio_only(
        "won_amount", _COST, rate="bookings DER of the member", weight="share of cost",
        finer=(_quotient("deals won × average won deal ÷ (media + other costs)",
                         (_C("won"), _AVG_WON), (_C("media"), _C("other_costs"))),),
    ),
    "pipeline_created": Drivers((
        _product("leads × lead→opportunity rate × average opportunity amount",
                 _C("leads"), _LEAD_OPP, _AVG_OPP),
        _product("opportunities created × average opportunity amount",
                 _C("opps_created"), _AVG_OPP),
    )),
    "fully_loaded_cost": Drivers((
        Identity("media + other costs", (_C("media"), _C("other_costs")),
                 lambda x: x["media"] + x["other_costs"]),
    )),
    "media_spend": Drivers((_single("media"),)),
    "opportunities_created": Drivers((
        _product("leads × lead→opportunity rate", _C("leads"), _LEAD_OPP),
        _single("opps_created"),
    )),
    "pipeline_velocity": Drivers((
        _quotient("open opportunities × win rate × average won deal ÷ average sales cycle",
                  (_C("open_opps"), _WIN_RATE, _AVG_WON), (_CYCLE,)),
    )),
    "win_rate": _ratio_only("won", ("won", "lost"), rate="win rate of the member",
                            weight="share of deals closed"),
    "win_rate_value": _ratio_only("won_amount", ("won_amount", "lost_amount"),
                                  rate="value win rate of the member",
                                  weight="share of closed value"),
    "sales_cycle_days": _ratio_only("cycle_days", "won", rate="sales cycle of the member",
                                    weight="share of deals won"),
    "leads": Drivers((_single("leads"),)),
    "mqls": Drivers((
        _product("leads × lead→MQL rate", _C("leads"),
                 per("lead_to_mql", "lead→MQL rate", "percent", "mqls", "leads")),
        _single("mqls"),
    )),
    "sqls": Drivers((
        _product("MQLs × MQL→SQL rate", _C("mqls"),
                 per("mql_to_sql", "MQL→SQL rate", "percent", "sqls", "mqls")),
        _single("sqls"),
    )),
    "lead_to_mql": _ratio_only("mqls", "leads", weight="share of leads"),
    "mql_to_sql": _ratio_only("sqls", "mqls", weight="share of MQLs"),
    "sql_to_opp": _ratio_only("opps_created", "sqls", weight="share of SQLs"),
    "opp_to_won": _ratio_only("won", "opps_created", weight="share of opportunities"),
    "cpl": _ratio_only("media", "leads", rate="CPL of the member", weight="share of leads"),
    "cac": _ratio_only("media", "new_customers", rate="CAC of the member",
                       weight="share of new customers"),
    "cac_fully_loaded": _ratio_only(_COST, "new_customers", rate="CAC of the member",
                                    weight="share of new customers"),
    "cac_payback_months": Drivers((
        Identity("12 × (media + other costs) ÷ (new ARR × gross margin)",
                 (_C("media"), _C("other_costs"), _C("new_arr")), _payback),
    )),
    "impressions": Drivers((_single("impressions"),)),
    "clicks": Drivers((
        _product("impressions × click-through rate", _C("impressions"), _CTR),
        _single("clicks"),
    )),
    "ctr": _ratio_only("clicks", "impressions", rate="CTR of the member",
                       weight="share of impressions"),
    "cpc": _ratio_only("media", "clicks", rate="CPC of the member", weight="share of clicks"),
    "cpm": _ratio_only(
        "media", "impressions", k=1000.0, rate="CPM of the member", weight="share of impressions",
        finer=(_product("1000 × cost per click × click-through rate", _CPC, _CTR, k=1000.0),),
    ),
    "conversion_rate": _ratio_only("conversions", "clicks", weight="share of clicks"),
    "email_open_rate": _ratio_only("opens", "delivered", weight="share of emails delivered"),
    "email_click_rate": _ratio_only(
        "email_clicks", "delivered", weight="share of emails delivered",
        finer=(_product("open rate × click-to-open rate", _OPEN, _CTO),),
    ),
    "owned_audience_growth": Drivers((
        Identity("(audience at the end − audience at the start) ÷ audience at the start",
                 (_C("audience_start"), _C("audience_end")), _growth),
    )),
}  # fmt: skip
"""Built-in metric id → its identities (finest first) and, for ratios, the mix/rate shape."""


def needed(drivers: Drivers) -> set[str]:
    """Every component the identities and the ratio shape read."""
    names = {n for identity in drivers.identities for d in identity.drivers for n in d.needs}
    if drivers.ratio is not None:
        names |= {*drivers.ratio.numerator, *drivers.ratio.denominator}
    return names
