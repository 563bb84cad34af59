"""Attribution of a workspace on the hand-made company (``fixture.py``): journeys per milestone
and level, every model's credit worked out by hand, options, errors, and the CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from demandos.cli.attribution import attribution_app as app
from demandos.feedback import MODELS, Attribution, AttributionError, HeuristicOptions, Options
from demandos.metrics import compute
from demandos.spec.metrics import Metric, MetricsSpec
from demandos.workspace import Workspace

from .fixture import TODAY, build

Q2 = "2026-Q2"


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("attribution") / "acme")


@pytest.fixture(scope="module")
def ws(root: Path) -> Iterator[Workspace]:
    with Workspace.open(root) as workspace:
        yield workspace


def credit(a: Attribution) -> dict[str, tuple[float, float]]:
    return {r.member: (r.conversions, r.value) for r in a.rows if r.conversions or r.value}


def same(got: dict[str, tuple[float, float]], expected: dict[str, tuple[float, float]]) -> bool:
    return set(got) == set(expected) and all(got[k] == pytest.approx(expected[k]) for k in expected)


def run(ws: Workspace, model: str, **kw: object) -> Attribution:
    kw.setdefault("period", Q2)
    return ws.attribution(model, today=TODAY, **kw)


def test_opportunity_journeys_of_the_buying_committee(ws: Workspace) -> None:
    a = run(ws, "first")
    # o1: t1-t5 (two people of a1); o2: t6-t7; a3 touched in the window without a deal
    assert (a.journeys, a.converting, a.conversions, a.value) == (3, 2, 2, 15_000)
    assert a.value_name == "pipeline" and a.unattributed == 0
    assert credit(a) == {"linkedin_ads": (2, 15_000)}
    assert credit(run(ws, "last")) == {"website": (1, 10_000), "outbound_sdr": (1, 5_000)}
    linear = credit(run(ws, "linear"))
    assert same(linear, {"linkedin_ads": (0.7, 4_500), "outbound_sdr": (0.5, 2_500),
                                    "website": (0.4, 4_000), "newsletter": (0.2, 2_000),
                                    "webinars": (0.2, 2_000)})  # fmt: skip
    position = credit(run(ws, "position"))
    assert position["website"] == pytest.approx((0.4 + 0.2 / 3, 4_000 + 2_000 / 3))
    # lead-creation touch of a1 = t3 (last touch before p1's lead): W-shaped keys t1, t3, t5
    w = credit(run(ws, "w_shaped"))
    assert same(w, {"linkedin_ads": (0.8, 5_500), "outbound_sdr": (0.5, 2_500),
                               "website": (0.35, 3_500), "newsletter": (0.3, 3_000),
                               "webinars": (0.05, 500)})  # fmt: skip


def test_time_decay_uses_days_before_the_conversion(ws: Workspace) -> None:
    days = 1 + 23 / 24  # t3 at 10:00, t5 at 10:00: an hour short of whole days
    w1 = 2.0 ** (-np.array([39, 32, 29 - 1 + days, 15, 8 - 1 + days]) / 7)
    w1 /= w1.sum()
    w2 = 2.0 ** (-np.array([20, 5]) / 7)
    w2 /= w2.sum()
    got = credit(run(ws, "time_decay"))
    assert got["outbound_sdr"] == pytest.approx((w2[1], 5_000 * w2[1]))
    assert got["website"] == pytest.approx((w1[1] + w1[4], 10_000 * (w1[1] + w1[4])))
    assert got["linkedin_ads"] == pytest.approx((w1[0] + w2[0], 10_000 * w1[0] + 5_000 * w2[0]))
    half = run(ws, "time_decay", options=Options(heuristic=HeuristicOptions(half_life_days=1e9)))
    assert same(credit(half), credit(run(ws, "linear")))


def test_markov_by_hand(ws: Workspace) -> None:
    # start→li ⅔, start→web ⅓; li→web ½, li→sdr ½; web→news ⅓, →conv ⅓, →null ⅓ (a3);
    # news→webinars→web; sdr→conv. p = ⅔; removal effects li ¾, web ½, news ⅙, webinars ⅙, sdr ½
    a = run(ws, "markov")
    total = 3 / 4 + 1 / 2 + 1 / 6 + 1 / 6 + 1 / 2
    expected_conv = {"linkedin_ads": 3 / 4, "website": 1 / 2, "newsletter": 1 / 6,
                     "webinars": 1 / 6, "outbound_sdr": 1 / 2}  # fmt: skip
    # by value: 10,000 ends at web, 5,000 at sdr; value removal effects ⅔, ⅔, 2/9, 2/9, ⅓
    expected_value = {"linkedin_ads": 6, "website": 6, "newsletter": 2, "webinars": 2,
                      "outbound_sdr": 3}  # fmt: skip
    got = credit(a)
    for member, re in expected_conv.items():
        assert got[member][0] == pytest.approx(2 * re / total)
        assert got[member][1] == pytest.approx(15_000 * expected_value[member] / 19)


def test_won_journeys_run_to_the_close(ws: Workspace) -> None:
    a = run(ws, "full_path", milestone="won")
    assert (a.journeys, a.converting, a.conversions, a.value) == (2, 1, 1, 10_000)
    assert a.value_name == "revenue"
    # keys: first t1, lead t3, opportunity t5 (last before creation), last t10 (the event)
    assert same(credit(a), {"linkedin_ads": (0.225, 2_250), "newsletter": (0.225, 2_250),
                                       "website": (0.275, 2_750), "events": (0.225, 2_250),
                                       "webinars": (0.05, 500)})  # fmt: skip


def test_lead_and_mql_journeys(ws: Workspace) -> None:
    person = run(ws, "last", milestone="lead", level="person")
    # p1: t1-t3, p2: t4-t5, p3: t6; p4 was a lead before the quarter; p5 never (t8)
    assert (person.journeys, person.converting, person.value_name) == (4, 3, None)
    assert credit(person) == {"newsletter": (1, 0), "website": (1, 0), "linkedin_ads": (1, 0)}
    account = run(ws, "first", milestone="lead", level="account")
    assert (account.journeys, account.converting) == (2, 2)  # a3's first lead was in March
    mql = run(ws, "w_shaped", milestone="mql", level="person")
    assert mql.converting == 1
    assert same(credit(mql), {"linkedin_ads": (0.45, 0), "newsletter": (0.45, 0),
                              "website": (0.1, 0)})  # fmt: skip


def test_lookback_and_touch_types(ws: Workspace) -> None:
    short = run(ws, "first", lookback_days=10)  # o1 keeps t5 only; o2 keeps t7
    assert credit(short) == {"website": (1, 10_000), "outbound_sdr": (1, 5_000)}
    ads = run(ws, "first", touch_types=("ad_click",))
    assert credit(ads) == {"linkedin_ads": (2, 15_000)}
    no_views = run(ws, "last", weights={"page_view": 0})
    assert credit(no_views) == {"webinars": (1, 10_000), "outbound_sdr": (1, 5_000)}
    heavy = run(ws, "linear", weights={"sdr_call": 3.0})
    assert credit(heavy)["outbound_sdr"] == pytest.approx((0.75, 3_750))


def test_a_deal_without_touches_stays_unattributed(ws: Workspace) -> None:
    a = run(ws, "linear", lookback_days=6)  # o1: last touch 9 days before; o2: 5 days
    assert (a.conversions, a.unattributed, a.unattributed_value) == (2, 1, 10_000)
    assert a.attributed == pytest.approx(1)


@pytest.mark.parametrize("by", ["program", "asset", "segment", "pillar"])
def test_every_breakdown_keeps_the_total(ws: Workspace, by: str) -> None:
    for model in ("linear", "markov", "shapley"):
        a = run(ws, model, by=by)
        assert sum(r.conversions for r in a.rows) == pytest.approx(2)
        assert sum(r.value for r in a.rows) == pytest.approx(15_000)
    if by == "asset":  # t3, t4, t6, t7 name no asset
        assert credit(run(ws, "first", by="asset")) == {"as1": (1, 10_000), "(none)": (1, 5_000)}


def test_compare_runs_every_model_on_the_same_journeys(ws: Workspace) -> None:
    c = ws.attribution_compare(period=Q2, today=TODAY)
    assert [m.model for m in c.models] == list(MODELS)
    for m in c.models:
        assert m.attributed == pytest.approx(2) and m.journeys == 3
    assert c.members[0] == "linkedin_ads"
    order2 = ws.attribution("markov", period=Q2, today=TODAY, options=Options(order=2))
    assert order2.model == "markov (order 2)" and order2.attributed == pytest.approx(2)


@pytest.mark.parametrize(
    ("kwargs", "message", "hint"),
    [
        ({"milestone": "won", "level": "person"}, "account journeys", "--level account"),
        ({"milestone": "opportunty"}, "--milestone", "did you mean 'opportunity'?"),
        ({"by": "chanel"}, "--by", "did you mean 'channel'?"),
        ({"touch_types": ("page_veiw",)}, "page_veiw", "did you mean 'page_view'?"),
        ({"weights": {"ad_click": -1.0}}, "weight -1.0", "use 0 or more"),
        ({"lookback_days": 0}, "lookback", "1 day or more"),
    ],
)
def test_bad_options_name_the_option_and_the_fix(
    ws: Workspace, kwargs: dict[str, object], message: str, hint: str
) -> None:
    with pytest.raises(AttributionError, match=message) as err:
        run(ws, "linear", **kwargs)
    assert hint in (err.value.hint or "")


def test_unknown_model(ws: Workspace) -> None:
    with pytest.raises(AttributionError, match="not an attribution model") as err:
        run(ws, "markof")
    assert err.value.hint == "did you mean 'markov'?"


def test_cli(root: Path) -> None:
    runner = CliRunner()
    w = ["--workspace", str(root), "--period", Q2]
    result = runner.invoke(app, ["--model", "linear", *w, "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["model"] == "linear" and data["conversions"] == 2
    assert {r["member"]: r["conversions"] for r in data["rows"]}["linkedin_ads"] == pytest.approx(
        0.7
    )
    result = runner.invoke(app, ["--milestone", "won", "--lookback", "120d", *w])
    assert result.exit_code == 0, result.output
    assert "markov · won at account level by channel · 2026-Q2" in result.output
    assert "revenue 10,000" in result.output
    result = runner.invoke(app, ["compare", *w, "--format", "csv"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("channel,first:conversions,first:pipeline,last:conversions")
    assert lines[1].startswith("linkedin_ads,2,15000,")
    result = runner.invoke(app, [*w, "--lookback", "ninety"])
    assert isinstance(result.exception, AttributionError)  # main() prints it with the fix
    assert result.exception.hint == "write it as 90d (or 90)"


@dataclass(frozen=True)
class _Specs:
    metrics: MetricsSpec
    workspace: Any
    kernel: Any
    channels: Any


def test_revenue_influenced_and_sourced_as_the_metrics_engine_computes_them(
    ws: Workspace,
) -> None:
    a = run(ws, "linear", milestone="won")
    got = {r.member: (r.influenced, r.sourced) for r in a.rows}
    # o1 (10,000): demand touches t1-t5 in the 90 days before its creation; t1 came first;
    # the event visit t10 came after the creation: it influenced nothing
    assert got == {"linkedin_ads": (10_000, 10_000), "website": (10_000, 0),
                   "newsletter": (10_000, 0), "webinars": (10_000, 0), "events": (0, 0),
                   "outbound_sdr": (0, 0)}  # o2 was lost  # fmt: skip
    ids = ("revenue_influenced", "revenue_sourced")
    tree = _Specs(
        MetricsSpec(metrics=tuple(Metric.model_validate(
            {"id": i, "name": i, "tier": 2, "owner": "maya", "builtin": i}) for i in ids)),
        ws.specs.workspace, ws.specs.kernel, ws.specs.channels,
    )  # fmt: skip
    engine = compute(ws.facts, tree, Q2, by="channel", today=TODAY)
    for metric, k in zip(ids, (0, 1), strict=True):
        by_channel = {r.member: r.value for r in engine.members(metric)}
        assert {m: v[k] for m, v in got.items() if v[k]} == {
            m: v for m, v in by_channel.items() if v
        }
    assert run(ws, "linear").rows[0].influenced is None  # only won deals carry revenue
