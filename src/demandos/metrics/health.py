"""System health: is the demand system getting more efficient and more predictable?

    report = health(ws.facts, ws.specs, "2026-11")
    report.get("efficiency_trend").value, report.to_pandas(), report.weeks_to_pandas()

Everything is read over the 13 full ISO weeks that end with the last week ending inside the
period (and before ``today``); weekly values come from the engine's components, so a week's
pipeline, cost and DER are the metric tree's numbers for that week. Only weeks whose data is
complete (state ``ok``) enter a statistic; fewer than 13 make it ``partial``, fewer than
``MIN_WEEKS`` ``no_data``, and the reason names the weeks left out.

The indicators (what each means: ``docs/explain.md``):

- ``efficiency_trend`` (efficiency): least-squares slope of weekly DER, in DER per week;
- ``pipeline_stability`` (predictability): 1 − coefficient of variation of weekly pipeline;
- ``forecast_error`` (predictability): Σ|actual − forecast| ÷ Σ actual over the 13 weeks (WAPE:
  weeks without pipeline do not divide by zero, as in MAPE). With the ``forecast`` extra
  (statsforecast) and at least 26 complete weeks before a week's forecast origin, each week is
  forecast 4 weeks ahead by the model of ``feedback/forecasts.py`` fit on the weeks up to its
  origin (the rolling backtest); otherwise as the mean of the 4 weeks before it. The reason
  names the method used;
- ``durable_asset_share`` and ``owned_channel_share`` (compounding): share of pipeline whose
  account had a touch in the 90 days before the opportunity with an asset published over 90
  days before the touch, or on a channel typed ``owned``;
- ``top_program_share`` (dependence): the largest program's share of pipeline, each
  opportunity split equally over the programs that touched its account in those 90 days;
- ``peak_to_median`` (dependence): the best week's pipeline ÷ the median week's.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime, time, timedelta
from typing import Any, Literal, Protocol

import ibis
import numpy as np
import pyarrow as pa

from demandos.metrics.catalog import COMPONENTS
from demandos.metrics.components import in_period
from demandos.metrics.engine import SpecsLike, read_components
from demandos.metrics.periods import Period, parse_period, week_period
from demandos.metrics.table import State
from demandos.spec.channels import ChannelsSpec
from demandos.store.facts import FactStore

WEEKS = 13
HISTORY = 4  # weeks the trailing-mean forecast averages
MIN_WEEKS = 6  # complete weeks a statistic needs
LOOKBACK_DAYS = 90
ASSET_AGE_DAYS = 90

Group = Literal["efficiency", "predictability", "compounding", "dependence"]
_RANK: dict[State, int] = {"ok": 0, "partial": 1, "no_data": 2, "not_computed": 3}


class HealthSpecs(SpecsLike, Protocol):
    """What health reads of ``Specs``: the engine's needs and the channels (owned, programs)."""

    @property
    def channels(self) -> ChannelsSpec: ...


@dataclass(frozen=True)
class Week:
    """One week of the window: pipeline created, fully loaded cost and DER, with the state of
    the data behind the pipeline (``pipeline_state``) and behind DER (``state``)."""

    week: str
    start: date
    pipeline: float | None
    cost: float | None
    der: float | None
    pipeline_state: State
    state: State
    reason: str | None = None


@dataclass(frozen=True)
class Indicator:
    """One health indicator: its value (None exactly when ``no_data``), state and meaning."""

    id: str
    group: Group
    name: str
    value: float | None
    unit: str
    state: State
    reason: str | None
    meaning: str  # what this value says about the system, in a sentence


