"""`demandos attribution [--model …]` and `demandos attribution compare`: multi-touch attribution
of a period's leads, MQLs, opportunities or won deals (``feedback/attribution.py``). Each parses,
calls ``Workspace.attribution`` or ``Workspace.attribution_compare``, and presents; main.py
registers the group."""

from __future__ import annotations

import csv
import io
import json
import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.markup import escape
from rich.table import Table

from demandos.cli import render
from demandos.feedback import Attribution, AttributionError, Comparison, HeuristicOptions, Options
from demandos.workspace import Workspace


class Model(StrEnum):
    first = "first"
    last = "last"
    linear = "linear"
    time_decay = "time_decay"
    position = "position"
    w_shaped = "w_shaped"
    full_path = "full_path"
    markov = "markov"
    shapley = "shapley"


class Milestone(StrEnum):
    lead = "lead"
    mql = "mql"
    opportunity = "opportunity"
    won = "won"


class Level(StrEnum):
    person = "person"
    account = "account"


class By(StrEnum):
    channel = "channel"
    program = "program"
    asset = "asset"
    segment = "segment"
    pillar = "pillar"


WorkspaceOpt = Annotated[
    Path | None,
    typer.Option("--workspace", "-w", help="Workspace folder (default: current or above)."),
]
MilestoneOpt = Annotated[Milestone, typer.Option(help="The conversion credited.")]
LevelOpt = Annotated[Level, typer.Option(help="Journeys of people, or of accounts.")]
ByOpt = Annotated[By, typer.Option("--by", help="What gets the credit.")]
PeriodOpt = Annotated[
    str | None,
    typer.Option(help="Period of the conversions, e.g. 2026-Q3 (default: last full quarter)."),
]
LookbackOpt = Annotated[str, typer.Option(help="How far back a touch counts, e.g. 90d.")]
OrderOpt = Annotated[int, typer.Option(min=1, max=3, help="Markov chain order (1-3).")]
TypesOpt = Annotated[
    list[str] | None, typer.Option("--touch-type", help="Credit only these touch types.")
]
WeightOpt = Annotated[
    list[str] | None,
    typer.Option("--weight", help="A touch type's weight, e.g. page_view=0.5 (0 leaves it out)."),
]
NullsOpt = Annotated[
    bool, typer.Option(help="Markov and Shapley read the journeys that did not convert too.")
]
HalfLifeOpt = Annotated[float, typer.Option(help="Time decay: days for a touch's weight to halve.")]
FormatOpt = Annotated[Literal["table", "json", "csv"], typer.Option("--format", "-f")]

attribution_app = typer.Typer(
    help="Multi-touch attribution: heuristics, exact Markov (order 1-3), Shapley.",
    invoke_without_command=True,
)


def _lookback(text: str) -> int:
    match = re.fullmatch(r"\s*(\d+)\s*d?\s*", text)
    if not match:
        raise AttributionError(f"--lookback {text!r} is not a number of days",
                               hint="write it as 90d (or 90)")  # fmt: skip
    return int(match[1])


def _weights(items: list[str] | None) -> dict[str, float]:
    out: dict[str, float] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep or not name.strip():
            raise AttributionError(f"--weight {item!r} is not TYPE=NUMBER",
                                   hint="e.g. --weight page_view=0.5")  # fmt: skip
    return out


def _money(v: float) -> str:
    return f"{v:,.0f}"


def _title(a: Attribution) -> str:
    return (f"{a.milestone} at {a.level} level by {a.by} · {a.period} ({a.start} to {a.end}, "
            f"end exclusive) · lookback {a.lookback_days}d · {a.converting:,} converting of "
            f"{a.journeys:,} journeys")  # fmt: skip


def _footer(a: Attribution) -> str:
    text = f"{a.conversions:,.0f} conversions in the period"
    if a.value_name:
        text += f", {a.value_name} {_money(a.value)}"
    if a.unattributed:
        text += f"; {a.unattributed:,.0f} without a touch in their window stay unattributed"
        if a.value_name:
            text += f" ({_money(a.unattributed_value)})"
    return text


