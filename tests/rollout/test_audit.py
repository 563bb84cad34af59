"""The systems audit: every check passes on a healthy company and fires on a fixture built to
trigger it; the failure modes' numbers against hand computations."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from demandos.cli.main import app
from demandos.rollout import CHECKS, AuditReport, audit
from demandos.rollout.audit import score
from demandos.workspace import Workspace

from .fixture import (
    ACCOUNTS,
    QUARTER,
    TODAY,
    account,
    at,
    build,
    cadence_log,
    copy,
    days,
    edit,
    facts,
    item,
    load,
    opp,
    spend,
    touch,
)

pytestmark = pytest.mark.slow

Q3_MONDAYS = days(date(2026, 7, 6), date(2026, 10, 1))  # 13 Mondays, 2026-07-06 to 09-28


@pytest.fixture(scope="module")
def healthy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("audit") / "healthy")


@pytest.fixture(scope="module")
def report(healthy: Path) -> AuditReport:
    with Workspace.open(healthy) as ws:
        return audit(ws, QUARTER, today=TODAY)


def add(root: Path, tables: dict[str, list[dict[str, Any]]]) -> None:
    with Workspace.open(root) as ws:
        load(ws, tables)


def assets_with(**changes: Any) -> Callable[[Path], None]:
    def change(root: Path) -> None:
        rows = []
        for row in facts()["assets"]:
            new = {"parent_asset_id": None, **row}
            for key, value in changes.items():
                new[key] = value(new) if callable(value) else value
            rows.append(new)
        add(root, {"assets": rows})

    return change


# -- the healthy company ----------------------------------------------------------------------


def test_every_check_passes_on_the_healthy_company(report: AuditReport) -> None:
    assert [r.id for r in report.results] == list(CHECKS)
    failed = {r.id: r.evidence for r in report.results if r.status != "passed"}
    assert not failed
    assert {m.id: m.present for m in report.failure_modes} == {
        "heroic_campaign": False,
        "tool_first": False,
        "vanity_metrics": False,
        "ownership": False,
        "starting_from_scratch": False,
    }
    assert report.overall is not None and report.overall.share == 1 and report.overall.level == 5
    assert report.fix_first() == []


def test_the_report_names_its_numbers(report: AuditReport) -> None:
    # 13 Mondays x 2 paid programs x 500, all on programs with a segment and a pillar
    assert report.get("k.spend").numbers == {
        "segment_share": 1.0,
        "pillar_share": 1.0,
        "media_spend": 13 * 2 * 500.0,
    }
    # 26 opportunities of 10,000 created in Q3: organic search (website) and the newsletter
    assert report.get("d.owned").numbers["owned_share"] == 1.0
    assert report.get("k.pipeline").numbers["pipeline"] == 26 * 10_000.0
    assert report.get("c.actions").numbers == {"due": 4, "on_time": 4, "share": 1.0}
    assert report.get("c.reviews").numbers == {"held": 4, "weeks": 4}
    json.dumps(report.as_dict())  # the CLI's --format json


# -- each check fires on a fixture built to trigger it ----------------------------------------


def _metrics(change: Callable[[list[dict[str, Any]]], None]) -> Callable[[Path], None]:
    return lambda root: edit(root, "metrics.yaml", lambda d: change(d["metrics"]))


def _spec(file: str, key: str, id: str, **values: Any) -> Callable[[Path], None]:
    """Set (or with None, remove) keys of one item of a spec file's list."""

    def change(data: Any) -> None:
        found = item(data[key], id)
        for name, value in values.items():
            if value is None:
                del found[name]
            else:
                found[name] = value

    return lambda root: edit(root, file, change)


def _tier_one(metrics: list[dict[str, Any]]) -> None:
    found = item(metrics, "pipeline_created")
    found["tier"] = 1
    del found["parent"]


def _web_sessions(metrics: list[dict[str, Any]]) -> None:
    metrics.append(
        {
            "id": "sessions",
            "name": "Sessions",
            "tier": 3,
            "parent": "leads",
            "owner": "priya",
            "unit": "count",
            "target": {"value": 1000},
            "calculation": {
                "type": "simple",
                "table": "web_sessions",
                "agg": "sum",
                "column": "sessions",
            },
        }
    )


def _late_actions(root: Path) -> None:
    with Workspace.open(root) as ws:
        log = cadence_log(ws, at(date(2026, 9, 1)))
        for n in range(2):
            log.add_action(f"Never done {n}", owner="priya", due="2026-09-15")


