"""The document model of a review pack: what a pack says, independent of how it is rendered.

    pack = Pack(kind="weekly_review", title="Monday performance review", ...)
    pack.sections[0].blocks      # paragraphs, tables, charts, lists, an agenda
    pack.traced                  # every metric number in the pack: metric, period, filter, value

Renderers (``html``, ``markdown``, ``pdf``) turn one ``Pack`` into a file; builders in
``reports.packs`` fill it from the metrics engine and the operating log. A block holds display
text (already formatted) and, where it shows metric numbers, the numbers themselves, so a test
or another renderer can check them against the engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

Tone = Literal["good", "warn", "bad", "muted"] | None
"""How a cell or paragraph is shown: green, amber, red, de-emphasized, or plain."""

TONE_OF_STATUS: dict[str | None, Tone] = {"green": "good", "amber": "warn", "red": "bad"}


@dataclass(frozen=True)
class Traced:
    """One metric number shown in a pack, with where it comes from."""

    metric: str
    period: str
    filter: str  # "all" or "channel=linkedin_ads"
    field: str  # value, change, trailing_avg, target, …
    value: float | None


@dataclass(frozen=True)
class Cell:
    """One table cell: display text, an optional tone, and whether it is a number."""

    text: str
    tone: Tone = None
    numeric: bool = False
    sub: str = ""  # secondary text shown small after it (a metric's id)
    indent: int = 0  # levels of indentation (a metric's tier below the first shown)


@dataclass(frozen=True)
class Paragraph:
    text: str
    tone: Tone = None


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    caption: str = ""


@dataclass(frozen=True)
class Chart:
    """A Vega-Lite chart, and its numbers in words for text renderers (Markdown)."""

    title: str
    spec: dict[str, Any]
    points: tuple[tuple[str, str], ...]  # (label, formatted value), in order
    caption: str = ""


@dataclass(frozen=True)
class Bullets:
    items: tuple[Paragraph, ...]


@dataclass(frozen=True)
class Slot:
    """One time-boxed agenda item."""

    start: str  # HH:MM
    minutes: int
    item: str
    owner: str | None = None


@dataclass(frozen=True)
class Agenda:
    slots: tuple[Slot, ...]
    starts: datetime | None = None

    @property
    def minutes(self) -> int:
        return sum(s.minutes for s in self.slots)


@dataclass(frozen=True)
class Group:
    """Blocks kept together on one page (a heading sentence and its table)."""

    blocks: tuple[Paragraph | Table | Chart | Bullets, ...]


Block = Paragraph | Table | Chart | Bullets | Agenda | Group


@dataclass
class Section:
    id: str
    title: str
    blocks: list[Block] = field(default_factory=list)

    def add(self, *blocks: Block) -> Section:
        self.blocks.extend(blocks)
        return self


@dataclass
class Pack:
    """One review pack: a ritual instance, the period it looks at, and its sections."""

    kind: str
    ritual_id: str
    title: str
    workspace: str
    period: str  # the period the pack looks at (the reviewed week for a Monday review)
    start: date
    end: date  # exclusive
    generated_at: datetime
    meeting: datetime | None = None
    instance: str | None = None  # the ritual instance, e.g. "monday_review 2026-W48"
    kernel_version: int | None = None
    currency: str = "USD"
    sections: list[Section] = field(default_factory=list)
    traced: list[Traced] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the data could not say

    def section(self, id: str, title: str) -> Section:
        found = Section(id, title)
        self.sections.append(found)
        return found

    def get(self, id: str) -> Section:
        for section in self.sections:
            if section.id == id:
                return section
        raise KeyError(id)

    def trace(self, metric: str, period: str, field: str, value: float | None,
              filter: str = "all") -> None:  # fmt: skip
        self.traced.append(Traced(metric, period, filter, field, value))

    @property
    def provenance(self) -> str:
        """Where the pack's metric numbers come from, for the footer: the command that gives
        each, and the periods and breakdowns they span."""
        if not self.traced:
            return "This pack shows no number of the metrics engine."
        grains: dict[str, set[str]] = {}
        for t in self.traced:
            grain = "weeks" if "-W" in t.period else "quarters" if "-Q" in t.period else "months"
            grains.setdefault(grain, set()).add(t.period)
        spans = []
        for grain, labels in grains.items():
            first, last = min(labels), max(labels)
            spans.append(first if first == last else f"{len(labels)} {grain}, {first} to {last}")
        span = "; ".join(spans)
        dims = sorted({t.filter.partition("=")[0] for t in self.traced if t.filter != "all"})
        by = f" [--by {'|'.join(dims)}]" if dims else ""
        return (
            f"Every metric number names its metric (id in metrics.yaml), period and filter, and "
            f"equals `demandos metrics --period PERIOD{by}` for them ({span})."
        )

    @property
    def subtitle(self) -> str:
        end = date.fromordinal(self.end.toordinal() - 1)
        parts = [f"{self.period} ({self.start:%a %d %b %Y} – {end:%a %d %b %Y})"]
        if self.meeting is not None:
            parts.append(f"meeting {self.meeting:%a %d %b %Y %H:%M}")
        if self.kernel_version is not None:
            parts.append(f"kernel v{self.kernel_version}")
        return " · ".join(parts)
