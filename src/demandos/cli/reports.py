"""`demandos review RITUAL [PATH]`: write a ritual's pack as HTML, Markdown or PDF.

``review`` is also the group of ``review record``; a first argument that is not one of the group's
commands names a ritual, and runs ``review pack`` (``ReviewGroup``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from demandos.cli import render
from demandos.reports import Format
from demandos.reports import render as render_pack
from demandos.workspace import Workspace


class ReviewGroup(TyperGroup):
    """``demandos review monday_review …`` means ``demandos review pack monday_review …``."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and not args[0].startswith("-") and args[0] not in self.commands:
            args = ["pack", *args]
        return super().parse_args(ctx, args)


def review_pack(
    ritual: Annotated[
        str, typer.Argument(help="Ritual id or kind from cadence.yaml, e.g. weekly_review.")
    ],
    path: Annotated[
        Path | None, typer.Argument(help="Workspace folder (default: current or above).")
    ] = None,
    period: Annotated[
        str | None,
        typer.Option(
            help="The period the pack looks at: for a Monday review the week reviewed, "
            "e.g. 2026-W47 (default: the last full week in the workspace timezone)."
        ),
    ] = None,
    format: Annotated[Format, typer.Option("--format", "-f", help="html, md or pdf.")] = "html",
    out: Annotated[
        Path | None,
        typer.Option(
            help="File to write ('-' for standard output; default: "
            ".demandos/reports/RITUAL-PERIOD.FORMAT)."
        ),
    ] = None,
    workspace: Annotated[
        Path | None, typer.Option("--workspace", "-w", help="Workspace folder (same as PATH).")
    ] = None,
) -> None:
    """Write a ritual's pack as self-contained HTML, Markdown or PDF (`review RITUAL`)."""
    with Workspace.open(path or workspace) as ws:
        pack = ws.review(ritual, period)
        data = render_pack(pack, format)
        target = out or ws.data_dir / "reports" / f"{pack.ritual_id}-{pack.period}.{format}"
    if str(target) == "-":
        sys.stdout.buffer.write(data)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    _done(pack, target)


def _done(pack: Any, target: Path) -> None:
    sections = ", ".join(s.id for s in pack.sections)
    render.console.print(
        f"[green]✓[/] {pack.title}, {pack.period}: {target}\n  sections: {sections}",
        highlight=False,
    )
    for note in pack.notes:
        render.err_console.print(f"[yellow]Note:[/] {note}", highlight=False)
