"""Finance: the monthly marketing costs sheet as a finance team keeps it, saved as CSV.

File: ``finance/costs.csv``, one row per month and cost item (the canonical ``costs`` table:
salaries, tools, agencies, events; media spend is on the ad platforms' own reports).

Not a platform export: a sheet a person maintains. Columns ``Month`` (``2025-05``),
``Category`` (capitalised: ``People``, ``Tools``, ``Agency``, ``Other``), ``Item``, ``Amount``
(plain, two decimals: ``78000.00``), rows by month then category then item.

Injected problems: a pasted-twice row, and an amount typed with a currency symbol and thousands
separator (``$78,000.00``).
"""

from __future__ import annotations

from pathlib import Path

from demandos.simulate.exports.formats import money, to_cents
from demandos.simulate.exports.problems import Problem
from demandos.simulate.exports.registry import ExportContext, register
from demandos.simulate.exports.writer import CsvStyle, FileSpec

HEADER = ("Month", "Category", "Item", "Amount")
PROBLEMS = (Problem("duplicate_row"), Problem("currency_format", "Amount"))
COSTS = FileSpec(
    "finance/costs.csv", HEADER, style=CsvStyle(lineterminator="\r\n"), problems=PROBLEMS
)
QUERY = "SELECT month, category, item, amount FROM costs ORDER BY month, category, item"


@register("finance", "Finance costs sheet", files=(COSTS,))
def export_finance(ctx: ExportContext) -> list[Path]:
    ctx.sim.require("costs")
    with ctx.csv(COSTS, n_rows=ctx.sim.rows("costs")) as out:
        for r in ctx.sim.stream(QUERY):
            out.row(
                [
                    f"{r['month']:%Y-%m}",
                    str(r["category"]).capitalize(),
                    r["item"],
                    money(to_cents(r["amount"])),
                ]
            )
    return [out.path]
