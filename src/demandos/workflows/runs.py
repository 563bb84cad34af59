"""Workflow runs: one pass through a procedure, step by step, with its SLA clock.

    runs = ws.workflows
    run = runs.start("campaign_launch", subject="Q1 webinar series")
    runs.check(run.id, "brief", 1)              # tick the first checklist item (or its text)
    runs.done(run.id, "brief")                  # refused while items are open
    runs.status(now)                            # open runs: current step, due, remaining
    runs.stats("campaign_launch")               # cycle times and SLA compliance per step
    runs.overdue(now)                           # steps past their SLA (the Monday pack)

A run keeps the procedure as it was when it started (steps, owners, checklists, SLAs, clock), so
editing the YAML later does not rewrite history. Steps are done in order; each step's clock
starts when the one before it is done (the first step's when the run starts) and the run's
end-to-end clock when it starts. Clocks count calendar time, or business hours for workflows
with ``clock: business`` (``workflows/clock.py``).

Every input is checked before anything is written: an unknown workflow, run, step or item, a
person not in team.yaml, a step done twice or before the one it follows raises
``WorkflowError`` naming the value and the fix, and stores nothing. Times are stored in UTC.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from demandos.errors import WorkflowError
from demandos.spec.fields import format_duration
from demandos.store.oplog import OperatingLog, WorkflowRun, WorkflowRunStep
from demandos.suggest import did_you_mean
from demandos.workflows.clock import Clock, workflow_clock

if TYPE_CHECKING:
    from demandos.spec import Specs
    from demandos.spec.workflows import WorkflowSpec

StepStatus = Literal["done", "current", "waiting"]


# -- what a run looks like -------------------------------------------------------------------


@dataclass(frozen=True)
class StepState:
    """One step of a run: its checklist, what is ticked, and its SLA clock."""

    id: str
    name: str
    owner: str
    checklist: tuple[str, ...]
    checked: tuple[int, ...]  # 0-based indexes of ticked items
    status: StepStatus
    sla: timedelta | None  # as written in the spec
    allowed: timedelta | None  # working time the SLA allows on the run's clock
    started_at: datetime | None = None  # when its clock started (UTC); None while waiting
    due_at: datetime | None = None
    done_at: datetime | None = None
    done_by: str | None = None

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(item for i, item in enumerate(self.checklist) if i not in self.checked)


@dataclass(frozen=True)
class RunState:
    """A run: the procedure's steps as they stand, and the end-to-end clock."""

    id: int
    workflow_id: str
    workflow_name: str
    subject: str | None
    clock: Clock
    started_at: datetime
    started_by: str | None
    finished_at: datetime | None
    sla: timedelta | None
    due_at: datetime | None
    steps: tuple[StepState, ...]

    @property
    def is_open(self) -> bool:
        return self.finished_at is None

    @property
    def current(self) -> StepState | None:
        return next((s for s in self.steps if s.status == "current"), None)

    def step(self, step_id: str) -> StepState:
        for s in self.steps:
            if s.id == step_id:
                return s
        ids = [s.id for s in self.steps]
        guess = did_you_mean(step_id, ids)
        raise WorkflowError(
            f"run {self.id} ({self.workflow_id}) has no step {step_id!r}",
            hint=(guess + " " if guess else "") + f"its steps are: {', '.join(ids)}",
        )

    def left(self, due: datetime | None, now: datetime) -> timedelta | None:
        """Working time from ``now`` to ``due``: negative once overdue."""
        return None if due is None else self.clock.elapsed(now, due)

    def took(self, step: StepState) -> timedelta | None:
        """How long a done step took on the run's clock; None until it is done."""
        if step.started_at is None or step.done_at is None:
            return None
        return self.clock.elapsed(step.started_at, step.done_at)

    def cycle_time(self) -> timedelta | None:
        """Start to finish on the run's clock; None while open."""
        if self.finished_at is None:
            return None
        return self.clock.elapsed(self.started_at, self.finished_at)


