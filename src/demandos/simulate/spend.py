"""Money: what the paid programs spend each day, what the platforms report, and monthly costs.

A paid program delivers its planned budget (``demand.budget_profile``: the launch's spike and
decay, campaign dates) with gamma noise around it. Impressions and clicks follow the channel's
``cpc`` and ``ctr`` (with daily noise). ``conversions`` are what the platform reports: it claims
more than it caused (``PLATFORM_OVERCOUNT`` × the leads the program truly caused) plus
view-through conversions. Costs are the fixed monthly items, scaled with the company's size;
media lives in ``spend``.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from demandos.simulate.demand import Plan
from demandos.simulate.parts import labels
from demandos.simulate.window import IntArray

DELIVERY_SHAPE = 30.0  # gamma shape of a day's delivery against budget (CV ≈ 18%)
CPC_SIGMA, CTR_SIGMA = 0.12, 0.15  # daily lognormal noise
PLATFORM_OVERCOUNT = 1.3
VIEW_THROUGH_PER_1K = 0.05  # view-through conversions per thousand impressions


def month_spend(plan: Plan, first: int, stop: int, g: np.random.Generator) -> IntArray:
    """Cents spent per day [first, stop) × program."""
    noise = g.gamma(
        DELIVERY_SHAPE, 1.0 / DELIVERY_SHAPE, size=(stop - first, len(plan.program_ids))
    )
    return np.rint(plan.budget[first:stop] * noise * 100.0).astype(np.int64)


def spend_columns(
    plan: Plan, first: int, cents: IntArray, leads: IntArray, g: np.random.Generator
) -> tuple[dict[str, pa.Array], IntArray]:
    """The spend rows of days from ``first`` (``cents``, ``leads``: days × programs).

    Returns the columns and the platform clicks per day × program.
    """
    shape = cents.shape
    channels = plan.params.channels
    ch = plan.program_channel
    cpc = np.array([channels[c].cpc for c in ch])[None, :]
    ctr = np.array([channels[c].ctr for c in ch])[None, :]
    cpc_day = cpc * g.lognormal(-0.5 * CPC_SIGMA**2, CPC_SIGMA, size=shape)
    ctr_day = np.clip(ctr * g.lognormal(-0.5 * CTR_SIGMA**2, CTR_SIGMA, size=shape), 0.0, 1.0)
    amount = cents / 100.0
    clicks_planned = np.divide(amount, cpc_day, out=np.zeros(shape), where=cpc_day > 0)
    views = np.divide(clicks_planned, ctr_day, out=np.zeros(shape), where=ctr_day > 0)
    impressions = g.poisson(views)
    clicks = g.binomial(impressions, ctr_day)
    view_through = g.poisson(impressions * VIEW_THROUGH_PER_1K / 1000.0)
    conversions = np.round(PLATFORM_OVERCOUNT * leads + view_through, 1)

    rows = (cents > 0) & plan.paid_channel[ch][None, :]
    day, p = np.nonzero(rows)
    clicks = np.where(rows, clicks, 0).astype(np.int64)
    program = labels(plan.program_ids, p.astype(np.int64))
    columns = {
        "date": plan.window.dates((first + day).astype(np.int64)),
        "channel": labels(plan.channel_ids, ch[p]),
        "platform": labels([c.platform for c in channels], ch[p]),
        "program_id": program,
        "amount": pa.array(amount[day, p], pa.float64()),
        "currency": pa.array([plan.params.currency] * day.size, pa.string()),
        "impressions": pa.array(impressions[day, p], pa.int64()),
        "clicks": pa.array(clicks[day, p], pa.int64()),
        "conversions": pa.array(conversions[day, p], pa.float64()),
        "campaign": program,
        "cost_micros": pa.array(cents[day, p] * 10_000, pa.int64()),
    }
    return columns, clicks


def costs_columns(plan: Plan) -> dict[str, pa.Array]:
    """``monthly_costs`` for every month of the window, scaled with the company's size."""
    items = plan.params.monthly_costs
    months = [plan.window.day_date(int(d)) for d in plan.window.month_start_day[:-1]]
    return {
        "month": pa.array([m for m in months for _ in items], pa.date32()),
        "category": pa.array([c for _ in months for c, _, _ in items], pa.string()),
        "item": pa.array([i for _ in months for _, i, _ in items], pa.string()),
        "amount": pa.array(
            [round(a * plan.scale, 2) for _ in months for _, _, a in items], pa.float64()
        ),
    }


def total_costs(plan: Plan) -> float:
    """The sum of the costs table."""
    per_month = sum(round(a * plan.scale, 2) for _, _, a in plan.params.monthly_costs)
    return round(per_month * plan.window.months, 2)
