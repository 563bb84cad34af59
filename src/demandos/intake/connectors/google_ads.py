"""Google Ads: the campaign report downloaded from the Google Ads UI as .csv.

The download opens with two preamble lines (the report's name, then its date range), then the
header (``Campaign``, ``Day``, ``Currency code``, ``Cost``, ``Impr.``, ``Clicks``, ``CTR``,
``Avg. CPC``, ``Conversions``, …), the rows, and ``Total: …`` rows at the end. Numbers carry
thousands separators ("1,234.56") and rates a percent sign; "--" means none.
Campaign names map to programs by name or id (channels.yaml); the channel comes from the
``google / cpc`` UTM rule.
"""

from demandos.intake.connector import Connector, col, number, trimmed, when
from demandos.intake.connectors._sql import cell, rows_with
from demandos.intake.registry import register


@register
class GoogleAdsCampaigns(Connector):
    name = "google_ads"
    system = "Google Ads"
    description = "Campaigns report, segmented by Day, downloaded as .csv"
    signature = ("Campaign", "Day", "Currency code", "Cost", "Impr.")
    footer = r"^Total:"
    outputs = {
        "spend": f"""
            SELECT {when("Day", ["%Y-%m-%d", "%b %d, %Y", "%m/%d/%Y"], date_only=True)} AS date,
                   NULL AS channel, 'google_ads' AS platform,
                   NULL AS program_id,
                   {number("Cost")} AS amount, {trimmed(col("Currency code"))} AS currency,
                   {number("Impr.")} AS impressions, {number("Clicks")} AS clicks,
                   {number("Conversions")} AS conversions,
                   'google' AS utm_source, 'cpc' AS utm_medium,
                   {trimmed(col("Campaign"))} AS utm_campaign,
                   COALESCE({cell("Campaign ID")}, {cell("Campaign")}) AS campaign, __row, __raw
            FROM {rows_with("Campaign ID")}
        """
    }
