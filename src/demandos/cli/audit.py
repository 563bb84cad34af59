"""`demandos audit [PATH]`: the systems audit — maturity per component and layer, the failure
modes measured, and what to fix first."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.table import Table

from demandos.cli import render
from demandos.rollout import AuditReport
from demandos.rollout import audit as run_audit
from demandos.workspace import Workspace

STATUS = {"passed": "[green]✓[/]", "failed": "[red]✗[/]", "not_applicable": "[dim]–[/]"}


def audit(
    path: Annotated[
        Path | None, typer.Argument(help="Workspace folder (default: current or above).")
    ] = None,
    period: Annotated[
        str | None,
        typer.Option(
            help="The quarter audited, e.g. 2026-Q3 (default: the current quarter, up to today)."
        ),
    ] = None,
    format: Annotated[Literal["table", "json"], typer.Option("--format", "-f")] = "table",
    workspace: Annotated[
        Path | None, typer.Option("--workspace", "-w", help="Workspace folder (same as PATH).")
    ] = None,
) -> None:
    """The systems audit: maturity per component and layer, failure modes, what to fix first."""
    with Workspace.open(path or workspace) as ws:
        report = run_audit(ws, period)
    if format == "json":
        typer.echo(json.dumps(report.as_dict(), indent=2, default=str))
        return
    print_report(report)


def print_report(report: AuditReport) -> None:
    out = render.console
    last = report.until.toordinal() - 1
    out.print(
        f"[bold]Systems audit[/] · {report.workspace} · {report.period} "
        f"({report.start} to {date.fromordinal(last)})",
        highlight=False,
    )
    scores = Table(title="Maturity (weighted share of checks passed; level = floor(5 × share))")
    for column in ("area", "", "score", "level", "passed", "failed", "n/a"):
        scores.add_column(
            column, justify="right" if column in ("score", "passed", "failed", "n/a") else "left"
        )
    for s in [*report.scores, *([report.overall] if report.overall else [])]:
        scores.add_row(
            s.name, s.kind, "—" if s.share is None else f"{s.share:.0%}",
            f"{s.level} {s.level_name}" if s.level is not None else s.level_name,
            str(s.passed), str(s.failed), str(s.not_applicable),
        )  # fmt: skip
    out.print(scores)
    checks = Table(title="Checks", show_lines=False)
    for column in ("", "check", "area", "w", "evidence"):
        checks.add_column(column, overflow="fold")
    for r in report.results:
        checks.add_row(STATUS[r.status], r.id, r.area, str(r.weight), r.evidence)
    out.print(checks)
    out.print("[bold]Failure modes[/]")
    for mode in report.failure_modes:
        mark = {True: "[red]present[/]", False: "[green]absent[/]", None: "[dim]unknown[/]"}
        out.print(f"  {mode.name}: {mark[mode.present]} — {mode.summary}", highlight=False)
        for line in mode.details:
            out.print(f"      {line}", highlight=False)
    fixes = report.fix_first()
    out.print("[bold]Fix first[/]" if fixes else "[green]Every applicable check passed.[/]")
    for n, fix in enumerate(fixes, 1):
        where = f" ({fix.check.where})" if fix.check.where else ""
        out.print(
            f"  {n}. [{fix.check.weight}] {fix.check.title}{where}: {fix.check.fix}"
            f" — {fix.owner or 'no owner named'}",
            highlight=False,
        )
