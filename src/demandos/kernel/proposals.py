"""Kernel refinement proposals: changes to kernel.yaml that a window's deals support.

    review = review_kernel(ws.facts, ws.specs, "2026-Q3")   # or proposals(ws, "2026-Q3")
    review.performance["segment"]    # per member: deals, win rate, deal size, cycle, with intervals
    review.proposals                 # what to change, with the evidence and its uncertainty
    review.considered                # notable differences left without a test, and why

The window is the four quarters that end with the period (:mod:`demandos.kernel.evidence`); what
is compared, and when a comparison is tested, is :mod:`demandos.kernel.comparisons`: at least 30
deals a side and Holm's correction over every comparison of the run. A group's *significant*
comparisons then decide its proposal:

- win rate and deal size say what a deal is worth: all better → promote (segment), target
  (persona), lead with (pillar); all worse → deprioritize, drop, retire; both ways → no proposal
  (``mixed``);
- cycle length joins the evidence, or decides alone when neither worth measure differs (shorter
  is better); a cycle pointing the other way is kept as counter-evidence;
- a rule's value or range half that does worse than the rest of its segment → tighten the
  segment to leave it out (one value doing *better* than several others proposes nothing: that
  does not make each of the others worse);
- a competitor whose share of win/loss notes rose → address it.

Confidence is *high* when every comparison behind a proposal has an adjusted p-value of at most
``HIGH_P`` (0.001) and ``HIGH_N`` (100) or more a side, else *medium*.

A proposal's id is a hash of its kind, target and window: the same window gives the same id on
every run, so accepting or rejecting it later refers to one thing.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol

from demandos.kernel.comparisons import (
    LISTED,
    Comparison,
    Measure,
    MemberStats,
    adjust,
    compare_member,
    compare_mentions,
    compare_rules,
    considered,
    member_stats,
    members,
    norm_value,
    quarter_start,
)
from demandos.kernel.evidence import (
    DIMENSIONS,
    Note,
    Window,
    read_data_end,
    read_deals,
    read_media,
    read_notes,
    read_signals,
    window_for,
)
from demandos.metrics.periods import parse_period
from demandos.spec.channels import ChannelsSpec
from demandos.spec.kernel import KernelSpec
from demandos.store.facts import FactStore

if TYPE_CHECKING:
    from demandos.workspace import Workspace

WORTH: tuple[Measure, ...] = ("win_rate", "deal_size")
"""What a deal is worth: the measures that decide a proposal's direction."""
HIGH_P = 0.001
HIGH_N = 100
Kind = Literal[
    "promote_segment",
    "deprioritize_segment",
    "tighten_segment",
    "target_persona",
    "drop_persona",
    "lead_with_pillar",
    "retire_pillar",
    "address_competitor",
]
KINDS: dict[str, tuple[Kind, Kind]] = {  # dimension: (better, worse)
    "segment": ("promote_segment", "deprioritize_segment"),
    "persona": ("target_persona", "drop_persona"),
    "pillar": ("lead_with_pillar", "retire_pillar"),
}


@dataclass(frozen=True)
class Proposal:
    """A change to kernel.yaml with the evidence for it."""

    id: str
    kind: Kind
    dimension: str
    target: str  # member id; for tighten_segment ``segment.rule=value``
    change: str  # the change to kernel.yaml, in words
    evidence: tuple[Comparison, ...]
    counter: tuple[Comparison, ...]  # significant comparisons that point the other way
    confidence: Literal["high", "medium"]
    window: Window


@dataclass(frozen=True)
class CompetitorStats:
    """A competitor in the window's win/loss notes and competitor signals."""

    name: str
    kernel_id: str | None  # its id in kernel.yaml's competitors, None when not listed
    mentions: int  # win/loss notes naming it in the window
    recent: int  # … in the window's last quarter
    in_won: int
    in_lost: int
    signals: int


@dataclass
class KernelReview:
    """Everything a strategy refresh reads about the kernel for one window."""

    period: str
    window: Window
    kernel_version: int
    deals: int
    performance: dict[str, list[MemberStats]]
    comparisons: list[Comparison]
    proposals: list[Proposal]
    considered: list[Comparison]  # notable, not tested for want of sample
    mixed: list[tuple[str, str, list[Comparison]]]  # (dimension, member, comparisons)
    notes: list[Note]
    competitors: list[CompetitorStats]
    signals: int
    caveats: list[str] = field(default_factory=list)

    @property
    def tested(self) -> list[Comparison]:
        return [c for c in self.comparisons if c.tested]


class _Specs(Protocol):
    @property
    def kernel(self) -> KernelSpec: ...
    @property
    def channels(self) -> ChannelsSpec: ...
    @property
    def workspace(self) -> _WorkspaceSettings: ...


class _WorkspaceSettings(Protocol):
    @property
    def fiscal_year_start_month(self) -> int: ...


