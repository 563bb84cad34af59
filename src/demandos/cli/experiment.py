"""`demandos experiment list|plan|analyze|conclude`: the experiment registry (``experiments/``),
its sample-size planner, the analysis of a results CSV and the decision that concludes a test
(``feedback/experiments.py`` through ``Workspace``); main.py registers the group."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.markup import escape
from rich.table import Table

from demandos.cli import render
from demandos.feedback.experiments import Analysis
from demandos.workspace import Workspace

WorkspaceOpt = Annotated[
    Path | None,
    typer.Option("--workspace", "-w", help="Workspace folder (default: current or above)."),
]
FormatOpt = Annotated[Literal["table", "json"], typer.Option("--format", "-f")]
IdArg = Annotated[str, typer.Argument(help="The experiment id (experiments/<id>.yaml).")]
ResultsOpt = Annotated[
    Path | None,
    typer.Option(
        "--results",
        "-r",
        help="CSV: variant,units,conversions (or variant,converted per unit) for a conversion "
        "rate; variant,value per unit for a mean. Without it: from the store (assignment:).",
    ),
]
TodayOpt = Annotated[
    str | None, typer.Option(help="Read the store's results up to this day (YYYY-MM-DD).")
]


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


experiment_app = typer.Typer(help="Experiments: the registry, sample sizes, results, decisions.")


@experiment_app.command("list")
def list_experiments(
    workspace: WorkspaceOpt = None,
    today: Annotated[str | None, typer.Option(help="Day the status is read on.")] = None,
    format: FormatOpt = "table",
) -> None:
    """Every experiment of the registry with its status: planned, running, ended, concluded."""
    with Workspace.open(workspace) as ws:
        entries = ws.experiments(today=date.fromisoformat(today) if today else None)
        if format == "json":
            rows = [
                {
                    "id": e.spec.id,
                    "status": e.status,
                    "owner": e.spec.owner,
                    "metric": e.spec.metric,
                    "kind": e.spec.kind,
                    "start": str(e.spec.start),
                    "end": str(e.spec.end) if e.spec.end else None,
                    "hypothesis": e.spec.hypothesis,
                    "decision": e.decision.title if e.decision else None,
                }
                for e in entries
            ]
            typer.echo(json.dumps(rows, indent=2))
            return
        if not entries:
            render.console.print(
                "No experiments yet: add experiments/<id>.yaml (see docs/experiments.md)."
            )
            return
        table = Table(title="Experiments", title_justify="left")
        for c in ("id", "status", "owner", "metric", "kind", "dates", "variants", "hypothesis"):
            table.add_column(c)
        for e in entries:
            s = e.spec
            dates = f"{s.start} → {s.end or 'open'}"
            table.add_row(
                escape(s.id),
                e.status,
                s.owner,
                s.metric,
                s.kind,
                dates,
                ", ".join(v.id for v in s.variants),
                escape(s.hypothesis),
            )
        render.console.print(table)


@experiment_app.command()
def plan(
    experiment: IdArg,
    baseline: Annotated[float | None, typer.Option(help="Control's rate (or mean).")] = None,
    sd: Annotated[
        float | None, typer.Option(help="Standard deviation of one unit's value.")
    ] = None,
    mde: Annotated[float | None, typer.Option(help="Minimum detectable effect.")] = None,
    workspace: WorkspaceOpt = None,
    format: FormatOpt = "table",
) -> None:
    """Units each variant needs to detect the minimum effect at the file's alpha and power."""
    with Workspace.open(workspace) as ws:
        p = ws.experiment_plan(experiment, baseline=baseline, sd=sd, mde=mde)
    if format == "json":
        typer.echo(json.dumps(p.as_dict(), indent=2))
        return
    what = "rate" if p.kind == "conversion_rate" else "mean"
    effect = f"{p.effect * 100:.3g} points" if p.kind == "conversion_rate" else f"{p.effect:,.4g}"
    render.console.print(
        f"[bold]{escape(p.experiment)}[/]: {p.per_variant:,} units per variant × {p.variants} "
        f"variants = {p.total:,} units",
        highlight=False,
    )
    base = f", baseline {what} {p.baseline:g}" if p.baseline is not None else ""
    split = (
        f" ({p.alpha_per_comparison:.3g} per comparison over {p.variants - 1} treatments)"
        if p.variants > 2
        else ""
    )
    render.console.print(
        f"to detect a change of {effect}{base}, two-sided alpha {p.alpha:g}{split}, power "
        f"{p.power:.0%}; n = {p.formula}",
        highlight=False,
    )


