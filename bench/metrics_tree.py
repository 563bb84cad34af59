"""Benchmark: the whole metric tree for 12 months of ISO weeks by channel, against pandas.

    .venv/bin/python bench/metrics_tree.py [--workspace DIR] [--repeat 3]

The workspace is the `large` demo company (seed 7): the demo's specs (metrics.yaml and the rest,
from ``write_company``) and 18 simulated months (~25M touchpoints, 2.5M people, 106k
opportunities). It is built once and reused from ``--workspace`` (default: a folder under the
system's temp dir). It is *not* built through ``demandos demo --size large``, whose platform
exports and ingest would take many minutes: the simulated canonical tables are loaded straight
into the store with the canonical loader (``Workspace.load``), the way the demo loads the tables
no platform export feeds. The store's rows are the simulation's rows either way. The build is
timed and printed on its own; it is not part of the measurement.

Measured: every metric of metrics.yaml, by channel and in total, for each ISO week of the last
12 months of data (the 52 complete weeks before the data ends), with the previous week, the
same week last year, the trailing 4-week average, targets and states — through demandos's public
API, ``compute_many``.

Baseline: a straightforward pandas implementation of the same tree. It reads the current rows of
the same store snapshot (the Parquet files the snapshot lists, only the columns it needs) into
DataFrames, puts each row in its ISO week, and computes every component per week and channel
with one ``groupby`` each, then the same formulas, comparisons and data-coverage states.

Each case runs in its own subprocess, so its peak memory (max RSS) is its own; each case runs the
tree ``--repeat`` times and reports every wall time. The store keeps the deal touches (revenue
influenced and sourced) per snapshot, computed when a load changes opportunities or touchpoints
(``Workspace.load``/``ingest``): the bench drops them and times that step on its own ("kept at
load"). demandos then runs once more before the repeats, as the first reader of the snapshot,
which computes the table summaries the store keeps; that run is printed on its own too. The
parent checks that both cases give the same numbers (to rounding) before it prints anything: a
benchmark that disagrees with itself measures nothing.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

SIZE = "large"
SEED = 7
DONE = ".bench-built"  # written once the workspace is complete
CHUNK_PARTS = 12  # simulation parts (250k rows each) per load: bounds the loader's memory


def default_workspace() -> Path:
    return Path(tempfile.gettempdir()) / f"demandos-bench-{SIZE}-seed{SEED}"


# -- building the workspace ------------------------------------------------------------------


def build(root: Path) -> dict[str, float]:
    """The large demo workspace at ``root`` (reused when already built); seconds per step."""
    from demandos.simulate.company import write_company
    from demandos.simulate.demo import SIMULATION_DIR, TRUTH_DIR
    from demandos.simulate.engine import simulate
    from demandos.simulate.params import NORTHWIND
    from demandos.store.schema import TABLES
    from demandos.workspace import Workspace

    if (root / DONE).is_file():
        return json.loads((root / DONE).read_text())
    root.mkdir(parents=True, exist_ok=True)
    write_company(root, NORTHWIND, force=True)
    sim_dir = root / ".demandos" / SIMULATION_DIR
    t = time.perf_counter()
    simulate(NORTHWIND, SIZE, SEED, sim_dir, root / TRUTH_DIR)
    took = {"simulate": time.perf_counter() - t}
    t = time.perf_counter()
    with Workspace.open(root) as ws:
        for table in TABLES:
            parts = sorted((sim_dir / table).glob("*.parquet"))
            for i in range(0, len(parts), CHUNK_PARTS):
                ws.load(parts[i : i + CHUNK_PARTS], table=table)
    took["load"] = time.perf_counter() - t
    (root / DONE).write_text(json.dumps(took))
    return took


def last_weeks(root: Path, count: int = 52) -> tuple[list[str], date]:
    """The ``count`` complete ISO weeks before the store's data ends, and the day after it ends."""
    from demandos.metrics import current_period
    from demandos.workspace import Workspace

    with Workspace.open(root) as ws:
        ends = [s.max_time for s in ws.summary() if s.max_time is not None]
    end = max(e.date() if hasattr(e, "date") else e for e in ends)
    today = end + timedelta(days=1)
    week = current_period("week", today)
    if week.end > today:
        week = week.previous()
    return [week.shift(-k).label for k in range(count - 1, -1, -1)], today


