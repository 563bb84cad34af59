"""Ritual packs: one builder per kind of ritual, registered by kind.

    pack = build_pack(ws, "monday_review", "2026-W47")   # a ritual id, or a kind
    render_html(pack), render_markdown(pack), render_pdf(pack)

A builder reads the metrics engine and the operating log through the workspace and returns a
``Pack``; it shows only what the data says, and notes what it cannot.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from demandos.errors import CadenceError
from demandos.reports.model import Pack
from demandos.spec.cadence import Ritual
from demandos.suggest import did_you_mean

if TYPE_CHECKING:
    from demandos.workspace import Workspace


@dataclass(frozen=True)
class PackContext:
    """What a builder reads: the workspace, the ritual, and the day it runs (workspace time)."""

    ws: Workspace
    ritual: Ritual
    today: date
    now: datetime


Builder = Callable[[PackContext, str | None], Pack]
PACKS: dict[str, Builder] = {}
"""Pack builders by ritual kind (weekly_review, weekly_planning, …)."""


def pack(kind: str) -> Callable[[Builder], Builder]:
    """Register the builder of one kind of ritual."""

    def register(builder: Builder) -> Builder:
        PACKS[kind] = builder
        return builder

    return register


ALIASES: dict[str, str] = {
    "weekly": "weekly_review",
    "monthly": "monthly_deep_dive",
    "quarterly": "qbr",
}
"""What ``review weekly|monthly|quarterly`` means: the review of each frequency — the Monday
performance review, the monthly deep-dive and the QBR."""


def find_ritual(ws: Workspace, ritual: str) -> Ritual:
    """The ritual of cadence.yaml with this id, else the first of this kind; ``weekly``,
    ``monthly`` and ``quarterly`` name the first ritual of that frequency's review kind."""
    rituals = ws.specs.cadence.rituals
    if ritual in ALIASES and all(r.id != ritual for r in rituals):
        ritual = ALIASES[ritual]
    for r in rituals:
        if r.id == ritual:
            return r
    for r in rituals:
        if r.kind == ritual:
            return r
    names = [r.id for r in rituals] + sorted({r.kind for r in rituals}) + list(ALIASES)
    guess = did_you_mean(ritual, names)
    raise CadenceError(
        f"no ritual {ritual!r} in cadence.yaml (neither an id nor a kind)",
        hint=(f"{guess} " if guess else "") + f"rituals: {', '.join(r.id for r in rituals)}",
    )


def build_pack(
    ws: Workspace, ritual: str, period: str | None = None, *, now: datetime | None = None
) -> Pack:
    """The pack of ``ritual`` (id or kind) for ``period`` (default: each kind's last full one)."""
    _load_builders()
    spec = find_ritual(ws, ritual)
    builder = PACKS.get(spec.kind)
    if builder is None:
        raise CadenceError(
            f"there is no pack for {spec.kind} rituals yet ({spec.id})",
            hint=f"packs exist for: {', '.join(sorted(PACKS))}",
        )
    zone = ZoneInfo(ws.specs.workspace.timezone)
    now = now or datetime.now(zone)
    if now.tzinfo is not None:  # a naive time is already the workspace's wall-clock time
        now = now.astimezone(zone).replace(tzinfo=None)
    return builder(PackContext(ws, spec, now.date(), now), period)


def _load_builders() -> None:
    """Import every module of this package: each registers its builders with ``@pack``."""
    import importlib
    import pkgutil

    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
