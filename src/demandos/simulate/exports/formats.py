"""How platforms write numbers, money, rates and dates in their exports.

Each platform module picks the writers that match what its platform puts in a cell: Google Ads
writes ``1,234.56`` and ``4.50%``, Meta writes ``1234.56``, GA4 writes rates as fractions
(``0.7132``), Salesforce writes US dates (``5/1/2025``). Money is handled in integer cents so that
totals reconcile with the inputs to the cent.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
CURRENCY_SYMBOLS: dict[str, str] = {"USD": "$", "EUR": "€", "GBP": "£", "CAD": "CA$", "AUD": "A$"}


def to_cents(amount: float | int | None) -> int:
    """An amount in the currency as whole cents, rounding half up (0.005 → 1 cent)."""
    if amount is None:
        return 0
    return int((Decimal(str(amount)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def money(cents: int, *, grouped: bool = False) -> str:
    """``123456`` cents → ``1234.56`` (``1,234.56`` when ``grouped``)."""
    value = Decimal(cents) / 100
    return f"{value:,.2f}" if grouped else f"{value:.2f}"


def money_symbol(cents: int, currency: str) -> str:
    """How a person types money into a sheet: ``$1,234.56`` (the code for unknown currencies)."""
    symbol = CURRENCY_SYMBOLS.get(currency, f"{currency} ")
    return f"{symbol}{money(cents, grouped=True)}"


def plain_amount(amount: float | None) -> str:
    """A CRM amount as typed: ``42000``, ``18250.5``; empty when unknown."""
    if amount is None:
        return ""
    value = Decimal(str(round(amount, 2))).normalize()
    return f"{value:f}"


def grouped_int(n: int) -> str:
    """``12345`` → ``12,345``."""
    return f"{n:,}"


def percent(num: float, den: float, *, places: int = 2, missing: str = "--") -> str:
    """``num / den`` as a percentage (``4.50%``), or ``missing`` when ``den`` is zero."""
    if not den:
        return missing
    return f"{100 * num / den:.{places}f}%"


def fraction(num: float, den: float, *, places: int = 4, missing: str = "0") -> str:
    """``num / den`` as a decimal fraction (``0.7132``), or ``missing`` when ``den`` is zero."""
    if not den:
        return missing
    return f"{num / den:.{places}f}".rstrip("0").rstrip(".") or "0"


def ratio_money(cents: int, den: float, *, grouped: bool = False, missing: str = "--") -> str:
    """Cost per unit (``Avg. CPC``, ``Cost / conv.``) from cents; ``missing`` when ``den`` is 0."""
    if not den:
        return missing
    return money(round(cents / den), grouped=grouped)


def us_date(d: date) -> str:
    """``5/1/2025``: month and day without leading zeros, as US-locale exports write them."""
    return f"{d.month}/{d.day}/{d.year}"


def us_datetime(ts: datetime) -> str:
    """``5/1/2025 3:04 PM``."""
    hour = ts.hour % 12 or 12
    return f"{us_date(ts)} {hour}:{ts.minute:02d} {'AM' if ts.hour < 12 else 'PM'}"


def long_date(d: date) -> str:
    """``May 1, 2025`` (English month names whatever the process locale)."""
    return f"{MONTHS[d.month - 1]} {d.day}, {d.year}"


def month_abbr(d: date) -> str:
    """``Jun``."""
    return MONTHS[d.month - 1][:3]


def weekday(d: date) -> str:
    """``Saturday``."""
    return WEEKDAYS[d.weekday()]


def impossible_date(fmt: str, year: int, variant: int) -> str:
    """A date that does not exist (Feb 30 or Feb 31 of ``year``), written in ``fmt``.

    ``fmt`` uses ``strftime`` codes plus ``%-m``/``%-d``/``%-I`` for unpadded numbers, so the bad
    value looks like every other value of its column: ``2026-02-30 09:00``, ``2/31/2026``,
    ``20260230``.
    """
    day = 30 + variant % 2
    codes = {
        "%Y": f"{year:04d}",
        "%m": "02",
        "%-m": "2",
        "%d": f"{day:02d}",
        "%-d": str(day),
        "%H": "09",
        "%-I": "9",
        "%I": "09",
        "%M": "00",
        "%S": "00",
        "%p": "AM",
        "%b": "Feb",
        "%B": "February",
    }
    out = fmt
    for code in sorted(codes, key=len, reverse=True):
        out = out.replace(code, codes[code])
    return out


def day_first(year: int, variant: int) -> str:
    """A day-first date that cannot be read month-first, as someone pastes it: ``31/02/2026``."""
    return f"{30 + variant % 2}/02/{year}"
