"""What a connector is: a platform's export format, and how its rows become canonical rows.

A connector module declares one ``Connector`` and registers it (``registry.register``). It says
how to recognize the file (the header columns that identify it), where the header is (preamble
lines, comment lines), which rows are not data (total rows, report footers), and how its columns
map to canonical tables — as DuckDB SQL over the raw text columns. It does not cast: values that
don't parse stay as the source wrote them, so the common step (``coerce``) quarantines the row
with the value and a reason a person can act on. Dates it parses in the platform's formats
(``dated``) are the exception: handed over typed, with the value as written beside them.

    @register
    class GoogleAdsCampaigns(Connector):
        name = "google_ads"
        system = "Google Ads"
        signature = ("Campaign", "Day", "Cost", "Impr.")
        footer = r"^Total:"
        outputs = {"spend": '''SELECT … FROM raw'''}
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar


@dataclass(frozen=True)
class Header:
    """What a reader found at the top of a file."""

    columns: tuple[str, ...]
    preamble: tuple[str, ...] = ()  # the lines before the header, as text
    line: int = 0  # 0-based index of the header line (CSV) or row (XLSX)


@dataclass(frozen=True)
class Context:
    """What translation may depend on: the workspace's settings, never the terminal."""

    timezone: str = "UTC"
    currency: str = "USD"
    source_timezone: str | None = None  # overrides a connector's own, from --timezone
    extra: Mapping[str, str] = field(default_factory=dict)


class Connector:
    """A platform's export format. Subclasses set the class attributes; most need no methods."""

    name: ClassVar[str]  # "hubspot_contacts": what --source takes
    system: ClassVar[str]  # "HubSpot": the platform a person knows
    description: ClassVar[str]  # which export, from where in the platform's UI or API
    formats: ClassVar[tuple[str, ...]] = (".csv",)
    signature: ClassVar[tuple[str, ...]]  # header columns that, all present, identify the file
    required: ClassVar[tuple[str, ...]] = ()  # header columns it cannot do without
    comment: ClassVar[str | None] = None  # lines starting with this are not data ("#" in GA4)
    footer: ClassVar[str | None] = None  # regex on a row's first non-empty cell: not data
    timezone: ClassVar[str | None] = None  # the zone the platform writes times in (None: workspace)
    outputs: ClassVar[Mapping[str, str]]  # canonical table -> SELECT over the view ``raw``

    def matches(self, header: Header) -> bool:
        """True when every signature column is in the header."""
        present = {c.strip().lower() for c in header.columns}
        return all(s.lower() in present for s in self.signature)

    def missing(self, header: Header) -> list[str]:
        present = {c.strip().lower() for c in header.columns}
        return [c for c in (self.required or self.signature) if c.lower() not in present]

    def is_footer(self, first_cell: str) -> bool:
        return bool(self.footer and re.search(self.footer, first_cell.strip()))

    def sql(self, table: str, context: Context) -> str:
        """The SELECT that makes ``table`` from the view ``raw``; override to use ``context``."""
        return self.outputs[table]

    def source_zone(self, context: Context) -> str:
        return context.source_timezone or self.timezone or context.timezone

    def __repr__(self) -> str:
        return f"<connector {self.name}>"


def col(name: str) -> str:
    """A raw column as a SQL identifier: ``col("Impr.")`` → ``"Impr."``."""
    return '"' + name.replace('"', '""') + '"'


def trimmed(expr: str) -> str:
    """SQL: ``trim(expr)``, computed only for values that can have something to trim.

    DuckDB's ``trim`` removes Unicode space separators from both ends and costs about ten times
    a scan of the value even when there is nothing to remove. The only ASCII space separator is
    ``' '``, so a value that neither starts nor ends with one and is all ASCII (as many bytes as
    characters) is its own trim; other values go through ``trim``. Same result, a fraction of
    the time on a million-row export.
    """
    return (
        f"CASE WHEN prefix({expr}, ' ') OR suffix({expr}, ' ') "
        f"OR strlen({expr}) <> length({expr}) THEN trim({expr}) ELSE {expr} END"
    )


