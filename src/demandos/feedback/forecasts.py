"""Forecasts of weekly pipeline created and bookings, with prediction intervals and a rolling
backtest (needs the optional extra: ``pip install 'demandos[forecast]'``, statsforecast).

    fc = forecast(ws.facts, ws.specs, "pipeline", horizon=13, today=date.today())
    fc.points[0].mean, fc.points[0].low95, fc.backtest.error

The series: the metric engine's ``pipeline`` (pipeline created, by opportunity creation day) or
``won_amount`` (bookings, by close day) component for every full ISO week whose data is complete
(state ``ok``), the last run of such weeks ending before ``today``.

The model (``MODEL``, the default): the average of statsforecast's AutoETS and AutoTheta, both
non-seasonal (a B2B team rarely has the two years of weekly history a 52-week season needs), the
interval bounds averaged too. ``docs/forecasts.md`` shows why on the demo company's backtest.

The backtest (rolling origin): for each origin ``o`` from ``MIN_TRAIN`` weeks of history on, fit on
weeks ``0 … o − 1`` and forecast ``HORIZON`` (4) weeks ahead; score the 4th week, ``o + 3``. The
error is the WAPE, ``Σ |actual − forecast| ÷ Σ actual`` over the origins (MAPE weighted by
volume, which a week without pipeline does not divide by zero); the same is reported for the naive
forecast, the mean of the 4 weeks before the origin, so the model's skill shows.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from importlib.util import find_spec
from typing import Any, Literal

import numpy as np

from demandos.errors import DemandosError
from demandos.metrics.catalog import COMPONENTS
from demandos.metrics.engine import SpecsLike, read_components
from demandos.metrics.periods import Period, week_period
from demandos.store.facts import FactStore

INSTALL_HINT = "pip install 'demandos[forecast]' (statsforecast)"
HORIZON = 4  # the backtest scores the forecast this many weeks ahead
MIN_TRAIN = 26  # weeks of history a fit needs
MAX_TRAIN = 52  # weeks before the window system health reads for the model's backtest
NAIVE_WEEKS = 4  # the naive forecast: the mean of this many weeks before the origin
LEVELS = (80, 95)
MAX_WEEKS = 156  # weeks read back from today (three years)

ForecastMetric = Literal["pipeline", "bookings"]
ModelName = Literal["ensemble", "ets", "theta", "naive"]
METRICS: dict[str, tuple[str, str]] = {
    "pipeline": ("pipeline", "Pipeline created"),
    "bookings": ("won_amount", "Bookings (won amount)"),
}
MODEL: ModelName = "ensemble"
MODEL_NAMES: dict[str, str] = {
    "ensemble": "mean of AutoETS and AutoTheta (statsforecast)",
    "ets": "AutoETS (statsforecast)",
    "theta": "AutoTheta (statsforecast)",
    "naive": f"mean of the last {NAIVE_WEEKS} weeks",
}

Predictor = Callable[[np.ndarray, int], np.ndarray]
"""Fits a history and returns the next ``h`` weeks' point forecasts."""


class ForecastError(DemandosError):
    """A forecast cannot be made as asked; the hint says how to fix it."""


def available() -> bool:
    """Whether the ``forecast`` extra (statsforecast) is installed."""
    return find_spec("statsforecast") is not None


def require() -> None:
    if not available():
        raise ForecastError("forecasts need the optional `forecast` extra", hint=INSTALL_HINT)


# -- models -----------------------------------------------------------------------------------