def proposals(ws: Workspace, period: str, *, quarters: int = 4) -> list[Proposal]:
    """The kernel refinement proposals of the ``quarters`` quarters ending with ``period``."""
    return review_kernel(ws.facts, ws.specs, period, quarters=quarters).proposals


def review_kernel(
    facts: FactStore, specs: _Specs, period: str, *, quarters: int = 4
) -> KernelReview:
    """Performance by segment, persona and pillar over the window, the comparisons, and the
    proposals they support (rules in the module doc)."""
    kernel, channels = specs.kernel, specs.channels
    fy = specs.workspace.fiscal_year_start_month
    window = window_for(parse_period(period, fiscal_year_start_month=fy), quarters)
    deals = read_deals(facts, kernel, channels, window)
    notes = read_notes(facts, kernel, channels, window)
    signals = read_signals(facts, window)
    performance = {
        d: member_stats(
            deals, d, members(kernel, d), read_media(facts, kernel, channels, window, d)
        )
        for d in DIMENSIONS
    }
    found: list[Comparison] = []
    for dimension in DIMENSIONS:
        for member in members(kernel, dimension):
            found += compare_member(deals, dimension, member)
    for segment in kernel.segments:
        found += compare_rules(deals, segment)
    found += compare_mentions(notes, window)
    found = adjust(found)
    made, mixed = decide(found, kernel, window)
    review = KernelReview(
        period=period,
        window=window,
        kernel_version=kernel.version,
        deals=len(deals),
        performance=performance,
        comparisons=found,
        proposals=made,
        considered=considered(found),
        mixed=mixed,
        notes=notes,
        competitors=competitor_stats(notes, signals, kernel, window),
        signals=sum(signals.values()),
    )
    if not deals:
        review.caveats.append(f"No deal was created or closed in {window.describe()}.")
    last = read_data_end(facts)
    if deals and last is not None and last < window.last_day:
        review.caveats.append(
            f"The deals stop on {last.isoformat()}, before the window ends on "
            f"{window.last_day.isoformat()}: its last {(window.last_day - last).days} days are "
            "missing."
        )
    return review


def proposal_id(kind: str, target: str, window: Window) -> str:
    """``KP-`` and 8 hex digits of a hash of the kind, target and window: stable across runs."""
    text = f"{kind}|{target}|{window.start.isoformat()}|{window.end.isoformat()}"
    return "KP-" + hashlib.sha256(text.encode()).hexdigest()[:8]


def _confidence(evidence: Sequence[Comparison]) -> Literal["high", "medium"]:
    strong = all(
        (c.adjusted_p or 1.0) <= HIGH_P and min(c.n, c.n_other) >= HIGH_N for c in evidence
    )
    return "high" if strong else "medium"


def _direction(sig: Sequence[Comparison]) -> tuple[bool | None, list[Comparison], list[Comparison]]:
    """The direction a group's significant comparisons support (None: mixed or none), with the
    evidence for it and the counter-evidence."""
    worth = {c.better for c in sig if c.measure in WORTH}
    if len(worth) > 1:
        return None, [], []
    direction = worth.pop() if worth else {c.better for c in sig}.pop() if sig else None
    if direction is None:
        return None, [], []
    return (
        direction,
        [c for c in sig if c.better == direction],
        [c for c in sig if c.better != direction],
    )


def decide(
    comparisons: Sequence[Comparison], kernel: KernelSpec, window: Window
) -> tuple[list[Proposal], list[tuple[str, str, list[Comparison]]]]:
    """The proposals the significant comparisons support, and the groups whose evidence points
    both ways (rules in the module doc)."""
    groups: dict[tuple[str, str, str | None, str | None], list[Comparison]] = defaultdict(list)
    # one group per member (and, for rules, per segment and rule)
    for c in comparisons:
        if c.significant:
            groups[(c.dimension, c.member, c.segment, c.rule)].append(c)
    made: list[Proposal] = []
    mixed: list[tuple[str, str, list[Comparison]]] = []
    for (dimension, member, _, _), sig in groups.items():
        direction, evidence, counter = _direction(sig)
        if direction is None:
            mixed.append((dimension, member, list(sig)))
            continue
        found = _proposal(sig[0], direction, kernel)
        if found is None:
            continue
        kind, target, change = found
        made.append(
            Proposal(
                id=proposal_id(kind, target, window),
                kind=kind,
                dimension=dimension,
                target=target,
                change=change,
                evidence=tuple(evidence),
                counter=tuple(counter),
                confidence=_confidence(evidence),
                window=window,
            )
        )
    order = {d: i for i, d in enumerate((*DIMENSIONS, "rule", "competitor"))}
    made.sort(key=lambda p: (order[p.dimension], min(c.adjusted_p or 1.0 for c in p.evidence)))
    return made, mixed


PRIORITY_DOWN = {"primary": "secondary", "secondary": "exploratory"}
PRIORITY_UP = {"secondary": "primary", "exploratory": "secondary"}