def _no_milestones(root: Path) -> None:
    def change(data: Any) -> None:
        for step in data["steps"]:
            step.pop("milestone", None)

    edit(root, "workflows/lead_to_opportunity.yaml", change)


def _step(file: str, key: str) -> Callable[[Path], None]:
    def change(data: Any) -> None:
        del data["steps"][1][key]

    return lambda root: edit(root, f"workflows/{file}.yaml", change)


def _rogue_spend(root: Path) -> None:
    add(root, {"spend": [spend(d, "rogue", "linkedin_ads", 1_500.0) for d in Q3_MONDAYS]})


def _off_icp_touches(root: Path) -> None:
    others = [account(f"x{n:02d}", "Retail") for n in range(20)]
    touches = [
        touch(
            f"x{n}_{d}",
            d,
            f"x{n:02d}_p",
            f"x{n:02d}",
            "seo_content_hub",
            "website",
            None,
            "page_view",
        )
        for n in range(20)
        for d in days(date(2026, 7, 1), date(2026, 10, 1), 2)
    ]
    add(root, {"accounts": others, "touchpoints": touches})


def _off_icp_pipeline(root: Path) -> None:
    add(
        root,
        {
            "accounts": [account("x01", "Retail")],
            "opportunities": [
                opp(f"x{n}", "x01", at(date(2026, 8, 3 + n)), 100_000.0) for n in range(3)
            ],
        },
    )


def _quarantined(root: Path) -> None:
    lines = ["touch_id,ts,channel,touch_type"] + [
        f"bad{n},not a date,website,page_view" for n in range(60)
    ]
    path = root / "touchpoints.csv"
    path.write_text("\n".join(lines) + "\n")
    with Workspace.open(root) as ws:
        ws.load([path], table="touchpoints")


def _one_off_campaign(root: Path) -> None:
    def change(data: Any) -> None:
        data["programs"].append(
            {
                "id": "one_off",
                "name": "One-off event",
                "channel": "linkedin_ads",
                "kind": "campaign",
                "start": "2026-04-01",
                "end": "2026-04-30",
                "segments": ["mid_market_finance"],
                "pillars": ["close_faster"],
                "owner": "maya",
            }
        )

    edit(root, "channels.yaml", change)
    add(
        root,
        {
            "touchpoints": [
                touch(
                    f"e{n}",
                    date(2026, 4, 15),
                    f"guest{n}",
                    ACCOUNTS[n],
                    "one_off",
                    "linkedin_ads",
                    None,
                    "event_visit",
                )
                for n in range(10)
            ]
        },
    )


def _paid_pipeline(root: Path) -> None:
    add(
        root,
        {
            "opportunities": [
                opp(f"p{n}", ACCOUNTS[n % 12], at(Q3_MONDAYS[n % 13], 16), 50_000.0, "Paid Search")
                for n in range(20)
            ]
        },
    )


def _shrinking_audiences(root: Path) -> None:
    rows = [
        {"date": d, "channel": c, "size": 5000 - 100 * k}
        for k, d in enumerate(days(date(2026, 6, 29), date(2026, 10, 1), 7))
        for c in ("website", "newsletter")
    ]
    add(root, {"audiences": rows})


def _podcast(root: Path) -> None:
    edit(
        root,
        "channels.yaml",
        lambda d: d["channels"].append({"id": "podcast", "name": "Podcast", "type": "owned"}),
    )


HEROIC_ACCOUNTS = ["h1", "h2", "h3", "h4"]


def _heroic(root: Path) -> None:
    """Four new ICP accounts touched only by LinkedIn, each a 100,000 deal in W33."""
    add(
        root,
        {
            "accounts": [account(a) for a in HEROIC_ACCOUNTS],
            "touchpoints": [
                touch(
                    f"h{a}",
                    date(2026, 7, 8),
                    f"{a}_p",
                    a,
                    "linkedin_controllers",
                    "linkedin_ads",
                    None,
                    "ad_click",
                )
                for a in HEROIC_ACCOUNTS
            ],
            "opportunities": [
                opp(f"h{n}", a, at(date(2026, 8, 12), 11), 100_000.0)
                for n, a in enumerate(HEROIC_ACCOUNTS)
            ],
        },
    )


def _unlogged_closes(root: Path) -> None:
    add(
        root,
        {
            "opportunities": [
                {
                    "opp_id": f"c{n}",
                    "account_id": ACCOUNTS[n % 12],
                    "created_at": at(date(2026, 6, 2)),
                    "amount": 1_000.0,
                    "stage": "Lost",
                    "close_date": date(2026, 7, 20),
                    "is_closed": True,
                    "is_won": False,
                    "source": "Organic Search",
                }
                for n in range(150)
            ]
        },
    )


