"""`demandos stack audit|costs [PATH]`: the stack's cost against the pipeline and its traps
(``stack/audit.py``), and the stack's cost written into the fully loaded cost
(``stack/costs.py``)."""

from __future__ import annotations

import json
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from demandos.cli import render
from demandos.stack import StackAudit, load_stack_costs, stack_audit
from demandos.workspace import Workspace

stack_app = typer.Typer(help="The technology stack: cost, overlap and the tool-first trap.")

PathArg = Annotated[
    Path | None, typer.Argument(help="Workspace folder (default: current or above).")
]
PeriodOpt = Annotated[
    str | None,
    typer.Option(help="Period, e.g. 2026-Q3 or 2026-09 (default: the last full quarter)."),
]


class Format(StrEnum):
    text = "text"
    json = "json"


def _money(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


@stack_app.command("audit")
def audit_command(
    path: PathArg = None,
    period: PeriodOpt = None,
    format: Annotated[Format, typer.Option("--format", "-f")] = Format.text,
) -> None:
    """Cost per category and per dollar of pipeline, overlaps, tools serving no process, tools
    with no owner, unused and low-usage tools, and whether DER's fully loaded cost carries it."""
    with Workspace.open(path) as ws:
        report = stack_audit(ws, period)
    if format is Format.json:
        typer.echo(json.dumps(report.as_dict(), indent=2, default=str))
        return
    print_report(report)


@stack_app.command("costs")
def costs_command(path: PathArg = None, period: PeriodOpt = None) -> None:
    """Write stack.yaml's monthly costs into the costs table for the period's months that have
    no `tools` costs, so DER's fully loaded cost carries the stack."""
    with Workspace.open(path) as ws:
        written = load_stack_costs(ws, period)
    out = render.console
    if written.months:
        months = ", ".join(f"{m:%Y-%m}" for m in written.months)
        out.print(
            f"Loaded {written.rows} cost rows ({_money(written.monthly_cost)} a month) for "
            f"{months} from {written.file}",
            highlight=False,
        )
    else:
        out.print(f"Nothing to write for {written.period}.", highlight=False)
    if written.kept:
        out.print(
            "Kept the tools costs already booked for "
            + ", ".join(f"{m:%Y-%m}" for m in written.kept),
            highlight=False,
        )


def print_report(r: StackAudit) -> None:
    out = render.console
    last = r.end.toordinal() - 1
    out.print(
        f"[bold]Stack audit[/] · {escape(r.workspace)} · {r.period} ({r.start} to "
        f"{date.fromordinal(last)}) · {_money(r.monthly_cost)} {r.currency} a month, "
        f"{_money(r.period_cost)} in the period",
        highlight=False,
    )
    pipeline = (
        f"pipeline created {_money(r.pipeline)} {r.currency}: the stack costs "
        f"{r.per_pipeline:.4f} per dollar of pipeline"
        if r.pipeline and r.per_pipeline is not None
        else f"no cost per dollar of pipeline: {r.pipeline_reason}"
    )
    out.print(pipeline, highlight=False)
    cats = Table(title=f"Cost per category ({r.currency})")
    for column in ("category", "tools", "a month", "in period", "share", "per $ pipeline"):
        cats.add_column(column, justify="left" if column in ("category", "tools") else "right")
    for c in r.categories:
        cats.add_row(
            c.category, ", ".join(c.tools), _money(c.monthly_cost), _money(c.period_cost),
            "—" if c.share is None else f"{c.share:.0%}",
            "—" if c.per_pipeline is None else f"{c.per_pipeline:.4f}",
        )  # fmt: skip
    out.print(cats)
    out.print("[bold]Tool-first trap[/] (tools that serve no documented process)")
    for t in r.tool_first:
        out.print(
            f"  [red]{escape(t.tool)}[/] ({_money(t.monthly_cost)} a month, {t.owner}): "
            f"{escape(t.reason)}",
            highlight=False,
        )
    if not r.tool_first:
        out.print("  [green]none[/]: every tool serves a workflow or ritual")
    out.print("[bold]Overlaps[/] (two or more tools in a category one tool covers)")
    for o in r.overlaps:
        shared = f"; both serve {', '.join(o.shared_processes)}" if o.shared_processes else ""
        out.print(
            f"  [yellow]{o.category}[/]: {', '.join(o.tools)} ({_money(o.monthly_cost)} a month)"
            + shared,
            highlight=False,
        )
    if not r.overlaps:
        out.print("  [green]none[/]")
    out.print(
        "[bold]No owner in team.yaml[/]: "
        + (", ".join(r.unowned) if r.unowned else "[green]none[/]"),
        highlight=False,
    )
    for usage in ("unused", "low"):
        tools = r.idle(usage)
        cost = sum(t.monthly_cost for t in tools)
        listed = ", ".join(f"{t.id} ({_money(t.monthly_cost)})" for t in tools)
        out.print(
            f"[bold]Usage {usage}[/]: "
            + (f"{listed} — {_money(cost)} {r.currency} a month" if tools else "none"),
            highlight=False,
        )
    out.print("[bold]In DER's fully loaded cost[/] (costs table, category tools, per month)")
    for m in r.loaded:
        state = (
            f"[green]yes[/]: {_money(m.costs_tools)} booked"
            if m.in_der
            else "[red]no[/]: no tools costs, so DER leaves the stack out"
        )
        out.print(
            f"  {m.month:%Y-%m}: {state} (stack.yaml: {_money(m.stack)} a month)", highlight=False
        )
    if r.missing_months:
        out.print(
            "  fix: `demandos stack costs --period " + r.period + "` writes stack.yaml's costs "
            "into those months"
        )
