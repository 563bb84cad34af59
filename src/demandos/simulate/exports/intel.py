"""Competitive intelligence: the competitor signals log a product marketer keeps in a sheet.

File: ``intel/competitor_signals.csv``, one row per observation (the canonical
``competitor_signals`` table), oldest first.

Not a platform export: columns ``ID``, ``Date`` (ISO ``2026-03-04``), ``Competitor``, ``Type``
(the signal kind, e.g. ``pricing_change``), ``Note``, ``Source``.

Injected problem: an observation logged without its ``Competitor``.
"""

from __future__ import annotations

from pathlib import Path

from demandos.simulate.exports.problems import Problem
from demandos.simulate.exports.registry import ExportContext, register
from demandos.simulate.exports.writer import FileSpec

HEADER = ("ID", "Date", "Competitor", "Type", "Note", "Source")
PROBLEMS = (Problem("blank_required", "Competitor"),)
SIGNALS = FileSpec("intel/competitor_signals.csv", HEADER, problems=PROBLEMS)
QUERY = "SELECT * FROM competitor_signals ORDER BY ts, signal_id"


@register("intel", "Competitor signals log", files=(SIGNALS,))
def export_intel(ctx: ExportContext) -> list[Path]:
    ctx.sim.require("competitor_signals")
    with ctx.csv(SIGNALS, n_rows=ctx.sim.rows("competitor_signals")) as out:
        for r in ctx.sim.stream(QUERY):
            out.row(
                [
                    r["signal_id"],
                    f"{r['ts']:%Y-%m-%d}",
                    r["competitor"] or "",
                    r["kind"] or "",
                    r["note"] or "",
                    r["source"] or "",
                ]
            )
    return [out.path]
