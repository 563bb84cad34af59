"""Competitor signals: the competitive-intelligence log a product marketer keeps (.csv, .xlsx).

One row per observation: ``ID`` (optional), ``Date`` (ISO ``2026-03-04`` or US ``3/4/2026``),
``Competitor``, ``Type`` (the kind of signal: ``pricing_change``, ``funding``…; "Pricing
change" is read as ``pricing_change``), ``Note``, ``Source`` (optional). A log without ids gets
one from the observation itself — the MD5 of ``ts|competitor|kind|note`` — so logging the same
observation twice, or ingesting the log again, keeps one signal.
"""

from demandos.intake.connector import Connector, col, trimmed, when
from demandos.intake.connectors._sql import cell, rows_with
from demandos.intake.registry import register

DATES = ("%Y-%m-%d", "%m/%d/%Y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M")
KIND = f"lower(regexp_replace({trimmed(col('Type'))}, '\\s+', '_', 'g'))"
SIGNAL_ID = (
    "md5(concat_ws('|', COALESCE(ts, ''), COALESCE(competitor, ''), COALESCE(kind, ''), "
    "COALESCE(note, '')))"
)


@register
class CompetitorSignals(Connector):
    name = "competitor_signals"
    system = "Competitor signals log"
    description = "the competitive-intelligence sheet (one row per observation), .csv or .xlsx"
    formats = (".csv", ".xlsx")
    signature = ("Date", "Competitor", "Type", "Note")
    outputs = {
        "competitor_signals": f"""
            SELECT COALESCE(given_id, {SIGNAL_ID}) AS signal_id,
                   ts, competitor, kind, note, source, __row, __raw
            FROM (
                SELECT {cell("ID")} AS given_id, {when("Date", DATES)} AS ts,
                       {cell("Competitor")} AS competitor, NULLIF({KIND}, '') AS kind,
                       {cell("Note")} AS note, {cell("Source")} AS source, __row, __raw
                FROM {rows_with("ID", "Source")}
            )
        """
    }
