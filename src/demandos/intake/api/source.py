"""What an API source is: objects read page by page from a cursor, each page as export rows.

An API sync reuses the file connectors: a page of API records becomes a table whose columns are
the labels of the platform's own export (HubSpot property ``firstname`` → ``First Name``,
Salesforce ``OpportunityHistory.CreatedDate`` → ``Edit Date``) and whose values are written as
the export writes them (``2026-03-04 15:22`` in HubSpot, ``3/4/2026 3:22 PM`` in Salesforce).
The connector that reads the export then translates the page, so a file and the API give the same
canonical rows.

Credentials come from environment variables only (never from the workspace files): each source
reads them before its first request and names the variable when one is missing or refused.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import pyarrow as pa

from demandos.errors import IntakeError
from demandos.intake.coerce import ROW_NUMBER
from demandos.intake.connector import Header
from demandos.intake.readers import RawFile


@dataclass(frozen=True)
class ApiObject:
    """One object of a platform's API, read into one export format."""

    name: str  # "contacts": as the platform names it
    connector: str  # "hubspot_contacts": the connector that reads its export
    header: tuple[str, ...]  # the export's column labels, in the export's order


@dataclass
class Page:
    """One page of records, already written as rows of the export."""

    number: int  # 1-based within one sync of the object
    request: str  # what fetched it (method and URL), for reports and the load record
    rows: list[dict[str, str]]  # export label -> text, one per record
    records: Sequence[Mapping[str, Any]]  # the records as the API returned them
    ids: list[str]  # each record's id in the platform
    cursor: str | None  # the newest modification time on the page (ISO 8601 UTC)
    header: tuple[str, ...] = ()  # the page's columns, when not its object's (org-specific)

    @property
    def sha256(self) -> str:
        """A fingerprint of the page's records: the same records give the same quarantine keys."""
        text = json.dumps(self.records, sort_keys=True, default=str, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def raw(self, header: tuple[str, ...]) -> RawFile:
        """The page as a reader returns a file: text columns by label, and as ``__row`` each
        record's number (:func:`record_number`), so that a bad record read again — on another
        page, by a later sync — is the same quarantine row, not one more.
        """
        header = self.header or header
        columns = {
            label: pa.array([row.get(label, "") for row in self.rows], pa.string())
            for label in header
        }
        columns[ROW_NUMBER] = pa.array([record_number(i) for i in self.ids], pa.int64())
        return RawFile(pa.table(columns), Header(header))


def record_number(record_id: str) -> int:
    """A record's id as the quarantine's row number: itself when numeric (HubSpot), else a
    60-bit hash of it (Salesforce's ``006…`` ids)."""
    if record_id.isdigit() and int(record_id) < 2**63:
        return int(record_id)
    return int(hashlib.sha256(record_id.encode()).hexdigest()[:15], 16)


class Source(Protocol):
    """A platform's API: its objects in dependency order, and their pages since a cursor."""

    system: str  # "hubspot"
    label: str  # "HubSpot"
    objects: tuple[ApiObject, ...]

    def pages(self, obj: ApiObject, since: str | None, zone: ZoneInfo) -> Iterator[Page]:
        """Records of ``obj`` modified at or after ``since`` (all when None), oldest first.

        Date-times are written in ``zone``: the zone the connector reads the export in.
        """
        ...

    def close(self) -> None: ...


# -- credentials ---------------------------------------------------------------------------------


def env(name: str, *, source: str, hint: str) -> str:
    """The value of environment variable ``name``, or an IntakeError that names it."""
    value = os.environ.get(name, "").strip()
    if not value:
        raise IntakeError(
            f"environment variable {name} is not set",
            source=source,
            hint=f"{hint}; "
            "credentials are read from the environment only, never from the workspace files",
        )
    return value


def refused(system: str, status: int, detail: str, *, variable: str, hint: str) -> IntakeError:
    """A 401 or 403: the credential in ``variable`` was not accepted."""
    what = "was refused (401 Unauthorized)" if status == 401 else "lacks a permission (403)"
    return IntakeError(
        f"the {system} API says the token in {variable} {what}: {detail}",
        source=system.lower(),
        hint=hint,
    )


# -- retries -------------------------------------------------------------------------------------

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to wait when the API says "too many requests" or fails briefly."""

    attempts: int = 5  # tries per request, the first included
    max_wait: float = 60.0  # seconds: a longer Retry-After is cut to this
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)

    def delay(self, status: int, retry_after: str | None, attempt: int) -> float | None:
        """Seconds to wait before try ``attempt + 1``, or None when not to try again."""
        if status not in RETRY_STATUSES or attempt >= self.attempts:
            return None
        wait = _retry_after_seconds(retry_after)
        if wait is None:
            wait = float(2 ** (attempt - 1))
        return max(0.0, min(wait, self.max_wait))


def _retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` as seconds: a number of seconds, or an HTTP date."""
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return (when - datetime.now(UTC)).total_seconds()


# -- time ----------------------------------------------------------------------------------------


def parse_instant(value: object) -> datetime | None:
    """An API date-time (ISO 8601 with ``Z`` or ``+0000``, or epoch milliseconds) as aware UTC.

    A date alone is midnight UTC (HubSpot's date properties). None when it is not a time.
    """
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    if text.isdigit() and len(text) >= 10:
        return datetime.fromtimestamp(int(text) / 1000, UTC)
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    elif len(text) > 5 and text[-5] in "+-" and text[-4:].isdigit() and text[-3] != ":":
        text = text[:-2] + ":" + text[-2:]  # Salesforce's +0000
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def parse_day(value: object) -> date | None:
    """An API date (``2026-03-04``), or None."""
    try:
        return date.fromisoformat(str(value).strip()[:10]) if value else None
    except ValueError:
        return None


def cursor_text(instant: datetime) -> str:
    """The cursor as stored: ISO 8601 UTC to the millisecond, ``2026-03-04T15:22:10.123Z``."""
    utc = instant.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def newest(current: str | None, candidate: str | None) -> str | None:
    """The later of two cursors (ISO texts in one format compare as times)."""
    if current is None:
        return candidate
    if candidate is None:
        return current
    return max(current, candidate)


def page_cursor(stamps: list[object]) -> str | None:
    """The newest of the modification times on a page, as a cursor."""
    times = [t for t in (parse_instant(s) for s in stamps) if t is not None]
    return cursor_text(max(times)) if times else None


def text(value: object) -> str:
    """A field value as export text: empty for none."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


__all__ = [
    "ApiObject",
    "Page",
    "RetryPolicy",
    "Source",
    "cursor_text",
    "env",
    "newest",
    "page_cursor",
    "parse_day",
    "parse_instant",
    "record_number",
    "refused",
    "text",
]