def _proposal(first: Comparison, better: bool, kernel: KernelSpec) -> tuple[Kind, str, str] | None:
    """The kind, target and change for a group that does ``better`` (or worse) than the rest."""
    dimension, member = first.dimension, first.member
    if dimension == "competitor":
        if better:
            return None  # mentions fell: nothing to change
        known = _kernel_competitor(kernel, member)
        change = (
            f"Review the positioning against {member} in kernel.yaml's competitors ({known}) "
            "and the proof points that answer it"
            if known
            else f"Add {member} to kernel.yaml's competitors, with how the product differs"
        )
        return "address_competitor", member, change
    if dimension == "rule":
        return _tighten(kernel, first, better)
    better_kind, worse_kind = KINDS[dimension]
    kind = better_kind if better else worse_kind
    return kind, member, _change(kernel, kind, member)


def _change(kernel: KernelSpec, kind: Kind, member: str) -> str:
    if kind in ("promote_segment", "deprioritize_segment"):
        seg = next(s for s in kernel.segments if s.id == member)
        if kind == "promote_segment":
            up = PRIORITY_UP.get(seg.priority)
            if up is None:
                return (
                    f"Keep {member} primary and give it a larger share of the programs and "
                    "budget in channels.yaml"
                )
            return f"Raise {member}'s priority from {seg.priority} to {up}"
        down = PRIORITY_DOWN.get(seg.priority)
        if down is None:
            return f"Remove {member} from kernel.yaml's segments (it is exploratory already)"
        return f"Lower {member}'s priority from {seg.priority} to {down}"
    if kind == "target_persona":
        return (
            f"Name {member} first among kernel.yaml's personas and aim the segments' programs "
            "and assets at it"
        )
    if kind == "drop_persona":
        return (
            f"Stop targeting {member}: remove it from kernel.yaml's personas or narrow its segments"
        )
    if kind == "lead_with_pillar":
        return (
            f"Lead with {member}: list it first among kernel.yaml's pillars and make it the first "
            "pillar of the programs that reach new accounts"
        )
    return (
        f"Retire or rework {member}: remove it from kernel.yaml's pillars, or give it a new "
        "message and proof points"
    )


def _tighten(kernel: KernelSpec, c: Comparison, better: bool) -> tuple[Kind, str, str] | None:
    """Leave the worse group of a rule out of its segment; None when the worse side is the rest
    of the segment (one value doing better does not make each of the others worse)."""
    assert c.segment is not None and c.rule is not None
    seg = next(s for s in kernel.segments if s.id == c.segment)
    worse = c.other_member if better else c.member
    if worse is None:
        return None
    if c.rule in LISTED:
        listed: tuple[str, ...] = getattr(seg.rules, c.rule)
        shown = next((v for v in listed if norm_value(c.rule, v) == worse), worse)
        change = f"Remove {shown} from {c.segment}'s rules.{c.rule}"
        return "tighten_segment", f"{c.segment}.{c.rule}-{worse}", change
    bounds = getattr(seg.rules, c.rule)
    if worse.startswith("<"):  # the lower part goes: the cut becomes the minimum
        cut = float(worse.removeprefix("<"))
        old = "no minimum" if bounds.min is None else f"{bounds.min:,.0f}"
        change = f"Raise {c.segment}'s rules.{c.rule}.min from {old} to {cut:,.0f}"
        return "tighten_segment", f"{c.segment}.{c.rule}.min={cut:.0f}", change
    cut = float(worse.removeprefix(">="))  # the upper part goes: below the cut stays
    old = "no maximum" if bounds.max is None else f"{bounds.max:,.0f}"
    change = f"Lower {c.segment}'s rules.{c.rule}.max from {old} to {cut - 1:,.0f}"
    return "tighten_segment", f"{c.segment}.{c.rule}.max={cut - 1:.0f}", change


def _kernel_competitor(kernel: KernelSpec, name: str) -> str | None:
    low = name.strip().lower()
    for c in kernel.competitors:
        if low in (c.id.lower(), c.name.strip().lower()):
            return c.id
    return None


def competitor_stats(
    notes: Sequence[Note], signals: Counter[str], kernel: KernelSpec, window: Window
) -> list[CompetitorStats]:
    """Each competitor named in the window's notes or signals, most mentioned first."""
    cut = quarter_start(window)
    names = sorted({n.competitor for n in notes if n.competitor} | set(signals))
    rows = []
    for name in names:
        mine = [n for n in notes if n.competitor == name]
        rows.append(
            CompetitorStats(
                name=name,
                kernel_id=_kernel_competitor(kernel, name),
                mentions=len(mine),
                recent=sum(1 for n in mine if n.ts.date() >= cut),
                in_won=sum(1 for n in mine if n.outcome == "won"),
                in_lost=sum(1 for n in mine if n.outcome == "lost"),
                signals=signals.get(name, 0),
            )
        )
    return sorted(rows, key=lambda r: (-r.mentions, -r.signals, r.name))
