"""The simulation engine: 18 months of the company's demand engine, streamed to Parquet parts.

``simulate`` runs a month at a time. Each month: the paid programs spend (``spend.py``), which with
the baseline and the content library sets the day's lead intensities (``demand.py``); the leads
arrive, become people at accounts and travel the funnel (``journeys.py``, ``deals.py``); their
touchpoints are drawn (``touches.py``); every table's rows of the month are written, and the
aggregates (web sessions, newsletter clicks, the ground truth) accumulate. The slow-moving tables
(accounts, assets, costs, audiences, email campaigns, web sessions, feedback, competitor signals)
are written at the end. Each month draws from its own random streams, so results do not depend on
how the output is split into parts; memory is bounded by one month of touchpoints.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from demandos.progress import NullProgress, Progress, step
from demandos.simulate.accounts import Accounts, accounts_columns, make_accounts
from demandos.simulate.content import Library, make_library
from demandos.simulate.deals import deal_state, opportunity_columns
from demandos.simulate.demand import Plan, adstock, make_plan
from demandos.simulate.feedback import ClosedDeals, feedback_columns, signal_columns
from demandos.simulate.journeys import (
    LIFECYCLE,
    PERSONA_IDS,
    TITLE_LIST,
    Cohort,
    arrivals,
    make_cohort,
)
from demandos.simulate.names import DEPARTMENTS, FIRST_NAMES, LAST_NAMES, SALES_REPS
from demandos.simulate.owned import (
    EmailLedger,
    WebLedger,
    audiences_columns,
    make_audiences,
    send_times,
)
from demandos.simulate.params import SIZES, CompanyParams, Size, SizeParams
from demandos.simulate.parts import Sink, labels, prefixed_ids
from demandos.simulate.spend import costs_columns, month_spend, spend_columns, total_costs
from demandos.simulate.touches import TOUCH_TYPES, Touches, month_touches
from demandos.simulate.truth import Ledger, write_truth
from demandos.simulate.window import DAY, NONE, FloatArray, IntArray, Stream, Window, rng

REQUIRED_CHANNELS = (
    "organic_search",
    "newsletter",
    "webinars",
    "outbound_sdr",
    "review_sites",
    "events",
)


@dataclass(frozen=True)
class SimulationSummary:
    """What a run wrote: rows and parts per table, the window, and the totals of the truth."""

    size: str
    seed: int
    start: date
    end: date  # the last simulated day
    rows: dict[str, int]
    parts: dict[str, int]
    totals: dict[str, float]


@dataclass
class _Run:
    """Everything that carries from one month to the next."""

    plan: Plan
    accounts: Accounts
    library: Library
    pull: FloatArray
    sends: IntArray
    seed: int
    sink: Sink
    ledger: Ledger
    email: EmailLedger
    web: WebLedger
    adstock: FloatArray
    people_per_account: IntArray
    first_person_t: IntArray
    next_person: int = 0
    next_opp: int = 0
    next_touch: int = 0
    people_before_month: list[int] = field(default_factory=list)
    person_account: list[IntArray] = field(default_factory=list)
    closed: list[ClosedDeals] = field(default_factory=list)


def simulate(
    params: CompanyParams,
    size: Size | SizeParams,
    seed: int,
    out_dir: Path,
    truth_dir: Path,
    *,
    progress: Progress | None = None,
) -> SimulationSummary:
    """Simulate ``params.months`` months of the company at ``size`` with ``seed``.

    Writes every table to ``out_dir/<table>/part-NNNNN.parquet`` and the ground truth to
    ``truth_dir``. The same parameters, size and seed give byte-identical files.
    """
    progress = progress or NullProgress()
    if isinstance(size, str) and size not in SIZES:
        raise ValueError(f"no simulation size {size!r}: use one of {', '.join(SIZES)}")
    size_name = size if isinstance(size, str) else _size_name(size)
    sizes = SIZES[size] if isinstance(size, str) else size
    missing = [c for c in REQUIRED_CHANNELS if c not in {ch.id for ch in params.channels}]
    if missing:
        raise ValueError(f"the simulation needs the channels {', '.join(missing)}")
    window = Window.of(params.start, params.months)
    plan = make_plan(params, sizes, window)
    library = make_library(params, window, rng(seed, Stream.ASSETS))
    pull = library.pull(window.n_days)
    accounts = make_accounts(params, sizes, window, rng(seed, Stream.ACCOUNTS))
    sends = send_times(window.n_days)
    sink = Sink(out_dir, sizes.chunk_rows)
    run = _Run(
        plan=plan,
        accounts=accounts,
        library=library,
        pull=pull,
        sends=sends,
        seed=seed,
        sink=sink,
        ledger=Ledger(params),
        email=EmailLedger(plan, sends),
        web=WebLedger(plan),
        adstock=np.zeros(len(plan.program_ids)),
        people_per_account=np.zeros(len(accounts), dtype=np.int64),
        first_person_t=np.full(len(accounts), window.end_s, dtype=np.int64),
    )
    try:
        with step(progress, f"Simulating {params.months} months ({size_name})", params.months):
            for month in range(params.months):
                _month(run, month)
                progress.advance(1)
        with step(progress, "Writing accounts, content, feedback and ground truth"):
            _finish(run)
    finally:
        rows = sink.close()
    derived = {"scale": plan.scale, "baseline_leads_per_day": plan.baseline_per_day}
    write_truth(truth_dir, run.ledger, size_name=size_name, size=sizes, seed=seed, derived=derived)
    return SimulationSummary(
        size=size_name,
        seed=seed,
        start=window.start,
        end=window.last_day,
        rows=rows,
        parts={name: w.parts for name, w in sink.writers.items()},
        totals={**run.ledger.totals(), "costs": total_costs(plan)},
    )


def _size_name(size: SizeParams) -> str:
    for name, preset in SIZES.items():
        if replace(preset, chunk_rows=size.chunk_rows) == size:
            return name
    return "custom"


def _month(run: _Run, month: int) -> None:
    plan, seed = run.plan, run.seed
    first, stop = plan.window.month_days(month)
    cents = month_spend(plan, first, stop, rng(seed, Stream.SPEND, month))
    adstocked = adstock(cents / 100.0, plan.decay, run.adstock)
    arr = arrivals(
        plan, run.library, run.pull, first, stop, adstocked, rng(seed, Stream.ARRIVALS, month)
    )
    cohort = make_cohort(
        plan,
        run.accounts,
        arr,
        run.people_per_account,
        run.next_person,
        run.next_opp,
        rng(seed, Stream.PEOPLE, month),
        rng(seed, Stream.FUNNEL, month),
    )
    touches = month_touches(plan, cohort, run.library, run.sends, rng(seed, Stream.TOUCHES, month))

    caused = arr.program >= 0
    cell = (arr.t_lead[caused] // DAY - first) * len(plan.program_ids) + arr.program[caused]
    leads = np.bincount(cell, minlength=cents.size).reshape(cents.shape)
    spend, clicks = spend_columns(plan, first, cents, leads, rng(seed, Stream.SPEND, month, 1))
    run.sink.write("spend", spend)
    run.web.add_clicks(first, clicks)
    run.ledger.add_spend(plan.program_channel, cents)

    source = touches.first_channel(len(cohort))
    run.sink.write("people", _people(run, cohort, source))
    _deals(run, cohort, source)
    run.sink.write("touchpoints", _touchpoints(run, cohort, touches))
    run.ledger.add_cohort(cohort)
    run.web.add(touches)
    run.email.add(touches)

    np.minimum.at(run.first_person_t, cohort.account, cohort.t_created)
    run.people_before_month.append(run.next_person)
    run.person_account.append(cohort.account)
    run.next_person += len(cohort)
    run.next_opp += len(cohort.deals)
    run.next_touch += len(touches)


def _ascii(names: tuple[str, ...]) -> list[str]:
    folded = (unicodedata.normalize("NFKD", n).encode("ascii", "ignore").decode() for n in names)
    return [n.lower() for n in folded]


_EMAIL_FIRST, _EMAIL_LAST = _ascii(FIRST_NAMES), _ascii(LAST_NAMES)
DEPARTMENT_LIST = [DEPARTMENTS[title] or None for title in TITLE_LIST]


def _people(run: _Run, cohort: Cohort, source: IntArray) -> dict[str, pa.Array]:
    plan, acc, window = run.plan, run.accounts, run.plan.window
    n = len(cohort)
    local = labels(_EMAIL_FIRST, cohort.first_name)
    local = pc.binary_join_element_wise(local, labels(_EMAIL_LAST, cohort.last_name), ".")
    repeat = cohort.ordinal // (len(FIRST_NAMES) * len(LAST_NAMES))
    if (repeat > 0).any():  # more people at one account than names: number the repeats
        numbered = pc.binary_join_element_wise(local, pc.cast(pa.array(repeat), pa.string()), "")
        local = pc.if_else(pa.array(repeat > 0), numbered, local)
    domain = acc.domains.take(pa.array(cohort.account))
    return {
        "person_id": prefixed_ids("p-", cohort.first_id + np.arange(n, dtype=np.int64), 8),
        "account_id": acc.ids.take(pa.array(cohort.account)),
        "email": pc.binary_join_element_wise(local, domain, "@"),
        "title": labels(TITLE_LIST, cohort.title),
        "department": labels(DEPARTMENT_LIST, cohort.title),
        "created_at": window.timestamps(cohort.t_created),
        "lead_at": window.timestamps(cohort.t_lead),
        "mql_at": window.timestamps(cohort.t_mql, cohort.t_mql != NONE),
        "sql_at": window.timestamps(cohort.t_sql, cohort.t_sql != NONE),
        "lead_source": labels(plan.channel_ids, source),
        "first_name": labels(FIRST_NAMES, cohort.first_name),
        "last_name": labels(LAST_NAMES, cohort.last_name),
        "persona": labels(PERSONA_IDS, cohort.persona),
        "segment": labels([s.id for s in plan.params.segments], cohort.segment),
        "causal_channel": labels(plan.channel_ids, cohort.channel),
        "lifecycle_stage": labels(LIFECYCLE, cohort.lifecycle),
    }


def _deals(run: _Run, cohort: Cohort, source: IntArray) -> None:
    plan, acc, deals = run.plan, run.accounts, cohort.deals
    state = deal_state(deals, plan.window)
    segs = plan.params.segments
    names = pc.binary_join_element_wise(
        acc.names.take(pa.array(deals.account)), "AP Automation", " – "
    )
    cycle_days = np.array([round(s.cycle_days_mean) for s in segs], dtype=np.int64)
    run.sink.write(
        "opportunities",
        opportunity_columns(
            deals,
            state,
            plan.window,
            source=labels(plan.channel_ids, source[deals.person]),
            names=names,
            account_ids=acc.ids.take(pa.array(deals.account)),
            causal_channel=labels(plan.channel_ids, deals.channel),
            segment=labels([s.id for s in segs], deals.segment),
            owner=labels(SALES_REPS, acc.owner[deals.account]),
            expected_cycle_days=cycle_days[deals.segment],
        ),
    )
    run.sink.write("opportunity_history", state.history)
    run.ledger.add_deals(deals, state.amount)
    shut = deals.closed
    run.closed.append(
        ClosedDeals(
            account=deals.account[shut],
            person=cohort.first_id + deals.person[shut],
            t_close=deals.t_close[shut],
            won=deals.won[shut],
            in_icp=acc.in_icp[deals.account[shut]],
        )
    )


def _touchpoints(run: _Run, cohort: Cohort, touches: Touches) -> dict[str, pa.Array]:
    plan = run.plan
    channels = plan.params.channels
    program = labels(plan.program_ids, touches.program)
    assets = run.library.columns["asset_id"]
    return {
        "touch_id": prefixed_ids("t-", run.next_touch + np.arange(len(touches), dtype=np.int64), 9),
        "ts": plan.window.timestamps(touches.ts),
        "person_id": prefixed_ids("p-", cohort.first_id + touches.person, 8),
        "account_id": run.accounts.ids.take(pa.array(cohort.account[touches.person])),
        "channel": labels(plan.channel_ids, touches.channel),
        "program_id": program,
        "asset_id": assets.take(pa.array(touches.asset, mask=touches.asset == NONE)),
        "touch_type": labels(TOUCH_TYPES, touches.touch_type),
        "utm_source": labels([c.utm_source for c in channels], touches.channel),
        "utm_medium": labels([c.utm_medium for c in channels], touches.channel),
        "utm_campaign": program,
        "is_causal": pa.array(touches.causal, pa.bool_()),
    }


def _finish(run: _Run) -> None:
    plan, seed, sink = run.plan, run.seed, run.sink
    window = plan.window
    sink.write("accounts", accounts_columns(run.accounts, run.first_person_t, window))
    sink.write("assets", run.library.columns)
    sink.write("costs", costs_columns(plan))
    audiences = make_audiences(plan, run.pull, rng(seed, Stream.AUDIENCES))
    sink.write("audiences", audiences_columns(plan, audiences))
    sink.write(
        "email_campaigns", run.email.columns(audiences["newsletter"], rng(seed, Stream.EMAIL))
    )
    sink.write("web_sessions", run.web.columns(rng(seed, Stream.WEB)))
    closed = ClosedDeals(
        account=np.concatenate([c.account for c in run.closed]),
        person=np.concatenate([c.person for c in run.closed]),
        t_close=np.concatenate([c.t_close for c in run.closed]),
        won=np.concatenate([c.won for c in run.closed]),
        in_icp=np.concatenate([c.in_icp for c in run.closed]),
    )
    people_before = np.array([*run.people_before_month, run.next_person], dtype=np.int64)
    sink.write(
        "feedback",
        feedback_columns(
            window,
            plan.params.competitors,
            plan.scale,
            closed,
            np.concatenate(run.person_account),
            people_before,
            run.accounts.ids,
            rng(seed, Stream.FEEDBACK),
        ),
    )
    sink.write(
        "competitor_signals",
        signal_columns(window, plan.params.competitors, rng(seed, Stream.SIGNALS)),
    )
