"""The stack audit: what the tools of stack.yaml cost, against the pipeline, and where the stack
is a trap (``demandos stack audit``).

    report = stack_audit(ws, "2026-Q3")
    report.categories      # cost per category, its share and its cost per dollar of pipeline
    report.tool_first      # tools that serve no documented workflow or ritual (and why)
    report.overlaps        # two or more tools in a category one tool covers
    report.unowned, report.idle   # no owner in team.yaml; usage low or unused, with their cost
    report.loaded          # per month: is the stack's cost in the fully loaded cost of DER?

**Cost in a period.** A tool's monthly cost counts in a period in proportion to the days of each
month the period covers, as the metrics engine shares out the ``costs`` table
(``metrics.components.month_shares``): a quarter is three months' cost, an ISO week 7/30 of a
30-day month. *Cost per dollar of pipeline* is that cost ÷ the period's pipeline created (the
metrics engine's ``pipeline_created``).

**Overlap.** Two or more tools in one category that one tool covers (CRM, marketing automation,
analytics, attribution, data, content, collaboration). Ad platforms are channels, each reaching
its own audience, and ``other`` is no category: neither is an overlap.

**Fully loaded cost.** DER's fully loaded cost is media spend plus the ``costs`` table's other
costs (``metrics.components.AllocatedCosts``). The stack's cost is in it for a month when that
month has rows of category ``tools``; a month with none leaves the stack out of DER, and
``load_stack_costs`` (``demandos stack costs``) writes stack.yaml's tools into those months.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import ibis

from demandos.metrics.components import month_shares
from demandos.metrics.periods import Period, current_period, parse_period
from demandos.spec.specs import Specs
from demandos.spec.stack import Tool

if TYPE_CHECKING:
    from demandos.store.facts import FactStore
    from demandos.workspace import Workspace

ONE_TOOL_CATEGORIES: tuple[str, ...] = (
    "crm", "marketing_automation", "analytics", "attribution", "data", "content", "collaboration",
)  # fmt: skip
"""Categories one tool covers: a second tool in one of them is an overlap."""
TOOLS_CATEGORY = "tools"
"""The ``costs`` table's category for the stack."""


# -- the tool-first trap (the audit's s.processes check and failure mode call this) -------------


@dataclass(frozen=True)
class ToolFinding:
    """A tool that serves no documented process, and why."""

    tool: str
    name: str
    owner: str
    monthly_cost: float
    reason: str
    index: int  # position in stack.yaml's tools
    unknown: tuple[str, ...] = ()  # the processes it names that are no workflow or ritual


def processes(specs: Specs) -> set[str]:
    """The documented processes: workflow ids and ritual ids."""
    return set(specs.workflows) | {r.id for r in specs.cadence.rituals}


def tool_first(specs: Specs) -> list[ToolFinding]:
    """Tools serving no documented process: none listed, or only ids that are neither a
    workflow nor a ritual."""
    known = processes(specs)
    found = []
    for i, tool in enumerate(specs.stack.tools):
        unknown = tuple(p for p in tool.processes if p not in known)
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
            ToolFinding(
                tool.id, tool.name, tool.owner, float(tool.monthly_cost), reason, i, unknown
            )
        )
    return found


def unowned(specs: Specs) -> list[tuple[int, Tool]]:
    """Tools whose owner is not a person of team.yaml, with their position in stack.yaml."""
    people = set(specs.person_ids)
    return [(i, t) for i, t in enumerate(specs.stack.tools) if t.owner not in people]


def paid_by_usage(specs: Specs, usage: str) -> list[Tool]:
    """Tools that cost money and whose usage is ``usage`` (``low`` or ``unused``)."""
    return [t for t in specs.stack.tools if t.usage == usage and t.monthly_cost > 0]


# -- the audit --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ToolLine:
    id: str
    name: str
    category: str
    owner: str
    owner_known: bool
    monthly_cost: float
    period_cost: float
    usage: str
    processes: tuple[str, ...]
    unknown_processes: tuple[str, ...]  # named but neither a workflow nor a ritual


@dataclass(frozen=True)
class Category:
    category: str
    tools: tuple[str, ...]
    monthly_cost: float
    period_cost: float
    share: float | None  # of the stack's cost
    per_pipeline: float | None  # period cost ÷ pipeline created


@dataclass(frozen=True)
class Overlap:
    category: str
    tools: tuple[str, ...]
    monthly_cost: float
    shared_processes: tuple[str, ...]  # processes more than one of them serves


@dataclass(frozen=True)
class LoadedMonth:
    """One month of the period: the costs table's ``tools`` rows against stack.yaml."""

    month: date
    share: float  # of the month the period covers
    costs_tools: float | None  # None: the month has no tools rows
    stack: float  # stack.yaml's monthly cost

    @property
    def in_der(self) -> bool:
        return self.costs_tools is not None


