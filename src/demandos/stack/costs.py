"""The stack's cost in the fully loaded cost of DER: stack.yaml's tools written into the
``costs`` table for the months that have no ``tools`` rows (``demandos stack costs``).

    written = load_stack_costs(ws, "2026-Q3")
    written.months, written.rows

A month that already has rows of category ``tools`` keeps them: they are the books, and adding
stack.yaml's cost would count the tools twice. The rows go through the ordinary canonical load
(``Workspace.load``, recorded in the operating log), one per tool and month, item
``"<tool name> (stack.yaml)"``; loading again changes nothing, as each month then has its rows.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from demandos.spec.specs import Specs
from demandos.stack.audit import TOOLS_CATEGORY, loaded_months, resolve_period

if TYPE_CHECKING:
    from demandos.workspace import Workspace


@dataclass(frozen=True)
class StackCosts:
    """What ``load_stack_costs`` wrote."""

    period: str
    months: tuple[date, ...]  # months written
    kept: tuple[date, ...]  # months that already had tools rows
    rows: int
    monthly_cost: float
    file: str | None  # the CSV loaded, None when nothing was written


def cost_rows(specs: Specs, months: list[date]) -> list[dict[str, object]]:
    """One ``costs`` row per paid tool and month."""
    return [
        {"month": m.isoformat(), "category": TOOLS_CATEGORY, "item": f"{t.name} (stack.yaml)",
         "amount": float(t.monthly_cost)}
        for m in months for t in specs.stack.tools if t.monthly_cost > 0
    ]  # fmt: skip


def load_stack_costs(
    ws: Workspace, period: str | None = None, *, today: date | None = None
) -> StackCosts:
    """Write stack.yaml's monthly costs into the months of ``period`` (begun by ``today``) that
    have no ``tools`` costs, so DER's fully loaded cost carries the stack."""
    today = today or date.today()
    p = resolve_period(ws, period, today)
    months = [m for m in loaded_months(ws.facts, ws.specs, p) if m.month <= today]
    missing = [m.month for m in months if not m.in_der]
    kept = tuple(m.month for m in months if m.in_der)
    total = math.fsum(float(t.monthly_cost) for t in ws.specs.stack.tools)
    rows = cost_rows(ws.specs, missing)
    if not rows:
        return StackCosts(p.label, (), kept, 0, total, None)
    folder = ws.data_dir / "stack"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"costs-{p.label}.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=["month", "category", "item", "amount"])
        writer.writeheader()
        writer.writerows(rows)
    ws.load([path], table="costs")
    return StackCosts(p.label, tuple(missing), kept, len(rows), total, str(path))
