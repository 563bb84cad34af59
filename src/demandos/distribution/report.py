"""The distribution report: owned audiences, rented versus owned pipeline, program health,
launches' conformance and the campaigns that left nothing behind, for one period.

    report = distribution_report(ws, "2026-Q3")      # default: the last full quarter

- **Owned audiences**: per owned channel of channels.yaml, its audience at the start and the
  end of the period and the growth, read by the metrics engine's own components
  (``audience_start``, ``audience_end``) and ``owned_audience_growth``'s formula: a channel's
  size at a moment is its last reading before it; a channel first read during the period has
  no start, so no growth.
- **Pipeline by channel type**: pipeline created in the period per channel as the metrics
  engine maps it (``ChannelView``: the CRM's source through the channels' ``sources``), summed
  by the channel's type (owned, earned, paid = rented); a source no channel claims is
  ``unmapped``. Shares are of all pipeline created.
- **Program health**: per program of channels.yaml (and any program id found in the data), its
  cost, the pipeline credited to it by last touch (``distribution.programs``), DER = pipeline ÷
  cost, and the same for the period before. Cost is its spend in the period; a program without
  spend costs its ``monthly_budget`` pro rata over the days it ran (``planned_spend``); with
  neither, its cost is unknown and so is its DER.
- **Launches**: a launch is an application on the system. It conforms when it reuses the kernel
  (maps to segments and pillars), produces assets that outlive it (an asset its touches used
  since its start is touched in the period by another program, or by a touch without one) and
  hands its audience to an always-on program (``hands_to``). ``reached`` and ``handed`` count the
  people its touches reached since its start and those of them the always-on program touched
  after the launch first did, up to the period's end.
- **Starting from scratch**: the campaigns and launches that ended in the year before the
  period's end and left no asset in use and no audience (``distribution.legacy``, the same
  computation as the systems audit's failure mode).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, Literal

import ibis

from demandos.distribution.legacy import Scratch, legacies
from demandos.distribution.programs import Economics, planned_spend, program_totals
from demandos.metrics.catalog import BUILTINS, COMPONENTS
from demandos.metrics.components import fetch_many, in_period
from demandos.metrics.dimensions import for_dimension
from demandos.metrics.periods import Period, current_period, parse_period
from demandos.spec.channels import Program
from demandos.workspace import Workspace

ChannelType = Literal["owned", "earned", "paid", "unmapped"]
TYPES: tuple[ChannelType, ...] = ("owned", "earned", "paid", "unmapped")


@dataclass(frozen=True)
class OwnedAudience:
    """One owned channel's audience over the period."""

    channel: str
    name: str
    start: float | None  # None: no reading before the period started
    end: float | None
    growth: float | None  # (end - start) ÷ start
    reason: str | None  # why there is no growth


@dataclass(frozen=True)
class PipelineShare:
    """Pipeline created in the period on one type of channel."""

    type: ChannelType
    pipeline: float
    share: float | None  # of all pipeline created; None when there is none
    channels: dict[str, float] = field(default_factory=dict)  # member: pipeline


@dataclass(frozen=True)
class ProgramHealth:
    """One program's cost, pipeline and DER in the period and the period before."""

    program: str
    name: str
    kind: str | None  # None: a program id in the data that channels.yaml does not define
    channel: str | None
    channel_type: str | None
    spend: float
    cost: float | None
    cost_from: Literal["spend", "budget"] | None
    leads: float
    opps: float
    pipeline: float
    der: float | None
    previous_cost: float | None
    previous_pipeline: float
    previous_der: float | None

    @property
    def der_change(self) -> float | None:
        if self.der is None or self.previous_der is None:
            return None
        return self.der - self.previous_der

    @property
    def trend(self) -> Literal["up", "down", "flat"] | None:
        """DER against the period before."""
        change = self.der_change
        if change is None:
            return None
        return "up" if change > 0 else "down" if change < 0 else "flat"


@dataclass(frozen=True)
class LaunchConformance:
    """Whether a launch runs as an application on the system."""

    program: str
    name: str
    segments: tuple[str, ...]
    pillars: tuple[str, ...]
    assets: int  # assets its touches used since its start
    assets_in_use: int  # of those, touched in the period by another program or none
    hands_to: str | None
    hands_to_always_on: bool
    reached: int  # people its touches reached since its start
    handed: int  # of those, touched by ``hands_to`` after the launch first touched them

    @property
    def reuses_kernel(self) -> bool:
        return bool(self.segments) and bool(self.pillars)

    @property
    def assets_outlive(self) -> bool:
        return self.assets_in_use > 0

    @property
    def hands_off(self) -> bool:
        return self.hands_to is not None and self.hands_to_always_on

    @property
    def conforms(self) -> bool:
        return self.reuses_kernel and self.assets_outlive and self.hands_off

    def gaps(self) -> list[str]:
        out = []
        if not self.reuses_kernel:
            out.append("maps to no ICP segment or no message pillar")
        if not self.assets_outlive:
            out.append("no asset it used is in use by another program")
        if not self.hands_off:
            out.append("hands its audience to no always-on program")
        return out


