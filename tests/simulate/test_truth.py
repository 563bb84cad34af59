"""What the simulation draws comes out as parametrized, and the ground truth adds up exactly.

Tolerances are ``Z`` standard errors of the sample at hand. Funnel rates and delays are measured on
people who became leads in the first twelve months, whose next steps (days to weeks later) all fall
inside the 18-month window; cycle lengths on deals created in the first nine months (fewer than
1% of the slowest segment's cycles outlast the nine months left).
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from demandos.simulate.demand import LAUNCH_DECAY_DAYS
from demandos.simulate.engine import SimulationSummary, simulate
from demandos.simulate.params import NORTHWIND, SIZES, ProgramParams
from demandos.simulate.truth import COLUMNS, GROUND_TRUTH_FILE, PARAMETERS_FILE

SEED = 5
SIZE = "small"
Z = 4.0
START, END = datetime(2025, 5, 1), datetime(2026, 11, 1)
EARLY_LEADS, EARLY_DEALS = datetime(2026, 5, 1), datetime(2026, 2, 1)
SEGMENTS = {s.id: s for s in NORTHWIND.segments}
CHANNELS = {c.id: c for c in NORTHWIND.channels}
PAID = [c.id for c in NORTHWIND.channels if c.type == "paid"]


@dataclass
class Sim:
    summary: SimulationSummary
    out: Path
    truth: Path

    def df(self, name: str) -> pd.DataFrame:
        parts = sorted((self.out / name).glob("part-*.parquet"))
        return pa.concat_tables([pq.read_table(p) for p in parts]).to_pandas()

    @cached_property
    def people(self) -> pd.DataFrame:
        return self.df("people")

    @cached_property
    def opps(self) -> pd.DataFrame:
        history = self.df("opportunity_history").sort_values(["opp_id", "changed_at"])
        ended = history.groupby("opp_id")["changed_at"].last().rename("last_change")
        return self.df("opportunities").join(ended, on="opp_id")

    @cached_property
    def spend(self) -> pd.DataFrame:
        return self.df("spend")

    @cached_property
    def ground_truth(self) -> pd.DataFrame:
        with (self.truth / GROUND_TRUTH_FILE).open(newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        df = pd.DataFrame(rows).set_index("channel")
        numeric = [c for c in df.columns if c != "type"]
        df[numeric] = df[numeric].apply(pd.to_numeric)
        return df

    @cached_property
    def parameters(self) -> dict[str, object]:
        loaded: dict[str, object] = json.loads((self.truth / PARAMETERS_FILE).read_text("utf-8"))
        return loaded


@pytest.fixture(scope="session")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Sim:
    root = tmp_path_factory.mktemp("truth")
    summary = simulate(NORTHWIND, SIZE, SEED, root / "out", root / "truth")
    return Sim(summary, root / "out", root / "truth")


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Sim:
    """A medium company: enough closed deals in every segment for tight per-segment tolerances."""
    root = tmp_path_factory.mktemp("truth-medium")
    summary = simulate(NORTHWIND, "medium", SEED, root / "out", root / "truth")
    return Sim(summary, root / "out", root / "truth")


def _close(observed: float, expected: float, se: float, what: str) -> None:
    assert abs(observed - expected) <= Z * se, (
        f"{what}: {observed:.4g} vs {expected:.4g} ± {Z}×{se:.3g}"
    )


def _rate(hits: pd.Series, expected: float, what: str) -> float:
    n = len(hits)
    assert n >= 30, what
    _close(float(hits.mean()), expected, math.sqrt(expected * (1 - expected) / n), what)
    return float(hits.mean())


def _days(delta: pd.Series) -> pd.Series:
    return delta.dt.total_seconds() / 86_400


def test_funnel_rates_match_each_segment(big: Sim) -> None:
    early = big.people[big.people["lead_at"] < EARLY_LEADS]
    for seg_id, seg in SEGMENTS.items():
        p = early[early["segment"] == seg_id]
        _rate(p["mql_at"].notna(), seg.lead_to_mql, f"{seg_id} lead→MQL")
        mql = p[p["mql_at"].notna()]
        _rate(mql["sql_at"].notna(), seg.mql_to_sql, f"{seg_id} MQL→SQL")
        sql = mql[mql["sql_at"].notna()]
        converted = sql["lifecycle_stage"].isin(["opportunity", "customer"])
        _rate(converted, seg.sql_to_opp, f"{seg_id} SQL→opportunity")


def test_win_rates_match_each_segment(big: Sim) -> None:
    closed = big.opps[big.opps["is_closed"]]
    for seg_id, seg in SEGMENTS.items():
        _rate(closed.loc[closed["segment"] == seg_id, "is_won"], seg.win_rate, f"{seg_id} win rate")


def test_deal_sizes_and_cycles_match_each_segment(big: Sim) -> None:
    opps = big.opps
    early_closed = opps[opps["is_closed"] & (opps["created_at"] < EARLY_DEALS)]
    for seg_id, seg in SEGMENTS.items():
        amount = opps.loc[opps["segment"] == seg_id, "amount"]
        se = float(amount.std()) / math.sqrt(len(amount))
        _close(float(amount.mean()), seg.deal_size_mean, se, f"{seg_id} deal size")
        closed = early_closed[early_closed["segment"] == seg_id]
        cycle = _days(closed["last_change"] - closed["created_at"])
        assert len(cycle) >= 15
        se = seg.cycle_days_mean / math.sqrt(3 * len(cycle))  # gamma, shape 3
        _close(float(cycle.mean()), seg.cycle_days_mean, se, f"{seg_id} cycle days")


def test_segments_differ_in_the_configured_direction(big: Sim) -> None:
    people, opps = big.people, big.opps
    early = people[people["lead_at"] < EARLY_LEADS]
    closed = opps[opps["is_closed"]]
    observed = {
        "lead_to_mql": early.groupby("segment")["mql_at"].count() / early.groupby("segment").size(),
        "win_rate": closed.groupby("segment")["is_won"].mean(),
        "deal_size_mean": opps.groupby("segment")["amount"].mean(),
        "cycle_days_mean": _days(closed["last_change"] - closed["created_at"])
        .groupby(closed["segment"])
        .mean(),
    }
    for name, values in observed.items():
        configured = sorted(SEGMENTS, key=lambda s: getattr(SEGMENTS[s], name))
        assert list(values.sort_values().index) == configured, name


def test_stage_delays_match(big: Sim) -> None:
    people = big.people[big.people["lead_at"] < EARLY_LEADS]
    to_mql = _days(people["mql_at"] - people["lead_at"]).dropna()
    mean = NORTHWIND.lead_to_mql_days
    _close(float(to_mql.mean()), mean, mean / math.sqrt(len(to_mql)), "lead→MQL days")
    to_sql = _days(people["sql_at"] - people["mql_at"]).dropna()
    mean = NORTHWIND.mql_to_sql_days
    _close(float(to_sql.mean()), mean, mean / math.sqrt(len(to_sql)), "MQL→SQL days")
    # SQL → opportunity: on accounts with one deal and one converted person, the pair is certain
    converted = people[people["lifecycle_stage"].isin(["opportunity", "customer"])]
    single = converted.groupby("account_id").filter(lambda g: len(g) == 1).set_index("account_id")
    opps = big.opps.groupby("account_id").filter(lambda g: len(g) == 1).set_index("account_id")
    both = single.join(opps[["created_at"]], how="inner", rsuffix="_opp")
    to_opp = _days(both["created_at_opp"] - both["sql_at"])
    mean = NORTHWIND.sql_to_opp_days
    assert len(to_opp) > 150 and (to_opp > 0).all()
    _close(float(to_opp.mean()), mean, mean / math.sqrt(len(to_opp)), "SQL→opportunity days")


def test_people_per_account_matches_the_size(sim: Sim) -> None:
    size = SIZES[SIZE]
    per_account = len(sim.people) / size.accounts
    assert abs(per_account - size.people_per_account) < 0.1 * size.people_per_account
    engaged = sim.people.groupby("account_id").size()
    icp = sim.df("accounts").set_index("account_id")["in_icp"]
    assert engaged[icp.loc[engaged.index]].mean() > engaged[~icp.loc[engaged.index]].mean()


def _planned(program: ProgramParams) -> pd.Series:
    """The program's planned daily budget, written out from the parameters by hand."""
    first = program.start or START.date()
    last = program.end or (END - timedelta(days=1)).date()
    days = pd.date_range(first, last, freq="D")
    budget = pd.Series(program.daily_budget, index=days)
    if program.kind == "launch":
        t = np.arange(len(days))
        after = 1 + (program.spike_multiplier - 1) * np.exp(
            -(t - program.spike_days) / LAUNCH_DECAY_DAYS
        )
        budget *= np.where(t < program.spike_days, program.spike_multiplier, after)
    return budget


