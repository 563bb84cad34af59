"""`demandos channels [PATH]` and `demandos programs [PATH]`: the distribution report
(``distribution/report.py``) for a period — owned audiences and the pipeline by channel type,
then program health, launches and the campaigns that started from scratch. main.py registers
both."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.markup import escape
from rich.table import Table

from demandos.cli import render
from demandos.distribution import DistributionReport, distribution_report
from demandos.workspace import Workspace

PathArg = Annotated[
    Path | None, typer.Argument(help="Workspace folder (default: current or above).")
]
PeriodOpt = Annotated[
    str | None,
    typer.Option(help="Period, e.g. 2026-Q3 or 2026-09 (default: the last full quarter)."),
]
FormatOpt = Annotated[Literal["table", "json"], typer.Option("--format", "-f")]


def _report(path: Path | None, period: str | None) -> DistributionReport:
    with Workspace.open(path) as ws:
        return distribution_report(ws, period)


def _money(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _title(report: DistributionReport, what: str) -> None:
    render.console.print(
        f"[bold]{what}[/] · {escape(report.workspace)} · {report.period} "
        f"({report.start} to {report.end}, end exclusive)",
        highlight=False,
    )


def channels(path: PathArg = None, period: PeriodOpt = None, format: FormatOpt = "table") -> None:
    """Owned-audience growth per owned channel and rented (paid) vs owned vs earned pipeline."""
    report = _report(path, period)
    if format == "json":
        data = report.as_dict()
        keys = ("workspace", "currency", "period", "start", "end", "owned_audiences", "pipeline",
                "pipeline_by_type")  # fmt: skip
        typer.echo(json.dumps({k: data[k] for k in keys}, indent=2, default=str))
        return
    _title(report, "Channels")
    audiences = Table(title="Owned audiences")
    for column in ("channel", "start", "end", "growth", "note"):
        audiences.add_column(column, justify="left" if column in ("channel", "note") else "right")
    for a in report.audiences:
        audiences.add_row(a.channel, _money(a.start), _money(a.end), _pct(a.growth),
                          escape(a.reason or ""))  # fmt: skip
    render.console.print(audiences)
    shares = Table(title=f"Pipeline created by channel type ({report.currency})")
    for column in ("type", "pipeline", "share", "channels"):
        shares.add_column(column, justify="right" if column in ("pipeline", "share") else "left")
    for s in report.shares:
        members = ", ".join(f"{escape(k)} {v:,.0f}" for k, v in s.channels.items())
        label = "paid (rented)" if s.type == "paid" else s.type
        shares.add_row(label, _money(s.pipeline), _pct(s.share), members)
    render.console.print(shares)


def programs(path: PathArg = None, period: PeriodOpt = None, format: FormatOpt = "table") -> None:
    """Program health (cost, pipeline, DER, trend), launches and campaigns that left nothing."""
    report = _report(path, period)
    if format == "json":
        data = report.as_dict()
        keys = ("workspace", "currency", "period", "start", "end", "previous", "programs",
                "unattributed", "launches", "ended", "from_scratch")  # fmt: skip
        typer.echo(json.dumps({k: data[k] for k in keys}, indent=2, default=str))
        return
    _title(report, "Programs")
    health = Table(title=f"Program health against {report.previous} ({report.currency})")
    for column in ("program", "kind", "channel", "cost", "pipeline", "DER", "DER before", "trend"):
        health.add_column(column, justify="left" if column in ("program", "kind", "channel",
                                                               "trend") else "right")  # fmt: skip
    for p in report.programs:
        cost = _money(p.cost) + (" (budget)" if p.cost_from == "budget" else "")
        health.add_row(
            p.program, p.kind or "not in channels.yaml",
            f"{p.channel or '—'} ({p.channel_type})" if p.channel else "—", cost,
            _money(p.pipeline), _ratio(p.der), _ratio(p.previous_der), p.trend or "—",
        )  # fmt: skip
    render.console.print(health)
    render.console.print(
        f"Unattributed pipeline: {_money(report.unattributed.pipeline)}", highlight=False
    )
    if report.launches:
        render.console.print("[bold]Launches[/]")
    for c in report.launches:
        mark = "[green]conforms[/]" if c.conforms else "[red]does not conform[/]"
        render.console.print(
            f"  {c.program}: {mark} — {c.assets_in_use} of {c.assets} asset(s) in use, "
            f"hands to {c.hands_to or 'nobody'} ({c.handed} of {c.reached} people)"
            + "".join(f"; {g}" for g in c.gaps()),
            highlight=False,
        )
    render.console.print("[bold]Ended campaigns and launches[/]")
    if not report.scratch.ended:
        render.console.print("  none ended in the year before the period's end")
    for e in report.scratch.ended:
        verdict = {True: "[red]started from scratch[/]", False: "[green]left something[/]",
                   None: "[dim]unknown[/]"}[e.from_scratch]  # fmt: skip
        render.console.print(
            f"  {e.program} (ended {e.end}): {verdict} — {e.assets_kept} of {e.assets} asset(s) "
            f"used again, {e.kept} of {e.reached} people reached on owned channels after",
            highlight=False,
        )
