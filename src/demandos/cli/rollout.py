"""`demandos rollout [PATH]`: the plan, the current week, each task's progress with its evidence,
and what blocks the next phase (``rollout/plan.py``)."""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from demandos.cli import render
from demandos.rollout.plan import RolloutProgress, rollout_progress
from demandos.workspace import Workspace


class Format(StrEnum):
    text = "text"
    markdown = "markdown"
    json = "json"


MARK = {"done": "✓", "recorded": "✓", "open": "✗", "manual": "?"}
STYLE = {"done": "green", "recorded": "green", "open": "red", "manual": "yellow"}


def rollout(
    path: Annotated[
        Path | None, typer.Argument(help="Workspace folder (default: current or above).")
    ] = None,
    format: Annotated[Format, typer.Option("--format", "-f")] = Format.text,
    as_of: Annotated[
        datetime | None,
        typer.Option("--as-of", formats=["%Y-%m-%d"], help="Judge progress as of this day."),
    ] = None,
) -> None:
    """The rollout plan with progress computed from the workspace, and what blocks the next
    phase."""
    with Workspace.open(path) as ws:
        progress = rollout_progress(ws, today=as_of.date() if as_of else None)
    if format is Format.json:
        typer.echo(json.dumps(progress.as_dict(), indent=2, default=str))
    elif format is Format.markdown:
        typer.echo("\n".join(lines(progress, markdown=True)))
    else:
        for line in lines(progress, markdown=False):
            render.console.print(line, highlight=False)


def lines(p: RolloutProgress, *, markdown: bool) -> list[str]:
    """The report as lines of Markdown, or of Rich markup."""

    def bold(text: str) -> str:
        return f"**{text}**" if markdown else f"[bold]{escape(text)}[/]"

    out = [("# " if markdown else "") + bold(f"Rollout · {p.workspace}")]
    if p.start_date is None:
        out.append("rollout.yaml has no start_date: the rollout has not started.")
    elif p.week is None:
        out.append(f"The rollout starts on {p.start_date:%a %d %b %Y}.")
    else:
        cal = p.calendar_phase
        where = f"phase {cal.name} by the dates" if cal else "past every phase's dates"
        out.append(f"{p.today:%a %d %b %Y}: week {p.week} of the plan ({where}).")
    for phase in p.phases:
        dates = f", {phase.first:%d %b %Y} – {phase.last:%d %b %Y}" if phase.first else ""
        head = (
            f"{phase.name} (weeks {phase.weeks[0]}-{phase.weeks[1]}{dates}; {phase.state}): "
            f"{phase.done} of {len(phase.tasks)} done"
        )
        out += ["", ("## " if markdown else "") + bold(head)]
        for t in phase.tasks:
            mark = MARK[t.status] if markdown else f"[{STYLE[t.status]}]{MARK[t.status]}[/]"
            how = "judged" if t.judged else "by hand"
            evidence = t.evidence if markdown else escape(t.evidence)
            out.append(f"- {mark} {t.name} ({t.id}, {how}): {evidence}")
    out.append("")
    gate = p.gate
    if gate is None:
        out.append(bold("Every task of the plan is done."))
        return out
    following = p.next_phase
    target = f"{following.name} ({following.id})" if following else "the end of the plan"
    out.append(bold(f"What blocks {target}: the open tasks of {gate.name}"))
    for t in p.blockers:
        fix = t.fix if markdown else escape(t.fix)
        out.append(f"- {t.name} ({t.id}): {fix}")
    if p.behind:
        out.append(f"The dates have moved past {gate.name}: the plan runs behind its calendar.")
    return out