@dataclass(frozen=True)
class DistributionReport:
    workspace: str
    currency: str
    period: str
    start: date
    end: date  # exclusive
    previous: str
    audiences: list[OwnedAudience]
    shares: list[PipelineShare]
    programs: list[ProgramHealth]
    unattributed: Economics  # leads and opportunities no program's touch precedes
    launches: list[LaunchConformance]
    scratch: Scratch

    @property
    def pipeline(self) -> float:
        return sum(s.pipeline for s in self.shares)

    def share(self, kind: ChannelType) -> PipelineShare:
        return next(s for s in self.shares if s.type == kind)

    def as_dict(self) -> dict[str, Any]:
        def program(p: ProgramHealth) -> dict[str, Any]:
            return {**asdict(p), "der_change": p.der_change, "trend": p.trend}

        def launch(c: LaunchConformance) -> dict[str, Any]:
            return {**asdict(c), "reuses_kernel": c.reuses_kernel, "conforms": c.conforms,
                    "gaps": c.gaps()}  # fmt: skip

        return {
            "workspace": self.workspace,
            "currency": self.currency,
            "period": self.period,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "previous": self.previous,
            "owned_audiences": [asdict(a) for a in self.audiences],
            "pipeline": self.pipeline,
            "pipeline_by_type": [asdict(s) for s in self.shares],
            "programs": [program(p) for p in self.programs],
            "unattributed": asdict(self.unattributed),
            "launches": [launch(c) for c in self.launches],
            "ended": [{**asdict(e), "from_scratch": e.from_scratch} for e in self.scratch.ended],
            "from_scratch": [e.program for e in self.scratch.from_scratch],
        }


def default_period(ws: Workspace, today: date) -> Period:
    """The last full quarter before ``today``."""
    fy = ws.specs.workspace.fiscal_year_start_month
    return current_period("quarter", today, fiscal_year_start_month=fy).previous()


def distribution_report(
    ws: Workspace, period: str | None = None, *, today: date | None = None
) -> DistributionReport:
    """Distribution for ``period`` (default: the last full quarter before ``today``)."""
    fy = ws.specs.workspace.fiscal_year_start_month
    p = (
        parse_period(period, fiscal_year_start_month=fy)
        if period
        else default_period(ws, today or date.today())
    )
    before = p.previous()
    return DistributionReport(
        ws.specs.workspace.name, ws.specs.workspace.currency, p.label, p.start, p.end,
        before.label, owned_audiences(ws, p), pipeline_shares(ws, p), program_health(ws, p, before),
        program_totals(ws.facts, p).get(None, Economics()), launches(ws, p),
        legacies(ws.specs.channels, ws.facts, p.end),
    )  # fmt: skip


def owned_audiences(ws: Workspace, period: Period) -> list[OwnedAudience]:
    """Each owned channel's audience at the start and end of ``period``, and its growth."""
    comps = [COMPONENTS["audience_start"], COMPONENTS["audience_end"]]
    read = fetch_many(ws.facts, comps, [period], "channel")
    first = _first_readings(ws)
    growth = BUILTINS["owned_audience_growth"].combine
    out = []
    for c in ws.specs.channels.channels:
        if c.type != "owned":
            continue
        known = c.id in first and first[c.id] < period.start
        start = read["audience_start"].get(c.id, [None])[0] if known else None
        end = read["audience_end"].get(c.id, [None])[0] if known else None
        value, reason = growth({"audience_start": start, "audience_end": end})
        if c.id not in first:
            reason = "no audience size recorded for the channel"
        out.append(OwnedAudience(c.id, c.name, start, end, value, reason))
    return out


def _first_readings(ws: Workspace) -> dict[str, date]:
    t = ws.facts.table("audiences")
    rows = t.group_by(t.channel).aggregate(first=t.date.min()).to_pyarrow().to_pylist()
    return {r["channel"]: r["first"] for r in rows}


