"""`demandos forecast`: weekly pipeline created or bookings with prediction intervals and the
rolling backtest's error (``feedback/forecasts.py`` through ``Workspace.forecast``); main.py
registers the command. Without the ``forecast`` extra it says how to install it."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.markup import escape
from rich.table import Table

from demandos.cli import render
from demandos.feedback.forecasts import HORIZON, Forecast
from demandos.workspace import Workspace


class Metric(StrEnum):
    pipeline = "pipeline"
    bookings = "bookings"


def _money(v: float | None) -> str:
    return "" if v is None else f"{v:,.0f}"


def forecast(
    metric: Annotated[Metric, typer.Option(help="Pipeline created, or bookings (won amount).")] = (
        Metric.pipeline
    ),
    weeks: Annotated[int, typer.Option(min=1, max=104, help="Weeks to forecast.")] = 13,
    today: Annotated[str | None, typer.Option(help="Forecast as of this day (YYYY-MM-DD).")] = None,
    workspace: Annotated[
        Path | None,
        typer.Option("--workspace", "-w", help="Workspace folder (default: current or above)."),
    ] = None,
    format: Annotated[Literal["table", "json", "csv"], typer.Option("--format", "-f")] = "table",
) -> None:
    """Forecast weekly pipeline or bookings with 80% and 95% intervals, and backtest the model."""
    with Workspace.open(workspace) as ws:
        fc = ws.forecast(
            metric.value, weeks=weeks, today=date.fromisoformat(today) if today else None
        )
    if format == "json":
        typer.echo(json.dumps(fc.as_dict(), indent=2, default=str))
    elif format == "csv":
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        w.writerow(["week", "start", "forecast", "low80", "high80", "low95", "high95"])
        for p in fc.points:
            w.writerow(
                [
                    p.week,
                    p.start,
                    *(
                        f"{v:.2f}" if v is not None else ""
                        for v in (p.mean, p.low80, p.high80, p.low95, p.high95)
                    ),
                ]
            )
        typer.echo(out.getvalue(), nl=False)
    else:
        _print(fc)


def _print(fc: Forecast) -> None:
    last = fc.history[-1][0] if fc.history else "?"
    render.console.print(
        f"[bold]{escape(fc.name)}[/], weekly · {escape(fc.method)} · fit on {len(fc.history)} "
        f"complete weeks to {last}",
        highlight=False,
    )
    table = Table()
    for c in ("week", "starts", "forecast", "80% interval", "95% interval"):
        table.add_column(c, justify="left" if c in ("week", "starts") else "right")
    for p in fc.points:
        table.add_row(
            p.week,
            str(p.start),
            _money(p.mean),
            f"{_money(p.low80)} – {_money(p.high80)}",
            f"{_money(p.low95)} – {_money(p.high95)}",
        )
    render.console.print(table)
    bt = fc.backtest
    if bt.error is not None:
        naive = (
            f"; the naive mean of the 4 weeks before: {bt.naive_error:.1%}"
            if (bt.naive_error is not None)
            else ""
        )
        render.console.print(
            f"Backtest: {len(bt.scored)} rolling origins, {HORIZON}-week-ahead WAPE "
            f"(Σ|actual − forecast| ÷ Σ actual) {bt.error:.1%}{naive}",
            highlight=False,
        )
    else:
        render.console.print("Backtest: too few weeks to score", style="yellow")
    for note in fc.notes:
        render.console.print(f"[yellow]Note:[/] {escape(note)}", highlight=False)
