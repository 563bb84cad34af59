"""The checks of the systems audit: small named functions over the workspace, and what they read.

    @check("stack", "s.processes", "Every tool serves a documented process", weight=3)
    def tools_serve_processes(a: AuditContext) -> Result:
        ...
        return failed("2 of 12 tools serve no process: …", fix="…", numbers={"tools": 2})

A check reads the specs, the fact store and the operating log through an ``AuditContext`` (one
per audit, which reads each thing once) and returns a ``Result``: passed, failed or not
applicable, the evidence (numbers and names) and the fix. Checks belong to one area: a component
of the demand system (metrics, cadence, roles, process, stack) or a layer of the operating
system (kernel, intake, assets, distribution, feedback). Their weight (1 hygiene, 2 important,
3 foundational) counts in the area's maturity score and ranks the fixes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

from demandos.errors import Location
from demandos.metrics.components import UNASSIGNED, in_period
from demandos.metrics.engine import compute
from demandos.metrics.periods import Period
from demandos.spec.metrics import Metric, MetricsSpec
from demandos.spec.specs import Specs
from demandos.store.schema import TABLES

if TYPE_CHECKING:
    from demandos.cadence.log import ActionItem, DecisionItem, ReviewItem
    from demandos.intake.quarantine import Group as QuarantineGroup
    from demandos.metrics.health import HealthReport
    from demandos.metrics.table import MetricTable
    from demandos.spec.channels import ChannelsSpec
    from demandos.spec.kernel import KernelSpec
    from demandos.spec.workspace import WorkspaceSpec
    from demandos.store.facts import FactStore, TableSummary
    from demandos.workspace import Workspace

Status = Literal["passed", "failed", "not_applicable"]
Number = float | int | str | None

COMPONENTS: tuple[str, ...] = ("metrics", "cadence", "roles", "process", "stack")
"""The five components of the demand system."""
LAYERS: tuple[str, ...] = ("kernel", "intake", "assets", "distribution", "feedback")
"""The five layers of the operating system."""
AREA_NAMES: dict[str, str] = {
    "metrics": "Metrics & measurement",
    "cadence": "Operational cadence",
    "roles": "Team & roles",
    "process": "Process & workflow",
    "stack": "Technology stack",
    "kernel": "Strategic kernel",
    "intake": "Input & intelligence",
    "assets": "Asset production",
    "distribution": "Distribution networks",
    "feedback": "Feedback & optimization",
}


@dataclass(frozen=True)
class Result:
    """What one check found: its status, the evidence, the fix, and the numbers behind it."""

    status: Status
    evidence: str
    fix: str = ""
    numbers: Mapping[str, Number] = field(default_factory=dict)
    owner: str | None = None  # the person who answers for the fix, when the finding names one
    where: Location | None = None  # the spec file and line the finding is about


def passed(evidence: str, numbers: Mapping[str, Number] | None = None) -> Result:
    return Result("passed", evidence, numbers=numbers or {})


def failed(
    evidence: str,
    fix: str,
    numbers: Mapping[str, Number] | None = None,
    *,
    owner: str | None = None,
    where: Location | None = None,
) -> Result:
    return Result("failed", evidence, fix, numbers or {}, owner, where)


def not_applicable(evidence: str, numbers: Mapping[str, Number] | None = None) -> Result:
    return Result("not_applicable", evidence, numbers=numbers or {})


CheckFunction = Callable[["AuditContext"], Result]


@dataclass(frozen=True)
class Check:
    """A registered check: its id, its area, what it asks, its weight and its function."""

    id: str
    area: str
    title: str
    weight: int
    run: CheckFunction


CHECKS: dict[str, Check] = {}
"""Every check, by id, in the order they were registered (module by module)."""


def check(
    area: str, id: str, title: str, *, weight: int
) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check of ``area`` (a component or a layer)."""
    if area not in AREA_NAMES:
        raise ValueError(f"unknown area {area!r}")
    if not 1 <= weight <= 3:
        raise ValueError("weights are 1 (hygiene), 2 (important) or 3 (foundational)")

    def register(function: CheckFunction) -> CheckFunction:
        if id in CHECKS:
            raise ValueError(f"check {id!r} is registered twice")
        CHECKS[id] = Check(id, area, title, weight, function)
        return function

    return register


# -- what the checks read -------------------------------------------------------------------


@dataclass(frozen=True)
class _Probe:
    """The workspace's settings, kernel and channels with the metrics the audit measures
    itself (so a metrics.yaml that lists fewer metrics or dimensions does not hide them)."""

    metrics: MetricsSpec
    workspace: WorkspaceSpec
    kernel: KernelSpec
    channels: ChannelsSpec


def _probe_metrics(owner: str) -> MetricsSpec:
    def builtin(metric_id: str) -> Metric:
        return Metric.model_validate(
            {"id": metric_id, "name": metric_id, "tier": 1, "owner": owner, "builtin": metric_id}
        )

    touches = Metric.model_validate(
        {
            "id": "touches",
            "name": "Touches",
            "tier": 1,
            "owner": owner,
            "unit": "count",
            "calculation": {"type": "simple", "table": "touchpoints", "agg": "count"},
        }
    )
    ids = ("media_spend", "pipeline_created", "owned_audience_growth")
    return MetricsSpec(metrics=(*map(builtin, ids), touches))


PROBE_METRICS = ("media_spend", "pipeline_created", "owned_audience_growth", "touches")
"""What the audit reads from the metrics engine by segment, pillar and channel: media spend,
pipeline created, owned-audience growth and the count of touches."""


