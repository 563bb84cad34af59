"""The ground truth: what each channel truly caused, and every parameter it came from.

``ground_truth.csv`` has one row per channel — its spend and the leads, MQLs, SQLs,
opportunities, pipeline, won deals and won revenue whose ``causal_channel`` it is — so its
columns sum exactly to the simulated tables' totals. ``parameters.json`` records the size, the
seed, the parameters and the quantities the engine derived from them.
"""

from __future__ import annotations

import csv
import json
from dataclasses import asdict
from datetime import date
from pathlib import Path

import numpy as np

from demandos.simulate.journeys import Cohort, Deals
from demandos.simulate.params import CompanyParams, SizeParams
from demandos.simulate.window import NONE, IntArray

GROUND_TRUTH_FILE = "ground_truth.csv"
PARAMETERS_FILE = "parameters.json"
COLUMNS: tuple[str, ...] = (
    "channel",
    "type",
    "spend",
    "incremental_leads",
    "mqls",
    "sqls",
    "opportunities",
    "pipeline",
    "won_deals",
    "won_revenue",
)
_COUNTS = COLUMNS[3:]


class Ledger:
    """Per-channel totals, in integers (amounts are whole currency units, spend in cents)."""

    def __init__(self, params: CompanyParams) -> None:
        self.params = params
        n = len(params.channels)
        self.counts = {k: np.zeros(n, dtype=np.int64) for k in _COUNTS}
        self.spend_cents = np.zeros(n, dtype=np.int64)

    def _add(self, key: str, channel: IntArray, weights: IntArray | None = None) -> None:
        n = self.spend_cents.size
        if weights is None:
            self.counts[key] += np.bincount(channel, minlength=n)
        else:  # integer sums: exact whatever the order
            np.add.at(self.counts[key], channel, weights)

    def add_cohort(self, cohort: Cohort) -> None:
        self._add("incremental_leads", cohort.channel)
        self._add("mqls", cohort.channel[cohort.t_mql != NONE])
        self._add("sqls", cohort.channel[cohort.t_sql != NONE])

    def add_deals(self, deals: Deals, amount: IntArray) -> None:
        won = deals.won & deals.closed
        self._add("opportunities", deals.channel)
        self._add("pipeline", deals.channel, amount)
        self._add("won_deals", deals.channel[won])
        self._add("won_revenue", deals.channel[won], amount[won])

    def add_spend(self, program_channel: IntArray, cents: IntArray) -> None:
        np.add.at(self.spend_cents, program_channel, cents.sum(axis=0))

    def rows(self) -> list[dict[str, str | int | float]]:
        out: list[dict[str, str | int | float]] = []
        for i, ch in enumerate(self.params.channels):
            row: dict[str, str | int | float] = {
                "channel": ch.id,
                "type": ch.type,
                "spend": int(self.spend_cents[i]) / 100,
            }
            row.update({k: int(self.counts[k][i]) for k in _COUNTS})
            out.append(row)
        return out

    def totals(self) -> dict[str, float]:
        totals: dict[str, float] = {k: float(v.sum()) for k, v in self.counts.items()}
        totals["leads"] = totals.pop("incremental_leads")
        totals["spend"] = int(self.spend_cents.sum()) / 100
        return totals


def _json_default(value: object) -> str:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} to parameters.json")


def write_truth(
    truth_dir: Path,
    ledger: Ledger,
    *,
    size_name: str,
    size: SizeParams,
    seed: int,
    derived: dict[str, float],
) -> None:
    truth_dir.mkdir(parents=True, exist_ok=True)
    with (truth_dir / GROUND_TRUTH_FILE).open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(ledger.rows())
    document = {
        "size": size_name,
        "seed": seed,
        "size_params": asdict(size),
        "params": asdict(ledger.params),
        "derived": derived,
    }
    text = json.dumps(document, indent=2, ensure_ascii=False, default=_json_default)
    (truth_dir / PARAMETERS_FILE).write_text(text + "\n", encoding="utf-8")
