"""`demandos kernel publish|versions|diff|proposals|fit|conformance`: the kernel's versions and
proposals, each account's ICP fit and the kernel conformance report.

Each parses, calls the workspace's kernel versions (``kernel/versions.py``), and presents;
main.py registers the group.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.markup import escape

from demandos.cli import render
from demandos.kernel.conformance import conformance as conformance_report
from demandos.kernel.conformance import last_full_month
from demandos.kernel.fit import fit_report
from demandos.kernel.versions import Decided, last_quarter
from demandos.metrics.periods import parse_period
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
        return ws.decide_kernel_proposal(verb, proposal_id, period, by=by, note=note)


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


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


@kernel_app.command("fit")
def fit(
    account: Annotated[str | None, typer.Option("--account", help="One account id.")] = None,
    format: Annotated[Literal["table", "json", "csv"], typer.Option("--format", "-f")] = "table",
    workspace: WorkspaceOpt = None,
) -> None:
    """Each account's ICP segment, fit score and reasons, and each person's persona."""
    with Workspace.open(workspace) as ws:
        facts = ws.facts
        report = fit_report(facts.table("accounts"), facts.table("people"), ws.specs.kernel,
                            account)  # fmt: skip
    if format == "json":
        return _json(report.as_dict())
    if format == "csv":
        buffer = io.StringIO()
        out = csv.writer(buffer, lineterminator="\n")
        out.writerow(["account_id", "name", "segment", "closest", "score", "matched", "failed"])
        for a in report.accounts:
            out.writerow([a.account_id, a.name or "", a.segment, a.closest or "",
                          "" if a.score is None else f"{a.score:.4g}",
                          ";".join(a.matched), ";".join(a.failed)])  # fmt: skip
        typer.echo(buffer.getvalue(), nl=False)
        return None
    rows = [
        (escape(a.account_id), escape(a.name or ""), escape(a.segment), escape(a.closest or ""),
         _pct(a.score), ", ".join(a.matched), ", ".join(a.failed))
        for a in report.accounts
    ]  # fmt: skip
    columns = ["account", "name", "segment", "closest", "fit", "meets", "misses"]
    render.console.print(render.table(f"ICP fit ({len(rows)} accounts)", columns, rows))
    people = [(escape(p.person_id), escape(p.account_id or ""), escape(p.title or ""),
               escape(p.persona)) for p in report.people]  # fmt: skip
    title = f"Personas ({len(people)} people)"
    render.console.print(render.table(title, ["person", "account", "title", "persona"], people))
    return None


@kernel_app.command("conformance")
def conformance(
    period: Annotated[
        str | None, typer.Option(help="The period, e.g. 2026-11 (default: the last full month).")
    ] = None,
    format: FormatOpt = "table",
    workspace: WorkspaceOpt = None,
) -> None:
    """The share of spend, programs, assets, touches and pipeline on the kernel; the off-kernel
    list with owners."""
    with Workspace.open(workspace) as ws:
        fy = ws.specs.workspace.fiscal_year_start_month
        chosen = (
            parse_period(period, fiscal_year_start_month=fy)
            if period
            else last_full_month(date.today(), fiscal_year_start_month=fy)
        )
        report = conformance_report(ws.facts, ws.specs.kernel, ws.specs.channels, chosen)
    if format == "json":
        return _json(report.as_dict())
    rows = [(s.what, f"{s.total:,.0f}", _pct(s.segment_share), _pct(s.pillar_share))
            for s in report.shares]  # fmt: skip
    title = f"Kernel conformance, {report.period}"
    render.console.print(render.table(title, ["what", "total", "ICP segment", "pillar"], rows))
    off = [(o.kind, escape(o.id), escape(o.name), escape(o.owner or "—"), ", ".join(o.missing),
            "" if o.amount is None else f"{o.amount:,.0f}") for o in report.off_kernel]  # fmt: skip
    columns = ["kind", "id", "name", "owner", "maps to no", "spend"]
    render.console.print(render.table(f"Off-kernel ({len(off)})", columns, off))
    return None
