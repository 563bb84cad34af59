"""`demandos check` on the asset library in the store: warnings that name the assets and the fix,
and nothing changed."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from demandos.workspace import Workspace
from metrics.fixture import batch

DAY = datetime(2026, 10, 5, 10)


def _asset(aid: str, **fields: Any) -> dict[str, Any]:
    row = {"asset_id": aid, "title": aid, "type": "case_study", "status": "published",
           "published_at": DAY, "pillar": "close_faster", "parent_asset_id": None}  # fmt: skip
    return {**row, **fields}


def _workspace(tmp_path: Path, assets: list[dict[str, Any]]) -> Path:
    ws = Workspace.init(tmp_path / "ws")
    try:
        ws.facts.load("assets", batch("assets", assets))
    finally:
        ws.close()
    return tmp_path / "ws"


def _warnings(root: Path, rule: str) -> list[Any]:
    report = Workspace.check(root, today=DAY.date())
    return [f for f in report.findings if f.rule == rule]


def test_a_healthy_library_has_nothing_to_say(tmp_path: Path) -> None:
    root = _workspace(tmp_path, [
        _asset("cs1"), _asset("bp1", type="blog_post", parent_asset_id="cs1"),
        _asset("wb1", type="webinar", segments=["mid_market_finance"], persona="controller"),
    ])  # fmt: skip
    report = Workspace.check(root, today=DAY.date())
    assert report.ok
    assert not [f for f in report.findings if f.rule.startswith(("asset", "production"))]


def test_a_loop_in_the_derivatives_is_named_and_nothing_changes(tmp_path: Path) -> None:
    root = _workspace(tmp_path, [
        _asset("a", parent_asset_id="b"), _asset("b", parent_asset_id="a"),
        _asset("bp1", type="blog_post"), _asset("wb1", type="webinar"),
    ])  # fmt: skip
    (found,) = _warnings(root, "asset_library")
    assert found.severity == "warning" and found.location.file == "assets table"
    assert "loop" in found.message or "cycle" in found.message
    assert "a" in found.message and "b" in found.message
    assert found.hint is not None and "nothing was changed" in found.hint
    with Workspace.open(root) as ws:
        assert ws.facts.table("assets").count().to_pyarrow().as_py() == 4


def test_unknown_kernel_names_get_a_did_you_mean(tmp_path: Path) -> None:
    root = _workspace(tmp_path, [
        _asset("cs1", pillar="close_fast"), _asset("cs2", pillar="close_fast"),
        _asset("bp1", type="blog_post", segments=["mid_market_finance", "smb"]),
        _asset("wb1", type="webinar", persona="controler"),
    ])  # fmt: skip
    found = {f.field: f for f in _warnings(root, "asset_kernel_refs")}
    assert set(found) == {"pillar", "segment", "persona"}
    assert found["pillar"].message == (
        "2 asset(s) name the pillar 'close_fast', which kernel.yaml does not have: cs1, cs2"
    )
    assert found["pillar"].hint is not None
    assert found["pillar"].hint.startswith("did you mean 'close_faster'?")
    assert "'smb'" in found["segment"].message and "bp1" in found["segment"].message
    assert (
        found["persona"].hint is not None and "did you mean 'controller'?" in found["persona"].hint
    )


def test_a_target_for_a_type_the_library_never_held(tmp_path: Path) -> None:
    # the starter's targets: case_study, blog_post, webinar; the library has case studies and
    # blog posts, and writes webinars as "webinars"
    root = _workspace(tmp_path, [
        _asset("cs1"), _asset("bp1", type="blog_post"), _asset("wb1", type="webinars"),
    ])  # fmt: skip
    (found,) = _warnings(root, "production_types")
    assert (found.location.file, found.field) == ("assets.yaml", "production[2].type")
    assert found.location.line is not None
    text = (root / "assets.yaml").read_text().splitlines()[found.location.line - 1]
    assert "webinar" in text
    assert found.hint is not None and found.hint.startswith("did you mean 'webinars'?")


def test_an_empty_store_says_nothing_about_targets(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "ws")
    ws.close()
    assert not _warnings(tmp_path / "ws", "production_types")