@dataclass
class HealthReport:
    """The health indicators for the 13 weeks ``start`` to ``end`` (exclusive)."""

    period: str
    start: date
    end: date
    weeks: list[Week] = field(default_factory=list)
    indicators: list[Indicator] = field(default_factory=list)

    def get(self, indicator: str) -> Indicator:
        for item in self.indicators:
            if item.id == indicator:
                return item
        raise KeyError(indicator)

    def to_arrow(self) -> pa.Table:
        rows = [{"period": self.period, **asdict(i)} for i in self.indicators]
        return pa.Table.from_pylist(rows, schema=_INDICATORS)

    def to_pandas(self) -> Any:
        return self.to_arrow().to_pandas()

    def weeks_to_arrow(self) -> pa.Table:
        return pa.Table.from_pylist([asdict(w) for w in self.weeks], schema=_WEEKS)

    def weeks_to_pandas(self) -> Any:
        return self.weeks_to_arrow().to_pandas()

    def as_dict(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "indicators": [asdict(i) for i in self.indicators],
            "weeks": [{**asdict(w), "start": w.start.isoformat()} for w in self.weeks],
        }


def _schema(cls: type, first: Sequence[pa.Field] = ()) -> pa.Schema:
    kinds = {"float | None": pa.float64(), "date": pa.date32()}
    return pa.schema([*first, *(pa.field(f.name, kinds.get(str(f.type), pa.string()))
                                for f in fields(cls))])  # fmt: skip


_INDICATORS = _schema(Indicator, [pa.field("period", pa.string())])
_WEEKS = _schema(Week)


# -- the window and its weekly values --------------------------------------------------------


def window(period: Period, today: date, count: int = WEEKS) -> list[Period]:
    """The ``count`` full ISO weeks ending with the last one that ends by the period's end and
    by ``today``, oldest first."""
    bound = min(period.end, today)
    last = week_period(bound - timedelta(days=1))
    if last.end > bound:
        last = last.previous()
    return [last.shift(-n) for n in range(count - 1, -1, -1)]


def _worst(states: Sequence[tuple[State, str | None]]) -> tuple[State, str | None]:
    state: State = max((s for s, _ in states), key=_RANK.__getitem__, default="ok")
    reasons = list(dict.fromkeys(r for s, r in states if r and s == state))
    return state, "; ".join(reasons) or None


def weekly(facts: FactStore, specs: SpecsLike, weeks: Sequence[Period]) -> list[Week]:
    """Pipeline created, fully loaded cost and DER of each week, with the data's state."""
    comps = [COMPONENTS[n] for n in ("pipeline", "media", "other_costs")]
    got = read_components(facts, specs, weeks[-1], comps, extra=weeks)
    out = []
    for w in weeks:
        pipe, media, other = (got.value(c.name, w.label) for c in comps)
        pipe_state, pipe_reason = got.state("pipeline", w.label)
        state, reason = _worst([got.state(c.name, w.label) for c in comps])
        cost = None if state == "no_data" or media is None or other is None else media + other
        der = pipe / cost if pipe is not None and cost else None
        if state != "no_data" and der is None:
            state, reason = "no_data", "no fully loaded cost in the week"
        out.append(Week(w.label, w.start, pipe if pipe_state != "no_data" else None, cost, der,
                        pipe_state, state, reason or pipe_reason))  # fmt: skip
    return out


def _usable(weeks: Sequence[Week], value: Literal["pipeline", "der"]
            ) -> tuple[list[tuple[int, float]], list[str]]:  # fmt: skip
    """(index, value) of the weeks whose data is complete, and why the others were left out."""
    points, left_out = [], []
    for i, w in enumerate(weeks):
        v, state = (w.pipeline, w.pipeline_state) if value == "pipeline" else (w.der, w.state)
        if state == "ok" and v is not None:
            points.append((i, v))
        else:
            left_out.append(f"{w.week} ({w.reason or 'no value'})")
    return points, left_out


def _coverage(n: int, left_out: list[str], what: str) -> tuple[State, str | None]:
    if n < MIN_WEEKS:
        return "no_data", f"{what} for {n} of {WEEKS} weeks (needs {MIN_WEEKS}): " + "; ".join(
            left_out
        )
    if left_out:
        return "partial", f"{what} for {n} of {WEEKS} weeks; left out: " + "; ".join(left_out)
    return "ok", None