# -- demandos -----------------------------------------------------------------------------------

Row = dict[str, Any]
FIELDS = ("value", "state", "previous", "last_year", "trailing_avg")


def _cpu() -> float:
    """CPU seconds of this process so far, every thread (DuckDB's and Arrow's too)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


Runs = list[tuple[float, float]]  # (wall s, cpu s) per run


def forget_kept(root: Path) -> None:
    """Drop what the store keeps per snapshot (table summaries, derived tables such as the deal
    touches), so that the next reader computes them, as the first reader after a load does."""
    from demandos.store.embedded import DERIVED, SUMMARIES

    for folder in (SUMMARIES, DERIVED):
        shutil.rmtree(root / ".demandos" / "facts" / folder, ignore_errors=True)


def compared_specs(specs: Any) -> Any:
    """``specs`` with only the metrics the pandas baseline implements (``FORMULAS``): the tree
    both sides compute. The others (revenue influenced, the attribution metrics and what reads
    them) are timed on the demandos side only, as the full tree against the compared one."""
    import dataclasses

    from demandos.spec.metrics import MetricsSpec

    kept = tuple(m for m in specs.metrics.metrics if m.id in FORMULAS)
    return dataclasses.replace(specs, metrics=MetricsSpec(metrics=kept))


def case_demandos(root: Path, weeks: list[str], today: date, repeat: int) -> tuple[Runs, list[Row]]:
    """``repeat`` + 1 runs of the compared tree (the first one reads the snapshot as its first
    reader does), then ``repeat`` runs of the full tree of metrics.yaml."""
    from demandos.metrics import compute_many
    from demandos.metrics.cohorts import keep_derived
    from demandos.workspace import Workspace

    forget_kept(root)
    with Workspace.open(root) as ws:  # what a load of opportunities or touchpoints does
        facts = ws.facts
        t, c = time.perf_counter(), _cpu()
        keep_derived(facts)
        runs = [(time.perf_counter() - t, _cpu() - c)]
    for full in [False] * (repeat + 1) + [True] * repeat:
        with Workspace.open(root) as ws:
            facts = ws.facts  # opens the store: a DuckDB connection and the snapshot's views
            specs = ws.specs if full else compared_specs(ws.specs)
            t, c = time.perf_counter(), _cpu()
            tables = compute_many(facts, specs, weeks, by="channel", today=today)
            runs.append((time.perf_counter() - t, _cpu() - c))
            if not full:
                compared = tables
    rows = [
        {"period": r.period, "metric": r.metric, "member": r.member}
        | {f: getattr(r, f) for f in FIELDS}
        for table in compared
        for r in table.rows
    ]
    return runs, rows


# -- the pandas baseline ------------------------------------------------------------------------

UNASSIGNED = "(unassigned)"
SALES_TOUCHES = ("sdr_call", "sales_call", "sales_meeting", "sales_email", "meeting")
LOOKBACK_DAYS = 90  # revenue sourced: touches this long before the deal was created
NOT_ACTIVITY = ("quarantine", "costs", "competitor_signals", "feedback")
DAY = pd.Timedelta(days=1)
WEEK = pd.Timedelta(days=7)
ARROW_STRINGS = {pa.string(): pd.ArrowDtype(pa.string())}  # strings stay Arrow (as pandas 3)


def _ratio(num: tuple[str, ...], den: tuple[str, ...], k: float = 1.0) -> Callable[..., Any]:
    def f(v: dict[str, np.ndarray], margin: float) -> np.ndarray:
        bottom = sum(v[n] for n in den)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(bottom == 0, np.nan, k * sum(v[n] for n in num) / bottom)

    return f


def _total(*names: str) -> Callable[..., Any]:
    return lambda v, margin: sum(v[n] for n in names)


def _velocity(v: dict[str, np.ndarray], margin: float) -> np.ndarray:
    won, lost, cycle = v["won"], v["lost"], v["cycle_days"]
    with np.errstate(divide="ignore", invalid="ignore"):
        value = v["open_opps"] * (won / (won + lost)) * (v["won_amount"] / won) / (cycle / won)
    return np.where((won == 0) | (cycle == 0), np.nan, value)


def _payback(v: dict[str, np.ndarray], margin: float) -> np.ndarray:
    customers, arr = v["new_customers"], v["new_arr"]
    with np.errstate(divide="ignore", invalid="ignore"):
        cac = (v["media"] + v["other_costs"]) / customers
        value = cac / (arr / customers / 12 * margin)
    return np.where((customers == 0) | (arr == 0), np.nan, value)


def _growth(v: dict[str, np.ndarray], margin: float) -> np.ndarray:
    start = v["audience_start"]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(start == 0, np.nan, (v["audience_end"] - start) / start)


COST = ("media", "other_costs")
# metric -> (components, formula, additive)
FORMULAS: dict[str, tuple[tuple[str, ...], Callable[..., Any], bool]] = {
    "der": (("pipeline", *COST), _ratio(("pipeline",), COST), False),
    "pipeline_created": (("pipeline",), _total("pipeline"), True),
    "fully_loaded_cost": (COST, _total(*COST), True),
    "pipeline_velocity": (
        ("open_opps", "won", "lost", "won_amount", "cycle_days"), _velocity, False
    ),
    "win_rate": (("won", "lost"), _ratio(("won",), ("won", "lost")), False),
    "leads": (("leads",), _total("leads"), True),
    "mqls": (("mqls",), _total("mqls"), True),
    "mql_to_sql": (("sqls", "mqls"), _ratio(("sqls",), ("mqls",)), False),
    "sql_to_opp": (("opps_created", "sqls"), _ratio(("opps_created",), ("sqls",)), False),
    "opportunities_created": (("opps_created",), _total("opps_created"), True),
    "revenue_sourced": (("revenue_sourced",), _total("revenue_sourced"), True),
    "sales_cycle_days": (("cycle_days", "won"), _ratio(("cycle_days",), ("won",)), False),
    "media_spend": (("media",), _total("media"), True),
    "cpl": (("media", "leads"), _ratio(("media",), ("leads",)), False),
    "cac_fully_loaded": ((*COST, "new_customers"), _ratio(COST, ("new_customers",)), False),
    "cac_payback_months": ((*COST, "new_customers", "new_arr"), _payback, False),
    "impressions": (("impressions",), _total("impressions"), True),
    "ctr": (("clicks", "impressions"), _ratio(("clicks",), ("impressions",)), False),
    "cpc": (("media", "clicks"), _ratio(("media",), ("clicks",)), False),
    "conversion_rate": (("conversions", "clicks"), _ratio(("conversions",), ("clicks",)), False),
    "email_click_rate": (
        ("email_clicks", "delivered"), _ratio(("email_clicks",), ("delivered",)), False
    ),
    "owned_audience_growth": (("audience_start", "audience_end"), _growth, False),
}  # fmt: skip
STOCKS = ("open_opps", "audience_start", "audience_end")
RANK = {"ok": 0, "partial": 1, "no_data": 2}


def _iso_week_start(year: int, week: int) -> pd.Timestamp:
    return pd.Timestamp(date.fromisocalendar(year, week, 1))


def _last_year(start: pd.Timestamp) -> pd.Timestamp:
    """The same ISO week a year earlier (week 53 becomes 52 in a year without one)."""
    iso = start.isocalendar()
    weeks = date(iso.year - 1, 12, 28).isocalendar().week
    return _iso_week_start(iso.year - 1, min(iso.week, weeks))


class PandasTree:
    """The metric tree by ISO week and channel, in pandas, from the store's Parquet snapshot."""

    def __init__(self, root: Path, weeks: list[str], today: date, margin: float) -> None:
        from demandos.store.schema import ALL_TABLES
        from demandos.store.snapshots import SnapshotLog

        self.facts = root / ".demandos" / "facts"
        self.snapshot = SnapshotLog(self.facts).current()
        self.times = {n: s.time_column for n, s in ALL_TABLES.items()}
        self.today = pd.Timestamp(today)
        self.margin = margin
        self.reports = [_iso_week_start(int(w[:4]), int(w[6:])) for w in weeks]
        needed = set(self.reports)
        for r in self.reports:
            needed |= {r - k * WEEK for k in range(1, 5)} | {_last_year(r)}
        self.weeks = pd.DatetimeIndex(sorted(needed))
        self.lo, self.hi = self.weeks[0], self.weeks[-1] + WEEK
        self.comps: dict[str, pd.DataFrame] = {}  # component -> weeks × members
        self.table_of: dict[str, str] = {}
        self.ranges: dict[str, tuple[Any, Any]] = {}  # table -> first and last day
        self.cost_months = pd.Series(dtype=float)

    # -- reading -------------------------------------------------------------------------------

    def read(self, table: str, columns: list[str]) -> pd.DataFrame:
        """The current rows of ``table`` (only ``columns``); notes the table's range."""
        files = [str(self.facts / f) for f in self.snapshot.files(table)]
        if not files:
            self.ranges[table] = (None, None)
            return pd.DataFrame(columns=columns)
        current = pc.field("_valid_to").is_null()  # the current version of each row
        frame = pq.read_table(files, columns=columns, filters=current).to_pandas(
            date_as_object=False, types_mapper=ARROW_STRINGS.get
        )
        col = self.times[table]
        if col in frame.columns:
            times = frame[col].dropna()
            days = (times.min().normalize(), times.max().normalize())
            self.ranges[table] = days if len(times) else (None, None)
        return frame

    def weekly(self, frame: pd.DataFrame, time: str, member: str, values: Any) -> pd.DataFrame:
        """Σ ``values`` by member and ISO week (weeks × members), for rows in the weeks read."""
        values = pd.Series(values, index=frame.index, dtype=float)
        inside = (frame[time] >= self.lo) & (frame[time] < self.hi)
        frame, values = frame[inside], values[inside]
        day = frame[time].dt.normalize()
        week = day - pd.to_timedelta(day.dt.weekday, unit="D")
        key = frame[member].fillna(UNASSIGNED)
        sums = values.groupby([key.rename("m"), week.rename("w")]).sum()
        return sums.unstack("m").reindex(self.weeks).fillna(0.0)

    def add(self, name: str, table: str, frame: pd.DataFrame) -> None:
        self.comps[name], self.table_of[name] = frame, table

    # -- components ----------------------------------------------------------------------------

    def components(self) -> None:
        opps = self.read(
            "opportunities",
            ["opp_id", "account_id", "created_at", "amount", "close_date", "is_closed", "is_won",
             "source"],
        )  # fmt: skip
        self.opportunities(opps)
        self.open_opportunities(opps)
        self.revenue_sourced(opps)
        people = self.read("people", ["lead_at", "mql_at", "sql_at", "lead_source"])
        for name, col in (("leads", "lead_at"), ("mqls", "mql_at"), ("sqls", "sql_at")):
            self.add(name, "people", self.weekly(people, col, "lead_source", 1.0))
        spend = self.read(
            "spend", ["date", "channel", "amount", "impressions", "clicks", "conversions"]
        )
        for name, col in (
            ("media", "amount"),
            ("impressions", "impressions"),
            ("clicks", "clicks"),
            ("conversions", "conversions"),
        ):
            self.add(name, "spend", self.weekly(spend, "date", "channel", spend[col].fillna(0)))
        email = self.read(
            "email_campaigns", ["send_time", "channel", "recipients", "delivered", "unique_clicks"]
        )
        delivered = email.delivered.fillna(email.recipients).fillna(0)
        clicks = email.unique_clicks.fillna(0)
        for name, values in (("delivered", delivered), ("email_clicks", clicks)):
            self.add(name, "email_campaigns", self.weekly(email, "send_time", "channel", values))
        self.other_costs()
        self.audiences()
        for table, col in self.times.items():  # the rest, for the coverage states
            if col is not None and table not in self.ranges:
                self.read(table, [col])

    def opportunities(self, opps: pd.DataFrame) -> None:
        amount = opps.amount.fillna(0.0)
        self.add("pipeline", "opportunities", self.weekly(opps, "created_at", "source", amount))
        self.add("opps_created", "opportunities", self.weekly(opps, "created_at", "source", 1.0))
        closed = opps[opps.is_closed.fillna(False).astype(bool)]
        won = closed.is_won.fillna(False).astype(bool)
        lost = (~closed.is_won.astype("boolean")).fillna(False).astype(bool)
        amount = closed.amount.fillna(0.0)
        days = (closed.close_date - closed.created_at.dt.normalize()).dt.days
        for name, values in (
            ("won", won.astype(float)),
            ("lost", lost.astype(float)),
            ("won_amount", amount.where(won, 0.0)),
            ("lost_amount", amount.where(lost, 0.0)),
            ("cycle_days", days.where(won, 0.0)),
        ):
            self.add(name, "opportunities", self.weekly(closed, "close_date", "source", values))
        wins = opps[opps.is_won.fillna(False).astype(bool) & opps.close_date.notna()].copy()
        wins["customer"] = wins.account_id.fillna(wins.opp_id)
        first = wins.sort_values(["customer", "close_date", "opp_id"]).drop_duplicates("customer")
        firsts = opps[opps.opp_id.isin(first.opp_id)]
        amount = firsts.amount.fillna(0.0)
        self.add("new_customers", "opportunities", self.weekly(firsts, "close_date", "source", 1))
        self.add("new_arr", "opportunities", self.weekly(firsts, "close_date", "source", amount))

    def open_opportunities(self, opps: pd.DataFrame) -> None:
        """Open at a week's end: created before it, and not closed (or closed after it)."""
        source = opps.source.fillna(UNASSIGNED)
        closed = opps.is_closed.fillna(False).astype(bool)
        open_at = {}
        for start in self.weeks:
            end = start + WEEK
            gone = closed & (opps.close_date.isna() | (opps.close_date < end))
            open_at[start] = ((opps.created_at < end) & ~gone).groupby(source).sum()
        self.add("open_opps", "opportunities", pd.DataFrame(open_at).T.astype(float))

    def revenue_sourced(self, opps: pd.DataFrame) -> None:
        """Won amount of deals whose first touch in the 90 days before creation was not sales."""
        touches = self.read("touchpoints", ["account_id", "ts", "channel", "touch_type"])
        won = opps.is_won.fillna(False).astype(bool)
        deals = opps[won & opps.close_date.notna() & opps.account_id.notna()]
        touches = touches[touches.account_id.isin(deals.account_id)]
        j = deals[["opp_id", "account_id", "created_at", "amount", "close_date"]].merge(
            touches, on="account_id"
        )
        j = j[(j.ts < j.created_at) & (j.ts >= j.created_at - LOOKBACK_DAYS * DAY)]
        first = j.sort_values(["opp_id", "ts"]).drop_duplicates("opp_id")
        sourced = first[~first.touch_type.isin(SALES_TOUCHES)]
        amount = sourced.amount.fillna(0.0)
        weekly = self.weekly(sourced, "close_date", "channel", amount)
        self.add("revenue_sourced", "opportunities", weekly)

    def other_costs(self) -> None:
        """Non-media monthly costs, shared out to weeks by the days of each month they cover."""
        costs = self.read("costs", ["month", "category", "amount"])
        keep = costs.category != "media"
        keep &= (costs.month >= self.lo.replace(day=1)) & (costs.month < self.hi)
        self.cost_months = costs[keep].groupby("month").amount.sum()
        other = {
            start: sum(self.cost_months.get(m, 0.0) * share for m, share in _shares(start))
            for start in self.weeks
        }
        frame = pd.DataFrame({UNASSIGNED: pd.Series(other)}).reindex(self.weeks)
        self.add("other_costs", "costs", frame)

    def audiences(self) -> None:
        """Each channel's last size before a week starts (and ends), if read before it starts."""
        aud = self.read("audiences", ["date", "channel", "size"]).sort_values("date")
        aud["channel"] = aud.channel.fillna(UNASSIGNED)
        channels = sorted(aud.channel.unique())
        starts, ends = {}, {}
        for start in self.weeks:
            before = aud[aud.date < start].groupby("channel")["size"].last().reindex(channels)
            after = aud[aud.date < start + WEEK].groupby("channel")["size"].last()
            starts[start] = before.fillna(0.0)
            ends[start] = after.reindex(channels).where(before.notna(), 0.0).fillna(0.0)
        for name, sizes in (("audience_start", starts), ("audience_end", ends)):
            self.add(name, "audiences", pd.DataFrame(sizes).T.astype(float))

    # -- states and the tree -------------------------------------------------------------------

    def coverage(self, comp: str) -> list[str]:
        """ok, partial or no_data for each week, from the tables' ranges (costs: its months)."""
        if comp == "other_costs":
            states = []
            for start in self.weeks:
                months = [m for m, _ in _shares(start)]
                gaps = [m for m in months if m not in self.cost_months.index]
                whole = "no_data" if len(gaps) == len(months) else "partial"
                states.append(whole if gaps else "ok")
            return states
        lo, hi = self.ranges[self.table_of[comp]]
        active = [r for t, r in self.ranges.items() if t not in NOT_ACTIVITY and r[0] is not None]
        through, since = max(h for _, h in active), min(s for s, _ in active)
        states = []
        for start in self.weeks:
            if lo is None or hi < start or lo >= start + WEEK:
                states.append("no_data")
            elif through < start + 6 * DAY or since > start:
                states.append("partial")
            else:
                states.append("ok")
        return states

    def tree(self, metrics: list[tuple[str, bool]]) -> list[Row]:
        """Rows of ``(metric, by channel?)``: a metric's spec may not allow the breakdown."""
        self.components()
        rows: list[Row] = []
        for metric, split in metrics:
            rows += self.metric(metric, split)
        return rows

    def metric(self, metric: str, split: bool) -> list[Row]:
        names, formula, additive = FORMULAS[metric]
        members = sorted(set().union(*(self.comps[n].columns for n in names)))
        frames = {n: self.comps[n].reindex(columns=members).fillna(0.0) for n in names}
        coverage = [self.coverage(n) for n in names]
        worst = np.array(
            [max(states, key=RANK.__getitem__) for states in zip(*coverage, strict=True)]
        )
        pos = {w: i for i, w in enumerate(self.weeks)}
        rows = []
        by_member = {n: f.to_numpy() for n, f in frames.items()}
        total = {n: f.sum(axis=1).to_numpy()[:, None] for n, f in frames.items()}
        for keys, v in ((members if split else [], by_member), ([None], total)):
            values = np.where((worst == "no_data")[:, None], np.nan, formula(v, self.margin))
            for k, member in enumerate(keys):
                column = values[:, k]
                for report in self.reports:
                    i = pos[report]
                    state = "no_data" if math.isnan(column[i]) else worst[i]
                    if member is None and state != "no_data" and self.today < report + WEEK:
                        state = "partial"
                    iso = report.isocalendar()
                    rows.append({
                        "period": f"{iso.year}-W{iso.week:02d}", "metric": metric,
                        "member": member, "value": _num(column[i]), "state": str(state),
                        "previous": _num(column[pos[report - WEEK]]),
                        "last_year": _num(column[pos[_last_year(report)]]),
                        "trailing_avg": self.trailing(formula, additive, v, column, k, [
                            pos[report - n * WEEK] for n in range(4, 0, -1)]),
                    })  # fmt: skip
        return rows

    def trailing(
        self,
        formula: Callable[..., Any],
        additive: bool,
        v: dict[str, np.ndarray],
        column: np.ndarray,
        k: int,
        weeks: list[int],
    ) -> float | None:
        """The 4 weeks before, pooled: weeks with a value only; flows summed, stocks averaged."""
        used = [u for u in weeks if not math.isnan(column[u])]
        if not used:
            return None
        pooled = {n: a[used, k].mean() if n in STOCKS else a[used, k].sum() for n, a in v.items()}
        got = float(formula({n: np.array(x) for n, x in pooled.items()}, self.margin))
        if math.isnan(got):
            return None
        return got / len(used) if additive else got


