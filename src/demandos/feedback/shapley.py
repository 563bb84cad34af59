"""Shapley-value attribution over members (channels, programs, …).

The game: a coalition ``S`` of members is worth what the journeys whose set of members lies
inside ``S`` produced.

- **Converting journeys only** (``nulls=False``): ``v(S)`` = conversions (or value) of the
  journeys whose member set is a subset of ``S``. Its Möbius inverse — the Harsanyi dividend of
  each set ``T`` — is the conversions of the journeys whose member set is exactly ``T``, so the
  Shapley value is exact for any number of members: every journey's conversions split equally
  among its distinct members, ``φᵢ = Σ_{T ∋ i} f(T) / |T|``.
- **With non-converting journeys** (``nulls=True``): ``v(S)`` = the conversion rate (conversions,
  or value, per journey) of the journeys whose member set lies inside ``S`` (0 when there are
  none); when every journey converts, the conversions game above. Exact up to
  :data:`EXACT_MAX` members: the subset sums over all ``2ⁿ`` coalitions come from one zeta
  transform (``n·2ⁿ`` additions), then ``φᵢ = Σ_{S ∌ i} |S|!(n−|S|−1)!/n! ·
  (v(S ∪ i) − v(S))``. Beyond, a Monte Carlo estimate over random orders of the members with
  a 95% confidence interval per member (``ci_low``, ``ci_high``); every sampled order adds up
  to ``v(N)``, so the estimate keeps efficiency exactly.

Credit: the conversions (value) times ``φᵢ / v(N)``, which sums exactly to the conversions
(value) distributed. A member whose presence lowers the conversion rate gets negative credit.
"""

from __future__ import annotations

import math

import numpy as np

from demandos.feedback.heuristics import Credit
from demandos.feedback.journeys import FloatArray, IntArray, Journeys

EXACT_MAX = 16
"""Members up to which the Shapley value over conversion rates is computed exactly."""
SAMPLES = 4000
"""Random orders of the members the sampled estimate reads."""


