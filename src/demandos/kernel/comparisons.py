"""Comparisons behind kernel refinement proposals: each group of a window's deals against the
rest, on the measures that say what a deal is worth and how fast it closes.

    stats = member_stats(deals, "segment", ["mid_market_finance", …], media)
    found = adjust(compare_member(deals, "segment", "mid_market_finance") + …)

**What is compared** (deals of the window, :mod:`demandos.kernel.evidence`):

- each segment, persona and pillar of kernel.yaml against every other deal of the window ("the
  rest") on *win rate* of deals closed in the window (pooled two-proportion z-test, Newcombe
  interval of the difference), *average deal size* of deals created in the window and *sales
  cycle* of deals won in the window (creation day to close date; both Welch z-tests);
- each rule of a segment inside the segment, on win rate and deal size: every industry and
  country it lists against the segment's other deals (with two values, one against the other),
  and its employee and revenue ranges split at the median of its deals' accounts (rounded to two
  significant figures), lower part against upper part;
- each competitor named in win/loss notes: its share of the notes of the window's last quarter
  against its share in the quarters before.

**When a comparison is tested.** Only when each side has at least ``MIN_PER_SIDE`` (30) — closed
deals for win rate, created deals for deal size, won deals for cycle, notes for mentions — and,
for shares, ``MIN_EXPECTED`` (5) expected successes and failures on the smaller side (the normal
approximation needs them). Otherwise the comparison keeps its numbers and the reason it was not
tested. :func:`adjust` gives every tested comparison of a run its Holm-adjusted p-value: one
family, so the chance of *any* false finding stays under ``ALPHA`` (5%).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Literal

from demandos.kernel.evidence import Deal, Note, Window, months_before
from demandos.spec.kernel import KernelSpec, Segment
from demandos.stats import (
    Interval,
    Moments,
    Test,
    holm,
    mean_interval,
    two_means,
    two_proportions,
    wilson,
)

MIN_PER_SIDE = 30
MIN_EXPECTED = 5
ALPHA = 0.05
Measure = Literal["win_rate", "deal_size", "cycle_days", "mention_share"]
MEASURES: dict[str, tuple[str, str]] = {  # measure: (name, unit)
    "win_rate": ("win rate", "percent"),
    "deal_size": ("average deal size", "currency"),
    "cycle_days": ("sales cycle", "days"),
    "mention_share": ("share of win/loss notes naming it", "percent"),
}
TESTS = {
    "win_rate": "two-proportion z-test",
    "deal_size": "Welch z-test",
    "cycle_days": "Welch z-test",
    "mention_share": "two-proportion z-test",
}


@dataclass(frozen=True)
class MemberStats:
    """One segment, persona or pillar over the window (intervals are 95%)."""

    dimension: str
    member: str
    in_kernel: bool
    closed: int
    won: int
    win_rate: float | None
    win_rate_ci: Interval | None
    created: int
    pipeline: float
    deal_size: float | None
    deal_size_ci: Interval | None
    cycle_won: int
    cycle_days: float | None
    cycle_ci: Interval | None
    media: float | None  # None: spend cannot be mapped to this dimension
    pipeline_per_media: float | None


@dataclass(frozen=True)
class Comparison:
    """One group against another on one measure, tested or not (``reason`` says why not)."""

    dimension: str  # segment, persona, pillar, rule, competitor
    member: str  # the group: a member id, a competitor, or a rule's value
    measure: Measure
    against: str  # what the group is compared with, in words
    value: float | None
    other: float | None
    n: int
    n_other: int
    test: Test | None = None  # None: not tested (see reason)
    adjusted_p: float | None = None
    reason: str | None = None
    segment: str | None = None  # rule comparisons: the segment and the rule field
    rule: str | None = None
    other_member: str | None = None  # when the group is compared with one other group

    @property
    def tested(self) -> bool:
        return self.test is not None and self.reason is None

    @property
    def significant(self) -> bool:
        return self.tested and self.adjusted_p is not None and self.adjusted_p <= ALPHA

    @property
    def better(self) -> bool | None:
        """Whether the group does better than what it is compared with (None: equal): a higher
        win rate or deal size, a shorter cycle; for a competitor, fewer mentions."""
        if self.value is None or self.other is None or self.value == self.other:
            return None
        higher = self.value > self.other
        return not higher if self.measure in ("cycle_days", "mention_share") else higher

    @property
    def test_name(self) -> str:
        return TESTS[self.measure]


def members(kernel: KernelSpec, dimension: str) -> list[str]:
    """The ids kernel.yaml lists for a dimension (segment, persona or pillar), in its order."""
    if dimension == "segment":
        return [s.id for s in kernel.segments]
    if dimension == "persona":
        return [p.id for p in kernel.personas]
    return [p.id for p in kernel.pillars]


def _moments(values: Iterable[float]) -> Moments:
    xs = list(values)
    return Moments(len(xs), sum(xs), sum(x * x for x in xs))


@dataclass(frozen=True)
class _Side:
    """What one group of deals adds up to."""

    closed: int
    won: int
    amounts: Moments
    cycles: Moments

    @classmethod
    def of(cls, deals: Iterable[Deal]) -> _Side:
        ds = list(deals)
        return cls(
            closed=sum(1 for d in ds if d.closed),
            won=sum(1 for d in ds if d.won),
            amounts=_moments(d.amount for d in ds if d.created),
            cycles=_moments(d.cycle_days for d in ds if d.cycle_days is not None),
        )


def member_stats(
    deals: Sequence[Deal],
    dimension: str,
    kernel_members: Sequence[str],
    media: dict[str, float] | None,
) -> list[MemberStats]:
    """One row per member: kernel members first (in kernel order, even without deals), then the
    others found in the deals (no segment, no lead, …), by name. ``media`` is the media spend
    by member, None when spend cannot carry the dimension."""
    groups: dict[str, list[Deal]] = defaultdict(list)
    for deal in deals:
        groups[deal.member(dimension)].append(deal)
    others = sorted(m for m in groups if m not in kernel_members)
    rows = []
    for member in [*kernel_members, *others]:
        side = _Side.of(groups.get(member, []))
        spend = media.get(member, 0.0) if media is not None else None
        pipeline = side.amounts.total
        rows.append(
            MemberStats(
                dimension=dimension,
                member=member,
                in_kernel=member in kernel_members,
                closed=side.closed,
                won=side.won,
                win_rate=side.won / side.closed if side.closed else None,
                win_rate_ci=wilson(side.won, side.closed),
                created=side.amounts.n,
                pipeline=pipeline,
                deal_size=side.amounts.mean,
                deal_size_ci=mean_interval(side.amounts),
                cycle_won=side.cycles.n,
                cycle_days=side.cycles.mean,
                cycle_ci=mean_interval(side.cycles),
                media=spend,
                pipeline_per_media=pipeline / spend if spend else None,
            )
        )
    return rows


@dataclass(frozen=True)
class Subject:
    """What a comparison is about: a group and what it is compared with."""

    dimension: str
    member: str
    against: str
    segment: str | None = None
    rule: str | None = None
    other_member: str | None = None


def _sample_reason(n: int, n_other: int, what: str) -> str | None:
    if min(n, n_other) < MIN_PER_SIDE:
        return f"{min(n, n_other)} {what} on the smaller side (a test needs {MIN_PER_SIDE})"
    return None


def _comparison(
    subject: Subject,
    measure: Measure,
    value: float | None,
    other: float | None,
    n: int,
    n_other: int,
    test: Test | None,
    reason: str | None,
) -> Comparison:
    return Comparison(
        dimension=subject.dimension, member=subject.member, measure=measure,
        against=subject.against, value=value, other=other, n=n, n_other=n_other, test=test,
        reason=reason, segment=subject.segment, rule=subject.rule,
        other_member=subject.other_member,
    )  # fmt: skip


def compare_proportions(
    subject: Subject, measure: Measure, k: int, n: int, k_other: int, n_other: int, what: str
) -> Comparison:
    """A share against another's; tested when the sample supports it (module doc)."""
    reason = _sample_reason(n, n_other, what)
    if reason is None:
        pooled = (k + k_other) / (n + n_other)
        low = min(n, n_other) * min(pooled, 1 - pooled)
        if low < MIN_EXPECTED:
            reason = (
                f"{low:.1f} expected on the smaller side (the normal approximation needs "
                f"{MIN_EXPECTED})"
            )
    test = two_proportions(k, n, k_other, n_other) if n and n_other else None
    value, other = (k / n if n else None), (k_other / n_other if n_other else None)
    return _comparison(subject, measure, value, other, n, n_other, test, reason)


