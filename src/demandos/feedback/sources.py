"""Journeys read from the canonical tables, for a milestone, a level, a dimension and a period.

A **conversion** is a milestone reached in the period:

=============  ==================================================================================
milestone      person level                          account level (the buying committee)
=============  ==================================================================================
lead           a person's ``lead_at``                the account's first person's ``lead_at``
mql            a person's ``mql_at``                 the account's first person's ``mql_at``
opportunity    —                                     an opportunity's ``created_at`` (value: its
                                                     amount, the pipeline)
won            —                                     a won deal's ``close_date`` (value: its
                                                     amount, the revenue)
=============  ==================================================================================

Opportunities belong to accounts, so their journeys are the account's: the touches of every
person of the account and the touches logged on the account itself.

Its **journey** is the entity's touches in the lookback window before the milestone (default
``LOOKBACK_DAYS``, 90, the window of revenue influenced and sourced in DESIGN): for an
opportunity the window ends when it was created; for a won deal it starts ``lookback`` days
before the deal was created and runs to the end of its close date, so the touches of the sales
cycle count too. A **non-converting journey** is, for lead and MQL, an entity not converted
before the period's end with touches in the last ``lookback`` days of the period; for an
opportunity, an account with such touches and no opportunity created in the period; for won, a
deal closed lost in the period (its window as a won deal's).

Each touch's member is its ``channel``, ``program_id``, ``asset_id``, its account's segment or
its asset's (else its program's) pillar (``kernel.mapping``); a touch that has none is
``(none)``, so every conversion's credit stays in the total. Touches are ordered by time, then id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, time
from typing import Any

import ibis
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from demandos.feedback.journeys import AttributionError, FloatArray, Journeys
from demandos.kernel.mapping import KernelMap
from demandos.metrics.cohorts import LOOKBACK_DAYS, SALES_TOUCH_TYPES
from demandos.metrics.dimensions import KernelSpecs
from demandos.metrics.periods import Period
from demandos.store.facts import FactStore
from demandos.suggest import did_you_mean

MILESTONES = ("lead", "mql", "opportunity", "won")
LEVELS = ("person", "account")
DIMENSIONS = {
    "channel": "channel",
    "program": "program_id",
    "asset": "asset_id",
    "segment": "_segment",
    "pillar": "_pillar",
}
NONE_LABEL = "(none)"
VALUE_OF = {"opportunity": "pipeline", "won": "revenue"}
"""What a milestone's value is; lead and MQL carry none."""
_STAGE = {"lead": "lead_at", "mql": "mql_at"}


@dataclass(frozen=True)
class JourneyQuery:
    """Which journeys to read (see the module doc)."""

    period: Period
    milestone: str = "opportunity"
    level: str = "account"
    by: str = "channel"
    lookback_days: int = LOOKBACK_DAYS
    touch_types: tuple[str, ...] = ()  # only these types (empty: all)
    weights: dict[str, float] = field(default_factory=dict)  # touch type -> weight; 0 drops it

    def __post_init__(self) -> None:
        for name, value, allowed in (
            ("milestone", self.milestone, MILESTONES),
            ("level", self.level, LEVELS),
            ("by", self.by, tuple(DIMENSIONS)),
        ):
            if value not in allowed:
                hint = did_you_mean(value, allowed) or f"use one of {', '.join(allowed)}"
                raise AttributionError(f"--{name} {value!r} is not one of {allowed}", hint=hint)
        if self.level == "person" and self.milestone in ("opportunity", "won"):
            raise AttributionError(
                f"{self.milestone} journeys are account journeys: opportunities belong to "
                "accounts, not to one person",
                hint="use --level account (the buying committee's touches)",
            )
        if self.lookback_days < 1:
            raise AttributionError(
                f"lookback of {self.lookback_days} days", hint="use a lookback of 1 day or more"
            )
        for t, w in self.weights.items():
            if w < 0:
                raise AttributionError(f"touch type {t!r} has weight {w}", hint="use 0 or more")


@dataclass(frozen=True, eq=False)
class ReadJourneys:
    """Journeys with what they leave out: conversions in the period without a touch in their
    window (unattributed) and their value."""

    journeys: Journeys
    conversions: float  # every conversion in the period, attributed or not
    value: float
    unattributed: float
    unattributed_value: float
    influenced: FloatArray | None = None  # won: revenue influenced and sourced per member
    sourced: FloatArray | None = None


def _days(n: int) -> Any:
    return ibis.interval(days=n)


