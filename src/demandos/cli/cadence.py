"""`demandos calendar`, `action`, `decision` and `review record`: the cadence's commands.

Each parses, calls the workspace's cadence log or calendar, and presents; main.py registers them.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from demandos.cli import render
from demandos.errors import DemandosError
from demandos.files import write_atomic
from demandos.workspace import Workspace

WorkspaceOpt = Annotated[
    Path | None,
    typer.Option(
        "--workspace", "-w", help="Workspace folder (default: the current folder or one above it)."
    ),
]
FormatOpt = Annotated[Literal["table", "json"], typer.Option("--format", "-f")]
RitualOpt = Annotated[
    str | None, typer.Option("--ritual", "-r", help="Ritual id from cadence.yaml.")
]
PeriodOpt = Annotated[
    str | None,
    typer.Option(
        help="The ritual instance's period: 2026-W47, 2026-11 or 2026-Q4 (default: the current)."
    ),
]
MetricOpt = Annotated[
    str | None, typer.Option("--metric", "-m", help="Metric id from metrics.yaml.")
]


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise DemandosError(
            f"{option} {value!r} is not a date", hint=f"write {option} as YYYY-MM-DD"
        ) from None


def _warn(warnings: Sequence[str]) -> None:
    for warning in warnings:
        render.err_console.print(f"[yellow]Warning:[/] {warning}", highlight=False)


def _json(data: Any) -> None:
    render.console.print_json(json.dumps(data))


def calendar(
    path: Annotated[
        Path | None, typer.Argument(help="Workspace folder (default: current).")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="File to write, or - for stdout (default: .demandos/cadence.ics)."),
    ] = None,
    weeks: Annotated[int | None, typer.Option(min=1, help="End the series after N weeks.")] = None,
    until: Annotated[
        str | None, typer.Option(help="End the series on this date (YYYY-MM-DD).")
    ] = None,
    start: Annotated[
        str | None, typer.Option("--from", help="First day of the series (default: today).")
    ] = None,
) -> None:
    """Export the rhythm of cadence.yaml as iCal: one recurring event per ritual."""
    if weeks is not None and until is not None:
        raise DemandosError("--weeks and --until both say when to end", hint="pass only one")
    first = _day(start, "--from") or date.today()
    last = _day(until, "--until")
    if weeks is not None:
        last = first + timedelta(weeks=weeks, days=-1)
    with Workspace.open(path) as ws:
        data = ws.calendar(start=first, until=last)
        target = out or ws.data_dir / "cadence.ics"
    if str(target) == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    write_atomic(target, data)
    count = data.count(b"BEGIN:VEVENT")
    ending = f" until {last}" if last else ", without end"
    render.console.print(f"[green]✓[/] {count} rituals from {first}{ending} written to {target}")
    render.console.print("  import it in Google Calendar or Outlook; re-import to update")


# -- actions ---------------------------------------------------------------------------------

action_app = typer.Typer(help="Actions: one owner and a due date each, tracked to done.")


def _action_rows(items: Sequence[Any], today: date) -> list[tuple[Any, ...]]:
    return [
        (
            a.id,
            a.title,
            a.owner,
            a.due,
            "overdue" if a.is_overdue(today) else a.status,
            a.metric_id,
            f"{a.ritual_id} {a.period}" if a.ritual_id else None,
        )
        for a in items
    ]


_ACTION_COLUMNS = ["#", "action", "owner", "due", "status", "metric", "ritual instance"]


@action_app.command("add")
def action_add(
    title: Annotated[str, typer.Argument(help="What will be done, in a line.")],
    owner: Annotated[str, typer.Option("--owner", "-o", help="Person id from team.yaml.")],
    due: Annotated[str | None, typer.Option(help="Due date, YYYY-MM-DD.")] = None,
    metric: MetricOpt = None,
    ritual: RitualOpt = None,
    period: PeriodOpt = None,
    decision: Annotated[int | None, typer.Option(help="The decision it carries out (#).")] = None,
    format: FormatOpt = "table",
    workspace: WorkspaceOpt = None,
) -> None:
    """Add an action with one owner, linked to a metric and a ritual instance."""
    with Workspace.open(workspace) as ws:
        log = ws.cadence_log
        result = log.add_action(
            title,
            owner=owner,
            due=due,
            metric=metric,
            ritual=ritual,
            period=period,
            decision_id=decision,
        )
        today = log.today()
    _warn(result.warnings)
    if format == "json":
        return _json(result.item.as_dict())
    rows = _action_rows([result.item], today)
    render.console.print(render.table("Action added", _ACTION_COLUMNS, rows))


@action_app.command("list")
def action_list(
    owner: Annotated[str | None, typer.Option("--owner", "-o", help="Only this owner.")] = None,
    status: Annotated[
        Literal["open", "done"] | None, typer.Option(help="Only open or done actions.")
    ] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only open, past due.")] = False,
    metric: MetricOpt = None,
    ritual: RitualOpt = None,
    period: Annotated[str | None, typer.Option(help="With --ritual: only this instance.")] = None,
    format: FormatOpt = "table",
    workspace: WorkspaceOpt = None,
) -> None:
    """Actions, soonest due first, with overdue ones flagged."""
    with Workspace.open(workspace) as ws:
        log = ws.cadence_log
        items = log.list_actions(
            owner=owner, status=status, overdue=overdue, metric=metric, ritual=ritual, period=period
        )
        today = log.today()
    if format == "json":
        return _json([{**a.as_dict(), "overdue": a.is_overdue(today)} for a in items])
    title = f"Actions ({len(items)})"
    render.console.print(render.table(title, _ACTION_COLUMNS, _action_rows(items, today)))


@action_app.command("done")
def action_done(
    action_id: Annotated[int, typer.Argument(help="The action's # (see `action list`).")],
    workspace: WorkspaceOpt = None,
) -> None:
    """Mark an action done."""
    with Workspace.open(workspace) as ws:
        result = ws.cadence_log.complete(action_id)
    _warn(result.warnings)
    render.console.print(f"[green]✓[/] #{action_id} done: {result.item.title}", highlight=False)


@action_app.command("reopen")
def action_reopen(
    action_id: Annotated[int, typer.Argument(help="The action's # (see `action list`).")],
    due: Annotated[str | None, typer.Option(help="A new due date, YYYY-MM-DD.")] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Open a done action again (optionally with a new due date)."""
    with Workspace.open(workspace) as ws:
        result = ws.cadence_log.reopen(action_id, due=due)
    _warn(result.warnings)
    item = result.item
    due = f" (due {item.due})" if item.due else ""
    render.console.print(f"[green]✓[/] #{action_id} open again: {item.title}{due}", highlight=False)