Q2 = ("2026-Q2", TODAY)  # a quarter without the reviews and decisions logged in Q3
Q4_2025 = ("2025-Q4", TODAY)  # before the company's data begins
LATE = ("2026-Q4", date(2026, 12, 1))  # two months after the last rows

TRIGGERS: dict[str, Callable[[Path], tuple[str, date] | None] | tuple[str, date]] = {
    "m.north_star": _metrics(_tier_one),
    "m.owners": _spec("metrics.yaml", "metrics", "cpl", owner="ghost"),
    "m.targets": _spec("metrics.yaml", "metrics", "cpl", target=None),
    "m.vanity": _spec("metrics.yaml", "metrics", "ctr", parent=None),
    "m.data": _metrics(_web_sessions),
    "c.rituals": lambda root: edit(
        root,
        "cadence.yaml",
        lambda d: d.update(rituals=[r for r in d["rituals"] if r["frequency"] != "quarterly"]),
    ),
    "c.agendas": _spec("cadence.yaml", "rituals", "monday_review", duration_minutes=10),
    "c.reviews": Q2,
    "c.actions": _late_actions,
    "c.decisions": Q2,
    "r.missing": _spec("channels.yaml", "programs", "close_notes", owner="ghost"),
    "r.shared": _spec("stack.yaml", "tools", "ga4", owner="marketing_ops"),  # a role
    "r.everyone": lambda root: edit(
        root,
        "team.yaml",
        lambda d: d["people"].append(
            {
                "id": "sam",
                "name": "Sam Lee",
                "role": "marketing_ops",
                "responsibilities": ["Field events"],
            }
        ),
    ),
    "r.responsibilities": _spec("team.yaml", "people", "priya", responsibilities=[]),
    "p.workflows": lambda root: shutil.rmtree(root / "workflows"),
    "p.critical": _no_milestones,
    "p.owners": lambda root: edit(
        root, "workflows/campaign_launch.yaml", lambda d: d.update(owner="ghost")
    ),
    "p.slas": _step("creative_development", "sla"),
    "p.checklists": _step("campaign_launch", "checklist"),
    "s.processes": _spec("stack.yaml", "tools", "canva", processes=[]),
    "s.owners": _spec("stack.yaml", "tools", "canva", owner="ghost"),
    "s.costs": _spec("stack.yaml", "tools", "canva", monthly_cost=None),
    "s.unused": _spec("stack.yaml", "tools", "canva", usage="unused"),
    "k.defined": lambda root: edit(root, "kernel.yaml", lambda d: d.update(personas=[])),
    "k.proof": _spec("kernel.yaml", "pillars", "control_spend", proof_points=[]),
    "k.programs": _spec("channels.yaml", "programs", "close_notes", pillars=[]),
    "k.spend": _rogue_spend,
    "k.touches": _off_icp_touches,
    "k.pipeline": _off_icp_pipeline,
    "i.core": Q4_2025,
    "i.freshness": LATE,
    "i.quarantine": _quarantined,
    "i.signals": Q4_2025,
    "a.library": assets_with(status="draft"),
    "a.rhythm": assets_with(published_at=at(date(2026, 1, 5))),
    "a.derivatives": assets_with(parent_asset_id=None),
    "a.pillars": assets_with(pillar="misc"),
    "a.scratch": _one_off_campaign,
    "d.owned": _paid_pipeline,
    "d.audience": _shrinking_audiences,
    "d.always_on": _podcast,
    "d.heroic": _heroic,
    "f.rows": LATE,
    "f.win_loss": _unlogged_closes,
    "f.loop": Q2,
}


def test_every_check_has_a_trigger() -> None:
    assert set(TRIGGERS) == set(CHECKS)


def run(healthy: Path, tmp_path: Path, check: str) -> AuditReport:
    root = copy(healthy, tmp_path / "broken")
    trigger = TRIGGERS[check]
    when = trigger if isinstance(trigger, tuple) else trigger(root)
    period, today = when or (QUARTER, TODAY)
    with Workspace.open(root) as ws:
        return audit(ws, period, today=today, checks=[check])


@pytest.mark.parametrize("check", list(TRIGGERS))
def test_each_check_fires_on_a_fixture_built_to_trigger_it(
    check: str, healthy: Path, tmp_path: Path
) -> None:
    found = run(healthy, tmp_path, check).get(check)
    assert found.status == "failed", found.evidence
    assert found.evidence and found.fix


