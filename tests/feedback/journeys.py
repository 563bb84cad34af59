"""Small journeys written by hand for the model tests, and a hypothesis strategy for many."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from demandos.feedback import Journeys


def journeys(
    paths: list[str],
    conv: list[float],
    null: list[float] | None = None,
    value: list[float] | None = None,
    labels: tuple[str, ...] | None = None,
) -> Journeys:
    """``paths`` as ``"a>b>c"``; members are the letters, in alphabetical order."""
    steps = [p.split(">") for p in paths]
    labels = labels or tuple(sorted({s for path in steps for s in path}))
    index = {label: i for i, label in enumerate(labels)}
    offsets = np.cumsum([0] + [len(s) for s in steps]).astype(np.int64)
    member = np.array([index[s] for path in steps for s in path], dtype=np.int64)
    n = len(paths)
    return Journeys(
        offsets, member, np.array(conv, dtype=float),
        np.zeros(n) if null is None else np.array(null, dtype=float),
        np.zeros(n) if value is None else np.array(value, dtype=float), labels,
    )  # fmt: skip


@st.composite
def random_journeys(draw: st.DrawFn, members: int = 5, max_journeys: int = 25) -> Journeys:
    n = draw(st.integers(1, max_journeys))
    k = draw(st.integers(1, members))
    paths = [
        ">".join(chr(97 + c) for c in draw(st.lists(st.integers(0, k - 1), min_size=1, max_size=6)))
        for _ in range(n)
    ]
    conv = draw(st.lists(st.sampled_from([0.0, 1.0, 2.0]), min_size=n, max_size=n))
    conv[0] = 1.0  # something converts
    null = draw(st.lists(st.sampled_from([0.0, 1.0, 3.0]), min_size=n, max_size=n))
    value = [c * draw(st.floats(1, 10_000)) for c in conv]
    return journeys(paths, conv, null, value, labels=tuple(chr(97 + c) for c in range(k)))
