"""HubSpot deals: the Deals index page exported with all properties (.csv).

Header: ``Record ID``, ``Deal Name``, then properties by label — ``Amount``, ``Close Date``,
``Create Date``, ``Deal owner``, ``Deal Stage``, ``Deal Type``, ``Pipeline`` — then
``Associated Company`` and ``Associated Company IDs`` (see ``hubspot_export``). Amounts are
written as typed (``42000``, ``18250.5``); a currency symbol or separators someone typed make
the row refused with the value.

The deal's id is the ``Salesforce Opportunity ID`` the Salesforce integration synced onto it
(the id of Salesforce's opportunity history report), else its ``Record ID``. The account is the
opportunity's account id when the export carries it (``Salesforce Account ID``, a custom deal
property mapped to ``Opportunity.AccountId``), else the deal's first associated company.
``Deal Stage`` is the stage's label; a deal
is closed in HubSpot's two closed stages, ``closedwon`` and ``closedlost`` (labels
``Closed won`` / ``Closed lost``, in any case or spacing), and won in the first. ``Close Date``
is the expected or actual close date HubSpot keeps on every deal: a deal without one is refused
(pipeline forecasts and cycle times read it). The source comes from ``Original Source`` (or
``Original Source Type``) when the export carries it; HubSpot's default deal export does not.
"""

from __future__ import annotations

from demandos.intake.connector import Connector, Context, number
from demandos.intake.connectors._sql import cell, flags, rows_with
from demandos.intake.connectors.hubspot_export import (
    COMPANY_IDS,
    SF_ACCOUNT,
    first_company,
    moment,
    not_blank,
    record_id,
    required_moment,
    stage_key,
    unreadable,
)
from demandos.intake.registry import register

CLOSED = ("closedwon", "closedlost")
WON = "closedwon"
SOURCES = ("Original Source", "Original Source Type")
SF_OPPORTUNITY = "Salesforce Opportunity ID"


def opportunities_sql(zone_from: str | None = None, zone_to: str | None = None) -> str:
    stage = stage_key("Deal Stage")
    checks = flags(
        not_blank("Close Date", "HubSpot keeps the expected or actual close date of every deal"),
        unreadable("Close Date"),
        unreadable("Create Date"),
    )
    return f"""
        SELECT {record_id(SF_OPPORTUNITY)} AS opp_id,
               {first_company(salesforce=SF_ACCOUNT)} AS account_id,
               {required_moment("created_at", "Create Date", zone_from, zone_to)},
               {number("Amount")} AS amount,
               {cell("Deal Stage")} AS stage,
               {moment("Close Date", date_only=True)} AS close_date,
               CAST({stage} IN {CLOSED} AS VARCHAR) AS is_closed,
               CAST({stage} = '{WON}' AS VARCHAR) AS is_won,
               COALESCE({", ".join(cell(s) for s in SOURCES)}) AS source,
               {checks},
               __row, __raw
        FROM {rows_with(COMPANY_IDS, SF_ACCOUNT, SF_OPPORTUNITY, *SOURCES)}
    """


@register
class HubSpotDeals(Connector):
    name = "hubspot_deals"
    system = "HubSpot"
    description = "Deals index page → Export, all properties, as .csv"
    signature = ("Record ID", "Deal Name", "Deal Stage")
    required = ("Record ID", "Deal Stage", "Create Date", "Amount", "Close Date")
    outputs = {"opportunities": opportunities_sql()}

    def sql(self, table: str, context: Context) -> str:
        return opportunities_sql(self.source_zone(context), context.timezone)