def _distinct_sets(j: Journeys) -> tuple[IntArray, IntArray, IntArray]:
    """``(offsets, members, set_of_journey)``: each distinct member set (sorted members, CSR)
    and the index of every journey's set."""
    jid = j.journey_of_touch
    m = len(j.labels)
    pairs = np.unique(jid * m + j.member)  # distinct (journey, member), sorted
    pj, pm = pairs // m, pairs % m
    lengths = np.bincount(pj, minlength=len(j))
    offsets = np.zeros(len(j) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    if m <= 62:  # a journey's set as a bit mask
        keys = np.bitwise_or.reduceat(np.left_shift(1, pm), offsets[:-1]) if pm.size else pm
        _, set_of = np.unique(keys, return_inverse=True)
        set_of = set_of.astype(np.int64).ravel()
        n_sets = int(set_of.max()) + 1 if set_of.size else 0
    else:  # the set as bytes of its sorted members
        seen: dict[bytes, int] = {}
        set_of = np.fromiter(
            (seen.setdefault(pm[offsets[i] : offsets[i + 1]].tobytes(), len(seen))
             for i in range(len(j))), np.int64, len(j),
        )  # fmt: skip
        n_sets = len(seen)
    first = np.zeros(n_sets, dtype=np.int64)
    first[set_of[::-1]] = np.arange(len(j) - 1, -1, -1)
    s_len = lengths[first]
    s_off = np.zeros(n_sets + 1, dtype=np.int64)
    np.cumsum(s_len, out=s_off[1:])
    members = np.concatenate([pm[offsets[i] : offsets[i + 1]] for i in first]) if len(j) else pm
    return s_off, members, set_of


def _dividends(j: Journeys) -> tuple[FloatArray, FloatArray]:
    """Exact Shapley over converting journeys: conversions and value split equally among each
    journey's distinct members."""
    jid = j.journey_of_touch
    m = len(j.labels)
    pairs = np.unique(jid * m + j.member)
    pj, pm = pairs // m, pairs % m
    size = np.bincount(pj, minlength=len(j)).astype(np.float64)
    conv = np.bincount(pm, weights=j.conv[pj] / size[pj], minlength=m).astype(np.float64)
    value = np.bincount(pm, weights=j.value[pj] / size[pj], minlength=m).astype(np.float64)
    return conv, value


def _rate_game_exact(masks: IntArray, n: int, outcome: FloatArray, count: FloatArray) -> FloatArray:
    """Shapley values of ``v(S) = outcome(⊆S) / count(⊆S)`` for every member, exactly."""
    size = 1 << n
    out_sum = np.bincount(masks, weights=outcome, minlength=size)
    cnt_sum = np.bincount(masks, weights=count, minlength=size)
    idx = np.arange(size)
    for i in range(n):  # zeta transform: sums over subsets
        has = (idx >> i) & 1 == 1
        out_sum[has] += out_sum[idx[has] ^ (1 << i)]
        cnt_sum[has] += cnt_sum[idx[has] ^ (1 << i)]
    v = np.divide(out_sum, cnt_sum, out=np.zeros(size), where=cnt_sum > 0)
    popcount = np.array([bin(s).count("1") for s in range(size)]) if n <= 12 else _popcount(idx)
    fact = np.array([math.factorial(k) for k in range(n + 1)], dtype=np.float64)
    phi = np.zeros(n)
    for i in range(n):
        without = idx[(idx >> i) & 1 == 0]
        s = popcount[without]
        weights = fact[s] * fact[n - s - 1] / fact[n]
        phi[i] = float(np.sum(weights * (v[without | (1 << i)] - v[without])))
    return phi


def _popcount(x: IntArray) -> IntArray:
    c = np.zeros_like(x)
    y = x.copy()
    while np.any(y):
        c += y & 1
        y >>= 1
    return c


def _rate_game_sampled(
    s_off: IntArray, members: IntArray, n: int, outcome: FloatArray, count: FloatArray,
    samples: int, seed: int,
) -> tuple[FloatArray, FloatArray]:  # fmt: skip
    """Mean and standard error of each member's marginal contribution over random orders."""
    rng = np.random.default_rng(seed)
    marginals = np.zeros((samples, n))
    starts = s_off[:-1]
    for k in range(samples):
        order = rng.permutation(n)
        pos = np.empty(n, dtype=np.int64)
        pos[order] = np.arange(n)
        done = np.maximum.reduceat(pos[members], starts)  # when each set is complete
        out_k = np.cumsum(np.bincount(done, weights=outcome, minlength=n))
        cnt_k = np.cumsum(np.bincount(done, weights=count, minlength=n))
        v = np.divide(out_k, cnt_k, out=np.zeros(n), where=cnt_k > 0)
        marginals[k, order] = np.diff(np.r_[0.0, v])
    return marginals.mean(axis=0), marginals.std(axis=0, ddof=1) / math.sqrt(samples)


def shapley(
    j: Journeys, *, nulls: bool = True, exact_max: int = EXACT_MAX, samples: int = SAMPLES,
    seed: int = 0,
) -> Credit:  # fmt: skip
    """Shapley credit per member (see the module doc)."""
    m = len(j.labels)
    total_c, total_v = j.total_conversions, j.total_value
    if not nulls or not np.any(j.null > 0):  # every journey converts: rates say nothing
        conv, value = _dividends(j.converting())
        return Credit("shapley", j.labels, conv, value)
    s_off, members, set_of = _distinct_sets(j)
    n_sets = s_off.size - 1
    outcome = np.bincount(set_of, weights=j.conv, minlength=n_sets).astype(np.float64)
    worth = np.bincount(set_of, weights=j.value, minlength=n_sets).astype(np.float64)
    count = np.bincount(set_of, weights=j.conv + j.null, minlength=n_sets).astype(np.float64)
    present = np.unique(members)  # members that appear in no journey get nothing
    local = np.full(m, -1, dtype=np.int64)
    local[present] = np.arange(present.size)
    lm, n = local[members], present.size
    extra: dict[str, FloatArray] = {}
    results = []
    for out in (outcome, worth):
        if n <= exact_max:
            masks = np.bitwise_or.reduceat(np.left_shift(1, lm), s_off[:-1]) if n_sets else lm
            phi = _rate_game_exact(masks, n, out, count)
            se = np.zeros(n)
        else:
            phi, se = _rate_game_sampled(s_off, lm, n, out, count, samples, seed)
        results.append((phi, se))
    credit = []
    for (phi, se), total, name in zip(results, (total_c, total_v), ("", "_value"), strict=True):
        vn = phi.sum()
        scale = total / vn if vn != 0 else 0.0
        full = np.zeros(m)
        full[present] = phi * scale
        credit.append(full)
        if n > exact_max:
            low, high = np.zeros(m), np.zeros(m)
            low[present] = (phi - 1.96 * se) * scale
            high[present] = (phi + 1.96 * se) * scale
            extra[f"ci_low{name}"], extra[f"ci_high{name}"] = low, high
    return Credit("shapley", j.labels, credit[0], credit[1], extra)
