"""Connector SQL helpers: a date the connector parsed (``dated``) is checked exactly like the
same date handed over as text (``when``): every accepted format gives the same value, and every
other value the same quarantine reason, quoting it as written."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import duckdb
import pyarrow as pa
import pytest

from demandos.intake.coerce import ROW_NUMBER, Coerced, check
from demandos.intake.connector import dated, when
from demandos.intake.connectors.hubspot_export import TIMES as HUBSPOT
from demandos.intake.connectors.linkedin_ads import DATES as LINKEDIN
from demandos.store.schema import Column, TableSchema

NAME = "Start Date"  # the file's column


def checked(select: str, values: Sequence[str], kind: str, required: bool) -> Coerced:
    """``values`` as the file's column, through ``select`` and the common check."""
    schema = TableSchema("t", grain="row", key=(), columns=(Column("at", kind, required),))
    raw = pa.table(
        {NAME: pa.array(values, pa.string()), ROW_NUMBER: pa.array(range(1, len(values) + 1))}
    )
    con = duckdb.connect()
    try:
        con.register("raw", raw)
        con.execute(f"CREATE VIEW translated AS SELECT {select}, {ROW_NUMBER} FROM raw")
        return check(
            con,
            "translated",
            schema,
            rows="raw",
            source="test",
            file="f.csv",
            sha256="x",
            labels={"at": NAME},
        )
    finally:
        con.close()


def outcome(coerced: Coerced) -> tuple[list[object], list[tuple[int, str]]]:
    reasons = coerced.quarantine.select(["row_number", "reason"]).to_pylist()
    return coerced.rows.column("at").to_pylist(), [(r["row_number"], r["reason"]) for r in reasons]


# Every accepted format (LinkedIn's month/day/year without leading zeros among them), and values
# in none: impossible dates, words, ISO forms DuckDB's own cast reads, blanks and padding.
LINKEDIN_VALUES = (
    "3/1/2026", "03/01/2026", "12/31/2025", "2026-03-01", "2026-03-01 12:34:56", " 3/1/2026 ",
    "\u00a03/1/2026", "2/30/2026", "13/1/2026", "yesterday", "2026-03-01T08:00", "20260301",
    "2026-03-01 00:00:00+02", "", "   ", "x" * 80,
)  # fmt: skip
HUBSPOT_VALUES = (
    "2025-05-01 06:30", "2025-05-01 06:30:15", "2025-05-01 06:30:15.250", "2025-05-01",
    " 2025-05-01 06:30 ", "2025-02-30 00:00", "5/1/2025", "2025-05-01T06:30",
    "2025-05-01 06:30:00+02", "2025-03-09 02:30", "2025-11-02 01:30", "", "x" * 80,
)  # fmt: skip
CASES = {
    "linkedin days": (LINKEDIN, LINKEDIN_VALUES, "date", {"date_only": True}),
    "hubspot times": (HUBSPOT, HUBSPOT_VALUES, "timestamp", {}),
    "hubspot times, another zone": (
        HUBSPOT,
        HUBSPOT_VALUES,
        "timestamp",
        {"zone_from": "Europe/Berlin", "zone_to": "America/New_York"},
    ),
    "hubspot days": (HUBSPOT, HUBSPOT_VALUES, "date", {"date_only": True}),
}


@pytest.mark.parametrize("required", [True, False], ids=["required", "optional"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_a_parsed_date_is_checked_like_the_same_date_as_text(case: str, required: bool) -> None:
    formats, values, kind, options = CASES[case]
    as_text = checked(f"{when(NAME, formats, **options)} AS at", values, kind, required)
    typed = checked(dated("at", NAME, formats, **options), values, kind, required)
    assert outcome(typed) == outcome(as_text)
    assert typed.rows.num_rows + typed.quarantine.num_rows == len(values)


# A value in each format a connector accepts, and what is stored (LinkedIn's days are DATEs,
# HubSpot's times TIMESTAMPs to the second).
SAMPLES = {
    ("linkedin", "%m/%d/%Y"): ("3/1/2026", date(2026, 3, 1)),
    ("linkedin", "%Y-%m-%d"): ("2026-03-01", date(2026, 3, 1)),
    ("linkedin", "%Y-%m-%d %H:%M:%S"): ("2026-03-01 23:59:59", date(2026, 3, 1)),
    ("hubspot", "%Y-%m-%d %H:%M"): ("2025-05-01 06:30", datetime(2025, 5, 1, 6, 30)),
    ("hubspot", "%Y-%m-%d %H:%M:%S"): ("2025-05-01 06:30:15", datetime(2025, 5, 1, 6, 30, 15)),
    ("hubspot", "%Y-%m-%d %H:%M:%S.%f"): (
        "2025-05-01 06:30:15.25",
        datetime(2025, 5, 1, 6, 30, 15),
    ),
    ("hubspot", "%Y-%m-%d"): ("2025-05-01", datetime(2025, 5, 1)),
}
FORMATS = {"linkedin": (LINKEDIN, "date", True), "hubspot": (HUBSPOT, "timestamp", False)}


def test_every_accepted_format_has_a_sample() -> None:
    assert set(SAMPLES) == {(c, f) for c, (formats, *_) in FORMATS.items() for f in formats}


@pytest.mark.parametrize(("connector", "fmt"), sorted(SAMPLES))
def test_each_accepted_format_gives_its_value(connector: str, fmt: str) -> None:
    formats, kind, date_only = FORMATS[connector]
    written, expected = SAMPLES[(connector, fmt)]
    typed = checked(dated("at", NAME, formats, date_only=date_only), [written], kind, True)
    assert outcome(typed) == ([expected], [])


def test_a_value_in_no_format_is_refused_as_written() -> None:
    values = ["2/30/2026", " nope ", ""]
    rows, reasons = outcome(
        checked(dated("at", NAME, LINKEDIN, date_only=True), values, "date", True)
    )
    assert rows == []
    assert reasons == [
        (1, "column Start Date: '2/30/2026' is not a date (want YYYY-MM-DD)"),
        (2, "column Start Date: 'nope' is not a date (want YYYY-MM-DD)"),
        (3, "column Start Date: a value is required"),
    ]
