"""Editing the asset library (assets/editing.py): checked first, written as a new version, and a
refused change writes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from demandos.assets.editing import save_asset
from demandos.assets.library import AssetError, load_library
from demandos.workspace import Workspace
from metrics.fixture import batch

NOW = datetime(2026, 11, 20, 14, 30)


@pytest.fixture
def ws(tmp_path: Path) -> Iterator[Workspace]:
    workspace = Workspace.init(tmp_path / "ws")  # the starter: pillars close_faster, …
    workspace.facts.load("assets", batch("assets", [
        {"asset_id": "cs1", "title": "Acme closes in 5 days", "type": "case_study",
         "status": "published", "published_at": datetime(2026, 9, 1, 9), "pillar": "close_faster",
         "segments": ["mid_market_finance"], "owner": "priya"},
        {"asset_id": "bp1", "title": "Five-day close", "type": "blog_post", "status": "draft",
         "parent_asset_id": "cs1"},
    ]))  # fmt: skip
    yield workspace
    workspace.close()


def _stored(ws: Workspace) -> dict[str, dict[str, Any]]:
    rows = ws.facts.table("assets").to_pyarrow().to_pylist()
    return {r["asset_id"]: r for r in rows}


def test_a_new_asset_starts_as_an_idea_and_is_stored(ws: Workspace) -> None:
    saved = save_asset(ws.facts, ws.specs, {
        "asset_id": "wb1", "title": "Close-faster webinar", "type": "webinar",
        "pillar": "close_faster", "segments": "mid_market_finance; scaling_saas", "owner": "maya",
    }, now=NOW)  # fmt: skip
    assert (saved.status, saved.published_at) == ("idea", None)
    row = _stored(ws)["wb1"]
    assert (row["title"], row["segments"], row["owner"]) == (
        "Close-faster webinar",
        ["mid_market_finance", "scaling_saas"],
        "maya",
    )
    assert len(load_library(ws.facts)) == 3


def test_publishing_moves_forward_and_dates_it(ws: Workspace) -> None:
    saved = save_asset(ws.facts, ws.specs, {"status": "published"}, asset_id="bp1", now=NOW)
    assert (saved.status, saved.published_at, saved.parent_asset_id) == ("published", NOW, "cs1")
    dated = save_asset(
        ws.facts, ws.specs, {"status": "refreshed", "published_at": "2026-11-21"}, asset_id="bp1"
    )
    assert dated.published_at == datetime(2026, 11, 21)
    versions = ws.facts.versions("assets").to_pyarrow().to_pylist()
    assert len([v for v in versions if v["asset_id"] == "bp1"]) == 3  # the store keeps each


@pytest.mark.parametrize(
    ("changes", "asset_id", "message"),
    [
        ({"status": "draft"}, "cs1", "cannot move an asset from 'published' back to 'draft'"),
        ({"status": "publshed"}, "bp1", "unknown asset status 'publshed'"),
        ({"pillar": "close_fastr"}, "cs1", "pillar 'close_fastr' is not in kernel.yaml"),
        ({"segments": ["smb"]}, "cs1", "segment 'smb' is not in kernel.yaml"),
        ({"owner": "sam"}, "cs1", "owner 'sam' is not in team.yaml"),
        ({"parent_asset_id": "bp1"}, "cs1", "assets derive from each other in a loop"),
        ({"parent_asset_id": "nope"}, "bp1", "names parent 'nope', which is not in the library"),
        ({"colour": "red"}, "cs1", "assets have no field 'colour'"),
        ({"title": "  "}, "cs1", "an asset's title cannot be empty"),
        ({"published_at": "last week"}, "cs1", "published_at 'last week' is not a date"),
        ({"status": "idea"}, "nope", "no asset 'nope' in the library"),
        ({"asset_id": "cs1", "title": "t", "type": "x"}, None, "asset 'cs1' exists already"),
        ({"asset_id": "../x", "title": "t", "type": "x"}, None, "cannot be an asset id"),
        ({"asset_id": "new1", "title": "t"}, None, "a new asset needs a type"),
    ],
)
def test_a_refused_change_writes_nothing(
    ws: Workspace, changes: dict[str, Any], asset_id: str | None, message: str
) -> None:
    before = _stored(ws)
    with pytest.raises(AssetError, match=message.replace("(", r"\(").replace(")", r"\)")) as err:
        save_asset(ws.facts, ws.specs, changes, asset_id=asset_id, now=NOW)
    assert err.value.hint
    assert _stored(ws) == before


def test_a_typo_gets_a_did_you_mean(ws: Workspace) -> None:
    with pytest.raises(AssetError) as err:
        save_asset(ws.facts, ws.specs, {"pillar": "close_fastr"}, asset_id="cs1")
    assert err.value.hint is not None and err.value.hint.startswith("did you mean 'close_faster'?")
