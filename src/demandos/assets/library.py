"""The asset library: every content item, where it is in its lifecycle, and what was derived
from what.

    library = load_library(ws.facts)           # the canonical ``assets`` table, validated
    library.family("as01")                     # the case study and every derivative below it
    check_transition("draft", "published")     # raises AssetError on a move the lifecycle forbids

The lifecycle (``LIFECYCLE``) runs idea → brief → draft → review → published → refreshed, and
any status may end in retired. An asset moves forward only (steps may be skipped); a refreshed
asset may be refreshed again; retired is the end. An asset that is published, refreshed or
retired after publishing carries its ``published_at``; one still at idea, brief, draft or review
has none.

Derivatives form a forest through ``parent_asset_id`` (a case study → posts, a newsletter
section, a webinar). A parent that is not in the library, an asset that is its own parent, or a
chain that loops back is an error naming the assets and the fix.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from demandos.errors import DemandosError
from demandos.store.facts import FactStore

LIFECYCLE = ("idea", "brief", "draft", "review", "published", "refreshed", "retired")
"""The statuses an asset can have, in the order it moves through them."""
UNPUBLISHED = frozenset({"idea", "brief", "draft", "review"})
"""Statuses before publishing: such an asset has no ``published_at``."""
NEEDS_DATE = frozenset({"published", "refreshed"})
"""Statuses that require a ``published_at``."""


class AssetError(DemandosError):
    """An asset library that breaks the lifecycle or the derivatives tree."""


def _hint_status(status: str) -> str:
    close = difflib.get_close_matches(status, LIFECYCLE, n=1)
    mean = f"did you mean {close[0]!r}? " if close else ""
    return f"{mean}statuses are {', '.join(LIFECYCLE)}"


def check_status(status: str) -> None:
    """Raise :class:`AssetError` when ``status`` is not a lifecycle status."""
    if status not in LIFECYCLE:
        raise AssetError(f"unknown asset status {status!r}", hint=_hint_status(status))


def check_transition(current: str, new: str) -> None:
    """Raise :class:`AssetError` unless the lifecycle allows moving from ``current`` to ``new``:
    forward only (skipping steps is allowed), refreshed again after refreshed, retired from any
    status, nothing after retired."""
    check_status(current)
    check_status(new)
    if current == "retired":
        raise AssetError(
            f"cannot move a retired asset to {new!r}", hint="retired is the end of the lifecycle"
        )
    if new == "retired" or (new == "refreshed" and current in ("published", "refreshed")):
        return
    if new == "refreshed":
        raise AssetError(
            f"cannot refresh an asset that is at {current!r}",
            hint="only a published (or refreshed) asset can be refreshed",
        )
    if LIFECYCLE.index(new) <= LIFECYCLE.index(current):
        raise AssetError(
            f"cannot move an asset from {current!r} back to {new!r}",
            hint=f"the lifecycle runs forward: {' → '.join(LIFECYCLE[:-1])}, then retired",
        )


@dataclass(frozen=True)
class Asset:
    """One content item of the canonical ``assets`` table."""

    asset_id: str
    title: str
    type: str
    status: str
    pillar: str | None = None
    segments: tuple[str, ...] = ()
    persona: str | None = None
    published_at: datetime | None = None
    parent_asset_id: str | None = None
    owner: str | None = None


def _check_asset(asset: Asset) -> None:
    where = f"asset {asset.asset_id!r}"
    if asset.status not in LIFECYCLE:
        raise AssetError(
            f"{where} has an unknown status {asset.status!r}", hint=_hint_status(asset.status)
        )
    if asset.status in NEEDS_DATE and asset.published_at is None:
        raise AssetError(
            f"{where} is {asset.status} but has no published_at",
            hint="fill published_at with the date it went live, or set the status it is at",
        )
    if asset.status in UNPUBLISHED and asset.published_at is not None:
        raise AssetError(
            f"{where} is at {asset.status!r} but has a published_at "
            f"({asset.published_at:%Y-%m-%d})",
            hint="publishing comes after review: set status published (or refreshed), "
            "or clear published_at",
        )


@dataclass(frozen=True)
class Library:
    """The validated asset library: assets by id and the derivatives forest."""

    assets: Mapping[str, Asset]
    children: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def of(cls, assets: Iterable[Asset]) -> Library:
        """Validate ``assets`` (lifecycle, unique ids, parents known, no cycles)."""
        by_id: dict[str, Asset] = {}
        for asset in assets:
            if asset.asset_id in by_id:
                raise AssetError(
                    f"asset {asset.asset_id!r} appears twice", hint="asset_id must be unique"
                )
            _check_asset(asset)
            by_id[asset.asset_id] = asset
        children: dict[str, list[str]] = {}
        for asset in by_id.values():
            parent = asset.parent_asset_id
            if parent is None:
                continue
            if parent == asset.asset_id:
                raise AssetError(
                    f"asset {parent!r} names itself as its parent",
                    hint="clear parent_asset_id, or name the asset it was derived from",
                )
            if parent not in by_id:
                close = difflib.get_close_matches(parent, list(by_id), n=1)
                mean = f"did you mean {close[0]!r}? " if close else ""
                raise AssetError(
                    f"asset {asset.asset_id!r} names parent {parent!r}, which is not in the "
                    "library",
                    hint=f"{mean}load the parent asset, or fix or clear parent_asset_id",
                )
            children.setdefault(parent, []).append(asset.asset_id)
        _check_cycles(by_id)
        return cls(by_id, {k: tuple(sorted(v)) for k, v in children.items()})

    def __len__(self) -> int:
        return len(self.assets)

    def __iter__(self) -> Iterator[Asset]:
        return iter(self.assets[k] for k in sorted(self.assets))

    def get(self, asset_id: str) -> Asset:
        try:
            return self.assets[asset_id]
        except KeyError:
            close = difflib.get_close_matches(asset_id, list(self.assets), n=1)
            raise AssetError(
                f"no asset {asset_id!r} in the library",
                hint=f"did you mean {close[0]!r}?" if close else "load the assets table",
            ) from None

    def root_of(self, asset_id: str) -> str:
        """The original an asset was (directly or not) derived from; itself when it has none."""
        asset = self.get(asset_id)
        while asset.parent_asset_id is not None:
            asset = self.assets[asset.parent_asset_id]
        return asset.asset_id

    def family(self, asset_id: str) -> tuple[str, ...]:
        """``asset_id`` and every asset derived from it, directly or not (depth first)."""
        self.get(asset_id)
        out, todo = [], [asset_id]
        while todo:
            current = todo.pop()
            out.append(current)
            todo.extend(reversed(self.children.get(current, ())))
        return tuple(out)

    def roots(self) -> tuple[str, ...]:
        """Assets derived from nothing, sorted."""
        return tuple(sorted(k for k, a in self.assets.items() if a.parent_asset_id is None))


def _check_cycles(by_id: Mapping[str, Asset]) -> None:
    done: set[str] = set()
    for start in sorted(by_id):
        path: list[str] = []
        current: str | None = start
        while current is not None and current not in done:
            if current in path:
                loop = [*path[path.index(current) :], current]
                raise AssetError(
                    f"assets derive from each other in a loop: {' → '.join(loop)} "
                    "(each names the next as its parent)",
                    hint="one of them is the original: clear its parent_asset_id",
                )
            path.append(current)
            current = by_id[current].parent_asset_id
        done.update(path)


def _segments(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(s.strip() for s in value.split(";") if s.strip())
    return tuple(str(s) for s in value)


def asset_from_row(row: Mapping[str, Any]) -> Asset:
    """An :class:`Asset` from one row of the ``assets`` table (or a CSV read as strings)."""
    published = row.get("published_at")
    if isinstance(published, str):
        published = datetime.fromisoformat(published) if published.strip() else None
    elif isinstance(published, date) and not isinstance(published, datetime):
        published = datetime.combine(published, datetime.min.time())

    def text(name: str) -> str | None:
        value = row.get(name)
        return None if value is None or str(value).strip() == "" else str(value)

    return Asset(
        asset_id=str(row["asset_id"]),
        title=str(row.get("title") or ""),
        type=str(row.get("type") or ""),
        status=str(row.get("status") or ""),
        pillar=text("pillar"),
        segments=_segments(row.get("segments")),
        persona=text("persona"),
        published_at=published,
        parent_asset_id=text("parent_asset_id"),
        owner=text("owner"),
    )


def load_library(facts: FactStore) -> Library:
    """The library from the canonical ``assets`` table (``demandos load assets.csv`` fills it)."""
    rows = facts.table("assets").to_pyarrow().to_pylist()
    return Library.of(asset_from_row(r) for r in rows)
