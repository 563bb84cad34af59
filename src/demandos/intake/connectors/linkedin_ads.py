"""LinkedIn Ads: Campaign Manager's campaign performance report (Analyze → Export, .csv).

The export opens with a title block — ``Campaign Performance Report (in UTC)``,
``Report Start: 5/1/2025``, ``Report End: …``, an empty line — then the header
(``Start Date (in UTC)``, ``End Date (in UTC)``, ``Campaign Group Name``, ``Campaign Name``,
``Campaign ID``, …, ``Currency``, ``Total Spent``, ``Impressions``, ``Clicks``, …, ``Leads``)
and one row per campaign and day. Dates are US month/day/year without leading zeros and mark
UTC days; they are kept as the days LinkedIn reports (a day's spend cannot be split into another
zone's days). ``Total Spent`` is in the account currency named by ``Currency``; amounts in
another currency than the workspace's are converted with rates.csv by normalization.

Campaign names map to programs by name or id (channels.yaml), the channel comes from the
``linkedin / paid_social`` UTM rule. A row whose start and end dates differ is a report without
the daily breakdown: refused, since spend is kept per day.
"""

from demandos.intake.connector import Connector, col, dated, number, trimmed
from demandos.intake.connectors._sql import cell, flags, one_day, rows_with
from demandos.intake.registry import register

DATES = ("%m/%d/%Y", "%Y-%m-%d", "%Y-%m-%d %H:%M:%S")
START, END = "Start Date (in UTC)", "End Date (in UTC)"
DAILY = one_day(START, END, DATES, "export the report with the Daily time breakdown")


@register
class LinkedInAdsCampaigns(Connector):
    name = "linkedin_ads"
    system = "LinkedIn Campaign Manager"
    description = "Campaign performance report, time breakdown Daily, exported as .csv"
    signature = (START, "Campaign Name", "Campaign Group Name")
    required = (START, "Campaign Name", "Currency", "Total Spent")
    timezone = "UTC"
    outputs = {
        "spend": f"""
            SELECT {dated("date", START, DATES, date_only=True)},
                   NULL AS channel, 'linkedin_ads' AS platform, NULL AS program_id,
                   {number("Total Spent")} AS amount, upper({trimmed(col("Currency"))}) AS currency,
                   {number("Impressions")} AS impressions, {number("Clicks")} AS clicks,
                   {number("Leads")} AS conversions,
                   'linkedin' AS utm_source, 'paid_social' AS utm_medium,
                   {trimmed(col("Campaign Name"))} AS utm_campaign,
                   COALESCE({cell("Campaign ID")}, {cell("Campaign Name")}) AS campaign,
                   {flags(DAILY)},
                   __row, __raw
            FROM {rows_with(END, "Impressions", "Clicks", "Leads", "Campaign ID")}
        """
    }
