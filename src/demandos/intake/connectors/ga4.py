"""Google Analytics 4: the Traffic acquisition report, downloaded as CSV (Share → Download File).

The download opens with ``#`` comment lines (a dashed rule, ``# Traffic acquisition: Session
source / medium``, the comparison, ``# Start date: YYYYMMDD``, ``# End date: YYYYMMDD``), then
the header: the primary dimension ``Session source / medium``, the secondary dimensions
``Session campaign`` and ``Date`` (``YYYYMMDD``), and GA4's metrics ``Sessions``,
``Engaged sessions``, ``Engagement rate`` (a fraction), ``New users``, ``Key events``
(``Conversions`` in downloads from before 2024). Dates are the property's reporting days.

``google / cpc`` is split into source and medium; campaigns GA4 marks as reserved values —
``(direct)``, ``(organic)``, ``(referral)``, ``(not set)`` — are kept as the campaign but are not
a program's name. Channel and program come from the UTM rules and program names of channels.yaml.
"""

from demandos.intake.connector import Connector, col, number, when
from demandos.intake.connectors._sql import cell, rows_with
from demandos.intake.registry import register

SOURCE_MEDIUM = col("Session source / medium")
# 'l.facebook.com / referral' → source and medium; a value without ' / ' is all source.
SOURCE = f"trim(regexp_extract(trim({SOURCE_MEDIUM}), '^(.*) / ([^/]*)$', 1))"
MEDIUM = f"trim(regexp_extract(trim({SOURCE_MEDIUM}), '^(.*) / ([^/]*)$', 2))"
CAMPAIGN = f"COALESCE({cell('Session campaign')}, '(not set)')"


@register
class GA4TrafficAcquisition(Connector):
    name = "ga4"
    system = "Google Analytics 4"
    description = (
        "Reports → Acquisition → Traffic acquisition, primary dimension Session source / medium, "
        "secondary dimensions Session campaign and Date, Share → Download File (CSV)"
    )
    signature = ("Session source / medium", "Date", "Sessions")
    required = ("Session source / medium", "Date", "Sessions")
    comment = "#"
    outputs = {
        "web_sessions": f"""
            SELECT {when("Date", ["%Y%m%d", "%Y-%m-%d"], date_only=True)} AS date,
                   source, medium, campaign, NULL AS channel, NULL AS program_id,
                   {number("Sessions")} AS sessions,
                   {number("Engaged sessions")} AS engaged_sessions,
                   {number("New users")} AS new_users,
                   COALESCE({number("Key events")}, {number("Conversions")}) AS key_events,
                   NULLIF(source, '') AS utm_source, NULLIF(medium, '') AS utm_medium,
                   CASE WHEN regexp_matches(campaign, '^\\(.*\\)$') THEN NULL ELSE campaign END
                       AS utm_campaign,
                   __row, __raw
            FROM (
                SELECT *,
                       CASE WHEN contains({SOURCE_MEDIUM}, ' / ') THEN {SOURCE}
                            ELSE trim({SOURCE_MEDIUM}) END AS source,
                       CASE WHEN contains({SOURCE_MEDIUM}, ' / ') THEN {MEDIUM}
                            WHEN trim({SOURCE_MEDIUM}) <> '' THEN '(not set)' END AS medium,
                       {CAMPAIGN} AS campaign
                FROM {
            rows_with(
                "Session campaign", "Engaged sessions", "New users", "Key events", "Conversions"
            )
        }
            )
        """
    }
