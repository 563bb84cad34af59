"""The asset library: lifecycle statuses and moves, the derivatives tree, and its errors."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from demandos.assets import LIFECYCLE, Asset, AssetError, Library, check_transition, load_library
from demandos.assets.library import asset_from_row
from demandos.store import FactStore

PUBLISHED = datetime(2026, 1, 1)


def a(aid: str, parent: str | None = None, status: str = "published") -> Asset:
    published = PUBLISHED if status in ("published", "refreshed") else None
    return Asset(aid, f"T {aid}", "post", status, published_at=published, parent_asset_id=parent)


def test_library_from_the_store(store: FactStore) -> None:
    library = load_library(store)
    assert len(library) == 5
    assert library.roots() == ("cs1", "id1", "wb1")
    assert library.family("cs1") == ("cs1", "po1", "nl1")
    assert library.family("wb1") == ("wb1",)
    assert library.root_of("nl1") == "cs1"
    cs1 = library.get("cs1")
    assert (cs1.segments, cs1.owner, cs1.published_at) == (("saas_mid",), "maya",
                                                           datetime(2025, 10, 1, 9))  # fmt: skip


def test_tree_with_branches() -> None:
    library = Library.of([a("r"), a("c2", "r"), a("c1", "r"), a("g", "c1"), a("x")])
    assert library.family("r") == ("r", "c1", "g", "c2")
    assert library.children["r"] == ("c1", "c2")
    assert library.root_of("g") == "r"


def test_unknown_parent() -> None:
    with pytest.raises(AssetError, match="'post' names parent 'cs01', which is not") as err:
        Library.of([a("cs1"), a("post", "cs01")])
    assert err.value.hint is not None and "did you mean 'cs1'" in err.value.hint


def test_cycles() -> None:
    with pytest.raises(AssetError, match="names itself as its parent"):
        Library.of([a("x", "x")])
    with pytest.raises(AssetError, match="in a loop: a → b → c → a"):
        Library.of([a("a", "b"), a("b", "c"), a("c", "a"), a("d", "a")])


def test_duplicates_and_unknown_asset() -> None:
    with pytest.raises(AssetError, match="'x' appears twice"):
        Library.of([a("x"), a("x")])
    with pytest.raises(AssetError, match="no asset 'y'"):
        Library.of([a("x")]).get("y")


def test_statuses_and_dates() -> None:
    with pytest.raises(AssetError, match="unknown status 'publised'") as err:
        Library.of([replace(a("x"), status="publised")])
    assert err.value.hint is not None and "did you mean 'published'" in err.value.hint
    with pytest.raises(AssetError, match="'x' is refreshed but has no published_at"):
        Library.of([replace(a("x"), status="refreshed", published_at=None)])
    with pytest.raises(AssetError, match="'x' is at 'draft' but has a published_at"):
        Library.of([replace(a("x"), status="draft")])
    retired = [replace(a("x"), status="retired"), replace(a("y"), status="retired",
                                                          published_at=None)]  # fmt: skip
    assert len(Library.of([*retired, *(a(s, status=s) for s in LIFECYCLE[:-1])])) == 8


def test_transitions() -> None:
    check_transition("idea", "brief")
    check_transition("brief", "published")  # forward, skipping steps
    check_transition("published", "refreshed")
    check_transition("refreshed", "refreshed")
    check_transition("draft", "retired")
    with pytest.raises(AssetError, match="from 'review' back to 'draft'"):
        check_transition("review", "draft")
    with pytest.raises(AssetError, match="cannot refresh an asset that is at 'draft'"):
        check_transition("draft", "refreshed")
    with pytest.raises(AssetError, match="cannot move a retired asset"):
        check_transition("retired", "published")
    with pytest.raises(AssetError, match="unknown asset status 'done'"):
        check_transition("draft", "done")


def test_rows_read_as_text() -> None:
    row = {"asset_id": "x", "title": "X", "type": "post", "status": "published",
           "published_at": "2026-02-03 10:00:00", "segments": "a; b", "parent_asset_id": "",
           "pillar": " "}  # fmt: skip
    x = asset_from_row(row)
    assert (x.published_at, x.segments, x.parent_asset_id, x.pillar) == (
        datetime(2026, 2, 3, 10), ("a", "b"), None, None)  # fmt: skip
