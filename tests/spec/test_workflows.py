"""workflows/*.yaml: steps, owners and SLAs."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from demandos.spec import WorkflowSpec, check_workspace, load_specs_or_raise

from .conftest import Edit


def test_sla_is_parsed() -> None:
    wf = WorkflowSpec.model_validate(
        {
            "id": "w",
            "name": "W",
            "owner": "maya",
            "trigger": "t",
            "sla": "1d4h",
            "steps": [{"id": "s", "name": "S", "sla": "15m", "milestone": "mql"}],
        }
    )
    assert wf.sla == timedelta(hours=28)
    assert wf.steps[0].sla == timedelta(minutes=15) and wf.steps[0].owner is None


def test_a_workflow_needs_steps() -> None:
    with pytest.raises(ValidationError) as info:
        WorkflowSpec.model_validate({"id": "w", "name": "W", "owner": "m", "trigger": "t"})
    assert info.value.errors()[0]["loc"] == ("steps",)


def test_starter_has_the_critical_workflow(workspace: Path) -> None:
    specs = load_specs_or_raise(workspace)
    lead = specs.workflows["lead_to_opportunity"]
    assert lead.sla == timedelta(days=4)
    assert [s.milestone for s in lead.steps if s.milestone] == [
        "lead",
        "mql",
        "sales_touch",
        "sql",
        "opportunity",
    ]
    assert lead.clock == "business"
    assert all(s.sla for s in lead.steps)
    assert specs.workflow_file("lead_to_opportunity") == "workflows/lead_to_opportunity.yaml"


def test_step_slas_longer_than_the_workflow_warn(workspace: Path, edit: Edit) -> None:
    line = edit("workflows/lead_to_opportunity.yaml", "sla: 4d", "sla: 2d")
    report = check_workspace(workspace)
    assert report.ok
    (warning,) = report.warnings
    assert (warning.location.file, warning.location.line) == (
        "workflows/lead_to_opportunity.yaml",
        line,
    )
    assert warning.message == (
        "the step SLAs add up to 3d5h15m, more than the workflow's SLA of 2d"
    )


def test_no_workflows_warns(workspace: Path) -> None:
    for path in (workspace / "workflows").iterdir():
        path.unlink()
    (workspace / "stack.yaml").write_text(
        (workspace / "stack.yaml")
        .read_text()
        .replace("lead_to_opportunity, ", "")
        .replace(", lead_to_opportunity", "")
        .replace("processes: [campaign_launch]", "processes: []")
        .replace(", campaign_launch", "")
        .replace("processes: [creative_development]", "processes: []")
        .replace(", creative_development", "")
    )
    report = check_workspace(workspace)
    assert report.ok, [f.render() for f in report.errors]
    assert [w.message for w in report.warnings] == ["the workspace has no workflows"]
