"""The rollout plan and its progress, computed from the workspace (``demandos rollout``).

    progress = rollout_progress(ws, today=date(2026, 11, 23))
    progress.week, progress.calendar_phase      # where rollout.yaml's dates put the team
    progress.phases[0].tasks[0].evidence        # each task's status and what shows it
    progress.gate, progress.blockers            # the first unfinished phase and its open tasks

**Judged tasks** are measured, not ticked (``JUDGED``; each judge's docstring says how):

- *define_kpis*: metrics.yaml has one tier-1 north star and every metric an owner who is a
  person of team.yaml and a target, and ``demandos check`` finds no error in metrics.yaml.
- *build_dashboard*: the store holds opportunities, and the north star computes for the last
  full month before today (or, when the data ends earlier, the month of the latest opportunity).
- *clarify_roles*: every person has a role and responsibilities, owns something
  (``team.ownership``), and no owner is named who is not in team.yaml.
- *document_workflows*: a workflow carries a lead (or MQL, SQL) to the opportunity milestone
  with an SLA on a step, and every workflow has an owner in team.yaml.
- *weekly_meetings*: weekly reviews recorded in the operating log in four consecutive ISO
  weeks; *optimization_routine*: the same for the weekly optimization ritual.
- *plan_capacity*: a monthly planning meeting recorded (its pack holds capacity per person).
- *quarterly_audits*: a demand audit recorded.
- *continuous_improvement*: decisions recorded in each of the three full months before today.

**Manual tasks** are every other id (the defaults: playbooks, adjust_cadence, refine_processes,
team_development): done when rollout.yaml's ``done:`` lists them with a date and the evidence.

**The gate** is the first phase with a task not done: its open tasks block the next phase.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

from demandos.metrics.periods import Period, current_period, week_period
from demandos.spec.rollout import Done, Phase, Task

if TYPE_CHECKING:
    from demandos.cadence.log import DecisionItem, ReviewItem
    from demandos.spec.specs import Specs
    from demandos.workspace import Workspace

Status = Literal["done", "open", "recorded", "manual"]
"""done/open: judged by the system; recorded: a manual task listed in ``done:``; manual: a
manual task not recorded yet."""
STREAK_WEEKS = 4
"""Consecutive weeks of a weekly ritual that make it a habit."""
IMPROVEMENT_MONTHS = 3
"""Full months before today that each need a decision recorded."""


@dataclass(frozen=True)
class Judgement:
    done: bool
    evidence: str
    fix: str = ""


@dataclass(frozen=True)
class TaskProgress:
    id: str
    name: str
    phase: str
    status: Status
    judged: bool
    evidence: str
    fix: str  # what to do next (empty when done)

    @property
    def is_done(self) -> bool:
        return self.status in ("done", "recorded")


@dataclass(frozen=True)
class PhaseProgress:
    id: str
    name: str
    weeks: tuple[int, int]
    first: date | None  # its first day, when rollout.yaml has a start_date
    last: date | None  # its last day
    state: str  # past, now, ahead, not started
    tasks: tuple[TaskProgress, ...]

    @property
    def done(self) -> int:
        return sum(1 for t in self.tasks if t.is_done)

    @property
    def share(self) -> float | None:
        return self.done / len(self.tasks) if self.tasks else None

    @property
    def complete(self) -> bool:
        return self.done == len(self.tasks)


@dataclass(frozen=True)
class RolloutProgress:
    workspace: str
    today: date
    start_date: date | None
    week: int | None  # week of the plan today falls in (1 = the start date's week)
    phases: tuple[PhaseProgress, ...]

    @property
    def calendar_phase(self) -> PhaseProgress | None:
        """The phase rollout.yaml's dates put today in."""
        return next((p for p in self.phases if p.state == "now"), None)

    @property
    def gate(self) -> PhaseProgress | None:
        """The first phase with a task not done (None: every task is done)."""
        return next((p for p in self.phases if not p.complete), None)

    @property
    def next_phase(self) -> PhaseProgress | None:
        gate = self.gate
        if gate is None:
            return None
        index = self.phases.index(gate)
        return self.phases[index + 1] if index + 1 < len(self.phases) else None

    @property
    def blockers(self) -> list[TaskProgress]:
        """The gate's open tasks: what blocks the next phase."""
        return [t for t in self.gate.tasks if not t.is_done] if self.gate else []

    @property
    def behind(self) -> bool:
        """The dates are past the gate phase: the plan's calendar ran ahead of the work."""
        cal, gate = self.calendar_phase, self.gate
        if gate is None:
            return False
        if cal is None:
            return gate.state == "past"
        return self.phases.index(gate) < self.phases.index(cal)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for phase, source in zip(data["phases"], self.phases, strict=True):
            phase.update(done=source.done, share=source.share, complete=source.complete)
        data.update(
            calendar_phase=self.calendar_phase.id if self.calendar_phase else None,
            gate=self.gate.id if self.gate else None,
            next_phase=self.next_phase.id if self.next_phase else None,
            blockers=[t.id for t in self.blockers],
            behind=self.behind,
        )
        return data