def compare_means(
    subject: Subject, measure: Measure, a: Moments, b: Moments, what: str
) -> Comparison:
    """A mean against another's; tested when the sample supports it (module doc)."""
    reason = _sample_reason(a.n, b.n, what)
    test = two_means(a, b) if a.n >= 2 and b.n >= 2 else None
    return _comparison(subject, measure, a.mean, b.mean, a.n, b.n, test, reason)


def _measures(subject: Subject, side: _Side, rest: _Side, *, cycle: bool = True) -> list[
    Comparison
]:  # fmt: skip
    out = [
        compare_proportions(subject, "win_rate", side.won, side.closed, rest.won, rest.closed,
                            "closed deals"),
        compare_means(subject, "deal_size", side.amounts, rest.amounts, "deals created"),
    ]  # fmt: skip
    if cycle:
        out.append(compare_means(subject, "cycle_days", side.cycles, rest.cycles, "deals won"))
    return out


def compare_member(deals: Sequence[Deal], dimension: str, member: str) -> list[Comparison]:
    """A kernel member against every other deal of the window, on each measure; nothing when
    the member has no deal."""
    mine = [d for d in deals if d.member(dimension) == member]
    if not mine:
        return []
    rest = [d for d in deals if d.member(dimension) != member]
    subject = Subject(dimension, member, f"every other {dimension}")
    return _measures(subject, _Side.of(mine), _Side.of(rest))


