"""The rollout plan: the default is the issue's 12-week plan, and each task's progress is computed
from the workspace with its evidence — done on a workspace built to satisfy it, open (with the
reason) on one that is not; tasks the system cannot judge are recorded by hand in ``done:``."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from demandos.cli.main import app
from demandos.rollout.plan import JUDGED, RolloutProgress, TaskProgress, rollout_progress
from demandos.spec import RolloutSpec, check_workspace
from demandos.spec.rollout import DEFAULT_TASKS
from demandos.workspace import Workspace

from .fixture import at, cadence_log, edit, item, load, opp

TODAY = date(2026, 10, 5)  # a Monday; the rollout starts 2026-07-06: week 14
START = date(2026, 7, 6)
REVIEWS = [START + timedelta(weeks=n) for n in range(4)]  # W28-W31, four weeks in a row


def test_the_default_plan_is_the_issues() -> None:
    plan = RolloutSpec()
    assert [(p.id, p.weeks.start, p.weeks.end) for p in plan.phases] == [
        ("foundation", 1, 4),
        ("rhythm", 5, 8),
        ("optimization", 9, 12),
        ("maturation", 13, 26),
    ]
    assert [[t.name for t in plan.tasks(p)] for p in plan.phases] == [
        ["Define KPIs", "Build the dashboard", "Clarify roles", "Document core workflows"],
        ["Weekly meetings", "Optimization routine", "Playbooks"],
        ["Adjust cadence", "Refine processes", "Plan capacity"],
        ["Quarterly audits", "Continuous improvement", "Team development"],
    ]
    manual = {t for tasks in DEFAULT_TASKS.values() for t, _ in tasks} - set(JUDGED)
    assert manual == {"playbooks", "adjust_cadence", "refine_processes", "team_development"}


def test_the_starter_writes_the_default_plan(tmp_path: Path) -> None:
    with Workspace.init(tmp_path / "ws") as ws:
        plan = ws.specs.rollout
    default = RolloutSpec()
    assert [(p.id, p.weeks, plan.tasks(p)) for p in plan.phases] == [
        (p.id, p.weeks, default.tasks(p)) for p in default.phases
    ]


def _facts() -> dict[str, list[dict[str, Any]]]:
    return {
        "opportunities": [
            opp(f"o{n}", "a01", datetime(2026, 9, 1 + n, 12), 10_000.0) for n in range(1, 4)
        ],
        "spend": [
            {
                "date": date(2026, 9, 2),
                "channel": "linkedin_ads",
                "platform": "linkedin",
                "program_id": "linkedin_controllers",
                "campaign": "c",
                "amount": 1_000.0,
                "currency": "USD",
            }
        ],
        "costs": [
            {"month": date(2026, 9, 1), "category": "people", "item": "team", "amount": 5_000.0}
        ],
    }


def _log(root: Path) -> None:
    with Workspace.open(root) as ws:
        for n, monday in enumerate(REVIEWS):
            week = f"2026-W{28 + n}"
            cadence_log(ws, at(monday, 11)).record_review(
                "monday_review", week, held_at=f"{monday} 09:35"
            )
            tuesday = monday + timedelta(days=1)
            cadence_log(ws, at(tuesday, 11)).record_review(
                "optimization", week, held_at=f"{tuesday} 09:00"
            )
        for day in (date(2026, 7, 14), date(2026, 8, 11), date(2026, 9, 15)):
            cadence_log(ws, at(day)).add_decision(f"Shift budget {day}", owner="maya", metric="der")
        cadence_log(ws, at(date(2026, 9, 28))).record_review(
            "monthly_planning", "2026-10", held_at="2026-09-28 14:00"
        )
        cadence_log(ws, at(date(2026, 9, 24))).record_review(
            "demand_audit", "2026-Q3", held_at="2026-09-24 14:00"
        )


@pytest.fixture(scope="module")
def ready(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The starter with data, the rituals recorded and the manual tasks listed in ``done:``."""
    root = tmp_path_factory.mktemp("plan") / "ready"
    with Workspace.init(root, name="Acme") as ws:
        load(ws, _facts())

    def rollout(data: Any) -> None:
        data["start_date"] = START
        data["done"] = [
            {"task": "playbooks", "date": date(2026, 8, 20), "evidence": "Webinar playbook",
             "by": "priya"},
            {"task": "adjust_cadence", "date": date(2026, 9, 4), "evidence": "Stand-up moved"},
            {"task": "refine_processes", "date": date(2026, 9, 18), "evidence": "Routing v2"},
            {"task": "team_development", "date": date(2026, 9, 30), "evidence": "Training plan"},
        ]  # fmt: skip

    edit(root, "rollout.yaml", rollout)
    _log(root)
    return root


