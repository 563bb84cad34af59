"""Kernel conformance: how much of a period's spend, programs, assets, touches and pipeline maps
to an ICP segment and to a message pillar, and what does not, with its owner.

What counts as mapped, for each thing measured:

=========  =============================================================================
spend      media spend in the period (``amount`` summed as the metrics engine sums it),
           mapped through its program in ``channels.yaml`` (:class:`KernelMap`: the
           program's first segment and pillar); a program not in channels.yaml maps to none
programs   the programs of ``channels.yaml`` (a count; not dated): a segment when one of
           its ``segments`` is a kernel segment, a pillar when one of its ``pillars`` is
assets     the published assets of the assets table (a count): a segment when one of its
           ``segments`` is a kernel segment, a pillar when its ``pillar`` is a kernel pillar
touches    touchpoints in the period (a count): a segment when the touch's account (else its
           person's account) fits an ICP segment; a pillar when its asset, else its program,
           carries one (:class:`KernelMap`)
pipeline   opportunities created in the period (``amount`` summed): a segment when the
           account fits one; a pillar when the account's first pillar touch in the 180 days
           before the deal carries one (:func:`demandos.kernel.evidence.read_deals`)
=========  =============================================================================

Every mapped share counts a member of kernel.yaml only: an asset or program whose pillar is not
a kernel pillar carries none.

The off-kernel list names each program, asset and program's spend that maps to no segment or
no pillar, with its owner (programs: channels.yaml; assets: their ``owner`` column; spend: its
program's owner, none when the program is not in channels.yaml). :func:`spend_warning` is the
warning `demandos check` gives for the last full month's off-kernel spend.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from datetime import date
from typing import Any

from demandos.errors import Finding
from demandos.kernel.evidence import Window, read_deals
from demandos.kernel.mapping import KernelMap
from demandos.metrics.components import UNASSIGNED, in_period
from demandos.metrics.periods import Period, current_period
from demandos.spec.channels import ChannelsSpec
from demandos.spec.kernel import KernelSpec, Pillar, Segment
from demandos.spec.rules import finding
from demandos.spec.specs import Specs
from demandos.store.facts import FactStore

MEASURED = ("spend", "programs", "assets", "touches", "pipeline")


@dataclass(frozen=True)
class Share:
    """One thing measured: its total and the part of it mapped to a segment, to a pillar."""

    what: str
    total: float
    on_segment: float
    on_pillar: float

    @staticmethod
    def _of(part: float, total: float) -> float | None:
        return part / total if total else None

    @property
    def segment_share(self) -> float | None:
        """The share mapped to an ICP segment; None when there is nothing to measure."""
        return self._of(self.on_segment, self.total)

    @property
    def pillar_share(self) -> float | None:
        """The share mapped to a message pillar; None when there is nothing to measure."""
        return self._of(self.on_pillar, self.total)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "segment_share": self.segment_share,
                "pillar_share": self.pillar_share}  # fmt: skip


@dataclass(frozen=True)
class OffKernel:
    """A program, asset or program's spend that maps to no segment or no pillar."""

    kind: str  # "program" | "asset" | "spend"
    id: str
    name: str
    owner: str | None
    missing: tuple[str, ...]  # "segment", "pillar"
    amount: float | None = None  # spend in the period (spend lines only)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "missing": list(self.missing)}


@dataclass(frozen=True)
class Conformance:
    """A period's conformance report."""

    period: str
    start: date
    end: date  # exclusive
    shares: tuple[Share, ...]
    off_kernel: tuple[OffKernel, ...]

    def share(self, what: str) -> Share:
        return next(s for s in self.shares if s.what == what)

    def as_dict(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "shares": [s.as_dict() for s in self.shares],
            "off_kernel": [o.as_dict() for o in self.off_kernel],
        }


@dataclass(frozen=True)
class OffKernelSpend:
    """Media spend of some days that maps to no segment or no pillar."""

    total: float
    off: float
    programs: tuple[OffKernel, ...]  # largest first

    @property
    def share(self) -> float | None:
        return self.off / self.total if self.total else None


def _ids(items: Iterable[Segment | Pillar]) -> list[str]:
    return sorted(i.id for i in items)


def _missing(segment: bool, pillar: bool) -> tuple[str, ...]:
    return tuple(name for name, ok in (("segment", segment), ("pillar", pillar)) if not ok)