def _industry(d: Deal) -> str | None:
    return d.industry.strip().lower() if d.industry else None


def _country(d: Deal) -> str | None:
    return d.country.strip().upper() if d.country else None


def _employees(d: Deal) -> float | None:
    return d.employees


def _revenue(d: Deal) -> float | None:
    return d.annual_revenue


LISTED: dict[str, Callable[[Deal], str | None]] = {"industries": _industry, "countries": _country}
RANGES: dict[str, Callable[[Deal], float | None]] = {
    "employees": _employees,
    "annual_revenue": _revenue,
}


def norm_value(rule: str, value: str) -> str:
    return value.strip().lower() if rule == "industries" else value.strip().upper()


def two_figures(value: float) -> float:
    """``value`` rounded to two significant figures (a readable cut point: 640, 86,000,000)."""
    return float(f"{value:.2g}")


def compare_rules(deals: Sequence[Deal], segment: Segment) -> list[Comparison]:
    """Each rule of ``segment`` inside the segment (module doc): the values a rule lists (each
    against the segment's other deals; with two values, one against the other), and the two
    halves of a range, on win rate and deal size."""
    mine = [d for d in deals if d.segment == segment.id]
    out: list[Comparison] = []
    for rule, key in LISTED.items():
        listed: tuple[str, ...] = getattr(segment.rules, rule)
        found = [v for v in dict.fromkeys(norm_value(rule, x) for x in listed)
                 if any(key(d) == v for d in mine)]  # fmt: skip
        if len(found) < 2:
            continue  # every deal of the segment has the one value: nothing to compare
        pairs = [(found[0], found[1])] if len(found) == 2 else [(v, None) for v in found]
        for value, other in pairs:
            against = f"{other} in {segment.id}" if other else f"the rest of {segment.id}"
            subject = Subject("rule", value, against, segment.id, rule, other)
            group = [d for d in mine if key(d) == value]
            rest = [d for d in mine if key(d) != value]
            out += _measures(subject, _Side.of(group), _Side.of(rest), cycle=False)
    for rule, number in RANGES.items():
        if getattr(segment.rules, rule) is None:
            continue
        values = [v for d in mine if (v := number(d)) is not None]
        if len(values) < 2:
            continue
        cut = two_figures(statistics.median(values))
        lower = [d for d in mine if (v := number(d)) is not None and v < cut]
        upper = [d for d in mine if (v := number(d)) is not None and v >= cut]
        if not lower or not upper:
            continue
        subject = Subject("rule", f"<{cut:.0f}", f"{rule} {cut:,.0f} or more in {segment.id}",
                          segment.id, rule, f">={cut:.0f}")  # fmt: skip
        out += _measures(subject, _Side.of(lower), _Side.of(upper), cycle=False)
    return out


def quarter_start(window: Window) -> date:
    """The first day of the window's last quarter."""
    return months_before(window.end, 3)


def compare_mentions(notes: Sequence[Note], window: Window) -> list[Comparison]:
    """Each competitor's share of the win/loss notes of the window's last quarter against its
    share in the quarters before (needs a window of two quarters or more)."""
    if window.quarters < 2:
        return []
    cut = quarter_start(window)
    recent = [n for n in notes if n.ts.date() >= cut]
    before = [n for n in notes if n.ts.date() < cut]
    out = []
    for name in sorted({n.competitor for n in notes if n.competitor}):
        k = sum(1 for n in recent if n.competitor == name)
        k_before = sum(1 for n in before if n.competitor == name)
        subject = Subject("competitor", name, "the quarters before")
        out.append(compare_proportions(subject, "mention_share", k, len(recent), k_before,
                                       len(before), "win/loss notes"))  # fmt: skip
    return out


def adjust(comparisons: Sequence[Comparison]) -> list[Comparison]:
    """The comparisons with Holm-adjusted p-values over every tested one (one family)."""
    tested = [(i, c.test.p_value) for i, c in enumerate(comparisons) if c.test and c.tested]
    out = list(comparisons)
    for (i, _), adjusted in zip(tested, holm([p for _, p in tested]), strict=True):
        out[i] = replace(out[i], adjusted_p=adjusted)
    return out


def considered(comparisons: Sequence[Comparison]) -> list[Comparison]:
    """Differences that look notable (unadjusted p below ``ALPHA``) but were not tested for want
    of sample, strongest first."""
    found = [c for c in comparisons if not c.tested and c.test and c.test.p_value < ALPHA]
    return sorted(found, key=lambda c: c.test.p_value if c.test else 1.0)
