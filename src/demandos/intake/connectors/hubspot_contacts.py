"""HubSpot contacts: the Contacts index page exported with all properties (.csv or .xlsx).

Header: ``Record ID``, ``First Name``, ``Last Name``, then properties by label —
``Became a Lead Date``, ``Became a Marketing Qualified Lead Date``, ``Became a Sales Qualified
Lead Date``, ``Create Date``, ``Email``, ``Job Title``, ``Job function``, ``Original Source``,
… — then
``Associated Company`` and ``Associated Company IDs`` (see ``hubspot_export``). The .xlsx holds
the same header on the first sheet's first row, with typed cells.

A person's id is the ``Salesforce Contact ID`` the Salesforce integration synced onto the
contact, else its ``Salesforce Lead ID`` (a lead converts to a contact: the contact id is the
one Salesforce keeps), else its ``Record ID``; campaign members name people by the same
Salesforce ids. A person's account is its ``Salesforce Account ID``, else the first of
``Associated Company IDs`` (see ``hubspot_companies``). A contact without either takes the
company its colleagues in the same file are associated with — those with the same email domain,
when they all name one company and the domain is not a free mail provider's — and else, in
normalization, the stored account whose domain is the email's (ingest companies first). The
lead source is HubSpot's ``Original Source`` label with its first drill-down when there is one
(``Paid Social / LinkedIn``, ``Offline Sources / IMPORT``, ``Direct Traffic``): the label alone
does not say which channel (paid social is LinkedIn or Meta; offline sources are webinars, events
and SDR calls alike). Each channel's ``sources`` in channels.yaml map these to channel ids when
metrics are broken down by channel. ``Job function`` (HubSpot's department property) becomes
the person's department, which persona rules can name.

No touchpoint is made from the original source: it summarizes the contact's first visit, it is
not an interaction with a time and an id of its own, and the touches themselves come from the
CRM's campaign members (``salesforce_campaign_members``), where it would count twice.

A contact without ``Email`` is refused: HubSpot identifies contacts by email, and without it the
row cannot be told apart from a duplicate nor matched to an account.
"""

from __future__ import annotations

from demandos.intake.connector import Connector, Context, col, trimmed
from demandos.intake.connectors._sql import cell, flags, rows_with, text
from demandos.intake.connectors.hubspot_export import (
    COMPANY_IDS,
    SF_ACCOUNT,
    first_company,
    moment,
    not_blank,
    record_id,
    required_moment,
    unreadable,
)
from demandos.intake.registry import register

STAGES = {
    "lead_at": "Became a Lead Date",
    "mql_at": "Became a Marketing Qualified Lead Date",
    "sql_at": "Became a Sales Qualified Lead Date",
}
SF_IDS = ("Salesforce Contact ID", "Salesforce Lead ID")
DRILL = "Original Source Drill-Down 1"
OPTIONAL = (
    *STAGES.values(), "Job Title", "Job function", "Original Source", DRILL, COMPANY_IDS,
    SF_ACCOUNT, *SF_IDS,
)  # fmt: skip
# Domains shared by unrelated people: a colleague there says nothing about one's company.
FREE_MAIL = (
    "gmail.com", "googlemail.com", "yahoo.com", "hotmail.com", "outlook.com", "live.com",
    "msn.com", "icloud.com", "me.com", "aol.com", "gmx.com", "gmx.de", "web.de",
    "proton.me", "protonmail.com", "yandex.ru", "mail.ru", "qq.com", "163.com",
)  # fmt: skip


def people_sql(zone_from: str | None = None, zone_to: str | None = None) -> str:
    stages = ",\n".join(
        f"{moment(label, zone_from, zone_to)} AS {column}" for column, label in STAGES.items()
    )
    free = ", ".join(text(d) for d in FREE_MAIL)
    checks = flags(
        not_blank("Email", "HubSpot identifies contacts by email"),
        unreadable("Create Date"),
        *(unreadable(label) for label in STAGES.values()),
    )
    # ``src`` is read more than once. Over a registered Arrow table DuckDB materializes it all the
    # same, but only with the columns its readers use. Colleagues are looked up only for the
    # domains of contacts without a company (none: no grouping, and the join finds nothing to
    # do), and one company is min = max: one aggregation, where count(DISTINCT) takes two.
    return f"""
        WITH src AS NOT MATERIALIZED (
            SELECT *, {first_company(salesforce=SF_ACCOUNT)} AS __company,
                   lower({trimmed(f"split_part({col('Email')}, '@', 2)")}) AS __domain
            FROM {rows_with(*OPTIONAL)}
        ),
        colleagues AS (
            SELECT __domain, min(__company) AS __colleague FROM src
            WHERE __company IS NOT NULL AND __domain <> '' AND __domain NOT IN ({free})
              AND __domain IN (SELECT __domain FROM src WHERE __company IS NULL)
            GROUP BY __domain HAVING min(__company) = max(__company)
        )
        SELECT {record_id(*SF_IDS)} AS person_id,
               COALESCE(src.__company, colleagues.__colleague) AS account_id,
               lower({cell("Email")}) AS email,
               {cell("Job Title")} AS title,
               {cell("Job function")} AS department,
               {required_moment("created_at", "Create Date", zone_from, zone_to)},
               {stages},
               concat_ws(' / ', {cell("Original Source")},
                         CASE WHEN {cell("Original Source")} IS NOT NULL
                              THEN {cell(DRILL)} END) AS lead_source,
               {checks},
               __row, __raw
        FROM src LEFT JOIN colleagues USING (__domain)
    """


@register
class HubSpotContacts(Connector):
    name = "hubspot_contacts"
    system = "HubSpot"
    description = "Contacts index page → Export, all properties, as .csv or .xlsx"
    formats = (".csv", ".xlsx")
    signature = ("Record ID", "First Name", "Last Name", "Email")
    required = ("Record ID", "Email", "Create Date")
    outputs = {"people": people_sql()}

    def sql(self, table: str, context: Context) -> str:
        return people_sql(self.source_zone(context), context.timezone)