def _shares(start: pd.Timestamp) -> list[tuple[pd.Timestamp, float]]:
    """The months an ISO week touches, with the share of each month's days it covers."""
    out: list[tuple[pd.Timestamp, float]] = []
    for day in (start, start + 6 * DAY):
        month = day.replace(day=1)
        if all(m != month for m, _ in out):
            following = month + pd.offsets.MonthBegin(1)
            overlap = (min(following, start + WEEK) - max(month, start)).days
            out.append((month, overlap / (following - month).days))
    return out


def _num(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def case_pandas(root: Path, weeks: list[str], today: date, repeat: int) -> tuple[Runs, list[Row]]:
    from demandos.spec import load_specs_or_raise

    specs = compared_specs(load_specs_or_raise(root))
    metrics = [(m.id, not m.dimensions or "channel" in m.dimensions) for m in specs.metrics.metrics]
    runs = []
    for _ in range(repeat):
        t, c = time.perf_counter(), _cpu()
        rows = PandasTree(root, weeks, today, specs.workspace.gross_margin).tree(metrics)
        runs.append((time.perf_counter() - t, _cpu() - c))
    return runs, rows


# -- running and checking -----------------------------------------------------------------------


def run_case(name: str, root: Path, *options: str) -> dict[str, Any]:
    """Run one case in a subprocess of its own; what it printed last (JSON)."""
    command = [sys.executable, __file__, "--case", name, "--workspace", str(root), *options]
    proc = subprocess.run(command, capture_output=True, text=True)
    if proc.returncode:
        sys.exit(f"{name} failed:\n{proc.stderr}")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)
    return bool(a == b)