# -- the indicators --------------------------------------------------------------------------


def slope(points: Sequence[tuple[float, float]]) -> float:
    """Least-squares slope of y on x."""
    mx = math.fsum(x for x, _ in points) / len(points)
    my = math.fsum(y for _, y in points) / len(points)
    sxx = math.fsum((x - mx) ** 2 for x, _ in points)
    return math.fsum((x - mx) * (y - my) for x, y in points) / sxx


def _trend(weeks: Sequence[Week]) -> Indicator:
    points, left_out = _usable(weeks, "der")
    state, reason = _coverage(len(points), left_out, "DER is known")
    name, unit = "Efficiency trend", "DER per week"
    if state == "no_data":
        return Indicator("efficiency_trend", "efficiency", name, None, unit, state, reason,
                         "not enough complete weeks to fit a trend")  # fmt: skip
    value = slope(points)
    mean = statistics.fmean(y for _, y in points)
    over = value * (WEEKS - 1)
    word = "rose" if value > 0 else "fell"
    verdict = (
        "about flat" if abs(over) < 0.05 * abs(mean) else
        "more efficient" if value > 0 else "less efficient"
    )  # fmt: skip
    meaning = (
        f"weekly DER {word} {abs(value):.3f} a week on the fitted line ({over:+.2f} over "
        f"{WEEKS} weeks, against an average of {mean:.2f}): the system is {verdict}"
    )
    if verdict != "about flat":
        meaning = meaning.replace("the system is ", "the system is getting ")
    return Indicator("efficiency_trend", "efficiency", name, value, unit, state, reason, meaning)


def _stability(weeks: Sequence[Week]) -> Indicator:
    points, left_out = _usable(weeks, "pipeline")
    state, reason = _coverage(len(points), left_out, "pipeline is known")
    values = [v for _, v in points]
    name, unit = "Pipeline stability", "ratio"
    if state != "no_data" and statistics.fmean(values) <= 0:
        state, reason = "no_data", "no pipeline created in the complete weeks"
    if state == "no_data":
        return Indicator("pipeline_stability", "predictability", name, None, unit, state, reason,
                         "weekly pipeline cannot be compared with its mean")  # fmt: skip
    mean = statistics.fmean(values)
    cv = statistics.stdev(values) / mean
    meaning = (
        f"weekly pipeline swings by {cv:.0%} of its mean ({mean:,.0f} a week); 1 is a "
        "perfectly even flow, 0 or less means swings as large as an average week"
    )
    return Indicator("pipeline_stability", "predictability", name, 1 - cv, unit, state, reason,
                     meaning)  # fmt: skip


NAIVE_METHOD = f"method: each week forecast as the mean of the {HISTORY} weeks before it"


def _model_forecast(
    facts: FactStore, specs: SpecsLike, weeks: Sequence[Period], recent: Sequence[Week]
) -> Indicator | None:
    """``forecast_error`` by the forecast model's rolling backtest; None without the extra or
    when no week of the window has enough complete weeks before its forecast origin."""
    from demandos.feedback import forecasts  # optional: statsforecast

    if not forecasts.available():
        return None
    longer = [weeks[0].shift(-n) for n in range(forecasts.MAX_TRAIN, 0, -1)] + list(weeks)
    got = read_components(facts, specs, longer[-1], [COMPONENTS["pipeline"]], extra=longer)
    known: list[float | None] = []
    for w in longer:
        value, (state, _) = got.value("pipeline", w.label), got.state("pipeline", w.label)
        known.append(float(value) if value is not None and state == "ok" else None)
    fit = forecasts.predictor()
    scored: list[tuple[float, float]] = []
    left_out: list[str] = []
    offset = len(longer) - len(recent)
    for i, week in enumerate(recent, start=offset):
        origin = i - forecasts.HORIZON + 1
        train: list[float] = []
        for value in reversed(known[:origin]):
            if value is None:
                break
            train.append(value)
        actual = known[i]
        if actual is None or len(train) < forecasts.MIN_TRAIN:
            left_out.append(f"{week.week} (it has no data, or fewer than {forecasts.MIN_TRAIN} "
                            "complete weeks before its forecast)")  # fmt: skip
            continue
        point = float(fit(np.asarray(train[::-1]), forecasts.HORIZON)[-1])
        scored.append((actual, point))
    if not scored:
        return None
    model = forecasts.MODEL_NAMES[forecasts.MODEL]
    ahead = f"{forecasts.HORIZON} weeks ahead"
    method = f"method: each week forecast {ahead} by the {model}, fit on the weeks before"
    how = f"the {model} forecasting each week's pipeline {ahead}"
    return _error_indicator(scored, left_out, method, how)


