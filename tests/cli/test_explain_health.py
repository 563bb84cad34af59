"""`demandos metrics explain` and `demandos health` on a workspace with the bundled sample data."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from demandos.cli.main import app

runner = CliRunner()


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "acme"
    assert runner.invoke(app, ["init", str(path)]).exit_code == 0
    assert runner.invoke(app, ["load", "--sample", "--workspace", str(path)]).exit_code == 0
    return path


def test_explain_der_as_json_parts_add_up(ws: Path) -> None:
    args = ["metrics", "explain", "der", "--period", "2026-10", "-f", "json", "-w", str(ws)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["metric"], data["period"], data["against"]) == ("der", "2026-10", "2026-09")
    assert data["state"] == "ok" and data["change"] == data["value"] - data["before"]
    assert [d["driver"] for d in data["drivers"]] == [
        "leads", "lead_to_opp", "avg_amount", "media", "other_costs"
    ]  # fmt: skip
    total = math.fsum(d["contribution"] for d in data["drivers"])
    assert total == pytest.approx(data["change"], rel=1e-9)
    by = runner.invoke(app, [*args, "--by", "channel"])
    members = json.loads(by.output)["members"]
    assert {m["effect"] for m in members} >= {"rate", "mix"}
    assert math.fsum(m["contribution"] for m in members) == pytest.approx(data["change"], rel=1e-9)


def test_explain_as_a_table_and_without_data(ws: Path) -> None:
    table = runner.invoke(app, ["metrics", "explain", "pipeline_created", "--period", "2026-10",
                                "--by", "channel", "-w", str(ws)])  # fmt: skip
    assert table.exit_code == 0, table.output
    assert "lead→opportunity rate" in table.output and "By channel" in table.output
    # a year earlier the sample has no data: a state and the reason, not a crash
    empty = runner.invoke(app, ["metrics", "explain", "der", "--period", "2026-10",
                                "--against", "last_year", "-w", str(ws)])  # fmt: skip
    assert empty.exit_code == 0 and "no_data" in empty.output and "2025-10" in empty.output


def test_explain_rejects_an_unknown_metric(ws: Path) -> None:
    result = runner.invoke(app, ["metrics", "explain", "pipline_created", "-w", str(ws)])
    assert result.exit_code == 1
    assert "pipeline_created" in (result.exception.hint or "")  # type: ignore[union-attr]


def test_metrics_without_a_subcommand_still_prints_the_tree(ws: Path) -> None:
    result = runner.invoke(app, ["metrics", "--period", "2026-10", "-f", "csv", "-w", str(ws)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith('"metric","name"') and '"der"' in result.output


def test_health(ws: Path) -> None:
    result = runner.invoke(app, ["health", "--period", "2026-10", "-f", "json", "-w", str(ws)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    ids = [i["id"] for i in data["indicators"]]
    assert ids == ["efficiency_trend", "pipeline_stability", "forecast_error",
                   "durable_asset_share", "owned_channel_share", "top_program_share",
                   "peak_to_median"]  # fmt: skip
    assert len(data["weeks"]) == 13 and data["weeks"][-1]["week"] == "2026-W43"
    for item in data["indicators"]:
        assert item["state"] in ("ok", "partial", "no_data")
        assert (item["value"] is None) == (item["state"] == "no_data")
    table = runner.invoke(app, ["health", "--period", "2026-10", "-w", str(ws)])
    assert table.exit_code == 0 and "Efficiency trend" in table.output
    assert "2026-W31 to 2026-W43" in table.output