def _print_one(a: Attribution, format: str) -> None:
    if format == "json":
        typer.echo(json.dumps(a.as_dict(), indent=2, default=str))
        return
    if format == "csv":
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        w.writerow(["model", a.by, "conversions", a.value_name or "value", "share"])
        for r in a.rows:
            w.writerow([a.model, r.member, f"{r.conversions:.6g}", f"{r.value:.6g}",
                        f"{r.share:.6g}"])  # fmt: skip
        typer.echo(out.getvalue(), nl=False)
        return
    render.console.print(f"[bold]{escape(a.model)}[/] · {escape(_title(a))}", highlight=False)
    table = Table()
    sampled = any(r.low is not None for r in a.rows)
    columns = [a.by, "conversions", "share"] + ([a.value_name] if a.value_name else [])
    columns += ["95% interval"] if sampled else []
    influence = any(r.influenced is not None for r in a.rows)
    columns += ["influenced", "sourced"] if influence else []
    for c in columns:
        table.add_column(c, justify="left" if c == a.by else "right")
    for r in a.rows:
        cells = [escape(r.member), f"{r.conversions:,.1f}", f"{r.share:.1%}"]
        cells += [_money(r.value)] if a.value_name else []
        cells += [f"{r.low:,.1f} – {r.high:,.1f}"] if sampled else []
        cells += [_money(r.influenced or 0.0), _money(r.sourced or 0.0)] if influence else []
        table.add_row(*cells)
    render.console.print(table)
    render.console.print(escape(_footer(a)), highlight=False)


def _print_compare(c: Comparison, format: str) -> None:
    if format == "json":
        typer.echo(json.dumps(c.as_dict(), indent=2, default=str))
        return
    first = c.models[0]
    credit = {m.model: {r.member: r for r in m.rows} for m in c.models}
    if format == "csv":
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        w.writerow(
            [
                first.by,
                *(
                    f"{m.model}:{k}"
                    for m in c.models
                    for k in ("conversions", first.value_name or "value")
                ),
            ]
        )
        for member in c.members:
            w.writerow([member, *(f"{getattr(credit[m.model][member], k):.6g}" for m in c.models
                                  for k in ("conversions", "value"))])  # fmt: skip
        typer.echo(out.getvalue(), nl=False)
        return
    render.console.print(f"[bold]All models[/] · {escape(_title(first))}", highlight=False)
    for what in ("conversions", "value") if first.value_name else ("conversions",):
        label = "conversions" if what == "conversions" else f"{first.value_name}"
        table = Table(title=f"Credited {label}")
        table.add_column(first.by)
        for m in c.models:
            table.add_column(m.model, justify="right")
        for member in c.members:
            cells = [getattr(credit[m.model][member], what) for m in c.models]
            fmt = (lambda v: f"{v:,.1f}") if what == "conversions" else _money
            table.add_row(escape(member), *(fmt(v) for v in cells))
        render.console.print(table)
    render.console.print(escape(_footer(first)), highlight=False)


def _kwargs(
    order: int, milestone: StrEnum, level: StrEnum, by: StrEnum, period: str | None, lookback: str,
    touch_type: list[str] | None, weight: list[str] | None, nulls: bool, half_life: float,
) -> dict[str, object]:  # fmt: skip
    options = Options(order=order, nulls=nulls, heuristic=HeuristicOptions(half_life))
    return {
        "milestone": milestone.value, "level": level.value, "by": by.value, "period": period,
        "lookback_days": _lookback(lookback), "touch_types": tuple(touch_type or ()),
        "weights": _weights(weight), "options": options,
    }  # fmt: skip


@attribution_app.callback()
def attribution(
    ctx: typer.Context,
    model: Annotated[Model, typer.Option(help="The attribution model.")] = Model.markov,
    order: OrderOpt = 1,
    milestone: MilestoneOpt = Milestone.opportunity,
    level: LevelOpt = Level.account,
    by: ByOpt = By.channel,
    period: PeriodOpt = None,
    lookback: LookbackOpt = "90d",
    touch_type: TypesOpt = None,
    weight: WeightOpt = None,
    nulls: NullsOpt = True,
    half_life: HalfLifeOpt = 7.0,
    format: FormatOpt = "table",
    workspace: WorkspaceOpt = None,
) -> None:
    """Credit a period's conversions to channels, programs, assets, segments or pillars."""
    if ctx.invoked_subcommand:
        return
    kwargs = _kwargs(order, milestone, level, by, period, lookback, touch_type, weight, nulls,
                     half_life)  # fmt: skip
    with Workspace.open(workspace) as ws:
        result = ws.attribution(model.value, **kwargs)
    _print_one(result, format)


@attribution_app.command()
def compare(
    order: OrderOpt = 1,
    milestone: MilestoneOpt = Milestone.opportunity,
    level: LevelOpt = Level.account,
    by: ByOpt = By.channel,
    period: PeriodOpt = None,
    lookback: LookbackOpt = "90d",
    touch_type: TypesOpt = None,
    weight: WeightOpt = None,
    nulls: NullsOpt = True,
    half_life: HalfLifeOpt = 7.0,
    format: FormatOpt = "table",
    workspace: WorkspaceOpt = None,
) -> None:
    """Every model side by side on the same journeys."""
    kwargs = _kwargs(order, milestone, level, by, period, lookback, touch_type, weight, nulls,
                     half_life)  # fmt: skip
    with Workspace.open(workspace) as ws:
        result = ws.attribution_compare(**kwargs)
    _print_compare(result, format)
