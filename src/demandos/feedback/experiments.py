"""Experiments: size a test before it runs, read its result after, and log the result.

    plan(spec)                                  # units per variant for the spec's MDE
    analysis = analyze(spec, read_counts(path))  # or read_values(path) for a mean
    conclude(ws.cadence_log, analysis)           # one decision in the operating log

Sample size per variant (two-sided level ``alpha`` split over the ``m`` treatments compared with
the control, Bonferroni, which Holm's first step uses; ``z_a = Φ⁻¹(1 − alpha / (2m))``,
``z_b = Φ⁻¹(power)``):

- conversion rate, control rate ``p1`` and ``p2 = p1 + δ`` (Fleiss, the pooled test's formula):
  ``n = (z_a √(2 p̄ (1 − p̄)) + z_b √(p1 (1 − p1) + p2 (1 − p2)))² ÷ δ²``, ``p̄ = (p1 + p2) / 2``;
- mean, standard deviation ``σ`` of one unit's value: ``n = 2 (z_a + z_b)² σ² ÷ δ²``.

Analysis of each treatment against the control (``demandos.stats``):

- conversion rate: the difference of rates with Newcombe's hybrid score interval (from the two
  Wilson intervals) at ``1 − alpha``, and the pooled two-proportion z-test;
- mean: the difference of means with Welch's t interval and test (Welch-Satterthwaite df);
- with two treatments or more, the p-values are Holm-adjusted; a treatment wins or loses only
  when its adjusted p-value is at most ``alpha``.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from statistics import NormalDist
from typing import Any, Literal

import ibis

from demandos.cadence.log import CadenceLog, DecisionItem, Recorded
from demandos.errors import DemandosError
from demandos.spec.experiments import ExperimentSpec
from demandos.spec.specs import Specs
from demandos.stats import Interval, Moments, holm, t975, two_proportions, welch, wilson, z_quantile
from demandos.store.facts import FactStore

DECISION_PREFIX = "Experiment"
"""Decisions logged by ``conclude`` are titled ``Experiment <id>: <verdict>``."""


class ExperimentError(DemandosError):
    """An experiment cannot be planned or analysed as asked (the message says why and how)."""


# -- planning ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """Units needed per variant to detect the minimum effect."""

    experiment: str
    kind: str
    per_variant: int
    variants: int
    total: int
    effect: float  # absolute difference the test is sized for
    baseline: float | None  # control's expected rate (or mean, for a relative MDE)
    alpha: float
    alpha_per_comparison: float
    power: float
    formula: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def sample_size_rate(
    baseline: float, effect: float, *, alpha: float = 0.05, power: float = 0.8, comparisons: int = 1
) -> int:
    """Units per variant to detect a change of ``effect`` (absolute) in a rate of ``baseline``."""
    p1, p2 = baseline, baseline + effect
    if not 0 < p1 < 1 or not 0 < p2 < 1:
        raise ExperimentError(
            f"a baseline of {p1:g} moved by {effect:+g} leaves the rates 0-1",
            hint="lower the minimum detectable effect, or check the baseline rate",
        )
    za, zb = _quantiles(alpha, power, comparisons)
    pbar = (p1 + p2) / 2
    root = za * math.sqrt(2 * pbar * (1 - pbar)) + zb * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    return math.ceil(root * root / (effect * effect))


def sample_size_mean(
    sd: float, effect: float, *, alpha: float = 0.05, power: float = 0.8, comparisons: int = 1
) -> int:
    """Units per variant to detect a change of ``effect`` in a mean whose values have sd ``sd``."""
    if sd <= 0 or effect == 0:
        raise ExperimentError(
            "the sd must be positive and the effect not 0", hint="check sd and mde in the file"
        )
    za, zb = _quantiles(alpha, power, comparisons)
    return math.ceil(2 * (za + zb) ** 2 * sd * sd / (effect * effect))


def _quantiles(alpha: float, power: float, comparisons: int) -> tuple[float, float]:
    if not 0.5 <= power < 1:
        raise ExperimentError(f"power {power} is not between 0.5 and 1", hint="e.g. power: 0.8")
    return z_quantile(alpha / max(1, comparisons)), NormalDist().inv_cdf(power)


def plan(
    spec: ExperimentSpec,
    *,
    baseline: float | None = None,
    sd: float | None = None,
    mde: float | None = None,
) -> Plan:
    """The spec's sample size; ``baseline``, ``sd`` and ``mde`` override what the file says."""
    baseline = baseline if baseline is not None else spec.baseline
    sd = sd if sd is not None else spec.sd
    mde = mde if mde is not None else spec.mde
    m = len(spec.treatments)
    alpha_each = spec.alpha / m
    file = f"experiments/{spec.id}.yaml"
    if spec.mde_scale == "relative":
        if baseline is None:
            raise ExperimentError(
                f"{spec.id}: a relative MDE needs the baseline",
                hint=f"add baseline: to {file}, or pass --baseline",
            )
        effect = mde * baseline
    else:
        effect = mde
    if spec.kind == "conversion_rate":
        if baseline is None:
            raise ExperimentError(
                f"{spec.id}: sizing a conversion-rate test needs the control's expected rate",
                hint=f"add baseline: 0.05 (say) to {file}, or pass --baseline",
            )
        n = sample_size_rate(baseline, effect, alpha=spec.alpha, power=spec.power, comparisons=m)
        formula = "(z_a·√(2p̄(1−p̄)) + z_b·√(p1(1−p1)+p2(1−p2)))² ÷ δ²"
    else:
        if sd is None:
            raise ExperimentError(
                f"{spec.id}: sizing a test of a mean needs the sd of one unit's value",
                hint=f"add sd: to {file} (from past data), or pass --sd",
            )
        n = sample_size_mean(sd, effect, alpha=spec.alpha, power=spec.power, comparisons=m)
        formula = "2·(z_a + z_b)²·σ² ÷ δ²"
    k = len(spec.variants)
    return Plan(spec.id, spec.kind, n, k, n * k, effect, baseline, spec.alpha, alpha_each,
                spec.power, formula)  # fmt: skip


