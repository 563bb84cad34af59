"""Meta Ads: the Ads Manager campaigns table, "Export table data" as .csv or .xlsx, by day.

The header is the first line (a UTF-8 byte-order mark before it): ``Reporting starts``,
``Reporting ends``, ``Campaign name``, ``Campaign delivery``, ``Results``,
``Result indicator``, ``Reach``, ``Frequency``, ``Impressions``, ``Cost per results``,
``Amount spent (USD)``, ``Link clicks``, … The account currency is only in the money columns'
names (``Amount spent (EUR)``): it is read from there, and spend in another currency than the
workspace's is converted with rates.csv by normalization. Money is written without thousands
separators; ``Results`` counts the optimised action (leads here).

The export's summary row ("Include summary row", first) has no campaign name and no delivery
status: it is a total, not data. A row whose reporting start and end differ comes from an export
without the "By day" breakdown: refused, since spend is kept per day.
Campaign names map to programs (channels.yaml); the channel comes from the
``facebook / paid_social`` UTM rule.
"""

import re

from demandos.intake.connector import Connector, Header, col, number, trimmed, when
from demandos.intake.connectors._sql import blank, cell, flags, one_day, rows_with
from demandos.intake.registry import register

DATES = ("%Y-%m-%d", "%m/%d/%Y", "%Y-%m-%d %H:%M:%S")
AMOUNT = re.compile(r"^Amount spent \(([A-Za-z]{3})\)$", re.IGNORECASE)
AMOUNT_SQL = r"(?i)^Amount spent \(([A-Za-z]{3})\)$"
DAILY = one_day("Reporting starts", "Reporting ends", DATES, "export it with Breakdown → By day")
# The currency in the header, as a value: the one ``Amount spent (XXX)`` column of ``raw``.
CURRENCY = (
    f"(SELECT upper(regexp_extract(column_name, '{AMOUNT_SQL}', 1)) FROM duckdb_columns() "
    f"WHERE table_name = 'raw' AND regexp_matches(column_name, '{AMOUNT_SQL}'))"
)


@register
class MetaAdsCampaigns(Connector):
    name = "meta_ads"
    system = "Meta Ads Manager"
    description = "Campaigns table with Breakdown → By day, Export table data as .csv or .xlsx"
    formats = (".csv", ".xlsx")
    signature = ("Reporting starts", "Reporting ends", "Campaign name")
    required = ("Reporting starts", "Campaign name")
    outputs = {
        "spend": f"""
            SELECT {when("Reporting starts", DATES, date_only=True)} AS date,
                   NULL AS channel, 'meta_ads' AS platform, NULL AS program_id,
                   {number("__amount")} AS amount, {CURRENCY} AS currency,
                   {number("Impressions")} AS impressions, {number("Link clicks")} AS clicks,
                   {number("Results")} AS conversions,
                   'facebook' AS utm_source, 'paid_social' AS utm_medium,
                   {trimmed(col("Campaign name"))} AS utm_campaign,
                   COALESCE({cell("Campaign ID")}, {cell("Campaign name")}) AS campaign,
                   {flags(DAILY)}, __row, __raw
            FROM (SELECT *, COLUMNS('{AMOUNT_SQL}') AS __amount
                  FROM {
            rows_with(
                "Reporting ends",
                "Campaign delivery",
                "Impressions",
                "Link clicks",
                "Results",
                "Campaign ID",
            )
        })
            WHERE NOT ({blank("Campaign name")} AND {blank("Campaign delivery")})
        """
    }

    def missing(self, header: Header) -> list[str]:
        """The required columns, and one ``Amount spent (XXX)`` column: the currency's only home."""
        found = [c for c in header.columns if AMOUNT.match(c.strip())]
        if len(found) == 1:
            return super().missing(header)
        wanted = "Amount spent (<currency>)" if not found else "just one Amount spent (…) column"
        return [*super().missing(header), wanted]
