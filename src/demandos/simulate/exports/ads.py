"""Daily paid-media rows of one ad platform, as its campaign reports show them.

Google Ads, LinkedIn Campaign Manager and Meta Ads Manager all report a campaign's day the same
way underneath: cost, impressions, clicks and conversions. This module reads them from the
canonical ``spend`` table (day × program) for one platform, money in whole cents so a report's
rows and its total add up to the cent. Daily ad rows are small (days × campaigns), so they are
aggregated in DuckDB and returned whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from demandos.simulate.exports.source import SimData


@dataclass(frozen=True)
class AdDay:
    """One campaign's day on a platform."""

    day: date
    program_id: str
    cents: int
    impressions: int
    clicks: int
    conversions: float
    last_day: date  # the campaign's last day with spend in the whole report


@dataclass(frozen=True)
class AdTotals:
    cents: int
    impressions: int
    clicks: int
    conversions: float


def daily_rows(sim: SimData, platforms: Sequence[str]) -> list[AdDay]:
    """The platform's rows, by day then program: ``platforms`` are the ``spend.platform`` values
    (matched case-insensitively) that belong to it, e.g. ``("google_ads", "Google Ads")``."""
    sim.require("spend")
    names = [p.lower() for p in platforms]
    marks = ", ".join("?" for _ in names)
    rows = sim.all(
        f"""
        WITH d AS (
            SELECT CAST("date" AS DATE) AS day, program_id,
                   sum(CAST(round(amount * 100) AS BIGINT)) AS cents,
                   sum(coalesce(impressions, 0)) AS impressions,
                   sum(coalesce(clicks, 0)) AS clicks,
                   sum(coalesce(conversions, 0)) AS conversions
            FROM spend WHERE lower(platform) IN ({marks})
            GROUP BY ALL
        )
        SELECT *, max(day) OVER (PARTITION BY program_id) AS last_day
        FROM d ORDER BY day, program_id
        """,
        names,
    )
    return [
        AdDay(
            day=r["day"],
            program_id=str(r["program_id"]),
            cents=int(r["cents"]),
            impressions=int(r["impressions"]),
            clicks=int(r["clicks"]),
            conversions=round(float(r["conversions"]), 6),
            last_day=r["last_day"],
        )
        for r in rows
    ]


def totals(rows: Sequence[AdDay]) -> AdTotals:
    return AdTotals(
        cents=sum(r.cents for r in rows),
        impressions=sum(r.impressions for r in rows),
        clicks=sum(r.clicks for r in rows),
        conversions=round(sum(r.conversions for r in rows), 6),
    )


def date_range(sim: SimData, rows: Sequence[AdDay]) -> tuple[date, date] | None:
    """The report's date range: the platform's days, else every spend day, else ``None``."""
    if rows:
        return rows[0].day, rows[-1].day
    found = sim.all(
        'SELECT min(CAST("date" AS DATE)) AS a, max(CAST("date" AS DATE)) AS b FROM spend'
    )
    if found and found[0]["a"] is not None:
        return found[0]["a"], found[0]["b"]
    return None