# -- results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Counts:
    """Units and conversions of one variant."""

    units: int
    conversions: int


Results = Mapping[str, Counts] | Mapping[str, Sequence[float]]
"""Counts per variant (a conversion rate) or every unit's value per variant (a mean)."""


def read_counts(path: Path) -> dict[str, Counts]:
    """A CSV of counts, ``variant,units,conversions`` (one row per variant), or one row per unit,
    ``variant,converted`` (1/0, true/false, yes/no)."""
    rows, columns = _read_csv(path)
    out: dict[str, list[int]] = {}
    if {"variant", "units", "conversions"} <= columns:
        for line, row in rows:
            units = _number(path, line, row, "units", int)
            conv = _number(path, line, row, "conversions", int)
            if units < 0 or conv < 0 or conv > units:
                raise ExperimentError(
                    f"{path.name} line {line}: {conv} conversions of {units} units",
                    hint="units and conversions are counts, with conversions at most units",
                )
            got = out.setdefault(row["variant"].strip(), [0, 0])
            got[0] += units
            got[1] += conv
    elif {"variant", "converted"} <= columns:
        for line, row in rows:
            flag = row["converted"].strip().lower()
            if flag not in {"1", "0", "true", "false", "yes", "no"}:
                raise ExperimentError(
                    f"{path.name} line {line}: converted is {row['converted']!r}",
                    hint="write converted as 1 or 0 (true/false, yes/no)",
                )
            got = out.setdefault(row["variant"].strip(), [0, 0])
            got[0] += 1
            got[1] += flag in {"1", "true", "yes"}
    else:
        raise ExperimentError(
            f"{path.name} has the columns {', '.join(sorted(columns)) or 'none'}",
            hint="write variant,units,conversions (one row per variant) or variant,converted "
            "(one row per unit)",
        )
    return {v: Counts(u, c) for v, (u, c) in out.items()}


def read_values(path: Path) -> dict[str, list[float]]:
    """A CSV of one row per unit, ``variant,value``: the values a mean is taken of."""
    rows, columns = _read_csv(path)
    if not {"variant", "value"} <= columns:
        raise ExperimentError(
            f"{path.name} has the columns {', '.join(sorted(columns)) or 'none'}",
            hint="write one row per unit with the columns variant,value",
        )
    out: dict[str, list[float]] = {}
    for line, row in rows:
        out.setdefault(row["variant"].strip(), []).append(_number(path, line, row, "value", float))
    return out


def _read_csv(path: Path) -> tuple[list[tuple[int, dict[str, str]]], set[str]]:
    if not path.is_file():
        raise ExperimentError(f"no results file at {path}", hint="check the path")
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        columns = {c.strip().lower() for c in reader.fieldnames or ()}
        rows = []
        for row in reader:
            clean = {(k or "").strip().lower(): (v or "") for k, v in row.items()}
            if any(v.strip() for v in clean.values()):
                rows.append((reader.line_num, clean))
    return rows, columns


