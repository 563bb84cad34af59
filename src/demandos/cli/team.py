"""`demandos team ownership [PATH]`: what each person owns (``team/ownership.py``)."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from demandos.cli import render
from demandos.errors import DemandosError
from demandos.suggest import did_you_mean
from demandos.team import KINDS, OwnershipReport, ownership
from demandos.team.ownership import KIND_PLURAL
from demandos.workspace import Workspace

team_app = typer.Typer(help="The team: who owns what.")


class Format(StrEnum):
    text = "text"
    markdown = "markdown"
    json = "json"


@team_app.command("ownership")
def ownership_command(
    path: Annotated[
        Path | None, typer.Argument(help="Workspace folder (default: current or above).")
    ] = None,
    person: Annotated[
        str | None, typer.Option("--person", "-p", help="Only this person id.")
    ] = None,
    format: Annotated[Format, typer.Option("--format", "-f")] = Format.text,
) -> None:
    """What each person owns: metrics, workflows, programs, rituals, tools and assets."""
    with Workspace.open(path) as ws:
        report = ownership(ws)
    if person is not None:
        try:
            report = report.only(person)
        except KeyError:
            known = [p.person for p in report.people]
            guess = did_you_mean(person, known)
            raise DemandosError(
                f"{person!r} owns nothing and is not in team.yaml",
                hint=(guess + " " if guess else "") + f"people: {', '.join(known)}",
            ) from None
    if format is Format.json:
        typer.echo(json.dumps(report.as_dict(), indent=2))
    elif format is Format.markdown:
        typer.echo(report.to_markdown(), nl=False)
    else:
        print_report(report)


def print_report(report: OwnershipReport) -> None:
    out = render.console
    table = Table(title=f"Ownership · {escape(report.workspace)}")
    table.add_column("person")
    table.add_column("role")
    for kind in KINDS:
        table.add_column(KIND_PLURAL[kind], justify="right")
    for p in report.people:
        counts = p.counts()
        label = escape(p.person) if p.in_team else f"[red]{escape(p.person)} (not in team.yaml)[/]"
        table.add_row(label, p.role or "—", *(str(counts.get(k, 0)) for k in KINDS))
    out.print(table)
    for p in report.people:
        head = f"{p.name} ({p.person})" if p.name else f"{p.person}: not in team.yaml"
        out.print(f"[bold]{escape(head)}[/]")
        if not p.items:
            out.print("  [yellow]owns nothing[/]: give them something to own, or remove them")
        for item in p.items:
            out.print(
                f"  {item.kind} {escape(item.id)} — {escape(item.name)} [dim]({item.where})[/]",
                highlight=False,
            )
    if report.idle:
        out.print(f"[yellow]People who own nothing:[/] {', '.join(report.idle)}")
    if report.unknown:
        out.print(
            "[red]Owners not in team.yaml:[/] "
            + ", ".join(f"{p.person} ({len(p.items)})" for p in report.unknown)
            + " — add them to team.yaml or name an owner who is there"
        )
