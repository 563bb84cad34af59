"""The ownership report: what each person owns, counted by hand on the starter workspace, with
asset owners from the assets table, a person who owns nothing and owners not in team.yaml."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from demandos.cli.main import app
from demandos.team import ownership, ownership_of
from demandos.workspace import Workspace
from rollout.fixture import edit, load

ASSETS = [  # owner as a person id, a name, an email (any case), and someone not in team.yaml
    ("as1", "jonas"),
    ("as2", "Priya Raman"),
    ("as3", "PRIYA@northwind.example"),
    ("as4", "Dana Fox"),
    ("as5", None),
]


def _asset(asset_id: str, owner: str | None) -> dict[str, Any]:
    return {
        "asset_id": asset_id,
        "title": f"Asset {asset_id}",
        "type": "blog_post",
        "status": "published",
        "published_at": datetime(2026, 3, 2, 10),
        "owner": owner,
    }


def _sam(data: Any) -> None:
    data["people"].append(
        {"id": "sam", "name": "Sam Lee", "role": "marketing_ops", "responsibilities": ["Events"]}
    )


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("team") / "acme"
    with Workspace.init(root, name="Acme") as ws:
        load(ws, {"assets": [_asset(a, o) for a, o in ASSETS]})
    edit(root, "team.yaml", _sam)
    return root


def _workflow_counts(root: Path, person: str) -> tuple[int, int]:
    """Workflows and (explicitly owned) steps of ``person``, read from the YAML by hand."""
    flows = steps = 0
    for path in sorted((root / "workflows").glob("*.yaml")):
        data = YAML(typ="safe").load(path.read_text())
        flows += data["owner"] == person
        steps += sum(1 for s in data["steps"] if s.get("owner") == person)
    return flows, steps


def test_each_person_owns_what_the_specs_and_assets_say(root: Path) -> None:
    with Workspace.open(root) as ws:
        report = ownership(ws)
    # metrics.yaml, channels.yaml, cadence.yaml, stack.yaml and assets.yaml (production targets:
    # case_study and blog_post priya's, webinar maya's) of the starter, counted by hand
    by_hand = {
        "maya": {"metric": 7, "program": 3, "ritual": 5, "tool": 3, "production": 1},
        "jonas": {"metric": 3, "program": 1, "ritual": 4, "tool": 3, "asset": 1},
        "priya": {"metric": 4, "program": 3, "ritual": 1, "tool": 1, "production": 2, "asset": 2},
    }
    for person, expected in by_hand.items():
        flows, steps = _workflow_counts(root, person)
        expected |= {"workflow": flows, "step": steps}
        counts = report.person(person).counts()
        assert counts == {k: v for k, v in expected.items() if v}, person
    assert [a.id for a in report.person("priya").of("asset")] == ["as2", "as3"]
    assert [t.id for t in report.person("priya").of("production")] == ["case_study", "blog_post"]
    assert report.person("maya").of("metric")[0].where == "metrics.yaml:37"


def test_people_who_own_nothing_and_owners_not_in_the_team(root: Path) -> None:
    with Workspace.open(root) as ws:
        report = ownership(ws)
    assert report.idle == ["sam"]
    assert [(p.person, [i.id for i in p.items]) for p in report.unknown] == [("Dana Fox", ["as4"])]
    assert [p.person for p in report.people] == ["maya", "jonas", "priya", "sam", "Dana Fox"]


def test_without_the_store_assets_are_not_read(root: Path) -> None:
    with Workspace.open(root) as ws:
        report = ownership_of(ws.specs)
    assert not report.assets_read and report.unknown == []
    assert "Asset owners were not read" in report.to_markdown()


def test_cli_formats_and_one_person(root: Path) -> None:
    runner = CliRunner()
    data = runner.invoke(app, ["team", "ownership", str(root), "--format", "json"])
    assert data.exit_code == 0, data.output
    parsed = json.loads(data.output)
    assert parsed["idle"] == ["sam"] and parsed["unknown"] == ["Dana Fox"]
    md = runner.invoke(app, ["team", "ownership", str(root), "-f", "markdown", "--person", "priya"])
    assert md.exit_code == 0, md.output
    assert md.output.startswith("# Ownership · Acme")
    assert "## Priya Raman (priya)" in md.output and "## Maya" not in md.output
    assert "- asset `as3` — Asset as3 (assets table)" in md.output
    text = runner.invoke(app, ["team", "ownership", str(root)])
    assert text.exit_code == 0, text.output
    assert "People who own nothing: sam" in text.output
    assert "Owners not in team.yaml: Dana Fox (1)" in text.output
    bad = runner.invoke(app, ["team", "ownership", str(root), "--person", "jonah"])
    assert bad.exit_code == 1
    assert "'jonah' owns nothing and is not in team.yaml" in str(bad.exception)
