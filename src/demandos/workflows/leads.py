"""Inbound lead → sales opportunity, measured directly from CRM data.

The SLAs come from the inbound-lead workflow (the workflow whose steps carry ``milestone:``):
each milestone step is reached at a CRM event of the lead, read from the canonical tables:

=============  =========================================================================
milestone      when the lead reached it
=============  =========================================================================
lead           ``people.lead_at`` (``created_at`` when empty); the clock starts at
               ``created_at`` (the trigger)
sales_touch    the first touchpoint of the person with a sales ``touch_type`` (sdr_call,
               sales_call, sales_meeting, sales_email, meeting) at or after the lead time
mql, sql       ``people.mql_at``, ``people.sql_at``
opportunity    the first opportunity of the person's account created at or after the lead time
won            not measured: close dates carry no time of day
=============  =========================================================================

A milestone step's clock starts when the previous milestone step was reached (the trigger for
the first) and allows the SLAs of every step since then, counted on the workflow's clock
(calendar time or business hours). A reached milestone is *on time* when it came within that
allowance; an event recorded before the clock started counts as on time. Not every lead should
become an MQL, SQL or opportunity, so those milestones are measured over the leads that reached
them. Every lead *must* be captured, and every routed lead *must* get a sales touch: for these
two, a lead whose clock ran out with no event is *missed* (in the denominator), and one whose
clock still runs is *pending* (not yet counted).

**Fell through**: routed leads with no sales touch within the SLA of the ``sales_touch`` step,
late or still without a touch.

Compliance **by owner** groups the steps by the person who answers for each (the step's owner,
else the workflow's: the canonical tables carry no CRM lead owner); **by segment** groups the
leads by the ICP segment of their account (``kernel/fit.py``).

The population is the leads created in the period (``lead_at``, else ``created_at``). Fact
timestamps are wall-clock times in the workspace timezone.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

import ibis

from demandos.errors import WorkflowError
from demandos.kernel.fit import NO_SEGMENT, account_segments
from demandos.metrics.cohorts import SALES_TOUCH_TYPES
from demandos.metrics.periods import Period
from demandos.workflows.clock import Clock, workflow_clock
from demandos.workflows.runs import quantile

if TYPE_CHECKING:
    from demandos.spec import Specs
    from demandos.spec.workflows import WorkflowSpec
    from demandos.store.facts import FactStore

GroupBy = Literal["owner", "segment"]
MANDATORY = frozenset({"lead", "sales_touch"})
ZERO = timedelta()
TRIGGER = "lead created"


@dataclass(frozen=True)
class Spans:
    """How long something took over the leads it happened to: count, median, p90."""

    count: int
    median: timedelta | None
    p90: timedelta | None

    @classmethod
    def of(cls, values: list[timedelta]) -> Spans:
        return cls(len(values), quantile(values, 0.5), quantile(values, 0.9))


@dataclass(frozen=True)
class StepCompliance:
    """One milestone step measured from the CRM over the period's leads."""

    step_id: str
    name: str
    owner: str
    milestone: str
    since: str  # the milestone its clock starts from ("lead created" for the first)
    sla: timedelta  # the SLAs of the steps since that milestone, as written
    on_time: int
    late: int
    missed: int  # clock ran out without the event (capture and sales touch only)
    pending: int  # clock still running without the event
    took: Spans  # how long the leads that reached it took, on the workflow's clock

    @property
    def measured(self) -> int:
        return self.on_time + self.late + self.missed

    @property
    def compliance(self) -> float | None:
        return self.on_time / self.measured if self.measured else None


@dataclass(frozen=True)
class GroupRow:
    """SLA compliance of one owner or one segment over every measured step."""

    key: str
    leads: int | None  # leads in the segment; None by owner
    steps: tuple[str, ...]  # the steps counted (by owner: the steps the person answers for)
    on_time: int
    measured: int
    fell_through: int
    speed_to_lead: timedelta | None  # median; by segment only

    @property
    def compliance(self) -> float | None:
        return self.on_time / self.measured if self.measured else None


