"""The systems audit: a maturity score per component and layer, and the failure modes, measured.

    report = audit(ws, "2026-Q3")
    report.scores            # metrics, cadence, roles, process, stack; kernel … feedback
    report.failure_modes     # heroic campaign, tool-first trap, vanity metrics, …
    report.fix_first()       # failed checks, heaviest first, with the fix and an owner

**The period.** The audit looks at one quarter, from its start to its end or to ``today`` when it
is not over (the demand audit meets in month 3 of the quarter it audits); the default is the
quarter ``today`` falls in. Rolling checks (reviews in the last 4 weeks, assets in the last 90
days, table freshness) end on the last day audited; campaign dependence is read over the 13
weeks of system health that end with it.

**The maturity score** of an area is the weighted share of its applicable checks that passed
(weights 1 hygiene, 2 important, 3 foundational; checks that do not apply leave the score), and
its level is ``floor(5 × share)``: 0 absent, 1 ad hoc, 2 emerging, 3 defined, 4 managed,
5 systematic. An area whose checks all do not apply has no score. The overall score is the same
function over every check.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from demandos.errors import DemandosError
from demandos.metrics.periods import Period, current_period, parse_period
from demandos.rollout import components, layers  # noqa: F401  (registers the checks)
from demandos.rollout.checks import (
    AREA_NAMES,
    CHECKS,
    COMPONENTS,
    LAYERS,
    AuditContext,
    Number,
    Result,
)
from demandos.rollout.failures import (
    HEROIC_AFTER,
    HEROIC_PEAK,
    HEROIC_SHARE,
    LEGACY_AUDIENCE,
    LEGACY_DAYS,
    Heroic,
    Scratch,
    heroic,
    ownership,
    scratch,
    tool_first,
    vanity,
)
from demandos.rollout.layers import Freshness, freshness

if TYPE_CHECKING:
    from demandos.intake.quarantine import Group as QuarantineGroup
    from demandos.metrics.health import HealthReport
    from demandos.metrics.table import MetricTable
    from demandos.workspace import Workspace

SCORING = "share = weighted share of applicable checks passed; level = floor(5 × share)"
LEVELS = ("absent", "ad hoc", "emerging", "defined", "managed", "systematic")
"""Maturity levels 0-5."""


@dataclass(frozen=True)
class CheckResult:
    """One check of the audit and what it found."""

    id: str
    area: str
    title: str
    weight: int
    status: str  # passed, failed, not_applicable
    evidence: str
    fix: str
    numbers: dict[str, Number]
    owner: str | None
    where: str | None  # "stack.yaml:142"

    @property
    def kind(self) -> str:
        return "component" if self.area in COMPONENTS else "layer"


@dataclass(frozen=True)
class Score:
    """The maturity of one area (or of the whole system): the weighted share passed, a level."""

    area: str
    name: str
    kind: str  # component, layer, overall
    share: float | None  # None when no check applies
    level: int | None
    passed: int
    failed: int
    not_applicable: int
    checks: tuple[str, ...]

    @property
    def level_name(self) -> str:
        return LEVELS[self.level] if self.level is not None else "not assessed"


def score(area: str, kind: str, results: Iterable[CheckResult]) -> Score:
    """The weighted share of applicable checks passed, and ``floor(5 × share)`` as the level."""
    found = list(results)
    applicable = [r for r in found if r.status != "not_applicable"]
    weight = sum(r.weight for r in applicable)
    share = sum(r.weight for r in applicable if r.status == "passed") / weight if weight else None
    level = min(5, math.floor(5 * share + 1e-9)) if share is not None else None
    return Score(
        area, AREA_NAMES.get(area, "The whole system"), kind, share, level,
        sum(r.status == "passed" for r in found), sum(r.status == "failed" for r in found),
        len(found) - len(applicable), tuple(r.id for r in found),
    )  # fmt: skip


@dataclass(frozen=True)
class FailureMode:
    """One failure mode: present or not (None: the data cannot say), its numbers, its fix."""

    id: str
    name: str
    present: bool | None
    summary: str
    details: tuple[str, ...]
    numbers: dict[str, Number]
    fix: str
    checks: tuple[str, ...]  # the checks that measure it


@dataclass(frozen=True)
class Fix:
    """A failed check to fix, with who should fix it."""

    check: CheckResult
    owner: str | None


@dataclass
class AuditReport:
    """The systems audit of one workspace for one quarter."""

    workspace: str
    period: str
    start: date
    until: date  # exclusive: the quarter's end, or the day audited when it is not over
    today: date
    currency: str
    results: list[CheckResult] = field(default_factory=list)
    scores: list[Score] = field(default_factory=list)
    overall: Score | None = None
    failure_modes: list[FailureMode] = field(default_factory=list)
    heroic: Heroic | None = None
    scratch: Scratch | None = None
    freshness: list[Freshness] = field(default_factory=list)
    quarantine: list[QuarantineGroup] = field(default_factory=list)
    owners: dict[str, str | None] = field(default_factory=dict)  # area → who answers for it
    end: date | None = None  # the quarter's end (exclusive)
    health: HealthReport | None = None  # system health over the 13 weeks ending with it
    metrics: MetricTable | None = None  # the metric tree for the quarter

    def get(self, check_id: str) -> CheckResult:
        for result in self.results:
            if result.id == check_id:
                return result
        raise KeyError(check_id)

    def score_of(self, area: str) -> Score:
        for found in self.scores:
            if found.area == area:
                return found
        raise KeyError(area)

    def failure(self, mode: str) -> FailureMode:
        for found in self.failure_modes:
            if found.id == mode:
                return found
        raise KeyError(mode)

    def fix_first(self) -> list[Fix]:
        """Failed checks, heaviest first (then components before layers, in their order), each
        with the owner the finding names, else the owner of its area."""
        order = {a: i for i, a in enumerate((*COMPONENTS, *LAYERS))}
        found = [r for r in self.results if r.status == "failed"]
        found.sort(key=lambda r: (-r.weight, order[r.area]))
        return [Fix(r, r.owner or self.owners.get(r.area)) for r in found]

    def as_dict(self) -> dict[str, Any]:
        return {
            "workspace": self.workspace,
            "period": self.period,
            "start": self.start.isoformat(),
            "until": self.until.isoformat(),
            "today": self.today.isoformat(),
            "end": self.end.isoformat() if self.end else None,
            "scoring": SCORING,
            "overall": _score_dict(self.overall) if self.overall else None,
            "scores": [_score_dict(s) for s in self.scores],
            "checks": [asdict(r) for r in self.results],
            "failure_modes": [asdict(f) for f in self.failure_modes],
            "fix_first": [
                {
                    "check": f.check.id,
                    "weight": f.check.weight,
                    "fix": f.check.fix,
                    "owner": f.owner,
                }
                for f in self.fix_first()
            ],
            "freshness": [
                {
                    **asdict(f),
                    "latest": f.latest.isoformat() if f.latest else None,
                    "stale": f.stale,
                }
                for f in self.freshness
            ],
            "quarantine": [asdict(g) for g in self.quarantine],
        }


def _score_dict(s: Score) -> dict[str, Any]:
    return {**asdict(s), "level_name": s.level_name}


def audit_quarter(ws: Workspace, period: str | None, today: date) -> Period:
    """The quarter audited: ``period`` (a quarter label), else the quarter ``today`` is in."""
    fy = ws.specs.workspace.fiscal_year_start_month
    if period is None:
        return current_period("quarter", today, fiscal_year_start_month=fy)
    found = parse_period(period, fiscal_year_start_month=fy)
    if found.grain != "quarter":
        raise DemandosError(
            f"{period!r} is a {found.grain}: the audit looks at one quarter",
            hint="pass a quarter, e.g. --period 2026-Q3",
        )
    if found.start >= today:
        raise DemandosError(
            f"{found.label} has not started on {today}: there is nothing to audit yet",
            hint="pass the current quarter or one before it",
        )
    return found


def audit(
    ws: Workspace,
    period: str | None = None,
    *,
    today: date | None = None,
    checks: Iterable[str] | None = None,
) -> AuditReport:
    """The systems audit of ``period`` (a quarter; default the current one) as of ``today``.

    ``checks`` runs only those check ids (the failure modes and scores then cover only them).
    """
    today = today or date.today()
    quarter = audit_quarter(ws, period, today)
    ctx = AuditContext(ws, quarter, today)
    chosen = list(CHECKS) if checks is None else list(checks)
    unknown = [c for c in chosen if c not in CHECKS]
    if unknown:
        raise DemandosError(f"no audit check {unknown[0]!r}", hint=f"checks: {', '.join(CHECKS)}")
    report = AuditReport(ws.specs.workspace.name, quarter.label, quarter.start, ctx.until,
                         today, ctx.currency, end=quarter.end)  # fmt: skip
    for check_id in chosen:
        spec = CHECKS[check_id]
        report.results.append(_result(spec.id, spec.area, spec.title, spec.weight, spec.run(ctx)))
    for kind, areas in (("component", COMPONENTS), ("layer", LAYERS)):
        for area in areas:
            mine = [r for r in report.results if r.area == area]
            if mine:
                report.scores.append(score(area, kind, mine))
    report.overall = score("overall", "overall", report.results)
    report.owners = area_owners(ctx)
    if checks is None:
        report.failure_modes = failure_modes(ctx)
        report.heroic, report.scratch = heroic(ctx), scratch(ctx)
        report.freshness = freshness(ctx)
        report.quarantine = ctx.quarantine
        report.health, report.metrics = ctx.health, ctx.metric_table
    return report


def _result(id: str, area: str, title: str, weight: int, r: Result) -> CheckResult:
    where = None
    if r.where is not None:
        where = r.where.file + (f":{r.where.line}" if r.where.line else "")
    return CheckResult(id, area, title, weight, r.status, r.evidence, r.fix, dict(r.numbers),
                       r.owner, where)  # fmt: skip


def area_owners(ctx: AuditContext) -> dict[str, str | None]:
    """Who answers for a finding that names no owner of its own: the north star's owner for
    metrics, roles and the kernel, assets, distribution and feedback layers; the weekly
    review's owner for cadence; the first workflow's owner for process; the CRM's owner for the
    stack; the demand audit's owner for intake (data quality). None where the spec has none."""
    s = ctx.specs
    head = ctx.north_star.owner if ctx.north_star else None
    weekly = next((r.owner for r in s.cadence.rituals if r.kind == "weekly_review"), None)
    review = next((r.owner for r in s.cadence.rituals if r.kind == "demand_audit"), None)
    workflow = next((w.owner for w in s.workflows.values()), None)
    crm = next((t.owner for t in s.stack.tools if t.category == "crm"), None)
    owners: dict[str, str | None] = dict.fromkeys((*COMPONENTS, *LAYERS), head)
    owners.update(cadence=weekly, process=workflow, stack=crm, intake=review or head)
    return {a: (o if o in ctx.people else None) for a, o in owners.items()}