_EVENT_TYPES = {
    "_q": "int64",
    "_key": "string",
    "_event": "string",
    "_start": "timestamp",
    "_end": "timestamp",
    "_conv": "int64",
    "_value": "float64",
    "_lead": "timestamp",
    "_opp": "timestamp",
}


def _typed(t: Any) -> Any:
    """One schema for every kind of journey, so they stack."""
    return t.select(**{c: t[c].cast(typ) for c, typ in _EVENT_TYPES.items()})


def _events(facts: FactStore, q: JourneyQuery, periods: Any) -> Any:
    conv, rest = _events_raw(facts, q, periods)
    return _typed(conv), _typed(rest)


def _periods(queries: Sequence[JourneyQuery]) -> Any:
    """``_q, _ps, _pe``: each query's index and its period's start and end, as a table the
    events join, so that the events of any number of periods are one query of one size."""
    return ibis.memtable(
        {
            "_q": list(range(len(queries))),
            "_ps": [datetime.combine(q.period.start, time()) for q in queries],
            "_pe": [datetime.combine(q.period.end, time()) for q in queries],
        },
        schema={"_q": "int64", "_ps": "timestamp", "_pe": "timestamp"},
    )


def _events_raw(facts: FactStore, q: JourneyQuery, periods: Any) -> Any:
    """``_q, _key, _event, _start, _end, _conv, _value, _lead, _opp`` per journey (converting
    and not) of each period of ``periods``; ``_lead``/``_opp`` when the lead and the opportunity
    were created (null: never)."""
    lb, pr = _days(q.lookback_days), periods
    null_ts = ibis.null("timestamp")
    p = facts.table("people")
    if q.milestone in _STAGE:
        stage = p[_STAGE[q.milestone]]
        if q.level == "person":
            ent = p.select(_key=p.person_id, _at=stage, _lead=p.lead_at)
        else:
            a = p.filter(p.account_id.notnull())
            ent = a.group_by(_key=a.account_id).aggregate(
                _at=a[_STAGE[q.milestone]].min(), _lead=a.lead_at.min()
            )
        conv = ent.join(pr, [ent._at >= pr._ps, ent._at < pr._pe])
        conv = conv.select(_q=conv._q, _key=conv._key, _event=conv._key, _start=conv._at - lb,
                           _end=conv._at, _conv=ibis.literal(1), _value=ibis.literal(0.0),
                           _lead=conv._lead, _opp=null_ts)  # fmt: skip
        rest = ent.join(pr, [ent._at.isnull() | (ent._at >= pr._pe)])
        rest = rest.select(_q=rest._q, _key=rest._key, _event=rest._key, _start=rest._pe - lb,
                           _end=rest._pe, _conv=ibis.literal(0), _value=ibis.literal(0.0),
                           _lead=rest._lead, _opp=null_ts)  # fmt: skip
        return conv, rest
    a = p.filter(p.account_id.notnull())
    leads = a.group_by(_lk=a.account_id).aggregate(_lead=a.lead_at.min())
    o = facts.table("opportunities")
    o = o.filter(o.account_id.notnull())
    o = o.left_join(leads, o.account_id == leads._lk)
    o = o.mutate(_amount=o.amount.fill_null(0.0).cast("float64"),
                 _closed=o.close_date.cast("timestamp"))  # fmt: skip
    if q.milestone == "opportunity":
        conv = o.join(pr, [o.created_at >= pr._ps, o.created_at < pr._pe])
        conv = conv.select(_q=conv._q, _key=conv.account_id, _event=conv.opp_id,
                           _start=conv.created_at - lb, _end=conv.created_at, _conv=ibis.literal(1),
                           _value=conv._amount, _lead=conv._lead,
                           _opp=conv.created_at)  # fmt: skip
        t = facts.table("touchpoints")
        t = t.filter(t.account_id.notnull())
        touched = t.join(pr, [t.ts >= pr._pe - lb, t.ts < pr._pe])
        touched = touched.select(_q=touched._q, _key=touched.account_id, _pe=touched._pe)
        touched = touched.distinct()
        created = conv.select(_cq=conv._q, _ck=conv._key)
        touched = touched.anti_join(
            created, [touched._q == created._cq, touched._key == created._ck]
        )
        touched = touched.left_join(leads, touched._key == leads._lk)
        rest = touched.select(_q=touched._q, _key=touched._key, _event=touched._key,
                              _start=touched._pe - lb, _end=touched._pe, _conv=ibis.literal(0),
                              _value=ibis.literal(0.0), _lead=touched._lead,
                              _opp=null_ts)  # fmt: skip
        return conv, rest
    closed = o.filter(o.is_closed, o.close_date.notnull())
    deals = closed.join(pr, [closed._closed >= pr._ps, closed._closed < pr._pe])
    deals = deals.mutate(_w=deals.is_won.ifelse(1, 0))  # PostgreSQL casts no bool
    deals = deals.select(_q=deals._q, _key=deals.account_id, _event=deals.opp_id,
                         _start=deals.created_at - lb, _end=deals._closed + _days(1),
                         _conv=deals._w, _value=deals.is_won.ifelse(deals._amount, 0.0),
                         _lead=deals._lead, _opp=deals.created_at)  # fmt: skip
    return deals.filter(deals._conv == 1), deals.filter(deals._conv == 0)


