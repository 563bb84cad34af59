"""What HubSpot's CRM exports share: how they write date-times, record ids and associations.

HubSpot exports an object's index page (Contacts, Companies, Deals → Export, "all properties")
as .csv or .xlsx: ``Record ID`` and the name columns first, then every property by its label,
then the association columns (``Associated Company IDs``: record ids separated by ``;``, the
primary company first). Date-times are ``YYYY-MM-DD HH:MM`` in the portal's time zone (typed
date-time cells in an .xlsx, which the reader writes as ``YYYY-MM-DD HH:MM:SS``); the zone
defaults to the workspace's, a source zone given at ingest (``Context.source_timezone``)
overrides it, and times are converted to the workspace's zone. Option properties are written as
their labels (``Marketing Qualified Lead``, ``Paid Social``, ``Closed won``).

A portal connected to Salesforce carries the Salesforce ids the integration synced onto each
record (``Salesforce Account ID`` on companies, ``Salesforce Contact ID`` / ``Salesforce Lead
ID`` on contacts, ``Salesforce Opportunity ID`` on deals). Salesforce is then the system of
record, and a record's canonical id is its Salesforce id when it has one, else its HubSpot
``Record ID`` (:func:`record_id`); an association resolves the same way (:func:`first_company`
with the record's own ``Salesforce Account ID``), so ids from both CRMs' exports are one id
space. A file without these columns keeps HubSpot's ids.

No connector is registered here (the registry imports the module and finds none).
"""

from __future__ import annotations

from demandos.intake.connector import col, dated, parsed, trimmed
from demandos.intake.connectors._sql import blank, cell, shown, text

TIMES = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d")
WANT = "HubSpot writes YYYY-MM-DD HH:MM"
COMPANY_IDS = "Associated Company IDs"
SF_ACCOUNT = "Salesforce Account ID"


def moment(
    name: str, zone_from: str | None = None, zone_to: str | None = None, *, date_only: bool = False
) -> str:
    """A HubSpot date-time column as a TIMESTAMP in the workspace's zone, NULL when blank or no
    date-time (its row is flagged by :func:`unreadable`).

    A date (``date_only``) is the DATE as written: a close date is a calendar day, not an instant.
    """
    if date_only:
        zone_from = zone_to = None
    return parsed(name, TIMES, zone_from=zone_from, zone_to=zone_to, date_only=date_only)


def required_moment(
    column: str, name: str, zone_from: str | None = None, zone_to: str | None = None
) -> str:
    """:func:`moment` as the output ``column`` of a required column, with the value as written
    beside it (``connector.dated``): a value that is no date-time is refused by the common check
    with the value, not as a missing one.
    """
    return dated(column, name, TIMES, zone_from=zone_from, zone_to=zone_to)


def unreadable(name: str) -> tuple[str, str]:
    """A flag for a non-empty value that is no HubSpot date-time, naming the file's column."""
    listed = ", ".join(text(f) for f in TIMES)  # moment's own parse: DuckDB computes it once
    condition = f"NOT ({blank(name)}) AND try_strptime({cell(name)}, [{listed}]) IS NULL"
    message = f"{text(f'column {name}: ')} || {shown(name)} || {text(f' is not a date ({WANT})')}"
    return condition, message


def not_blank(name: str, why: str) -> tuple[str, str]:
    """A flag for an empty value the export should always carry."""
    return blank(name), text(f"column {name}: a value is required ({why})")


def first_company(name: str = COMPANY_IDS, salesforce: str | None = None) -> str:
    """The first (primary) record id of an association column, NULL when there is none.

    With ``salesforce``, the column holding the associated account's Salesforce id wins when
    the row has one (the account's canonical id, as :func:`record_id` gives it to companies).
    """
    primary = f"split_part({col(name)}, ';', 1)"
    first = f"NULLIF({trimmed(primary)}, '')"
    return f"COALESCE({cell(salesforce)}, {first})" if salesforce else first


def record_id(*salesforce: str) -> str:
    """A record's canonical id: the first Salesforce id column with a value, else ``Record ID``."""
    return f"COALESCE({', '.join(cell(s) for s in salesforce)}, {trimmed(col('Record ID'))})"


def stage_key(name: str) -> str:
    """A deal stage as a key: ``Closed won``, ``closedwon`` and ``Closed - Won`` → closedwon."""
    return f"lower(regexp_replace(COALESCE({col(name)}, ''), '[^A-Za-z]', '', 'g'))"