def off_kernel_spend(
    facts: FactStore, kernel: KernelSpec, channels: ChannelsSpec, start: date, end: date
) -> OffKernelSpend:
    """Media spend in ``[start, end)`` and the programs whose spend maps to no segment or no
    pillar, with their amounts and owners."""
    km = KernelMap(kernel, channels, facts.table)
    s = km.add("spend", facts.table("spend"), ["segment", "pillar"])
    s = s.filter(in_period(s.date, "date", start, end))
    rows = (
        s.group_by(program=s.program_id, segment=s._segment, pillar=s._pillar)
        .aggregate(amount=s.amount.sum())
        .to_pyarrow()
        .to_pylist()
    )
    programs = {p.id: p for p in channels.programs}
    segments, pillars = _ids(kernel.segments), _ids(kernel.pillars)
    total = math.fsum(float(r["amount"] or 0.0) for r in rows)
    off: dict[str, tuple[tuple[str, ...], float]] = {}
    for r in rows:
        missing = _missing(r["segment"] in segments, r["pillar"] in pillars)
        if missing:
            key = str(r["program"] or UNASSIGNED)
            was = off.get(key, ((), 0.0))
            merged = tuple(m for m in ("segment", "pillar") if m in missing or m in was[0])
            off[key] = (merged, was[1] + float(r["amount"] or 0.0))
    lines = []
    for pid, (missing, amount) in off.items():
        p = programs.get(pid)
        name = p.name if p else "(not in channels.yaml)"
        lines.append(OffKernel("spend", pid, name, p.owner if p else None, missing, amount))
    lines.sort(key=lambda o: (-(o.amount or 0.0), o.id))
    return OffKernelSpend(total, math.fsum(o.amount or 0.0 for o in lines), tuple(lines))


def _programs(kernel: KernelSpec, channels: ChannelsSpec) -> tuple[Share, list[OffKernel]]:
    segments, pillars = set(_ids(kernel.segments)), set(_ids(kernel.pillars))
    off, seg, pil = [], 0, 0
    for p in channels.programs:
        on_seg, on_pil = bool(set(p.segments) & segments), bool(set(p.pillars) & pillars)
        seg, pil = seg + on_seg, pil + on_pil
        if missing := _missing(on_seg, on_pil):
            off.append(OffKernel("program", p.id, p.name, p.owner, missing))
    return Share("programs", len(channels.programs), seg, pil), off


def _assets(facts: FactStore, kernel: KernelSpec) -> tuple[Share, list[OffKernel]]:
    segments, pillars = set(_ids(kernel.segments)), set(_ids(kernel.pillars))
    a = facts.table("assets")
    a = a.filter(a.status.lower() == "published")
    rows: Iterable[dict[str, Any]] = (
        a.select("asset_id", "title", "pillar", "segments", "owner")
        .order_by("asset_id")
        .to_pyarrow()
        .to_pylist()
    )
    off, seg, pil, n = [], 0, 0, 0
    for r in rows:
        n += 1
        on_seg = bool(set(r["segments"] or ()) & segments)
        on_pil = r["pillar"] in pillars
        seg, pil = seg + on_seg, pil + on_pil
        if missing := _missing(on_seg, on_pil):
            off.append(OffKernel("asset", r["asset_id"], r["title"], r["owner"], missing))
    return Share("assets", n, seg, pil), off


def _touches(
    facts: FactStore, kernel: KernelSpec, channels: ChannelsSpec, start: date, end: date
) -> Share:
    km = KernelMap(kernel, channels, facts.table)
    # one dimension at a time: KernelMap.add cannot join both the account and the asset yet
    t = km.add("touchpoints", facts.table("touchpoints"), ["segment"])
    t = km.add("touchpoints", t, ["pillar"])
    t = t.filter(in_period(t.ts, "timestamp", start, end))
    on_seg = t._segment.isin(_ids(kernel.segments))
    on_pil = t._pillar.isin(_ids(kernel.pillars))
    row = (
        t.aggregate(
            n=t.count(), seg=on_seg.fill_null(False).sum(), pil=on_pil.fill_null(False).sum()
        )
        .to_pyarrow()
        .to_pylist()[0]
    )
    return Share("touches", int(row["n"] or 0), int(row["seg"] or 0), int(row["pil"] or 0))


