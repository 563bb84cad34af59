"""`demandos workflow start|check|done|status|stats|leads`: runs of the documented procedures
with their SLA clocks, and the inbound-lead flow measured from CRM data.

Each parses, calls the workspace's runs (``workflows/runs.py``) or the lead flow
(``workflows/leads.py``), and presents; main.py registers the group.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

import typer
from rich.markup import escape

from demandos.cli import render
from demandos.kernel.conformance import last_full_month
from demandos.metrics.periods import parse_period
from demandos.workflows.clock import Clock
from demandos.workflows.leads import LeadFlow, lead_flow
from demandos.workflows.runs import CycleStats, RunState, WorkflowStats
from demandos.workspace import Workspace

WorkspaceOpt = Annotated[
    Path | None,
    typer.Option(
        "--workspace", "-w", help="Workspace folder (default: the current folder or one above it)."
    ),
]
FormatOpt = Annotated[Literal["table", "json"], typer.Option("--format", "-f")]
AtOpt = Annotated[
    str | None,
    typer.Option(
        help="When it happened, YYYY-MM-DD HH:MM in the workspace timezone (default: now)."
    ),
]
ByOpt = Annotated[str | None, typer.Option("--by", help="Who did it: a person id from team.yaml.")]
RunArg = Annotated[int, typer.Argument(help="Run number (see `demandos workflow status`).")]
StepArg = Annotated[str, typer.Argument(help="Step id, as in the workflow's YAML.")]

workflow_app = typer.Typer(
    help="Runs of the workflows with SLA clocks, cycle times, and the lead flow from the CRM."
)


def _say(text: str) -> None:
    render.console.print(text, highlight=False, soft_wrap=True)


def _json(data: Any) -> None:
    render.console.print_json(json.dumps(data))


def _when(moment: datetime | None, zone: ZoneInfo) -> str:
    return "—" if moment is None else moment.astimezone(zone).strftime("%a %Y-%m-%d %H:%M")


def _left(clock: Clock, left: timedelta | None) -> str:
    if left is None:
        return "—"
    if left < timedelta():
        return f"[red]overdue {escape(clock.describe(-left))}[/]"
    return f"{escape(clock.describe(left))} left"


def _span(clock: Clock, value: timedelta | None) -> str:
    return "—" if value is None else clock.describe(value)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _minutes(value: timedelta | None) -> float | None:
    return None if value is None else value.total_seconds() / 60


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


@workflow_app.command("start")
def start(
    workflow: Annotated[str, typer.Argument(help="Workflow id (workflows/<id>.yaml).")],
    subject: Annotated[
        str | None, typer.Option(help="What this run is for, e.g. the campaign or the lead.")
    ] = None,
    at: AtOpt = None,
    by: ByOpt = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Start a run of a workflow; its first step's SLA clock starts."""
    with Workspace.open(workspace) as ws:
        run = ws.workflows.start(workflow, subject=subject, at=at, by=by)
        zone = ws.workflows.zone
    step = run.current
    _say(f"[green]✓[/] run {run.id} of {escape(run.workflow_name)} started")
    if step is not None:
        _say(
            f"  first step: {escape(step.id)} ({escape(step.name)}), owner {escape(step.owner)}, "
            f"due {_when(step.due_at, zone)}"
        )


