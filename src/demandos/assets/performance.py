"""Asset performance: what each asset, each derivatives family and each type or pillar did in a
period, whether it keeps working, and how much of the period's pipeline old assets carry.

    report = performance(ws.facts, "2026-Q3")          # default: the last full quarter
    report.rows                                         # one per asset, then one per family
    performance(ws.facts, "2026-Q3", by="type").rows    # one per asset type instead

For a row (one asset, or a group of assets) and a period ``[start, end)``:

- **touches**: touchpoints on the row's assets in the period (every touch type);
- **people** and **accounts reached**: distinct ``person_id`` and ``account_id`` of those touches;
- **pipeline influenced**: amount of the opportunities *created* in the period whose account had
  a demand touch on one of the row's assets in the ``LOOKBACK_DAYS`` (90) before creation — the
  rule of revenue influenced (``metrics.cohorts``) applied to pipeline created; a demand touch is
  any touch whose type is not in ``SALES_TOUCH_TYPES``. An opportunity counts once per row, and
  in every row that influenced it: influence does not add up across rows;
- **pipeline sourced**: amount of those opportunities whose *first* touch in the lookback window
  (every touch on the account; at equal times a demand touch first, then by ``touch_id``) was a
  demand touch on one of the row's assets. Each opportunity is sourced by one asset at most, so
  sourced adds up across assets;
- **influence half-life** (days): every opportunity the row influenced from the first
  publication up to the period's end, each at the age its oldest influencing asset of the row had
  when the opportunity was created (whole days from ``published_at``); taken in order of that
  age, the half-life is the age at which the cumulative influenced amount first reaches half of
  the total — the amount-weighted (lower) median age. Over ``DURABLE_DAYS`` (90) the row is
  **durable**: half its pipeline came after its first quarter; otherwise **disposable**. Without
  a published date or influenced pipeline it is unknown;
- **compounding** (one number for the period): the share of pipeline created in the period that
  had a touch, in the 90 days before the opportunity, on an asset published over 90 days before
  that touch. ``metrics.health`` owns this measure (``durable_asset_share``); this module reads
  it from there, over the period instead of health's 13 weeks.

A family is an original asset and every derivative below it (``Library.family``); a family row
is written for every asset with at least one derivative.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time
from typing import Any, Literal

import ibis

from demandos.assets.library import Asset, Library, load_library
from demandos.metrics.cohorts import LOOKBACK_DAYS, SALES_TOUCH_TYPES
from demandos.metrics.components import in_period
from demandos.metrics.health import ASSET_AGE_DAYS, influence
from demandos.metrics.periods import Period, current_period, parse_period
from demandos.store.facts import FactStore

DURABLE_DAYS = 90
"""An asset whose influence half-life is over this many days is durable."""

By = Literal["type", "pillar"]
Kind = Literal["asset", "family", "type", "pillar"]
NONE = "(none)"
"""The group of assets without a type or pillar."""


def last_full_quarter(today: date, *, fiscal_year_start_month: int = 1) -> Period:
    """The last calendar quarter that ended on or before ``today``."""
    quarter = current_period("quarter", today, fiscal_year_start_month=fiscal_year_start_month)
    return quarter.previous()


@dataclass(frozen=True)
class Row:
    """The performance of one asset or one group of assets in the period."""

    kind: Kind
    key: str  # asset id, family root id, type or pillar
    title: str
    assets: int
    touches: int
    people: int
    accounts: int
    pipeline_influenced: float
    opportunities_influenced: int
    pipeline_sourced: float
    opportunities_sourced: int
    half_life_days: int | None
    durability: Literal["durable", "disposable", "unknown"]
    type: str | None = None
    pillar: str | None = None
    status: str | None = None
    published_at: datetime | None = None
    parent_asset_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["published_at"] = self.published_at.isoformat() if self.published_at else None
        return out


@dataclass(frozen=True)
class Compounding:
    """Share of the period's pipeline influenced by assets over ``ASSET_AGE_DAYS`` old."""

    pipeline: float
    durable_pipeline: float

    @property
    def share(self) -> float | None:
        return self.durable_pipeline / self.pipeline if self.pipeline > 0 else None