def _touches(facts: FactStore, specs: KernelSpecs | None, q: JourneyQuery) -> Any:
    t = facts.table("touchpoints")
    if q.by in ("segment", "pillar"):
        if specs is None:
            raise AttributionError(f"journeys by {q.by} need the workspace's kernel")
        kernel = KernelMap(specs.kernel, specs.channels, facts.table)
        t = kernel.add("touchpoints", t, (q.by,))
    if q.level == "person":
        key = t.person_id
    else:
        people = facts.table("people").select(_pp=ibis._.person_id, _pa=ibis._.account_id)
        t = t.left_join(people, t.person_id == people._pp)
        key = ibis.coalesce(t.account_id, t._pa)
    if q.touch_types:
        t = t.filter(t.touch_type.isin(q.touch_types))
    dropped = [k for k, w in q.weights.items() if w == 0]
    if dropped:
        t = t.filter(~t.touch_type.isin(dropped))
    return t.select(_tkey=key, _ts=t.ts, _tid=t.touch_id, _type=t.touch_type,
                    _member=t[DIMENSIONS[q.by]].cast("string"))  # fmt: skip


def _check_types(facts: FactStore, q: JourneyQuery) -> None:
    named = set(q.touch_types) | set(q.weights)
    if not named:
        return
    t = facts.table("touchpoints")
    known = set(t.select(t.touch_type).distinct().to_pyarrow().column(0).to_pylist())
    for name in sorted(named - known):
        hint = did_you_mean(name, known) or f"touch types in the data: {', '.join(sorted(known))}"
        raise AttributionError(f"touch type {name!r} is in no touchpoint", hint=hint)


def _journey_rows(events: Any, touches: Any) -> Any:
    j = events.join(touches, events._key == touches._tkey)
    j = j.filter(j._ts >= j._start, j._ts < j._end)
    age = (j._end.epoch_seconds() - j._ts.epoch_seconds()) / 86400.0
    return j.select(
        _event=j._event.cast("string"), _conv=j._conv, _value=j._value, _ts=j._ts, _tid=j._tid,
        _member=j._member, _type=j._type, _age=age,
        _lead_key=j._lead.notnull() & (j._ts <= j._lead),
        _opp_key=j._opp.notnull() & (j._ts < j._opp), _q=j._q,
    ).order_by("_q", "_conv", "_event", "_ts", "_tid")  # fmt: skip


def read_journeys(
    facts: FactStore, specs: KernelSpecs | None, q: JourneyQuery, *, nulls: bool = True
) -> ReadJourneys:
    """The journeys of ``q`` (see the module doc), non-converting ones only with ``nulls``."""
    return read_many(facts, specs, [q], nulls=nulls)[0]


def read_many(
    facts: FactStore, specs: KernelSpecs | None, queries: Sequence[JourneyQuery], *,
    nulls: bool = True,
) -> list[ReadJourneys]:  # fmt: skip
    """The journeys of several queries that differ in their period only, read with one query
    (the metrics engine asks for a metric's periods together)."""
    first = queries[0]
    if any(replace(q, period=first.period) != first for q in queries):
        raise ValueError("read_many reads queries that differ in their period only")
    _check_types(facts, first)
    conv, rest = _events(facts, first, _periods(queries))
    touches = _touches(facts, specs, first)
    events = conv.union(rest) if nulls else conv
    rows: pa.Table = _journey_rows(events, touches).to_pyarrow()
    totals = conv.group_by(conv._q).aggregate(
        n=conv._conv.count(), v=conv._value.sum()
    ).to_pyarrow().to_pylist()  # fmt: skip
    by_query = {t["_q"]: (float(t["n"] or 0), float(t["v"] or 0.0)) for t in totals}
    index = rows.column("_q").to_numpy(zero_copy_only=False) if rows.num_rows else np.zeros(0)
    bounds = np.searchsorted(index, np.arange(len(queries) + 1))
    out = []
    for i, q in enumerate(queries):
        part = rows.slice(int(bounds[i]), int(bounds[i + 1] - bounds[i]))
        n_conv, v_conv = by_query.get(i, (0.0, 0.0))
        journeys = _to_journeys(part, q)
        influenced, sourced = _influence(part, journeys) if q.milestone == "won" else (None, None)
        out.append(ReadJourneys(
            journeys, n_conv, v_conv,
            unattributed=n_conv - journeys.total_conversions,
            unattributed_value=v_conv - journeys.total_value,
            influenced=influenced, sourced=sourced,
        ))  # fmt: skip
    return out