# -- numbers against hand computations --------------------------------------------------------


def test_media_spend_off_the_kernel(healthy: Path, tmp_path: Path) -> None:
    numbers = run(healthy, tmp_path, "k.spend").get("k.spend").numbers
    healthy_spend, rogue = 13 * 2 * 500.0, 13 * 1_500.0  # the rogue program is in no spec
    assert numbers["media_spend"] == pytest.approx(healthy_spend + rogue)
    assert numbers["segment_share"] == pytest.approx(healthy_spend / (healthy_spend + rogue))
    assert numbers["pillar_share"] == pytest.approx(healthy_spend / (healthy_spend + rogue))


def test_owned_against_paid_pipeline(healthy: Path, tmp_path: Path) -> None:
    numbers = run(healthy, tmp_path, "d.owned").get("d.owned").numbers
    owned, paid = 26 * 10_000.0, 20 * 50_000.0  # Q3's 26 opportunities; 20 from paid search
    assert numbers["owned_share"] == pytest.approx(owned / (owned + paid))
    assert numbers["paid_share"] == pytest.approx(paid / (owned + paid))


def test_heroic_campaign_by_hand(healthy: Path, tmp_path: Path) -> None:
    """Health's 13 weeks are W27-W39 (2026-06-29 to 09-27): two 10,000 deals a week, and in
    W33 four 100,000 deals on accounts only LinkedIn touched. Each base deal's account was
    touched by all five always-on programs in the 90 days before: 1/5 of 10,000 each."""
    root = copy(healthy, tmp_path / "heroic")
    _heroic(root)
    with Workspace.open(root) as ws:
        found = audit(ws, QUARTER, today=TODAY)
        assert found.heroic is not None and found.health is not None
        h = found.heroic
        assert (h.start, h.end) == (date(2026, 6, 29), date(2026, 9, 28))
        base, burst = 26 * 10_000.0, 4 * 100_000.0
        assert h.top_program == "linkedin_controllers" and h.top_kind == "always_on"
        assert h.top_share == pytest.approx((base / 5 + burst) / (base + burst))
        assert h.top_share == found.health.get("top_program_share").value  # health's own number
        assert (h.peak_week, h.peak, h.median) == ("2026-W33", 420_000.0, 20_000.0)
        assert h.peak_to_median == pytest.approx(21.0)
        assert h.after_weeks == ("2026-W34", "2026-W35", "2026-W36", "2026-W37")
        assert h.after_mean == pytest.approx(20_000.0)
        assert h.drop == pytest.approx(1 - 20_000 / 420_000)
        assert h.after_level == pytest.approx(1.0)
        assert h.present is True and found.failure("heroic_campaign").present is True
        assert found.get("d.heroic").status == "failed"
        week = ws.metrics("2026-W33", today=TODAY).get("pipeline_created").value
        assert week == h.peak  # the engine's weekly pipeline


def test_starting_from_scratch_counts(healthy: Path, tmp_path: Path) -> None:
    found = run(healthy, tmp_path, "a.scratch")
    assert found.scratch is None  # a run of chosen checks leaves the failure modes out
    root = copy(healthy, tmp_path / "scratch")
    _one_off_campaign(root)
    with Workspace.open(root) as ws:
        report = audit(ws, QUARTER, today=TODAY)
    assert report.scratch is not None
    legacy = {p.program: p for p in report.scratch.ended}
    one_off, season = legacy["one_off"], legacy["audit_season_campaign"]
    assert (one_off.reached, one_off.kept, one_off.assets, one_off.after_days) == (10, 0, 0, 90)
    assert one_off.from_scratch is True
    # the season campaign touched a01..a06's first person with as_audit; all stay on owned
    # channels, and the content hub used as_audit again after 2026-03-27
    assert (season.reached, season.kept, season.assets, season.assets_kept) == (6, 6, 1, 1)
    assert season.from_scratch is False
    assert report.failure("starting_from_scratch").numbers["from_scratch"] == 1


def test_the_audit_says_when_it_cannot_tell(tmp_path: Path) -> None:
    with Workspace.init(tmp_path / "empty") as ws:  # the starter, no data, no log
        report = audit(ws, QUARTER, today=TODAY)
    assert report.get("a.scratch").status == "not_applicable"  # its campaign left no touch
    assert report.get("d.heroic").status == "not_applicable"
    assert report.failure("heroic_campaign").present is None
    assert report.get("i.core").status == "failed"
    assert report.get("m.north_star").status == "passed"


