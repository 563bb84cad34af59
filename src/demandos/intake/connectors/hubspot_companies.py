"""HubSpot companies: the Companies index page exported with all properties (.csv).

Header: ``Record ID``, ``Company name``, then properties by label — ``Annual Revenue``,
``Company Domain Name``, ``Country/Region``, ``Create Date``, ``Industry``,
``Number of Employees``, ``Web Technologies``, … (see ``hubspot_export``). One row per company.
Its account id is the
``Salesforce Account ID`` the Salesforce integration synced onto it, the id Salesforce's reports
and the contacts' and deals' ``Salesforce Account ID`` carry; a company without one (or a file
without the column) keeps its record id, which contacts and deals point at in ``Associated
Company IDs``.

The domain is kept as a bare host (``www.``, a scheme or a path typed into the property are
dropped, letters lower-cased) so that people find their account by their email's domain.
Industry keeps HubSpot's label (``Professional Services``): ICP rules name industries as the
CRM writes them. Annual revenue is taken to be in the workspace currency. ``Web Technologies``
(a multiple-checkboxes property, its values joined by ``;``) becomes the account's technologies,
which ICP fit rules can name.
"""

from __future__ import annotations

from demandos.intake.connector import Connector, Context, col, number
from demandos.intake.connectors._sql import cell, flags, rows_with
from demandos.intake.connectors.hubspot_export import SF_ACCOUNT, moment, record_id, unreadable
from demandos.intake.registry import register

OPTIONAL = (
    "Annual Revenue",
    "Country/Region",
    "Create Date",
    "Industry",
    "Number of Employees",
    "Web Technologies",
    SF_ACCOUNT,
)


def accounts_sql(zone_from: str | None = None, zone_to: str | None = None) -> str:
    domain = col("Company Domain Name")
    return f"""
        SELECT {record_id(SF_ACCOUNT)} AS account_id,
               {cell("Company name")} AS name,
               NULLIF(regexp_replace(lower(trim({domain})),
                      '^([a-z]+://)?(www\\.)?|[/?#:].*$', '', 'g'), '') AS domain,
               {cell("Industry")} AS industry,
               {number("Number of Employees")} AS employees,
               {number("Annual Revenue")} AS annual_revenue,
               {cell("Country/Region")} AS country,
               {moment("Create Date", zone_from, zone_to)} AS created_at,
               {cell("Web Technologies")} AS technologies,
               {flags(unreadable("Create Date"))},
               __row, __raw
        FROM {rows_with(*OPTIONAL)}
    """


@register
class HubSpotCompanies(Connector):
    name = "hubspot_companies"
    system = "HubSpot"
    description = "Companies index page → Export, all properties, as .csv"
    signature = ("Record ID", "Company name", "Company Domain Name")
    required = ("Record ID", "Company name", "Company Domain Name")
    outputs = {"accounts": accounts_sql()}

    def sql(self, table: str, context: Context) -> str:
        return accounts_sql(self.source_zone(context), context.timezone)
