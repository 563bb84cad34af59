"""LinkedIn Campaign Manager: the campaign performance report (Analyze → Export, daily).

File: ``linkedin/campaign_performance.csv``, one row per campaign and day.

Layout followed, and where it comes from:

- A preamble before the header: ``Campaign Performance Report (in UTC)``, ``Report Start: …``,
  ``Report End: …``, then an empty line. Public parsers of Campaign Manager exports detect
  these files "through [the] title block" and skip it, and their fixtures show the title line,
  a ``Report Start:``/``Report period:`` line and an empty line before the header.
- Column names as Campaign Manager writes them: ``Start Date (in UTC)``, ``End Date (in UTC)``,
  ``Campaign Group Name``, ``Campaign Name``, ``Campaign ID``, ``Total Spent``, ``Impressions``,
  ``Clicks``, ``Leads`` (the metric names listed by LinkedIn Ads field references such as
  twominutereports.com/linkedin-ads-metrics-and-dimensions: "Total Spent … Cost in the
  account's local currency"; SAS import code for these exports declares
  ``'Start Date (in UTC)'n``, ``'Campaign Name'n``, ``'Total Spent'n``).
- US dates without leading zeros (``5/1/2025``) for the daily ``Start Date``/``End Date``,
  which are equal in a daily breakdown; money without thousands separators (``278.47``).
- ``Campaign Type``, ``Campaign Objective``, ``Average CTR``/``CPM``/``CPC`` and
  ``Cost per Lead`` use Campaign Manager's UI labels as we know them; they were not confirmed
  against a real export here.
- Campaigns sit in LinkedIn's ``Default Campaign Group``; campaign ids are stable 9-digit
  numbers derived from the program id.

Injected problem: one impossible ``Start Date (in UTC)`` (``2/30/2026``) per file.
"""

from __future__ import annotations

import zlib
from pathlib import Path

from demandos.simulate.exports.ads import daily_rows, date_range
from demandos.simulate.exports.formats import money, percent, ratio_money, us_date
from demandos.simulate.exports.problems import Problem
from demandos.simulate.exports.registry import ExportContext, register
from demandos.simulate.exports.writer import FileSpec

PLATFORMS = ("linkedin_ads", "LinkedIn Campaign Manager", "LinkedIn Ads", "linkedin")
TITLE = "Campaign Performance Report (in UTC)"
HEADER = (
    "Start Date (in UTC)",
    "End Date (in UTC)",
    "Campaign Group Name",
    "Campaign Name",
    "Campaign ID",
    "Campaign Type",
    "Campaign Objective",
    "Currency",
    "Total Spent",
    "Impressions",
    "Clicks",
    "Average CTR",
    "Average CPM",
    "Average CPC",
    "Leads",
    "Cost per Lead",
)
PROBLEMS = (Problem("bad_date", "Start Date (in UTC)", date_format="%-m/%-d/%Y"),)
CAMPAIGN_PERFORMANCE = FileSpec(
    "linkedin/campaign_performance.csv", HEADER, preamble_rows=4, problems=PROBLEMS
)


def campaign_id(program_id: str) -> str:
    """A stable LinkedIn-style numeric campaign id for a program."""
    return str(100_000_000 + zlib.crc32(program_id.encode()) % 900_000_000)


@register("linkedin", "LinkedIn Campaign Manager", files=(CAMPAIGN_PERFORMANCE,))
def export_linkedin(ctx: ExportContext) -> list[Path]:
    rows = daily_rows(ctx.sim, PLATFORMS)
    span = date_range(ctx.sim, rows)
    start, end = (us_date(span[0]), us_date(span[1])) if span else ("", "")
    preamble = [[TITLE], [f"Report Start: {start}"], [f"Report End: {end}"], []]
    spec = CAMPAIGN_PERFORMANCE
    with ctx.csv(spec, n_rows=len(rows), preamble=preamble) as out:
        for r in rows:
            leads = round(r.conversions)
            out.row(
                [
                    us_date(r.day),
                    us_date(r.day),
                    "Default Campaign Group",
                    ctx.campaign(r.program_id),
                    campaign_id(r.program_id),
                    "Sponsored Content",
                    "Lead Generation",
                    ctx.currency,
                    money(r.cents),
                    str(r.impressions),
                    str(r.clicks),
                    percent(r.clicks, r.impressions, missing="0.00%"),
                    ratio_money(r.cents * 1000, r.impressions, missing="0.00"),
                    ratio_money(r.cents, r.clicks, missing="0.00"),
                    str(leads),
                    ratio_money(r.cents, leads, missing="0.00"),
                ]
            )
    return [out.path]