def progress(root: Path, today: date = TODAY) -> RolloutProgress:
    with Workspace.open(root) as ws:
        return rollout_progress(ws, today=today)


def task(p: RolloutProgress, task_id: str) -> TaskProgress:
    return next(t for phase in p.phases for t in phase.tasks if t.id == task_id)


def test_every_task_is_done_on_a_ready_workspace(ready: Path) -> None:
    p = progress(ready)
    assert {t.id: t.status for phase in p.phases for t in phase.tasks if not t.is_done} == {}
    assert p.week == 14 and p.calendar_phase is not None
    assert p.calendar_phase.id == "maturation"  # weeks 13-26
    assert p.gate is None and p.blockers == [] and not p.behind
    assert task(p, "weekly_meetings").evidence == (
        "4 week(s) with a weekly review recorded; longest run 2026-W28 to 2026-W31 (4 weeks)"
    )
    assert task(p, "continuous_improvement").evidence == (
        "decisions recorded: 2026-07 1, 2026-08 1, 2026-09 1"
    )
    assert task(p, "build_dashboard").evidence.endswith(
        "the metric tree computes for 2026-09: der = 5.00 (`demandos metrics --period 2026-09`)"
    )  # 30,000 pipeline ÷ (1,000 media + 5,000 people)
    assert task(p, "playbooks").status == "recorded"
    assert task(p, "playbooks").evidence == "recorded done on 2026-08-20 by priya: Webinar playbook"
    foundation = p.phases[0]
    assert (foundation.first, foundation.last, foundation.state) == (
        START, date(2026, 8, 2), "past"
    )  # fmt: skip


def _copy(ready: Path, tmp_path: Path) -> Path:
    import shutil

    return Path(shutil.copytree(ready, tmp_path / "broken"))


def test_progress_is_judged_as_of_the_day(ready: Path) -> None:
    p = progress(ready, today=date(2026, 7, 22))  # week 3: three reviews, no decision in June
    assert p.week == 3 and p.calendar_phase is not None and p.calendar_phase.id == "foundation"
    weekly = task(p, "weekly_meetings")
    assert (
        weekly.status == "open" and "longest run 2026-W28 to 2026-W30 (3 weeks)" in weekly.evidence
    )
    assert weekly.fix == (
        "hold the Monday performance review every week and record it: "
        "`demandos review record monday_review`"
    )
    assert task(p, "playbooks").status == "manual"  # recorded for a later day
    assert task(p, "quarterly_audits").status == "open"


BREAKS: dict[str, tuple[str, Any, str]] = {
    # task: (file, change, what the evidence says)
    "define_kpis": (
        "metrics.yaml",
        lambda d: item(d["metrics"], "cpl").pop("target"),
        "no target: cpl",
    ),
    "clarify_roles": (
        "team.yaml",
        lambda d: d["people"].append(
            {"id": "sam", "name": "Sam", "role": "marketing_ops", "responsibilities": ["Events"]}
        ),
        "own nothing: sam",
    ),
    "document_workflows": (
        "workflows/lead_to_opportunity.yaml",
        lambda d: [s.pop("milestone", None) for s in d["steps"]],
        "no workflow carries a lead to the opportunity milestone with an SLA",
    ),
    "optimization_routine": (
        "cadence.yaml",
        lambda d: d.update(rituals=[r for r in d["rituals"] if r["id"] != "optimization"]),
        "cadence.yaml has no weekly optimization ritual",
    ),
}