class AuditContext:
    """One audit's view of the workspace: the quarter, the day it is measured to, and each
    thing the checks read, read once.

    ``until`` is the exclusive end of what is measured: the quarter's end, or ``today`` when the
    quarter is not over. Rolling windows (reviews in the last 4 weeks, assets in the last 90
    days, freshness) end at ``until``.
    """

    def __init__(self, ws: Workspace, quarter: Period, today: date) -> None:
        self.ws = ws
        self.quarter = quarter
        self.today = today
        self.until = max(quarter.start, min(quarter.end, today))
        self._memo: dict[str, Any] = {}

    @property
    def specs(self) -> Specs:
        return self.ws.specs

    @property
    def facts(self) -> FactStore:
        return self.ws.facts

    @property
    def currency(self) -> str:
        return self.specs.workspace.currency

    @property
    def days(self) -> int:
        """Days measured in the quarter (0 when it has not started)."""
        return (self.until - self.quarter.start).days

    @property
    def months(self) -> int:
        """Calendar months of the quarter measured, a begun month counting as one (at least 1)."""
        if self.days <= 0:
            return 1
        last = self.until - timedelta(days=1)
        start = self.quarter.start
        return (last.year - start.year) * 12 + last.month - start.month + 1

    def memo(self, key: str, make: Callable[[], Any]) -> Any:
        """``make()`` once per audit (the failure modes several checks and the pack share)."""
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]

    # -- specs --------------------------------------------------------------------------------

    @cached_property
    def people(self) -> set[str]:
        return set(self.specs.person_ids)

    @cached_property
    def roles(self) -> set[str]:
        return {r.id for r in self.specs.team.roles}

    @cached_property
    def north_star(self) -> Metric | None:
        tops = [m for m in self.specs.metrics.metrics if m.tier == 1]
        return tops[0] if tops else None

    def locate(self, file: str, *path: str | int) -> Location:
        return self.specs.locate(file, path)

    # -- facts --------------------------------------------------------------------------------

    @cached_property
    def tables(self) -> dict[str, TableSummary]:
        """Every canonical table's rows and time range (quarantine included)."""
        return {s.table: s for s in self.facts.summary()}

    @cached_property
    def metric_table(self) -> MetricTable:
        """The workspace's metric tree for the quarter."""
        return self.ws.metrics(self.quarter.label, today=self.today)

    @cached_property
    def health(self) -> HealthReport:
        """System health over the 13 weeks ending with the quarter (``metrics.health``)."""
        return self.ws.health(self.quarter.label, today=self.today)

    def probe(self, by: str) -> MetricTable:
        """Media spend, pipeline, owned-audience growth and touches for the quarter by ``by``."""

        def make() -> MetricTable:
            owner = self.specs.person_ids[0]
            specs = _Probe(
                _probe_metrics(owner), self.specs.workspace, self.specs.kernel, self.specs.channels
            )
            return compute(self.facts, specs, self.quarter.label, by=by, today=self.today)

        table: MetricTable = self.memo(f"probe:{by}", make)
        return table

    def members(self, metric: str, by: str) -> tuple[float | None, dict[str, float]]:
        """The quarter's total of a probe metric and its value per member of ``by``."""
        table = self.probe(by)
        total = table.get(metric).value
        parts = {
            r.member: r.value
            for r in table.rows
            if r.metric == metric and r.member is not None and r.value is not None
        }
        return total, parts

    def mapped_share(self, metric: str, by: str, unmapped: Sequence[str]) -> Share:
        """The share of a probe metric whose rows map to a member of ``by`` (not ``unmapped``)."""
        total, parts = self.members(metric, by)
        if metric in self.probe(by).unsupported:
            return Share(metric, by, None, total, None, f"its rows do not carry a {by}")
        if not total:
            return Share(metric, by, None, total, None, "none in the quarter")
        off = math.fsum(v for k, v in parts.items() if k in (*unmapped, UNASSIGNED))
        return Share(metric, by, (total - off) / total, total, total - off, None)

    @cached_property
    def quarantine(self) -> list[QuarantineGroup]:
        from demandos.intake.quarantine import summary

        return summary(self.facts)

    def count(self, table: str, column: str, since: date, until: date, **equal: str) -> int:
        """Rows of a canonical table whose ``column`` falls in [since, until)."""
        t = self.facts.table(table)
        kind = "date" if TABLES[table].column(column).type == "date" else "timestamp"
        t = t.filter(in_period(t[column], kind, since, until))
        for name, value in equal.items():
            t = t.filter(t[name] == value)
        return int(t.count().to_pyarrow().as_py())

    # -- the operating log --------------------------------------------------------------------

    @cached_property
    def reviews(self) -> list[ReviewItem]:
        return self.ws.cadence_log.reviews()

    @cached_property
    def actions(self) -> list[ActionItem]:
        return self.ws.cadence_log.list_actions()

    @cached_property
    def decisions(self) -> list[DecisionItem]:
        return self.ws.cadence_log.list_decisions()

    def window(self, days: int) -> tuple[date, date]:
        """The ``days`` before ``until``."""
        return self.until - timedelta(days=days), self.until


@dataclass(frozen=True)
class Share:
    """The share of a metric (over the quarter) that maps to a member of a dimension."""

    metric: str
    by: str
    share: float | None
    total: float | None
    mapped: float | None
    reason: str | None  # why there is no share


def names(items: Sequence[str], limit: int = 6) -> str:
    """``a, b, c`` — or ``a, b, c and 4 more``."""
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"
