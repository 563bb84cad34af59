"""Salesforce opportunity history: the "Opportunity History" report, Details Only, as .csv.

Header: ``Opportunity Owner``, ``Account Name``, ``Opportunity Name``, ``Opportunity ID``,
``Created Date``, ``Edit Date``, ``From Stage``, ``To Stage``, ``Amount``, ``Close Date``,
``Closed``, ``Won`` — one row per stage or amount change, then the report footer (see
``salesforce_report``).

Each row is a change: the 18-character opportunity id, when it was made (``Edit Date``, in the
running user's zone), the stage it moved to and the amount then. Closed and won come from the
``Closed`` and ``Won`` checkboxes; a report without them says so only for Salesforce's own
``Closed Won`` / ``Closed Lost`` stages and leaves other stages unsaid (the store then takes
them from the opportunity). A row whose ``Close Date`` or ``Created Date`` is not a date is
refused although neither is kept: the row was damaged after Salesforce wrote it.
"""

from __future__ import annotations

from demandos.intake.connector import Connector, Context, col, number, trimmed
from demandos.intake.connectors._sql import cell, flags, rows_with
from demandos.intake.connectors.salesforce_report import (
    FOOTER,
    checkbox,
    moment,
    stage_key,
    unreadable,
)
from demandos.intake.registry import register

OPTIONAL = ("Amount", "Close Date", "Created Date", "Closed", "Won")


def history_sql(zone_from: str | None = None, zone_to: str | None = None) -> str:
    stage = stage_key("To Stage")
    closed = f"CASE WHEN {stage} IN ('closedwon', 'closedlost') THEN 'true' END"
    won = f"CASE {stage} WHEN 'closedwon' THEN 'true' WHEN 'closedlost' THEN 'false' END"
    checks = flags(
        unreadable("Edit Date"),
        unreadable("Close Date", date_only=True),
        unreadable("Created Date", date_only=True),
    )
    return f"""
        SELECT {trimmed(col("Opportunity ID"))} AS opp_id,
               {moment("Edit Date", zone_from, zone_to)} AS changed_at,
               {cell("To Stage")} AS stage,
               {number("Amount")} AS amount,
               {checkbox("Closed", closed)} AS is_closed,
               {checkbox("Won", won)} AS is_won,
               {checks},
               __row, __raw
        FROM {rows_with(*OPTIONAL)}
    """


@register
class SalesforceOpportunityHistory(Connector):
    name = "salesforce_opportunity_history"
    system = "Salesforce"
    description = 'Reports → "Opportunity History" report → Export → Details Only, .csv'
    signature = ("Opportunity ID", "Edit Date", "From Stage", "To Stage")
    required = ("Opportunity ID", "Edit Date", "To Stage")
    footer = FOOTER
    outputs = {"opportunity_history": history_sql()}

    def sql(self, table: str, context: Context) -> str:
        return history_sql(self.source_zone(context), context.timezone)
