"""Salesforce campaign members: a "Campaign Members" report, Details Only, as .csv.

The person-level touches a CRM holds. Standard columns (``CampaignMember`` field labels and the
report's): ``Campaign Name``, ``Campaign ID``, ``Campaign Type``, ``Member Type``,
``Lead/Contact ID``, ``Company (Account)``, ``Account ID``, ``Email``, ``Member Status``,
``Responded``, ``Created Date``, ``First Responded Date``; then the report footer (see
``salesforce_report``). A person is a member of a campaign once; orgs that keep every touch add
a custom child object of the member and report it with a custom report type, one row per touch:
``Touch ID``, ``Touch Date``, ``Touch Type``, ``Asset ID``, ``UTM Source``, ``UTM Medium``,
``UTM Campaign`` (see ``simulate/exports/salesforce.py``).

Each row is a touchpoint: its id is ``Touch ID`` (else ``Campaign Member ID``, else campaign and
member together), its time ``Touch Date`` (else the member's ``Created Date``), its type
``Touch Type`` (else the member status, ``responded``); the person is the lead or contact, the
account the contact's. The channel comes from the UTM rules of channels.yaml (``UTM Source`` /
``UTM Medium`` / ``UTM Campaign``) and the program from the UTM campaign, or from the campaign's
name when the row has no UTM campaign — both in normalization. A column the report leaves out
falls back as above; a column it has but leaves empty on a row is an error for that row.
"""

from __future__ import annotations

from demandos.intake.connector import Connector, Context, col, trimmed
from demandos.intake.connectors._sql import cell, flags, rows_with
from demandos.intake.connectors.salesforce_report import FOOTER, moment, unreadable
from demandos.intake.registry import register

TOUCH = ("Touch ID", "Touch Date", "Touch Type", "Asset ID")
OPTIONAL = (
    *TOUCH,
    "Campaign ID",
    "Campaign Member ID",
    "Account ID",
    "First Responded Date",
    "UTM Source",
    "UTM Medium",
    "UTM Campaign",
)


def present(name: str) -> str:
    """SQL: the report has the column (an empty cell is still present)."""
    return f"{col(name)} IS NOT NULL"


def touchpoints_sql(zone_from: str | None = None, zone_to: str | None = None) -> str:
    member = (
        f"COALESCE({cell('Campaign ID')}, {cell('Campaign Name')}) || '/' || "
        f"{cell('Lead/Contact ID')}"
    )
    status = f"lower(regexp_replace({trimmed(col('Member Status'))}, '\\s+', '_', 'g'))"
    checks = flags(
        unreadable("Touch Date"),
        unreadable("Created Date"),
        unreadable("First Responded Date", date_only=True),
    )
    return f"""
        SELECT CASE WHEN {present("Touch ID")} THEN {trimmed(col("Touch ID"))}
                    WHEN {present("Campaign Member ID")} THEN {trimmed(col("Campaign Member ID"))}
                    ELSE {member} END AS touch_id,
               CASE WHEN {present("Touch Date")} THEN {moment("Touch Date", zone_from, zone_to)}
                    ELSE {moment("Created Date", zone_from, zone_to)} END AS ts,
               {cell("Lead/Contact ID")} AS person_id,
               {cell("Account ID")} AS account_id,
               NULL AS channel,
               NULL AS program_id,
               {cell("Asset ID")} AS asset_id,
               CASE WHEN {present("Touch Type")} THEN {cell("Touch Type")}
                    ELSE NULLIF({status}, '') END AS touch_type,
               {cell("UTM Source")} AS utm_source,
               {cell("UTM Medium")} AS utm_medium,
               COALESCE({cell("UTM Campaign")}, {cell("Campaign Name")}) AS utm_campaign,
               {checks},
               __row, __raw
        FROM {rows_with(*OPTIONAL)}
    """


@register
class SalesforceCampaignMembers(Connector):
    name = "salesforce_campaign_members"
    system = "Salesforce"
    description = 'Reports → "Campaign Members" report (with touches) → Export → Details Only'
    signature = ("Campaign Name", "Lead/Contact ID", "Member Status")
    required = ("Campaign Name", "Lead/Contact ID", "Member Status", "Created Date")
    footer = FOOTER
    outputs = {"touchpoints": touchpoints_sql()}

    def sql(self, table: str, context: Context) -> str:
        return touchpoints_sql(self.source_zone(context), context.timezone)