def test_spend_follows_the_budget_plan(sim: Sim) -> None:
    spend = sim.spend
    by_program = spend.groupby("program_id")["amount"].sum()
    paid = [p for p in NORTHWIND.programs if p.daily_budget > 0]
    assert set(by_program.index) == {p.id for p in paid}
    planned = {p.id: float(_planned(p).sum()) for p in paid}
    for program_id, total in planned.items():
        assert abs(by_program[program_id] / total - 1) < 0.03, program_id
    assert abs(spend["amount"].sum() / sum(planned.values()) - 1) < 0.02
    assert (spend["cost_micros"] == (spend["amount"] * 1_000_000).round().astype("int64")).all()
    assert set(spend["currency"]) == {NORTHWIND.currency}
    for channel_id in PAID:
        rows = spend[spend["channel"] == channel_id]
        cpc = rows["amount"].sum() / rows["clicks"].sum()
        ctr = rows["clicks"].sum() / rows["impressions"].sum()
        assert abs(cpc / CHANNELS[channel_id].cpc - 1) < 0.05, channel_id
        assert abs(ctr / CHANNELS[channel_id].ctr - 1) < 0.05, channel_id


def test_the_launch_spikes_and_drops_off(sim: Sim) -> None:
    launch = next(p for p in NORTHWIND.programs if p.kind == "launch")
    assert launch.start is not None and launch.end is not None
    daily = sim.spend[sim.spend["program_id"] == launch.id].set_index("date")["amount"].sort_index()
    assert daily.index.min() == launch.start and daily.index.max() == launch.end
    assert daily.max() / daily.median() > 3
    spike = daily.iloc[: launch.spike_days].mean()
    tail = daily.iloc[-30:].mean()
    assert spike / tail > 4
    assert tail < 1.3 * launch.daily_budget
    channel = sim.spend[sim.spend["channel"] == launch.channel].groupby("date")["amount"].sum()
    assert channel.max() / channel.median() > 3


