"""Journeys: the ordered touches that led (or did not lead) to a conversion, in a form the models
read in one vectorized pass.

A :class:`Journeys` holds many journeys the way a CSR matrix holds rows: ``offsets[i]`` to
``offsets[i + 1]`` are journey ``i``'s touches in time order, ``member[t]`` is touch ``t``'s
member (its channel, program, asset, segment or pillar) as an index into ``labels``. Per journey:
``conv`` conversions (1 for one deal or lead; a count for a journey that stands for many
identical paths), ``null`` non-conversions, and ``value`` (pipeline or revenue). Per touch,
optionally: ``age_days`` (days before the journey's end, for time decay), ``lead_key`` and
``opp_key`` (the touch that created the lead, and the one that created the opportunity: the key
touches of the W-shaped and full-path models) and ``weight`` (the touch type's weight).

:func:`build_journeys` (``feedback/sources.py``) reads them from the canonical tables;
:func:`from_arrays` from any touch-level arrays (the benchmark's raw touchpoints).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from demandos.errors import MetricError

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


class AttributionError(MetricError):
    """An attribution that cannot be computed as asked (an unknown model, milestone, level,
    dimension or option); the message names the option and the values it accepts."""


@dataclass(frozen=True, eq=False)
class Journeys:
    """Journeys in CSR form (see the module doc)."""

    offsets: IntArray
    member: IntArray
    conv: FloatArray
    null: FloatArray
    value: FloatArray
    labels: tuple[str, ...]
    age_days: FloatArray | None = None
    lead_key: BoolArray | None = None
    opp_key: BoolArray | None = None
    weight: FloatArray | None = None

    def __post_init__(self) -> None:
        n = self.offsets.size - 1
        if n < 0 or self.offsets[0] != 0 or self.offsets[-1] != self.member.size:
            raise ValueError("offsets must run from 0 to the number of touches")
        if np.any(np.diff(self.offsets) < 1):
            raise ValueError("every journey needs at least one touch")
        for name in ("conv", "null", "value"):
            if getattr(self, name).size != n:
                raise ValueError(f"{name} needs one entry per journey")
        if self.member.size and (self.member.min() < 0 or self.member.max() >= len(self.labels)):
            raise ValueError("member indexes must point into labels")

    def __len__(self) -> int:
        return int(self.offsets.size - 1)

    @property
    def touches(self) -> int:
        return int(self.member.size)

    @property
    def lengths(self) -> IntArray:
        return np.diff(self.offsets)

    @property
    def journey_of_touch(self) -> IntArray:
        """The journey index of every touch."""
        return np.repeat(np.arange(len(self), dtype=np.int64), self.lengths)

    @property
    def position(self) -> IntArray:
        """Each touch's 0-based position within its journey."""
        return np.arange(self.touches, dtype=np.int64) - self.offsets[self.journey_of_touch]

    @property
    def total_conversions(self) -> float:
        return float(self.conv.sum())

    @property
    def total_value(self) -> float:
        return float(self.value.sum())

    def converting(self) -> Journeys:
        """Only the journeys with a conversion (their non-conversions dropped)."""
        keep = self.conv > 0
        return self.select(keep, null=np.zeros(int(keep.sum())))

    def select(self, keep: BoolArray, *, null: FloatArray | None = None) -> Journeys:
        """The journeys where ``keep`` is true, in order."""
        lengths = self.lengths[keep]
        offsets = np.zeros(lengths.size + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        touch_keep = np.repeat(keep, self.lengths)
        return replace(
            self,
            offsets=offsets,
            member=self.member[touch_keep],
            conv=self.conv[keep],
            null=self.null[keep] if null is None else null,
            value=self.value[keep],
            age_days=None if self.age_days is None else self.age_days[touch_keep],
            lead_key=None if self.lead_key is None else self.lead_key[touch_keep],
            opp_key=None if self.opp_key is None else self.opp_key[touch_keep],
            weight=None if self.weight is None else self.weight[touch_keep],
        )

    def collapsed(self) -> tuple[IntArray, IntArray]:
        """``(offsets, member)`` with consecutive repeats of one member merged (``a > a > b`` is
        ``a > b``): the paths the Markov chain reads, as ChannelAttribution reads them."""
        m = self.member
        keep = np.ones(m.size, dtype=bool)
        keep[1:] = m[1:] != m[:-1]
        keep[self.offsets[:-1]] = True  # a journey's first touch always stays
        lengths = np.add.reduceat(keep.astype(np.int64), self.offsets[:-1]) if m.size else keep
        offsets = np.zeros(len(self) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        return offsets, m[keep]


def from_arrays(
    journey: npt.ArrayLike,
    member: npt.ArrayLike,
    labels: tuple[str, ...],
    conv: npt.ArrayLike,
    value: npt.ArrayLike | None = None,
    null: npt.ArrayLike | None = None,
) -> Journeys:
    """Journeys from touch-level arrays already ordered by journey, then time: ``journey`` ids
    (equal ids adjacent), ``member`` indexes into ``labels``; ``conv`` (and ``value``, ``null``)
    per journey in order of first appearance. ``null`` defaults to ``1 - conv`` clipped at 0."""
    j = np.asarray(journey)
    starts = np.flatnonzero(np.r_[True, j[1:] != j[:-1]]) if j.size else np.zeros(0, np.int64)
    offsets = np.append(starts, j.size).astype(np.int64)
    c = np.asarray(conv, dtype=np.float64)
    v = np.zeros_like(c) if value is None else np.asarray(value, dtype=np.float64)
    n = np.clip(1.0 - c, 0.0, None) if null is None else np.asarray(null, dtype=np.float64)
    return Journeys(offsets, np.asarray(member, dtype=np.int64), c, n, v, labels)
