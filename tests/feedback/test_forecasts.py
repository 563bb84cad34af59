"""Forecasts: the rolling backtest's arithmetic by hand, interval coverage on a simulated
stationary series, the weekly series from the store, system health's forecast error and the CLI
on the demo company (statsforecast comes with the test extra)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from demandos.cli.forecast import forecast as forecast_command
from demandos.feedback import forecasts
from demandos.feedback.forecasts import ForecastError, backtest, predict, predictor
from demandos.workspace import Workspace

TODAY = date(2026, 11, 23)


def test_backtest_by_hand() -> None:
    # y = 1, 2, …, 10; origins from 4 with a 2-week horizon score weeks 5 … 9 (0-based), each
    # forecast by the mean of the 4 weeks before its origin: origin o scores y[o + 1]
    y = [float(v) for v in range(1, 11)]
    weeks = [f"w{i}" for i in range(10)]

    def last_four(history: np.ndarray, h: int) -> np.ndarray:
        return np.full(h, history[-4:].mean())

    bt = backtest(y, weeks, last_four, name="naive", horizon=2, min_train=4)
    # origin 4: mean(1..4) = 2.5 for y[5] = 6; origin 5: 3.5 for 7; … origin 8: 6.5 for 10
    assert [(s.week, s.actual, s.forecast) for s in bt.scored] == [
        ("w5", 6.0, 2.5), ("w6", 7.0, 3.5), ("w7", 8.0, 4.5), ("w8", 9.0, 5.5), ("w9", 10.0, 6.5)
    ]  # fmt: skip
    assert bt.error == pytest.approx(5 * 3.5 / 40)  # every miss is 3.5; Σ actual = 40
    assert bt.naive_error == bt.error  # the naive baseline is the same model here
    late = backtest(y, weeks, last_four, horizon=2, min_train=4, first_scored=8)
    assert [s.week for s in late.scored] == ["w8", "w9"]
    zero = backtest([0.0] * 10, weeks, last_four, horizon=2, min_train=4)
    assert zero.error is None  # no actuals: WAPE is undefined, not a division by zero


def test_naive_model_and_the_ensemble() -> None:
    y = np.array([10.0, 20.0, 30.0, 40.0, 50.0])
    assert list(predict(y, 3, "naive")["mean"]) == [35.0, 35.0, 35.0]
    rng = np.random.default_rng(5)
    series = 100 + rng.normal(0, 10, 60)
    both = predict(series, 4)
    ets, theta = predict(series, 4, "ets"), predict(series, 4, "theta")
    for key in ("mean", "lo-80", "hi-95"):
        assert both[key] == pytest.approx((ets[key] + theta[key]) / 2)
    assert np.all(both["lo-95"] <= both["lo-80"]) and np.all(both["lo-80"] <= both["mean"])
    assert np.all(both["mean"] <= both["hi-80"]) and np.all(both["hi-80"] <= both["hi-95"])
    assert list(predictor()(series, 4)) == pytest.approx(list(both["mean"]))


def test_intervals_cover_at_about_the_nominal_rate() -> None:
    # a stationary series (white noise around 100): the 80% and 95% intervals of the next
    # week and of 4 weeks ahead contain the truth about 80% and 95% of the time
    rng = np.random.default_rng(11)
    hits = {80: 0, 95: 0}
    n = 0
    for _ in range(150):
        y = 100 + rng.normal(0, 15, 64)
        out = predict(y[:60], 4)
        for h in (0, 3):
            n += 1
            for level in hits:
                hits[level] += out[f"lo-{level}"][h] <= y[60 + h] <= out[f"hi-{level}"][h]
    assert 0.72 <= hits[80] / n <= 0.88
    assert 0.90 <= hits[95] / n <= 0.99


def test_without_the_extra_it_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(forecasts, "available", lambda: False)
    with pytest.raises(ForecastError) as info:
        predict([1.0] * 30, 4)
    assert "pip install 'demandos[forecast]'" in (info.value.hint or "")


@pytest.fixture(scope="module")
def demo(copy_demo: Callable[[str], Path]) -> Path:
    return copy_demo("forecasts")


@pytest.mark.slow
def test_demo_forecast_and_backtest(demo: Path) -> None:
    with Workspace.open(demo) as ws:
        fc = ws.forecast("pipeline", weeks=13, today=TODAY)
        # the demo's data ends 2026-10-31, inside 2026-W44: the series stops at 2026-W43
        assert fc.history[-1][0] == "2026-W43" and "2026-W44 is incomplete" in fc.notes[0]
        assert [p.week for p in fc.points][:2] == ["2026-W44", "2026-W45"] and len(fc.points) == 13
        for p in fc.points:
            assert p.low95 is not None and p.high95 is not None and p.low80 is not None
            assert p.low95 <= p.low80 <= p.mean <= (p.high80 or 0) <= p.high95
        bt = fc.backtest
        # every origin with 26 weeks of history scores the week 4 weeks ahead
        assert len(bt.scored) == len(fc.history) - forecasts.MIN_TRAIN - forecasts.HORIZON + 1
        history = dict(fc.history)
        assert all(s.actual == history[s.week] for s in bt.scored)
        assert bt.error is not None and 0.2 < bt.error < 0.8
        weeks = ws.health("2026-10", today=TODAY)
        pipeline = {w.week: w.pipeline for w in weeks.weeks}
        assert all(history[k] == pytest.approx(v) for k, v in pipeline.items())  # one engine
        error = weeks.get("forecast_error")
        assert error.state == "ok" and error.reason and "AutoETS and AutoTheta" in error.reason
        bookings = ws.forecast("bookings", weeks=4, today=TODAY)
        assert bookings.name.startswith("Bookings") and len(bookings.points) == 4
    runner = CliRunner()
    app = typer.Typer()  # the command itself, registered or not in main.py
    app.command()(forecast_command)
    out = runner.invoke(app, ["-w", str(demo), "--weeks", "4", "--today",
                              str(TODAY), "--format", "csv"])  # fmt: skip
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert lines[0] == "week,start,forecast,low80,high80,low95,high95" and len(lines) == 5
    assert lines[1].startswith("2026-W44,2026-10-26,")
    out = runner.invoke(app, ["-w", str(demo), "--metric", "bookings", "--today",
                              str(TODAY)])  # fmt: skip
    assert out.exit_code == 0 and "4-week-ahead WAPE" in out.output