@dataclass(frozen=True)
class StackAudit:
    workspace: str
    currency: str
    period: str
    start: date
    end: date  # exclusive
    pipeline: float | None
    pipeline_reason: str | None
    tools: tuple[ToolLine, ...]
    categories: tuple[Category, ...]
    tool_first: tuple[ToolFinding, ...]
    overlaps: tuple[Overlap, ...]
    unowned: tuple[str, ...]
    loaded: tuple[LoadedMonth, ...]

    @property
    def monthly_cost(self) -> float:
        return math.fsum(t.monthly_cost for t in self.tools)

    @property
    def period_cost(self) -> float:
        return math.fsum(t.period_cost for t in self.tools)

    @property
    def per_pipeline(self) -> float | None:
        """The stack's cost per dollar of pipeline created in the period."""
        return self.period_cost / self.pipeline if self.pipeline else None

    def idle(self, usage: str) -> list[ToolLine]:
        """Tools whose usage is ``low`` or ``unused`` (free ones too)."""
        return [t for t in self.tools if t.usage == usage]

    @property
    def missing_months(self) -> list[LoadedMonth]:
        """Months whose fully loaded cost leaves the stack out (no tools rows in costs)."""
        return [m for m in self.loaded if not m.in_der]

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(
            monthly_cost=self.monthly_cost,
            period_cost=self.period_cost,
            per_pipeline=self.per_pipeline,
            unused=[t.id for t in self.idle("unused")],
            low=[t.id for t in self.idle("low")],
        )
        for month in data["loaded"]:
            month["in_der"] = month["costs_tools"] is not None
        return data


def resolve_period(ws: Workspace, period: str | None, today: date | None = None) -> Period:
    """``period``, or the last full quarter before ``today``."""
    fy = ws.specs.workspace.fiscal_year_start_month
    if period:
        return parse_period(period, fiscal_year_start_month=fy)
    return current_period("quarter", today or date.today(), fiscal_year_start_month=fy).previous()


def stack_audit(
    ws: Workspace, period: str | None = None, *, today: date | None = None
) -> StackAudit:
    """The stack audit of ``period`` (default: the last full quarter before ``today``)."""
    p = resolve_period(ws, period, today)
    specs = ws.specs
    pipeline = ws.metrics(p.label, today=today).get("pipeline_created")
    return audit_stack(specs, ws.facts, p, pipeline.value, pipeline.reason)


def period_months(period: Period) -> float:
    """How many months' cost the period carries (a quarter 3, a 30-day month's week 7/30)."""
    return math.fsum(share for _, share in month_shares(period))


def audit_stack(
    specs: Specs,
    facts: FactStore,
    period: Period,
    pipeline: float | None,
    pipeline_reason: str | None = None,
) -> StackAudit:
    """The stack audit from the specs, the store and the period's pipeline created."""
    tools = specs.stack.tools
    months = period_months(period)
    people = set(specs.person_ids)
    known = processes(specs)
    lines = tuple(
        ToolLine(
            t.id,
            t.name,
            t.category,
            t.owner,
            t.owner in people,
            float(t.monthly_cost),
            float(t.monthly_cost) * months,
            t.usage,
            t.processes,
            tuple(x for x in t.processes if x not in known),
        )
        for t in tools
    )
    total = math.fsum(t.period_cost for t in lines)
    categories = tuple(
        _category(c, [t for t in lines if t.category == c], total, pipeline)
        for c in dict.fromkeys(t.category for t in lines)
    )
    return StackAudit(
        specs.workspace.name, specs.workspace.currency, period.label, period.start, period.end,
        pipeline, None if pipeline else (pipeline_reason or "no pipeline created in the period"),
        lines, categories, tuple(tool_first(specs)), tuple(overlaps(tools)),
        tuple(t.id for _, t in unowned(specs)), tuple(loaded_months(facts, specs, period)),
    )  # fmt: skip


def _category(
    category: str, tools: Sequence[ToolLine], total: float, pipeline: float | None
) -> Category:
    cost = math.fsum(t.period_cost for t in tools)
    return Category(
        category,
        tuple(t.id for t in tools),
        math.fsum(t.monthly_cost for t in tools),
        cost,
        cost / total if total else None,
        cost / pipeline if pipeline else None,
    )


def overlaps(tools: Sequence[Tool]) -> list[Overlap]:
    """Categories one tool covers that hold two or more tools."""
    out = []
    for category in ONE_TOOL_CATEGORIES:
        members = [t for t in tools if t.category == category]
        if len(members) < 2:
            continue
        served: dict[str, int] = {}
        for t in members:
            for process in set(t.processes):
                served[process] = served.get(process, 0) + 1
        out.append(
            Overlap(
                category,
                tuple(t.id for t in members),
                math.fsum(t.monthly_cost for t in members),
                tuple(sorted(p for p, n in served.items() if n > 1)),
            )
        )
    return out


def tools_costs(facts: FactStore, since: date, until: date) -> dict[date, float]:
    """The ``costs`` table's ``tools`` rows per month in [since, until)."""
    t = facts.table("costs")
    t = t.filter(
        t.category == TOOLS_CATEGORY, t.month >= ibis.literal(since), t.month < ibis.literal(until)
    )
    rows = t.group_by(t.month.name("month")).aggregate(amount=t.amount.sum())
    return {r["month"]: float(r["amount"] or 0.0) for r in rows.to_pyarrow().to_pylist()}


def loaded_months(facts: FactStore, specs: Specs, period: Period) -> list[LoadedMonth]:
    """Each month of the period: is the stack in the fully loaded cost (see module doc)?"""
    shares = month_shares(period)
    booked = tools_costs(facts, shares[0][0], period.end) if shares else {}
    stack = math.fsum(float(t.monthly_cost) for t in specs.stack.tools)
    return [LoadedMonth(m, share, booked.get(m), stack) for m, share in shares]
