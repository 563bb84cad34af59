"""Components that follow entities across tables: stage-conversion cohorts, cohort pipeline and
revenue influence. Each one builds a derived table with Ibis (so it runs on every backend) and is
then aggregated by period like any other component.

- **Conversion cohorts** (``conversion`` metrics and the ``*_cohort`` built-ins): of the people,
  accounts or opportunities that enter a stage in the period, how many reach a later stage within
  N days. The cohort is placed in the period of its *first* event; the rate is converted ÷ cohort,
  counted, never averaged. Until N days after the period's last day have passed in the data, the
  value is ``partial`` (the cohort is still maturing).

  Stage times: people have ``lead_at``, ``mql_at``, ``sql_at``; a person reaches *opportunity*
  when an opportunity is created on their account and *won* when a won deal on their account
  closes. An account enters a stage when its first person (or first opportunity, first won deal)
  does. An opportunity enters *opportunity* when created and *won* when it closes won.
- **Cohort pipeline** (cohort DER): each opportunity belongs to the cohort of the first lead on
  its account in the ``COHORT_DAYS`` before it was created (opportunities with no such lead belong
  to no cohort); a cohort's pipeline keeps growing for ``COHORT_DAYS`` after its period.
- **Revenue influenced / sourced** (DESIGN): won amount of deals closed in the period whose
  account had a demand touch in the ``LOOKBACK_DAYS`` before the deal was created (influenced), or
  whose first touch in that window was a demand touch (sourced). A demand touch is any touch that
  is not a sales touch (``SALES_TOUCH_TYPES``). By channel, a deal counts once in *every* channel
  that touched it (influence does not add up across channels); sourced credits the first touch's
  channel, so it does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import ibis

from demandos.metrics.channels import COLUMN as CHANNEL
from demandos.metrics.components import Aggregate, Component, Series, fetch_many
from demandos.metrics.periods import Period
from demandos.store.facts import FactStore

COHORT_DAYS = 180
"""How long after their lead an account's opportunities count as that lead cohort's pipeline."""
LOOKBACK_DAYS = 90
"""How far before an opportunity's creation a touch counts as influence."""
SALES_TOUCH_TYPES = ("sdr_call", "sales_call", "sales_meeting", "sales_email", "meeting")
"""Touch types made by sales; every other touch is a demand touch."""

Build = Callable[[FactStore, str | None], Any]  # (facts, dimension or None) -> ibis table

_PEOPLE_STAGE = {"lead": "lead_at", "mql": "mql_at", "sql": "sql_at"}


class _View:
    """A fact store whose ``table(name)`` is a derived table (and every other table as stored)."""

    def __init__(self, facts: FactStore, name: str, table: Any) -> None:
        self._facts, self._name, self._table = facts, name, table

    def table(self, name: str, **kwargs: Any) -> Any:
        return self._table if name == self._name else self._facts.table(name, **kwargs)


@dataclass(frozen=True)
class Derived(Aggregate):
    """An aggregate over a derived table whose ``time`` column has the type that column has in
    ``table`` (which also decides the data's coverage of a period)."""

    build: Build | None = None
    empty_when: tuple[str, ...] = ()  # tables without which the value is unknown, not zero
    zero_when_absent: bool = False  # a member without rows in a period is 0 (a sum), not unknown

    def fetch(self, facts: FactStore, periods: Sequence[Period], by: str | None) -> Series:
        assert self.build is not None
        for name in self.empty_when:
            if facts.table(name).count().to_pyarrow().as_py() == 0:
                return {None: [None] * len(periods)}
        plain = Aggregate(self.name, self.table, self.dims, stock=self.stock,
                          additive=self.additive, time=self.time, measure=self.measure)  # fmt: skip
        view: Any = _View(facts, self.table, self.build(facts, by))
        series = fetch_many(view, [plain], periods, by)[self.name]
        if self.zero_when_absent:
            series = {k: [0.0 if v is None else v for v in vs] for k, vs in series.items()}
        return series


def _channel(t: Any, raw: str) -> Any:
    """The channel of people or opportunities when read for a breakdown by channel (the view
    adds it, see ``metrics.channels``), else the CRM's own value."""
    return t[CHANNEL] if CHANNEL in t.columns else t[raw]


def _days(n: int) -> Any:
    return ibis.interval(days=n)