def pipeline_shares(ws: Workspace, period: Period) -> list[PipelineShare]:
    """Pipeline created in ``period`` by channel type, as the metrics engine maps channels."""
    view = for_dimension(ws.facts, ws.specs, "channel")
    series = fetch_many(view, [COMPONENTS["pipeline"]], [period], "channel")["pipeline"]
    types = {c.id: c.type for c in ws.specs.channels.channels}
    by_type: dict[ChannelType, dict[str, float]] = {t: {} for t in TYPES}
    for member, values in series.items():
        amount = float(values[0] or 0.0)
        if member is None or not amount:
            continue
        kind: ChannelType = types.get(member, "unmapped")
        by_type[kind][member] = by_type[kind].get(member, 0.0) + amount
    total = sum(sum(v.values()) for v in by_type.values())
    return [
        PipelineShare(t, sum(by_type[t].values()), sum(by_type[t].values()) / total if total
                      else None, dict(sorted(by_type[t].items())))
        for t in TYPES
    ]  # fmt: skip


def _cost(program: Program | None, spent: Economics, period: Period) -> tuple[
    float | None, Literal["spend", "budget"] | None
]:  # fmt: skip
    if spent.spend:
        return spent.spend, "spend"
    budget = planned_spend(program, period.start, period.end) if program else None
    return (float(budget), "budget") if budget is not None else (None, None)


def _der(pipeline: float, cost: float | None) -> float | None:
    return pipeline / cost if cost else None


def program_health(ws: Workspace, period: Period, before: Period) -> list[ProgramHealth]:
    """Each program's cost, credited pipeline and DER in ``period`` and ``before``."""
    now, then = program_totals(ws.facts, period), program_totals(ws.facts, before)
    specs = {p.id: p for p in ws.specs.channels.programs}
    types = {c.id: c.type for c in ws.specs.channels.channels}
    ids = list(specs) + sorted({k for k in (*now, *then) if k is not None and k not in specs})
    out = []
    for pid in ids:
        program = specs.get(pid)
        e, b = now.get(pid, Economics()), then.get(pid, Economics())
        cost, source = _cost(program, e, period)
        prev_cost, _ = _cost(program, b, before)
        out.append(ProgramHealth(
            pid, program.name if program else pid, program.kind if program else None,
            program.channel if program else None,
            types.get(program.channel) if program else None,
            e.spend, cost, source, e.leads, e.opps, e.pipeline, _der(e.pipeline, cost),
            prev_cost, b.pipeline, _der(b.pipeline, prev_cost),
        ))  # fmt: skip
    return out


def launches(ws: Workspace, period: Period) -> list[LaunchConformance]:
    """Each launch begun before the period's end, against what a launch must do."""
    kinds: dict[str, str] = {p.id: p.kind for p in ws.specs.channels.programs}
    out = []
    for program in ws.specs.channels.programs:
        if program.kind != "launch" or program.start is None or program.start >= period.end:
            continue
        out.append(_launch(ws, program, period, kinds))
    return out


def _launch(
    ws: Workspace, program: Program, period: Period, kinds: dict[str, str]
) -> LaunchConformance:
    assert program.start is not None
    t = ws.facts.table("touchpoints")
    ran = t.filter(t.program_id == program.id, in_period(t.ts, "timestamp", program.start,
                                                         period.end))  # fmt: skip
    assets = ran.filter(ran.asset_id.notnull()).select("asset_id").distinct()
    during = t.filter(in_period(t.ts, "timestamp", period.start, period.end), t.asset_id.notnull())
    others = during.filter(during.program_id.isnull() | (during.program_id != program.id))
    used = others.select(used_id=others.asset_id).distinct()
    in_use = assets.join(used, assets.asset_id == used.used_id)
    people = ran.filter(ran.person_id.notnull())
    first = people.group_by(people.person_id).aggregate(first=people.ts.min())
    handed = 0
    if program.hands_to is not None:
        h = t.filter(t.program_id == program.hands_to, t.person_id.notnull(),
                     in_period(t.ts, "timestamp", program.start, period.end))  # fmt: skip
        h = h.select(h_person=h.person_id, h_ts=h.ts)
        j = first.join(h, [first.person_id == h.h_person, h.h_ts > first.first])
        handed = _count(j.select("person_id").distinct())
    return LaunchConformance(
        program.id, program.name, program.segments, program.pillars, _count(assets),
        _count(in_use), program.hands_to, kinds.get(program.hands_to or "") == "always_on",
        _count(first), handed,
    )  # fmt: skip


def _count(expr: ibis.Table) -> int:
    return int(expr.count().to_pyarrow().as_py())
