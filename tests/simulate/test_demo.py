"""`demandos demo` end to end: a valid workspace, platform exports, ground truth, a loaded store."""

from __future__ import annotations

import csv
import hashlib
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from demandos import Workspace
from demandos.cli.main import app
from demandos.intake.quarantine import open_rows
from demandos.simulate.demo import SIMULATION_DIR, DemoResult, build_demo, ingest_plan
from demandos.spec import check_workspace
from demandos.store.schema import TABLES


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoResult:
    return build_demo(tmp_path_factory.mktemp("demo") / "northwind", size="small", seed=7)


def csv_digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*.csv"))
    }


def test_the_demo_workspace_is_complete_and_valid(demo: DemoResult) -> None:
    report = check_workspace(demo.root)
    assert report.ok, [f.render() for f in report.errors]
    with Workspace.open(demo.root) as ws:
        specs = ws.specs
    assert 5 <= len(specs.team.people) <= 8
    assert 15 <= len(specs.metrics.metrics) <= 25
    assert {m.tier for m in specs.metrics.metrics} == {1, 2, 3, 4}
    assert len(specs.channels.channels) >= 10 and len(specs.channels.programs) >= 10
    assert {c.type for c in specs.channels.channels} == {"owned", "earned", "paid"}
    assert specs.workflows and specs.stack.tools and specs.cadence.rituals


def test_the_demo_writes_platform_exports_and_ground_truth(demo: DemoResult) -> None:
    exports = [p for p in demo.exports_dir.rglob("*") if p.suffix in (".csv", ".xlsx")]
    platforms = {p.relative_to(demo.exports_dir).parts[0] for p in exports}
    assert {
        "hubspot",
        "salesforce",
        "google_ads",
        "linkedin",
        "meta",
        "ga4",
        "mailchimp",
    } <= platforms
    assert (demo.truth_dir / "ground_truth.csv").is_file()
    assert (demo.truth_dir / "parameters.json").is_file()


def simulated_rows(demo: DemoResult, table: str) -> int:
    parts = (demo.root / ".demandos" / SIMULATION_DIR / table).glob("*.parquet")
    return sum(pq.ParquetFile(p).metadata.num_rows for p in parts)


def test_every_simulated_row_is_stored_or_quarantined(demo: DemoResult) -> None:
    with Workspace.open(demo.root) as ws:
        stored = {s.table: s.rows for s in ws.summary()}
        quarantined = open_rows(ws.facts).count().execute()
    fed = {t for r in demo.ingested for t in r.tables}
    assert {"accounts", "people", "opportunities", "spend"} <= fed  # through the connectors
    for table in TABLES:
        simulated = simulated_rows(demo, table)
        if table in fed:  # a row is stored, or its export row is in the quarantine
            assert simulated - quarantined <= stored[table] <= simulated, table
        else:  # loaded from the simulation: what no platform exports
            assert stored[table] == simulated, table


def test_every_injected_problem_is_caught(demo: DemoResult) -> None:
    with (demo.exports_dir / "_injected_problems.csv").open() as fh:
        problems = list(csv.DictReader(fh))
    read = {str(path.relative_to(demo.exports_dir)) for path, _ in ingest_plan(demo.exports)}
    with Workspace.open(demo.root) as ws:
        caught = {
            (str(Path(r["file"]).relative_to(demo.exports_dir)), r["row_number"]): r["reason"]
            for r in open_rows(ws.facts).to_pyarrow().to_pylist()
        }
    checked = 0
    for problem in problems:
        if problem["file"] not in read or problem["kind"] == "duplicate_row":
            continue  # duplicates merge by key: nothing to quarantine
        key = (problem["file"], int(problem["row"]))
        assert key in caught, problem
        if problem["kind"] == "blank_required":
            assert "required" in caught[key] or " no " in caught[key], (problem, caught[key])
        else:  # the reason quotes the value a person has to fix
            assert problem["value"] in caught[key], (problem, caught[key])
        checked += 1
    assert checked >= 5


def test_same_seed_same_bytes_and_rebuild_with_force(demo: DemoResult, tmp_path: Path) -> None:
    again = build_demo(tmp_path / "again", size="small", seed=7)
    assert csv_digests(again.exports_dir) == csv_digests(demo.exports_dir)
    assert csv_digests(again.truth_dir) == csv_digests(demo.truth_dir)
    rebuilt = build_demo(tmp_path / "again", size="small", seed=7, force=True)
    assert csv_digests(rebuilt.exports_dir) == csv_digests(demo.exports_dir)
    with Workspace.open(rebuilt.root) as ws:  # a rebuild replaces the data, it does not add to it
        assert {s.table: s.rows for s in ws.summary()} == {s.table: s.rows for s in again.store}


def test_demo_refuses_a_non_empty_folder_without_force(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    result = subprocess.run(
        [sys.executable, "-m", "demandos.cli.main", "demo", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "--force" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_demo_command_prints_where_the_outputs_are(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["demo", str(tmp_path / "w"), "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "exports" in result.output and "truth" in result.output
    assert "pipeline" in result.output.lower()
