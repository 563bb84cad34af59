"""Opportunities: their stage history and their state when the window closes.

A deal opens in Discovery and moves to Evaluation, Proposal and Negotiation at fixed shares of its
cycle (a lost deal stops at the stage it reached), then closes won or lost at the end of its cycle.
It is quoted at discovery and re-quoted at the proposal (to its final amount). Changes at or after
the window's end are not recorded, so the opportunity's state is its last recorded change.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from demandos.simulate.journeys import LOST, PROPOSAL, STAGE_AT, STAGES, WON, Deals
from demandos.simulate.parts import labels, prefixed_ids
from demandos.simulate.window import DAY, BoolArray, IntArray, Window


@dataclass(frozen=True, eq=False)
class DealState:
    """Each deal's last recorded stage and amount, and its history rows."""

    stage: IntArray  # index into STAGES
    amount: IntArray
    history: dict[str, pa.Array]


def deal_state(deals: Deals, window: Window) -> DealState:
    end = window.end_s
    n = len(deals)
    opp: list[IntArray] = []
    at: list[IntArray] = []
    stage: list[IntArray] = []
    amount: list[IntArray] = []
    closing: list[BoolArray] = []
    recorded = np.zeros(n, dtype=np.int64)
    for j, share in enumerate(STAGE_AT):
        t = deals.t_open + (share * deals.cycle).astype(np.int64) + j  # distinct moments
        keep = (j <= deals.reach) & (t < end)
        recorded += keep
        opp.append(np.flatnonzero(keep))
        at.append(t[keep])
        stage.append(np.full(int(keep.sum()), j, dtype=np.int64))
        amount.append((deals.final if j >= PROPOSAL else deals.initial)[keep])
        closing.append(np.zeros(int(keep.sum()), dtype=np.bool_))
    current = recorded - 1
    current_amount = np.where(current >= PROPOSAL, deals.final, deals.initial)
    shut = np.flatnonzero(deals.closed)
    outcome = np.where(deals.won, WON, LOST)
    opp.append(shut)
    at.append(deals.t_close[shut])
    stage.append(outcome[shut])
    amount.append(current_amount[shut])
    closing.append(np.ones(shut.size, dtype=np.bool_))
    final_stage = np.where(deals.closed, outcome, current)

    o, t, s = np.concatenate(opp), np.concatenate(at), np.concatenate(stage)
    a, c = np.concatenate(amount), np.concatenate(closing)
    order = np.lexsort((t, o))
    o, t, s, a, c = o[order], t[order], s[order], a[order], c[order]
    history = {
        "opp_id": prefixed_ids("opp-", deals.first_id + o, 7),
        "changed_at": window.timestamps(t),
        "stage": labels(STAGES, s),
        "amount": pa.array(a.astype(np.float64), pa.float64()),
        "is_closed": pa.array(c, pa.bool_()),
        "is_won": pa.array(c & (s == WON), pa.bool_()),
    }
    return DealState(final_stage.astype(np.int64), current_amount.astype(np.int64), history)


def opportunity_columns(
    deals: Deals,
    state: DealState,
    window: Window,
    *,
    source: pa.Array,
    names: pa.Array,
    account_ids: pa.Array,
    causal_channel: pa.Array,
    segment: pa.Array,
    owner: pa.Array,
    expected_cycle_days: IntArray,
) -> dict[str, pa.Array]:
    """The opportunities table. An open deal's close date is the rep's estimate (may be later)."""
    expected = deals.t_open // DAY + expected_cycle_days
    close_day = np.where(deals.closed, deals.t_close // DAY, expected)
    won = deals.closed & deals.won
    return {
        "opp_id": prefixed_ids("opp-", deals.first_id + np.arange(len(deals), dtype=np.int64), 7),
        "account_id": account_ids,
        "created_at": window.timestamps(deals.t_open),
        "amount": pa.array(state.amount.astype(np.float64), pa.float64()),
        "stage": labels(STAGES, state.stage),
        "close_date": window.dates(close_day),
        "is_closed": pa.array(deals.closed, pa.bool_()),
        "is_won": pa.array(won, pa.bool_()),
        "source": source,
        "name": names,
        "causal_channel": causal_channel,
        "segment": segment,
        "owner": owner,
    }
