"""Where demand comes from, per day and channel: the plan, paid response, and the baseline.

Three sources of leads, each a Poisson intensity per day and channel:

* **baseline** — organic demand: ``baseline_per_day × share_of_baseline_leads × season × weekday``
  on days the channel has an active program;
* **paid** — a paid channel's incremental leads from its spend, through normalized geometric
  adstock ``a(t) = (1 − decay)·s(t) + decay·a(t − 1)`` and Hill saturation
  ``max_leads_per_day · a / (a + half_saturation)`` (both scaled with the company's size);
* **content** — the asset library's pull (see ``content.py``).

``baseline_per_day`` is set so that the three together average ``SizeParams.leads_per_day``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from demandos.simulate.params import SIZES, CompanyParams, ContentParams, ProgramParams, SizeParams
from demandos.simulate.window import NONE, BoolArray, FloatArray, IntArray, Window

LAUNCH_DECAY_DAYS = 10.0  # after its spike a launch's budget falls back to base with this e-fold


def scale_of(size: SizeParams) -> float:
    """How many times the small preset's lead volume (and budgets, costs) this size runs."""
    return size.leads_per_day / SIZES["small"].leads_per_day


def budget_profile(program: ProgramParams, window: Window) -> FloatArray:
    """The program's budget multiplier per day: 0 when inactive, the launch spike and its decay."""
    days = np.arange(window.n_days, dtype=np.int64)
    first = window.day_of(program.start) if program.start else 0
    last = window.day_of(program.end) if program.end else window.n_days - 1
    active = (days >= first) & (days <= last)
    profile = active.astype(np.float64)
    if program.kind == "launch" and program.spike_days > 0:
        t = (days - first).astype(np.float64)
        m = program.spike_multiplier
        decay = 1.0 + (m - 1.0) * np.exp(-(t - program.spike_days) / LAUNCH_DECAY_DAYS)
        profile = np.where(active, np.where(t < program.spike_days, m, decay), 0.0)
    return profile


def adstock(spend: FloatArray, decay: FloatArray, state: FloatArray) -> FloatArray:
    """Normalized geometric adstock of ``spend`` (days × programs), continuing from ``state``.

    ``state`` (the adstock of the day before) is updated in place to the last day's.
    """
    out = np.empty_like(spend)
    for d in range(spend.shape[0]):
        state[:] = (1.0 - decay) * spend[d] + decay * state
        out[d] = state
    return out


def expected_content_pull(window: Window, content: ContentParams) -> FloatArray:
    """The library's pull per day if assets came exactly at ``assets_per_week``."""
    per_day = content.assets_per_week / 7.0
    ratio = 2.0 ** (-1.0 / content.half_life_days)
    ages = np.arange(1, window.n_days + 1, dtype=np.float64)
    return per_day * np.concatenate([[0.0], np.cumsum(ratio**ages)[:-1]])