@pytest.mark.parametrize("task_id", list(BREAKS))
def test_a_task_is_open_on_a_workspace_that_misses_it(
    ready: Path, tmp_path: Path, task_id: str
) -> None:
    root = _copy(ready, tmp_path)
    file, change, says = BREAKS[task_id]
    edit(root, file, change)
    found = task(progress(root), task_id)
    assert found.status == "open" and says in found.evidence, found.evidence
    assert found.fix


def test_an_empty_workspace_blocks_in_foundation(tmp_path: Path) -> None:
    root = tmp_path / "new"
    with Workspace.init(root, name="New"):
        pass
    edit(root, "rollout.yaml", lambda d: d.update(start_date=TODAY))
    p = progress(root)
    assert p.week == 1 and p.gate is not None and p.gate.id == "foundation"
    assert p.next_phase is not None and p.next_phase.id == "rhythm"
    assert [t.id for t in p.blockers] == ["build_dashboard"]
    assert task(p, "build_dashboard").evidence == (
        "the store holds no opportunities: the metric tree has nothing to compute"
    )
    assert task(p, "define_kpis").status == "done"  # the starter's metrics have owners, targets
    assert task(p, "weekly_meetings").status == "open"
    assert task(p, "playbooks").evidence == (
        "the system cannot judge this task; rollout.yaml's done: does not list it"
    )


def test_done_names_tasks_of_the_plan_once(ready: Path, tmp_path: Path) -> None:
    root = _copy(ready, tmp_path)

    def change(data: Any) -> None:
        data["done"].append({"task": "playbook", "date": date(2026, 9, 1), "evidence": "x"})
        data["done"].append({"task": "playbooks", "date": date(2026, 9, 1), "evidence": "y"})

    edit(root, "rollout.yaml", change)
    found = [(f.field, f.message, f.hint) for f in check_workspace(root).errors]
    assert found[0][:2] == ("done[4].task", "unknown task 'playbook'")
    assert found[0][2] is not None and found[0][2].startswith("did you mean 'playbooks'?")
    assert found[1][:2] == ("done[5].task", "task 'playbooks' is recorded done twice")


def test_cli(ready: Path) -> None:
    runner = CliRunner()
    day = ["--as-of", TODAY.isoformat()]
    data = runner.invoke(app, ["rollout", str(ready), "--format", "json", *day])
    assert data.exit_code == 0, data.output
    parsed = json.loads(data.output)
    assert [p["id"] for p in parsed["phases"]] == [
        "foundation", "rhythm", "optimization", "maturation",
    ]  # fmt: skip
    assert all(p["complete"] for p in parsed["phases"]) and parsed["week"] == 14
    md = runner.invoke(app, ["rollout", str(ready), "-f", "markdown", *day])
    assert md.exit_code == 0, md.output
    assert "## **Foundation (weeks 1-4" in md.output
    assert "- ✓ Playbooks (playbooks, by hand): recorded done on 2026-08-20" in md.output
    assert "Every task of the plan is done." in md.output
    text = runner.invoke(app, ["rollout", str(ready), *day])
    assert text.exit_code == 0 and "Mon 05 Oct 2026: week 14 of the plan" in text.output


def test_a_blocked_plan_names_what_blocks_the_next_phase(ready: Path, tmp_path: Path) -> None:
    root = _copy(ready, tmp_path)
    edit(root, *BREAKS["clarify_roles"][:2])
    p = progress(root)
    assert p.gate is not None and p.gate.id == "foundation" and p.behind
    assert [t.id for t in p.blockers] == ["clarify_roles"]
    runner = CliRunner()
    md = runner.invoke(app, ["rollout", str(root), "-f", "markdown", "--as-of", "2026-10-05"])
    assert "What blocks Rhythm (rhythm): the open tasks of Foundation" in md.output


def test_week_one_starts_on_a_monday(ready: Path, tmp_path: Path) -> None:
    root = _copy(ready, tmp_path)
    edit(root, "rollout.yaml", lambda d: d.update(start_date=date(2026, 7, 9)))
    (found,) = check_workspace(root).warnings
    assert (found.location.file, found.field) == ("rollout.yaml", "start_date")
    assert found.message.startswith("start_date 2026-07-09 is a Thursday")
    assert found.hint == "start the plan on the Monday of that week: start_date: 2026-07-06"