def test_platforms_claim_more_conversions_than_they_caused(sim: Sim) -> None:
    claimed = sim.spend.groupby("channel")["conversions"].sum()
    for channel_id in PAID:
        ratio = claimed[channel_id] / sim.ground_truth.loc[channel_id, "incremental_leads"]
        assert 1.25 < ratio < 1.8, (channel_id, ratio)


def test_ground_truth_sums_exactly_to_the_tables(sim: Sim) -> None:
    truth, people, opps = sim.ground_truth, sim.people, sim.opps
    assert list(truth.columns) == list(COLUMNS[1:])
    assert list(truth.index) == list(CHANNELS)
    assert (truth["type"] == pd.Series({c: CHANNELS[c].type for c in CHANNELS})).all()
    assert (truth["incremental_leads"] > 0).all() and (truth["opportunities"] > 0).all()
    by_person = people.groupby("causal_channel")
    won = opps[opps["is_won"]].groupby("causal_channel")["amount"]
    expected = pd.DataFrame(
        {
            "incremental_leads": by_person.size(),
            "mqls": by_person["mql_at"].count(),
            "sqls": by_person["sql_at"].count(),
            "opportunities": opps.groupby("causal_channel").size(),
            "pipeline": opps.groupby("causal_channel")["amount"].sum(),
            "won_deals": won.size(),
            "won_revenue": won.sum(),
        }
    ).fillna(0)
    for col in expected.columns:
        assert (truth.loc[expected.index, col] == expected[col]).all(), col
        assert truth[col].sum() == expected[col].sum(), col
    spend = sim.spend.groupby("channel")["amount"].sum().reindex(truth.index, fill_value=0.0)
    assert np.allclose(truth["spend"], spend, atol=0.005)
    totals = sim.summary.totals
    assert totals["leads"] == len(people) == truth["incremental_leads"].sum()
    assert totals["opportunities"] == len(opps)
    assert totals["pipeline"] == opps["amount"].sum()
    assert totals["won_revenue"] == opps.loc[opps["is_won"], "amount"].sum()
    assert totals["costs"] == pytest.approx(sim.df("costs")["amount"].sum())


