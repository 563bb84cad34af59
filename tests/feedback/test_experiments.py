"""Experiments: the registry in experiments/, the planner, the analysis and the decision, every
number worked out by hand or taken from the literature, and checked against statsmodels and SciPy
(both come with the test extra)."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import power_proportions_2indep, proportions_ztest
from typer.testing import CliRunner

from demandos.cadence.log import CadenceLog
from demandos.cli.experiment import experiment_app
from demandos.feedback.experiments import (
    Counts,
    ExperimentError,
    analyze,
    analyze_store,
    conclude,
    from_store,
    plan,
    read_counts,
    read_values,
    registry,
    sample_size_mean,
    sample_size_rate,
)
from demandos.reports.model import Paragraph, Table
from demandos.spec import check_workspace
from demandos.spec.experiments import ExperimentSpec
from demandos.stats import holm, two_proportions, welch, z_quantile
from demandos.workspace import Workspace

from .fixture import batch, build

Z = 1.959963984540054  # Φ⁻¹(0.975)
ZB = 0.8416212335729143  # Φ⁻¹(0.80)


def spec(**fields: object) -> ExperimentSpec:
    base: dict[str, object] = {
        "id": "form",
        "hypothesis": "a shorter form converts more visitors",
        "owner": "maya",
        "metric": "cpl",
        "kind": "conversion_rate",
        "variants": [{"id": "control"}, {"id": "short"}],
        "start": "2026-10-01",
        "end": "2026-11-15",
        "baseline": 0.05,
        "mde": 0.01,
    }
    base.update(fields)
    return ExperimentSpec.model_validate(base)


# -- the planner ------------------------------------------------------------------------------


def test_sample_size_of_a_rate_by_hand() -> None:
    # p1 = 0.05, p2 = 0.06, p̄ = 0.055: (1.96·√(2·0.055·0.945) + 0.8416·√(0.0475 + 0.0564))² ÷ 0.01²
    root = Z * math.sqrt(2 * 0.055 * 0.945) + ZB * math.sqrt(0.05 * 0.95 + 0.06 * 0.94)
    assert root**2 / 0.0001 == pytest.approx(8157.73, abs=0.01)
    assert sample_size_rate(0.05, 0.01) == 8158
    p = plan(spec())
    assert (p.per_variant, p.total, p.effect) == (8158, 16316, 0.01)
    relative = plan(spec(mde=0.2, mde_scale="relative"))  # 20% of 0.05 is the same point
    assert relative.per_variant == 8158


def test_sample_size_of_a_mean_by_hand() -> None:
    # 2 (1.96 + 0.8416)² · 10² ÷ 2² = 392.4 → 393
    assert pytest.approx(392.44, abs=0.01) == 2 * (Z + ZB) ** 2 * 100 / 4
    assert sample_size_mean(10, 2) == 393
    p = plan(spec(kind="mean", sd=10, mde=2, baseline=None))
    assert p.per_variant == 393 and p.formula.startswith("2·")


def test_several_treatments_split_alpha() -> None:
    three = spec(variants=[{"id": "control"}, {"id": "a"}, {"id": "b"}])
    p = plan(three)
    assert p.alpha_per_comparison == pytest.approx(0.025)
    assert p.per_variant == sample_size_rate(0.05, 0.01, alpha=0.025) > 8158
    assert p.total == 3 * p.per_variant


def test_plan_against_statsmodels() -> None:
    n = sample_size_mean(10, 2)
    exact = NormalIndPower().solve_power(effect_size=0.2, alpha=0.05, power=0.8)
    assert n == math.ceil(exact)
    # the rate's n reaches the power by statsmodels' pooled/unpooled normal power, n − 1 does not
    for base, diff in ((0.05, 0.01), (0.2, 0.05), (0.5, -0.1)):
        n = sample_size_rate(base, diff)
        power = power_proportions_2indep(diff, base, n, alpha=0.05, return_results=False)
        below = power_proportions_2indep(diff, base, n - 1, alpha=0.05, return_results=False)
        assert below < 0.8 <= power + 1e-9


@settings(max_examples=40, deadline=None)
@given(
    base=st.floats(0.02, 0.6),
    rel=st.floats(0.05, 0.5),
    power=st.sampled_from([0.8, 0.9]),
)
def test_planned_size_reaches_the_power(base: float, rel: float, power: float) -> None:
    diff = base * rel
    n = sample_size_rate(base, diff, power=power)
    got = power_proportions_2indep(diff, base, n, alpha=0.05, return_results=False)
    assert got >= power - 1e-6


def test_plan_needs_a_baseline_or_an_sd() -> None:
    with pytest.raises(ExperimentError, match="expected rate") as info:
        plan(spec(baseline=None))
    assert "experiments/form.yaml" in (info.value.hint or "")
    with pytest.raises(ExperimentError, match="sd"):
        plan(spec(kind="mean", baseline=None))
    with pytest.raises(ExperimentError, match="0-1"):
        sample_size_rate(0.95, 0.1)


# -- the analysis -----------------------------------------------------------------------------


def test_newcombe_interval_matches_the_paper() -> None:
    # Newcombe (1998), Table II example (a): 56/70 − 48/80 = 0.2, method 10: 0.0524 to 0.3339
    test = two_proportions(56, 70, 48, 80)
    assert test.difference == pytest.approx(0.2)
    assert (round(test.interval.low, 4), round(test.interval.high, 4)) == (0.0524, 0.3339)


def test_conversion_rate_by_hand() -> None:
    a = analyze(spec(), {"control": Counts(1000, 50), "short": Counts(1000, 70)})
    (d,) = a.differences
    pooled = 120 / 2000
    z = 0.02 / math.sqrt(pooled * (1 - pooled) * (2 / 1000))
    assert d.difference == pytest.approx(0.02) and d.statistic == pytest.approx(z)
    assert d.p_value == pytest.approx(math.erfc(z / math.sqrt(2)))
    stat, p = proportions_ztest([70, 50], [1000, 1000])
    assert (d.statistic, d.p_value) == (pytest.approx(stat), pytest.approx(p))
    assert d.lift == pytest.approx(0.4)
    assert d.p_adjusted == d.p_value  # one comparison: nothing to adjust
    assert d.verdict == ("better" if p <= 0.05 else "no difference")
    control = a.arms[0]
    assert (control.variant, control.units, control.value) == ("control", 1000, 0.05)
    assert control.interval is not None and control.interval.contains(0.05)


def test_welch_by_hand() -> None:
    x, y = [2.0, 4.0, 6.0, 8.0, 10.0], [1.0, 2.0, 3.0, 4.0]
    a = analyze(spec(kind="mean", sd=3, baseline=None), {"control": y, "short": x})
    (d,) = a.differences
    # means 6 and 2.5; variances 10 and 5/3; se² = 10/5 + (5/3)/4 = 2.41667
    ua, ub = 10 / 5, (5 / 3) / 4
    df = (ua + ub) ** 2 / (ua**2 / 4 + ub**2 / 3)
    assert d.difference == pytest.approx(3.5) and d.df == pytest.approx(df)
    assert df == pytest.approx(5.52, abs=0.01)
    ref = sps.ttest_ind(x, y, equal_var=False)
    assert (d.statistic, d.p_value) == (pytest.approx(ref.statistic), pytest.approx(ref.pvalue))
    half = sps.t.ppf(0.975, df) * math.sqrt(ua + ub)
    assert (d.interval.low, d.interval.high) == (
        pytest.approx(3.5 - half),
        pytest.approx(3.5 + half),
    )


def test_holm_over_several_treatments() -> None:
    three = spec(variants=[{"id": "control"}, {"id": "a"}, {"id": "b"}, {"id": "c"}])
    counts = {"control": Counts(2000, 100), "a": Counts(2000, 140), "b": Counts(2000, 110),
              "c": Counts(2000, 135)}  # fmt: skip
    a = analyze(three, counts)
    raw = [d.p_value for d in a.differences]
    assert [d.p_adjusted for d in a.differences] == pytest.approx(holm(raw))
    # by hand: sorted p ascending times 3, 2, 1, running maximum
    order = sorted(raw)
    expected = sorted([min(1, 3 * order[0]), min(1, max(3 * order[0], 2 * order[1])),
                       min(1, max(3 * order[0], 2 * order[1], order[2]))])  # fmt: skip
    assert sorted(d.p_adjusted for d in a.differences) == pytest.approx(expected)
    assert "Holm" in a.method
    assert {d.variant: d.verdict for d in a.differences}["b"] == "no difference"


@settings(max_examples=60, deadline=None)
@given(
    k1=st.integers(0, 200), extra1=st.integers(1, 300), k2=st.integers(0, 200),
    extra2=st.integers(1, 300),
)  # fmt: skip
def test_newcombe_contains_the_difference(k1: int, extra1: int, k2: int, extra2: int) -> None:
    n1, n2 = k1 + extra1, k2 + extra2
    test = two_proportions(k1, n1, k2, n2, z_quantile(0.1))
    assert test.interval.low <= k1 / n1 - k2 / n2 <= test.interval.high
    assert test.interval.low >= -1 and test.interval.high <= 1


def test_welch_equals_scipy_on_random_samples() -> None:
    import random

    rng = random.Random(3)
    for _ in range(20):
        x = [rng.gauss(5, 2) for _ in range(rng.randint(2, 30))]
        y = [rng.gauss(6, 4) for _ in range(rng.randint(2, 30))]
        from demandos.stats import Moments

        def m(v: list[float]) -> Moments:
            return Moments(len(v), math.fsum(v), math.fsum(t * t for t in v))

        test, _ = welch(m(x), m(y), alpha=0.1)
        ref = sps.ttest_ind(x, y, equal_var=False)
        assert test.p_value == pytest.approx(ref.pvalue, rel=1e-6)


def test_analysis_refuses_results_it_cannot_read(tmp_path: Path) -> None:
    with pytest.raises(ExperimentError, match="no short") as info:
        analyze(spec(), {"control": Counts(10, 1)})
    assert "control, short" in (info.value.hint or "")
    with pytest.raises(ExperimentError, match="needs counts"):
        analyze(spec(), {"control": [1.0, 2.0], "short": [1.0, 2.0]})
    bad = tmp_path / "r.csv"
    bad.write_text("variant,units,conversions\ncontrol,100,5\nshort,1.000,7\n")
    with pytest.raises(ExperimentError, match=r"line 3: units is '1\.000'"):
        read_counts(bad)
    bad.write_text("variant,visits\ncontrol,100\n")
    with pytest.raises(ExperimentError, match="columns variant, visits") as info:
        read_counts(bad)
    assert "variant,units,conversions" in (info.value.hint or "")


def test_results_files(tmp_path: Path) -> None:
    counts = tmp_path / "counts.csv"
    counts.write_text("variant,units,conversions\ncontrol,600,30\nshort,500,40\ncontrol,400,20\n")
    assert read_counts(counts) == {"control": Counts(1000, 50), "short": Counts(500, 40)}
    units = tmp_path / "units.csv"
    units.write_text("Variant,Converted\ncontrol,1\ncontrol,no\nshort,true\nshort,0\nshort,yes\n")
    assert read_counts(units) == {"control": Counts(2, 1), "short": Counts(3, 2)}
    values = tmp_path / "values.csv"
    values.write_text("variant,value\ncontrol,1.5\nshort,2\ncontrol,3\n")
    assert read_values(values) == {"control": [1.5, 3.0], "short": [2.0]}


# -- the registry, the log, the check and the CLI ---------------------------------------------

EXPERIMENT = """\
id: form
hypothesis: A shorter form lifts conversion by 20%
owner: maya
metric: cpl
kind: conversion_rate
variants:
  - id: control
  - id: short
