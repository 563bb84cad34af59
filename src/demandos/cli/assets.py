"""`demandos assets [PATH]`: the asset library's performance in a period — touches, reach,
pipeline influenced and sourced, influence half-life, and compounding."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.table import Table

from demandos.assets import AssetPerformance, performance
from demandos.cli import render
from demandos.workspace import Workspace


def assets(
    path: Annotated[
        Path | None, typer.Argument(help="Workspace folder (default: current or above).")
    ] = None,
    period: Annotated[
        str | None,
        typer.Option(help="The period, e.g. 2026-Q3 or 2026-09 (default: the last full quarter)."),
    ] = None,
    by: Annotated[
        Literal["type", "pillar"] | None,
        typer.Option("--by", help="One row per asset type or pillar instead of per asset."),
    ] = None,
    format: Annotated[Literal["table", "json", "csv"], typer.Option("--format", "-f")] = "table",
    workspace: Annotated[
        Path | None, typer.Option("--workspace", "-w", help="Workspace folder (same as PATH).")
    ] = None,
) -> None:
    """Asset performance: touches, reach, pipeline influenced and sourced, half-life."""
    with Workspace.open(path or workspace) as ws:
        fy = ws.specs.workspace.fiscal_year_start_month
        report = performance(ws.facts, period, by=by, fiscal_year_start_month=fy)
    if format == "json":
        typer.echo(json.dumps(report.as_dict(), indent=2))
    elif format == "csv":
        typer.echo(report.to_csv(), nl=False)
    else:
        print_report(report)


def _money(value: float) -> str:
    return f"{value:,.0f}"


def print_report(report: AssetPerformance) -> None:
    out = render.console
    last = report.end - timedelta(days=1)
    out.print(f"[bold]Asset performance[/] · {report.period} ({report.start} to {last})",
              highlight=False)  # fmt: skip
    if report.partial:
        out.print(f"[yellow]partial:[/] {report.partial}", highlight=False)
    grid = Table()
    head = ["kind", "asset" if report.by is None else report.by, "title", "status", "touches",
            "people", "accounts", "influenced", "sourced", "half-life (d)", ""]  # fmt: skip
    for column in head:
        numeric = column in ("touches", "people", "accounts", "influenced", "sourced")
        grid.add_column(column, justify="right" if numeric or column.startswith("half") else "left")
    for r in report.rows:
        grid.add_row(
            r.kind, r.key, r.title, r.status or "", str(r.touches), str(r.people),
            str(r.accounts), _money(r.pipeline_influenced), _money(r.pipeline_sourced),
            "—" if r.half_life_days is None else str(r.half_life_days), r.durability,
        )  # fmt: skip
    out.print(grid)
    share = report.compounding.share
    out.print(
        "Compounding: "
        + ("no pipeline created in the period" if share is None else
           f"{share:.0%} of the {_money(report.compounding.pipeline)} pipeline created was "
           "influenced by assets over 90 days old"),
        highlight=False,
    )  # fmt: skip
    n = report.unlisted_touches
    if n:
        words = ("touch", "names an asset") if n == 1 else ("touches", "name assets")
        out.print(f"[yellow]{n} {words[0]}[/] {words[1]} the library does not hold (load the "
                  "asset into the assets table)", highlight=False)  # fmt: skip