def compare(ours: list[Row], theirs: list[Row]) -> tuple[int, list[str]]:
    """How many (week, metric, member) rows agree on every field, and the disagreements."""
    mine = {(r["period"], r["metric"], r["member"]): r for r in ours}
    bad = []
    checked = 0
    for row in theirs:
        key = (row["period"], row["metric"], row["member"])
        other = mine.get(key)
        if other is None:
            bad.append(f"{key}: only in pandas")
            continue
        checked += 1
        for f in FIELDS:
            if not _same(row[f], other[f]):
                bad.append(f"{key} {f}: pandas {row[f]!r}, demandos {other[f]!r}")
    keys = {(r["period"], r["metric"], r["member"]) for r in theirs}
    extra = [k for k in mine if k not in keys]
    bad += [f"{k}: only in demandos" for k in extra[:20]]
    return checked, bad


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", type=Path, default=default_workspace())
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--case", choices=["build", "demandos", "pandas"])
    parser.add_argument("--weeks")
    parser.add_argument("--today", type=date.fromisoformat)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    root = args.workspace.resolve()
    if args.case:
        result: dict[str, Any]
        if args.case == "build":
            result = build(root)
        else:
            cases = {"demandos": case_demandos, "pandas": case_pandas}
            runs, rows = cases[args.case](root, args.weeks.split(","), args.today, args.repeat)
            args.out.write_text(json.dumps(rows))
            result = {"runs": runs}
        result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return

    built = run_case("build", root)
    print(
        f"workspace {root} ({SIZE}, seed {SEED}): simulated in {built['simulate']:.0f} s, "
        f"loaded into the store in {built['load']:.0f} s (built once, then reused)"
    )
    weeks, today = last_weeks(root)
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        options = ["--weeks", ",".join(weeks), "--today", today.isoformat(), "--repeat"]
        options.append(str(args.repeat))
        ours = run_case("demandos", root, *options, "--out", f"{tmp}/d.json")
        base = run_case("pandas", root, *options, "--out", f"{tmp}/p.json")
        mine, theirs = (json.loads((Path(tmp) / f).read_text()) for f in ("d.json", "p.json"))
    kept = ours["runs"].pop(0)  # keeping the deal touches, as a load does
    first = ours["runs"].pop(0)  # the snapshot's first reader: it computes the summaries
    full = ours["runs"][args.repeat :]  # the whole tree of metrics.yaml
    ours["runs"] = ours["runs"][: args.repeat]
    checked, bad = compare(mine, theirs)
    if bad:
        print(f"demandos and pandas disagree on {len(bad)} values, e.g.:")
        print("\n".join(bad[:20]))
        sys.exit(1)
    print(
        f"{len(weeks)} ISO weeks {weeks[0]} … {weeks[-1]}, by channel and in total: {checked:,} "
        "rows agree on value, state, previous week, last year and trailing 4 weeks"
    )
    print(f"load average {load:.1f} before, {os.getloadavg()[0]:.1f} after (2 cores)")
    print(f"{'':<16}{'demandos':>10}{'pandas':>10}{'ratio':>8}")
    for label, pick in (("best", min), ("median", statistics.median)):
        for what, k in (("wall s", 0), ("cpu s", 1)):
            d = pick(r[k] for r in ours["runs"])
            b = pick(r[k] for r in base["runs"])
            print(f"{label + ' ' + what:<16}{d:>10.2f}{b:>10.2f}{b / d:>7.1f}x")
    print(f"{'peak memory MB':<16}{ours['peak_mb']:>10.0f}{base['peak_mb']:>10.0f}")
    for name, case in (("demandos", ours), ("pandas", base)):
        print(
            f"{name} runs (wall/cpu s): " + ", ".join(f"{w:.2f}/{c:.2f}" for w, c in case["runs"])
        )
    best_d = min(r[0] for r in ours["runs"])
    best_b = min(r[0] for r in base["runs"])
    print(
        f"kept at load (the deal touches, after a load of opportunities or touchpoints): "
        f"{kept[0]:.2f} s wall, {kept[1]:.2f} s CPU"
    )
    print(
        f"demandos as the snapshot's first reader (table summaries computed, then kept): "
        f"{first[0]:.2f} s wall, {first[1]:.2f} s CPU ({best_b / first[0]:.1f}x pandas' best)"
    )
    from demandos.spec import load_specs_or_raise

    extra = [m.id for m in load_specs_or_raise(root).metrics.metrics if m.id not in FORMULAS]
    best_full = min(w for w, _ in full)
    print(
        f"the full tree ({', '.join(extra)} as well; demandos only): best "
        f"{best_full:.2f} s wall, runs "
        + ", ".join(f"{w:.2f}/{c:.2f}" for w, c in full)
        + f"; {best_full / best_d:.1f}x the compared tree"
    )
    met = best_b / best_d >= 5 and best_d < 10 and ours["peak_mb"] < 4096
    print("targets (≥5x pandas, <10 s, <4 GB):", "met" if met else "NOT met")


if __name__ == "__main__":
    main()
