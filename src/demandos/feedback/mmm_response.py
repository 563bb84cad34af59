"""Budget response from a fitted media-mix model: the transforms, response curves, reallocation.

Pure NumPy, so the arithmetic is checked by hand without PyMC. The model (``mmm.py``) turns a
channel's weekly spend ``x`` into weekly pipeline in three steps, the same as PyMC-Marketing's
``GeometricAdstock(normalize=True)`` and ``LogisticSaturation``:

* **adstock** — ``a(t) = Σ_{l<L} w_l · x(t − l)`` with ``w_l = α^l / Σ_k α^k``: spend keeps working
  for ``L`` weeks, its weight falling by ``α`` each week (weights sum to 1, so a steady spend
  ``x`` has adstock ``x``);
* **saturation** — ``s(u) = (1 − e^{−λu}) / (1 + e^{−λu})`` of the spend in the channel's scale
  ``u = a / channel_scale``: each extra dollar buys less;
* **effect** — ``target_scale · β · s``, pipeline per week.

The response curve of a channel is therefore, at a steady weekly spend ``x``,
``r(x) = target_scale · β · s(x / channel_scale)`` — one curve per posterior draw. A reallocation
moves a fixed total budget between channels, each within ``±max_shift`` of its current spend, to
maximize the expected (posterior-mean) pipeline; its gain is reported with the interval of the
draws.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
INTERVAL = 0.90  # the interval reported everywhere: 5th to 95th percentile of the draws
CONFIDENT = 0.8  # below this share of draws gaining, a move is a test to run, not a decision


def geometric_adstock(x: npt.ArrayLike, alpha: float, l_max: int) -> FloatArray:
    """Normalized geometric adstock of a weekly series (before the first week: no spend)."""
    series = np.asarray(x, dtype=np.float64)
    weights = alpha ** np.arange(l_max, dtype=np.float64)
    weights /= weights.sum()
    out = np.zeros_like(series)
    for lag, w in enumerate(weights):
        out[lag:] += w * series[: series.size - lag]
    return out


def logistic_saturation(u: npt.ArrayLike, lam: npt.ArrayLike) -> FloatArray:
    """``(1 − e^{−λu}) / (1 + e^{−λu})``: 0 at no spend, approaching 1."""
    e = np.exp(-np.asarray(lam, dtype=np.float64) * np.asarray(u, dtype=np.float64))
    return np.asarray((1.0 - e) / (1.0 + e), dtype=np.float64)


def quantiles(samples: FloatArray) -> tuple[float, float]:
    """The reported interval of a set of draws."""
    tail = (1.0 - INTERVAL) / 2.0
    lo, hi = np.quantile(samples, [tail, 1.0 - tail])
    return float(lo), float(hi)


@dataclass(frozen=True)
class ResponseCurve:
    """A channel's weekly pipeline at a steady weekly spend, one curve per posterior draw."""

    channel: str
    beta: FloatArray  # per draw
    lam: FloatArray  # per draw
    channel_scale: float  # spend that maps to 1 in the model's units
    target_scale: float  # pipeline that maps to 1

    def draws(self, spend: float) -> FloatArray:
        """Weekly pipeline at weekly ``spend``, per draw."""
        u = max(spend, 0.0) / self.channel_scale
        return np.asarray(self.target_scale * self.beta * logistic_saturation(u, self.lam))

    def mean(self, spend: float) -> float:
        return float(self.draws(spend).mean())

    def slope(self, spend: float) -> float:
        """d(mean pipeline)/d(spend): what the next dollar buys (falls as spend grows)."""
        u = max(spend, 0.0) / self.channel_scale
        e = np.exp(-self.lam * u)
        ds = 2.0 * self.lam * e / (1.0 + e) ** 2 / self.channel_scale
        return float((self.target_scale * self.beta * ds).mean())

    def points(self, spends: FloatArray) -> list[tuple[float, float, float, float]]:
        """(spend, mean, low, high) along ``spends``: the chart of the curve."""
        out = []
        for x in spends:
            d = self.draws(float(x))
            lo, hi = quantiles(d)
            out.append((float(x), float(d.mean()), lo, hi))
        return out


@dataclass(frozen=True)
class Move:
    """One channel in a reallocation: weekly spend before and after, and its pipeline change."""

    channel: str
    current: float
    proposed: float
    pipeline_change: float  # expected weekly pipeline, proposed − current

    @property
    def shift(self) -> float:
        return self.proposed - self.current


