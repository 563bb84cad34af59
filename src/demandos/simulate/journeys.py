"""People's journeys: the leads that arrive each day, who they are, and how far each one gets.

A month at a time, vectorized:

1. **arrivals** — Poisson counts per day × channel from the baseline, paid response and content
   intensities (``demand.py``); each lead gets a moment, the program that caused it and, for
   content-led leads, the asset;
2. **people** — an account picked by engagement weight, a title (and so a persona) by the
   account's fit, a name unique within the account;
3. **funnel** — lead → MQL → SQL → opportunity with the segment's probabilities after exponential
   delays; then won or lost with the segment's win rate after a gamma cycle (shape 3). Whatever
   would happen at or after the window's end is not recorded: those people are still on their way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from demandos.simulate.accounts import Accounts
from demandos.simulate.content import Library
from demandos.simulate.demand import Plan, pick_program
from demandos.simulate.names import FIRST_NAMES, LAST_NAMES, TITLES
from demandos.simulate.window import DAY, HOUR, NONE, BoolArray, FloatArray, IntArray, time_of_day

BASELINE, PAID, CONTENT = 0, 1, 2  # what caused a lead
CONTENT_CHANNELS: tuple[tuple[str, float], ...] = (("organic_search", 0.65), ("newsletter", 0.35))
TARGETED_CHANNELS = frozenset(
    {"google_ads", "linkedin_ads", "meta_ads", "outbound_sdr", "events", "partners"}
)
PERSONA_IDS: tuple[str, ...] = tuple(p for p in TITLES if p)
PERSONA_MIX = {  # P(controller, finance_leader, ap_manager, no persona) by ICP fit
    True: (0.25, 0.15, 0.25, 0.35),
    False: (0.10, 0.08, 0.07, 0.75),
}
PRE_CREATED_DAYS = {"outbound_sdr": 30.0, "partners": 2.0}  # known before they became leads
CYCLE_SHAPE = 3.0
STAGES: tuple[str, ...] = (
    "Discovery",
    "Evaluation",
    "Proposal",
    "Negotiation",
    "Closed Won",
    "Closed Lost",
)
STAGE_AT = (0.0, 0.25, 0.5, 0.8)  # share of the cycle at which each open stage begins
PROPOSAL = 2  # the amount is re-quoted (to its final value) at this stage
LOST_AFTER = (0.35, 0.30, 0.20, 0.15)  # last open stage a lost deal reached
WON, LOST = 4, 5
LIFECYCLE: tuple[str, ...] = (
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
)
NAME_STEP = 7919  # prime: consecutive people of an account get distinct names


@dataclass(frozen=True, eq=False)
class Arrivals:
    """One month's leads, in order of arrival."""

    t_lead: IntArray
    channel: IntArray
    program: IntArray
    asset: IntArray  # NONE unless content-led
    kind: IntArray  # BASELINE, PAID or CONTENT


@dataclass(frozen=True, eq=False)
class Deals:
    """Opportunities of one month's people; ``person`` indexes the cohort."""

    first_id: int
    person: IntArray
    account: IntArray
    segment: IntArray
    channel: IntArray
    t_open: IntArray
    t_close: IntArray  # when it closes (or would: see ``closed``)
    cycle: IntArray
    initial: IntArray  # amount quoted at discovery
    final: IntArray  # amount from the proposal on
    won: BoolArray  # the outcome, recorded only when closed
    reach: IntArray  # last open stage reached before closing
    closed: BoolArray

    def __len__(self) -> int:
        return int(self.person.size)


@dataclass(frozen=True, eq=False)
class Cohort:
    """The people who became leads in one month."""

    first_id: int
    t_created: IntArray
    t_lead: IntArray
    t_mql: IntArray  # NONE where not reached inside the window
    t_sql: IntArray
    channel: IntArray
    program: IntArray
    asset: IntArray
    kind: IntArray
    account: IntArray
    segment: IntArray
    persona: IntArray  # index into PERSONA_IDS or NONE
    title: IntArray  # index into TITLE_LIST
    first_name: IntArray
    last_name: IntArray
    ordinal: IntArray  # the account's n-th person
    lifecycle: IntArray  # index into LIFECYCLE
    deals: Deals

    def __len__(self) -> int:
        return int(self.t_lead.size)


