"""Win/loss interviews: the interview log a product-marketing team keeps in a sheet (.csv, .xlsx).

One row per interview: ``Interview ID`` (``WL-0001``), ``Interview Date`` (US ``5/1/2025``, or
ISO), ``Company``, ``Contact Email``, ``Rating``, ``Competitor`` (the one the deal was won from or
lost to, empty for none), ``Summary``, ``Themes`` (``;``- or comma-separated). Each becomes
feedback of kind ``win_loss``: score from the rating, text from the summary, tags from the
themes. Interviews are not matched to people or accounts here (the log holds names, not ids).
"""

from demandos.intake.connector import Connector, col, number, trimmed, when
from demandos.intake.connectors._sql import cell, rows_with
from demandos.intake.registry import register

DATES = ("%m/%d/%Y", "%Y-%m-%d", "%Y-%m-%d %H:%M:%S")


@register
class WinLossInterviews(Connector):
    name = "win_loss"
    system = "Win/loss interview log"
    description = "the win/loss interview sheet (one row per interview), .csv or .xlsx"
    formats = (".csv", ".xlsx")
    signature = ("Interview ID", "Interview Date", "Competitor")
    required = ("Interview ID", "Interview Date")
    outputs = {
        "feedback": f"""
            SELECT {trimmed(col("Interview ID"))} AS feedback_id,
                   {when("Interview Date", DATES)} AS ts,
                   NULL AS account_id, NULL AS person_id, 'win_loss' AS kind,
                   {number("Rating")} AS score, {cell("Summary")} AS text,
                   replace({col("Themes")}, ',', ';') AS tags,
                   {cell("Competitor")} AS competitor, __row, __raw
            FROM {rows_with("Rating", "Summary", "Themes")}
        """
    }
