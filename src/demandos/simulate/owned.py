"""Owned reach: audiences that grow with content, the newsletter's sends, the website's sessions.

These aggregate tables are kept consistent with the touchpoints: every newsletter click by a
known person counts in its send's ``unique_clicks``; every web touch counts as a session of its
day, source, medium and campaign, and every form fill as a key event. On top come the people the
company never identified (anonymous readers, visitors, paid clicks that did not convert).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from demandos.simulate.demand import Plan
from demandos.simulate.names import NEWSLETTER_SUBJECTS, PILLAR_TOPICS
from demandos.simulate.touches import FORM_CHANNELS, TYPE_INDEX, WEB_TYPES, Touches
from demandos.simulate.window import DAY, HOUR, FloatArray, IntArray

NEWSLETTER_EVERY_DAYS = 14
SEND_HOUR = 6
AUDIENCES: tuple[tuple[str, float, float, float, float], ...] = (
    # channel, size at the start, new per day, new per unit of library pull, daily churn
    ("newsletter", 6_000.0, 4.0, 0.35, 0.0008),
    ("organic_search", 2_500.0, 2.0, 0.25, 0.0005),
    ("webinars", 1_200.0, 1.0, 0.10, 0.0006),
)
ANONYMOUS_SESSIONS = {
    "organic_search": 260.0,
    "direct": 90.0,
    "newsletter": 15.0,
    "review_sites": 12.0,
}
PAID_CLICK_SESSIONS = 0.85  # share of platform clicks that become a web session
ENGAGED, NEW_USERS = 0.55, 0.6
BOUNCE_HARD, BOUNCE_SOFT, OPEN_RATE, CLICK_RATE, UNSUBSCRIBE = 0.003, 0.008, 0.33, 0.015, 0.0025


def send_times(n_days: int) -> IntArray:
    """The newsletter's sends: every other week from the first day, at 06:00."""
    return np.arange(0, n_days, NEWSLETTER_EVERY_DAYS, dtype=np.int64) * DAY + SEND_HOUR * HOUR


def make_audiences(plan: Plan, pull: FloatArray, g: np.random.Generator) -> dict[str, IntArray]:
    """Daily size per owned channel: new members (more as the library grows) minus churn."""
    out: dict[str, IntArray] = {}
    n = plan.window.n_days
    for channel, start, base, per_pull, churn in AUDIENCES:
        new = g.poisson(plan.scale * (base + per_pull * pull) * plan.day_factor)
        size = np.zeros(n, dtype=np.int64)
        level = round(start * plan.scale)
        for d in range(n):
            level += int(new[d]) - int(g.binomial(level, churn))
            size[d] = level
        out[channel] = size
    return out


def audiences_columns(plan: Plan, sizes: dict[str, IntArray]) -> dict[str, pa.Array]:
    days = np.arange(plan.window.n_days, dtype=np.int64)
    names = list(sizes)
    return {
        "date": plan.window.dates(np.tile(days, len(names))),
        "channel": pa.array(np.repeat(np.array(names, dtype=object), days.size), pa.string()),
        "size": pa.array(np.concatenate([sizes[c] for c in names]), pa.int64()),
    }


