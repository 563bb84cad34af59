"""Workspaces for the proposal tests: the seeded fixture company (null and signal), the demo
company, and the demo company simulated with every segment alike."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from demandos.workspace import Workspace

from .fixture import NULL, SIGNAL, build


@pytest.fixture(scope="module")
def signal_ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    ws = build(tmp_path_factory.mktemp("kernel") / "signal", SIGNAL, seed=1)
    yield ws
    ws.close()


@pytest.fixture(scope="module")
def null_ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    ws = build(tmp_path_factory.mktemp("kernel") / "null", NULL, seed=1)
    yield ws
    ws.close()


@pytest.fixture(scope="session")
def demo_ws(copy_demo: Callable[[str], Path]) -> Iterator[Workspace]:
    """The small demo company (`demandos demo PATH --size small`, seed 7), a copy of its own."""
    ws = Workspace.open(copy_demo("kernel"))
    yield ws
    ws.close()


@pytest.fixture(scope="session")
def null_demo_ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """The demo company with every segment's funnel, win rate, deal size and cycle the same:
    the simulation builds in no segment difference."""
    from demandos.simulate.demo import build_demo
    from demandos.simulate.params import NORTHWIND

    alike = tuple(
        replace(s, lead_to_mql=0.28, mql_to_sql=0.33, sql_to_opp=0.48, win_rate=0.28,
                deal_size_mean=20_000.0, deal_size_sigma=0.5, cycle_days_mean=60.0)
        for s in NORTHWIND.segments
    )  # fmt: skip
    root = tmp_path_factory.mktemp("kernel") / "null-demo"
    build_demo(root, size="small", seed=7, params=replace(NORTHWIND, segments=alike))
    ws = Workspace.open(root)
    yield ws
    ws.close()