@dataclass(frozen=True)
class Reallocation:
    """A budget moved between channels at a held total, with its expected gain and interval."""

    budget: float  # weekly total, held
    max_shift: float  # each channel within ±max_shift of its current spend
    weeks: int  # the horizon the gain is stated over
    moves: list[Move]
    current_pipeline: float  # expected weekly pipeline from the channels at the current mix
    gain: float  # expected weekly pipeline gained
    gain_low: float
    gain_high: float
    probability_positive: float  # share of draws in which the move gains pipeline

    def sentences(self, currency: str = "") -> list[str]:
        """``Move $X from A to B`` lines, biggest first, and the gain over the horizon."""
        unit = f" {currency}" if currency else ""
        givers = sorted((m for m in self.moves if m.shift < -0.5), key=lambda m: m.shift)
        takers = sorted((m for m in self.moves if m.shift > 0.5), key=lambda m: -m.shift)
        lines: list[str] = []
        left = {m.channel: -m.shift for m in givers}
        for taker in takers:
            need = taker.shift
            for giver in givers:
                amount = min(need, left[giver.channel])
                if amount > 0.5:
                    lines.append(f"Move {amount:,.0f}{unit}/week from {giver.channel} "
                                 f"to {taker.channel}")  # fmt: skip
                    left[giver.channel] -= amount
                    need -= amount
        if not lines:
            lines.append("Keep the current mix: no move within the caps gains pipeline")
        w = self.weeks
        lines.append(
            f"Expected {self.gain * w:+,.0f}{unit} pipeline over {w} weeks "
            f"({INTERVAL:.0%} interval {self.gain_low * w:+,.0f} to {self.gain_high * w:+,.0f}; "
            f"{self.probability_positive:.0%} of draws gain)"
        )
        if lines[0].startswith("Move") and self.probability_positive < CONFIDENT:
            lines.append("The interval spans a loss: test the move on part of the budget first "
                         "(demandos experiment) rather than shift it all")  # fmt: skip
        return lines


def _spend_at_slope(curve: ResponseCurve, mu: float, lo: float, hi: float) -> float:
    """The spend in [lo, hi] where the curve's slope is ``mu`` (the slope falls with spend)."""
    if curve.slope(lo) <= mu:
        return lo
    if curve.slope(hi) >= mu:
        return hi
    for _ in range(100):
        mid = (lo + hi) / 2.0
        if curve.slope(mid) > mu:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2.0


def reallocate(
    curves: list[ResponseCurve],
    current: dict[str, float],
    *,
    budget: float | None = None,
    max_shift: float = 0.3,
    weeks: int = 13,
) -> Reallocation:
    """The mix of ``budget`` (default: the current total) that maximizes expected pipeline.

    Each channel stays within ``current × (1 ± max_shift)`` (scaled to ``budget`` when a new
    total is given) and the total is held exactly. The curves are concave, so the optimum is
    where every channel not at a cap has the same slope: found by bisection on that slope.
    """
    if not 0.0 <= max_shift <= 1.0:
        raise ValueError(f"max_shift must be between 0 and 1, not {max_shift}")
    if not curves:
        raise ValueError("no channel to reallocate between")
    base_total = sum(current[c.channel] for c in curves)
    total = base_total if budget is None else float(budget)
    if total < 0 or base_total <= 0:
        raise ValueError("the budget to reallocate must be positive")
    base = {c.channel: current[c.channel] * total / base_total for c in curves}
    bounds = {k: (v * (1.0 - max_shift), v * (1.0 + max_shift)) for k, v in base.items()}

    def spend_at(mu: float) -> dict[str, float]:
        return {c.channel: _spend_at_slope(c, mu, *bounds[c.channel]) for c in curves}

    lo_mu, hi_mu = 0.0, max(c.slope(bounds[c.channel][0]) for c in curves) + 1.0
    for _ in range(200):  # more spend at a lower slope: find the slope that spends the total
        mid = (lo_mu + hi_mu) / 2.0
        if sum(spend_at(mid).values()) > total:
            lo_mu = mid
        else:
            hi_mu = mid
    proposed = spend_at((lo_mu + hi_mu) / 2.0)
    # bisection leaves a rounding remainder: put it on the channels not at a cap
    free = [k for k, v in proposed.items() if bounds[k][0] < v < bounds[k][1]] or list(proposed)
    remainder = (total - sum(proposed.values())) / len(free)
    for k in free:
        proposed[k] = min(max(proposed[k] + remainder, bounds[k][0]), bounds[k][1])

    before = sum(c.draws(base[c.channel]) for c in curves)
    after = sum(c.draws(proposed[c.channel]) for c in curves)
    delta = np.asarray(after - before)
    low, high = quantiles(delta)
    moves = [
        Move(
            c.channel,
            base[c.channel],
            proposed[c.channel],
            c.mean(proposed[c.channel]) - c.mean(base[c.channel]),
        )
        for c in curves
    ]
    return Reallocation(
        budget=total,
        max_shift=max_shift,
        weeks=weeks,
        moves=moves,
        current_pipeline=float(np.mean(before)),
        gain=float(delta.mean()),
        gain_low=low,
        gain_high=high,
        probability_positive=float((delta > 0).mean()),
    )
