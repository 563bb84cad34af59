"""Rule-based models, all computed in one vectorized pass over the touches.

Every model gives each touch of a journey a share of that journey's conversions (and value);
the shares of a journey sum to 1, so a model's credit sums exactly to the conversions and the
value it distributes. With ``n`` touches in a journey:

==============  ==============================================================================
first           the first touch gets everything
last            the last touch gets everything
linear          1/n each
time_decay      proportional to 2^(-age / half-life), age in days before the journey's end
position        U-shaped: the first and last touches get ``first`` and ``last`` (40% each by
                default), the touches between share ``middle``; one touch gets all, two
                touches split first : last
w_shaped        the first touch, the lead-creation touch and the last touch share 90%, the
                others 10%; key touches that coincide count once
full_path       Z-shaped: first, lead-creation, opportunity-creation and last touches share
                90%, the others 10%
==============  ==============================================================================

When a key touch is unknown (a journey to a lead has no lead-creation touch before its last, a
journey without an opportunity no opportunity-creation touch), it coincides with the last touch.
Where the touches are all keys, they share the journey equally. A touch type's ``weight``
multiplies each touch's share in every model before the journey is normalized to 1 again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from demandos.feedback.journeys import BoolArray, FloatArray, IntArray, Journeys

HEURISTICS = ("first", "last", "linear", "time_decay", "position", "w_shaped", "full_path")
KEY_SHARE = 0.9
"""The share the key touches of the W-shaped and full-path models get together."""


@dataclass(frozen=True)
class HeuristicOptions:
    half_life_days: float = 7.0
    position: tuple[float, float, float] = (0.4, 0.2, 0.4)  # first, middle (together), last

    def __post_init__(self) -> None:
        if self.half_life_days <= 0:
            raise ValueError("the half-life must be a positive number of days")
        if any(p < 0 for p in self.position) or abs(sum(self.position) - 1.0) > 1e-9:
            raise ValueError("position weights (first, middle, last) must be ≥ 0 and sum to 1")


@dataclass(frozen=True, eq=False)
class Credit:
    """One model's credit per member: conversions and value, in the order of ``labels``."""

    model: str
    labels: tuple[str, ...]
    conversions: FloatArray
    value: FloatArray
    extra: dict[str, FloatArray] = field(default_factory=dict)  # removal effects, intervals…


@dataclass(frozen=True, eq=False)
class _Touches:
    """What every heuristic reads: per touch its journey, position and journey length."""

    jid: IntArray
    pos: IntArray
    n: IntArray
    first: BoolArray
    last: BoolArray


def _touches(j: Journeys) -> _Touches:
    jid = j.journey_of_touch
    pos = np.arange(j.touches, dtype=np.int64) - j.offsets[jid]
    n = j.lengths[jid]
    return _Touches(jid, pos, n, pos == 0, pos == n - 1)


def _keys(t: _Touches, keys: BoolArray, share: float, j: Journeys) -> FloatArray:
    """Key touches share ``share`` equally, the others ``1 - share`` equally; all keys: equal."""
    k = np.bincount(t.jid, weights=keys, minlength=len(j))[t.jid]
    rest = t.n - k
    others = np.where(rest > 0, (1.0 - share) / np.maximum(rest, 1), 0.0)
    mine = np.where(rest > 0, share / k, 1.0 / k)
    return np.where(keys, mine, others)


def _last_where(t: _Touches, flag: BoolArray | None, j: Journeys) -> BoolArray:
    """The last touch of each journey where ``flag`` holds (the last touch when none does)."""
    if flag is None or not len(j):
        return t.last
    idx = np.where(flag, t.pos, -1)
    best = np.maximum.reduceat(idx, j.offsets[:-1])
    best = np.where(best < 0, j.lengths - 1, best)
    return np.asarray(t.pos == best[t.jid], dtype=bool)


def _position(t: _Touches, o: HeuristicOptions) -> FloatArray:
    first, middle, last = o.position
    ends = first + last
    two = np.where(t.first, first, last) / (ends if ends > 0 else 1.0)
    if ends == 0:
        two = np.full(t.pos.size, 0.5)
    many = np.where(t.first, first, np.where(t.last, last, middle / np.maximum(t.n - 2, 1)))
    return np.where(t.n == 1, 1.0, np.where(t.n == 2, two, many))


def raw_weights(j: Journeys, o: HeuristicOptions) -> dict[str, FloatArray]:
    """Each model's unnormalized share per touch."""
    t = _touches(j)
    age = j.age_days if j.age_days is not None else (t.n - 1 - t.pos).astype(np.float64)
    lead = _last_where(t, j.lead_key, j)
    opp = _last_where(t, j.opp_key, j)
    return {
        "first": t.first.astype(np.float64),
        "last": t.last.astype(np.float64),
        "linear": np.ones(t.pos.size),
        "time_decay": np.exp2(-np.maximum(age, 0.0) / o.half_life_days),
        "position": _position(t, o),
        "w_shaped": _keys(t, t.first | lead | t.last, KEY_SHARE, j),
        "full_path": _keys(t, t.first | lead | opp | t.last, KEY_SHARE, j),
    }


def heuristics(
    j: Journeys, options: HeuristicOptions | None = None, models: tuple[str, ...] = HEURISTICS
) -> dict[str, Credit]:
    """The credit of each heuristic model in ``models``, from one pass over the touches."""
    o = options or HeuristicOptions()
    if np.any(j.conv == 0):  # a journey without conversions gives no credit in any heuristic
        j = j.converting()
    jid = j.journey_of_touch
    weights = raw_weights(j, o)
    out: dict[str, Credit] = {}
    m = len(j.labels)
    for name in models:
        w = weights[name] if j.weight is None else weights[name] * j.weight
        total = np.bincount(jid, weights=w, minlength=len(j))
        share = np.divide(w, total[jid], out=np.zeros_like(w), where=total[jid] > 0)
        out[name] = Credit(
            name,
            j.labels,
            np.bincount(j.member, weights=share * j.conv[jid], minlength=m).astype(np.float64),
            np.bincount(j.member, weights=share * j.value[jid], minlength=m).astype(np.float64),
        )
    return out


Model = Callable[[Journeys, HeuristicOptions], Credit]


def model(name: str) -> Model:
    """One heuristic as a model function (for the registry in ``feedback/attribution.py``)."""

    def run(j: Journeys, o: HeuristicOptions) -> Credit:
        return heuristics(j, o, (name,))[name]

    return run