def test_vanity_and_ownership_findings(healthy: Path, tmp_path: Path) -> None:
    root = copy(healthy, tmp_path / "tree")

    def loop(metrics: list[dict[str, Any]]) -> None:
        item(metrics, "ctr")["parent"] = "email_click_rate"
        item(metrics, "email_click_rate")["parent"] = "ctr"
        item(metrics, "cpl")["parent"] = "nowhere"

    edit(root, "metrics.yaml", lambda d: loop(d["metrics"]))
    edit(
        root,
        "team.yaml",
        lambda d: item(d["people"], "jonas")["responsibilities"].append(
            "Budget across channels and programs"
        ),
    )
    with Workspace.open(root) as ws:
        report = audit(ws, QUARTER, today=TODAY, checks=["m.vanity", "r.shared"])
    assert "3 vanity metric(s)" in report.get("m.vanity").evidence  # cpl, ctr, email clicks
    assert "cpl its chain reaches 'nowhere'" in report.get("m.vanity").evidence
    assert "maya and jonas both list" in report.get("r.shared").evidence


def test_scores_are_the_weighted_share_passed(report: AuditReport) -> None:
    results = [r for r in report.results if r.area == "cadence"]  # weights 3, 1, 3, 2, 1
    broken = [
        results[0],
        results[1].__class__(**{**results[1].__dict__, "status": "failed"}),
        results[2].__class__(**{**results[2].__dict__, "status": "failed"}),
        results[3].__class__(**{**results[3].__dict__, "status": "not_applicable"}),
        results[4],
    ]
    found = score("cadence", "component", broken)
    assert found.share == pytest.approx((3 + 1) / (3 + 1 + 3 + 1))  # n/a leaves the score
    assert (found.level, found.level_name) == (2, "emerging")
    assert (found.passed, found.failed, found.not_applicable) == (2, 2, 1)


def test_fix_first_is_heaviest_first_with_an_owner(healthy: Path, tmp_path: Path) -> None:
    root = copy(healthy, tmp_path / "fixes")
    TRIGGERS["s.unused"](root)  # type: ignore[operator]
    TRIGGERS["m.vanity"](root)  # type: ignore[operator]
    TRIGGERS["k.programs"](root)  # type: ignore[operator]
    with Workspace.open(root) as ws:
        report = audit(ws, QUARTER, today=TODAY)
    fixes = [(f.check.id, f.check.weight, f.owner) for f in report.fix_first()]
    # vanity names ctr's owner (maya), the off-kernel program its owner (priya), the unused
    # tool its owner (priya)
    assert fixes == [("m.vanity", 2, "maya"), ("k.programs", 2, "priya"), ("s.unused", 1, "priya")]
    lines = (root / "channels.yaml").read_text().splitlines()
    line = next(n for n, text in enumerate(lines, 1) if text.strip() == "- id: close_notes")
    assert report.get("k.programs").where == f"channels.yaml:{line}"


def test_the_period_is_a_quarter(healthy: Path) -> None:
    from demandos.errors import DemandosError

    with Workspace.open(healthy) as ws:
        with pytest.raises(DemandosError, match="is a month"):
            audit(ws, "2026-09", today=TODAY)
        with pytest.raises(DemandosError, match="has not started"):
            audit(ws, "2027-Q1", today=TODAY)
        partial = audit(ws, None, today=date(2026, 11, 23), checks=["c.decisions"])
    assert (partial.period, partial.until) == ("2026-Q4", date(2026, 11, 23))
    assert partial.get("c.decisions").numbers == {"decisions": 0, "months": 2}


def test_cli_prints_the_report(healthy: Path) -> None:
    runner = CliRunner()
    found = runner.invoke(app, ["audit", str(healthy), "--period", QUARTER, "--format", "json"])
    assert found.exit_code == 0, found.output
    data = json.loads(found.output)
    assert data["period"] == QUARTER and len(data["checks"]) == len(CHECKS)
    assert {s["area"] for s in data["scores"]} == {
        "metrics",
        "cadence",
        "roles",
        "process",
        "stack",
        "kernel",
        "intake",
        "assets",
        "distribution",
        "feedback",
    }
    table = runner.invoke(app, ["audit", str(healthy), "--period", QUARTER])
    assert table.exit_code == 0, table.output
    assert "Maturity" in table.output and "Failure modes" in table.output
    bad = runner.invoke(app, ["audit", str(healthy), "--period", "2026-09"])
    assert bad.exit_code == 1 and "is a month" in str(bad.exception)  # main() prints it