def _forecast(history: Sequence[Week], weeks: Sequence[Week], why: str = "") -> Indicator:
    every = [*history, *weeks]
    scored: list[tuple[float, float]] = []
    left_out = []
    for i, w in enumerate(weeks, start=len(history)):
        before = every[i - HISTORY : i]
        known = [b.pipeline for b in before if b.pipeline is not None and b.pipeline_state == "ok"]
        if w.pipeline is None or w.pipeline_state != "ok" or len(known) < HISTORY:
            left_out.append(f"{w.week} (it or one of the {HISTORY} weeks before has no data)")
            continue
        scored.append((w.pipeline, statistics.fmean(known)))
    return _error_indicator(scored, left_out, NAIVE_METHOD + why,
                            f"forecasting each week's pipeline as the mean of the {HISTORY} weeks "
                            "before it")  # fmt: skip


def _error_indicator(
    scored: Sequence[tuple[float, float]], left_out: list[str], method: str, how: str
) -> Indicator:
    state, coverage = _coverage(len(scored), left_out, "the forecast is scored")
    reason = f"{method}; {coverage}" if coverage else method
    name, unit = "Forecast error", "ratio"
    actual = math.fsum(a for a, _ in scored)
    if state != "no_data" and actual <= 0:
        state, reason = "no_data", f"{method}; no pipeline created in the weeks scored"
    if state == "no_data":
        return Indicator("forecast_error", "predictability", name, None, unit, state, reason,
                         "the backtest has too few weeks to score")  # fmt: skip
    error = math.fsum(abs(a - f) for a, f in scored) / actual
    meaning = (f"{how} missed by {error:.0%} of actual pipeline over {len(scored)} weeks; "
               "lower is more predictable")  # fmt: skip
    return Indicator("forecast_error", "predictability", name, error, unit, state, reason, meaning)


def _peak(weeks: Sequence[Week]) -> Indicator:
    points, left_out = _usable(weeks, "pipeline")
    state, reason = _coverage(len(points), left_out, "pipeline is known")
    values = [v for _, v in points]
    name, unit = "Peak-to-median week", "ratio"
    if state != "no_data" and statistics.median(values) <= 0:
        state, reason = "no_data", "the median week created no pipeline: the ratio is unbounded"
    if state == "no_data":
        return Indicator("peak_to_median", "dependence", name, None, unit, state, reason,
                         "cannot compare the best week with a typical one")  # fmt: skip
    ratio = max(values) / statistics.median(values)
    best = weeks[max(points, key=lambda p: p[1])[0]].week
    meaning = (
        f"the best week ({best}) created {ratio:.1f}× the pipeline of the median week; "
        "near 1 is a steady system, far above it a system that waits for big weeks"
    )
    return Indicator("peak_to_median", "dependence", name, ratio, unit, state, reason, meaning)


# -- what influenced pipeline ----------------------------------------------------------------


