"""Google Analytics 4: the Traffic acquisition report, downloaded as CSV (Share → Download File).

File: ``ga4/traffic_acquisition.csv``, one row per session source / medium, campaign and day.

Layout followed, and where it comes from:

- A ``#`` comment preamble before the header: a dashed rule, the report name
  (``# Traffic acquisition: Session source / medium``), another rule, ``# `` (empty comment),
  the comparison (``# All Users``), ``# Start date: YYYYMMDD`` and ``# End date: YYYYMMDD``.
  GA4 downloads also carry ``# Account:`` and ``# Property:`` lines; the simulation has no
  account name, so they are left out. (Shape as in public writers of GA4 exports, e.g. a demo
  seeder whose docstring lists "GA4's ``#`` header block and decimal rates".)
- The primary dimension first, then the secondary dimensions: ``Session source / medium``,
  ``Session campaign``, ``Date``; GA4's metric labels: ``Sessions``, ``Engaged sessions``,
  ``Engagement rate``, ``New users``, ``Key events`` (GA4's 2024 name for conversions),
  ``Session key event rate``. Dimension and metric names are those of the GA4 Data API schema
  (developers.google.com/analytics/devguides/reporting/data/v1/api-schema:
  ``sessionSourceMedium``, ``sessionCampaignName``, ``date``, ``sessions``,
  ``engagedSessions``, ``engagementRate``, ``newUsers``, ``keyEvents``, ``sessionKeyEventRate``).
- ``Date`` as ``YYYYMMDD``; rates as decimal fractions (``0.7132``), not percentages.
- Sessions without a campaign show GA4's reserved values: ``(direct)``, ``(organic)``,
  ``(referral)``, else ``(not set)``.

Injected problem: one impossible ``Date`` (``20260230``).
"""

from __future__ import annotations

from pathlib import Path

from demandos.simulate.exports.formats import fraction
from demandos.simulate.exports.problems import Problem
from demandos.simulate.exports.registry import ExportContext, register
from demandos.simulate.exports.source import Row
from demandos.simulate.exports.writer import FileSpec

RULE = "# ----------------------------------------"
HEADER = (
    "Session source / medium",
    "Session campaign",
    "Date",
    "Sessions",
    "Engaged sessions",
    "Engagement rate",
    "New users",
    "Key events",
    "Session key event rate",
)
PROBLEMS = (Problem("bad_date", "Date", date_format="%Y%m%d"),)
TRAFFIC_ACQUISITION = FileSpec(
    "ga4/traffic_acquisition.csv", HEADER, preamble_rows=7, problems=PROBLEMS
)

QUERY = """
    SELECT CAST("date" AS DATE) AS day, source, medium, campaign,
           sum(sessions) AS sessions, sum(engaged_sessions) AS engaged,
           sum(new_users) AS new_users, sum(key_events) AS key_events
    FROM web_sessions
    GROUP BY ALL
    ORDER BY day, source, medium, campaign NULLS FIRST
"""


def campaign_label(row: Row) -> str:
    """GA4's campaign value: the utm_campaign, else its reserved value for the traffic."""
    if row["campaign"]:
        return str(row["campaign"])
    if row["source"] == "(direct)":
        return "(direct)"
    if row["medium"] == "organic":
        return "(organic)"
    if row["medium"] == "referral":
        return "(referral)"
    return "(not set)"


@register("ga4", "Google Analytics 4", files=(TRAFFIC_ACQUISITION,))
def export_ga4(ctx: ExportContext) -> list[Path]:
    ctx.sim.require("web_sessions")
    n = ctx.sim.count(QUERY)
    span = ctx.sim.all(
        'SELECT min(CAST("date" AS DATE)) AS a, max(CAST("date" AS DATE)) AS b FROM web_sessions'
    )
    first, last = span[0]["a"], span[0]["b"]
    preamble = [
        [RULE],
        ["# Traffic acquisition: Session source / medium"],
        [RULE],
        ["# "],
        ["# All Users"],
        [f"# Start date: {first:%Y%m%d}" if first else "# Start date: "],
        [f"# End date: {last:%Y%m%d}" if last else "# End date: "],
    ]
    spec = TRAFFIC_ACQUISITION
    with ctx.csv(spec, n_rows=n, preamble=preamble) as out:
        for r in ctx.sim.stream(QUERY):
            sessions, engaged = int(r["sessions"]), int(r["engaged"])
            key_events = int(r["key_events"])
            out.row(
                [
                    f"{r['source']} / {r['medium']}",
                    campaign_label(r),
                    f"{r['day']:%Y%m%d}",
                    str(sessions),
                    str(engaged),
                    fraction(engaged, sessions),
                    str(int(r["new_users"])),
                    str(key_events),
                    fraction(key_events, sessions),
                ]
            )
    return [out.path]