def failure_modes(ctx: AuditContext) -> list[FailureMode]:
    """The five failure modes with their numbers (see ``rollout.failures``)."""
    return [_heroic_mode(ctx), _tool_mode(ctx), _vanity_mode(ctx), _owner_mode(ctx),
            _scratch_mode(ctx)]  # fmt: skip


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _heroic_mode(ctx: AuditContext) -> FailureMode:
    h = heroic(ctx)
    end = date.fromordinal(h.end.toordinal() - 1)
    numbers: dict[str, Number] = {
        "top_program": h.top_program, "top_program_share": h.top_share,
        "peak_to_median": h.peak_to_median, "peak_week": h.peak_week, "peak": h.peak,
        "median": h.median, "after_mean": h.after_mean, "drop": h.drop,
        "after_level": h.after_level,
    }  # fmt: skip
    kind = f" ({h.top_kind.replace('_', '-')})" if h.top_kind else ""
    details = [
        f"largest program: {h.top_program or '—'}{kind}, {_pct(h.top_share)} of pipeline "
        f"created (threshold {_pct(HEROIC_SHARE)})"
        if h.top_share is not None
        else f"largest program's share unknown: {h.top_reason}"
    ]
    if h.peak_to_median is not None and h.peak is not None and h.median is not None:
        details.append(
            f"best week {h.peak_week}: {h.peak:,.0f} against a median week of {h.median:,.0f} "
            f"({h.peak_to_median:.1f}×; a spike from {HEROIC_PEAK:.1f}×)"
        )
    else:
        details.append(f"peak-to-median unknown: {h.peak_reason}")
    if h.after_mean is not None:
        details.append(
            f"the {len(h.after_weeks)} weeks after it ({h.after_weeks[0]} to {h.after_weeks[-1]}) "
            f"averaged {h.after_mean:,.0f}: {_pct(h.drop)} below the peak, "
            f"{_pct(h.after_level)} of a median week (a hangover below {_pct(HEROIC_AFTER)})"
        )
    elif h.peak_week:
        details.append("no complete week after the best one yet")
    if h.present is None:
        summary = "cannot say: " + (h.top_reason or h.peak_reason or "no data")
    elif h.present:
        summary = f"the 13 weeks {h.start} to {end} depend on one program or one big week"
    else:
        summary = f"the 13 weeks {h.start} to {end} do not hang on one program or one week"
    return FailureMode("heroic_campaign", "Heroic campaign", h.present, summary, tuple(details),
                       numbers, "run always-on programs that keep producing after the big "
                       "moment; no program should carry the quarter", ("d.heroic",))  # fmt: skip