@dataclass(frozen=True)
class Influence:
    """Pipeline created in the window, and what touched the accounts before each opportunity."""

    total: float
    owned: float
    durable: float
    programs: Mapping[str, float]  # amount split equally over the programs touching each opp


def influence(facts: FactStore, start: date, end: date, *, owned_channels: Collection[str],
              lookback_days: int = LOOKBACK_DAYS, asset_age_days: int = ASSET_AGE_DAYS,
              ) -> Influence:  # fmt: skip
    """Opportunities created in [start, end) and the touches on their account in the
    ``lookback_days`` before each was created (one query; the joins run in the store)."""
    o = facts.table("opportunities")
    o = o.filter(in_period(o.created_at, "timestamp", start, end))
    o = o.select(o.opp_id, o.account_id, o.created_at, amount=o.amount.fill_null(0.0))
    amounts = {r["opp_id"]: float(r["amount"]) for r in o.to_pyarrow().to_pylist()}
    t = facts.table("touchpoints")
    since = datetime.combine(start, time()) - timedelta(days=lookback_days)
    t = t.filter(t.account_id.notnull(), in_period(t.ts, "timestamp", since.date(), end))
    t = t.select(t_account=t.account_id, ts=t.ts, channel=t.channel, program=t.program_id,
                 t_asset=t.asset_id)  # fmt: skip
    a = facts.table("assets")
    a = a.select(a_asset=a.asset_id, published=a.published_at)
    lookback = ibis.interval(days=lookback_days)
    j = o.join(t, [o.account_id == t.t_account, t.ts < o.created_at,
                   t.ts >= o.created_at - lookback])  # fmt: skip
    j = j.left_join(a, j.t_asset == a.a_asset)
    durable = a.published.notnull() & (a.published < j.ts - ibis.interval(days=asset_age_days))
    owned = j.channel.isin(sorted(owned_channels)) if owned_channels else ibis.literal(False)
    j = j.select(j.opp_id, j.program, is_owned=owned, is_durable=durable.fill_null(False))
    rows = (
        j.group_by("opp_id", "program")
        .aggregate(owned=j.is_owned.any(), durable=j.is_durable.any())
        .to_pyarrow()
        .to_pylist()
    )
    owned_opps = {r["opp_id"] for r in rows if r["owned"]}
    durable_opps = {r["opp_id"] for r in rows if r["durable"]}
    touched: dict[str, set[str]] = {}
    for r in rows:
        if r["program"] is not None:
            touched.setdefault(r["opp_id"], set()).add(r["program"])
    programs: dict[str, float] = {}
    for opp, names in touched.items():
        for name in names:
            programs[name] = programs.get(name, 0.0) + amounts[opp] / len(names)
    return Influence(
        math.fsum(amounts.values()),
        math.fsum(amounts[o] for o in owned_opps),
        math.fsum(amounts[o] for o in durable_opps),
        programs,
    )


def _touch_coverage(facts: FactStore, start: date, end: date,
                    lookback_days: int) -> tuple[State, str | None]:  # fmt: skip
    ranges = {s.table: s for s in facts.summary()}
    s = ranges.get("touchpoints")
    if s is None or not s.rows or s.min_time is None or s.max_time is None:
        return "no_data", "no touchpoints loaded: nothing says what touched the accounts"
    lo = s.min_time.date() if isinstance(s.min_time, datetime) else s.min_time
    hi = s.max_time.date() if isinstance(s.max_time, datetime) else s.max_time
    if hi < start - timedelta(days=lookback_days) or lo >= end:
        return "no_data", f"touchpoints run {lo} to {hi}, outside the window and its lookback"
    if lo > start - timedelta(days=lookback_days):
        return "partial", (f"touchpoints start {lo}, inside the {lookback_days}-day lookback of "
                           f"the window's first opportunities")  # fmt: skip
    return "ok", None