def predict(
    y: Sequence[float] | np.ndarray,
    h: int,
    model: ModelName = MODEL,
    levels: Sequence[int] = LEVELS,
) -> dict[str, np.ndarray]:
    """Point forecasts (``mean``) and interval bounds (``lo-80``, ``hi-80``, …) for ``h`` weeks
    after the history ``y``. The naive model has no intervals."""
    values = np.asarray(y, dtype=float)
    if model == "naive":
        return {"mean": np.full(h, float(values[-NAIVE_WEEKS:].mean()))}
    require()
    from statsforecast.models import AutoETS, AutoTheta

    fits = []
    if model in ("ensemble", "ets"):
        fits.append(AutoETS(season_length=1).forecast(y=values, h=h, level=list(levels)))
    if model in ("ensemble", "theta"):
        fits.append(AutoTheta(season_length=1).forecast(y=values, h=h, level=list(levels)))
    keys = ["mean", *(f"{side}-{lv}" for lv in levels for side in ("lo", "hi"))]
    return {k: np.mean([np.asarray(f[k], dtype=float) for f in fits], axis=0) for k in keys}


def predictor(model: ModelName = MODEL) -> Predictor:
    """The point forecasts of ``model``, for the backtest."""
    return lambda y, h: predict(y, h, model, levels=())["mean"]


# -- backtest ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scored:
    """One origin of the backtest: the week forecast, its actual and the forecast made
    ``HORIZON`` weeks before (from the weeks up to the origin)."""

    week: str
    actual: float
    forecast: float
    naive: float


@dataclass(frozen=True)
class Backtest:
    model: str
    horizon: int
    scored: tuple[Scored, ...]

    @property
    def error(self) -> float | None:
        """WAPE of the model: Σ|actual − forecast| ÷ Σ actual (None without actuals)."""
        return _wape([(s.actual, s.forecast) for s in self.scored])

    @property
    def naive_error(self) -> float | None:
        """WAPE of the naive forecast (mean of the 4 weeks before the origin)."""
        return _wape([(s.actual, s.naive) for s in self.scored])

    def as_dict(self) -> dict[str, Any]:
        return {"model": self.model, "horizon": self.horizon, "origins": len(self.scored),
                "error": self.error, "naive_error": self.naive_error,
                "scored": [asdict(s) for s in self.scored]}  # fmt: skip


def _wape(pairs: Sequence[tuple[float, float]]) -> float | None:
    actual = math.fsum(a for a, _ in pairs)
    if not pairs or actual <= 0:
        return None
    return math.fsum(abs(a - f) for a, f in pairs) / actual


def backtest(
    y: Sequence[float],
    weeks: Sequence[str],
    model: Predictor,
    *,
    name: str = MODEL,
    horizon: int = HORIZON,
    min_train: int = MIN_TRAIN,
    first_scored: int = 0,
) -> Backtest:
    """Rolling-origin backtest: for every origin ``o ≥ min_train`` (and whose scored week
    ``o + horizon − 1`` is at least ``first_scored``), fit ``y[:o]`` and score the forecast
    ``horizon`` weeks ahead against ``y[o + horizon − 1]``."""
    values = np.asarray(y, dtype=float)
    scored = []
    for o in range(min_train, len(values) - horizon + 1):
        target = o + horizon - 1
        if target < first_scored:
            continue
        history = values[:o]
        point = float(model(history, horizon)[horizon - 1])
        naive = float(history[-NAIVE_WEEKS:].mean())
        scored.append(Scored(weeks[target], float(values[target]), point, naive))
    return Backtest(name, horizon, tuple(scored))


# -- the weekly series ------------------------------------------------------------------------


@dataclass(frozen=True)
class Series:
    """A metric's complete weeks, oldest first, and why weeks around them were left out."""

    weeks: tuple[Period, ...]
    values: tuple[float, ...]
    notes: tuple[str, ...] = ()

    @property
    def labels(self) -> list[str]:
        return [w.label for w in self.weeks]


