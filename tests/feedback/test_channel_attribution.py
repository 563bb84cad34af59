"""Exact Markov against ChannelAttribution's ``markov_model`` (its simulation) on the same paths:
equal within the simulation's tolerance, orders 1 and 2, conversions and value."""

from __future__ import annotations

import ChannelAttribution  # a test-only dependency (the `test` extra)
import numpy as np
import pandas as pd
import pytest

from demandos.feedback import Journeys, markov

LABELS = tuple("abcdef")


def _data() -> tuple[Journeys, pd.DataFrame]:
    rng = np.random.default_rng(1)
    share = np.array([0.3, 0.25, 0.15, 0.12, 0.1, 0.08])
    lift = np.array([0.02, 0.05, 0.01, 0.08, 0.0, 0.03])
    paths, conv, value = [], [], []
    for _ in range(20_000):
        path = rng.choice(6, size=rng.geometric(0.35), p=share)
        c = float(rng.random() < 0.02 + lift[path].sum() / 2)
        paths.append(path)
        conv.append(c)
        value.append(c * rng.uniform(100, 1000))
    frame = pd.DataFrame({
        "path": [" > ".join(LABELS[x] for x in p) for p in paths],
        "conv": conv, "null": [1 - c for c in conv], "value": value,
    })  # fmt: skip
    offsets = np.cumsum([0] + [len(p) for p in paths]).astype(np.int64)
    member = np.concatenate(paths).astype(np.int64)
    c = np.array(conv)
    return Journeys(offsets, member, c, 1 - c, np.array(value), LABELS), frame


@pytest.mark.slow
@pytest.mark.parametrize("order", [1, 2])
def test_exact_markov_equals_channel_attribution_within_its_tolerance(order: int) -> None:
    j, frame = _data()
    paths = frame.groupby("path", as_index=False).sum()  # the peer reads distinct paths
    theirs = ChannelAttribution.markov_model(
        paths, "path", "conv", var_null="null", var_value="value", order=order,
        conv_par=0.01, seed=3, flg_pro=False, verbose=False,
    ).set_index("channel_name")  # fmt: skip
    mine = markov(j, order)
    conv = np.array([theirs.loc[c, "total_conversions"] for c in LABELS])
    value = np.array([theirs.loc[c, "total_conversion_value"] for c in LABELS])
    # conv_par=0.01: the simulation stops when its estimates move by less than 1%
    assert np.abs(mine.conversions / conv - 1).max() < 0.03
    assert np.abs(mine.conversions / conv - 1).mean() < 0.015
    assert np.abs(mine.value / value - 1).max() < 0.03
    assert mine.conversions.sum() == pytest.approx(conv.sum(), rel=1e-6)