@dataclass(frozen=True, eq=False)
class Plan:
    """The company's demand plan over the window, from its parameters and size."""

    params: CompanyParams
    window: Window
    scale: float
    channel_ids: tuple[str, ...]
    program_ids: tuple[str, ...]
    program_channel: IntArray  # channel index per program
    paid_channel: BoolArray  # per channel
    budget: FloatArray  # days × programs: planned daily budget (scaled), 0 when inactive
    active: BoolArray  # days × programs
    decay: FloatArray  # per program: its channel's adstock decay
    day_factor: FloatArray  # per day: seasonality × weekday factor (weekly mean 1)
    baseline_per_day: float

    @property
    def n_channels(self) -> int:
        return len(self.channel_ids)

    def channel(self, channel_id: str) -> int:
        return self.channel_ids.index(channel_id)

    def programs_of(self, channel: int) -> IntArray:
        return np.flatnonzero(self.program_channel == channel).astype(np.int64)

    def touch_weights(self) -> FloatArray:
        """days × programs: how likely a touch on a program's channel is from that program."""
        paid = self.paid_channel[self.program_channel]
        return np.where(paid[None, :], self.budget, self.active.astype(np.float64))

    def channel_active(self) -> BoolArray:
        """days × channels: whether the channel has any program running."""
        out = np.zeros((self.window.n_days, self.n_channels), dtype=np.bool_)
        for p, c in enumerate(self.program_channel):
            out[:, c] |= self.active[:, p]
        return out

    def baseline(self, first: int, stop: int) -> FloatArray:
        """Expected baseline leads, days [first, stop) × channels."""
        shares = np.array([c.share_of_baseline_leads for c in self.params.channels])
        level = self.baseline_per_day * self.day_factor[first:stop, None] * shares[None, :]
        return np.asarray(level * self.channel_active()[first:stop], dtype=np.float64)

    def response(self, adstocked: FloatArray) -> FloatArray:
        """Expected paid incremental leads, days × channels, from adstock (days × programs)."""
        out = np.zeros((adstocked.shape[0], self.n_channels))
        for c, ch in enumerate(self.params.channels):
            if not self.paid_channel[c]:
                continue
            a = adstocked[:, self.programs_of(c)].sum(axis=1)
            half = ch.half_saturation * self.scale
            out[:, c] = self.scale * ch.max_leads_per_day * a / (a + half)
        return out


def make_plan(params: CompanyParams, size: SizeParams, window: Window) -> Plan:
    channel_ids = tuple(c.id for c in params.channels)
    for p in params.programs:
        if p.channel not in channel_ids:
            raise ValueError(f"program {p.id!r} runs on unknown channel {p.channel!r}")
    scale = scale_of(size)
    profiles = np.stack([budget_profile(p, window) for p in params.programs], axis=1)
    budgets = np.array([p.daily_budget for p in params.programs])
    program_channel = np.array([channel_ids.index(p.channel) for p in params.programs])
    decays = np.array([c.adstock_decay for c in params.channels])
    weekday = np.where(window.weekday >= 5, params.weekend_factor, 1.0)
    weekday = weekday * 7.0 / (5.0 + 2.0 * params.weekend_factor)
    season = np.array(params.seasonality)[window.calendar_month - 1]
    plan = Plan(
        params=params,
        window=window,
        scale=scale,
        channel_ids=channel_ids,
        program_ids=tuple(p.id for p in params.programs),
        program_channel=program_channel.astype(np.int64),
        paid_channel=np.array([c.type == "paid" for c in params.channels]),
        budget=profiles * budgets[None, :] * scale,
        active=profiles > 0,
        decay=decays[program_channel],
        day_factor=season * weekday,
        baseline_per_day=0.0,
    )
    planned = adstock(plan.budget, plan.decay, np.zeros(len(params.programs)))
    paid = float(plan.response(planned).sum(axis=1).mean())
    pull = expected_content_pull(window, params.content)
    content = float(scale * params.content.leads_per_asset_per_day * pull.mean())
    baseline = max(size.leads_per_day - paid - content, 0.2 * size.leads_per_day)
    return replace(plan, baseline_per_day=baseline)


def pick_program(
    plan: Plan, weights: FloatArray, channel: IntArray, day: IntArray, u: FloatArray
) -> IntArray:
    """A program per item, drawn within its channel by ``weights[day]`` (days × programs).

    ``u`` holds one uniform draw per item; NONE where the channel has no weight that day.
    """
    out = np.full(channel.shape, NONE, dtype=np.int64)
    for c in range(plan.n_channels):
        rows = np.flatnonzero(channel == c)
        if rows.size == 0:
            continue
        progs = plan.programs_of(c)
        w = weights[day[rows]][:, progs]
        cum = np.cumsum(w, axis=1)
        total = cum[:, -1]
        k = (u[rows, None] * total[:, None] >= cum).sum(axis=1)
        out[rows] = np.where(total > 0, progs[np.minimum(k, progs.size - 1)], NONE)
    return out