def weekly_series(
    facts: FactStore, specs: SpecsLike, metric: str, today: date, *, max_weeks: int = MAX_WEEKS
) -> Series:
    """The last run of complete weeks of ``metric`` (``pipeline`` or ``bookings``) before
    ``today``: weeks outside the loaded data, or whose data is incomplete, end the run."""
    if metric not in METRICS:
        raise ForecastError(f"no forecast of {metric!r}",
                            hint=f"forecast one of: {', '.join(METRICS)}")  # fmt: skip
    component = METRICS[metric][0]
    last = week_period(today - timedelta(days=1))
    if last.end > today:
        last = last.previous()
    weeks = [last.shift(-n) for n in range(max_weeks - 1, -1, -1)]
    got = read_components(facts, specs, weeks[-1], [COMPONENTS[component]], extra=weeks)
    values = [got.value(component, w.label) for w in weeks]
    states = [got.state(component, w.label) for w in weeks]
    ok = [v is not None and s == "ok" for v, (s, _) in zip(values, states, strict=True)]
    if not any(ok):
        return Series((), (), ("no week has complete data",))
    last_ok = max(i for i, good in enumerate(ok) if good)
    first = last_ok
    while first > 0 and ok[first - 1]:
        first -= 1
    notes = []
    if last_ok < len(weeks) - 1:
        notes.append(f"the data ends with {weeks[last_ok].label}: {weeks[last_ok + 1].label} "
                     f"is incomplete ({states[last_ok + 1][1] or 'no value'})")  # fmt: skip
    if any(ok[:first]):
        why = states[first - 1][1] or "no value"
        notes.append(f"{weeks[first - 1].label} is incomplete ({why}): the weeks before it are "
                     "not used")  # fmt: skip
    run = range(first, last_ok + 1)
    return Series(tuple(weeks[i] for i in run), tuple(float(values[i] or 0.0) for i in run),
                  tuple(notes))  # fmt: skip


# -- the forecast -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    week: str
    start: date
    mean: float
    low80: float | None
    high80: float | None
    low95: float | None
    high95: float | None


@dataclass(frozen=True)
class Forecast:
    metric: str
    name: str
    model: str
    method: str
    history: tuple[tuple[str, float], ...]
    points: tuple[Point, ...]
    backtest: Backtest
    notes: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "name": self.name,
            "model": self.model,
            "method": self.method,
            "history_weeks": len(self.history),
            "last_week": self.history[-1][0] if self.history else None,
            "points": [asdict(p) for p in self.points],
            "backtest": self.backtest.as_dict(),
            "notes": list(self.notes),
        }


def forecast(
    facts: FactStore,
    specs: SpecsLike,
    metric: str = "pipeline",
    *,
    horizon: int = 13,
    today: date,
    model: ModelName = MODEL,
) -> Forecast:
    """The next ``horizon`` weeks of ``metric`` after its last complete week, with 80% and 95%
    prediction intervals, and the rolling backtest of the same model (see the module doc)."""
    require()
    if horizon < 1:
        raise ForecastError(f"--weeks {horizon} is not a horizon", hint="forecast 1 week or more")
    series = weekly_series(facts, specs, metric, today)
    if len(series.values) < MIN_TRAIN:
        raise ForecastError(
            f"{METRICS[metric][1]} has {len(series.values)} complete weeks: a forecast needs "
            f"{MIN_TRAIN}", hint="load more history (half a year of weeks or more)"
        )  # fmt: skip
    out = predict(series.values, horizon, model)
    last = series.weeks[-1]
    points = []
    for i in range(horizon):
        week = last.shift(i + 1)

        def bound(key: str, i: int = i) -> float | None:
            return max(0.0, float(out[key][i])) if key in out else None

        mean = max(0.0, float(out["mean"][i]))
        points.append(Point(week.label, week.start, mean, bound("lo-80"), bound("hi-80"),
                            bound("lo-95"), bound("hi-95")))  # fmt: skip
    check = backtest(series.values, series.labels, predictor(model), name=model)
    return Forecast(metric, METRICS[metric][1], model, MODEL_NAMES[model],
                    tuple(zip(series.labels, series.values, strict=True)), tuple(points), check,
                    series.notes)  # fmt: skip
