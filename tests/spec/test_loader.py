"""Loading a workspace: every finding across every file, or the specs."""

from __future__ import annotations

from pathlib import Path

import pytest

from demandos.errors import Location, SpecErrors, WorkspaceError
from demandos.spec import RolloutSpec, load_specs, load_specs_or_raise

from .conftest import Edit, line_of


def test_loads_the_starter(workspace: Path) -> None:
    specs, findings = load_specs(workspace)
    assert findings == []
    assert specs is not None
    assert specs.root == workspace
    assert specs.workspace.name == "ws"
    assert set(specs.positions) >= {"metrics.yaml", "workflows/lead_to_opportunity.yaml"}


def test_specs_locate_fields(workspace: Path) -> None:
    specs = load_specs_or_raise(workspace)
    line = line_of(workspace / "metrics.yaml", "owner: jonas")
    assert specs.locate("metrics.yaml", ("metrics", 3, "owner")) == Location(
        "metrics.yaml", line, 12
    )
    assert specs.locate("nowhere.yaml", ("x",)) == Location("nowhere.yaml")


def test_collects_findings_from_every_file(workspace: Path, edit: Edit) -> None:
    edit("kernel.yaml", "    priority: primary", "    priority: first")
    edit("cadence.yaml", "day: friday", "day: fri")
    (workspace / "stack.yaml").unlink()
    specs, findings = load_specs(workspace)
    assert specs is None
    assert [(f.location.file, f.field) for f in findings] == [
        ("kernel.yaml", "segments[0].priority"),
        ("cadence.yaml", "rituals[2].day"),
        ("stack.yaml", ""),
    ]


def test_load_specs_or_raise(workspace: Path, edit: Edit) -> None:
    edit("kernel.yaml", "    priority: primary", "    priority: first")
    edit("stack.yaml", "usage: low", "usage: rarely")
    with pytest.raises(SpecErrors) as info:
        load_specs_or_raise(workspace)
    assert len(info.value.findings) == 2
    assert info.value.file == "kernel.yaml"
    assert "stack.yaml" in info.value.message


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="no workspace folder"):
        load_specs(tmp_path / "nope")


def test_rollout_is_optional(workspace: Path) -> None:
    (workspace / "rollout.yaml").unlink()
    specs = load_specs_or_raise(workspace)
    assert specs.rollout == RolloutSpec()


def test_stray_files_warn_without_failing(workspace: Path) -> None:
    (workspace / "metric.yaml").write_text("a: 1\n")
    (workspace / "workflows" / "onboarding.yml").write_text("a: 1\n")
    specs, findings = load_specs(workspace)
    assert specs is not None
    assert [(f.severity, f.location.file, f.hint) for f in findings] == [
        ("warning", "workflows/onboarding.yml", "rename it to onboarding.yaml"),
        ("warning", "metric.yaml", "did you mean 'metrics.yaml'? rename the file"),
    ]
