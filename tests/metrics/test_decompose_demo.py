"""Decomposition and health on the demo company: on real-looking data, the parts add up."""

from __future__ import annotations

import math
from datetime import date

import pytest

from demandos import Workspace
from demandos.metrics.decompose import explain
from demandos.metrics.drivers import DRIVERS
from demandos.simulate.demo import DemoResult, build_demo

TODAY = date(2026, 11, 20)  # the small demo runs to 2026-10-31


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoResult:
    return build_demo(tmp_path_factory.mktemp("demo") / "northwind", size="small", seed=7)


def adds_up(parts: list[float], before: float, after: float) -> bool:
    scale = max(1.0, abs(before), abs(after), *map(abs, parts))
    return math.isclose(math.fsum(parts), after - before, rel_tol=1e-9, abs_tol=1e-9 * scale)


@pytest.mark.slow
def test_every_identity_adds_up_on_the_demo(demo: DemoResult) -> None:
    checked = 0
    with Workspace.open(demo.root) as ws:
        for metric in DRIVERS:
            for period, against, by in (("2026-10", "previous", "channel"),
                                        ("2026-Q3", "last_year", "platform"),
                                        ("2026-W40", "previous", None)):  # fmt: skip
                e = explain(ws.facts, ws.specs, metric, period, against=against, by=by,
                            today=TODAY)  # fmt: skip
                assert e.state in ("ok", "partial", "no_data"), (metric, period, e.reason)
                if e.value is None or e.before is None:
                    assert e.parts == [] and e.reason
                    continue
                if e.driver_state in ("ok", "partial"):
                    drivers = [p.contribution for p in e.drivers()]
                    assert adds_up(drivers, e.before, e.value), (metric, period, e.drivers())
                    checked += 1
                if e.member_state in ("ok", "partial"):
                    members = [p.contribution for p in e.members()]
                    assert adds_up(members, e.before, e.value), (metric, period, by)
    assert checked >= 2 * len(DRIVERS)  # most metrics have data in most of these periods


@pytest.mark.slow
def test_der_of_the_demo_matches_the_metric_tree(demo: DemoResult) -> None:
    with Workspace.open(demo.root) as ws:
        tree = ws.metrics("2026-10", today=TODAY)
        e = ws.explain("der", "2026-10", today=TODAY)
        report = ws.health("2026-10", today=TODAY)
    der = tree.get("der")
    assert (e.value, e.before) == pytest.approx((der.value, der.previous))
    assert e.identity and e.identity.startswith("leads × lead→opportunity rate")
    assert {i.state for i in report.indicators} <= {"ok", "partial"}
    assert all(i.value is not None for i in report.indicators)
    assert 0 <= report.get("owned_channel_share").value <= 1  # type: ignore[operator]
