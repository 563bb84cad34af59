"""`demandos kernel publish|versions|diff|proposals`: the kernel's versions and proposals.

Each parses, calls the workspace's kernel versions (``kernel/versions.py``), and presents;
main.py registers the group.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.markup import escape

from demandos.cli import render
from demandos.kernel.versions import Decided, find_proposal, last_quarter
from demandos.workspace import Workspace

WorkspaceOpt = Annotated[
    Path | None,
    typer.Option(
        "--workspace", "-w", help="Workspace folder (default: the current folder or one above it)."
    ),
]
FormatOpt = Annotated[Literal["table", "json"], typer.Option("--format", "-f")]
ByOpt = Annotated[str | None, typer.Option("--by", help="Who decides: a person id from team.yaml.")]
PeriodOpt = Annotated[
    str | None,
    typer.Option(
        help="The quarter whose four-quarter window is read (default: the last full one)."
    ),
]

kernel_app = typer.Typer(help="The kernel's versions and changelog, and its refinement proposals.")
proposals_app = typer.Typer(help="Refinement proposals from the evidence: list, accept, reject.")
kernel_app.add_typer(proposals_app, name="proposals")


def _warn(warnings: Sequence[str]) -> None:
    for warning in warnings:
        render.err_console.print(f"[yellow]Warning:[/] {escape(warning)}", highlight=False)


def _json(data: Any) -> None:
    render.console.print_json(json.dumps(data))


def _say(text: str) -> None:
    render.console.print(escape(text), highlight=False, soft_wrap=True)


def _period(ws: Workspace, period: str | None) -> str:
    fy = ws.specs.workspace.fiscal_year_start_month
    return period or last_quarter(date.today(), fiscal_year_start_month=fy)


@kernel_app.command("publish")
def publish(
    message: Annotated[str, typer.Option("--message", "-m", help="The changelog: what and why.")],
    by: ByOpt = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Record kernel.yaml as the next version, with its changelog, in the operating log."""
    with Workspace.open(workspace) as ws:
        result = ws.kernel_versions.publish(message, by=by)
    _warn(result.warnings)
    render.console.print(
        f"[green]✓[/] kernel v{result.item.version} published; kernel.yaml says version "
        f"{result.item.version}",
        highlight=False,
    )


@kernel_app.command("versions")
def versions(format: FormatOpt = "table", workspace: WorkspaceOpt = None) -> None:
    """The published versions with their changelog, and where kernel.yaml stands."""
    with Workspace.open(workspace) as ws:
        items = ws.kernel_versions.versions()
        status = ws.kernel_versions.status()
    if format == "json":
        return _json({"versions": [v.as_dict() for v in items], "status": status.state})
    rows = [
        (
            f"v{v.version}",
            f"{v.recorded_at:%Y-%m-%d %H:%M}",
            v.author,
            escape((v.changelog or "").splitlines()[0] if v.changelog else ""),
        )
        for v in items
    ]
    title = f"Kernel versions ({len(items)})"
    render.console.print(render.table(title, ["version", "published", "by", "changelog"], rows))
    _say(status.message)


@kernel_app.command("diff")
def diff(
    old: Annotated[str, typer.Argument(help="A version: v3 or 3.")],
    new: Annotated[str, typer.Argument(help="A later (or any other) version.")],
    format: FormatOpt = "table",
    workspace: WorkspaceOpt = None,
) -> None:
    """What changed between two versions: segments, personas, pillars, positioning, and the text."""
    with Workspace.open(workspace) as ws:
        result = ws.kernel_versions.diff(old, new)
    if format == "json":
        return _json(result.as_dict())
    _say(f"v{result.old} → v{result.new}: {len(result.changes)} changes")
    for change in result.changes:
        _say(f"  {change.describe()}")
    if result.text:
        render.console.print(escape(result.text), highlight=False, soft_wrap=True)


@proposals_app.callback(invoke_without_command=True)
def proposals(
    ctx: typer.Context,
    period: PeriodOpt = None,
    format: FormatOpt = "table",
    workspace: WorkspaceOpt = None,
) -> None:
    """The proposals of a quarter's window, with what became of each."""
    if ctx.invoked_subcommand is not None:
        return
    with Workspace.open(workspace) as ws:
        quarter = _period(ws, period)
        found = ws.kernel_proposals(quarter)
        decided = ws.kernel_versions.decisions()
    if format == "json":
        rows = [
            {
                "id": p.id,
                "kind": p.kind,
                "target": p.target,
                "change": p.change,
                "confidence": p.confidence,
                "decision": decided[p.id].as_dict() if p.id in decided else None,
            }
            for p in found
        ]
        return _json({"period": quarter, "proposals": rows})
    table_rows = [
        (
            p.id,
            p.kind,
            escape(p.target),
            p.confidence,
            decided[p.id].decision if p.id in decided else "open",
            escape(p.change),
        )
        for p in found
    ]
    columns = ["id", "kind", "target", "confidence", "decision", "change"]
    title = f"Kernel proposals for {quarter} ({len(found)})"
    render.console.print(render.table(title, columns, table_rows))


def _decide(
    verb: Literal["accept", "reject"],
    proposal_id: str,
    period: str | None,
    by: str | None,
    note: str | None,
    workspace: Path | None,
) -> Decided:
    with Workspace.open(workspace) as ws:
        quarter = _period(ws, period)
        proposal = find_proposal(ws.kernel_proposals(quarter), proposal_id, quarter)
        kv = ws.kernel_versions
        return (kv.accept if verb == "accept" else kv.reject)(proposal, quarter, by=by, note=note)


NoteOpt = Annotated[str | None, typer.Option("--message", "-m", help="Why: a note kept with it.")]
IdArg = Annotated[str, typer.Argument(help="The proposal's id, e.g. KP-f03ed2de.")]


@proposals_app.command("accept")
def accept(
    proposal_id: IdArg,
    by: ByOpt = None,
    note: NoteOpt = None,
    period: PeriodOpt = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Accept a proposal: apply it and publish a new kernel version when it is mechanical."""
    result = _decide("accept", proposal_id, period, by, note, workspace)
    _warn(result.warnings)
    _say(f"✓ {result.item.proposal_id} accepted")
    if result.published is not None:
        _say(f"  kernel v{result.published.version} published: {result.item.change}")
    if result.todo:
        _say(f"  next: {result.todo}")


@proposals_app.command("reject")
def reject(
    proposal_id: IdArg,
    by: ByOpt = None,
    note: NoteOpt = None,
    period: PeriodOpt = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Reject a proposal; kernel.yaml stays as it is."""
    result = _decide("reject", proposal_id, period, by, note, workspace)
    _say(f"✓ {result.item.proposal_id} rejected")