def _number(path: Path, line: int, row: dict[str, str], column: str, kind: type[float] | type[int]
            ) -> Any:  # fmt: skip
    text = row.get(column, "").strip()
    try:
        return kind(text)
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise ExperimentError(
            f"{path.name} line {line}: {column} is {text!r}, not {what}",
            hint=f"write {column} as {what}, without currency signs or thousands separators",
        ) from None


def from_store(facts: FactStore, specs: Specs, spec: ExperimentSpec, today: date) -> Results:
    """The results of a holdout experiment (``assignment:``) from the canonical facts.

    The units are accounts (of ``segment``, or all); the treatment is the accounts with a touch of
    ``program`` from the start to the end (or ``today``), the holdout the others. The outcome of
    an account is read over the same window: whether it had an opportunity created
    (``opportunity``), one created and won by now (``won``), or the amount of opportunities
    created (``pipeline``, a mean; 0 for an account without one)."""
    how = spec.assignment
    file = f"experiments/{spec.id}.yaml"
    if how is None:
        raise ExperimentError(
            f"{spec.id} reads no results from the store",
            hint=f"give the results file (--results), or add assignment: to {file}",
        )
    start = datetime.combine(spec.start, time())
    last = min(spec.end or today, today)
    if last < spec.start:
        raise ExperimentError(f"{spec.id} starts on {spec.start}: nothing to read yet",
                              hint="analyse it once it has run")  # fmt: skip
    stop = datetime.combine(last + timedelta(days=1), time())
    accounts = facts.table("accounts")
    if how.segment is not None:
        from demandos.kernel.fit import account_segments

        seg = account_segments(accounts, specs.kernel)
        accounts = seg.filter(seg.segment == how.segment)
    units = accounts.select("account_id").distinct()
    touches = facts.table("touchpoints")
    touched = (
        touches.filter((touches.program_id == how.program) & (touches.ts >= start)
                       & (touches.ts < stop) & touches.account_id.notnull())
        .select("account_id").distinct().mutate(treated=ibis.literal(True))
    )  # fmt: skip
    opps = facts.table("opportunities")
    window = opps.filter((opps.created_at >= start) & (opps.created_at < stop))
    if how.outcome == "won":
        window = window.filter(window.is_won.fill_null(False))
    outcome = window.group_by("account_id").aggregate(
        n=window.count(), amount=window.amount.sum().fill_null(0.0)
    )
    rows = (
        units.left_join(touched, "account_id").left_join(outcome, "account_id")
        .select("account_id", "treated", "n", "amount").to_pyarrow().to_pylist()
    )  # fmt: skip
    treatment = spec.treatments[0]
    if how.outcome == "pipeline":
        values: dict[str, list[float]] = {spec.control_id: [], treatment: []}
        for r in rows:
            values[treatment if r["treated"] else spec.control_id].append(float(r["amount"] or 0))
        return values
    counts = {spec.control_id: [0, 0], treatment: [0, 0]}
    for r in rows:
        got = counts[treatment if r["treated"] else spec.control_id]
        got[0] += 1
        got[1] += bool(r["n"])
    return {v: Counts(u, c) for v, (u, c) in counts.items()}


def analyze_store(facts: FactStore, specs: Specs, spec: ExperimentSpec, today: date) -> Analysis:
    """``analyze`` on the results ``from_store`` reads, with a note on how units were assigned."""
    found = analyze(spec, from_store(facts, specs, spec, today))
    assert spec.assignment is not None
    how = spec.assignment
    of = f" of {how.segment}" if how.segment else ""
    note = (
        f"units are the accounts{of} the program {how.program} reached or not, read from the "
        f"store up to {min(spec.end or today, today)}: unless the holdout was drawn at random "
        "before the start, the difference may reflect who the program targets as much as what "
        "it does"
    )
    return replace(found, notes=(*found.notes, note))


# -- analysis ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Arm:
    """One variant: its units, its rate or mean, and that value's interval."""

    variant: str
    units: int
    value: float
    interval: Interval | None
    conversions: int | None = None


@dataclass(frozen=True)
class Difference:
    """One treatment against the control: difference (treatment − control), its interval, the
    lift relative to the control, the raw and Holm-adjusted p-values and the verdict."""

    variant: str
    control: str
    difference: float
    interval: Interval
    lift: float | None
    statistic: float
    p_value: float
    p_adjusted: float
    df: float | None
    verdict: Literal["better", "worse", "no difference"]