def _expected_paid_leads(sim: Sim, channel_id: str, *, saturating: bool = True) -> float:
    """Baseline share plus the response curve, recomputed from the spend table by hand."""
    ch = CHANNELS[channel_id]
    derived = sim.parameters["derived"]
    assert isinstance(derived, dict)
    days = pd.date_range(START, END - timedelta(days=1), freq="D")
    spend = sim.spend[sim.spend["channel"] == channel_id].groupby("date")["amount"].sum()
    spend = spend.reindex(days.date, fill_value=0.0).to_numpy()
    adstock, level = np.zeros(len(days)), 0.0
    for d, s in enumerate(spend):
        level = (1 - ch.adstock_decay) * s + ch.adstock_decay * level
        adstock[d] = level
    if saturating:
        response = ch.max_leads_per_day * adstock / (adstock + ch.half_saturation)
    else:
        response = ch.max_leads_per_day * adstock / ch.half_saturation
    wf = NORTHWIND.weekend_factor
    weekday = np.where(days.weekday >= 5, wf, 1.0) * 7 / (5 + 2 * wf)
    season = np.array(NORTHWIND.seasonality)[days.month - 1]
    baseline = derived["baseline_leads_per_day"] * ch.share_of_baseline_leads * weekday * season
    return float(response.sum() + baseline.sum())


def test_paid_leads_follow_the_spend_response_curve(sim: Sim) -> None:
    for channel_id in PAID:
        observed = float(sim.ground_truth.loc[channel_id, "incremental_leads"])
        expected = _expected_paid_leads(sim, channel_id)
        _close(observed, expected, math.sqrt(expected), f"{channel_id} incremental leads")
    # without saturation the launch would have bought far more leads than it did
    linear = _expected_paid_leads(sim, "linkedin_ads", saturating=False)
    observed = float(sim.ground_truth.loc["linkedin_ads", "incremental_leads"])
    assert linear - observed > 10 * math.sqrt(linear)


def test_content_led_leads_compound(sim: Sim) -> None:
    touches = sim.df("touchpoints")
    led = touches[touches["is_causal"] & (touches["touch_type"] == "content_download")]
    assert led["asset_id"].notna().all()
    assert set(led["channel"]) == {"organic_search", "newsletter"}
    monthly = led.groupby(led["ts"].dt.to_period("M")).size()
    early = monthly.loc["2025-06":"2025-08"].sum()
    late = monthly.loc["2026-08":"2026-10"].sum()
    assert late > 2 * early > 0


def test_parameters_record_size_seed_and_every_parameter(sim: Sim) -> None:
    params = sim.parameters
    assert params["size"] == SIZE and params["seed"] == SEED
    assert params["size_params"] == {
        "accounts": 1_500,
        "people_per_account": 7.5,
        "leads_per_day": 22.0,
        "chunk_rows": 250_000,
    }
    company = params["params"]
    assert isinstance(company, dict)
    assert company["start"] == date(2025, 5, 1).isoformat() and company["months"] == 18
    assert [p["id"] for p in company["programs"]] == [p.id for p in NORTHWIND.programs]
    launch = next(p for p in company["programs"] if p["kind"] == "launch")
    assert launch["start"] == "2026-03-02" and launch["spike_multiplier"] == 6.0
    assert company["segments"][0]["lead_to_mql"] == NORTHWIND.segments[0].lead_to_mql
    derived = params["derived"]
    assert isinstance(derived, dict) and derived["scale"] == 1.0
    assert 0.5 * 22.0 < derived["baseline_leads_per_day"] < 22.0