@dataclass
class AssetPerformance:
    """Asset performance of one period (see the module doc for every number)."""

    period: str
    start: date
    end: date  # exclusive
    by: By | None
    rows: list[Row]
    compounding: Compounding
    unlisted_touches: int  # touches in the period on asset ids the library does not hold
    partial: str | None = None  # why the period is not over yet
    columns: tuple[str, ...] = field(default=(
        "kind", "key", "title", "type", "pillar", "status", "published_at", "parent_asset_id",
        "assets", "touches", "people", "accounts", "pipeline_influenced",
        "opportunities_influenced", "pipeline_sourced", "opportunities_sourced",
        "half_life_days", "durability",
    ))  # fmt: skip

    def get(self, key: str, kind: Kind | None = None) -> Row:
        for row in self.rows:
            if row.key == key and (kind is None or row.kind == kind):
                return row
        raise KeyError(key)

    def as_dict(self) -> dict[str, Any]:
        return {
            "period": self.period, "start": self.start.isoformat(),
            "end": self.end.isoformat(), "by": self.by, "partial": self.partial,
            "compounding": {"pipeline": self.compounding.pipeline,
                            "durable_pipeline": self.compounding.durable_pipeline,
                            "share": self.compounding.share},
            "unlisted_touches": self.unlisted_touches,
            "rows": [r.as_dict() for r in self.rows],
        }  # fmt: skip

    def to_csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(self.columns), lineterminator="\n")
        writer.writeheader()
        for row in self.rows:
            d = row.as_dict()
            writer.writerow({c: "" if d[c] is None else d[c] for c in self.columns})
        return buffer.getvalue()


# -- reading the facts -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Touch:
    ts: datetime
    touch_id: str
    asset_id: str | None
    demand: bool


@dataclass
class _Opp:
    opp_id: str
    created_at: datetime
    amount: float
    touches: list[_Touch] = field(default_factory=list)


def _opportunity_touches(facts: FactStore, before: date, since: date | None,
                         assets_only: bool) -> dict[str, _Opp]:  # fmt: skip
    """Opportunities created in ``[since, before)`` (any time before ``before`` without
    ``since``) and the touches on their account in the lookback window before each."""
    o = facts.table("opportunities")
    o = o.filter(o.account_id.notnull())
    if since is not None:
        o = o.filter(in_period(o.created_at, "timestamp", since, before))
    else:
        o = o.filter(o.created_at < ibis.literal(datetime.combine(before, time()), "timestamp"))
    o = o.select(o.opp_id, o.account_id, o.created_at, amount=o.amount.fill_null(0.0))
    t = facts.table("touchpoints")
    t = t.filter(t.account_id.notnull())
    if assets_only:
        t = t.filter(t.asset_id.notnull(), ~t.touch_type.isin(SALES_TOUCH_TYPES))
    t = t.select(_acct=t.account_id, _ts=t.ts, _tid=t.touch_id, _asset=t.asset_id,
                 _demand=~t.touch_type.isin(SALES_TOUCH_TYPES).fill_null(False))  # fmt: skip
    lookback = ibis.interval(days=LOOKBACK_DAYS)
    j = o.join(t, [o.account_id == t._acct, t._ts < o.created_at,
                   t._ts >= o.created_at - lookback])  # fmt: skip
    j = j.select(j.opp_id, j.created_at, j.amount, j._ts, j._tid, j._asset, j._demand)
    opps: dict[str, _Opp] = {}
    for r in j.to_pyarrow().to_pylist():
        opp = opps.setdefault(r["opp_id"], _Opp(r["opp_id"], r["created_at"], float(r["amount"])))
        opp.touches.append(_Touch(r["_ts"], str(r["_tid"]), r["_asset"], bool(r["_demand"])))
    return opps


def _period_touches(facts: FactStore, start: date, end: date) -> list[dict[str, Any]]:
    t = facts.table("touchpoints")
    t = t.filter(t.asset_id.notnull(), in_period(t.ts, "timestamp", start, end))
    rows: list[dict[str, Any]] = (
        t.select(t.asset_id, t.person_id, t.account_id).to_pyarrow().to_pylist()
    )
    return rows


def _first_touch(opp: _Opp) -> _Touch:
    return min(opp.touches, key=lambda x: (x.ts, not x.demand, x.touch_id))


# -- measuring a row -------------------------------------------------------------------------