TITLE_LIST: tuple[str, ...] = tuple(t for titles in TITLES.values() for t in titles)
_TITLE_PERSONA = np.array(
    [PERSONA_IDS.index(p) if p else NONE for p, ts in TITLES.items() for _ in ts], dtype=np.int64
)


def arrivals(
    plan: Plan,
    library: Library,
    pull: FloatArray,
    first: int,
    stop: int,
    adstocked: FloatArray,
    g: np.random.Generator,
) -> Arrivals:
    """Leads of days [first, stop); ``adstocked`` is the programs' adstock on those days."""
    n_days, n_ch = stop - first, plan.n_channels
    content = np.zeros((n_days, n_ch))
    level = plan.scale * plan.params.content.leads_per_asset_per_day * pull[first:stop]
    for channel_id, share in CONTENT_CHANNELS:
        content[:, plan.channel(channel_id)] = level * share
    lambdas = (plan.baseline(first, stop), plan.response(adstocked), content)
    cells = [np.repeat(np.arange(n_days * n_ch), g.poisson(lam).ravel()) for lam in lambdas]
    kind = np.concatenate([np.full(c.size, k, dtype=np.int64) for k, c in enumerate(cells)])
    cell = np.concatenate(cells)
    local_day, channel = cell // n_ch, cell % n_ch
    day = first + local_day
    t_lead = day * DAY + time_of_day(g, cell.size)
    u = g.random((cell.size, 2))
    program = pick_program(plan, plan.touch_weights(), channel, day, u[:, 0])
    paid = kind == PAID
    # a paid lead's program: by adstock among the programs running that day (carry-over after a
    # campaign ended goes to its channel's running programs)
    running = adstocked * plan.active[first:stop]
    by_running = pick_program(plan, running, channel[paid], local_day[paid], u[paid, 0])
    by_adstock = pick_program(plan, adstocked, channel[paid], local_day[paid], u[paid, 0])
    program[paid] = np.where(by_running != NONE, by_running, by_adstock)
    asset = np.full(cell.size, NONE, dtype=np.int64)
    led = kind == CONTENT
    asset[led] = library.pick(day[led] * DAY, u[led, 1])
    order = np.argsort(t_lead, kind="stable")
    return Arrivals(t_lead[order], channel[order], program[order], asset[order], kind[order])


def _categorical(u: FloatArray, probs: FloatArray) -> IntArray:
    """One category per row: ``probs`` is rows × categories (rows sum to 1)."""
    cum = np.cumsum(probs, axis=1)
    last = int(probs.shape[1]) - 1
    out: IntArray = np.minimum((u[:, None] >= cum).sum(axis=1), last).astype(np.int64)
    return out


def make_cohort(
    plan: Plan,
    accounts: Accounts,
    arr: Arrivals,
    people_per_account: IntArray,
    first_id: int,
    first_opp_id: int,
    gp: np.random.Generator,
    gf: np.random.Generator,
) -> Cohort:
    """Who the month's leads are (``gp``) and how far they get (``gf``).

    ``people_per_account`` counts each account's people so far; it is updated in place.
    """
    n = arr.t_lead.size
    targeted = np.isin(arr.channel, [plan.channel(c) for c in TARGETED_CHANNELS])
    account = np.empty(n, dtype=np.int64)
    n_acc = len(accounts)
    account[~targeted] = gp.choice(n_acc, size=int((~targeted).sum()), p=accounts.weight_broad)
    account[targeted] = gp.choice(n_acc, size=int(targeted.sum()), p=accounts.weight_targeted)
    segment = accounts.segment[account]

    mix = np.array([PERSONA_MIX[bool(icp)] for icp in (False, True)])
    u = gp.random((n, 2))
    persona_cat = _categorical(u[:, 0], mix[accounts.in_icp[account].astype(np.int64)])
    title = np.zeros(n, dtype=np.int64)
    offset = 0
    for k, titles in enumerate(TITLES.values()):
        rows = persona_cat == k
        pick = np.minimum((u[rows, 1] * len(titles)).astype(np.int64), len(titles) - 1)
        title[rows] = offset + pick
        offset += len(titles)
    persona = _TITLE_PERSONA[title]

    by_account = np.argsort(account, kind="stable")
    sorted_acc = account[by_account]
    starts = np.flatnonzero(np.r_[True, sorted_acc[1:] != sorted_acc[:-1]])
    rank = np.arange(n) - np.repeat(starts, np.diff(np.r_[starts, n]))
    ordinal = np.empty(n, dtype=np.int64)
    ordinal[by_account] = people_per_account[sorted_acc] + rank
    people_per_account += np.bincount(account, minlength=n_acc)
    n_names = len(FIRST_NAMES) * len(LAST_NAMES)
    combo = (accounts.name_offset[account] + ordinal * NAME_STEP) % n_names

    t_created = arr.t_lead.copy()
    for channel_id, mean_days in PRE_CREATED_DAYS.items():
        rows = arr.channel == plan.channel(channel_id)
        earlier = gp.exponential(mean_days * DAY, int(rows.sum())).astype(np.int64)
        t_created[rows] = arr.t_lead[rows] - np.minimum(earlier, arr.t_lead[rows])

    t_mql, t_sql, lifecycle, deals = _funnel(plan, arr, account, segment, first_opp_id, gf)
    return Cohort(
        first_id=first_id,
        t_created=t_created,
        t_lead=arr.t_lead,
        t_mql=t_mql,
        t_sql=t_sql,
        channel=arr.channel,
        program=arr.program,
        asset=arr.asset,
        kind=arr.kind,
        account=account,
        segment=segment,
        persona=persona,
        title=title,
        first_name=combo // len(LAST_NAMES),
        last_name=combo % len(LAST_NAMES),
        ordinal=ordinal,
        lifecycle=lifecycle,
        deals=deals,
    )