def number(name: str, *, thousands: str = ",", percent: bool = False) -> str:
    """A number as the platform writes it (thousands separators, ``--`` for none) → plain text.

    Anything else (a currency symbol the platform never writes, letters) is left as it was, so
    the row is quarantined with that value.
    """
    raw = trimmed(col(name))
    cleaned = f"replace({raw}, '{thousands}', '')" if thousands else raw
    if percent:
        cleaned = f"CAST(TRY_CAST(rtrim({cleaned}, '%') AS DOUBLE) / 100 AS VARCHAR)"
    pattern = r"^-?[0-9][0-9,]*(\.[0-9]+)?%?$" if thousands else r"^-?[0-9]+(\.[0-9]+)?%?$"
    # Without a thousands separator or a percent sign, a number's cleaned text is the text
    # itself, so the pattern is only matched on values that hold one.
    shortcut = (
        "" if percent or not thousands else f"WHEN NOT contains({raw}, '{thousands}') THEN {raw} "
    )
    return (
        f"CASE WHEN {raw} IN ('', '--', '-') THEN NULL {shortcut}"
        f"WHEN regexp_matches({raw}, '{pattern}') THEN {cleaned} ELSE {raw} END"
    )


def when(
    name: str,
    formats: Sequence[str],
    *,
    zone_from: str | None = None,
    zone_to: str | None = None,
    date_only: bool = False,
) -> str:
    """A date or time in one of ``formats`` (strptime) → ISO text in the workspace's zone.

    A value in none of the formats is left as it was (quarantined downstream with its value).
    :func:`dated` hands the same value over typed: no text to write and parse again.
    """
    value = _strptime(name, formats, zone_from, zone_to)
    out = f"strftime({value}, '{'%Y-%m-%d' if date_only else '%Y-%m-%d %H:%M:%S'}')"
    return f"COALESCE({out}, NULLIF({trimmed(col(name))}, ''))"


def parsed(
    name: str,
    formats: Sequence[str],
    *,
    zone_from: str | None = None,
    zone_to: str | None = None,
    date_only: bool = False,
) -> str:
    """SQL: a date or time in one of ``formats`` (strptime) as a TIMESTAMP in the workspace's
    zone (to the second), or with ``date_only`` the DATE; NULL when blank or in none of them.
    """
    value = _strptime(name, formats, zone_from, zone_to)
    return f"CAST({value} AS DATE)" if date_only else f"date_trunc('second', {value})"


def _strptime(name: str, formats: Sequence[str], zone_from: str | None, zone_to: str | None) -> str:
    listed = ", ".join("'" + f.replace("'", "''") + "'" for f in formats)
    value = f"try_strptime(NULLIF({trimmed(col(name))}, ''), [{listed}])"
    if zone_from and zone_to and zone_from != zone_to:
        value = f"timezone('{zone_to}', timezone('{zone_from}', {value}))"
    return value


def written(column: str) -> str:
    """The column beside a typed output column that holds its value as the file wrote it."""
    return f"__written_{column}"


def dated(
    column: str,
    name: str,
    formats: Sequence[str],
    *,
    zone_from: str | None = None,
    zone_to: str | None = None,
    date_only: bool = False,
) -> str:
    """Two output columns: ``column``, the :func:`parsed` value of the file's column ``name``,
    and beside it (:func:`written`) the value as written, NULL when blank.

    The common check keeps the typed value as it is; a value in none of the formats it checks as
    written, as :func:`when` would have handed it over: the same values fit, the others are
    refused quoting them.
    """
    value = parsed(name, formats, zone_from=zone_from, zone_to=zone_to, date_only=date_only)
    as_written = f"NULLIF({trimmed(col(name))}, '')"
    return f"{value} AS {col(column)}, {as_written} AS {col(written(column))}"