# -- decisions -------------------------------------------------------------------------------

decision_app = typer.Typer(help="Decisions: what was decided, by whom, and its metric then.")
_DECISION_COLUMNS = ["#", "decision", "owner", "made", "metric", "value then", "ritual instance"]


def _decision_rows(items: Sequence[Any]) -> list[tuple[Any, ...]]:
    return [
        (
            d.id,
            d.title,
            d.owner,
            f"{d.made_at:%Y-%m-%d}",
            d.metric_id,
            f"{d.metric_value:,.4g} ({d.metric_period})" if d.metric_value is not None else None,
            f"{d.ritual_id} {d.period}" if d.ritual_id else None,
        )
        for d in items
    ]


@decision_app.command("add")
def decision_add(
    title: Annotated[str, typer.Argument(help="What was decided, in a line.")],
    owner: Annotated[str, typer.Option("--owner", "-o", help="Person id from team.yaml.")],
    metric: MetricOpt = None,
    ritual: RitualOpt = None,
    period: PeriodOpt = None,
    why: Annotated[str | None, typer.Option("--why", help="The rationale.")] = None,
    metric_period: Annotated[
        str | None,
        typer.Option(help="Read the metric for this period (default: the one reviewed)."),
    ] = None,
    format: FormatOpt = "table",
    workspace: WorkspaceOpt = None,
) -> None:
    """Record a decision; it keeps its metric's value as of now, to show the movement since."""
    with Workspace.open(workspace) as ws:
        result = ws.cadence_log.add_decision(
            title,
            owner=owner,
            metric=metric,
            ritual=ritual,
            period=period,
            rationale=why,
            metric_period=metric_period,
        )
    _warn(result.warnings)
    if format == "json":
        return _json(result.item.as_dict())
    rows = _decision_rows([result.item])
    render.console.print(render.table("Decision recorded", _DECISION_COLUMNS, rows))


@decision_app.command("list")
def decision_list(
    metric: MetricOpt = None,
    owner: Annotated[str | None, typer.Option("--owner", "-o", help="Only this owner.")] = None,
    ritual: RitualOpt = None,
    period: Annotated[str | None, typer.Option(help="With --ritual: only this instance.")] = None,
    since: Annotated[
        str | None, typer.Option(help="Only those made on or after YYYY-MM-DD.")
    ] = None,
    format: FormatOpt = "table",
    workspace: WorkspaceOpt = None,
) -> None:
    """Decisions in the order they were made, with their metric's value then."""
    with Workspace.open(workspace) as ws:
        items = ws.cadence_log.list_decisions(
            metric=metric, owner=owner, ritual=ritual, period=period, since=since
        )
    if format == "json":
        return _json([d.as_dict() for d in items])
    title = f"Decisions ({len(items)})"
    render.console.print(render.table(title, _DECISION_COLUMNS, _decision_rows(items)))


# -- reviews ---------------------------------------------------------------------------------

review_app = typer.Typer(help="Reviews: the ritual instances as held.")


@review_app.command("record")
def review_record(
    ritual: Annotated[str, typer.Argument(help="Ritual id from cadence.yaml.")],
    period: PeriodOpt = None,
    held_at: Annotated[
        str | None, typer.Option(help="When it was held: YYYY-MM-DD HH:MM (default: as planned).")
    ] = None,
    attendee: Annotated[
        list[str] | None,
        typer.Option("--attendee", "-a", help="Who attended (repeat; default: cadence.yaml's)."),
    ] = None,
    notes: Annotated[str | None, typer.Option(help="Notes of the meeting.")] = None,
    format: FormatOpt = "table",
    workspace: WorkspaceOpt = None,
) -> None:
    """Record that a ritual instance was held: when, who attended, notes."""
    with Workspace.open(workspace) as ws:
        result = ws.cadence_log.record_review(
            ritual, period, held_at=held_at, attendees=attendee, notes=notes
        )
    _warn(result.warnings)
    item = result.item
    if format == "json":
        return _json(item.as_dict())
    held = f"{item.held_at:%Y-%m-%d %H:%M}" if item.held_at else "?"
    render.console.print(
        f"[green]✓[/] {item.ritual_id} {item.period} held {held} with {', '.join(item.attendees)}",
        highlight=False,
    )
