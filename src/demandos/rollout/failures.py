"""The failure modes of a demand system, measured.

- **Heroic campaign**: one program carries the quarter's pipeline, and pipeline falls away after
  the big week. Read from system health (``metrics.health``) over the 13 weeks ending with the
  quarter: the largest program's share of pipeline (each opportunity split equally over the
  programs that touched its account in the 90 days before it), the best week against the median
  week, and the mean of the (up to) 4 weeks after the best week against the peak and the median.
- **Tool-first trap**: tools in stack.yaml that serve no documented workflow or ritual.
- **Vanity metrics**: metrics whose chain of parents never reaches the north star (tier 1).
- **Shared or missing ownership**: owners who are not people of team.yaml, roles named as
  owners, a responsibility two people list, people who own nothing.
- **Starting from scratch**: campaigns and launches that ended (in the year before the audit)
  without leaving an asset that kept being used or an audience the team still reaches.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date

from demandos.distribution.legacy import ENDED_WITHIN_DAYS as ENDED_WITHIN_DAYS
from demandos.distribution.legacy import LEGACY_AUDIENCE as LEGACY_AUDIENCE
from demandos.distribution.legacy import LEGACY_DAYS as LEGACY_DAYS
from demandos.distribution.legacy import Legacy as Legacy
from demandos.distribution.legacy import Scratch as Scratch
from demandos.distribution.legacy import legacies
from demandos.metrics.health import Week, influence, weekly
from demandos.metrics.periods import week_period
from demandos.rollout.checks import AuditContext

HEROIC_SHARE = 0.30
"""A program bringing this share of pipeline or more carries the system."""
HEROIC_PEAK = 2.5
"""The best week at this multiple of the median week or more is a spike …"""
HEROIC_AFTER = 0.75
"""… and a hangover when the weeks after it average below this share of the median week."""
AFTER_WEEKS = 4
"""Weeks after the peak that are averaged."""


# -- heroic campaign ------------------------------------------------------------------------


@dataclass(frozen=True)
class Heroic:
    """Campaign dependence over the 13 weeks of system health."""

    start: date
    end: date  # exclusive
    top_program: str | None
    top_kind: str | None  # always_on, campaign, launch; None for a program not in channels.yaml
    top_share: float | None
    top_reason: str | None  # why there is no share
    peak_to_median: float | None
    peak_reason: str | None
    peak_week: str | None
    peak: float | None
    median: float | None
    after_weeks: tuple[str, ...]
    after_mean: float | None  # mean weekly pipeline of the weeks after the peak
    present: bool | None  # None when neither measure is known

    @property
    def drop(self) -> float | None:
        """How far pipeline fell after the peak: 1 − (after-peak mean ÷ peak)."""
        if self.after_mean is None or not self.peak:
            return None
        return 1 - self.after_mean / self.peak

    @property
    def after_level(self) -> float | None:
        """The after-peak weeks against a typical week: after-peak mean ÷ median week."""
        if self.after_mean is None or not self.median:
            return None
        return self.after_mean / self.median


def heroic(a: AuditContext) -> Heroic:
    """Campaign dependence (see the module doc), measured once per audit."""
    result: Heroic = a.memo("heroic", lambda: _heroic(a))
    return result


def _heroic(a: AuditContext) -> Heroic:
    report = a.health
    top = report.get("top_program_share")
    ratio = report.get("peak_to_median")
    program = kind = None
    if top.value is not None:
        owned = {c.id for c in a.specs.channels.channels if c.type == "owned"}
        found = influence(a.facts, report.start, report.end, owned_channels=owned)
        if found.programs:
            program = max(found.programs.items(), key=lambda kv: (kv[1], kv[0]))[0]
            kinds = {p.id: p.kind for p in a.specs.channels.programs}
            kind = kinds.get(program)
    ok = [w for w in report.weeks if w.pipeline_state == "ok" and w.pipeline is not None]
    peak_week = peak = median = after_mean = None
    after: list[Week] = []
    if ok:
        best = max(ok, key=lambda w: (w.pipeline or 0.0, w.week))
        peak_week, peak = best.week, best.pipeline
        median = statistics.median(w.pipeline or 0.0 for w in ok)
        after = _weeks_after(a, report.weeks, best)
        if after:
            after_mean = statistics.fmean(w.pipeline or 0.0 for w in after)
    present: bool | None = None
    if top.value is not None or ratio.value is not None:
        level = after_mean / median if after_mean is not None and median else None
        present = (top.value or 0.0) >= HEROIC_SHARE or (
            (ratio.value or 0.0) >= HEROIC_PEAK and level is not None and level < HEROIC_AFTER
        )
    return Heroic(
        report.start, report.end, program, kind, top.value, top.reason if top.value is None
        else None, ratio.value, ratio.reason if ratio.value is None else None, peak_week, peak,
        median, tuple(w.week for w in after), after_mean, present,
    )  # fmt: skip


def _weeks_after(a: AuditContext, weeks: list[Week], best: Week) -> list[Week]:
    """The complete weeks after the peak, up to ``AFTER_WEEKS``: from the health window, then
    weeks after it that are over by ``today``."""
    index = next(i for i, w in enumerate(weeks) if w.week == best.week)
    later = list(weeks[index + 1 : index + 1 + AFTER_WEEKS])
    missing = AFTER_WEEKS - len(later)
    if missing > 0:
        last = week_period(weeks[-1].start)
        beyond = [last.shift(n) for n in range(1, missing + 1)]
        beyond = [p for p in beyond if p.end <= a.today]
        if beyond:
            later += weekly(a.facts, a.specs, beyond)
    return [w for w in later if w.pipeline_state == "ok" and w.pipeline is not None]


# -- tool-first trap ------------------------------------------------------------------------


@dataclass(frozen=True)
class ToolFinding:
    tool: str
    name: str
    owner: str
    monthly_cost: float
    reason: str
    index: int  # position in stack.yaml's tools


def tool_first(a: AuditContext) -> list[ToolFinding]:
    """Tools serving no documented process: none listed, or only ids that are neither a
    workflow nor a ritual."""
    known = set(a.specs.workflows) | {r.id for r in a.specs.cadence.rituals}
    found = []
    for i, tool in enumerate(a.specs.stack.tools):
        unknown = [p for p in tool.processes if p not in known]
        if not tool.processes:
            reason = "serves no process"
        elif len(unknown) == len(tool.processes):
            reason = (
                "serves "
                + ", ".join(repr(p) for p in unknown)
                + ", neither a workflow nor a ritual"
            )
        else:
            continue
        found.append(
            ToolFinding(tool.id, tool.name, tool.owner, float(tool.monthly_cost), reason, i)
        )
    return found


# -- vanity metrics -------------------------------------------------------------------------


@dataclass(frozen=True)
class VanityMetric:
    metric: str
    owner: str
    reason: str
    index: int


def vanity(a: AuditContext) -> list[VanityMetric]:
    """Metrics whose chain of parents does not reach the tier-1 metric (or, without one,
    pipeline created)."""
    metrics = {m.id: m for m in a.specs.metrics.metrics}
    top = a.north_star.id if a.north_star else None
    goal = top or "pipeline_created"
    found = []
    for index, metric in enumerate(a.specs.metrics.metrics):
        chain, node = [metric.id], metric
        reason = None
        while True:
            if node.id == goal or (top is None and node.builtin == "pipeline_created"):
                break
            if node.parent is None:
                reason = (
                    "has no parent"
                    if node is metric
                    else f"its chain ends at {node.id!r}, which has no parent"
                )
                break
            if node.parent not in metrics:
                reason = f"its chain reaches {node.parent!r}, which is not in metrics.yaml"
                break
            if node.parent in chain:
                reason = "its chain loops: " + " → ".join([*chain, node.parent])
                break
            chain.append(node.parent)
            node = metrics[node.parent]
        if reason is not None:
            found.append(VanityMetric(metric.id, metric.owner, reason, index))
    return found


# -- ownership ------------------------------------------------------------------------------


@dataclass(frozen=True)
class OwnerRef:
    """A place a spec names an owner."""

    what: str  # "metric cpl", "tool intent_data"
    owner: str
    file: str
    path: tuple[str | int, ...]


@dataclass
class Ownership:
    refs: list[OwnerRef] = field(default_factory=list)
    missing: list[OwnerRef] = field(default_factory=list)  # not a person of team.yaml
    roles: list[OwnerRef] = field(default_factory=list)  # a role named as owner: shared
    shared: dict[str, list[str]] = field(default_factory=dict)  # responsibility → people
    idle: list[str] = field(default_factory=list)  # people who own nothing

    @property
    def present(self) -> bool:
        return bool(self.missing or self.roles or self.shared)


def owner_refs(a: AuditContext) -> list[OwnerRef]:
    """Every owner the specs name: metrics, programs, rituals, workflows and steps, tools."""
    s = a.specs
    refs = [OwnerRef(f"metric {m.id}", m.owner, "metrics.yaml", ("metrics", i, "owner"))
            for i, m in enumerate(s.metrics.metrics)]  # fmt: skip
    refs += [OwnerRef(f"program {p.id}", p.owner, "channels.yaml", ("programs", i, "owner"))
             for i, p in enumerate(s.channels.programs)]  # fmt: skip
    refs += [OwnerRef(f"ritual {r.id}", r.owner, "cadence.yaml", ("rituals", i, "owner"))
             for i, r in enumerate(s.cadence.rituals)]  # fmt: skip
    for source in s.workflow_sources:
        w = source.spec
        refs.append(OwnerRef(f"workflow {w.id}", w.owner, source.file, ("owner",)))
        refs += [OwnerRef(f"step {w.id}.{st.id}", st.owner, source.file, ("steps", j, "owner"))
                 for j, st in enumerate(w.steps) if st.owner is not None]  # fmt: skip
    refs += [OwnerRef(f"tool {t.id}", t.owner, "stack.yaml", ("tools", i, "owner"))
             for i, t in enumerate(s.stack.tools)]  # fmt: skip
    return refs


def ownership(a: AuditContext) -> Ownership:
    """Who owns what, and where ownership is missing or shared."""

    def make() -> Ownership:
        out = Ownership(owner_refs(a))
        for ref in out.refs:
            if ref.owner in a.people:
                continue
            (out.roles if ref.owner in a.roles else out.missing).append(ref)
        listed: dict[str, list[str]] = {}
        for person in a.specs.team.people:
            for text in person.responsibilities:
                key = " ".join(text.lower().split()).rstrip(".")
                listed.setdefault(key, [])
                if person.id not in listed[key]:
                    listed[key].append(person.id)
        out.shared = {k: v for k, v in listed.items() if len(v) > 1}
        owners = {r.owner for r in out.refs}
        out.idle = [p for p in a.specs.person_ids if p not in owners]
        return out

    result: Ownership = a.memo("ownership", make)
    return result


# -- starting from scratch ------------------------------------------------------------------


def scratch(a: AuditContext) -> Scratch:
    """What each campaign and launch that ended left behind (``distribution.legacy``)."""
    result: Scratch = a.memo("scratch", lambda: legacies(a.specs.channels, a.facts, a.until))
    return result