@dataclass(frozen=True)
class Analysis:
    experiment: ExperimentSpec
    arms: tuple[Arm, ...]
    differences: tuple[Difference, ...]
    method: str
    notes: tuple[str, ...] = field(default=())

    @property
    def alpha(self) -> float:
        return self.experiment.alpha

    def summary(self) -> str:
        """One line: the verdict of each treatment, with its difference and interval."""
        parts = [f"{d.variant} {d.verdict} ({_fmt_diff(self, d)})" for d in self.differences]
        return "; ".join(parts)

    def rationale(self) -> str:
        """The numbers behind the verdict, as logged with the decision."""
        ex = self.experiment
        level = 1 - ex.alpha
        arms = ", ".join(
            f"{a.variant} {_fmt_value(self, a.value)} of {a.units} {ex.unit}s" for a in self.arms
        )
        diffs = "; ".join(
            f"{d.variant} − {d.control} = {_fmt_diff(self, d)}, {level:.0%} interval "
            f"[{_fmt_signed(self, d.interval.low)}, {_fmt_signed(self, d.interval.high)}], "
            f"p = {d.p_value:.4g}"
            + (f", Holm p = {d.p_adjusted:.4g}" if len(self.differences) > 1 else "")
            for d in self.differences
        )
        return f"{ex.hypothesis} — {self.method}. {arms}. {diffs}."

    def as_dict(self) -> dict[str, Any]:
        return {
            "experiment": self.experiment.id,
            "metric": self.experiment.metric,
            "kind": self.experiment.kind,
            "alpha": self.alpha,
            "method": self.method,
            "arms": [asdict(a) for a in self.arms],
            "differences": [asdict(d) for d in self.differences],
            "notes": list(self.notes),
        }


def _fmt_value(analysis: Analysis, value: float) -> str:
    return f"{value:.2%}" if analysis.experiment.kind == "conversion_rate" else f"{value:,.4g}"


def _fmt_signed(analysis: Analysis, value: float) -> str:
    if analysis.experiment.kind == "conversion_rate":
        return f"{value * 100:+.2f} pts"
    return f"{value:+,.4g}"


def _fmt_diff(analysis: Analysis, d: Difference) -> str:
    lift = f", {d.lift:+.1%}" if d.lift is not None else ""
    return f"{_fmt_signed(analysis, d.difference)}{lift}"


def analyze(spec: ExperimentSpec, results: Results) -> Analysis:
    """Compare each treatment with the control (see the module doc for the methods)."""
    names = [v.id for v in spec.variants]
    missing = [v for v in names if v not in results]
    file = f"experiments/{spec.id}.yaml"
    if missing:
        raise ExperimentError(
            f"{spec.id}: the results have no {', '.join(missing)} (they have "
            f"{', '.join(results) or 'nothing'})",
            hint=f"name the rows after the variants of {file}: {', '.join(names)}",
        )
    notes = [f"{v!r} is not a variant of {file}: left out" for v in results if v not in names]
    if spec.kind == "conversion_rate":
        arms, raw = _rates(spec, results)
        method = (
            "difference of conversion rates, Newcombe hybrid score interval, pooled "
            "two-proportion z-test"
        )
    else:
        arms, raw = _means(spec, results)
        method = "difference of means, Welch t interval and test"
    if len(raw) > 1:
        method += f", Holm-adjusted over {len(raw)} comparisons"
    adjusted = holm([t[2] for t in raw])
    control = next(a for a in arms if a.variant == spec.control_id)
    differences = []
    for (variant, test_diff, p, stat, interval, df), p_adj in zip(raw, adjusted, strict=True):
        verdict: Literal["better", "worse", "no difference"] = "no difference"
        if p_adj <= spec.alpha:
            verdict = "better" if test_diff > 0 else "worse"
        lift = test_diff / control.value if control.value else None
        differences.append(
            Difference(
                variant, spec.control_id, test_diff, interval, lift, stat, p, p_adj, df, verdict
            )
        )
    return Analysis(spec, tuple(arms), tuple(differences), method, tuple(notes))


_Raw = tuple[str, float, float, float, Interval, float | None]


def _rates(spec: ExperimentSpec, results: Results) -> tuple[list[Arm], list[_Raw]]:
    z = z_quantile(spec.alpha)
    counts: dict[str, Counts] = {}
    for v in spec.variants:
        got = results[v.id]
        if not isinstance(got, Counts):
            raise ExperimentError(
                f"{spec.id} measures a conversion rate: {v.id} needs counts, not values",
                hint="give units and conversions per variant (variant,units,conversions)",
            )
        if got.units <= 0:
            raise ExperimentError(
                f"{spec.id}: {v.id} has no units", hint="an arm needs at least one unit to compare"
            )
        counts[v.id] = got
    arms = [
        Arm(v, c.units, c.conversions / c.units, wilson(c.conversions, c.units, z), c.conversions)
        for v, c in counts.items()
    ]
    c0 = counts[spec.control_id]
    raw: list[_Raw] = []
    for t in spec.treatments:
        c = counts[t]
        test = two_proportions(c.conversions, c.units, c0.conversions, c0.units, z)
        raw.append((t, test.difference, test.p_value, test.statistic, test.interval, None))
    return arms, raw