@dataclass(frozen=True)
class FellThrough:
    """A routed lead with no sales touch within the SLA."""

    person_id: str
    account_id: str | None
    segment: str
    owner: str
    routed_at: datetime  # when the sales-touch clock started (workspace time)
    due_at: datetime
    touched_at: datetime | None  # the late first touch, or None
    late_by: timedelta  # past the due time: to the touch, or to now


@dataclass(frozen=True)
class LeadFlow:
    """``demandos workflow leads``: the inbound-lead flow of one period, from CRM data."""

    workflow_id: str
    workflow_name: str
    period: Period
    clock: Clock
    now: datetime
    leads: int
    touched: int  # leads with a sales touch at or after their lead time
    speed_to_lead: Spans  # lead created → first sales touch
    mql_to_sql: Spans
    steps: tuple[StepCompliance, ...]
    fell_through: tuple[FellThrough, ...]
    by: GroupBy | None = None
    groups: tuple[GroupRow, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def compliance(self) -> float | None:
        measured = sum(s.measured for s in self.steps)
        return sum(s.on_time for s in self.steps) / measured if measured else None


def inbound_workflow(specs: Specs, workflow_id: str | None = None) -> WorkflowSpec:
    """The workflow measured from CRM data: ``workflow_id``, else the one whose steps carry the
    ``lead`` milestone (``lead_to_opportunity`` first)."""
    if workflow_id is not None:
        wf = specs.workflows.get(workflow_id)
        if wf is None:
            raise WorkflowError(
                f"there is no workflow {workflow_id!r}",
                hint=f"workflows in workflows/: {', '.join(sorted(specs.workflows)) or 'none'}",
            )
    else:
        candidates = sorted(
            (w for w in specs.workflows.values() if any(s.milestone == "lead" for s in w.steps)),
            key=lambda w: (w.id != "lead_to_opportunity", w.id),
        )
        if not candidates:
            raise WorkflowError(
                "no workflow has a step with `milestone: lead`, so there is no inbound-lead "
                "flow to measure",
                hint="mark the steps of workflows/lead_to_opportunity.yaml with milestones "
                "(lead, mql, sales_touch, sql, opportunity); `demandos init` writes one",
            )
        wf = candidates[0]
    if not any(s.milestone and s.milestone != "won" for s in wf.steps):
        raise WorkflowError(
            f"workflow {wf.id!r} has no step with a CRM milestone",
            hint="add `milestone:` (lead, sales_touch, mql, sql, opportunity) to its steps",
        )
    return wf


@dataclass
class _Lead:
    person_id: str
    account_id: str | None
    segment: str
    created: datetime
    at: dict[str, datetime | None]


def lead_flow(
    facts: FactStore,
    specs: Specs,
    period: Period,
    *,
    now: datetime | None = None,
    by: GroupBy | None = None,
    workflow_id: str | None = None,
) -> LeadFlow:
    """Measure the inbound-lead workflow over the leads created in ``period``."""
    wf = inbound_workflow(specs, workflow_id)
    zone = ZoneInfo(specs.workspace.timezone)
    clock = workflow_clock(specs.workspace, wf.clock)
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    leads = _leads(facts, specs, period, zone)
    plan = _plan(wf)
    steps: list[StepCompliance] = []
    fell: list[FellThrough] = []
    per_lead: dict[str, list[tuple[str, bool]]] = defaultdict(list)  # step outcomes
    for step_id, name, owner, milestone, since, sla in plan:
        allowed = clock.allowance(sla)
        on_time = late = missed = pending = 0
        took: list[timedelta] = []
        for lead in leads:
            start = lead.created if since == TRIGGER else lead.at.get(since)
            if start is None:
                continue
            reached = lead.at.get(milestone)
            due = clock.due(start, allowed)
            if reached is not None:
                spent = max(ZERO, clock.elapsed(start, reached))
                took.append(spent)
                ok = spent <= allowed
                on_time += ok
                late += not ok
                per_lead[lead.person_id].append((step_id, ok))
                if not ok and milestone == "sales_touch":
                    fell.append(_fell(lead, owner, start, due, reached, clock, zone))
            elif milestone in MANDATORY:
                if due <= moment:
                    missed += 1
                    per_lead[lead.person_id].append((step_id, False))
                    if milestone == "sales_touch":
                        fell.append(_fell(lead, owner, start, due, None, clock, zone, moment))
                else:
                    pending += 1
        steps.append(
            StepCompliance(
                step_id,
                name,
                owner,
                milestone,
                since,
                sla,
                on_time,
                late,
                missed,
                pending,
                Spans.of(took),
            )
        )
    speed = [
        max(ZERO, clock.elapsed(lead.at["lead"], touch))
        for lead in leads
        if (touch := lead.at["sales_touch"]) is not None and lead.at["lead"] is not None
    ]
    qualify = [
        clock.elapsed(mql, sql)
        for lead in leads
        if (mql := lead.at["mql"]) is not None
        and (sql := lead.at["sql"]) is not None
        and sql >= mql
    ]
    notes = []
    if not leads:
        notes.append(
            f"no lead was created in {period.label}: load the CRM's contacts (demandos ingest) "
            "or pick a period the store covers"
        )
    if not any(s[3] == "sales_touch" for s in plan):
        notes.append(
            "no step has `milestone: sales_touch`, so leads that fell through are not found: "
            "mark the first-touch step of the workflow with it"
        )
    if any(s.milestone == "won" for s in wf.steps):
        notes.append("the won milestone is not measured: close dates carry no time of day")
    fell.sort(key=lambda f: (f.due_at, f.person_id))
    groups = _groups(by, steps, leads, per_lead, fell, speed_by=_speed_by_lead(leads, clock))
    return LeadFlow(
        wf.id,
        wf.name,
        period,
        clock,
        moment,
        len(leads),
        len(speed),
        Spans.of(speed),
        Spans.of(qualify),
        tuple(steps),
        tuple(fell),
        by,
        groups,
        tuple(notes),
    )


def _plan(wf: WorkflowSpec) -> list[tuple[str, str, str, str, str, timedelta]]:
    """Each measured milestone step: id, name, owner, milestone, the milestone its clock starts
    from, and the SLAs allowed since then. Steps without an SLA in the stretch are not measured."""
    out: list[tuple[str, str, str, str, str, timedelta]] = []
    since: str = TRIGGER
    total, has_sla = ZERO, False
    for step in wf.steps:
        if step.sla is not None:
            total, has_sla = total + step.sla, True
        if step.milestone is None:
            continue
        if step.milestone != "won" and has_sla:
            out.append((step.id, step.name, wf.owner_of(step), step.milestone, since, total))
        since, total, has_sla = step.milestone, ZERO, False
    return out


def _fell(
    lead: _Lead,
    owner: str,
    start: datetime,
    due: datetime,
    touched: datetime | None,
    clock: Clock,
    zone: ZoneInfo,
    now: datetime | None = None,
) -> FellThrough:
    end = touched if touched is not None else now
    assert end is not None
    return FellThrough(
        lead.person_id,
        lead.account_id,
        lead.segment,
        owner,
        _wall(start, zone),
        _wall(due, zone),
        _wall(touched, zone) if touched is not None else None,
        clock.elapsed(due, end),
    )


def _speed_by_lead(leads: list[_Lead], clock: Clock) -> dict[str, timedelta]:
    out = {}
    for lead in leads:
        touch, start = lead.at["sales_touch"], lead.at["lead"]
        if touch is not None and start is not None:
            out[lead.person_id] = max(ZERO, clock.elapsed(start, touch))
    return out


def _groups(
    by: GroupBy | None,
    steps: list[StepCompliance],
    leads: list[_Lead],
    per_lead: dict[str, list[tuple[str, bool]]],
    fell: list[FellThrough],
    *,
    speed_by: dict[str, timedelta],
) -> tuple[GroupRow, ...]:
    if by is None:
        return ()
    rows = []
    if by == "owner":
        owners: dict[str, list[StepCompliance]] = defaultdict(list)
        for s in steps:
            owners[s.owner].append(s)
        for owner, owned in sorted(owners.items()):
            ids = tuple(s.step_id for s in owned)
            rows.append(
                GroupRow(
                    owner,
                    None,
                    ids,
                    sum(s.on_time for s in owned),
                    sum(s.measured for s in owned),
                    sum(1 for f in fell if f.owner == owner),
                    None,
                )
            )
        return tuple(rows)
    members: dict[str, list[_Lead]] = defaultdict(list)
    for lead in leads:
        members[lead.segment].append(lead)
    ids = tuple(s.step_id for s in steps)
    for segment, group in sorted(members.items(), key=lambda kv: (kv[0] == NO_SEGMENT, kv[0])):
        outcomes = [ok for lead in group for _, ok in per_lead.get(lead.person_id, [])]
        speeds = [speed_by[lead.person_id] for lead in group if lead.person_id in speed_by]
        rows.append(
            GroupRow(
                segment,
                len(group),
                ids,
                sum(outcomes),
                len(outcomes),
                sum(1 for f in fell if f.segment == segment),
                quantile(speeds, 0.5),
            )
        )
    return tuple(rows)


# -- reading the facts -------------------------------------------------------------------------


def _leads(facts: FactStore, specs: Specs, period: Period, zone: ZoneInfo) -> list[_Lead]:
    start = datetime.combine(period.start, time())
    end = datetime.combine(period.end, time())
    p = facts.table("people")
    people = p.select(
        person_id=p.person_id,
        account_id=p.account_id,
        created_at=p.created_at,
        lead_time=ibis.coalesce(p.lead_at, p.created_at),
        mql_at=p.mql_at,
        sql_at=p.sql_at,
    )
    people = people.filter((people.lead_time >= start) & (people.lead_time < end))
    rows = _rows(people)
    if not rows:
        return []

    t = facts.table("touchpoints")
    sales = t.filter(t.touch_type.isin(SALES_TOUCH_TYPES) & t.person_id.notnull())
    sales = sales.select(touch_person=sales.person_id, ts=sales.ts)
    joined = people.join(sales, people.person_id == sales.touch_person)
    joined = joined.filter(joined.ts >= joined.lead_time)
    touches = _by_person(joined.group_by("person_id").aggregate(first=joined.ts.min()))

    o = facts.table("opportunities")
    opps = o.select(opp_account=o.account_id, opened=o.created_at)
    with_opp = people.join(opps, people.account_id == opps.opp_account)
    with_opp = with_opp.filter(with_opp.opened >= with_opp.lead_time)
    first_opp = _by_person(with_opp.group_by("person_id").aggregate(first=with_opp.opened.min()))

    accounts = {r["account_id"] for r in rows if r["account_id"] is not None}
    segments: dict[str, str] = {}
    if accounts:
        fit = account_segments(facts.table("accounts"), specs.kernel)
        segments = {
            r["account_id"]: r["segment"]
            for r in _rows(fit.filter(fit.account_id.isin(sorted(accounts))))
        }

    def aware(value: datetime | None) -> datetime | None:
        return None if value is None else value.replace(tzinfo=zone)

    def created(row: dict[str, Any]) -> datetime:
        value: datetime = row["created_at"] or row["lead_time"]
        return value.replace(tzinfo=zone)

    leads = []
    for r in sorted(rows, key=lambda r: (r["lead_time"], r["person_id"])):
        pid = r["person_id"]
        leads.append(
            _Lead(
                pid,
                r["account_id"],
                segments.get(r["account_id"], NO_SEGMENT),
                created(r),
                {
                    "lead": aware(r["lead_time"]),
                    "sales_touch": aware(touches.get(pid)),
                    "mql": aware(r["mql_at"]),
                    "sql": aware(r["sql_at"]),
                    "opportunity": aware(first_opp.get(pid)),
                },
            )
        )
    return leads


def _rows(expr: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = expr.to_pyarrow().to_pylist()
    return rows


def _by_person(expr: Any) -> dict[str, datetime]:
    return {r["person_id"]: r["first"] for r in _rows(expr)}


def _wall(moment: datetime, zone: ZoneInfo) -> datetime:
    """A time as the team reads it: wall clock in the workspace timezone, without tzinfo."""
    return moment.astimezone(zone).replace(tzinfo=None)