def _opportunity_events(facts: FactStore, stage: str) -> Any:
    """``(_key, _ts)``: when each account's opportunities were created, or deals closed won."""
    o = facts.table("opportunities").filter(lambda t: t.account_id.notnull())
    if stage == "won":
        o = o.filter(o.is_won, o.close_date.notnull())
        return o.select(_key=o.account_id, _ts=o.close_date.cast("timestamp"))
    return o.select(_key=o.account_id, _ts=o.created_at)


def _hits(cohort: Any, events: Any, within: int) -> Any:
    """Entities of ``cohort`` (``_entity, _key, _base``) with an event in ``[_base, _base + N)``."""
    j = cohort.join(events, cohort._key == events._key)
    j = j.filter(j._ts >= j._base, j._ts < j._base + _days(within))
    return j.select(_hit_entity=j._entity).distinct()


def _people_cohort(facts: FactStore, base: str, conv: str, within: int) -> Any:
    p = facts.table("people")
    start = p[_PEOPLE_STAGE[base]]
    people = p.filter(start.notnull())
    start = people[_PEOPLE_STAGE[base]]
    if conv in _PEOPLE_STAGE:
        end = people[_PEOPLE_STAGE[conv]]
        hit = end.notnull() & (end >= start) & (end < start + _days(within))
        return people.select(
            **{_PEOPLE_STAGE[base]: start}, lead_source=_channel(people, "lead_source"), _hit=hit
        )
    cohort = people.select(
        _entity=people.person_id, _key=people.account_id, _base=start,
        lead_source=_channel(people, "lead_source"),
    )  # fmt: skip
    hits = _hits(cohort, _opportunity_events(facts, conv), within)
    return cohort.select(
        **{_PEOPLE_STAGE[base]: cohort._base}, lead_source=cohort.lead_source,
        _hit=cohort._entity.isin(hits._hit_entity),
    )  # fmt: skip


def _account_events(facts: FactStore, stage: str) -> Any:
    if stage in _PEOPLE_STAGE:
        p = facts.table("people")
        p = p.filter(p.account_id.notnull(), p[_PEOPLE_STAGE[stage]].notnull())
        return p.select(_key=p.account_id, _ts=p[_PEOPLE_STAGE[stage]])
    return _opportunity_events(facts, stage)


def _accounts_cohort(facts: FactStore, base: str, conv: str, within: int, time: str) -> Any:
    starts = _account_events(facts, base)
    first = starts.group_by(starts._key).aggregate(_base=starts._ts.min())
    cohort = first.select(_entity=first._key, _key=first._key, _base=first._base)
    hits = _hits(cohort, _account_events(facts, conv), within)
    return cohort.select(**{time: cohort._base}, _hit=cohort._entity.isin(hits._hit_entity))


def _opportunities_cohort(facts: FactStore, within: int) -> Any:
    o = facts.table("opportunities")
    closed = o.close_date.cast("timestamp")
    hit = o.is_won & o.close_date.notnull() & (closed >= o.created_at.date().cast("timestamp"))
    hit = hit & (closed < o.created_at + _days(within))
    return o.select(created_at=o.created_at, source=_channel(o, "source"), _hit=hit)


def conversion(
    name: str, entity: str, base: str, conv: str, within: int
) -> tuple[Component, Component]:
    """The cohort and converted components of a stage conversion (see the module doc)."""
    if entity == "opportunities":
        table, time, dims = "opportunities", "created_at", {"channel": "source"}
    elif entity == "accounts":
        table = "opportunities" if base in ("opportunity", "won") else "people"
        time = "created_at" if table == "opportunities" else _PEOPLE_STAGE[base]
        dims = {}
    else:
        table, time, dims = "people", _PEOPLE_STAGE[base], {"channel": "lead_source"}

    def build(facts: FactStore, by: str | None) -> Any:
        if entity == "opportunities":
            return _opportunities_cohort(facts, within)
        if entity == "accounts":
            return _accounts_cohort(facts, base, conv, within, time)
        return _people_cohort(facts, base, conv, within)

    def part(suffix: str, measure: Callable[[Any, Any], Any]) -> Component:
        return Derived(f"{name}:{suffix}", table, dims, time=time, measure=measure, build=build,
                       matures_days=within)  # fmt: skip

    return (
        part("cohort", lambda t, w: t.count(where=w)),
        part("converted", lambda t, w: t.count(where=w & t._hit)),
    )


