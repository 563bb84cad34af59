"""Google Ads: the campaign report as the web UI downloads it (Reports → Download → .csv).

File: ``google_ads/campaign_report.csv``, one row per campaign and day (the report segmented by
Day), then total rows.

Layout followed, and where it comes from:

- Two preamble rows before the header: the report's title (``Campaign report``) and its date
  range (``May 1, 2025 - October 31, 2026``; it holds commas, so it is quoted). Parsers of UI
  downloads skip exactly these (a BigQuery load of a UI report uses ``--skip_leading_rows``;
  public parsers such as "CSV Analyzer … Google Ads format detection … skips header rows (report
  name + date range)" and test fixtures of Google Ads UI exports in public repositories).
- Column names as the UI shows them: ``Campaign``, ``Campaign type``, ``Day``,
  ``Currency code``, ``Cost``, ``Impr.``, ``Clicks``, ``CTR``, ``Avg. CPC``, ``Conversions``,
  ``Cost / conv.``, ``Conv. rate`` (Google Ads Editor's "CSV file columns" help page,
  support.google.com/google-ads/editor/answer/57747, lists ``Campaign`` and ``Campaign type``;
  the metric labels are the UI's column labels, as public parsers of these files expect them:
  ``SAFE_CAST(REPLACE(Impr, ',', '') …)``).
- Numbers as the UI displays them: thousands separators (``12,345``, ``1,033.33``), rates as
  percentages with two decimals (``4.50%``), ``--`` where a ratio has no denominator.
- Total rows after the data: ``Total: Campaigns`` then ``Total: Account``, the label in the
  first column, other dimension cells empty.
- ``Campaign status`` is ``Enabled`` for a campaign still spending on the report's last day,
  ``Paused`` otherwise.

The UI can also download "Excel .csv" (UTF-16, tab-separated); this export is the plain .csv.
Google's UI would never write a bad value here, so no problems are injected into this file.
"""

from __future__ import annotations

from pathlib import Path

from demandos.simulate.exports.ads import AdTotals, daily_rows, date_range, totals
from demandos.simulate.exports.formats import grouped_int, long_date, money, percent, ratio_money
from demandos.simulate.exports.registry import ExportContext, register
from demandos.simulate.exports.writer import CsvStyle, FileSpec

PLATFORMS = ("google_ads", "Google Ads")
TITLE = "Campaign report"
HEADER = (
    "Campaign status",
    "Campaign",
    "Campaign type",
    "Day",
    "Currency code",
    "Cost",
    "Impr.",
    "Clicks",
    "CTR",
    "Avg. CPC",
    "Conversions",
    "Cost / conv.",
    "Conv. rate",
)
TOTAL_LABELS = ("Total: Campaigns", "Total: Account")
CAMPAIGN_REPORT = FileSpec(
    "google_ads/campaign_report.csv", HEADER, preamble_rows=2, style=CsvStyle(lineterminator="\n")
)


def _metrics(t: AdTotals) -> list[str]:
    return [
        money(t.cents, grouped=True),
        grouped_int(t.impressions),
        grouped_int(t.clicks),
        percent(t.clicks, t.impressions),
        ratio_money(t.cents, t.clicks, grouped=True),
        f"{t.conversions:,.2f}",
        ratio_money(t.cents, t.conversions, grouped=True),
        percent(t.conversions, t.clicks),
    ]


@register("google_ads", "Google Ads", files=(CAMPAIGN_REPORT,))
def export_google_ads(ctx: ExportContext) -> list[Path]:
    rows = daily_rows(ctx.sim, PLATFORMS)
    span = date_range(ctx.sim, rows)
    dates = f"{long_date(span[0])} - {long_date(span[1])}" if span else ""
    with ctx.csv(CAMPAIGN_REPORT, n_rows=len(rows), preamble=[[TITLE], [dates]]) as out:
        for r in rows:
            status = "Enabled" if span and r.last_day == span[1] else "Paused"
            day = AdTotals(r.cents, r.impressions, r.clicks, r.conversions)
            name = ctx.campaign(r.program_id)
            out.row([status, name, "Search", r.day.isoformat(), ctx.currency, *_metrics(day)])
        total = totals(rows)
        for label in TOTAL_LABELS:
            out.total([label, "", "", "", ctx.currency, *_metrics(total)])
    return [out.path]
