"""The content engine: the asset library, published on a rhythm, whose pull decays slowly.

An asset published on day ``p`` pulls ``leads_per_asset_per_day × 2^(−(d − p) / half_life_days)``
leads on each later day ``d`` (scaled with the company's size). The library's pull is the sum over
assets, so it compounds as the library grows. A touch that names an asset draws it in proportion
to that same pull among the assets already published.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from demandos.simulate.names import ASSET_TYPES, CONTENT_OWNERS, PILLAR_TOPICS
from demandos.simulate.params import CompanyParams
from demandos.simulate.window import DAY, HOUR, NONE, FloatArray, IntArray, Window

PERSONAS: tuple[str, ...] = ("controller", "finance_leader", "ap_manager")
DERIVATIVE_SHARE = 0.3  # of assets, cut from an earlier flagship asset
FLAGSHIP_TYPES = ("guide", "report", "webinar", "case_study")
DERIVATIVE_TYPES = ("blog_post", "video", "checklist")


@dataclass(frozen=True, eq=False)
class Library:
    """The published assets, sorted by publication time."""

    pub_t: IntArray
    pub_day: IntArray
    type_idx: IntArray  # index into names.ASSET_TYPES
    half_life_days: float
    columns: dict[str, pa.Array]  # the assets table

    def __len__(self) -> int:
        return int(self.pub_t.size)

    def pull(self, n_days: int) -> FloatArray:
        """Per day ``d``: Σ over assets published before ``d`` of ``2^(−age / half_life)``."""
        ratio = 2.0 ** (-1.0 / self.half_life_days)
        published = np.bincount(self.pub_day, minlength=n_days)[:n_days].astype(np.float64)
        out = np.zeros(n_days)
        level = 0.0
        for d in range(1, n_days):
            level = (level + published[d - 1]) * ratio
            out[d] = level
        return out

    def pick(self, ts: IntArray, u: FloatArray, *, asset_type: str | None = None) -> IntArray:
        """An asset per moment ``ts``, by current pull among those published by then; else NONE."""
        pool = np.arange(len(self), dtype=np.int64)
        if asset_type is not None:
            kinds = [t for t, _, _ in ASSET_TYPES]
            pool = pool[self.type_idx == kinds.index(asset_type)]
        out = np.full(ts.shape, NONE, dtype=np.int64)
        if pool.size == 0 or ts.size == 0:
            return out
        cum = np.cumsum(2.0 ** (self.pub_day[pool] / self.half_life_days))
        n = np.searchsorted(self.pub_t[pool], ts, side="right")
        has = n > 0
        total = cum[np.maximum(n - 1, 0)]
        k = np.searchsorted(cum, u * total, side="right")
        k = np.minimum(k, np.maximum(n - 1, 0))
        out[has] = pool[k[has]]
        return out


def make_library(params: CompanyParams, window: Window, generator: np.random.Generator) -> Library:
    """Assets published weekly (Poisson ``assets_per_week``) on weekdays, office hours."""
    g = generator
    weekdays = np.flatnonzero(window.weekday < 5)
    days: list[int] = []
    for week_start in range(0, window.n_days, 7):
        in_week = weekdays[(weekdays >= week_start) & (weekdays < week_start + 7)]
        if in_week.size:
            n = int(g.poisson(params.content.assets_per_week))
            days.extend(int(d) for d in np.sort(g.choice(in_week, size=n)))
    pub_day = np.array(days, dtype=np.int64)
    pub_t = pub_day * DAY + g.integers(9 * HOUR, 16 * HOUR, size=pub_day.size)
    order = np.argsort(pub_t, kind="stable")
    pub_day, pub_t = pub_day[order], pub_t[order]

    type_names = [t for t, _, _ in ASSET_TYPES]
    shares = np.array([s for _, _, s in ASSET_TYPES])
    pillars = tuple(PILLAR_TOPICS)
    segments = [s.id for s in params.segments if s.id != "off_icp"]
    suffixes = {t: s for t, s, _ in ASSET_TYPES}
    ids: list[str] = []
    titles: list[str] = []
    types: list[str] = []
    pillar_col: list[str] = []
    seg_col: list[list[str]] = []
    persona_col: list[str | None] = []
    parents: list[str | None] = []
    owners: list[str] = []
    type_idx = np.zeros(pub_day.size, dtype=np.int64)
    for i in range(pub_day.size):
        flagships = [j for j in range(i) if types[j] in FLAGSHIP_TYPES]
        parent = None
        if flagships and g.random() < DERIVATIVE_SHARE:
            parent = flagships[int(g.integers(len(flagships)))]
            kind = DERIVATIVE_TYPES[int(g.integers(len(DERIVATIVE_TYPES)))]
            pillar = pillar_col[parent]
            topic = titles[parent].split(" (")[0]
        else:
            kind = type_names[int(g.choice(len(type_names), p=shares / shares.sum()))]
            pillar = pillars[int(g.integers(len(pillars)))]
            topics = PILLAR_TOPICS[pillar]
            topic = topics[int(g.integers(len(topics)))]
        suffix = suffixes[kind]
        type_idx[i] = type_names.index(kind)
        ids.append(f"as-{i + 1:04d}")
        titles.append(f"{topic} ({suffix})" if suffix else topic)
        types.append(kind)
        pillar_col.append(pillar)
        seg_col.append(segments if g.random() < 0.5 else [segments[int(g.integers(len(segments)))]])
        persona_col.append(PERSONAS[int(g.integers(3))] if g.random() < 0.5 else None)
        parents.append(None if parent is None else ids[parent])
        owners.append(CONTENT_OWNERS[int(g.integers(len(CONTENT_OWNERS)))])
    columns = {
        "asset_id": pa.array(ids, pa.string()),
        "title": pa.array(titles, pa.string()),
        "type": pa.array(types, pa.string()),
        "pillar": pa.array(pillar_col, pa.string()),
        "segments": pa.array(seg_col, pa.list_(pa.string())),
        "persona": pa.array(persona_col, pa.string()),
        "status": pa.array(["published"] * len(ids), pa.string()),
        "published_at": window.timestamps(pub_t),
        "parent_asset_id": pa.array(parents, pa.string()),
        "owner": pa.array(owners, pa.string()),
    }
    return Library(pub_t, pub_day, type_idx, params.content.half_life_days, columns)