def _print_analysis(a: Analysis) -> None:
    ex = a.experiment
    level = f"{1 - ex.alpha:.0%}"
    render.console.print(f"[bold]{escape(ex.id)}[/] · {escape(ex.hypothesis)}", highlight=False)
    rate = ex.kind == "conversion_rate"
    arms = Table(title=f"Variants ({ex.unit}s)", title_justify="left")
    for c in (
        "variant",
        "units",
        *(["conversions"] if rate else []),
        "rate" if rate else "mean",
        f"{level} interval",
    ):
        arms.add_column(c, justify="left" if c == "variant" else "right")

    def v(x: float) -> str:
        return f"{x:.2%}" if rate else f"{x:,.4g}"

    def f(x: float) -> str:
        return f"{x * 100:+.2f} pts" if rate else f"{x:+,.4g}"

    for arm in a.arms:
        ci = f"{v(arm.interval.low)} – {v(arm.interval.high)}" if arm.interval else ""
        arms.add_row(
            escape(arm.variant),
            f"{arm.units:,}",
            *([f"{arm.conversions:,}"] if rate else []),
            v(arm.value),
            ci,
        )
    render.console.print(arms)
    diffs = Table(title=f"Against {ex.control_id}", title_justify="left")
    for c in ("variant", "difference", "lift", f"{level} interval", "p", "Holm p", "verdict"):
        diffs.add_column(c, justify="left" if c in ("variant", "verdict") else "right")
    for d in a.differences:
        style = {"better": "green", "worse": "red"}.get(d.verdict, "")
        diffs.add_row(
            escape(d.variant),
            f(d.difference),
            f"{d.lift:+.1%}" if d.lift else "",
            f"{f(d.interval.low)} – {f(d.interval.high)}",
            f"{d.p_value:.4g}",
            f"{d.p_adjusted:.4g}",
            f"[{style}]{d.verdict}[/]" if style else d.verdict,
        )
    render.console.print(diffs)
    render.console.print(escape(a.method), highlight=False)
    for note in a.notes:
        render.console.print(f"[yellow]Note:[/] {escape(note)}", highlight=False)


@experiment_app.command()
def analyze(
    experiment: IdArg,
    results: ResultsOpt = None,
    today: TodayOpt = None,
    workspace: WorkspaceOpt = None,
    format: FormatOpt = "table",
) -> None:
    """Each treatment against the control: difference, interval, p-value (Holm over several)."""
    with Workspace.open(workspace) as ws:
        a = ws.analyze_experiment(experiment, results, today=_day(today))
    if format == "json":
        typer.echo(json.dumps(a.as_dict(), indent=2, default=str))
        return
    _print_analysis(a)


@experiment_app.command()
def conclude(
    experiment: IdArg,
    results: ResultsOpt = None,
    today: TodayOpt = None,
    decision: Annotated[
        str | None, typer.Option(help="The decision taken (default: the verdicts).")
    ] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Analyse the results and log them as one decision on the experiment's metric."""
    with Workspace.open(workspace) as ws:
        a, recorded = ws.conclude_experiment(
            experiment, results, decision=decision, today=_day(today)
        )
    _print_analysis(a)
    d = recorded.item
    render.console.print(f"✓ decision #{d.id} logged: {escape(d.title)}", highlight=False)
    for warning in recorded.warnings:
        render.console.print(f"[yellow]Warning:[/] {escape(warning)}", highlight=False)