# -- what the judges read -------------------------------------------------------------------


class PlanContext:
    """The workspace as the judges read it, each thing read once."""

    def __init__(self, ws: Workspace, today: date) -> None:
        self.ws = ws
        self.today = today

    @property
    def specs(self) -> Specs:
        return self.ws.specs

    @cached_property
    def reviews(self) -> list[ReviewItem]:
        return [
            r
            for r in self.ws.cadence_log.reviews()
            if r.held_at is not None and r.held_at.date() <= self.today
        ]

    @cached_property
    def decisions(self) -> list[DecisionItem]:
        return [d for d in self.ws.cadence_log.list_decisions() if d.made_at.date() <= self.today]

    @cached_property
    def data_month(self) -> Period:
        """The last full month before today, or the month of the latest opportunity if the
        data ends before it (how fresh the data is, is the audit's question, not the plan's)."""
        t = self.ws.facts.table("opportunities")
        latest = t.created_at.max().to_pyarrow().as_py()
        month = self.last_month
        if latest is not None and latest.date() < month.start:
            fy = self.specs.workspace.fiscal_year_start_month
            month = current_period("month", latest.date(), fiscal_year_start_month=fy)
        return month

    @cached_property
    def last_month(self) -> Period:
        fy = self.specs.workspace.fiscal_year_start_month
        return current_period("month", self.today, fiscal_year_start_month=fy).previous()


Judge = Callable[[PlanContext], Judgement]
JUDGED: dict[str, Judge] = {}
"""The tasks the system judges, by task id."""


def judge(task_id: str) -> Callable[[Judge], Judge]:
    def register(function: Judge) -> Judge:
        JUDGED[task_id] = function
        return function

    return register


def _names(items: Iterable[str], limit: int = 5) -> str:
    found = list(items)
    shown = ", ".join(found[:limit])
    return shown + (f" and {len(found) - limit} more" if len(found) > limit else "")


# -- foundation -----------------------------------------------------------------------------


@judge("define_kpis")
def define_kpis(c: PlanContext) -> Judgement:
    from demandos.spec.rules import run_rules

    metrics = c.specs.metrics.metrics
    people = set(c.specs.person_ids)
    north = [m.id for m in metrics if m.tier == 1]
    orphans = [m.id for m in metrics if m.owner not in people]
    untargeted = [m.id for m in metrics if m.target is None]
    errors = [f for f in run_rules(c.specs) if f.severity == "error"]
    errors = [f for f in errors if f.location.file == "metrics.yaml"]
    gaps = []
    if len(north) != 1:
        gaps.append(f"{len(north)} tier-1 metrics ({_names(north) or 'none'}), not one north star")
    if orphans:
        gaps.append(f"no owner in team.yaml: {_names(orphans)}")
    if untargeted:
        gaps.append(f"no target: {_names(untargeted)}")
    if errors:
        gaps.append(f"{len(errors)} error(s) in metrics.yaml, first: {errors[0]}")
    if not gaps:
        return Judgement(
            True,
            f"{len(metrics)} metrics under the north star {north[0]}, each with an owner in "
            "team.yaml and a target; `demandos check` finds no error in metrics.yaml",
        )
    return Judgement(
        False,
        f"{len(metrics)} metrics; " + "; ".join(gaps),
        "give every metric one owner from team.yaml and a target, one north star at tier 1, "
        "and run `demandos check`",
    )


@judge("build_dashboard")
def build_dashboard(c: PlanContext) -> Judgement:
    rows = {s.table: s.rows for s in c.ws.facts.summary()}
    tops = [m for m in c.specs.metrics.metrics if m.tier == 1]
    if not rows.get("opportunities"):
        return Judgement(
            False,
            "the store holds no opportunities: the metric tree has nothing to compute",
            "load the CRM's opportunities (`demandos ingest` or `demandos load`)",
        )
    if not tops:
        return Judgement(False, "metrics.yaml has no tier-1 metric to show", "add a north star")
    month = c.data_month
    value = c.ws.metrics(month.label, today=c.today).get(tops[0].id)
    loaded = sum(rows.values())
    if value.value is None:
        return Judgement(
            False,
            f"{loaded:,} rows loaded, but {tops[0].id} does not compute for {month.label}: "
            f"{value.reason}",
            "load what the north star reads (spend, costs, opportunities) for last month",
        )
    return Judgement(
        True,
        f"{loaded:,} rows in the store; the metric tree computes for {month.label}: "
        f"{tops[0].id} = {value.value:,.2f} (`demandos metrics --period {month.label}`)",
    )