def _pipeline(
    facts: FactStore, kernel: KernelSpec, channels: ChannelsSpec, start: date, end: date
) -> Share:
    window = Window(start, end, f"{start} to {end}", 0)
    deals = [d for d in read_deals(facts, kernel, channels, window) if d.created]
    segments, pillars = _ids(kernel.segments), _ids(kernel.pillars)
    return Share(
        "pipeline",
        math.fsum(d.amount for d in deals),
        math.fsum(d.amount for d in deals if d.segment in segments),
        math.fsum(d.amount for d in deals if d.pillar in pillars),
    )


def _spend(
    facts: FactStore, kernel: KernelSpec, channels: ChannelsSpec, start: date, end: date
) -> Share:
    km = KernelMap(kernel, channels, facts.table)
    s = km.add("spend", facts.table("spend"), ["segment", "pillar"])
    s = s.filter(in_period(s.date, "date", start, end))
    row = (
        s.aggregate(
            total=s.amount.sum(),
            seg=s.amount.sum(where=s._segment.isin(_ids(kernel.segments)).fill_null(False)),
            pil=s.amount.sum(where=s._pillar.isin(_ids(kernel.pillars)).fill_null(False)),
        )
        .to_pyarrow()
        .to_pylist()[0]
    )
    return Share("spend", *(float(row[k] or 0.0) for k in ("total", "seg", "pil")))


def dated_shares(
    facts: FactStore, kernel: KernelSpec, channels: ChannelsSpec, start: date, end: date
) -> dict[str, Share]:
    """The shares of spend, touches and pipeline in ``[start, end)`` on the kernel (the systems
    audit's kernel checks read them too)."""
    return {
        "spend": _spend(facts, kernel, channels, start, end),
        "touches": _touches(facts, kernel, channels, start, end),
        "pipeline": _pipeline(facts, kernel, channels, start, end),
    }


def conformance(
    facts: FactStore, kernel: KernelSpec, channels: ChannelsSpec, period: Period
) -> Conformance:
    """The conformance report of ``period`` (see the module doc)."""
    dated = dated_shares(facts, kernel, channels, period.start, period.end)
    spend = off_kernel_spend(facts, kernel, channels, period.start, period.end)
    programs, off_programs = _programs(kernel, channels)
    assets, off_assets = _assets(facts, kernel)
    shares = (dated["spend"], programs, assets, dated["touches"], dated["pipeline"])
    off = (*off_programs, *off_assets, *spend.programs)
    return Conformance(period.label, period.start, period.end, shares, off)


def last_full_month(today: date, *, fiscal_year_start_month: int = 1) -> Period:
    """The month before the one that contains ``today`` (the report's default period)."""
    month = current_period("month", today, fiscal_year_start_month=fiscal_year_start_month)
    return month.shift(-1)


def spend_warning(facts: FactStore, specs: Specs, today: date) -> Finding | None:
    """The `demandos check` warning for the last full month's off-kernel media spend, with the
    amount and the programs; None when all of it maps to a segment and a pillar."""
    fy = specs.workspace.fiscal_year_start_month
    month = last_full_month(today, fiscal_year_start_month=fy)
    spend = off_kernel_spend(facts, specs.kernel, specs.channels, month.start, month.end)
    if not spend.off or spend.share is None:
        return None
    currency = specs.workspace.currency
    programs = ", ".join(
        f"{o.id} {o.amount or 0.0:,.0f} ({o.owner or 'no owner'}: no {' or '.join(o.missing)})"
        for o in spend.programs
    )
    index = next(
        (i for i, p in enumerate(specs.channels.programs) if p.id == spend.programs[0].id), None
    )
    path: tuple[str | int, ...] = ("programs",) if index is None else ("programs", index)
    found = finding(
        specs,
        "channels.yaml",
        path,
        f"off-kernel media spend in {month.label}: {spend.off:,.0f} {currency} of "
        f"{spend.total:,.0f} ({spend.share:.0%}) maps to no ICP segment or no message pillar: "
        f"{programs}",
        "map these programs to segments and pillars in channels.yaml, or cut their spend "
        "(`demandos kernel conformance`)",
        severity="warning",
    )
    return replace(found, rule="off_kernel_spend")
