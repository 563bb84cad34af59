"""What Salesforce report exports share (Export → Details Only → .csv).

Every field is quoted; values are in the running user's locale — US here: dates ``5/1/2025``,
date-times ``5/1/2025 3:04 PM`` in the user's time zone (it defaults to the workspace's; a
source zone given at ingest, ``Context.source_timezone``, overrides it), amounts ``42000.00``,
checkboxes ``1``/``0``. After the rows comes the report footer: an empty line, ``Grand Totals (N
records)``, an empty line, ``Confidential Information - Do Not Distribute`` and ``Copyright (c)
2000-YYYY salesforce.com, inc. All rights reserved.``; those lines are not data.

No connector is registered here (the registry imports the module and finds none).
"""

from __future__ import annotations

from demandos.intake.connector import col, when
from demandos.intake.connectors._sql import blank, cell, shown, text

FOOTER = (
    r"^(Grand Totals \(\d+ records?\)|Confidential Information - Do Not Distribute"
    r"|Copyright (\(c\)|©) \d{4}-\d{4} salesforce\.com)"
)
TIMES = (
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
)
DATES = ("%m/%d/%Y", "%Y-%m-%d")
WANT_TIME = "Salesforce writes M/D/YYYY h:mm AM"
WANT_DATE = "Salesforce writes M/D/YYYY"


def moment(name: str, zone_from: str | None, zone_to: str | None) -> str:
    """A report date-time as ISO text in the workspace's zone; anything else stays as written."""
    return when(name, TIMES, zone_from=zone_from, zone_to=zone_to)


def unreadable(name: str, *, date_only: bool = False) -> tuple[str, str]:
    """A flag for a non-empty value that is no report date (or date-time), naming the column."""
    formats = DATES if date_only else TIMES
    listed = ", ".join(text(f) for f in formats)
    want = f"a date ({WANT_DATE})" if date_only else f"a date and time ({WANT_TIME})"
    condition = f"NOT ({blank(name)}) AND try_strptime({cell(name)}, [{listed}]) IS NULL"
    message = f"{text(f'column {name}: ')} || {shown(name)} || {text(f' is not {want}')}"
    return condition, message


def checkbox(name: str, otherwise: str = "NULL") -> str:
    """A checkbox column (``1``/``0``) as ``true``/``false``; ``otherwise`` when empty or absent.

    Any other value stays as written, for the common check to refuse with it.
    """
    value = cell(name)
    return (
        f"CASE WHEN {value} IS NULL THEN {otherwise} WHEN {value} = '1' THEN 'true' "
        f"WHEN {value} = '0' THEN 'false' ELSE {value} END"
    )


def stage_key(name: str) -> str:
    """A stage as a key: ``Closed Won`` → closedwon."""
    return f"lower(regexp_replace(COALESCE({col(name)}, ''), '[^A-Za-z]', '', 'g'))"
