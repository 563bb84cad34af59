"""Markov-chain attribution of order k (1-3), solved exactly as an absorbing chain.

States: ``start``, one state per history of the last ``k`` members (shorter at a journey's
beginning), and the absorbing ``conversion`` and ``null``. Each journey (with consecutive repeats
of a member merged, as ChannelAttribution does) adds its conversions plus non-conversions to the
count of every transition it makes: start → first history → … → last history, then its
conversions to ``conversion`` and its non-conversions to ``null``. Without non-converting
journeys only converting ones are read and every path ends in ``conversion``.

The probability of converting from the start is the absorption probability ``x[start]`` with
``(I − Q) x = r`` (``Q`` the transitions between transient states, ``r`` the probabilities into
``conversion``): one sparse LU solve, no simulation, so every run gives the same numbers.
**Removal effect** of member ``c``: ``1 − p₋c / p``, where ``p₋c`` solves the same system with
every state whose history holds ``c`` sent to ``null``. Credit: conversions × the member's removal
effect ÷ the sum of the removal effects, so the credit sums exactly to the conversions.

**By value**: every transition into ``conversion`` from a state carries the mean value of the
conversions that ended there; the expected value from the start and without each member give the
value removal effects, and the value is shared the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from demandos.feedback.heuristics import Credit
from demandos.feedback.journeys import AttributionError, FloatArray, IntArray, Journeys

ORDERS = (1, 2, 3)


@dataclass(frozen=True, eq=False)
class Chain:
    """A fitted chain: transient states 0 (start) … n−1; ``histories[s]`` the members of state
    ``s`` (oldest first; empty for the start); transition counts between transient states and
    into conversion and null, and the value carried into conversion."""

    histories: tuple[tuple[int, ...], ...]
    counts: sp.csr_matrix
    to_conv: FloatArray
    to_null: FloatArray
    conv_value: FloatArray

    @property
    def out(self) -> FloatArray:
        return np.asarray(self.counts.sum(axis=1)).ravel() + self.to_conv + self.to_null

    def probabilities(self) -> tuple[sp.csr_matrix, FloatArray, FloatArray]:
        """``(Q, r, rv)``: transition probabilities between transient states, into conversion,
        and the expected value into conversion, per state."""
        out = self.out
        inv = np.divide(1.0, out, out=np.zeros_like(out), where=out > 0)
        q = sp.diags(inv) @ self.counts
        return q.tocsr(), self.to_conv * inv, self.conv_value * inv

    def solve(self, removed: np.ndarray | None = None) -> tuple[float, float]:
        """Probability of conversion and expected value from the start, with the states in
        ``removed`` (a boolean mask) sent to null."""
        q, r, rv = self.probabilities()
        keep = np.ones(len(self.histories), dtype=bool) if removed is None else ~removed
        if not keep[0]:
            return 0.0, 0.0
        idx = np.flatnonzero(keep)
        qk = q[idx][:, idx]
        a = (sp.identity(idx.size, format="csc") - qk).tocsc()
        rhs = np.column_stack([r[idx], rv[idx]])
        x = spla.splu(a).solve(rhs) if idx.size > 1 else rhs / a.toarray()[0, 0]
        return float(x[0, 0]), float(x[0, 1])


def _state_codes(offsets: IntArray, member: IntArray, order: int, base: int) -> IntArray:
    """Per touch, its history of the last ``order`` members encoded base ``base`` (member + 1,
    0 before the journey started)."""
    n = member.size
    jid = np.repeat(np.arange(offsets.size - 1), np.diff(offsets))
    pos = np.arange(n, dtype=np.int64) - offsets[jid]
    code = np.zeros(n, dtype=np.int64)
    for lag in range(order):
        shifted = np.zeros(n, dtype=np.int64)
        shifted[lag:] = member[: n - lag] + 1 if lag else member + 1
        code += np.where(pos >= lag, shifted, 0) * base**lag
    return code


def _index(code: IntArray, space: int) -> tuple[IntArray, IntArray]:
    """The distinct codes, sorted, and each code's index among them (a counting pass when the
    code space is small, as it is for channels; a sort otherwise)."""
    if space <= 1 << 24:
        present = np.zeros(space, dtype=bool)
        present[code] = True
        uniq = np.flatnonzero(present)
        index = np.cumsum(present, dtype=np.int64) - 1
        return uniq.astype(np.int64), index[code]
    uniq, inverse = np.unique(code, return_inverse=True)
    return uniq.astype(np.int64), inverse.astype(np.int64).ravel()


def _transitions(prev: IntArray, state: IntArray, w: FloatArray, n: int) -> sp.csr_matrix:
    """Weighted transition counts ``prev → state`` as a sparse ``n × n`` matrix."""
    if n * n <= 1 << 26:
        dense = np.bincount(prev * n + state, weights=w, minlength=n * n).reshape(n, n)
        return sp.csr_matrix(dense)
    counts = sp.coo_matrix((w, (prev, state)), shape=(n, n)).tocsr()
    counts.sum_duplicates()
    return counts


def _fit_first_order(j: Journeys) -> Chain:
    """Order 1 in a few passes over the touches: state ``m + 1`` for member ``m``, transitions
    between consecutive touches of a journey on different members (repeats merged)."""
    n_states = len(j.labels) + 1
    m, starts, ends = j.member, j.offsets[:-1], j.offsets[1:] - 1
    weight = j.conv + j.null
    use = m[1:] != m[:-1]
    use[starts[1:] - 1] = False  # a journey's first touch follows no touch of its own
    pairs = (m[:-1][use] + 1) * n_states + (m[1:][use] + 1)
    size = n_states * n_states
    if len(j) and np.all(weight == weight[0]):  # raw journeys: one each, no weights to gather
        flat = np.bincount(pairs, minlength=size).astype(np.float64) * float(weight[0])
    else:
        pair_weight = np.repeat(weight, j.lengths)[1:][use]
        flat = np.bincount(pairs, weights=pair_weight, minlength=size).astype(np.float64)
    dense = flat.reshape(n_states, n_states)
    dense[0] = np.bincount(m[starts] + 1, weights=weight, minlength=n_states)
    last = m[ends] + 1
    return Chain(
        ((), *((c,) for c in range(len(j.labels)))),
        sp.csr_matrix(dense),
        np.bincount(last, weights=j.conv, minlength=n_states).astype(np.float64),
        np.bincount(last, weights=j.null, minlength=n_states).astype(np.float64),
        np.bincount(last, weights=j.value, minlength=n_states).astype(np.float64),
    )


def fit(j: Journeys, order: int = 1, *, nulls: bool = True) -> Chain:
    """The chain of order ``order`` counted from ``j`` (see the module doc)."""
    if order not in ORDERS:
        raise AttributionError(
            f"Markov order {order} is not supported", hint="use --order 1, 2 or 3"
        )
    if not nulls:
        j = j.converting()
    return _fit_first_order(j) if order == 1 else _fit_histories(j, order)


def _fit_histories(j: Journeys, order: int) -> Chain:
    """Any order: each touch's state is its history of the last ``order`` members."""
    weight = j.conv + j.null
    offsets, member = j.collapsed()
    base = len(j.labels) + 1
    if base**order >= 2**62:
        raise AttributionError(f"too many members ({len(j.labels)}) for a chain of order {order}",
                               hint="use a lower --order or a coarser --by")  # fmt: skip
    code = _state_codes(offsets, member, order, base)
    uniq, state = _index(code, base**order)
    state += 1  # 0 is the start
    n_states = uniq.size + 1
    lengths = np.diff(offsets)
    jid = np.repeat(np.arange(lengths.size), lengths)
    prev = np.empty_like(state)
    prev[1:] = state[:-1]
    prev[offsets[:-1]] = 0  # every journey starts from the start state
    counts = _transitions(prev, state, weight[jid], n_states)
    last = state[offsets[1:] - 1] if state.size else np.zeros(0, dtype=np.int64)
    to_conv = np.bincount(last, weights=j.conv, minlength=n_states).astype(np.float64)
    to_null = np.bincount(last, weights=j.null, minlength=n_states).astype(np.float64)
    conv_value = np.bincount(last, weights=j.value, minlength=n_states).astype(np.float64)
    histories: list[tuple[int, ...]] = [()]
    for c in uniq:
        digits = [(int(c) // base**lag) % base for lag in range(order)]
        histories.append(tuple(d - 1 for d in reversed(digits) if d))
    return Chain(tuple(histories), counts, to_conv, to_null, conv_value)


def removal_effects(chain: Chain, members: int) -> tuple[FloatArray, FloatArray, float, float]:
    """Per member its removal effect on conversions and on value, and ``(p, v)`` of the chain."""
    p, v = chain.solve()
    re_conv, re_value = np.zeros(members), np.zeros(members)
    holds = np.zeros((members, len(chain.histories)), dtype=bool)
    for s, history in enumerate(chain.histories):
        holds[list(history), s] = True
    for c in range(members):
        if not holds[c].any():
            continue
        pc, vc = chain.solve(holds[c])
        re_conv[c] = 1.0 - pc / p if p > 0 else 0.0
        re_value[c] = 1.0 - vc / v if v > 0 else 0.0
    return re_conv, re_value, p, v


def _share(effects: FloatArray, total: float) -> FloatArray:
    s = effects.sum()
    return effects / s * total if s > 0 else np.zeros_like(effects)


def markov(j: Journeys, order: int = 1, *, nulls: bool = True) -> Credit:
    """Markov removal-effect credit of order ``order`` (see the module doc)."""
    chain = fit(j, order, nulls=nulls)
    re_conv, re_value, p, _ = removal_effects(chain, len(j.labels))
    return Credit(
        f"markov{order}" if order > 1 else "markov",
        j.labels,
        _share(re_conv, j.total_conversions),
        _share(re_value, j.total_value),
        {"removal_effect": re_conv, "removal_effect_value": re_value,
         "conversion_probability": np.array([p])},
    )  # fmt: skip
