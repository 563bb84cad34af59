"""Editing the asset library: add an asset or change one, checked before anything is written.

    save_asset(ws.facts, ws.specs, {"asset_id": "cs9", "title": "…", "type": "case_study"})
    save_asset(ws.facts, ws.specs, {"status": "published", "published_at": "2026-11-20"},
               asset_id="cs9")

A change must keep the library valid as a whole (``Library.of``: lifecycle, dates, parents, no
loops), move the status only as the lifecycle allows (``check_transition``), name kernel.yaml's
pillar, segments and persona and a person of team.yaml as owner. Publishing without a date
takes the time of the change. The row is merged into the canonical ``assets`` table by its id,
as a new version (the store keeps the old one); a refused change writes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import fields, replace
from datetime import date, datetime
from typing import Any

import pyarrow as pa

from demandos.assets.library import (
    NEEDS_DATE,
    Asset,
    AssetError,
    Library,
    check_status,
    check_transition,
    load_library,
)
from demandos.spec.specs import Specs
from demandos.store.facts import FactStore
from demandos.store.schema import TABLES
from demandos.suggest import did_you_mean

EDITABLE = ("title", "type", "status", "pillar", "segments", "persona", "published_at",
            "parent_asset_id", "owner")  # fmt: skip
ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _when(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, datetime.min.time())
    text = str(value).strip()
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise AssetError(
            f"published_at {text!r} is not a date",
            hint="write it as 2026-11-20 or 2026-11-20T09:30",
        ) from None


def _segments(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    items: Iterable[Any] = value.split(";") if isinstance(value, str) else value
    return tuple(dict.fromkeys(s for s in (str(i).strip() for i in items) if s))


def _clean(changes: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(changes) - set(EDITABLE) - {"asset_id"})
    if unknown:
        raise AssetError(
            f"assets have no field {unknown[0]!r}",
            hint=did_you_mean(unknown[0], EDITABLE) or f"fields: {', '.join(EDITABLE)}",
        )
    out: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "asset_id":
            continue
        if name == "segments":
            out[name] = _segments(value)
        elif name == "published_at":
            out[name] = _when(value)
        elif name in ("title", "type", "status"):
            text = _text(value)
            if text is None:
                raise AssetError(f"an asset's {name} cannot be empty", hint=f"give it a {name}")
            out[name] = text.lower() if name == "status" else text
        else:
            out[name] = _text(value)
    return out


def _check_kernel(asset: Asset, specs: Specs) -> None:
    def known(what: str, value: str, ids: list[str], where: str) -> None:
        if value not in ids:
            guess = did_you_mean(value, ids)
            raise AssetError(
                f"{what} {value!r} is not in {where}",
                hint=f"{guess + ' ' if guess else ''}({where}: {', '.join(ids) or 'none'})",
            )

    if asset.pillar is not None:
        known("pillar", asset.pillar, specs.pillar_ids, "kernel.yaml's pillars")
    for segment in asset.segments:
        known("segment", segment, specs.segment_ids, "kernel.yaml's segments")
    if asset.persona is not None:
        known("persona", asset.persona, [p.id for p in specs.kernel.personas],
              "kernel.yaml's personas")  # fmt: skip
    if asset.owner is not None:
        known("owner", asset.owner, specs.person_ids, "team.yaml's people")


def _row(asset: Asset) -> pa.Table:
    schema = TABLES["assets"].arrow_schema()
    row = {f.name: getattr(asset, f.name) for f in fields(asset)}
    row["segments"] = list(asset.segments)
    return pa.Table.from_pylist([row], schema=schema)


def save_asset(
    facts: FactStore,
    specs: Specs,
    changes: Mapping[str, Any],
    *,
    asset_id: str | None = None,
    now: datetime | None = None,
    source: str = "edit",
) -> Asset:
    """Add an asset (``asset_id`` None: ``changes`` names it) or change one, and store it."""
    library = load_library(facts)
    values = _clean(changes)
    if asset_id is None:
        new_id = _text(changes.get("asset_id"))
        if new_id is None or not ID.fullmatch(new_id):
            raise AssetError(
                f"{new_id!r} cannot be an asset id",
                hint="letters, digits, _ . - (up to 100), e.g. cs-2026-11-acme",
            )
        if new_id in library.assets:
            raise AssetError(f"asset {new_id!r} exists already", hint="edit it instead")
        for name in ("title", "type"):
            if name not in values:
                raise AssetError(f"a new asset needs a {name}", hint=f"give it a {name}")
        asset = Asset(asset_id=new_id, title=values.pop("title"), type=values.pop("type"),
                      status=values.pop("status", "idea"))  # fmt: skip
        check_status(asset.status)
        asset = replace(asset, **values)
    else:
        current = library.get(asset_id)
        asset = replace(current, **values)
        if asset.status != current.status:
            check_transition(current.status, asset.status)
    if asset.status in NEEDS_DATE and asset.published_at is None:
        asset = replace(asset, published_at=now or datetime.now().replace(microsecond=0))
    _check_kernel(asset, specs)
    Library.of([*(a for k, a in library.assets.items() if k != asset.asset_id), asset])
    facts.load("assets", _row(asset), source=source)
    return asset