def _shares(facts: FactStore, specs: HealthSpecs, start: date, end: date,
            lookback_days: int, asset_age_days: int) -> list[Indicator]:  # fmt: skip
    owned = {c.id for c in specs.channels.channels if c.type == "owned"}
    state, reason = _touch_coverage(facts, start, end, lookback_days)
    found = None
    if state != "no_data":
        found = influence(facts, start, end, owned_channels=owned, lookback_days=lookback_days,
                          asset_age_days=asset_age_days)  # fmt: skip
        if found.total <= 0:
            state, reason = "no_data", "no pipeline created in the 13 weeks"
    assets = next((s.rows for s in facts.summary() if s.table == "assets"), 0)
    look = f"in the {lookback_days} days before the opportunity was created"

    def share(id_: str, group: Group, name: str, part: float | None, blocked: str | None,
              meaning: str) -> Indicator:  # fmt: skip
        if found is None or state == "no_data" or blocked or part is None:
            why = reason if found is None or state == "no_data" else blocked
            return Indicator(id_, group, name, None, "percent", "no_data", why, "no share known")
        return Indicator(id_, group, name, part / found.total, "percent", state, reason,
                         meaning.format(share=part / found.total))  # fmt: skip

    top = max(found.programs.items(), key=lambda kv: (kv[1], kv[0])) if found else None
    names = {p.id: (p.name, p.kind.replace("_", "-")) for p in specs.channels.programs}
    label = f"{names[top[0]][0]} ({names[top[0]][1]})" if top and top[0] in names else (
        top[0] if top else "no program")  # fmt: skip
    return [
        share("durable_asset_share", "compounding", "Pipeline from durable assets",
              found.durable if found else None,
              None if assets else "no assets loaded: the age of what was touched is unknown",
              f"{{share:.0%}} of pipeline created had an asset published over {asset_age_days} "
              f"days earlier touch its account {look}: content that keeps working"),
        share("owned_channel_share", "compounding", "Pipeline from owned channels",
              found.owned if found else None,
              None if owned else "channels.yaml types no channel as owned",
              f"{{share:.0%}} of pipeline created had a touch on an owned channel {look}: "
              "audiences the team keeps rather than rents"),
        share("top_program_share", "dependence", "Pipeline from the largest program",
              (top[1] if top else 0.0) if found else None, None,
              f"{label} brought {{share:.0%}} of pipeline created (each opportunity split "
              f"equally over the programs that touched its account {look}); high means one "
              "campaign carries the system"),
    ]  # fmt: skip


def _naive_why() -> str:
    from demandos.feedback import forecasts

    if forecasts.available():
        return (f" (the model needs {forecasts.MIN_TRAIN} complete weeks before a week's forecast "
                "origin)")  # fmt: skip
    return f" (for the model's backtest: {forecasts.INSTALL_HINT})"


def health(
    facts: FactStore,
    specs: HealthSpecs,
    period: str,
    *,
    today: date | None = None,
    lookback_days: int = LOOKBACK_DAYS,
    asset_age_days: int = ASSET_AGE_DAYS,
) -> HealthReport:
    """The system-health indicators for the 13 weeks ending with ``period`` (see module doc)."""
    when = parse_period(period, fiscal_year_start_month=specs.workspace.fiscal_year_start_month)
    every = window(when, today or date.today(), WEEKS + HISTORY)
    weeks = weekly(facts, specs, every)
    history, recent = weeks[:HISTORY], weeks[HISTORY:]
    start, end = every[HISTORY].start, every[-1].end
    report = HealthReport(when.label, start, end, recent)
    shares = _shares(facts, specs, start, end, lookback_days, asset_age_days)
    report.indicators = [
        _trend(recent),
        _stability(recent),
        _model_forecast(facts, specs, every[HISTORY:], recent)
        or _forecast(history, recent, _naive_why()),
        *shares[:2],
        shares[2],
        _peak(recent),
    ]
    return report
