"""Production against target: assets published per type this month, to date, against the monthly
targets of ``assets.yaml``.

    production(library_assets, specs.assets.production, month, through=date(2026, 11, 20))

For each target: the assets of its type published from the month's first day through
``through`` (derivatives counted unless the target says not), the pace to date (the monthly
target × days elapsed ÷ days in the month, ``through`` included), the previous month's count
against the full target, and a status:

- **met**: the month's target is reached already;
- **on pace**: at least the pace to date;
- **due**: short of the pace by less than one asset — the next one is due (a target of one a
  month is due, not behind, until its last day);
- **behind**: short of the pace by one asset or more (``published + 1 <= pace``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal, Protocol

from demandos.metrics.periods import Period
from demandos.spec.assets import ProductionTarget

Status = Literal["met", "on pace", "due", "behind"]


class Published(Protocol):
    """An asset as production counts it."""

    @property
    def type(self) -> str: ...
    @property
    def published_at(self) -> datetime | None: ...
    @property
    def parent_asset_id(self) -> str | None: ...


@dataclass(frozen=True)
class Production:
    """One asset type's month so far against its target."""

    type: str
    owner: str
    per_month: float
    month: str  # the month's label, 2026-11
    through: date  # the last day counted
    published: int  # this month through ``through``
    pace: float  # per_month × days elapsed ÷ days in the month
    last_month: int  # published in the whole previous month
    derivatives: bool  # whether derivatives count

    @property
    def status(self) -> Status:
        if self.published >= self.per_month:
            return "met"
        if self.published >= self.pace:
            return "on pace"
        return "behind" if self.published + 1 <= self.pace else "due"

    @property
    def last_month_met(self) -> bool:
        return self.last_month >= self.per_month


def _count(
    assets: Sequence[Published], kind: str, start: date, end: date, derivatives: bool
) -> int:
    """Assets of type ``kind`` published on a day with ``start <= day < end``."""
    return sum(
        1
        for a in assets
        if a.type == kind
        and a.published_at is not None
        and start <= a.published_at.date() < end
        and (derivatives or not a.parent_asset_id)
    )


def production(
    assets: Iterable[Published],
    targets: Sequence[ProductionTarget],
    month: Period,
    through: date,
) -> list[Production]:
    """Each target's month (``month``, a month period) through the day ``through``, in the
    order of ``targets``."""
    rows = list(assets)
    through = min(max(through, month.start), month.last_day)
    elapsed = (through - month.start).days + 1
    previous = month.shift(-1)
    out = []
    for t in targets:
        done = _count(rows, t.type, month.start, through + timedelta(days=1), t.derivatives)
        before = _count(rows, t.type, previous.start, previous.end, t.derivatives)
        out.append(
            Production(
                type=t.type,
                owner=t.owner,
                per_month=t.per_month,
                month=month.label,
                through=through,
                published=done,
                pace=t.per_month * elapsed / month.days,
                last_month=before,
                derivatives=t.derivatives,
            )
        )
    return out