def _influence(rows: pa.Table, j: Journeys) -> tuple[FloatArray, FloatArray]:
    """Revenue influenced and sourced per member, as DESIGN defines them (and the metrics engine
    computes them by channel, ``metrics/cohorts.py``): a won deal's amount goes to every member
    with a demand touch in the lookback window before the deal was created (influenced), and to
    the member of the first demand touch in that window when no touch came before it (sourced).
    """
    m = len(j.labels)
    jid = j.journey_of_touch
    before = j.opp_key if j.opp_key is not None else np.zeros(j.touches, dtype=bool)
    before = before & (j.conv[jid] > 0)
    demand = ~pc.is_in(rows.column("_type"), pa.array(SALES_TOUCH_TYPES)).to_numpy(
        zero_copy_only=False
    )
    pairs = np.unique(jid[before & demand] * m + j.member[before & demand])
    influenced = np.bincount(pairs % m, weights=j.value[pairs // m], minlength=m)
    idx = np.flatnonzero(before)
    first = np.full(len(j), -1, dtype=np.int64)
    first[jid[idx][::-1]] = idx[::-1]  # each journey's first touch before the deal
    didx = np.flatnonzero(before & demand)
    first_demand = np.full(len(j), -1, dtype=np.int64)
    first_demand[jid[didx][::-1]] = didx[::-1]
    ts = rows.column("_ts").cast(pa.int64()).to_numpy(zero_copy_only=False)
    ok = (first_demand >= 0) & (first >= 0)
    ok[ok] = ts[first_demand[ok]] == ts[first[ok]]
    sourced = np.bincount(j.member[first_demand[ok]], weights=j.value[ok], minlength=m)
    return influenced.astype(np.float64), sourced.astype(np.float64)


def _to_journeys(rows: pa.Table, q: JourneyQuery) -> Journeys:
    member = pc.fill_null(rows.column("_member"), NONE_LABEL).combine_chunks()
    encoded = pc.dictionary_encode(member)
    labels_raw = encoded.dictionary.to_pylist()
    order = sorted(range(len(labels_raw)), key=lambda i: labels_raw[i])
    remap = np.empty(len(order), dtype=np.int64)
    remap[order] = np.arange(len(order))
    member_idx = remap[encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)]
    events = rows.column("_event").to_numpy(zero_copy_only=False)
    conv_flag = rows.column("_conv").to_numpy(zero_copy_only=False)
    n = events.size
    starts = np.flatnonzero(
        np.r_[True, (events[1:] != events[:-1]) | (conv_flag[1:] != conv_flag[:-1])]
    ) if n else np.zeros(0, dtype=np.int64)  # fmt: skip
    offsets = np.append(starts, n).astype(np.int64)
    conv = conv_flag[starts].astype(np.float64)
    value = rows.column("_value").to_numpy(zero_copy_only=False)[starts].astype(np.float64)
    weight = None
    if q.weights and n:  # one lookup per distinct touch type, not per touch
        kinds = pc.dictionary_encode(rows.column("_type").combine_chunks())
        per_kind = np.array([q.weights.get(k, 1.0) for k in kinds.dictionary.to_pylist()])
        weight = per_kind[kinds.indices.to_numpy(zero_copy_only=False)].astype(np.float64)
    return Journeys(
        offsets, member_idx, conv, 1.0 - conv, value, tuple(labels_raw[i] for i in order),
        age_days=rows.column("_age").to_numpy(zero_copy_only=False).astype(np.float64),
        lead_key=rows.column("_lead_key").to_numpy(zero_copy_only=False).astype(bool),
        opp_key=rows.column("_opp_key").to_numpy(zero_copy_only=False).astype(bool),
        weight=weight,
    )  # fmt: skip
