"""System health on a small company built for it, every number worked out by hand.

The company, period 2026-03 (today 2026-06-01), so the window is 2026-W01 … 2026-W13 and the
forecast's history 2025-W49 … 2025-W52:

- cost: 300 media every Monday, and people costs of 100 a day (3,100 in a 31-day month, 2,800
  in February), so every ISO week costs exactly 1,000, also the weeks that straddle two months;
- pipeline: one opportunity every Wednesday, 2,000 in the history weeks and 2,000 + 100·i in
  window week i (i = 0 … 12), plus a 3,000 "spike" opportunity in week 10: weekly pipeline is
  2,000 … 3,200 except 6,000 in week 10, and weekly DER the same ÷ 1,000;
- touches, 10 days before each window opportunity: even weeks on the owned newsletter with an
  asset published in June 2025 (durable), program "always"; odd weeks on paid LinkedIn with an
  asset published 2026-01-01 (never 90 days old at the touch), program "launch"; the spike's
  account had one touch of each program. Two touches that must not count: one 100 days before
  week 1's opportunity and one a day after it, both owned.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from demandos.metrics.health import HealthReport, health, slope, window
from demandos.metrics.periods import parse_period
from demandos.store import FactStore

from .fixture import BACKENDS, TODAY, load, open_store, specs, spend

FIRST = date(2025, 12, 1)  # Monday of 2025-W49
WEEKS = [FIRST + timedelta(weeks=n) for n in range(17)]
WINDOW = [2000.0 + 100 * i for i in range(13)]
WINDOW[10] += 3000.0
HISTORY = [2000.0] * 4


def _opp(opp_id: str, account: str, created: datetime, amount: float) -> dict[str, Any]:
    return {"opp_id": opp_id, "account_id": account, "created_at": created, "amount": amount,
            "stage": "Discovery", "is_closed": False, "is_won": False}  # fmt: skip


def _touch(tid: str, ts: datetime, account: str, channel: str, program: str,
           asset: str | None) -> dict[str, Any]:  # fmt: skip
    return {"touch_id": tid, "ts": ts, "account_id": account, "channel": channel,
            "program_id": program, "asset_id": asset, "touch_type": "visit"}  # fmt: skip


def company() -> dict[str, list[dict[str, Any]]]:
    opps, touches = [], []
    for n, monday in enumerate(WEEKS):
        created = datetime.combine(monday + timedelta(days=2), datetime.min.time()).replace(hour=10)
        if n < 4:
            opps.append(_opp(f"h{n}", f"h{n}", created, 2000.0))
            continue
        i = n - 4
        opps.append(_opp(f"o{i}", f"a{i}", created, 2000.0 + 100 * i))
        ts = created - timedelta(days=10)
        if i % 2 == 0:
            touches.append(_touch(f"t{i}", ts, f"a{i}", "newsletter", "always", "old"))
        else:
            touches.append(_touch(f"t{i}", ts, f"a{i}", "linkedin_ads", "launch", "new"))
        if i == 1:  # outside the lookback, and after creation: neither counts
            touches.append(_touch("early", created - timedelta(days=100), "a1", "newsletter",
                                  "always", "old"))  # fmt: skip
            touches.append(_touch("late", created + timedelta(days=1), "a1", "newsletter",
                                  "always", "old"))  # fmt: skip
        if i == 10:
            opps.append(_opp("spike", "spike", created, 3000.0))
            touches.append(_touch("s1", ts, "spike", "linkedin_ads", "launch", "new"))
            touches.append(_touch("s2", ts, "spike", "newsletter", "always", None))
    ads = [spend(monday, "linkedin_ads", "launch", 300.0, 1000, 10, 1) for monday in WEEKS]
    ads.append(spend(date(2026, 3, 31), "linkedin_ads", "launch", 0.0, 0, 0, 0))  # data to 31st
    months = [(date(2025, 12, 1), 3100.0), (date(2026, 1, 1), 3100.0), (date(2026, 2, 1), 2800.0),
              (date(2026, 3, 1), 3100.0)]  # fmt: skip
    costs = [{"month": m, "category": "people", "item": "team", "amount": a} for m, a in months]
    assets = [
        {"asset_id": "old", "title": "Guide", "type": "guide", "status": "published",
         "published_at": datetime(2025, 6, 1)},
        {"asset_id": "new", "title": "Launch", "type": "video", "status": "published",
         "published_at": datetime(2026, 1, 1)},
    ]  # fmt: skip
    return {"opportunities": opps, "touchpoints": touches, "spend": ads, "costs": costs,
            "assets": assets}  # fmt: skip


@pytest.fixture(params=BACKENDS)
def steady(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FactStore]:
    facts = load(open_store(request.param, tmp_path / ".demandos", request), company())
    yield facts
    facts.close()


@pytest.fixture
def report(steady: FactStore) -> HealthReport:
    return health(steady, specs(), "2026-03", today=TODAY)


def test_the_window_is_13_full_weeks_ending_inside_the_period() -> None:
    weeks = window(parse_period("2026-03"), TODAY)
    assert (weeks[0].label, weeks[-1].label) == ("2026-W01", "2026-W13")  # W14 ends 5 April
    early = window(parse_period("2026-03"), date(2026, 3, 18))  # today cuts the period
    assert early[-1].label == "2026-W11" and len(early) == 13


def test_weekly_values(report: HealthReport) -> None:
    assert [w.week for w in report.weeks] == [f"2026-W{n:02d}" for n in range(1, 14)]
    assert [w.pipeline for w in report.weeks] == WINDOW
    assert [w.cost for w in report.weeks] == pytest.approx([1000.0] * 13)
    assert [w.der for w in report.weeks] == pytest.approx([p / 1000 for p in WINDOW])
    assert {w.state for w in report.weeks} == {"ok"}
    assert (report.start, report.end) == (date(2025, 12, 29), date(2026, 3, 30))


def test_efficiency_trend(report: HealthReport) -> None:
    # DER 2.0 + 0.1·i, plus 3.0 in week 10: slope 0.1 + 3 × (10 − 6) ÷ Σ(i − 6)² = 0.1 + 12/182
    trend = report.get("efficiency_trend")
    assert trend.value == pytest.approx(0.1 + 12 / 182)
    assert (trend.state, trend.unit, trend.group) == ("ok", "DER per week", "efficiency")
    assert "more efficient" in trend.meaning


def test_predictability(report: HealthReport) -> None:
    mean = (sum(2000 + 100 * i for i in range(13)) + 3000) / 13  # 36,800 ÷ 13
    sd = (sum((p - mean) ** 2 for p in WINDOW) / 12) ** 0.5  # sample standard deviation
    stability = report.get("pipeline_stability")
    assert stability.value == pytest.approx(1 - sd / mean)
    assert stability.value == pytest.approx(1 - statistics.stdev(WINDOW) / mean)
    # forecast of week i: the mean of the 4 weeks before it (history, then the window)
    series = HISTORY + WINDOW
    forecasts = [sum(series[i : i + 4]) / 4 for i in range(13)]
    error = sum(abs(a - f) for a, f in zip(WINDOW, forecasts, strict=True)) / sum(WINDOW)
    assert forecasts[:2] == [2000.0, 2000.0]  # week 0 from history; week 1: 3 × 2,000 + 2,000
    forecast = report.get("forecast_error")
    assert forecast.value == pytest.approx(error)
    assert forecast.state == "ok"


def test_compounding_and_dependence(report: HealthReport) -> None:
    even = sum(2000 + 100 * i for i in range(0, 13, 2))  # 18,200: newsletter, the old asset
    odd = sum(2000 + 100 * i for i in range(1, 13, 2))  # 15,600: LinkedIn, the new asset
    total = even + odd + 3000
    assert report.get("durable_asset_share").value == pytest.approx(even / total)
    assert report.get("owned_channel_share").value == pytest.approx((even + 3000) / total)
    top = report.get("top_program_share")  # "always": even weeks and half the spike
    assert top.value == pytest.approx((even + 1500) / total)
    assert "always" in top.meaning
    # peak 6,000; median of the 13 weeks is the 7th smallest: 2,600
    assert report.get("peak_to_median").value == pytest.approx(6000 / 2600)
    assert {i.state for i in report.indicators} == {"ok"}


def test_tidy_output(report: HealthReport) -> None:
    frame = report.to_pandas()
    assert list(frame.id) == [
        "efficiency_trend", "pipeline_stability", "forecast_error", "durable_asset_share",
        "owned_channel_share", "top_program_share", "peak_to_median",
    ]  # fmt: skip
    assert frame.value.notna().all() and (frame.meaning.str.len() > 20).all()
    assert len(report.weeks_to_pandas()) == 13
    assert report.as_dict()["weeks"][0]["start"] == "2025-12-29"


def test_missing_weeks_make_statistics_partial_then_no_data(steady: FactStore) -> None:
    # 2026-02: the window is 2025-W48 … 2026-W08; the data starts in W49
    partial = health(steady, specs(), "2026-02", today=TODAY)
    trend = partial.get("efficiency_trend")
    assert trend.state == "partial" and trend.value is not None
    assert trend.reason and "2025-W48" in trend.reason and "12 of 13" in trend.reason
    # 2025-06: no data at all — every indicator says so, none is a number
    empty = health(steady, specs(), "2025-06", today=TODAY)
    for item in empty.indicators:
        assert (item.value, item.state) == (None, "no_data"), item
        assert item.reason
    assert all(w.der is None for w in empty.weeks)


def test_no_touchpoints_no_assets(tmp_path: Path) -> None:
    tables = company()
    del tables["touchpoints"], tables["assets"]
    facts = load(open_store("embedded", tmp_path / ".demandos", None), tables)  # type: ignore[arg-type]
    try:
        got = health(facts, specs(), "2026-03", today=TODAY)
    finally:
        facts.close()
    for name in ("durable_asset_share", "owned_channel_share", "top_program_share"):
        item = got.get(name)
        assert (item.value, item.state) == (None, "no_data")
        assert item.reason and "touchpoints" in item.reason
    assert got.get("efficiency_trend").state == "ok"


def test_slope_of_a_line() -> None:
    assert slope([(0, 1.0), (1, 3.0), (2, 5.0)]) == pytest.approx(2.0)
    assert slope([(0, 4.0), (3, 4.0), (7, 4.0)]) == 0.0
