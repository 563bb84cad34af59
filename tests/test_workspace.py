"""The Workspace facade: open, find, load, summarize — embedded and on a real PostgreSQL."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from demandos import Workspace
from demandos.errors import SpecErrors, WorkspaceError
from demandos.metrics import compute
from demandos.store import open_facts
from demandos.store.oplog import Load


@pytest.fixture
def ws_path(tmp_path: Path) -> Path:
    path = tmp_path / "acme"
    Workspace.init(path).close()
    return path


def test_open_finds_the_workspace_from_a_subfolder(ws_path: Path) -> None:
    (ws_path / "notes" / "deep").mkdir(parents=True)
    with Workspace.open(ws_path / "notes" / "deep") as ws:
        assert ws.root == ws_path.resolve()
        assert ws.specs.metrics.metrics


def test_open_outside_a_workspace_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError) as info:
        Workspace.open(tmp_path)
    assert "demandos init" in (info.value.hint or "")


def test_open_refuses_an_invalid_workspace_with_every_error(ws_path: Path) -> None:
    (ws_path / "team.yaml").write_text("people: []\nroles: 3\n")
    with pytest.raises(SpecErrors) as info:
        Workspace.open(ws_path)
    assert any(f.location.file == "team.yaml" for f in info.value.findings)


def test_sample_load_is_recorded_in_the_operating_log(ws_path: Path) -> None:
    with Workspace.open(ws_path) as ws:
        reports = ws.load_sample()
        summary = {s.table: s.rows for s in ws.summary()}
        loads = ws.log.loads()
    assert len(loads) == len(reports)
    for report, load in zip(reports, loads, strict=True):
        assert load.counts["inserted"] == report.inserted == summary[report.table]
        assert load.file_sha256 == report.sha256


@pytest.mark.postgres
def test_a_workspace_on_postgresql_keeps_facts_and_log_there(
    ws_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACME_DATABASE_URL", postgres_url)
    yaml = YAML()
    spec_file = ws_path / "demandos.yaml"
    spec = yaml.load(spec_file.read_text())
    spec["store"] = {
        "backend": "postgres",
        "url": "${ACME_DATABASE_URL}",
        "schema": "acme_facts",
        "log_url": "${ACME_DATABASE_URL}",
    }
    with spec_file.open("w") as fh:
        yaml.dump(spec, fh)
    with Workspace.open(ws_path) as ws:
        reports = ws.load_sample()
        rows = {s.table: s.rows for s in ws.summary()}
        assert rows["accounts"] == next(r.inserted for r in reports if r.table == "accounts")
        assert ws.log.engine.dialect.name == "postgresql"
        assert ws.log.count(Load) == len(reports)
    assert not (ws_path / ".demandos" / "facts").exists()
    import psycopg

    with psycopg.connect(postgres_url) as conn:
        count = conn.execute(
            "SELECT count(*) FROM acme_facts.accounts WHERE _valid_to IS NULL"
        ).fetchone()
    assert count == (rows["accounts"],)


def test_a_missing_environment_variable_is_named(
    ws_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ACME_DATABASE_URL", raising=False)
    spec_file = ws_path / "demandos.yaml"
    yaml = YAML()
    spec = yaml.load(spec_file.read_text())
    spec["store"] = {"backend": "postgres", "url": "${ACME_DATABASE_URL}"}
    with spec_file.open("w") as fh:
        yaml.dump(spec, fh)
    with Workspace.open(ws_path) as ws, pytest.raises(Exception) as info:
        _ = ws.facts
    assert "ACME_DATABASE_URL" in str(info.value)


@pytest.mark.spark
def test_a_workspace_on_spark_computes_the_embedded_numbers(
    ws_path: Path, spark_session: Any
) -> None:
    yaml = YAML()
    spec_file = ws_path / "demandos.yaml"
    spec = yaml.load(spec_file.read_text())
    spec["store"] = {"backend": "spark", "spark": {"master": "local[2]"}}
    with spec_file.open("w") as fh:
        yaml.dump(spec, fh)
    with Workspace.open(ws_path) as ws:
        ws.load_sample()  # written as the embedded store writes, read through Spark
        assert ws.facts.backend == "spark"
        on_spark = ws.metrics("2026-09", today=date(2026, 12, 1))
        with open_facts(ws.data_dir) as embedded:  # DuckDB over the same snapshot
            on_duckdb = compute(embedded, ws.specs, "2026-09", today=date(2026, 12, 1))

    def numbers(table: Any) -> dict[str, tuple[float | None, str]]:
        return {
            r.metric: (None if r.value is None else round(r.value, 6), r.state) for r in table.rows
        }

    assert numbers(on_spark) == numbers(on_duckdb)
    assert sum(v is not None for v, _ in numbers(on_spark).values()) >= 10
