"""The distribution report on the small company of ``fixture.py``; every number by hand."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from demandos.cli import distribution as cli
from demandos.distribution import DistributionReport, distribution_report
from demandos.distribution.legacy import legacies
from demandos.spec import check_workspace
from demandos.workspace import Workspace

from .fixture import CHANNELS, PERIOD, TODAY, build


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("distribution") / "acme")


@pytest.fixture(scope="module")
def ws(root: Path) -> Iterator[Workspace]:
    with Workspace.open(root) as workspace:
        yield workspace


@pytest.fixture(scope="module")
def report(ws: Workspace) -> DistributionReport:
    return distribution_report(ws, today=TODAY)


def test_the_default_period_is_the_last_full_quarter(report: DistributionReport) -> None:
    assert (report.period, report.previous) == (PERIOD, "2026-Q1")
    assert (str(report.start), str(report.end)) == ("2026-04-01", "2026-07-01")


def test_owned_audience_growth_per_owned_channel(report: DistributionReport) -> None:
    got = {a.channel: (a.start, a.end, a.growth) for a in report.audiences}
    assert got == {
        "website": (1000.0, 1250.0, pytest.approx(250 / 1000)),
        "newsletter": (400.0, 480.0, pytest.approx(80 / 400)),  # the last reading, 06-20
        "webinars": (None, None, None),  # first read 2026-05-01: no start
    }
    (webinars,) = [a for a in report.audiences if a.channel == "webinars"]
    assert webinars.reason == "no owned-audience size recorded before the period"


def test_pipeline_share_by_channel_type(report: DistributionReport) -> None:
    # o1 10,000 (via p1's Paid Social) + o6 8,000 paid; o2 6,000 owned; o3 4,000 earned;
    # o4 2,000 from a source no channel claims
    assert report.pipeline == 30_000.0
    got = {s.type: (s.pipeline, s.share, s.channels) for s in report.shares}
    assert got == {
        "owned": (6000.0, pytest.approx(0.2), {"website": 6000.0}),
        "earned": (4000.0, pytest.approx(4000 / 30000), {"partners": 4000.0}),
        "paid": (18000.0, pytest.approx(0.6), {"linkedin_ads": 18000.0}),
        "unmapped": (2000.0, pytest.approx(2000 / 30000), {"Trade show": 2000.0}),
    }


def test_pipeline_shares_add_up_to_the_metrics_engine(
    ws: Workspace, report: DistributionReport
) -> None:
    assert report.pipeline == ws.metrics(PERIOD, today=TODAY).get("pipeline_created").value


def test_program_health(report: DistributionReport) -> None:
    got = {
        p.program: (p.cost, p.cost_from, p.pipeline, p.der, p.previous_cost, p.previous_der,
                    p.trend)
        for p in report.programs
    }  # fmt: skip
    approx = pytest.approx
    assert got == {
        "blog": (None, None, 0.0, None, None, None, None),  # no spend, no budget
        # 300 a month for three whole months, both quarters; o2 credited by t5
        "notes": (approx(900.0), "budget", 6000.0, approx(6000 / 900), approx(900.0), 0.0, "up"),
        # spend 2 × 1,000 (the 9,000 budget is not used when there is spend); o6 by t11
        "li_ads": (2000.0, "spend", 8000.0, 4.0, 500.0, 0.0, "up"),
        # Q1: 700 spent, o5 5,000 by t7
        "spring_campaign": (None, None, 0.0, None, 700.0, approx(5000 / 700), None),
        "march_campaign": (None, None, 0.0, None, None, None, None),
        # budget 2,000 from 04-06: 25/30 of April, May, June; nothing ran in Q1
        "product_launch": (approx(2000 * 25 / 30 + 4000), "budget", 10000.0,
                           approx(10000 / (2000 * 25 / 30 + 4000)), 0.0, None, None),
        "bad_launch": (None, None, 4000.0, None, None, None, None),
    }  # fmt: skip
    li = next(p for p in report.programs if p.program == "li_ads")
    assert (li.leads, li.opps, li.der_change) == (1.0, 1.0, 4.0)  # p1's lead by t1


def test_program_pipeline_and_unattributed_add_up(report: DistributionReport) -> None:
    assert report.unattributed.pipeline == 2000.0  # o4: no touch on its account
    assert sum(p.pipeline for p in report.programs) + 2000.0 == report.pipeline


def test_launch_conformance(report: DistributionReport) -> None:
    good, bad = report.launches
    assert (good.program, good.assets, good.assets_in_use) == ("product_launch", 2, 1)
    assert (good.hands_to, good.hands_to_always_on, good.reached, good.handed) == (
        "notes", True, 2, 1,  # p2 touched by notes (t5) after the launch (t4); p1 never
    )  # fmt: skip
    assert good.conforms and good.gaps() == []
    assert (bad.program, bad.assets, bad.assets_in_use, bad.reached, bad.handed) == (
        "bad_launch", 1, 0, 1, 0,
    )  # fmt: skip
    assert not bad.conforms
    assert bad.gaps() == [
        "maps to no ICP segment or no message pillar",
        "no asset it used is in use by another program",
        "hands its audience to no always-on program",
    ]


def test_campaigns_that_started_from_scratch(report: DistributionReport) -> None:
    spring, march = report.scratch.ended
    assert (spring.program, spring.reached, spring.kept, spring.assets, spring.assets_kept) == (
        "spring_campaign", 1, 0, 1, 0,
    )  # fmt: skip
    assert spring.from_scratch is True and spring.after_days == 90
    assert (march.program, march.reached, march.kept, march.assets, march.assets_kept) == (
        "march_campaign", 1, 1, 1, 1,  # p5 and as_checklist on the website (t9)
    )  # fmt: skip
    assert march.from_scratch is False
    assert [e.program for e in report.scratch.from_scratch] == ["spring_campaign"]
    assert report.scratch.undated == ["product_launch", "bad_launch"]


def test_the_audit_reads_the_same_computation(ws: Workspace) -> None:
    from datetime import date

    from demandos.metrics.periods import parse_period
    from demandos.rollout.checks import AuditContext
    from demandos.rollout.failures import scratch

    ctx = AuditContext(ws, parse_period(PERIOD), date(2026, 7, 15))
    assert scratch(ctx) == legacies(ws.specs.channels, ws.facts, date(2026, 7, 1))


def _findings(root: Path, old: str, new: str) -> list[str]:
    (root / "channels.yaml").write_text(CHANNELS.replace(old, new))
    return [f.render() for f in check_workspace(root).findings if f.severity == "error"]


def test_hands_to_must_name_an_always_on_program(root: Path, tmp_path: Path) -> None:
    copy = shutil.copytree(root, tmp_path / "ws", ignore=shutil.ignore_patterns(".demandos"))
    line = CHANNELS[: CHANNELS.index("hands_to: notes")].count("\n") + 1
    (err,) = _findings(copy, "hands_to: notes", "hands_to: spring_campaign")
    assert err == (
        f"channels.yaml:{line}:15: error: programs[5].hands_to: launch 'product_launch' hands its "
        "audience to 'spring_campaign', a campaign, not an always-on program\n"
        "  hint: name an always-on program: blog, li_ads, notes"
    )
    (err,) = _findings(copy, "hands_to: notes", "hands_to: notez")
    assert "unknown always-on program 'notez'" in err and "did you mean 'notes'" in err
    (err,) = _findings(copy, "    end: 2026-03-27\n", "    end: 2026-03-27\n    hands_to: blog\n")
    assert "only a launch hands its audience on, and this is a campaign" in err


def test_cli_channels_and_programs(root: Path) -> None:
    app = typer.Typer()  # the commands as main.py registers them
    app.command()(cli.channels)
    app.command()(cli.programs)
    runner = CliRunner()
    out = runner.invoke(app, ["channels", str(root), "--period", PERIOD])
    assert out.exit_code == 0, out.output
    assert "website" in out.output and "25.0%" in out.output and "60.0%" in out.output
    out = runner.invoke(app, ["programs", str(root), "--period", PERIOD])
    assert out.exit_code == 0, out.output
    assert "product_launch: conforms" in out.output
    assert "spring_campaign (ended 2026-02-27): started from scratch" in out.output
    data = json.loads(
        runner.invoke(app, ["programs", str(root), "--period", PERIOD, "--format", "json"]).output
    )
    assert data["from_scratch"] == ["spring_campaign"]
    assert {p["program"]: p["der"] for p in data["programs"]}["li_ads"] == 4.0
    data = json.loads(
        runner.invoke(app, ["channels", str(root), "--period", PERIOD, "-f", "json"]).output
    )
    assert [s["pipeline"] for s in data["pipeline_by_type"]] == [6000.0, 4000.0, 18000.0, 2000.0]