class EmailLedger:
    """Known people's unique clicks per newsletter send, summed over the months."""

    def __init__(self, plan: Plan, send_t: IntArray) -> None:
        self.plan = plan
        self.send_t = send_t
        self.known_clicks = np.zeros(send_t.size, dtype=np.int64)

    def add(self, touches: Touches) -> None:
        mail = (touches.channel == self.plan.channel("newsletter")) & (
            touches.touch_type == TYPE_INDEX["email_click"]
        )
        send = np.searchsorted(self.send_t, touches.ts[mail], side="right") - 1
        pairs = np.unique(touches.person[mail] * self.send_t.size + send)
        self.known_clicks += np.bincount(pairs % self.send_t.size, minlength=self.send_t.size)

    def columns(self, subscribers: IntArray, g: np.random.Generator) -> dict[str, pa.Array]:
        n = self.send_t.size
        recipients = subscribers[self.send_t // DAY]
        hard = g.binomial(recipients, BOUNCE_HARD)
        soft = g.binomial(recipients, BOUNCE_SOFT)
        delivered = recipients - hard - soft
        known = np.minimum(self.known_clicks, delivered)
        clicks = known + g.binomial(delivered - known, CLICK_RATE)
        opens = clicks + g.binomial(delivered - clicks, OPEN_RATE)
        topics = [t for ts in PILLAR_TOPICS.values() for t in ts]
        subjects = [
            NEWSLETTER_SUBJECTS[i % len(NEWSLETTER_SUBJECTS)].format(topic=topics[i % len(topics)])
            for i in range(n)
        ]
        program = self.plan.program_ids[
            int(self.plan.programs_of(self.plan.channel("newsletter"))[0])
        ]
        i64 = pa.int64()
        return {
            "campaign_id": pa.array([f"{program}-{i + 1:03d}" for i in range(n)], pa.string()),
            "title": pa.array([f"Close Notes #{i + 1}" for i in range(n)], pa.string()),
            "subject": pa.array(subjects, pa.string()),
            "send_time": self.plan.window.timestamps(self.send_t),
            "list_name": pa.array([f"{program} subscribers"] * n, pa.string()),
            "recipients": pa.array(recipients, i64),
            "delivered": pa.array(delivered, i64),
            "unique_opens": pa.array(opens, i64),
            "unique_clicks": pa.array(clicks, i64),
            "unsubscribes": pa.array(g.binomial(delivered, UNSUBSCRIBE), i64),
            "hard_bounces": pa.array(hard, i64),
            "soft_bounces": pa.array(soft, i64),
        }


class WebLedger:
    """Known web touches, form fills and paid clicks per day × program, summed over the months."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        shape = (plan.window.n_days, len(plan.program_ids))
        self.known = np.zeros(shape, dtype=np.int64)
        self.forms = np.zeros(shape, dtype=np.int64)
        self.clicks = np.zeros(shape, dtype=np.int64)
        self._web = np.array([TYPE_INDEX[t] for t in sorted(WEB_TYPES)])

    def add(self, touches: Touches) -> None:
        web = np.isin(touches.touch_type, self._web) & (touches.program >= 0)
        cell = (touches.ts[web] // DAY) * self.known.shape[1] + touches.program[web]
        self.known += np.bincount(cell, minlength=self.known.size).reshape(self.known.shape)
        form = touches.touch_type[web] == TYPE_INDEX["form_fill"]
        self.forms += np.bincount(cell[form], minlength=self.forms.size).reshape(self.forms.shape)

    def add_clicks(self, first_day: int, clicks: IntArray) -> None:
        self.clicks[first_day : first_day + clicks.shape[0]] += clicks

    def columns(self, g: np.random.Generator) -> dict[str, pa.Array]:
        plan = self.plan
        web_channels = [plan.channel(c) for c in sorted(FORM_CHANNELS)]
        progs = np.flatnonzero(np.isin(plan.program_channel, web_channels))
        known, forms = self.known[:, progs], self.forms[:, progs]
        paid = plan.paid_channel[plan.program_channel[progs]]
        rate = np.array(
            [ANONYMOUS_SESSIONS.get(plan.channel_ids[plan.program_channel[p]], 0.0) for p in progs]
        )
        weights = plan.touch_weights()[:, progs]
        share = np.zeros_like(weights)
        for c in web_channels:
            cols = plan.program_channel[progs] == c
            total = weights[:, cols].sum(axis=1, keepdims=True)
            share[:, cols] = np.divide(
                weights[:, cols], total, out=np.zeros_like(weights[:, cols]), where=total > 0
            )
        organic = g.poisson(plan.scale * rate * share * plan.day_factor[:, None])
        from_clicks = g.binomial(np.maximum(self.clicks[:, progs] - known, 0), PAID_CLICK_SESSIONS)
        anonymous = np.where(paid[None, :], from_clicks, organic)
        sessions = known + anonymous
        engaged = known + g.binomial(anonymous, ENGAGED)
        new_users = g.binomial(sessions, NEW_USERS)
        day, col = np.nonzero(sessions > 0)
        p = progs[col]
        ch = plan.program_channel[p]
        channels = plan.params.channels
        return {
            "date": plan.window.dates(day.astype(np.int64)),
            "source": pa.array([channels[c].utm_source for c in ch], pa.string()),
            "medium": pa.array([channels[c].utm_medium for c in ch], pa.string()),
            "campaign": pa.array([plan.program_ids[i] for i in p], pa.string()),
            "sessions": pa.array(sessions[day, col], pa.int64()),
            "engaged_sessions": pa.array(engaged[day, col], pa.int64()),
            "new_users": pa.array(new_users[day, col], pa.int64()),
            "key_events": pa.array(forms[day, col], pa.int64()),
        }