def _funnel(
    plan: Plan,
    arr: Arrivals,
    account: IntArray,
    segment: IntArray,
    first_opp_id: int,
    g: np.random.Generator,
) -> tuple[IntArray, IntArray, IntArray, Deals]:
    """MQL and SQL moments (NONE if not reached), lifecycle stage and the deals of a cohort."""
    p = plan.params
    end = plan.window.end_s
    n = arr.t_lead.size
    segs = p.segments
    rates = np.array([[s.lead_to_mql, s.mql_to_sql, s.sql_to_opp] for s in segs])[segment]
    means = np.array([p.lead_to_mql_days, p.mql_to_sql_days, p.sql_to_opp_days]) * DAY
    u = g.random((n, 3))
    delay = (g.exponential(1.0, (n, 3)) * means).astype(np.int64)
    goes = np.cumprod(u < rates, axis=1).astype(np.bool_)  # reaches MQL, SQL, opportunity
    t_step = arr.t_lead[:, None] + np.cumsum(delay, axis=1)
    reached = goes & (t_step < end)
    t_mql = np.where(reached[:, 0], t_step[:, 0], NONE)
    t_sql = np.where(reached[:, 1], t_step[:, 1], NONE)

    # every person draws a would-be deal, so the stream does not depend on who converts
    seg_mean = np.array([s.deal_size_mean for s in segs])[segment]
    sigma = np.array([s.deal_size_sigma for s in segs])[segment]
    final = np.maximum(np.rint(g.lognormal(np.log(seg_mean) - sigma**2 / 2, sigma) / 100), 5) * 100
    initial = np.maximum(np.rint(final * g.uniform(0.75, 1.25, n) / 100), 1) * 100
    cycle_mean = np.array([s.cycle_days_mean for s in segs])[segment]
    cycle = np.maximum(g.gamma(CYCLE_SHAPE, cycle_mean / CYCLE_SHAPE) * DAY, 16 * HOUR)
    won = g.random(n) < np.array([s.win_rate for s in segs])[segment]
    lost_reach = _categorical(g.random(n), np.tile(np.array(LOST_AFTER), (n, 1)))
    reach = np.where(won, len(STAGE_AT) - 1, lost_reach)

    has = np.flatnonzero(reached[:, 2])
    t_open = t_step[has, 2]
    t_close = t_open + cycle[has].astype(np.int64)
    deals = Deals(
        first_id=first_opp_id,
        person=has.astype(np.int64),
        account=account[has],
        segment=segment[has],
        channel=arr.channel[has],
        t_open=t_open,
        t_close=t_close,
        cycle=cycle[has].astype(np.int64),
        initial=initial[has].astype(np.int64),
        final=final[has].astype(np.int64),
        won=won[has],
        reach=reach[has].astype(np.int64),
        closed=t_close < end,
    )
    lifecycle = reached.sum(axis=1).astype(np.int64)
    lifecycle[has[deals.won & deals.closed]] = len(LIFECYCLE) - 1
    return t_mql, t_sql, lifecycle, deals