def _tool_mode(ctx: AuditContext) -> FailureMode:
    found = tool_first(ctx)
    cost = sum(t.monthly_cost for t in found)
    total = sum(t.monthly_cost for t in ctx.specs.stack.tools)
    return FailureMode(
        "tool_first", "Tool-first trap", bool(found),
        f"{len(found)} of {len(ctx.specs.stack.tools)} tools serve no documented process, "
        f"{cost:,.0f} of {total:,.0f} {ctx.currency} a month",
        tuple(f"{t.tool} ({t.name}, owner {t.owner}, {t.monthly_cost:,.0f} {ctx.currency}/month): "
              f"{t.reason}" for t in found),
        {"tools": len(found), "monthly_cost": cost, "stack_monthly_cost": float(total)},
        "tie each tool to the workflow or ritual it serves, or cancel it", ("s.processes",),
    )  # fmt: skip


def _vanity_mode(ctx: AuditContext) -> FailureMode:
    found = vanity(ctx)
    top = ctx.north_star.id if ctx.north_star else "pipeline_created"
    return FailureMode(
        "vanity_metrics", "Vanity metrics", bool(found),
        f"{len(found)} of {len(ctx.specs.metrics.metrics)} metrics have no path to {top} in "
        "the tree",
        tuple(f"{v.metric} (owner {v.owner}): {v.reason}" for v in found),
        {"metrics": len(ctx.specs.metrics.metrics), "vanity": len(found)},
        "every metric names the metric it drives, up to the north star; drop those that drive "
        "nothing",
        ("m.vanity",),
    )  # fmt: skip