def _cohort_pipeline(facts: FactStore, by: str | None) -> Any:
    o = facts.table("opportunities")
    o = o.filter(o.account_id.notnull())
    p = facts.table("people")
    p = p.filter(p.account_id.notnull(), p.lead_at.notnull())
    leads = p.select(_acct=p.account_id, _lead=p.lead_at, _src=_channel(p, "lead_source"))
    j = o.join(leads, o.account_id == leads._acct)
    j = j.filter(j._lead <= j.created_at, j._lead >= j.created_at - _days(COHORT_DAYS))
    first = j.group_by(j.opp_id).aggregate(
        lead_at=j._lead.min(), lead_source=j._src.argmin(j._lead), amount=j.amount.max()
    )
    return first


COHORT_PIPELINE = Derived(
    "cohort_pipeline", "people", {"channel": "lead_source"}, time="lead_at",
    measure=lambda t, w: t.amount.sum(where=w), build=_cohort_pipeline, matures_days=COHORT_DAYS,
)  # fmt: skip


def _deal_touches(facts: FactStore) -> Any:
    """One row per won deal and channel that touched its account in the ``LOOKBACK_DAYS`` before
    the deal was created: ``opp_id, close_date, amount, channel``, the channel's first touch
    (``first_ts``) and first demand touch (``first_demand``, null when it made none).

    Influence and sourcing both read it: one join of the won deals with every touch, kept per
    snapshot by the store (:meth:`FactStore.derived`), as it reads stored columns only.
    """
    o = facts.table("opportunities")
    won = o.filter(o.is_won, o.close_date.notnull(), o.account_id.notnull())
    won = won.select(won.opp_id, won.account_id, won.created_at, won.amount, won.close_date)
    t = facts.table("touchpoints")
    touches = t.select(_acct=t.account_id, _ts=t.ts, channel=t.channel, _type=t.touch_type)
    j = won.join(touches, won.account_id == touches._acct)
    j = j.filter(j._ts < j.created_at, j._ts >= j.created_at - _days(LOOKBACK_DAYS))
    return j.group_by(j.opp_id, j.channel).aggregate(
        close_date=j.close_date.max(), amount=j.amount.max(), first_ts=j._ts.min(),
        first_demand=j._ts.min(where=~j._type.isin(SALES_TOUCH_TYPES)),
    )  # fmt: skip


DERIVED_INPUTS = frozenset({"opportunities", "touchpoints"})
"""The tables the derived tables below read: a load that changes one makes them stale."""


def keep_derived(facts: FactStore) -> None:
    """Compute the derived tables revenue influenced and sourced read, where the store keeps
    them per snapshot (the embedded store): called after a load that changed their inputs, so
    the next reader of the snapshot finds them ready, as a database keeps an index."""
    facts.derived("deal_touches", _deal_touches)


def _influenced(facts: FactStore, by: str | None) -> Any:
    d = facts.derived("deal_touches", _deal_touches)
    d = d.filter(d.first_demand.notnull())
    if by == "channel":
        return d.select(d.opp_id, d.close_date, d.amount, d.channel)
    return d.select(d.opp_id, d.close_date, d.amount).distinct()


def _sourced(facts: FactStore, by: str | None) -> Any:
    """Deals whose first touch was a demand touch (a demand and a sales touch at the very same
    moment count as sourced), credited to the channel of that touch."""
    d = facts.derived("deal_touches", _deal_touches)
    demand = d.first_demand.notnull()
    first = d.group_by(d.opp_id).aggregate(
        close_date=d.close_date.max(), amount=d.amount.max(), _first=d.first_ts.min(),
        _demand=d.first_demand.min(), channel=d.channel.argmin(d.first_demand, where=demand),
    )  # fmt: skip
    return first.filter(first._demand == first._first)


REVENUE_INFLUENCED = Derived(
    "revenue_influenced", "opportunities", {"channel": "channel"}, time="close_date",
    additive=False, measure=lambda t, w: t.amount.sum(where=w), build=_influenced,
    empty_when=("touchpoints",), zero_when_absent=True,
)  # fmt: skip
REVENUE_SOURCED = Derived(
    "revenue_sourced", "opportunities", {"channel": "channel"}, time="close_date",
    measure=lambda t, w: t.amount.sum(where=w), build=_sourced, empty_when=("touchpoints",),
)  # fmt: skip