@dataclass(frozen=True)
class OverdueStep:
    """A step past its SLA: what, whose, due when, and by how much (on the run's clock)."""

    run_id: int
    workflow_id: str
    workflow_name: str
    subject: str | None
    step_id: str
    step_name: str
    owner: str
    due_at: datetime
    overdue_by: timedelta  # on the run's clock
    clock: Clock

    @property
    def overdue_text(self) -> str:
        """``overdue 1 working day 2h`` or ``overdue 3d 4h``, as the clock counts."""
        return f"overdue {self.clock.describe(self.overdue_by)}"


@dataclass(frozen=True)
class CycleStats:
    """Cycle times of one step (or the whole procedure) over the runs that finished it."""

    step_id: str  # "(end to end)" for the whole run
    name: str
    sla: timedelta | None
    done: int
    median: timedelta | None
    p90: timedelta | None
    within_sla: int  # done within the SLA (only counted when there is one)

    @property
    def compliance(self) -> float | None:
        """Share of finished ones within the SLA; None without an SLA or without any done."""
        return self.within_sla / self.done if self.sla is not None and self.done else None


@dataclass(frozen=True)
class WorkflowStats:
    """``workflow stats``: runs of one procedure and their cycle times per step."""

    workflow_id: str
    name: str
    clock: str
    runs: int
    finished: int
    open: int
    steps: tuple[CycleStats, ...]
    end_to_end: CycleStats
    extra: dict[str, Any] = field(default_factory=dict)


END_TO_END = "(end to end)"


def quantile(values: Sequence[timedelta], q: float) -> timedelta | None:
    """The ``q`` quantile with linear interpolation between ranks (numpy's default), to the
    second; None for no values."""
    if not values:
        return None
    seconds = np.quantile([v.total_seconds() for v in values], q)
    return timedelta(seconds=round(float(seconds)))


# -- the runs of a workspace ------------------------------------------------------------------


