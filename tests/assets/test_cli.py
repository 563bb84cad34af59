"""`demandos assets` on a starter workspace holding the hand-made library of ``fixture.py``."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from demandos.cli.main import app
from demandos.workspace import Workspace

from .fixture import load

runner = CliRunner()


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("assets") / "acme"
    assert runner.invoke(app, ["init", str(path)]).exit_code == 0
    with Workspace.open(path) as workspace:
        load(workspace.facts)
    return path


def test_json(ws: Path) -> None:
    result = runner.invoke(app, ["assets", str(ws), "--period", "2026-Q1", "-f", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["period"], data["unlisted_touches"]) == ("2026-Q1", 1)
    assert data["compounding"] == {"pipeline": 25000.0, "durable_pipeline": 10000.0,
                                   "share": 0.4}  # fmt: skip
    cs1 = next(r for r in data["rows"] if (r["kind"], r["key"]) == ("family", "cs1"))
    assert (cs1["touches"], cs1["pipeline_influenced"], cs1["half_life_days"]) == (6, 19000.0,
                                                                                   123)  # fmt: skip


def test_csv_by_type(ws: Path) -> None:
    result = runner.invoke(app, ["assets", str(ws), "--period", "2026-Q1", "--by", "type",
                                 "--format", "csv"])  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [r["key"] for r in rows] == ["case_study", "newsletter_section", "post", "webinar"]
    assert rows[3]["pipeline_sourced"] == "4000.0" and rows[3]["half_life_days"] == "74"


def test_table(ws: Path) -> None:
    result = runner.invoke(app, ["assets", "--workspace", str(ws), "--period", "2026-Q1"])
    assert result.exit_code == 0, result.output
    assert "Asset performance · 2026-Q1 (2026-01-01 to 2026-03-31)" in result.output
    assert "40% of the 25,000 pipeline created" in result.output
    assert "1 touch names an asset the library does not hold" in result.output
    assert "16,000" in result.output and "durable" in result.output


def test_a_bad_period_is_an_error(ws: Path) -> None:
    result = runner.invoke(app, ["assets", str(ws), "--period", "2026-Q7"])
    assert result.exit_code != 0
    assert "no quarter 7" in str(result.exception)
