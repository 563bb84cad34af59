"""Numbers as a pack shows them: by unit, with the workspace currency, never NaN."""

from __future__ import annotations

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


def fmt(value: float | None, unit: str, currency: str = "USD") -> str:
    """``value`` in ``unit``: 11.40x, $312,000, 34.0%, 167, 28.0 days; an em dash for None."""
    if value is None:
        return "—"
    if unit == "percent":
        return f"{value:.1%}"
    if unit == "ratio":
        return f"{value:.2f}x"
    if unit in ("currency", "currency_per_day"):
        symbol = SYMBOLS.get(currency)
        digits = 0 if abs(value) >= 100 else 2
        text = f"{abs(value):,.{digits}f}"
        text = f"{symbol}{text}" if symbol else f"{text} {currency}"
        text = f"-{text}" if value < 0 else text
        return f"{text}/day" if unit == "currency_per_day" else text
    if unit == "days":
        return f"{value:,.1f} d"
    if unit == "months":
        return f"{value:,.1f} mo"
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}" if abs(value) < 1000 else f"{value:,.0f}"


def fmt_change(value: float | None, unit: str, currency: str = "USD") -> str:
    """A change with its sign; percent metrics change in percentage points."""
    if value is None:
        return "—"
    sign = "+" if value > 0 else ("±" if value == 0 else "-")
    if unit == "percent":
        return f"{sign}{abs(value) * 100:.1f} pp"
    return sign + fmt(abs(value), unit, currency)


def fmt_ratio(value: float | None) -> str:
    """A relative change: +12.3%."""
    if value is None:
        return "—"
    return f"{value:+.1%}"