@judge("clarify_roles")
def clarify_roles(c: PlanContext) -> Judgement:
    from demandos.team import ownership

    report = ownership(c.ws)
    bare = [p.id for p in c.specs.team.people if not p.responsibilities]
    gaps = []
    if bare:
        gaps.append(f"no responsibilities: {_names(bare)}")
    if report.idle:
        gaps.append(f"own nothing: {_names(report.idle)}")
    if report.unknown:
        gaps.append(f"owners not in team.yaml: {_names(p.person for p in report.unknown)}")
    people = len(c.specs.team.people)
    fixes = []
    if bare or report.idle:
        fixes.append("list each person's responsibilities in team.yaml and give everyone "
                     "something to own")  # fmt: skip
    if report.unknown:
        fixes.append("add the owners named to team.yaml (an asset's owner may be a person's "
                     "id, name or email), or name people who are there")  # fmt: skip
    if not gaps:
        return Judgement(
            True,
            f"{people} people with roles and responsibilities, each owning something "
            "(`demandos team ownership`)",
        )
    return Judgement(
        False,
        f"{people} people; " + "; ".join(gaps),
        "; ".join(fixes),
    )


_BEFORE_OPPORTUNITY = ("lead", "mql", "sql")


@judge("document_workflows")
def document_workflows(c: PlanContext) -> Judgement:
    flows = c.specs.workflows
    people = set(c.specs.person_ids)
    critical = [
        w.id
        for w in flows.values()
        if any(s.milestone == "opportunity" for s in w.steps)
        and any(s.milestone in _BEFORE_OPPORTUNITY for s in w.steps)
        and any(s.sla for s in w.steps)
    ]
    orphans = [w.id for w in flows.values() if w.owner not in people]
    if critical and not orphans:
        return Judgement(
            True,
            f"{len(flows)} workflows documented ({_names(sorted(flows))}); lead → opportunity "
            f"with milestones and SLAs: {_names(critical)}",
        )
    gaps = []
    if not critical:
        gaps.append("no workflow carries a lead to the opportunity milestone with an SLA")
    if orphans:
        gaps.append(f"no owner in team.yaml: {_names(orphans)}")
    return Judgement(
        False,
        f"{len(flows)} workflows; " + "; ".join(gaps),
        "document workflows/lead_to_opportunity.yaml: steps with milestones (lead … "
        "opportunity), an owner and SLAs",
    )


# -- rhythm ---------------------------------------------------------------------------------


def _streak(weeks: Iterable[str]) -> list[str]:
    """The longest run of consecutive ISO weeks (the latest of equal runs)."""
    starts = sorted({date.fromisocalendar(int(w[:4]), int(w[6:]), 1) for w in weeks})
    best: list[date] = []
    run: list[date] = []
    for day in starts:
        run = [*run, day] if run and day - run[-1] == timedelta(weeks=1) else [day]
        if len(run) >= len(best):
            best = run
    return [week_period(d).label for d in best]


def _weekly_habit(c: PlanContext, kind: str, what: str) -> Judgement:
    rituals = [r for r in c.specs.cadence.rituals if r.kind == kind]
    if not rituals:
        return Judgement(
            False,
            f"cadence.yaml has no {what} ritual",
            f"add a ritual of kind {kind} to cadence.yaml",
        )
    held = [r for r in c.reviews if r.kind == kind and r.held_at is not None]
    weeks = {week_period(_day(r.held_at)).label for r in held if r.held_at}
    run = _streak(weeks)
    text = f"{len(weeks)} week(s) with a {what} recorded"
    if run:
        text += f"; longest run {run[0]} to {run[-1]} ({len(run)} weeks)"
    if len(run) >= STREAK_WEEKS:
        return Judgement(True, text)
    return Judgement(
        False,
        text + f"; {STREAK_WEEKS} consecutive weeks make the habit",
        f"hold the {rituals[0].name} every week and record it: "
        f"`demandos review record {rituals[0].id}`",
    )


def _day(value: datetime | None) -> date:
    assert value is not None
    return value.date()


@judge("weekly_meetings")
def weekly_meetings(c: PlanContext) -> Judgement:
    return _weekly_habit(c, "weekly_review", "weekly review")


@judge("optimization_routine")
def optimization_routine(c: PlanContext) -> Judgement:
    return _weekly_habit(c, "weekly_optimization", "weekly optimization")