start: 2026-10-01
end: 2026-11-15
baseline: 0.05
mde: 0.2
mde_scale: relative
"""


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "acme"
    Workspace.init(root, name="Acme").close()
    (root / "experiments").mkdir()
    (root / "experiments" / "form.yaml").write_text(EXPERIMENT)
    (tmp_path / "results.csv").write_text("variant,units,conversions\ncontrol,4000,200\n"
                                          "short,4000,260\n")  # fmt: skip
    return root


def test_check_names_file_line_and_fix(workspace: Path) -> None:
    assert not [f for f in check_workspace(workspace).findings if "experiments/" in f.location.file]
    path = workspace / "experiments" / "form.yaml"
    path.write_text(EXPERIMENT.replace("owner: maya", "owner: mayaa").replace(
        "metric: cpl", "metric: cpll"))  # fmt: skip
    found = [f for f in check_workspace(workspace).findings if f.location.file.startswith("exp")]
    by_field = {f.field: f for f in found}
    assert by_field["owner"].location.line == 3 and "maya" in (by_field["owner"].hint or "")
    assert by_field["metric"].location.line == 4 and "cpl" in (by_field["metric"].hint or "")
    assert {f.severity for f in found} == {"error"}
    path.write_text(EXPERIMENT.replace("end: 2026-11-15", "end: 2026-09-15"))
    (dates,) = [f for f in check_workspace(workspace).findings if f.location.file.startswith("e")]
    assert "before start" in dates.message and dates.location.file == "experiments/form.yaml"
    assert dates.hint
    path.write_text(EXPERIMENT.replace("  - id: short\n", ""))
    (one,) = [f for f in check_workspace(workspace).findings if f.location.file.startswith("e")]
    assert one.field == "variants" and one.location.line == 6
    path.write_text(EXPERIMENT + "assignment:\n  program: no_such_program\n  segment: nope\n")
    found = [f for f in check_workspace(workspace).findings if f.location.file.startswith("e")]
    assert {(f.field, f.location.line) for f in found} == {
        ("assignment.program", 15), ("assignment.segment", 16)}  # fmt: skip
    assert all("unknown" in f.message and f.hint for f in found)
    path.write_text(EXPERIMENT.replace("baseline: 0.05\n", ""))
    (warn,) = [f for f in check_workspace(workspace).findings if f.location.file.startswith("e")]
    assert warn.severity == "warning" and "baseline" in (warn.hint or "")


def test_conclude_logs_one_decision(workspace: Path) -> None:
    with Workspace.open(workspace) as ws:
        log = CadenceLog(ws.log, ws.specs, read_metric=lambda m, p: (42.0, None),
                         clock=lambda: datetime(2026, 11, 20, 10))  # fmt: skip
        experiments = ws.specs.experiments
        assert [e.status for e in registry(experiments, log, date(2026, 9, 1))] == ["planned"]
        assert [e.status for e in registry(experiments, log, date(2026, 10, 9))] == ["running"]
        assert [e.status for e in registry(experiments, log, date(2026, 11, 20))] == ["ended"]
        a = ws.analyze_experiment("form", workspace.parent / "results.csv")
        recorded = conclude(log, a)
        d = recorded.item
        assert d.title.startswith("Experiment form: short better (+1.50 pts, +30.0%)")
        assert (d.owner, d.metric_id, d.metric_value) == ("maya", "cpl", 42.0)
        assert d.rationale is not None and "control 5.00% of 4000 units" in d.rationale
        assert "95% interval" in d.rationale and "p = " in d.rationale
        (entry,) = registry(experiments, log, date(2026, 11, 20))
        assert entry.status == "concluded" and entry.decision == d
        with pytest.raises(ExperimentError, match="already concluded"):
            conclude(log, a)
        assert len(log.list_decisions()) == 1


def test_cli(workspace: Path) -> None:
    runner = CliRunner()
    w = ["--workspace", str(workspace)]
    out = runner.invoke(experiment_app, ["list", *w, "--today", "2026-10-09"])
    assert out.exit_code == 0 and "form" in out.output and "running" in out.output
    out = runner.invoke(experiment_app, ["plan", "form", *w])
    assert out.exit_code == 0 and "8,158 units per variant" in out.output
    results = str(workspace.parent / "results.csv")
    out = runner.invoke(experiment_app, ["analyze", "form", "-r", results, *w])
    assert out.exit_code == 0 and "better" in out.output and "Newcombe" in out.output
    out = runner.invoke(experiment_app, ["conclude", "form", "-r", results, *w,
                                         "--decision", "ship the short form"])  # fmt: skip
    assert out.exit_code == 0 and "decision #1 logged" in out.output
    with Workspace.open(workspace) as ws:
        (d,) = ws.cadence_log.list_decisions()
        assert d.title == "Experiment form: ship the short form"
        assert [e.status for e in ws.experiments(today=date(2026, 12, 1))] == ["concluded"]
    out = runner.invoke(experiment_app, ["plan", "from", *w])
    assert out.exit_code == 1 and isinstance(out.exception, ExperimentError)
    assert "did you mean 'form'" in (out.exception.hint or "")


@pytest.mark.slow
def test_the_sprint_pack_lists_the_registry(copy_demo: Callable[[str], Path]) -> None:
    root = copy_demo("sprint-experiments")
    now = datetime(2026, 11, 17, 10)  # the demo's optimization sprint of 2026-11
    with Workspace.open(root) as ws:
        pack = ws.review("optimization_sprint", now=now)
        text = " ".join(b.text for b in pack.get("experiments").blocks if isinstance(b, Paragraph))
        assert "no experiment registry yet (no experiments/ folder)" in text
    (root / "experiments").mkdir()
    for name, start, end in (("form", "2026-10-01", "2026-11-15"), ("nurture", "2026-11-02", None),
                             ("old_test", "2026-03-01", "2026-04-01")):  # fmt: skip
        body = EXPERIMENT.replace("id: form", f"id: {name}").replace("start: 2026-10-01",
            f"start: {start}").replace("end: 2026-11-15", f"end: {end}" if end else "")  # fmt: skip
        (root / "experiments" / f"{name}.yaml").write_text(body)
    results = root / "old.csv"
    results.write_text("variant,units,conversions\ncontrol,500,20\nshort,500,24\n")
    with Workspace.open(root) as ws:
        log = CadenceLog(ws.log, ws.specs, read_metric=lambda m, p: (None, "not measured"),
                         clock=lambda: datetime(2026, 4, 20, 9))  # fmt: skip
        conclude(log, ws.analyze_experiment("old_test", results))  # before the month: not shown
        log = CadenceLog(ws.log, ws.specs, read_metric=lambda m, p: (None, "not measured"),
                         clock=lambda: datetime(2026, 11, 16, 9))  # fmt: skip
        a = ws.analyze_experiment("form", results)
        conclude(log, a, decision="keep the long form")
        pack = ws.review("optimization_sprint", now=now)
        (table,) = [b for b in pack.get("experiments").blocks if isinstance(b, Table)][:1]
        rows = {r[0].sub: (r[1].text, r[5].text) for r in table.rows}
        assert rows == {
            "nurture": ("running", "A shorter form lifts conversion by 20%"),
            "form": ("concluded", "Experiment form: keep the long form"),
        }
        assert not any("experiment registry" in n for n in pack.notes)


def test_a_holdout_read_from_the_store(tmp_path: Path) -> None:
    # the attribution fixture (tests/feedback/fixture.py) plus four accounts: program "li"
    # touched a1 (Apr 1) and a2 (May 5) in the window, a3 only in January; a4 never.
    # Opportunities: o1 of a1 created May 10, won; o2 of a2 created May 25, lost.
    root = build(tmp_path / "acme")
    with Workspace.open(root) as ws:
        with ws.facts.transaction(source="test") as tx:
            tx.load("accounts", batch("accounts", [{"account_id": a, "name": a.upper()}
                                                   for a in ("a1", "a2", "a3", "a4")]))  # fmt: skip
        holdout = spec(
            variants=[{"id": "holdout", "holdout": True}, {"id": "reached"}], control="holdout",
            start="2026-04-01", end="2026-05-31", assignment={"program": "li"},
        )  # fmt: skip
        today = date(2026, 8, 1)
        assert from_store(ws.facts, ws.specs, holdout, today) == {
            "holdout": Counts(2, 0), "reached": Counts(2, 2)}  # fmt: skip
        won = holdout.model_copy(update={"assignment": holdout.assignment.model_copy(  # type: ignore[union-attr]
            update={"outcome": "won"})})  # fmt: skip
        assert from_store(ws.facts, ws.specs, won, today)["reached"] == Counts(2, 1)
        early = holdout.model_copy(update={"end": date(2026, 5, 20)})  # o2 falls after the end
        assert from_store(ws.facts, ws.specs, early, today)["reached"] == Counts(2, 1)
        assert from_store(ws.facts, ws.specs, holdout, date(2026, 5, 20))["reached"] == Counts(2, 1)
        pipeline = spec(
            kind="mean", sd=5000, baseline=None, variants=[{"id": "holdout"}, {"id": "reached"}],
            start="2026-04-01", end="2026-05-31",
            assignment={"program": "li", "outcome": "pipeline"},
        )  # fmt: skip
        values = from_store(ws.facts, ws.specs, pipeline, today)
        assert {k: sorted(v) for k, v in values.items()} == {  # type: ignore[arg-type]
            "holdout": [0.0, 0.0], "reached": [5000.0, 10000.0]}  # fmt: skip
        a = analyze_store(ws.facts, ws.specs, holdout, today)
        assert a.differences[0].difference == 1.0 and "drawn at random" in a.notes[-1]
    with pytest.raises(ValueError, match="two variants"):
        spec(variants=[{"id": "h"}, {"id": "a"}, {"id": "b"}], assignment={"program": "li"})
    with pytest.raises(ValueError, match="measured as a mean"):
        spec(assignment={"program": "li", "outcome": "pipeline"})
