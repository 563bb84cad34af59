"""The market's voice: win/loss notes, NPS from customers, surveys, interviews, competitor signals.

Drawn after the months are simulated, from the deals that closed: a share of closed deals gets a
win/loss note (reasons as tags, sometimes the competitor), customers answer a quarterly NPS survey
(ICP customers are happier), a few market surveys and customer interviews, and a handful of
competitor signals per month.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from demandos.simulate.names import (
    INTERVIEW_NOTES,
    LOSS_NOTES,
    LOSS_TAGS,
    NPS_NOTES,
    SIGNAL_KINDS,
    SURVEY_QUESTIONS,
    WIN_NOTES,
    WIN_TAGS,
)
from demandos.simulate.parts import prefixed_ids
from demandos.simulate.window import DAY, HOUR, BoolArray, IntArray, Window

WIN_LOSS_SHARE = 0.4  # of closed deals that get a note
COMPETITOR_MENTION = 0.3
NPS_EVERY_MONTHS, NPS_RESPONSE = 3, 0.3
NPS_WEIGHTS = {  # relative frequency of scores 0..10
    True: (1, 1, 1, 1, 2, 3, 5, 8, 14, 18, 16),
    False: (2, 2, 3, 4, 5, 7, 8, 9, 9, 7, 4),
}
SURVEY_EVERY_MONTHS, SURVEY_RESPONSES = 6, 40.0
INTERVIEWS_PER_MONTH = 2.0
SIGNALS_PER_MONTH = 4.0

Gen = np.random.Generator


@dataclass(frozen=True, eq=False)
class ClosedDeals:
    """Every deal closed inside the window (over all months)."""

    account: IntArray
    person: IntArray  # global person index
    t_close: IntArray
    won: BoolArray
    in_icp: BoolArray


class _Rows:
    def __init__(self) -> None:
        self.ts: list[int] = []
        self.account: list[int] = []
        self.person: list[int] = []
        self.kind: list[str] = []
        self.score: list[float | None] = []
        self.text: list[str] = []
        self.tags: list[list[str]] = []
        self.competitor: list[str | None] = []

    def add(
        self,
        ts: int,
        account: int,
        person: int,
        kind: str,
        score: float | None,
        text: str,
        tags: list[str],
        competitor: str | None = None,
    ) -> None:
        self.ts.append(ts)
        self.account.append(account)
        self.person.append(person)
        self.kind.append(kind)
        self.score.append(score)
        self.text.append(text)
        self.tags.append(tags)
        self.competitor.append(competitor)


def _pick(g: np.random.Generator, options: tuple[str, ...]) -> str:
    return options[int(g.integers(len(options)))]


def _win_loss(
    rows: _Rows, closed: ClosedDeals, competitors: tuple[str, ...], end: int, g: Gen
) -> None:
    for i in np.flatnonzero(g.random(closed.won.size) < WIN_LOSS_SHARE):
        ts = int(closed.t_close[i]) + int(g.integers(DAY, 10 * DAY))
        won = bool(closed.won[i])
        tags = sorted({_pick(g, WIN_TAGS if won else LOSS_TAGS) for _ in range(2)})
        mention = "competitor" in tags or g.random() < COMPETITOR_MENTION
        competitor = _pick(g, competitors) if competitors and mention else None
        text = _pick(g, WIN_NOTES if won else LOSS_NOTES)
        if ts < end:
            acc, person = int(closed.account[i]), int(closed.person[i])
            rows.add(ts, acc, person, "win_loss", None, text, tags, competitor)


def _customers(closed: ClosedDeals) -> IntArray:
    """Each customer account's first won deal (index into ``closed``), in time order."""
    won = np.flatnonzero(closed.won)
    order = won[np.argsort(closed.t_close[won], kind="stable")]
    _, first = np.unique(closed.account[order], return_index=True)
    return order[np.sort(first)].astype(np.int64)


def _nps(rows: _Rows, closed: ClosedDeals, window: Window, g: Gen) -> None:
    customers = _customers(closed)
    for m in range(NPS_EVERY_MONTHS - 1, window.months, NPS_EVERY_MONTHS):
        survey_t = (int(window.month_start_day[m]) + 14) * DAY + 10 * HOUR
        asked = customers[closed.t_close[customers] < survey_t]
        for i in asked[g.random(asked.size) < NPS_RESPONSE]:
            weights = np.array(NPS_WEIGHTS[bool(closed.in_icp[i])], dtype=np.float64)
            score = int(g.choice(11, p=weights / weights.sum()))
            text, tags = NPS_NOTES[0 if score <= 6 else 1 if score <= 8 else 2]
            ts = survey_t + int(g.exponential(2 * DAY))
            if ts < window.end_s:
                acc, person = int(closed.account[i]), int(closed.person[i])
                rows.add(ts, acc, person, "nps", float(score), text, list(tags))