@workflow_app.command("check")
def check(
    run: RunArg,
    step: StepArg,
    item: Annotated[
        str | None,
        typer.Argument(help="Checklist item: its number or some of its words (default: all)."),
    ] = None,
    at: AtOpt = None,
    by: ByOpt = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Tick a checklist item of a step (every open item when ITEM is left out)."""
    with Workspace.open(workspace) as ws:
        state, ticked = ws.workflows.check(run, step, item, at=at, by=by)
    current = state.step(step)
    for text in ticked:
        _say(f"[green]✓[/] {escape(text)}")
    left = len(current.missing)
    _say(
        f"  {len(current.checked)} of {len(current.checklist)} checked"
        + (
            f"; open: {escape('; '.join(current.missing))}"
            if left
            else f"; ready: demandos workflow done {run} {escape(step)}"
        )
    )


@workflow_app.command("done")
def done(
    run: RunArg, step: StepArg, at: AtOpt = None, by: ByOpt = None, workspace: WorkspaceOpt = None
) -> None:
    """Mark a step done (refused while its checklist has open items)."""
    with Workspace.open(workspace) as ws:
        state = ws.workflows.done(run, step, at=at, by=by)
        zone = ws.workflows.zone
    finished = state.step(step)
    took = state.took(finished) or timedelta()
    verdict = (
        ""
        if finished.allowed is None
        else (" (within its SLA)" if took <= finished.allowed else " [red](past its SLA)[/]")
    )
    _say(f"[green]✓[/] {escape(step)} done in {escape(state.clock.describe(took))}{verdict}")
    nxt = state.current
    if nxt is not None:
        _say(
            f"  next: {escape(nxt.id)} ({escape(nxt.name)}), owner {escape(nxt.owner)}, "
            f"due {_when(nxt.due_at, zone)}"
        )
    elif state.finished_at is not None:
        total = state.cycle_time()
        _say(f"  run {state.id} finished in {escape(_span(state.clock, total))}")


def _run_json(run: RunState, now: datetime) -> dict[str, Any]:
    current = run.current
    return {
        "id": run.id,
        "workflow": run.workflow_id,
        "name": run.workflow_name,
        "subject": run.subject,
        "clock": run.clock.label,
        "started_at": _iso(run.started_at),
        "finished_at": _iso(run.finished_at),
        "due_at": _iso(run.due_at),
        "current_step": current.id if current else None,
        "steps": [
            {
                "id": s.id,
                "name": s.name,
                "owner": s.owner,
                "status": s.status,
                "checked": len(s.checked),
                "checklist": len(s.checklist),
                "missing": list(s.missing),
                "sla_minutes": _minutes(s.sla),
                "started_at": _iso(s.started_at),
                "due_at": _iso(s.due_at),
                "done_at": _iso(s.done_at),
                "left_minutes": _minutes(run.left(s.due_at, now))
                if s.status == "current"
                else None,
            }
            for s in run.steps
        ],
    }


@workflow_app.command("status")
def status(
    run: Annotated[
        int | None, typer.Argument(help="One run in detail (default: all open).")
    ] = None,
    format: FormatOpt = "table",
    workspace: WorkspaceOpt = None,
) -> None:
    """Open runs with their current step and SLA clock, or one run step by step."""
    with Workspace.open(workspace) as ws:
        runs = ws.workflows
        now = runs.instant(None)
        states = [runs.get(run)] if run is not None else runs.status()
        zone = runs.zone
    if format == "json":
        _json([_run_json(r, now) for r in states])
        return
    if run is None:
        if not states:
            _say("No open workflow runs. Start one: demandos workflow start WORKFLOW")
            return
        rows = []
        for r in states:
            step = r.current
            rows.append(
                (
                    r.id,
                    escape(r.workflow_id),
                    escape(r.subject or ""),
                    escape(f"{step.id} ({step.owner})") if step else "—",
                    f"{len(step.checked)}/{len(step.checklist)}" if step else "—",
                    _when(step.due_at if step else None, zone),
                    _left(r.clock, r.left(step.due_at if step else None, now)),
                    _left(r.clock, r.left(r.due_at, now)),
                )
            )
        render.console.print(
            render.table(
                f"Open workflow runs · now {_when(now, zone)}",
                [
                    "run",
                    "workflow",
                    "subject",
                    "step (owner)",
                    "checked",
                    "step due",
                    "step clock",
                    "end to end",
                ],
                rows,
            )
        )
        return
    _print_run(states[0], now, zone)


def _print_run(r: RunState, now: datetime, zone: ZoneInfo) -> None:
    _say(
        f"[bold]Run {r.id}[/] · {escape(r.workflow_name)}"
        + (f" · {escape(r.subject)}" if r.subject else "")
        + f" · {r.clock.label} · started {_when(r.started_at, zone)}"
        + (f" · finished {_when(r.finished_at, zone)}" if r.finished_at else "")
    )
    rows: list[tuple[str, ...]] = []
    for s in r.steps:
        if s.status == "done":
            took = r.took(s) or timedelta()
            clock = f"took {escape(r.clock.describe(took))}" + (
                " [red](late)[/]" if s.allowed is not None and took > s.allowed else ""
            )
        elif s.status == "current":
            clock = _left(r.clock, r.left(s.due_at, now))
        else:
            clock = ""
        rows.append(
            (
                escape(s.id),
                escape(s.owner),
                s.status,
                f"{len(s.checked)}/{len(s.checklist)}",
                escape(_span(r.clock, s.allowed)) if s.allowed else "—",
                _when(s.due_at, zone),
                _when(s.done_at, zone),
                clock,
            )
        )
    render.console.print(
        render.table(
            "", ["step", "owner", "status", "checked", "SLA", "due", "done", "clock"], rows
        )
    )
    current = r.current
    if current is not None and current.missing:
        _say(f"Open items of {escape(current.id)}:")
        for text in current.missing:
            number = current.checklist.index(text) + 1
            _say(f"  {number}. {escape(text)}")
    if r.due_at is not None and r.is_open:
        _say(f"End to end: due {_when(r.due_at, zone)}, {_left(r.clock, r.left(r.due_at, now))}")


def _stats_row(clock: Clock, c: CycleStats) -> tuple[str, ...]:
    return (
        escape(c.step_id),
        "—" if c.sla is None else escape(_span(clock, clock.allowance(c.sla))),
        str(c.done),
        escape(_span(clock, c.median)),
        escape(_span(clock, c.p90)),
        _pct(c.compliance),
    )


def _stats_json(s: WorkflowStats) -> dict[str, Any]:
    def one(c: CycleStats) -> dict[str, Any]:
        return {
            "step": c.step_id,
            "name": c.name,
            "sla_minutes": _minutes(c.sla),
            "done": c.done,
            "median_minutes": _minutes(c.median),
            "p90_minutes": _minutes(c.p90),
            "within_sla": c.within_sla,
            "compliance": c.compliance,
        }

    return {
        "workflow": s.workflow_id,
        "name": s.name,
        "clock": s.clock,
        "runs": s.runs,
        "finished": s.finished,
        "open": s.open,
        "steps": [one(c) for c in s.steps],
        "end_to_end": one(s.end_to_end),
    }


@workflow_app.command("stats")
def stats(
    workflow: Annotated[
        str | None, typer.Argument(help="Workflow id (default: every workflow with runs).")
    ] = None,
    format: FormatOpt = "table",
    workspace: WorkspaceOpt = None,
) -> None:
    """Cycle time per step and end to end (median, p90) and SLA compliance, per procedure."""
    with Workspace.open(workspace) as ws:
        runs = ws.workflows
        ids = [workflow] if workflow else sorted({r.workflow_id for r in runs.runs()})
        ids = [i for i in ids if workflow or i in ws.specs.workflows]
        results = [runs.stats(i) for i in ids]
        clocks = {i: runs.clock_for(ws.specs.workflows[i].clock) for i in ids}
    if format == "json":
        _json([_stats_json(s) for s in results])
        return
    if not results:
        _say("No workflow runs yet. Start one: demandos workflow start WORKFLOW")
        return
    for s in results:
        clock = clocks[s.workflow_id]
        rows = [_stats_row(clock, c) for c in (*s.steps, s.end_to_end)]
        render.console.print(
            render.table(
                f"{s.name} · {s.runs} runs ({s.finished} finished, {s.open} open) · {s.clock}",
                ["step", "SLA", "done", "median", "p90", "within SLA"],
                rows,
            )
        )


def _flow_json(f: LeadFlow) -> dict[str, Any]:
    def spans(s: Any) -> dict[str, Any]:
        return {"count": s.count, "median_minutes": _minutes(s.median),
                "p90_minutes": _minutes(s.p90)}  # fmt: skip

    return {
        "workflow": f.workflow_id,
        "period": f.period.label,
        "clock": f.clock.label,
        "leads": f.leads,
        "touched": f.touched,
        "speed_to_lead": spans(f.speed_to_lead),
        "mql_to_sql": spans(f.mql_to_sql),
        "compliance": f.compliance,
        "steps": [
            {
                "step": s.step_id,
                "owner": s.owner,
                "milestone": s.milestone,
                "since": s.since,
                "sla_minutes": _minutes(s.sla),
                "on_time": s.on_time,
                "late": s.late,
                "missed": s.missed,
                "pending": s.pending,
                "compliance": s.compliance,
                "took": spans(s.took),
            }
            for s in f.steps
        ],
        "by": f.by,
        "groups": [
            {
                "key": g.key,
                "leads": g.leads,
                "steps": list(g.steps),
                "on_time": g.on_time,
                "measured": g.measured,
                "compliance": g.compliance,
                "fell_through": g.fell_through,
                "speed_to_lead_minutes": _minutes(g.speed_to_lead),
            }
            for g in f.groups
        ],
        "fell_through": [
            {
                "person_id": x.person_id,
                "account_id": x.account_id,
                "segment": x.segment,
                "owner": x.owner,
                "routed_at": x.routed_at.isoformat(),
                "due_at": x.due_at.isoformat(),
                "touched_at": _iso(x.touched_at),
                "late_minutes": _minutes(x.late_by),
            }
            for x in f.fell_through
        ],
        "notes": list(f.notes),
    }


@workflow_app.command("leads")
def leads(
    period: Annotated[
        str | None,
        typer.Option(
            help="Leads created in this period, e.g. 2026-11 or 2026-Q4 "
            "(default: the last full month)."
        ),
    ] = None,
    by: Annotated[
        Literal["owner", "segment"] | None,
        typer.Option("--by", help="SLA compliance by step owner or by ICP segment."),
    ] = None,
    workflow: Annotated[
        str | None,
        typer.Option(help="The inbound-lead workflow (default: the one with `milestone: lead`)."),
    ] = None,
    limit: Annotated[int, typer.Option(help="Leads that fell through to list.")] = 10,
    format: FormatOpt = "table",
    workspace: WorkspaceOpt = None,
) -> None:
    """Inbound lead → opportunity from CRM data: speed to lead, MQL → SQL, SLA compliance."""
    with Workspace.open(workspace) as ws:
        fy = ws.specs.workspace.fiscal_year_start_month
        chosen = (
            parse_period(period, fiscal_year_start_month=fy)
            if period
            else last_full_month(date.today(), fiscal_year_start_month=fy)
        )
        flow = lead_flow(ws.facts, ws.specs, chosen, by=by, workflow_id=workflow)
    if format == "json":
        _json(_flow_json(flow))
        return
    _print_flow(flow, limit)


def _print_flow(f: LeadFlow, limit: int) -> None:
    c = f.clock
    _say(
        f"[bold]{escape(f.workflow_name)}[/] · leads created in {f.period.label} "
        f"({f.period.start} to {f.period.end}, end exclusive) · {c.label}"
    )
    _say(
        f"{f.leads} leads; {f.touched} with a sales touch. Speed to lead (lead created → first "
        f"sales touch): median {escape(_span(c, f.speed_to_lead.median))}, p90 "
        f"{escape(_span(c, f.speed_to_lead.p90))}. MQL → SQL ({f.mql_to_sql.count}): median "
        f"{escape(_span(c, f.mql_to_sql.median))}, p90 {escape(_span(c, f.mql_to_sql.p90))}."
    )
    rows = [
        (
            escape(s.step_id),
            escape(s.owner),
            escape(f"{s.since} → {s.milestone}"),
            escape(_span(c, c.allowance(s.sla))),
            s.on_time,
            s.late,
            s.missed,
            s.pending,
            _pct(s.compliance),
            escape(_span(c, s.took.median)),
        )
        for s in f.steps
    ]
    render.console.print(
        render.table(
            f"SLA compliance · overall {_pct(f.compliance)}",
            [
                "step",
                "owner",
                "from → to",
                "SLA",
                "on time",
                "late",
                "missed",
                "pending",
                "within SLA",
                "median",
            ],
            rows,
        )
    )
    if f.by is not None:
        owner = f.by == "owner"
        groups = [
            (
                escape(g.key),
                escape(", ".join(g.steps)) if owner else str(g.leads),
                g.on_time,
                g.measured,
                _pct(g.compliance),
                g.fell_through,
                *(() if owner else (escape(_span(c, g.speed_to_lead)),)),
            )
            for g in f.groups
        ]
        columns = [f.by, "steps" if owner else "leads", "on time", "measured", "within SLA",
                   "fell through", *(() if owner else ("speed to lead",))]  # fmt: skip
        render.console.print(render.table(f"By {f.by}", columns, groups))
    _say(f"[bold]Fell through[/]: {len(f.fell_through)} routed leads with no sales touch "
         "within the SLA")  # fmt: skip
    if f.fell_through:
        rows2 = [
            (
                escape(x.person_id),
                escape(x.segment),
                escape(x.owner),
                x.routed_at.strftime("%Y-%m-%d %H:%M"),
                x.due_at.strftime("%Y-%m-%d %H:%M"),
                x.touched_at.strftime("%Y-%m-%d %H:%M") if x.touched_at else "no touch yet",
                escape(c.describe(x.late_by)),
            )
            for x in f.fell_through[:limit]
        ]
        render.console.print(
            render.table(
                "",
                ["lead", "segment", "owner", "routed", "touch due", "first touch", "late by"],
                rows2,
            )
        )
        if len(f.fell_through) > limit:
            _say(f"  … and {len(f.fell_through) - limit} more (--limit, or --format json)")
    for note in f.notes:
        _say(f"[yellow]Note:[/] {escape(note)}")