def _owner_mode(ctx: AuditContext) -> FailureMode:
    o = ownership(ctx)
    details = [f"{r.what}: {r.owner!r} is not in team.yaml" for r in o.missing]
    details += [f"{r.what}: owned by the role {r.owner!r}" for r in o.roles]
    details += [f"{' and '.join(who)} both list {what!r}" for what, who in o.shared.items()]
    details += [f"{p} owns nothing" for p in o.idle]
    return FailureMode(
        "ownership", "Shared or missing ownership", o.present,
        f"{len(o.missing)} owner(s) missing from team.yaml, {len(o.roles) + len(o.shared)} "
        f"shared, {len(o.idle)} person(s) owning nothing, of {len(o.refs)} owners named",
        tuple(details),
        {"owners_named": len(o.refs), "missing": len(o.missing),
         "shared": len(o.roles) + len(o.shared), "idle": len(o.idle)},
        "one person per metric, program, ritual, workflow and tool, each in team.yaml",
        ("r.missing", "r.shared", "r.everyone"),
    )  # fmt: skip


def _scratch_mode(ctx: AuditContext) -> FailureMode:
    found = scratch(ctx)
    details = [
        f"{p.program} ({p.kind}, {p.start} to {p.end}, owner {p.owner}): reached {p.reached} "
        f"people, {p.kept} ({_pct(p.kept_share)}) still reached on owned channels in the "
        f"{p.after_days} days after; {p.assets} asset(s) used, {p.assets_kept} used since"
        + (" — started from scratch" if p.from_scratch else "")
        for p in found.ended
    ]
    details += [
        f"{p}: no end date in channels.yaml, so whether it ended is unknown" for p in found.undated
    ]
    details += [f"{p}: still running" for p in found.running]
    if not found.ended:
        summary = "no campaign or launch ended in the year before the audit"
    elif found.present is None:
        summary = "no touch is recorded for the campaigns that ended"
    else:
        summary = (f"{len(found.from_scratch)} of {len(found.ended)} ended campaign(s) left no "
                   f"asset in use and under {_pct(LEGACY_AUDIENCE)} of the people they reached "
                   f"on owned channels in the {LEGACY_DAYS} days after")  # fmt: skip
    return FailureMode(
        "starting_from_scratch", "Starting from scratch", found.present, summary, tuple(details),
        {"ended": len(found.ended), "from_scratch": len(found.from_scratch),
         "undated": len(found.undated)},
        "make each campaign leave durable assets and an owned audience the next one starts from",
        ("a.scratch",),
    )  # fmt: skip
