"""Touchpoints: every recorded interaction of a month's people, vectorized.

Per person:

* the **causal** touch, just before the lead was created, on the channel and program that truly
  caused it (``is_causal``), and for a lead that converted on the website a ``form_fill`` at the
  moment of conversion;
* **exposure** — touches from every channel at its ``noise_touch_rate`` (Poisson), spread over the
  four weeks before and after the lead: ads and emails they would have seen anyway;
* the **journey** — content downloads and nurture emails after the lead, a webinar on the way to
  MQL, the SDR's call, review-site visits and event visits while a deal is open.

Newsletter clicks follow a send (``email_campaigns``); anything outside the window is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from demandos.simulate.content import Library
from demandos.simulate.demand import Plan, pick_program
from demandos.simulate.journeys import CONTENT, Cohort
from demandos.simulate.window import DAY, HOUR, NONE, BoolArray, IntArray

TOUCH_TYPES: tuple[str, ...] = (
    "ad_click",
    "page_view",
    "form_fill",
    "email_click",
    "webinar_attend",
    "content_download",
    "event_visit",
    "sdr_call",
    "review_visit",
    "partner_referral",
)
TYPE_INDEX = {name: i for i, name in enumerate(TOUCH_TYPES)}
CHANNEL_TYPE = {  # the touch a channel makes, causal or not; others make page views
    "newsletter": "email_click",
    "webinars": "webinar_attend",
    "review_sites": "review_visit",
    "partners": "partner_referral",
    "events": "event_visit",
    "outbound_sdr": "sdr_call",
    "google_ads": "ad_click",
    "linkedin_ads": "ad_click",
    "meta_ads": "ad_click",
}
FORM_CHANNELS = frozenset(  # leads from these convert by a form on the website
    {
        "organic_search",
        "direct",
        "newsletter",
        "review_sites",
        "google_ads",
        "linkedin_ads",
        "meta_ads",
    }
)
WEB_TYPES = frozenset(
    {"ad_click", "page_view", "form_fill", "email_click", "content_download", "review_visit"}
)
EXPOSURE_DAYS = 28
ASSET_SHARE = {"organic_search": 0.6, "newsletter": 0.5}  # exposure touches that name an asset
NURTURE_PER_LEAD, NURTURE_DAYS, NURTURE_EMAIL_SHARE = 0.8, 21, 0.4
WEBINARS_PER_MQL = 0.35
REVIEWS_PER_DEAL, EVENTS_PER_DEAL = 0.5, 0.4
CLICK_DELAY_HOURS, CLICK_MAX_HOURS = 8.0, 72.0  # after a newsletter send


@dataclass(frozen=True, eq=False)
class Touches:
    """One month's touches, sorted by moment; ``person`` indexes the cohort."""

    ts: IntArray
    person: IntArray
    channel: IntArray
    program: IntArray
    asset: IntArray
    touch_type: IntArray
    causal: BoolArray

    def __len__(self) -> int:
        return int(self.ts.size)

    def first_channel(self, n_people: int) -> IntArray:
        """Each person's first recorded touch's channel (every person has the causal one)."""
        _, first = np.unique(self.person, return_index=True)
        out = np.full(n_people, NONE, dtype=np.int64)
        out[self.person[first]] = self.channel[first]
        return out


class _Parts:
    """Touch columns collected block by block."""

    def __init__(self) -> None:
        self.cols: dict[str, list[IntArray]] = {
            k: [] for k in ("ts", "person", "channel", "program", "asset", "type", "causal")
        }

    def add(self, ts: IntArray, person: IntArray, **fixed: IntArray | int) -> None:
        n = ts.size
        self.cols["ts"].append(ts.astype(np.int64))
        self.cols["person"].append(person.astype(np.int64))
        for k in ("channel", "program", "asset", "type", "causal"):
            v = fixed.get(k, NONE if k in ("program", "asset") else 0)
            self.cols[k].append(np.broadcast_to(np.asarray(v, dtype=np.int64), (n,)))

    def column(self, k: str) -> IntArray:
        return np.concatenate(self.cols[k]).astype(np.int64)


def snap_to_sends(
    ts: IntArray, send_t: IntArray, g: np.random.Generator, *, next_send: bool = False
) -> IntArray:
    """Newsletter clicks: shortly after the latest send before ``ts`` (or the first after it).

    NONE where there is no such send.
    """
    k = (
        np.searchsorted(send_t, ts, side="left")
        if next_send
        else (np.searchsorted(send_t, ts, side="right") - 1)
    )
    lag = np.minimum(g.exponential(CLICK_DELAY_HOURS * HOUR, ts.size), CLICK_MAX_HOURS * HOUR)
    found = (k >= 0) & (k < send_t.size)
    sent = send_t[np.clip(k, 0, send_t.size - 1)]
    return np.where(found, sent + lag.astype(np.int64), NONE)


