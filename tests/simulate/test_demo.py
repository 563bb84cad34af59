"""`demandos demo` end to end: a valid workspace, platform exports, ground truth, a loaded store."""

from __future__ import annotations

import csv
import hashlib
import json
import subprocess
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from demandos import Workspace
from demandos.cli.main import app
from demandos.intake.quarantine import open_rows
from demandos.simulate.demo import SIMULATION_DIR, DemoResult, build_demo, ingest_plan
from demandos.simulate.exports import DEMO_TIMEZONE
from demandos.simulate.exports.salesforce import salesforce_id
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
    assert "Demand Efficiency Ratio" in result.output


# --- the two CRMs are one id space ------------------------------------------------------------

SF_ID_COLUMNS = (
    "Salesforce Account ID",
    "Salesforce Contact ID",
    "Salesforce Lead ID",
    "Salesforce Opportunity ID",
    "Opportunity ID",
    "Lead/Contact ID",
    "Account ID",
)


def sim_sql(demo: DemoResult, query: str) -> list[tuple[Any, ...]]:
    """A query over the simulation's canonical Parquet, each table a view."""
    con = duckdb.connect()
    try:
        for folder in (demo.root / ".demandos" / SIMULATION_DIR).iterdir():
            if any(folder.glob("*.parquet")):
                con.execute(
                    f'CREATE VIEW "{folder.name}" AS '
                    f"SELECT * FROM read_parquet('{folder}/*.parquet')"
                )
        return con.sql(query).fetchall()
    finally:
        con.close()


def quarantined_ids(ws: Workspace) -> set[str]:
    """Every CRM id named by a row in the quarantine: the only ids allowed not to resolve."""
    ids = set()
    for row in open_rows(ws.facts).to_pyarrow().to_pylist():
        raw = json.loads(row["raw"])
        ids |= {str(raw[c]) for c in SF_ID_COLUMNS if raw.get(c)}
    return ids


def column(ws: Workspace, table: str, name: str) -> set[Any]:
    return set(ws.facts.table(table).select(name).to_pyarrow().column(0).to_pylist()) - {None}


def test_crm_ids_join_across_hubspot_and_salesforce(demo: DemoResult) -> None:
    with Workspace.open(demo.root) as ws:
        refused = quarantined_ids(ws)
        opps, accounts = column(ws, "opportunities", "opp_id"), column(ws, "accounts", "account_id")
        people = column(ws, "people", "person_id")
        history = column(ws, "opportunity_history", "opp_id")
        touch_people = column(ws, "touchpoints", "person_id")
        touch_accounts = column(ws, "touchpoints", "account_id")
        people_accounts = column(ws, "people", "account_id")
        opp_accounts = column(ws, "opportunities", "account_id")
    assert history and touch_people and touch_accounts
    assert history - opps <= refused
    assert touch_people - people <= refused
    for found in (touch_accounts, people_accounts, opp_accounts):
        assert found - accounts <= refused
    # the joins are real, not empty: nearly every id resolves
    assert len(history & opps) >= 0.95 * len(history)
    assert len(touch_people & people) >= 0.95 * len(touch_people)


def test_opportunities_as_of_a_date_match_the_simulation(demo: DemoResult) -> None:
    sim = sim_sql(
        demo,
        "WITH o AS (SELECT opp_id, row_number() OVER (ORDER BY opp_id) AS n FROM opportunities) "
        "SELECT o.n, h.changed_at, h.stage FROM opportunity_history h JOIN o USING (opp_id) "
        "ORDER BY o.n, h.changed_at",
    )
    changes: dict[str, list[tuple[datetime, str]]] = {}
    for n, changed, stage in sim:
        changes.setdefault(salesforce_id("006", n), []).append((changed, stage))
    with Workspace.open(demo.root) as ws:
        refused = quarantined_ids(ws)
        sample = [o for o in sorted(changes) if o not in refused and len(changes[o]) >= 2][::7][:40]
        assert len(sample) >= 10
        checked = 0
        for opp in sample:
            for when in {c.date() for c, _ in changes[opp]} | {changes[opp][-1][0].date()}:
                expected = [s for c, s in changes[opp] if c.date() <= when][-1]
                got = ws.facts.opportunities_as_of(when)
                [stage] = got.filter(got.opp_id == opp).stage.to_pyarrow().to_pylist()
                assert stage == expected, (opp, when)
                checked += 1
    assert checked >= 20


def test_nps_times_and_email_programs_are_the_simulations(demo: DemoResult) -> None:
    sim = sim_sql(
        demo,
        "SELECT date_trunc('second', ts) FROM feedback WHERE kind IN ('nps', 'survey')",
    )
    simulated = Counter(ts for (ts,) in sim)
    with Workspace.open(demo.root) as ws:
        assert ws.specs.workspace.timezone == DEMO_TIMEZONE  # the zone the exports convert from
        feedback = ws.facts.table("feedback")
        nps = feedback.filter(feedback.kind.isin(["nps", "survey"])).ts.to_pyarrow().to_pylist()
        sends = ws.facts.table("email_campaigns").to_pyarrow().to_pylist()
    assert nps and not Counter(nps) - simulated  # every stored time is a simulated one
    assert len(nps) >= len(sim) - 2  # the refused response and the merged duplicate
    assert sends and {s["program_id"] for s in sends} == {"close_notes"}


def test_the_main_job_computes_the_metric_tree(demo: DemoResult) -> None:
    assert demo.metrics is not None
    values = {r.metric: r for r in demo.metrics.totals()}
    der, pipeline, cost = values["der"], values["pipeline_created"], values["fully_loaded_cost"]
    assert der.state == "ok" and der.value is not None
    assert pipeline.value is not None and cost.value
    assert der.value == pytest.approx(pipeline.value / cost.value)


def test_the_readme_python_example_runs_on_the_demo(
    demo: DemoResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    [example] = [block.split("```")[0] for block in readme.split("```python\n")[1:]]
    monkeypatch.chdir(demo.root.parent)
    example = example.replace('Workspace.open("demo")', f'Workspace.open("{demo.root.name}")')
    example = example.replace('Path("exports/")', f'Path("{demo.root.name}/exports/hubspot")')
    namespace: dict[str, object] = {}
    exec(compile(example, "README.md", "exec"), namespace)
    assert namespace["ws"] is not None
