"""The failure modes of a demand system, measured.

- **Heroic campaign**: one program carries the quarter's pipeline, and pipeline falls away after
  the big week. Read from system health (``metrics.health``) over the 13 weeks ending with the
  quarter: the largest program's share of pipeline (each opportunity split equally over the
  programs that touched its account in the 90 days before it), the best week against the median
  week, and the mean of the (up to) 4 weeks after the best week against the peak and the median.
- **Tool-first trap**: tools in stack.yaml that serve no documented workflow or ritual
  (``stack.tool_first``).
- **Vanity metrics**: metrics whose chain of parents never reaches the north star (tier 1).
- **Shared or missing ownership** (the owners named: ``team.owner_refs``): owners who are not
  people of team.yaml, roles named as owners, a responsibility two people list, people who own
  nothing.
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
from demandos.stack.audit import ToolFinding as ToolFinding
from demandos.stack.audit import tool_first as stack_tool_first
from demandos.team.ownership import OwnerRef as OwnerRef
from demandos.team.ownership import owner_refs as team_owner_refs

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


def tool_first(a: AuditContext) -> list[ToolFinding]:
    """Tools serving no documented process (``stack.tool_first``, measured once per audit)."""
    result: list[ToolFinding] = a.memo("tool_first", lambda: stack_tool_first(a.specs))
    return result


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
    """Every owner the specs name (``team.owner_refs``)."""
    return team_owner_refs(a.specs)


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