def _surveys(
    rows: _Rows,
    window: Window,
    scale: float,
    person_account: IntArray,
    people_before_month: IntArray,
    g: Gen,
) -> None:
    for m in range(SURVEY_EVERY_MONTHS - 2, window.months, SURVEY_EVERY_MONTHS):
        known = int(people_before_month[m])
        question, tags = SURVEY_QUESTIONS[(m // SURVEY_EVERY_MONTHS) % len(SURVEY_QUESTIONS)]
        start = int(window.month_start_day[m]) * DAY
        for _ in range(min(known, int(g.poisson(SURVEY_RESPONSES * np.sqrt(scale))))):
            person = int(g.integers(known))
            ts = start + int(g.integers(0, 10 * DAY))
            score = float(g.integers(1, 6))
            rows.add(ts, int(person_account[person]), person, "survey", score, question, list(tags))


def _interviews(rows: _Rows, closed: ClosedDeals, window: Window, g: Gen) -> None:
    customers = _customers(closed)
    for m in range(window.months):
        start, stop = (int(x) * DAY for x in window.month_days(m))
        pool = customers[closed.t_close[customers] < start]
        for _ in range(int(g.poisson(INTERVIEWS_PER_MONTH)) if pool.size else 0):
            i = int(pool[int(g.integers(pool.size))])
            text, tags = INTERVIEW_NOTES[int(g.integers(len(INTERVIEW_NOTES)))]
            ts = int(g.integers(start, stop))
            acc, person = int(closed.account[i]), int(closed.person[i])
            rows.add(ts, acc, person, "interview", None, text, list(tags))


def feedback_columns(
    window: Window,
    competitors: tuple[str, ...],
    scale: float,
    closed: ClosedDeals,
    person_account: IntArray,
    people_before_month: IntArray,
    account_ids: pa.Array,
    g: Gen,
) -> dict[str, pa.Array]:
    """Win/loss notes, NPS answers, surveys and interviews, in time order."""
    rows = _Rows()
    _win_loss(rows, closed, competitors, window.end_s, g)
    _nps(rows, closed, window, g)
    _surveys(rows, window, scale, person_account, people_before_month, g)
    _interviews(rows, closed, window, g)

    order = np.argsort(np.array(rows.ts, dtype=np.int64), kind="stable")
    account = np.array(rows.account, dtype=np.int64)[order]
    person = np.array(rows.person, dtype=np.int64)[order]

    def ordered(values: list[str] | list[str | None] | list[float | None]) -> list[object]:
        return [values[int(i)] for i in order]

    return {
        "feedback_id": prefixed_ids("fb-", np.arange(order.size, dtype=np.int64), 6),
        "ts": window.timestamps(np.array(rows.ts, dtype=np.int64)[order]),
        "account_id": account_ids.take(pa.array(account, pa.int64())),
        "person_id": prefixed_ids("p-", person, 8),
        "kind": pa.array(ordered(rows.kind), pa.string()),
        "score": pa.array(ordered(rows.score), pa.float64()),
        "text": pa.array(ordered(rows.text), pa.string()),
        "tags": pa.array([rows.tags[int(i)] for i in order], pa.list_(pa.string())),
        "competitor": pa.array(ordered(rows.competitor), pa.string()),
    }


def signal_columns(window: Window, competitors: tuple[str, ...], g: Gen) -> dict[str, pa.Array]:
    """A few observations of competitors per month."""
    ts: list[int] = []
    comp: list[str] = []
    kind: list[str] = []
    note: list[str] = []
    source: list[str] = []
    for m in range(window.months):
        first, stop = window.month_days(m)
        for _ in range(int(g.poisson(SIGNALS_PER_MONTH)) if competitors else 0):
            c = competitors[int(g.integers(len(competitors)))]
            k, template, src = SIGNAL_KINDS[int(g.integers(len(SIGNAL_KINDS)))]
            ts.append(int(g.integers(first, stop)) * DAY + int(g.integers(8 * HOUR, 18 * HOUR)))
            comp.append(c)
            kind.append(k)
            note.append(template.format(c=c))
            source.append(src)
    order = np.argsort(np.array(ts, dtype=np.int64), kind="stable")

    def col(values: list[str]) -> pa.Array:
        return pa.array([values[int(i)] for i in order], pa.string())

    return {
        "signal_id": prefixed_ids("sig-", np.arange(order.size, dtype=np.int64), 5),
        "ts": window.timestamps(np.array(ts, dtype=np.int64)[order]),
        "competitor": col(comp),
        "kind": col(kind),
        "note": col(note),
        "source": col(source),
    }
