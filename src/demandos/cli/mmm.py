"""`demandos mmm fit|report|reallocate`: the media-mix model of weekly pipeline created on paid
spend (``feedback/mmm.py``, ``feedback/mmm_response.py``). Each parses, calls the core, presents;
main.py registers the group. Without the ``mmm`` extra every command says how to install it."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import typer
from rich.markup import escape

from demandos.cli import render
from demandos.feedback.mmm import Fit, budget_reallocation, fit_mmm, load_fit, response_chart
from demandos.feedback.mmm_response import INTERVAL
from demandos.workspace import Workspace


class Method(StrEnum):
    nuts = "nuts"
    advi = "advi"


WorkspaceOpt = Annotated[
    Path | None,
    typer.Option("--workspace", "-w", help="Workspace folder (default: current or above)."),
]
FormatOpt = Annotated[Literal["table", "json"], typer.Option("--format", "-f")]

mmm_app = typer.Typer(help="Media-mix model: channel contributions, response curves, budget moves.")


def _money(v: float) -> str:
    return f"{v:,.0f}"


def _stale(fit: Fit) -> None:
    if fit.stale:
        render.err_console.print(f"[yellow]Stale fit:[/] {escape(fit.stale)}; refit with "
                                 "demandos mmm fit", highlight=False, soft_wrap=True)  # fmt: skip


def _header(fit: Fit) -> str:
    m = fit.meta
    how = f"NUTS {m.chains}×{m.draws} draws" if m.method == "nuts" else f"ADVI {m.draws} draws"
    diag = ""
    if m.max_rhat is not None:
        diag = f" · max R-hat {m.max_rhat:.3f}, {m.divergences} divergences"
    return (f"Media-mix model · weekly pipeline created on {', '.join(m.channels)} · "
            f"{m.start} to {m.end} ({m.weeks} weeks) · {how}{diag}")  # fmt: skip


@mmm_app.command("fit")
def fit(
    weeks: Annotated[int, typer.Option(min=26, max=260, help="Weeks of history to fit.")] = 104,
    method: Annotated[Method, typer.Option(help="NUTS sampling, or ADVI (faster, rougher).")] = (
        Method.nuts
    ),
    draws: Annotated[int, typer.Option(min=50, max=5000, help="Draws per chain.")] = 500,
    chains: Annotated[int, typer.Option(min=1, max=8, help="NUTS chains.")] = 2,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 7,
    workspace: WorkspaceOpt = None,
) -> None:
    """Fit the model on weekly spend and pipeline created; save it under .demandos/mmm/."""
    with Workspace.open(workspace) as ws:
        result = fit_mmm(ws, weeks=weeks, method=method.value, draws=draws, tune=draws,
                         chains=chains, seed=seed)  # fmt: skip
    render.console.print(_header(result), highlight=False, soft_wrap=True)
    _print_contributions(result)
    render.console.print(f"Saved to {result.path}", highlight=False, soft_wrap=True)


def _print_contributions(fit: Fit) -> None:
    cur = fit.meta.currency
    pct = f"{INTERVAL:.0%}"
    rows = [
        (
            r.channel,
            _money(r.spend),
            _money(r.contribution),
            f"{_money(r.low)} – {_money(r.high)}",
            f"{r.roi:.2f}",
            f"{r.roi_low:.2f} – {r.roi_high:.2f}",
            f"{r.carryover:.2f}",
        )
        for r in fit.contribution_rows()
    ]
    columns = ("channel", f"spend ({cur})", f"pipeline ({cur})", f"{pct} interval", "ROI",
               f"ROI {pct}", "carry-over")  # fmt: skip
    render.console.print(render.table("Contribution to pipeline created", columns, rows,
                                      numeric=True))  # fmt: skip


@mmm_app.command("report")
def report(
    chart: Annotated[
        Path | None, typer.Option(help="Write the response curves as an SVG or HTML chart.")
    ] = None,
    format: FormatOpt = "table",
    workspace: WorkspaceOpt = None,
) -> None:
    """Each channel's contribution and ROI with intervals, and its response curve."""
    with Workspace.open(workspace) as ws:
        result = load_fit(ws)
    if format == "json":
        curves = {c.channel: c.points(_grid(result, c.channel)) for c in result.curves()}
        channels = [r.as_dict() for r in result.contribution_rows()]
        out = {"fit": result.meta.__dict__, "stale": result.stale, "channels": channels,
               "curves": curves}  # fmt: skip
        typer.echo(json.dumps(out, indent=2, default=str))
        return
    _stale(result)
    render.console.print(_header(result), highlight=False, soft_wrap=True)
    _print_contributions(result)
    cur = result.meta.currency
    for curve in result.curves():
        now = result.meta.current_spend[curve.channel]
        rows = [
            (f"{x / now:.0%}" if now else "", _money(x), _money(m), f"{_money(lo)} – {_money(hi)}")
            for x, m, lo, hi in curve.points(now * np.array([0.5, 0.7, 1.0, 1.3, 1.5, 2.0]))
        ]
        cols = ("of today", f"spend/week ({cur})", f"pipeline/week ({cur})", f"{INTERVAL:.0%}")
        render.console.print(render.table(f"Response curve · {curve.channel}", cols, rows,
                                          numeric=True))  # fmt: skip
    if chart is not None:
        response_chart(result, chart)
        render.console.print(f"Chart written to {chart}", highlight=False, soft_wrap=True)


def _grid(fit: Fit, channel: str) -> np.ndarray:
    return np.linspace(0.0, 2.0 * fit.meta.current_spend[channel], 21)


@mmm_app.command("reallocate")
def reallocate(
    budget: Annotated[
        float | None,
        typer.Option(min=0, help="Weekly budget to split (default: last 13 weeks' mean)."),
    ] = None,
    max_shift: Annotated[
        float, typer.Option(min=0, max=1, help="How far a channel may move, e.g. 0.3 = ±30%.")
    ] = 0.3,
    weeks: Annotated[int, typer.Option(min=1, max=52, help="Horizon of the gain, in weeks.")] = 13,
    format: FormatOpt = "table",
    workspace: WorkspaceOpt = None,
) -> None:
    """The budget split that maximizes expected pipeline, total held, each channel capped."""
    with Workspace.open(workspace) as ws:
        result = load_fit(ws)
    move = budget_reallocation(result, budget=budget, max_shift=max_shift, weeks=weeks)
    if format == "json":
        out = {"stale": result.stale, **move.__dict__,
               "moves": [m.__dict__ for m in move.moves], "summary": move.sentences()}  # fmt: skip
        typer.echo(json.dumps(out, indent=2, default=str))
        return
    _stale(result)
    cur = result.meta.currency
    rows = [
        (
            m.channel,
            _money(m.current),
            _money(m.proposed),
            f"{m.shift:+,.0f}",
            f"{m.shift / m.current:+.0%}" if m.current else "",
            f"{m.pipeline_change:+,.0f}",
        )
        for m in move.moves
    ]
    title = (f"Budget reallocation · {_money(move.budget)} {cur}/week held · each channel within "
             f"±{move.max_shift:.0%}")  # fmt: skip
    columns = ("channel", "now/week", "proposed/week", "shift", "shift %", "pipeline/week")
    render.console.print(render.table(title, columns, rows, numeric=True))
    for line in move.sentences(cur):
        render.console.print(line, highlight=False, soft_wrap=True)
