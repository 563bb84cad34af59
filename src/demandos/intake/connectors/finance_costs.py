"""Finance: the monthly marketing costs sheet a finance team keeps (.csv, .xlsx).

One row per month and cost item: ``Month`` (``2025-05``; a date cell or ``May 2025`` also
reads), ``Category`` (``People``, ``Tools``, ``Agency``, ``Other`` or ``Media``, any case),
``Item``, ``Amount`` (plain or with thousands separators, in the workspace currency). These are
the non-media parts of the fully loaded cost behind DER; media spend comes from the ad platforms.
A category outside the five is refused with the column named, so no cost lands in a bucket the
metrics do not read.
"""

from demandos.intake.connector import Connector, col, number, trimmed
from demandos.intake.connectors._sql import blank, cell, flags, shown, text
from demandos.intake.registry import register

CATEGORIES = ("media", "people", "tools", "agency", "other")
MONTHS = ("%Y-%m", "%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%b %Y", "%B %Y", "%m/%Y")
MONTH = (
    f"COALESCE(strftime(try_strptime({cell('Month')}, "
    f"[{', '.join(text(f) for f in MONTHS)}]), '%Y-%m-01'), {cell('Month')})"
)
CATEGORY = f"lower({trimmed(col('Category'))})"
CHECKS = flags(
    (
        f"NOT {blank('Category')} AND {CATEGORY} NOT IN ({', '.join(text(c) for c in CATEGORIES)})",
        f"'column Category: ' || {shown('Category')} || ' is not one of {', '.join(CATEGORIES)}'",
    )
)


@register
class FinanceCosts(Connector):
    name = "finance_costs"
    system = "Finance costs sheet"
    description = "the monthly marketing costs sheet: Month, Category, Item, Amount (.csv, .xlsx)"
    formats = (".csv", ".xlsx")
    signature = ("Month", "Category", "Item", "Amount")
    outputs = {
        "costs": f"""
            SELECT {MONTH} AS month, NULLIF({CATEGORY}, '') AS category,
                   {cell("Item")} AS item, {number("Amount")} AS amount,
                   {CHECKS}, __row, __raw
            FROM raw
        """
    }
