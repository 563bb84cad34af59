"""The CLI end to end on real workspaces: init, check, load, status, and the error path."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from demandos.cli.main import app

runner = CliRunner()


def demandos(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the real entry point in a subprocess (exit codes and stderr as a user sees them)."""
    return subprocess.run(
        [sys.executable, "-m", "demandos.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    path = tmp_path / "acme"
    result = runner.invoke(app, ["init", str(path)])
    assert result.exit_code == 0, result.output
    return path


def test_init_then_check_passes(ws: Path) -> None:
    for name in [
        "demandos.yaml",
        "kernel.yaml",
        "team.yaml",
        "metrics.yaml",
        "channels.yaml",
        "cadence.yaml",
        "stack.yaml",
        "rollout.yaml",
    ]:
        assert (ws / name).is_file(), name
    assert list((ws / "workflows").glob("*.yaml"))
    result = runner.invoke(app, ["check", str(ws)])
    assert result.exit_code == 0, result.output
    assert "workspace is valid" in result.output


def test_init_refuses_a_non_empty_folder_and_overwrites_nothing(ws: Path) -> None:
    (ws / "metrics.yaml").write_text("# my edits\n")
    before = {p: p.read_bytes() for p in ws.rglob("*") if p.is_file()}
    result = demandos("init", str(ws))
    assert result.returncode == 1
    assert result.stderr.startswith("Error:")
    assert "--force" in result.stderr
    assert "Traceback" not in result.stderr
    assert {p: p.read_bytes() for p in ws.rglob("*") if p.is_file()} == before
    assert runner.invoke(app, ["init", str(ws), "--force"]).exit_code == 0
    assert (ws / "metrics.yaml").read_text() != "# my edits\n"


def test_check_reports_an_unknown_owner_with_file_line_and_hint(ws: Path) -> None:
    text = (ws / "metrics.yaml").read_text()
    owner = re.search(r"owner:\s*(\w+)", text)
    assert owner
    line = text[: owner.start()].count("\n") + 1
    (ws / "metrics.yaml").write_text(text[: owner.start(1)] + "nobody" + text[owner.end(1) :])
    result = demandos("check", str(ws))
    assert result.returncode == 1
    assert re.search(rf"metrics\.yaml:{line}:\d+: error: metrics\[\d+\]\.owner: ", result.stdout), (
        result.stdout
    )
    as_json = json.loads(demandos("check", str(ws), "--format", "json").stdout)
    assert as_json["ok"] is False
    [finding] = [f for f in as_json["findings"] if f["severity"] == "error"]
    assert (finding["file"], finding["line"]) == ("metrics.yaml", line)
    assert finding["hint"]


def test_load_sample_then_status_shows_every_table(ws: Path) -> None:
    result = runner.invoke(app, ["load", "--sample", "--workspace", str(ws)])
    assert result.exit_code == 0, result.output
    assert "quarantined" in result.output
    status = runner.invoke(app, ["status", "--workspace", str(ws)])
    assert status.exit_code == 0, status.output
    for table in ["accounts", "people", "touchpoints", "spend", "opportunities", "quarantine"]:
        assert re.search(rf"{table}\s.*\d", status.output), table


def test_errors_print_the_fix_and_a_traceback_only_with_debug(tmp_path: Path) -> None:
    result = demandos("status", "--workspace", str(tmp_path))
    assert result.returncode == 1
    assert "Error:" in result.stderr and "not inside a demandos workspace" in result.stderr
    assert "demandos init" in result.stderr
    assert "Traceback" not in result.stderr
    debug = demandos("--debug", "status", "--workspace", str(tmp_path))
    assert debug.returncode == 1
    assert "Traceback" in debug.stderr


def test_an_invalid_spec_stops_commands_with_its_place(ws: Path) -> None:
    (ws / "team.yaml").write_text("people:\n  - id: maya\n    nmae: Maya\n")
    result = demandos("status", "--workspace", str(ws))
    assert result.returncode == 1
    assert "team.yaml:3" in result.stderr
    assert "did you mean 'name'" in result.stderr


def test_metrics_prints_the_tree_as_json_with_der_on_top(ws: Path) -> None:
    assert runner.invoke(app, ["load", "--sample", "--workspace", str(ws)]).exit_code == 0
    result = runner.invoke(
        app, ["metrics", "--period", "2026-10", "--format", "json", "--workspace", str(ws)]
    )
    assert result.exit_code == 0, result.output
    tree = json.loads(result.output)
    text = json.dumps(tree)
    for word in ("der", "pipeline_created", "cac_fully_loaded", "pipeline_velocity", "owner"):
        assert word in text, word
    table = runner.invoke(app, ["metrics", "--period", "2026-10", "--workspace", str(ws)])
    assert table.exit_code == 0 and "Demand Efficiency Ratio" in table.output
    bad = demandos("metrics", "--period", "2026-13", "--workspace", str(ws))
    assert bad.returncode == 1 and "Error:" in bad.stderr and "no month 13" in bad.stderr


def test_metrics_by_segment_and_persona(ws: Path) -> None:
    assert runner.invoke(app, ["load", "--sample", "--workspace", str(ws)]).exit_code == 0
    args = ["metrics", "--period", "2026-10", "--format", "json", "--workspace", str(ws)]
    result = runner.invoke(app, [*args, "--by", "segment"])
    assert result.exit_code == 0, result.output
    tree = json.loads(result.output)
    (der,) = tree["metrics"]
    assert tree["by"] == "segment" and der["members"]
    pipeline = next(c for c in der["children"] if c["id"] == "pipeline_created")
    assert sum(m["value"] for m in pipeline["members"]) == pytest.approx(pipeline["value"])
    persona = json.loads(runner.invoke(app, [*args, "--by", "persona"]).output)
    assert "der" in persona["unsupported"]  # deals carry no persona
    assert "pipeline_created" in persona["not_allowed"]  # metrics.yaml: channel, program, segment
    table = runner.invoke(app, ["metrics", "--period", "2026-10", "--by", "persona", "-w", str(ws)])
    assert table.exit_code == 0 and "total only: not by persona" in table.output
    assert "total only: metrics.yaml lists no persona breakdown" in table.output