def weighted_half_life(points: Iterable[tuple[int, float]]) -> int | None:
    """The smallest age at which the cumulative amount of ``(age, amount)`` points, taken in
    order of age, reaches half of the total (None when the total is not positive)."""
    ordered = sorted(points)
    total = math.fsum(a for _, a in ordered)
    if total <= 0:
        return None
    running = 0.0
    for age, amount in ordered:
        running += amount
        if running >= total / 2:
            return age
    return ordered[-1][0]  # pragma: no cover - rounding; the loop returns before


def _durability(half_life: int | None) -> Literal["durable", "disposable", "unknown"]:
    if half_life is None:
        return "unknown"
    return "durable" if half_life > DURABLE_DAYS else "disposable"


@dataclass(frozen=True)
class _Facts:
    period_opps: Mapping[str, _Opp]
    lifetime_opps: Mapping[str, _Opp]
    touches: Sequence[Mapping[str, Any]]


def _measure(kind: Kind, key: str, title: str, members: Sequence[Asset], data: _Facts,
             **extra: Any) -> Row:  # fmt: skip
    ids = {a.asset_id for a in members}
    touches = [t for t in data.touches if t["asset_id"] in ids]
    influenced = [
        o for o in data.period_opps.values()
        if any(t.demand and t.asset_id in ids for t in o.touches)
    ]  # fmt: skip
    sourced = []
    for o in data.period_opps.values():
        first = _first_touch(o)
        if first.demand and first.asset_id in ids:
            sourced.append(o)
    published = {a.asset_id: a.published_at for a in members if a.published_at is not None}
    points = []
    for o in data.lifetime_opps.values():
        dates = [published[t.asset_id] for t in o.touches if t.asset_id in published]
        if dates:
            points.append(((o.created_at.date() - min(dates).date()).days, o.amount))
    half = weighted_half_life(points)
    return Row(
        kind=kind, key=key, title=title, assets=len(members), touches=len(touches),
        people=len({t["person_id"] for t in touches if t["person_id"] is not None}),
        accounts=len({t["account_id"] for t in touches if t["account_id"] is not None}),
        pipeline_influenced=math.fsum(o.amount for o in influenced),
        opportunities_influenced=len(influenced),
        pipeline_sourced=math.fsum(o.amount for o in sourced),
        opportunities_sourced=len(sourced), half_life_days=half, durability=_durability(half),
        **extra,
    )  # fmt: skip


def performance(
    facts: FactStore,
    period: str | None = None,
    *,
    by: By | None = None,
    today: date | None = None,
    fiscal_year_start_month: int = 1,
    library: Library | None = None,
) -> AssetPerformance:
    """Asset performance over ``period`` (default: the last full quarter before ``today``)."""
    today = today or date.today()
    when = (
        parse_period(period, fiscal_year_start_month=fiscal_year_start_month)
        if period
        else last_full_quarter(today, fiscal_year_start_month=fiscal_year_start_month)
    )
    library = library if library is not None else load_library(facts)
    data = _Facts(
        _opportunity_touches(facts, when.end, when.start, assets_only=False),
        _opportunity_touches(facts, when.end, None, assets_only=True),
        _period_touches(facts, when.start, when.end),
    )
    rows: list[Row] = []
    if by is None:
        for a in library:
            rows.append(_measure("asset", a.asset_id, a.title, [a], data, type=a.type,
                                 pillar=a.pillar, status=a.status, published_at=a.published_at,
                                 parent_asset_id=a.parent_asset_id))  # fmt: skip
        for a in library:
            family = library.family(a.asset_id)
            if len(family) > 1:
                members = [library.assets[k] for k in family]
                title = f"{a.title} + {len(family) - 1} derivative{'s' * (len(family) > 2)}"
                rows.append(_measure("family", a.asset_id, title, members, data, type=a.type,
                                     pillar=a.pillar, status=a.status,
                                     published_at=a.published_at))  # fmt: skip
    else:
        groups: dict[str, list[Asset]] = {}
        for a in library:
            groups.setdefault(getattr(a, by) or NONE, []).append(a)
        for name in sorted(groups):
            rows.append(_measure(by, name, name, groups[name], data))
    found = influence(facts, when.start, when.end, owned_channels=(),
                      lookback_days=LOOKBACK_DAYS, asset_age_days=ASSET_AGE_DAYS)  # fmt: skip
    unlisted = sum(1 for t in data.touches if t["asset_id"] not in library.assets)
    return AssetPerformance(
        when.label, when.start, when.end, by, rows, Compounding(found.total, found.durable),
        unlisted, when.partial_reason(today),
    )  # fmt: skip
