"""Salesforce opportunities: the "Opportunities" report, Details Only, as .csv.

Header (the report's columns, with ``Opportunity ID`` and ``Account ID`` added to it):
``Opportunity Owner``, ``Account Name``, ``Account ID``, ``Opportunity Name``, ``Opportunity
ID``, ``Type``, ``Lead Source``, ``Amount``, ``Close Date``, ``Created Date``, ``Stage``,
``Closed``, ``Won`` — one row per opportunity in its latest state, then the report footer (see
``salesforce_report``).

The opportunity's id is the 18-character ``Opportunity ID`` (the one the history report and
campaign influence name); its account is ``Account ID``. ``Created Date`` is a date-time in the
running user's zone (a report that shows it as a date gives midnight). Closed and won come from
the ``Closed`` and ``Won`` checkboxes; a report without them knows only Salesforce's own
``Closed Won`` / ``Closed Lost`` stages as closed, and every other stage counts as open — add
both columns to the report when the org has closed stages of its own. The source is
``Lead Source``.
"""

from __future__ import annotations

from demandos.intake.connector import Connector, Context, col, number, trimmed
from demandos.intake.connectors._sql import cell, flags, rows_with, text
from demandos.intake.connectors.salesforce_report import (
    DATES,
    FOOTER,
    TIMES,
    checkbox,
    stage_key,
    unreadable,
)
from demandos.intake.registry import register

OPTIONAL = ("Account ID", "Amount", "Close Date", "Lead Source", "Closed", "Won")


def created(zone_from: str | None, zone_to: str | None) -> str:
    """``Created Date`` as ISO text: a date-time moved into the workspace's zone, or a date."""
    value = cell("Created Date")
    moment = f"try_strptime({value}, [{', '.join(text(f) for f in TIMES)}])"
    if zone_from and zone_to and zone_from != zone_to:
        moment = f"timezone({text(zone_to)}, timezone({text(zone_from)}, {moment}))"
    day = f"try_strptime({value}, [{', '.join(text(f) for f in DATES)}])"
    return (
        f"COALESCE(strftime({moment}, '%Y-%m-%d %H:%M:%S'), strftime({day}, '%Y-%m-%d'), {value})"
    )


def opportunities_sql(zone_from: str | None = None, zone_to: str | None = None) -> str:
    stage = stage_key("Stage")
    closed = f"CASE WHEN {stage} IN ('closedwon', 'closedlost') THEN 'true' ELSE 'false' END"
    won = f"CASE WHEN {stage} = 'closedwon' THEN 'true' ELSE 'false' END"
    close_date = f"try_strptime({cell('Close Date')}, [{', '.join(text(f) for f in DATES)}])"
    checks = flags(unreadable("Close Date", date_only=True))
    return f"""
        SELECT {trimmed(col("Opportunity ID"))} AS opp_id,
               {cell("Account ID")} AS account_id,
               {created(zone_from, zone_to)} AS created_at,
               {number("Amount")} AS amount,
               {cell("Stage")} AS stage,
               strftime({close_date}, '%Y-%m-%d') AS close_date,
               {checkbox("Closed", closed)} AS is_closed,
               {checkbox("Won", won)} AS is_won,
               {cell("Lead Source")} AS source,
               {checks},
               __row, __raw
        FROM {rows_with(*OPTIONAL)}
    """


@register
class SalesforceOpportunities(Connector):
    name = "salesforce_opportunities"
    system = "Salesforce"
    description = (
        'Reports → "Opportunities" report with Opportunity ID and Account ID added → Export → '
        "Details Only, .csv"
    )
    signature = ("Opportunity ID", "Opportunity Name", "Stage", "Created Date")
    required = ("Opportunity ID", "Stage", "Created Date")
    footer = FOOTER
    outputs = {"opportunities": opportunities_sql()}

    def sql(self, table: str, context: Context) -> str:
        return opportunities_sql(self.source_zone(context), context.timezone)
