"""Meta Ads Manager: the campaigns table as "Export table data" writes it (.csv, by day).

File: ``meta/ads_manager.csv``, a summary row, then one row per campaign and day.

Layout followed, and where it comes from:

- No preamble: the header is the first line, behind a UTF-8 byte-order mark (public importers
  of Ads Manager exports strip it: "BOM and (USD) handled").
- Column names as Ads Manager writes them, the currency in the money columns' names:
  ``Reporting starts``, ``Reporting ends``, ``Campaign name``, ``Campaign delivery``,
  ``Results``, ``Result indicator``, ``Reach``, ``Frequency``, ``Impressions``,
  ``Cost per results``, ``Amount spent (USD)``, ``Link clicks``,
  ``CPC (cost per link click) (USD)``, ``CTR (link click-through rate)``, ``Ends`` (the default
  "Performance and clicks" columns, as defined at
  sebotraining.com/meta-ads-topics/ads-manager-columns; the exact labels as export headers in
  public importers' fixtures show them, e.g. ``Campaign name,Reporting starts,Reporting ends,
  Amount spent (AUD),Impressions,Reach,Link clicks,Results,Result indicator``; the labels of
  ``Campaign delivery``, ``Cost per results``, the CPC and CTR columns and ``Ends`` come from a
  public writer of realistic Ads Manager exports, not from Meta).
- With the "By day" breakdown a row's ``Reporting starts`` and ``Reporting ends`` are both its
  day (ISO dates). The summary row (the export dialog's "Include summary row") comes first:
  the whole range, no campaign name, totals for additive columns, empty reach and frequency
  (reach does not add up).
- Money without thousands separators (``1234.56``); the link CTR as a percentage number without
  a ``%`` sign; ``Result indicator`` names the optimised action
  (``actions:offsite_conversion.fb_pixel_lead``).
- Reach is not in the simulated spend; it is derived as impressions ÷ 1.3 (frequency ≈ 1.3).

Injected problem: an ``Amount spent`` typed with a currency symbol and thousands separator
(``$1,234.56``), which Ads Manager never writes.
"""

from __future__ import annotations

from pathlib import Path

from demandos.simulate.exports.ads import daily_rows, date_range, totals
from demandos.simulate.exports.formats import fraction, money, ratio_money
from demandos.simulate.exports.problems import Problem
from demandos.simulate.exports.registry import ExportContext, register
from demandos.simulate.exports.writer import CsvStyle, FileSpec

PLATFORMS = ("meta_ads", "Meta Ads", "Meta", "facebook_ads", "Facebook Ads")
RESULT_INDICATOR = "actions:offsite_conversion.fb_pixel_lead"
HEADER = (
    "Reporting starts",
    "Reporting ends",
    "Campaign name",
    "Campaign delivery",
    "Results",
    "Result indicator",
    "Reach",
    "Frequency",
    "Impressions",
    "Cost per results",
    "Amount spent ({currency})",
    "Link clicks",
    "CPC (cost per link click) ({currency})",
    "CTR (link click-through rate)",
    "Ends",
)
PROBLEMS = (Problem("currency_format", "Amount spent ({currency})"),)
ADS_MANAGER = FileSpec(
    "meta/ads_manager.csv", HEADER, style=CsvStyle(encoding="utf-8-sig"), problems=PROBLEMS
)


def reach(impressions: int) -> int:
    return impressions * 10 // 13


def _ctr(clicks: int, impressions: int) -> str:
    return fraction(100 * clicks, impressions, places=6)


@register("meta", "Meta Ads Manager", files=(ADS_MANAGER,))
def export_meta(ctx: ExportContext) -> list[Path]:
    rows = daily_rows(ctx.sim, PLATFORMS)
    span = date_range(ctx.sim, rows)
    with ctx.csv(ADS_MANAGER, n_rows=len(rows)) as out:
        t = totals(rows)
        results = round(t.conversions)
        start, end = (span[0].isoformat(), span[1].isoformat()) if span else ("", "")
        out.total(
            [
                start,
                end,
                "",
                "",
                str(results),
                "",
                "",
                "",
                str(t.impressions),
                ratio_money(t.cents, results, missing=""),
                money(t.cents),
                str(t.clicks),
                ratio_money(t.cents, t.clicks, missing=""),
                _ctr(t.clicks, t.impressions),
                "",
            ]
        )
        for r in rows:
            day = r.day.isoformat()
            res = round(r.conversions)
            people = reach(r.impressions)
            out.row(
                [
                    day,
                    day,
                    ctx.campaign(r.program_id),
                    "active" if span and r.last_day == span[1] else "inactive",
                    str(res),
                    RESULT_INDICATOR,
                    str(people),
                    fraction(r.impressions, people, places=6),
                    str(r.impressions),
                    ratio_money(r.cents, res, missing=""),
                    money(r.cents),
                    str(r.clicks),
                    ratio_money(r.cents, r.clicks, missing=""),
                    _ctr(r.clicks, r.impressions),
                    "Ongoing",
                ]
            )
    return [out.path]