# -- optimization and maturation --------------------------------------------------------------


def _held(c: PlanContext, kind: str, what: str, why: str) -> Judgement:
    rituals = [r for r in c.specs.cadence.rituals if r.kind == kind]
    held = sorted((r for r in c.reviews if r.kind == kind), key=lambda r: _day(r.held_at))
    if held:
        last = held[-1]
        return Judgement(
            True,
            f"{len(held)} {what}(s) recorded, the last on {_day(last.held_at)} for {last.period}"
            + why,
        )
    ritual = rituals[0].id if rituals else None
    return Judgement(
        False,
        f"no {what} recorded in the operating log"
        + ("" if rituals else f" (cadence.yaml has no ritual of kind {kind})"),
        f"hold it and record it: `demandos review record {ritual}`"
        if ritual
        else f"add a ritual of kind {kind} to cadence.yaml, hold it and record it",
    )


@judge("plan_capacity")
def plan_capacity(c: PlanContext) -> Judgement:
    return _held(c, "monthly_planning", "monthly planning", " (its pack plans capacity per person)")


@judge("quarterly_audits")
def quarterly_audits(c: PlanContext) -> Judgement:
    return _held(c, "demand_audit", "demand audit", " (`demandos audit` is its report)")


@judge("continuous_improvement")
def continuous_improvement(c: PlanContext) -> Judgement:
    months = [c.last_month.shift(-n) for n in reversed(range(IMPROVEMENT_MONTHS))]
    counts = {
        m.label: sum(1 for d in c.decisions if m.start <= d.made_at.date() < m.end) for m in months
    }
    text = "decisions recorded: " + ", ".join(f"{k} {v}" for k, v in counts.items())
    empty = [k for k, v in counts.items() if not v]
    if not empty:
        return Judgement(True, text)
    return Judgement(
        False,
        text,
        "decide something from the evidence every month and record it: `demandos decision add`",
    )


# -- the plan -------------------------------------------------------------------------------


def _task(c: PlanContext, phase: Phase, task: Task, done: dict[str, Done]) -> TaskProgress:
    record = done.get(task.id)
    judged = JUDGED.get(task.id)
    if judged is not None:
        found = judged(c)
        note = (
            f" (rollout.yaml's done: also lists it on {record.date}; the system judges this task)"
            if record
            else ""
        )
        return TaskProgress(
            task.id, task.name, phase.id, "done" if found.done else "open", True,
            found.evidence + note, "" if found.done else found.fix,
        )  # fmt: skip
    if record is not None and record.date <= c.today:
        by = f" by {record.by}" if record.by else ""
        return TaskProgress(
            task.id, task.name, phase.id, "recorded", False,
            f"recorded done on {record.date}{by}: {record.evidence}", "",
        )  # fmt: skip
    return TaskProgress(
        task.id, task.name, phase.id, "manual", False,
        "the system cannot judge this task; rollout.yaml's done: does not list it",
        f"when it is done, add under `done:` in rollout.yaml: - {{task: {task.id}, date: "
        "YYYY-MM-DD, evidence: what shows it, by: person id}",
    )  # fmt: skip


def rollout_progress(ws: Workspace, *, today: date | None = None) -> RolloutProgress:
    """rollout.yaml's plan (default: the 12-week plan) with each task's progress on ``today``."""
    today = today or date.today()
    plan = ws.specs.rollout
    c = PlanContext(ws, today)
    done = {d.task: d for d in plan.done}
    start = plan.start_date
    phases = []
    for phase in plan.phases:
        first = last = None
        state = "not started"
        if start is not None:
            first = start + timedelta(weeks=phase.weeks.start - 1)
            last = start + timedelta(weeks=phase.weeks.end) - timedelta(days=1)
            state = "past" if last < today else ("now" if first <= today else "ahead")
            if phase.id == "maturation" and first <= today:
                state = "now"  # maturation does not end
        tasks = tuple(_task(c, phase, t, done) for t in plan.tasks(phase))
        phases.append(
            PhaseProgress(
                phase.id,
                phase.name,
                (phase.weeks.start, phase.weeks.end),
                first,
                last,
                state,
                tasks,
            )
        )
    week = (today - start).days // 7 + 1 if start is not None and today >= start else None
    return RolloutProgress(ws.specs.workspace.name, today, start, week, tuple(phases))


def share_done(progress: RolloutProgress) -> float | None:
    """The share of every task of the plan that is done."""
    tasks = [t for p in progress.phases for t in p.tasks]
    return math.fsum(1 for t in tasks if t.is_done) / len(tasks) if tasks else None
