"""`demandos review RITUAL [PATH]`: write a ritual's pack as HTML, Markdown or PDF.

``review`` is also the group of ``review record``; a first argument that is not one of the group's
commands names a ritual, and runs ``review pack`` (``ReviewGroup``).
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, cast

import typer
from typer.core import TyperGroup

from demandos.cli import render
from demandos.errors import DemandosError
from demandos.files import write_atomic
from demandos.reports import FORMATS, Format
from demandos.reports import render as render_pack
from demandos.workspace import Workspace

FormatChoice = StrEnum("FormatChoice", {f: f for f in FORMATS})  # type: ignore[misc]
"""The formats as a choice on the command line (typer repeats options of an Enum type)."""


class ReviewGroup(TyperGroup):
    """``demandos review monday_review …`` means ``demandos review pack monday_review …``."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and not args[0].startswith("-") and args[0] not in self.commands:
            args = ["pack", *args]
        return super().parse_args(ctx, args)


def review_pack(
    ritual: Annotated[
        str,
        typer.Argument(
            help="Ritual id or kind from cadence.yaml (monday_review, weekly_review), or "
            "weekly, monthly, quarterly: the Monday review, the monthly deep-dive, the QBR."
        ),
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
    formats: Annotated[
        list[FormatChoice] | None,
        typer.Option(
            "--format", "-f", help="html, md or pdf; repeat for several (default: all three)."
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            help="File to write, with one --format ('-' for standard output; default: "
            ".demandos/reports/RITUAL-PERIOD.FORMAT for each format)."
        ),
    ] = None,
    workspace: Annotated[
        Path | None, typer.Option("--workspace", "-w", help="Workspace folder (same as PATH).")
    ] = None,
) -> None:
    """Write a ritual's pack as self-contained HTML, Markdown and PDF (`review RITUAL`)."""
    chosen = [cast(Format, str(f)) for f in dict.fromkeys(formats or FORMATS)]
    if out is not None and len(chosen) > 1:
        raise DemandosError(
            "--out names one file, and the pack is written in "
            f"{len(chosen)} formats ({', '.join(chosen)})",
            hint="add one --format (e.g. --format pdf --out pack.pdf), or leave out --out to "
            "write every format under .demandos/reports/",
        )
    with Workspace.open(path or workspace) as ws:
        pack = ws.review(ritual, period)
        folder = ws.data_dir / "reports"
    if out is not None and str(out) == "-":
        sys.stdout.buffer.write(render_pack(pack, chosen[0]))
        return
    written = []
    for fmt in chosen:
        target = out or folder / f"{pack.ritual_id}-{pack.period}.{fmt}"
        write_atomic(target, render_pack(pack, fmt))
        written.append(target)
    _done(pack, written)


def _done(pack: Any, written: list[Path]) -> None:
    sections = ", ".join(s.id for s in pack.sections)
    files = "\n".join(f"  {target}" for target in written)
    render.console.print(
        f"[green]✓[/] {pack.title}, {pack.period}:\n{files}\n  sections: {sections}",
        highlight=False,
    )
    for note in pack.notes:
        render.err_console.print(f"[yellow]Note:[/] {note}", highlight=False)
