"""Salesforce: an "Opportunity History" report exported as CSV (Export → Details Only → .csv).

File: ``salesforce/opportunity_history.csv``, one row per stage or amount change of a deal.

Layout followed, and where it comes from:

- Columns of the Opportunity History report type. The field labels ``Amount``, ``Close Date``,
  ``Created Date`` and ``Opportunity ID`` are those of Salesforce's ``OpportunityHistory``
  object (developer.salesforce.com field reference, "OpportunityHistory"); ``From Stage``,
  ``To Stage``, ``Edit Date``, ``Opportunity Owner``, ``Account Name``, ``Opportunity Name``,
  ``Closed`` and ``Won`` are the report's column labels as we know them, not confirmed
  against a real export here.
- Every field in double quotes, US-locale values: dates ``5/1/2025``, date-times
  ``5/1/2025 3:04 PM``, amounts without separators (``42000.00``), checkboxes ``1``/``0``
  (a choice: no source for the checkbox format was found).
- Opportunity IDs are 18-character Salesforce ids (key prefix ``006``, with the 3-character
  case-safe suffix computed as Salesforce does), stable for a given simulation.
- The report footer after the rows: an empty line, ``"Grand Totals (N records)"``, an empty
  line, ``"Confidential Information - Do Not Distribute"`` and ``"Copyright (c) 2000-YYYY
  salesforce.com, inc. All rights reserved."`` (public code that cleans these exports drops
  exactly these lines: "EXCLUSION_KEYWORDS = ['Confidential Information - Do Not Distribute',
  'Copyright © 2000-2025 salesforce.com, inc. All rights reserved.']", and test fixtures append
  ``"Grand Totals (5700 records)"`` before them). The year is the data's last year.

Injected problems: a duplicated history row; an impossible ``Close Date`` (``2/30/2026``).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from demandos.simulate.exports.formats import money, to_cents, us_date, us_datetime
from demandos.simulate.exports.problems import Problem
from demandos.simulate.exports.registry import ExportContext, register
from demandos.simulate.exports.writer import CsvStyle, FileSpec

HEADER = (
    "Opportunity Owner",
    "Account Name",
    "Opportunity Name",
    "Opportunity ID",
    "Created Date",
    "Edit Date",
    "From Stage",
    "To Stage",
    "Amount",
    "Close Date",
    "Closed",
    "Won",
)
PROBLEMS = (Problem("duplicate_row"), Problem("bad_date", "Close Date", date_format="%-m/%-d/%Y"))
OPPORTUNITY_HISTORY = FileSpec(
    "salesforce/opportunity_history.csv", HEADER, style=CsvStyle(quoting="all"), problems=PROBLEMS
)
CONFIDENTIAL = "Confidential Information - Do Not Distribute"

QUERY = """
    WITH o AS (SELECT *, row_number() OVER (ORDER BY opp_id) AS n FROM opportunities)
    SELECT h.opp_id, h.changed_at, h.stage, h.amount, h.is_closed, h.is_won,
           lag(h.stage) OVER (PARTITION BY h.opp_id ORDER BY h.changed_at) AS from_stage,
           o.n, o.name, o.owner, o.created_at, o.close_date, a.name AS account
    FROM opportunity_history h
    LEFT JOIN o ON o.opp_id = h.opp_id
    LEFT JOIN accounts a ON a.account_id = o.account_id
    ORDER BY h.opp_id, h.changed_at
"""

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def salesforce_id(prefix: str, n: int) -> str:
    """An 18-character Salesforce id: key prefix, base-62 number, case-safe suffix."""
    digits = ""
    while n:
        n, r = divmod(n, 62)
        digits = _BASE62[r] + digits
    short = prefix + digits.rjust(12, "0")
    suffix = ""
    for chunk in (short[0:5], short[5:10], short[10:15]):
        bits = sum(1 << i for i, c in enumerate(chunk) if c.isupper())
        suffix += _SUFFIX[bits]
    return short + suffix


def _flag(value: object) -> str:
    return "" if value is None else ("1" if value else "0")


@register("salesforce", "Salesforce", files=(OPPORTUNITY_HISTORY,))
def export_salesforce(ctx: ExportContext) -> list[Path]:
    ctx.sim.require("opportunity_history", "opportunities", "accounts")
    n = ctx.sim.rows("opportunity_history")
    found = ctx.sim.all("SELECT max(changed_at) AS last FROM opportunity_history")
    last: datetime | None = found[0]["last"]
    with ctx.csv(OPPORTUNITY_HISTORY, n_rows=n) as out:
        for r in ctx.sim.stream(QUERY):
            amount = r["amount"]
            out.row(
                [
                    r["owner"] or "",
                    r["account"] or "",
                    r["name"] or "",
                    salesforce_id("006", int(r["n"])) if r["n"] is not None else "",
                    us_date(r["created_at"]) if r["created_at"] else "",
                    us_datetime(r["changed_at"]),
                    r["from_stage"] or "",
                    r["stage"] or "",
                    money(to_cents(amount)) if amount is not None else "",
                    us_date(r["close_date"]) if r["close_date"] else "",
                    _flag(r["is_closed"]),
                    _flag(r["is_won"]),
                ]
            )
        out.line([])
        out.line([f"Grand Totals ({n} records)"])
        out.line([])
        out.line([CONFIDENTIAL])
        year = last.year if last else 2000
        out.line([f"Copyright (c) 2000-{year} salesforce.com, inc. All rights reserved."])
    return [out.path]