def _means(spec: ExperimentSpec, results: Results) -> tuple[list[Arm], list[_Raw]]:
    moments: dict[str, Moments] = {}
    for v in spec.variants:
        got = results[v.id]
        if isinstance(got, Counts):
            raise ExperimentError(
                f"{spec.id} measures a mean: {v.id} needs each unit's value, not counts",
                hint="give one row per unit with the columns variant,value",
            )
        values = [float(x) for x in got]
        if len(values) < 2:
            raise ExperimentError(
                f"{spec.id}: {v.id} has {len(values)} value(s)",
                hint="a mean's interval needs at least two units per variant",
            )
        moments[v.id] = Moments(len(values), math.fsum(values), math.fsum(x * x for x in values))
    arms = []
    for name, m in moments.items():
        assert m.mean is not None and m.variance is not None
        half = _t(spec.alpha, m.n - 1) * math.sqrt(m.variance / m.n)
        arms.append(Arm(name, m.n, m.mean, Interval(m.mean - half, m.mean + half)))
    raw: list[_Raw] = []
    m0 = moments[spec.control_id]
    for t in spec.treatments:
        test, df = welch(moments[t], m0, spec.alpha)
        raw.append((t, test.difference, test.p_value, test.statistic, test.interval, df))
    return arms, raw


def _t(alpha: float, df: int) -> float:
    if alpha == 0.05:
        return t975(df)
    from scipy.stats import t as student

    return float(student.ppf(1 - alpha / 2, df))


def find(experiments: Mapping[str, ExperimentSpec], experiment_id: str) -> ExperimentSpec:
    """The experiment ``experiment_id`` of the registry, or an error naming the known ones."""
    if experiment_id in experiments:
        return experiments[experiment_id]
    from demandos.suggest import closest

    known = ", ".join(sorted(experiments)) or "none yet"
    guess = closest(experiment_id, list(experiments))
    hint = f"did you mean {guess!r}? " if guess else ""
    raise ExperimentError(
        f"no experiment {experiment_id!r} in experiments/",
        hint=f"{hint}known: {known}; add experiments/{experiment_id}.yaml to register it",
    )


def read_results(spec: ExperimentSpec, path: Path) -> Results:
    """The results file of ``spec``: counts for a conversion rate, values for a mean."""
    return read_counts(path) if spec.kind == "conversion_rate" else read_values(path)


# -- the registry and the log -----------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One experiment of the registry, its status and (once concluded) its decision."""

    spec: ExperimentSpec
    status: str
    decision: DecisionItem | None = None


def decision_title(experiment_id: str) -> str:
    return f"{DECISION_PREFIX} {experiment_id}:"


def registry(
    experiments: Mapping[str, ExperimentSpec], log: CadenceLog, today: date
) -> list[Entry]:
    """Every experiment with its status: planned, running, ended (waiting for a conclusion) or
    concluded (a decision titled ``Experiment <id>: …`` is in the operating log)."""
    decided: dict[str, DecisionItem] = {}
    for d in log.list_decisions():
        for ex_id in experiments:
            if d.title.startswith(decision_title(ex_id)):
                decided[ex_id] = d
    return [
        Entry(spec, spec.status(today, ex_id in decided), decided.get(ex_id))
        for ex_id, spec in sorted(experiments.items(), key=lambda kv: (kv[1].start, kv[0]))
    ]


def conclude(
    log: CadenceLog, analysis: Analysis, *, decision: str | None = None, owner: str | None = None
) -> Recorded[DecisionItem]:
    """Log the result as one decision on the experiment's metric, owned by its owner: titled
    ``Experiment <id>: <decision, or the verdicts>``, with every number in the rationale."""
    ex = analysis.experiment
    done = [d for d in log.list_decisions() if d.title.startswith(decision_title(ex.id))]
    if done:
        raise ExperimentError(
            f"{ex.id} is already concluded: decision #{done[0].id} ({done[0].made_at:%Y-%m-%d})",
            hint="one decision per experiment result; run a new experiment to test again",
        )
    title = f"{decision_title(ex.id)} {decision or analysis.summary()}"
    return log.add_decision(
        title, owner=owner or ex.owner, metric=ex.metric, rationale=analysis.rationale()
    )