class WorkflowRuns:
    """Runs of the workspace's workflows, kept in the operating log.

    ``clock`` gives the current time (tests pass a fixed one); ``--at`` times in the CLI are
    passed as ``at``.
    """

    def __init__(
        self,
        log: OperatingLog,
        specs: Specs,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.log = log
        self.specs = specs
        self.zone = ZoneInfo(specs.workspace.timezone)
        self._now = clock or (lambda: datetime.now(UTC))

    # -- reading the spec ------------------------------------------------------------------

    def workflow(self, workflow_id: str) -> WorkflowSpec:
        found = self.specs.workflows.get(workflow_id)
        if found is None:
            ids = sorted(self.specs.workflows)
            guess = did_you_mean(workflow_id, ids)
            raise WorkflowError(
                f"there is no workflow {workflow_id!r}",
                hint=(guess + " " if guess else "")
                + (
                    f"workflows in workflows/: {', '.join(ids)}"
                    if ids
                    else "add one as workflows/<id>.yaml (demandos init writes four to start from)"
                ),
            )
        return found

    def clock_for(self, kind: str) -> Clock:
        return workflow_clock(self.specs.workspace, kind)

    def instant(self, at: datetime | str | None) -> datetime:
        """``at`` as an aware UTC time: now when None; naive times and text are read in the
        workspace timezone (``2026-11-23 09:30`` or ``2026-11-23T09:30+01:00``)."""
        if at is None:
            return self._now().astimezone(UTC)
        if isinstance(at, str):
            try:
                at = datetime.fromisoformat(at.strip())
            except ValueError:
                raise WorkflowError(
                    f"{at!r} is not a date and time",
                    hint="write it as YYYY-MM-DD HH:MM (workspace timezone), e.g. 2026-11-23 09:30",
                ) from None
        if at.tzinfo is None:
            at = at.replace(tzinfo=self.zone)
        return at.astimezone(UTC)

    def _person(self, person: str | None) -> str | None:
        if person is None:
            return None
        ids = [p.id for p in self.specs.team.people]
        if person not in ids:
            guess = did_you_mean(person, ids)
            raise WorkflowError(
                f"{person!r} is not a person in team.yaml",
                hint=(guess + " " if guess else "") + f"people: {', '.join(ids)}",
            )
        return person

    # -- writing -----------------------------------------------------------------------------

    def start(
        self,
        workflow_id: str,
        *,
        subject: str | None = None,
        at: datetime | str | None = None,
        by: str | None = None,
    ) -> RunState:
        """Start a run of ``workflow_id`` at ``at`` (default now); its first step's clock starts."""
        wf = self.workflow(workflow_id)
        when = self.instant(at)
        person = self._person(by)
        plan = {
            "name": wf.name,
            "clock": wf.clock,
            "sla_minutes": _minutes(wf.sla),
            "steps": [
                {
                    "id": s.id,
                    "name": s.name,
                    "owner": wf.owner_of(s),
                    "sla_minutes": _minutes(s.sla),
                    "checklist": list(s.checklist),
                }
                for s in wf.steps
            ],
        }
        with self.log.session() as session:
            run = WorkflowRun(
                workflow_id=wf.id,
                subject=(subject or "").strip() or None,
                started_at=_naive(when),
                status="running",
                steps=plan,
                started_by=person,
            )
            session.add(run)
            session.flush()
            for position, s in enumerate(wf.steps):
                session.add(
                    WorkflowRunStep(run_id=run.id, step_id=s.id, position=position, checked=[])
                )
            session.flush()
            return self._state(session, run)

    def check(
        self,
        run_id: int,
        step_id: str,
        item: str | int | None = None,
        *,
        at: datetime | str | None = None,
        by: str | None = None,
    ) -> tuple[RunState, tuple[str, ...]]:
        """Tick one checklist item of a step (by 1-based number or by its text), or all that
        are open when ``item`` is None; returns the run and the items ticked."""
        when, person = self.instant(at), self._person(by)
        with self.log.session() as session:
            run, rows = self._load(session, run_id)
            state = self._state(session, run)
            step = state.step(step_id)
            if step.status == "done":
                raise WorkflowError(
                    f"step {step_id!r} of run {run_id} is done already",
                    hint="its checklist was complete when it was done; nothing to tick",
                )
            if item is None:
                indexes = [i for i in range(len(step.checklist)) if i not in step.checked]
                if not indexes:
                    raise WorkflowError(
                        f"every checklist item of step {step_id!r} is ticked already"
                        if step.checklist
                        else f"step {step_id!r} has no checklist",
                        hint=f"mark the step done: demandos workflow done {run_id} {step_id}",
                    )
            else:
                index = _find_item(step, item)
                if index in step.checked:
                    raise WorkflowError(
                        f"{step.checklist[index]!r} is ticked already",
                        hint=f"open items: {'; '.join(step.missing) or 'none'}",
                    )
                indexes = [index]
            row = rows[step_id]
            row.checked = [
                *row.checked,
                *({"item": i, "at": when.isoformat(), "by": person} for i in indexes),
            ]
            session.flush()
            return self._state(session, run), tuple(step.checklist[i] for i in indexes)

    def done(
        self,
        run_id: int,
        step_id: str,
        *,
        at: datetime | str | None = None,
        by: str | None = None,
    ) -> RunState:
        """Mark a step done: refused while its checklist is incomplete, before the steps it
        follows are done, or when it is done already. The last step finishes the run."""
        when, person = self.instant(at), self._person(by)
        with self.log.session() as session:
            run, rows = self._load(session, run_id)
            state = self._state(session, run)
            step = state.step(step_id)
            if step.status == "done":
                assert step.done_at is not None
                raise WorkflowError(
                    f"step {step_id!r} of run {run_id} was done already, at "
                    f"{_local(step.done_at, self.zone)}",
                    hint=f"see the run with: demandos workflow status {run_id}",
                )
            if step.status == "waiting":
                current = state.current
                assert current is not None
                raise WorkflowError(
                    f"step {step_id!r} of run {run_id} comes after {current.id!r}, which is "
                    "not done",
                    hint=f"steps are done in order: finish {current.id!r} first",
                )
            if step.missing:
                raise WorkflowError(
                    f"step {step_id!r} of run {run_id} has open checklist items: "
                    + "; ".join(f"{step.checklist.index(m) + 1}. {m}" for m in step.missing),
                    hint=f"tick them with: demandos workflow check {run_id} {step_id} ITEM",
                )
            assert step.started_at is not None
            if when < step.started_at:
                raise WorkflowError(
                    f"step {step_id!r} cannot be done at {_local(when, self.zone)}, before its "
                    f"clock started at {_local(step.started_at, self.zone)}",
                    hint="leave --at out to use now, or give a later time",
                )
            row = rows[step_id]
            row.done_at, row.done_by = _naive(when), person
            if step is state.steps[-1]:
                run.finished_at, run.status = _naive(when), "done"
            session.flush()
            return self._state(session, run)

    # -- reading -----------------------------------------------------------------------------

    def get(self, run_id: int) -> RunState:
        with self.log.session() as session:
            run, _ = self._load(session, run_id)
            return self._state(session, run)

    def runs(self, workflow_id: str | None = None, *, open_only: bool = False) -> list[RunState]:
        with self.log.session() as session:
            query = select(WorkflowRun).order_by(WorkflowRun.started_at, WorkflowRun.id)
            if workflow_id is not None:
                query = query.where(WorkflowRun.workflow_id == workflow_id)
            if open_only:
                query = query.where(WorkflowRun.finished_at.is_(None))
            return [self._state(session, run) for run in session.scalars(query)]

    def status(self) -> list[RunState]:
        """Open runs, oldest first."""
        return self.runs(open_only=True)

    def overdue(self, now: datetime | None = None) -> list[OverdueStep]:
        """Current steps of open runs past their SLA at ``now``, most overdue first."""
        moment = self.instant(now)
        rows = []
        for run in self.status():
            step = run.current
            if step is None or step.due_at is None or step.due_at >= moment:
                continue
            rows.append(
                OverdueStep(
                    run.id,
                    run.workflow_id,
                    run.workflow_name,
                    run.subject,
                    step.id,
                    step.name,
                    step.owner,
                    step.due_at,
                    run.clock.elapsed(step.due_at, moment),
                    run.clock,
                )
            )
        return sorted(rows, key=lambda r: (-r.overdue_by, r.run_id))

    def stats(self, workflow_id: str) -> WorkflowStats:
        """Runs, cycle time (median, p90) per step and end to end, and SLA compliance."""
        wf = self.workflow(workflow_id)
        runs = self.runs(wf.id)
        per_step: list[CycleStats] = []
        for spec_step in wf.steps:
            times, within = [], 0
            for run in runs:
                s = next((x for x in run.steps if x.id == spec_step.id), None)
                took = run.took(s) if s is not None else None
                if s is None or took is None:
                    continue
                times.append(took)
                within += s.allowed is not None and took <= s.allowed
            per_step.append(
                CycleStats(
                    spec_step.id,
                    spec_step.name,
                    spec_step.sla,
                    len(times),
                    quantile(times, 0.5),
                    quantile(times, 0.9),
                    within,
                )
            )
        finished = [r for r in runs if r.finished_at is not None]
        totals = [t for r in finished if (t := r.cycle_time()) is not None]
        within_total = sum(
            1
            for r in finished
            if r.sla is not None
            and (t := r.cycle_time()) is not None
            and t <= r.clock.allowance(r.sla)
        )
        end = CycleStats(
            END_TO_END,
            wf.name,
            wf.sla,
            len(totals),
            quantile(totals, 0.5),
            quantile(totals, 0.9),
            within_total,
        )
        return WorkflowStats(
            wf.id,
            wf.name,
            self.clock_for(wf.clock).label,
            len(runs),
            len(finished),
            len(runs) - len(finished),
            tuple(per_step),
            end,
        )

    # -- internals ---------------------------------------------------------------------------

    def _load(
        self, session: Session, run_id: int
    ) -> tuple[WorkflowRun, dict[str, WorkflowRunStep]]:
        run = session.get(WorkflowRun, run_id)
        if run is None:
            latest = session.scalar(select(WorkflowRun.id).order_by(WorkflowRun.id.desc()))
            raise WorkflowError(
                f"there is no workflow run {run_id}",
                hint="list open runs with: demandos workflow status"
                + (f" (the newest run is {latest})" if latest else " (no run is started yet)"),
            )
        rows = session.scalars(
            select(WorkflowRunStep).where(WorkflowRunStep.run_id == run_id)
        ).all()
        return run, {r.step_id: r for r in rows}

    def _state(self, session: Session, run: WorkflowRun) -> RunState:
        rows = {
            r.step_id: r
            for r in session.scalars(
                select(WorkflowRunStep).where(WorkflowRunStep.run_id == run.id)
            )
        }
        plan = run.steps
        clock = self.clock_for(str(plan.get("clock", "calendar")))
        started = _aware(run.started_at)
        steps: list[StepState] = []
        clock_from: datetime | None = started
        for raw in plan["steps"]:
            row = rows.get(raw["id"])
            sla = _duration(raw.get("sla_minutes"))
            allowed = clock.allowance(sla) if sla is not None else None
            done_at = _aware(row.done_at) if row is not None and row.done_at else None
            status: StepStatus
            if done_at is not None:
                status = "done"
            elif clock_from is not None:
                status = "current"
            else:
                status = "waiting"
            begin = clock_from if status != "waiting" else None
            steps.append(
                StepState(
                    id=raw["id"],
                    name=raw["name"],
                    owner=raw["owner"],
                    checklist=tuple(raw["checklist"]),
                    checked=tuple(sorted({int(c["item"]) for c in (row.checked if row else [])})),
                    status=status,
                    sla=sla,
                    allowed=allowed,
                    started_at=begin,
                    due_at=clock.due(begin, allowed) if begin and allowed is not None else None,
                    done_at=done_at,
                    done_by=row.done_by if row is not None else None,
                )
            )
            clock_from = done_at if status == "done" else None
        sla_total = _duration(plan.get("sla_minutes"))
        return RunState(
            id=run.id,
            workflow_id=run.workflow_id,
            workflow_name=str(plan.get("name", run.workflow_id)),
            subject=run.subject,
            clock=clock,
            started_at=started,
            started_by=run.started_by,
            finished_at=_aware(run.finished_at) if run.finished_at else None,
            sla=sla_total,
            due_at=clock.due(started, clock.allowance(sla_total)) if sla_total else None,
            steps=tuple(steps),
        )


def _find_item(step: StepState, item: str | int) -> int:
    items = step.checklist
    if not items:
        raise WorkflowError(
            f"step {step.id!r} has no checklist",
            hint="mark it done directly with `demandos workflow done`",
        )
    numbered = "; ".join(f"{i + 1}. {text}" for i, text in enumerate(items))
    text = str(item).strip()
    if text.isdigit():
        number = int(text)
        if 1 <= number <= len(items):
            return number - 1
        raise WorkflowError(
            f"step {step.id!r} has no checklist item {number}",
            hint=f"its items are: {numbered}",
        )
    hits = [i for i, it in enumerate(items) if text.lower() in it.lower()]
    if len(hits) == 1:
        return hits[0]
    raise WorkflowError(
        f"{text!r} matches {'no' if not hits else len(hits)} checklist items of step {step.id!r}",
        hint=f"give the item's number or more of its words: {numbered}",
    )


def _minutes(value: timedelta | None) -> int | None:
    return None if value is None else int(value.total_seconds() // 60)


def _duration(minutes: object) -> timedelta | None:
    return None if minutes is None else timedelta(minutes=int(str(minutes)))


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def describe_sla(sla: timedelta | None) -> str:
    return format_duration(sla) if sla is not None else "—"