def month_touches(
    plan: Plan, cohort: Cohort, library: Library, send_t: IntArray, g: np.random.Generator
) -> Touches:
    ch_type = np.array([TYPE_INDEX[CHANNEL_TYPE.get(c, "page_view")] for c in plan.channel_ids])
    organic, newsletter = plan.channel("organic_search"), plan.channel("newsletter")
    sdr, webinars = plan.channel("outbound_sdr"), plan.channel("webinars")
    reviews, events = plan.channel("review_sites"), plan.channel("events")
    n = len(cohort)
    people = np.arange(n, dtype=np.int64)
    parts = _Parts()

    # the causal touch, and the form that made the lead
    causal_type = np.where(
        cohort.kind == CONTENT, TYPE_INDEX["content_download"], ch_type[cohort.channel]
    )
    ts = cohort.t_lead - g.integers(60, 900, size=n)
    same = {"channel": cohort.channel, "program": cohort.program, "asset": cohort.asset}
    parts.add(ts, people, type=causal_type, causal=1, **same)
    form = np.isin(cohort.channel, [plan.channel(c) for c in FORM_CHANNELS])
    parts.add(
        cohort.t_lead[form],
        people[form],
        type=TYPE_INDEX["form_fill"],
        **{k: v[form] for k, v in same.items()},
    )

    # exposure from every channel, around the lead
    rates = np.array([c.noise_touch_rate for c in plan.params.channels])
    cell = np.repeat(np.arange(n * plan.n_channels), g.poisson(np.tile(rates, (n, 1))).ravel())
    who, channel = cell // plan.n_channels, cell % plan.n_channels
    span = EXPOSURE_DAYS * DAY
    ts = cohort.t_lead[who] + g.integers(-span, span, size=cell.size)
    mail = channel == newsletter
    ts[mail] = snap_to_sends(ts[mail], send_t, g)
    asset = np.full(cell.size, NONE, dtype=np.int64)
    u = g.random((cell.size, 2))
    for channel_id, share in ASSET_SHARE.items():
        rows = (channel == plan.channel(channel_id)) & (u[:, 0] < share)
        asset[rows] = library.pick(ts[rows], u[rows, 1])
    parts.add(ts, who, channel=channel, type=ch_type[channel], asset=asset)

    # nurture: content downloads and newsletter clicks in the weeks after the lead
    who = np.repeat(people, g.poisson(NURTURE_PER_LEAD, n))
    ts = cohort.t_lead[who] + g.integers(HOUR, NURTURE_DAYS * DAY, size=who.size)
    by_mail = g.random(who.size) < NURTURE_EMAIL_SHARE
    ts[by_mail] = snap_to_sends(ts[by_mail], send_t, g, next_send=True)
    asset = library.pick(ts, g.random(who.size))
    kind = np.where(by_mail, TYPE_INDEX["email_click"], TYPE_INDEX["content_download"])
    parts.add(ts, who, channel=np.where(by_mail, newsletter, organic), type=kind, asset=asset)

    # a webinar on the way to MQL; the SDR's call after it
    mql = np.flatnonzero(cohort.t_mql != NONE)
    who = np.repeat(mql, g.poisson(WEBINARS_PER_MQL, mql.size))
    gap = cohort.t_mql[who] - cohort.t_lead[who]
    ts = cohort.t_lead[who] + (g.random(who.size) * gap).astype(np.int64)
    asset = library.pick(ts, g.random(who.size), asset_type="webinar")
    parts.add(ts, who, channel=webinars, type=TYPE_INDEX["webinar_attend"], asset=asset)
    sql = cohort.t_sql[mql] != NONE
    before_sql = cohort.t_sql[mql] - g.integers(10 * 60, 4 * HOUR, size=mql.size)
    follow_up = cohort.t_mql[mql] + g.exponential(1.5 * DAY, mql.size).astype(np.int64)
    parts.add(np.where(sql, before_sql, follow_up), mql, channel=sdr, type=TYPE_INDEX["sdr_call"])

    # while a deal is open: review sites and events
    deals = cohort.deals
    for visited, per_deal in ((reviews, REVIEWS_PER_DEAL), (events, EVENTS_PER_DEAL)):
        k = np.repeat(np.arange(len(deals)), g.poisson(per_deal, len(deals)))
        until = np.minimum(deals.t_close[k], plan.window.end_s)
        ts = deals.t_open[k] + (g.random(k.size) * (until - deals.t_open[k])).astype(np.int64)
        parts.add(ts, deals.person[k], channel=visited, type=ch_type[visited])

    return _finish(plan, parts, g)


def _finish(plan: Plan, parts: _Parts, g: np.random.Generator) -> Touches:
    """Programs for the non-causal touches, then drop what falls outside, sort by moment."""
    ts, channel = parts.column("ts"), parts.column("channel")
    program, causal = parts.column("program"), parts.column("causal").astype(np.bool_)
    touch_type, asset = parts.column("type"), parts.column("asset")
    end = plan.window.end_s
    inside = (ts >= 0) & (ts < end)
    day = np.clip(ts // DAY, 0, plan.window.n_days - 1)
    free = (program == NONE) & ~causal
    program[free] = pick_program(
        plan, plan.touch_weights(), channel[free], day[free], g.random(int(free.sum()))
    )
    orphan = (touch_type == TYPE_INDEX["content_download"]) & (asset == NONE)
    keep = inside & (causal | (program != NONE)) & ~orphan
    person = parts.column("person")
    order = np.flatnonzero(keep)[np.lexsort((person[keep], ts[keep]))]
    return Touches(
        ts=ts[order],
        person=person[order],
        channel=channel[order],
        program=program[order],
        asset=asset[order],
        touch_type=touch_type[order],
        causal=causal[order],
    )
