"""`demandos init`: the starter workspace is complete, commented, valid, and never clobbers."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from demandos.errors import WorkspaceError
from demandos.spec import SPEC_FILES, check_workspace, load_specs_or_raise, write_starter
from demandos.spec.cadence import KIND_FREQUENCY
from demandos.spec.starter import starter_files


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_starter_passes_check_with_no_errors_and_no_warnings(tmp_path: Path) -> None:
    write_starter(tmp_path / "ws")
    report = check_workspace(tmp_path / "ws")
    assert report.ok
    assert report.findings == [], [f.render() for f in report.findings]


def test_starter_writes_every_spec_file(tmp_path: Path) -> None:
    written = write_starter(tmp_path / "ws")
    names = {str(p.relative_to(tmp_path / "ws")) for p in written}
    assert names >= set(SPEC_FILES) | {".gitignore", "workflows/lead_to_opportunity.yaml"}
    assert all(p.is_file() for p in written)
    assert ".demandos/" in (tmp_path / "ws" / ".gitignore").read_text().splitlines()


def test_every_template_is_commented() -> None:
    for name, text in starter_files().items():
        assert text.startswith("#"), name
        if name.endswith(".yaml"):
            comments = sum(1 for line in text.splitlines() if line.lstrip().startswith("#"))
            assert comments >= 3, name


def test_starter_content_is_what_a_team_starts_from(tmp_path: Path) -> None:
    write_starter(tmp_path / "ws")
    specs = load_specs_or_raise(tmp_path / "ws")
    assert len(specs.team.people) == 3
    tiers = {m.tier for m in specs.metrics.metrics}
    assert tiers == {1, 2, 3, 4} and 10 <= len(specs.metrics.metrics) <= 16
    (north,) = [m for m in specs.metrics.metrics if m.tier == 1]
    assert north.builtin == "der"
    assert all(m.target is not None for m in specs.metrics.metrics)
    assert (len(specs.kernel.segments), len(specs.kernel.personas), len(specs.kernel.pillars)) == (
        2,
        3,
        3,
    )
    assert {c.type for c in specs.channels.channels} == {"owned", "earned", "paid"}
    assert len(specs.channels.programs) >= 6
    assert all(p.segments and p.pillars for p in specs.channels.programs)
    assert {r.kind for r in specs.cadence.rituals} == set(KIND_FREQUENCY)
    assert "lead_to_opportunity" in specs.workflows and len(specs.workflows) >= 2
    assert len(specs.stack.tools) >= 6
    assert [p.id for p in specs.rollout.phases] == [
        "foundation",
        "rhythm",
        "optimization",
        "maturation",
    ]
    # the 12-week plan, then maturation, which does not end (its first quarter: weeks 13-26)
    assert specs.rollout.phases[-2].weeks.end == 12 and specs.rollout.phases[-1].weeks.start == 13


def test_rollout_starts_this_week(tmp_path: Path) -> None:
    write_starter(tmp_path / "ws")
    start = load_specs_or_raise(tmp_path / "ws").rollout.start_date
    today = date.today()
    assert start == today - timedelta(days=today.weekday())


def test_name_is_written(tmp_path: Path) -> None:
    write_starter(tmp_path / "ws", name='Acme "Demand": Ops')
    assert load_specs_or_raise(tmp_path / "ws").workspace.name == 'Acme "Demand": Ops'


def test_refuses_a_folder_that_is_not_empty_and_writes_nothing(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write_starter(root)
    (root / "metrics.yaml").write_text("metrics: []  # mine\n")
    (root / "notes.md").write_text("keep me")
    before = snapshot(root)
    with pytest.raises(WorkspaceError) as info:
        write_starter(root)
    assert str(root) in info.value.message
    assert info.value.hint is not None and "--force" in info.value.hint
    assert snapshot(root) == before


def test_refuses_a_folder_with_any_file(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("hello")
    with pytest.raises(WorkspaceError):
        write_starter(tmp_path)
    assert snapshot(tmp_path) == {"README.md": b"hello"}


def test_force_overwrites_the_starter_files_only(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write_starter(root)
    pristine = snapshot(root)
    (root / "metrics.yaml").write_text("metrics: []\n")
    (root / "notes.md").write_text("keep me")
    write_starter(root, force=True)
    after = snapshot(root)
    assert after.pop("notes.md") == b"keep me"
    assert after == pristine


def test_writes_into_an_empty_existing_folder(tmp_path: Path) -> None:
    assert write_starter(tmp_path)
    assert check_workspace(tmp_path).ok


def test_refuses_a_file(tmp_path: Path) -> None:
    (tmp_path / "ws").write_text("x")
    with pytest.raises(WorkspaceError, match="is a file"):
        write_starter(tmp_path / "ws", force=True)
