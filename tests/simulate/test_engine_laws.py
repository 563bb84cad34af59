"""Laws of the engine's parts: Parquet parts, adstock, budget profiles, program and asset picks."""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from demandos.simulate.content import make_library
from demandos.simulate.demand import adstock, budget_profile, make_plan, pick_program
from demandos.simulate.params import NORTHWIND, SIZES
from demandos.simulate.parts import PartWriter
from demandos.simulate.window import NONE, Window

WINDOW = Window.of(NORTHWIND.start, NORTHWIND.months)


@settings(max_examples=30, deadline=None)
@given(batches=st.lists(st.integers(0, 40), max_size=8), chunk_rows=st.integers(1, 25))
def test_parts_hold_every_row_in_order_and_never_more_than_chunk_rows(
    batches: list[int], chunk_rows: int
) -> None:
    schema = pa.schema([("n", pa.int64())])
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "t"
        writer = PartWriter(folder, schema, chunk_rows)
        start = 0
        for size in batches:
            writer.write(pa.table({"n": pa.array(range(start, start + size), pa.int64())}))
            start += size
        writer.close()
        parts = sorted(folder.glob("part-*.parquet"))
        tables = [pq.read_table(p) for p in parts]
        assert all(t.num_rows <= chunk_rows for t in tables)
        assert len(parts) == max(1, -(-start // chunk_rows))
        assert pa.concat_tables(tables).column("n").to_pylist() == list(range(start))
        assert writer.rows == start and writer.parts == len(parts)


def test_part_writer_refuses_empty_parts() -> None:
    with pytest.raises(ValueError, match="chunk_rows"):
        PartWriter(Path("unused"), pa.schema([("n", pa.int64())]), 0)


@given(spend=st.floats(0, 10_000), decay=st.floats(0, 0.95))
def test_adstock_of_a_steady_spend_converges_to_it(spend: float, decay: float) -> None:
    days = np.full((400, 1), spend)
    out = adstock(days, np.array([decay]), np.zeros(1))
    assert out[-1, 0] == pytest.approx(spend, rel=1e-6, abs=1e-6)
    assert (np.diff(out[:, 0]) >= -1e-9).all()


@given(scale=st.floats(0.1, 10), decay=st.floats(0, 0.95))
def test_adstock_is_linear_and_keeps_the_spend(scale: float, decay: float) -> None:
    g = np.random.default_rng(1)
    spend = np.vstack([g.random((60, 2)) * 100, np.zeros((400, 2))])
    out = adstock(spend, np.array([decay, decay]), np.zeros(2))
    scaled = adstock(spend * scale, np.array([decay, decay]), np.zeros(2))
    assert np.allclose(scaled, out * scale)
    assert np.allclose(out.sum(axis=0), spend.sum(axis=0), rtol=1e-6)


def test_the_launch_profile_spikes_then_decays_within_its_dates() -> None:
    launch = next(p for p in NORTHWIND.programs if p.kind == "launch")
    assert launch.start is not None and launch.end is not None
    profile = budget_profile(launch, WINDOW)
    first, last = WINDOW.day_of(launch.start), WINDOW.day_of(launch.end)
    assert (profile[:first] == 0).all() and (profile[last + 1 :] == 0).all()
    spike = profile[first : first + launch.spike_days]
    assert (spike == launch.spike_multiplier).all()
    after = profile[first + launch.spike_days : last + 1]
    assert (np.diff(after) < 0).all() and (after >= 1).all() and after[-1] < 1.05
    always = budget_profile(replace(launch, kind="always_on", start=None, end=None), WINDOW)
    assert (always == 1).all()


@given(
    days=st.lists(st.integers(0, WINDOW.n_days - 1), min_size=1, max_size=50),
    seed=st.integers(0, 99),
)
def test_programs_are_drawn_within_their_channel_and_only_when_running(
    days: list[int], seed: int
) -> None:
    plan = make_plan(NORTHWIND, SIZES["small"], WINDOW)
    g = np.random.default_rng(seed)
    day = np.array(days, dtype=np.int64)
    channel = g.integers(0, plan.n_channels, day.size)
    program = pick_program(plan, plan.touch_weights(), channel, day, g.random(day.size))
    active = plan.channel_active()[day, channel]
    assert ((program == NONE) == ~active).all()
    picked = program[program != NONE]
    assert (plan.program_channel[picked] == channel[program != NONE]).all()
    assert plan.active[day[program != NONE], picked].all()


@given(seed=st.integers(0, 50))
def test_assets_are_picked_only_once_published(seed: int) -> None:
    library = make_library(NORTHWIND, WINDOW, np.random.default_rng(seed))
    g = np.random.default_rng(seed)
    ts = g.integers(0, WINDOW.end_s, 500)
    picked = library.pick(ts, g.random(ts.size))
    before_any = ts < library.pub_t[0]
    assert (picked[before_any] == NONE).all()
    assert (library.pub_t[picked[~before_any]] <= ts[~before_any]).all()
    webinars = library.pick(ts, g.random(ts.size), asset_type="webinar")
    kinds = library.columns["type"].to_numpy(zero_copy_only=False)
    assert set(kinds[webinars[webinars != NONE]]) <= {"webinar"}


def test_the_library_pull_compounds_and_decays_by_its_half_life() -> None:
    library = make_library(NORTHWIND, WINDOW, np.random.default_rng(3))
    pull = library.pull(WINDOW.n_days)
    assert pull[0] == 0 and pull[-1] > pull[WINDOW.n_days // 3] > 0
    one = replace(library, pub_t=np.array([0]), pub_day=np.array([0]), type_idx=np.array([0]))
    single = one.pull(400)
    half_life = NORTHWIND.content.half_life_days
    assert single[1 + round(half_life)] == pytest.approx(single[1] / 2, rel=0.01)
