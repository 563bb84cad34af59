"""The rhythm as iCalendar (RFC 5545): one recurring event per ritual, for Google and Outlook.

    cal = build_calendar(ws.specs, start=date(2026, 11, 23))    # an icalendar.Calendar
    Path("rhythm.ics").write_bytes(calendar_bytes(ws.specs, start=date(2026, 11, 23)))

Each ritual becomes one VEVENT: DTSTART is its first meeting on or after ``start``, in the
workspace timezone (``TZID`` plus a VTIMEZONE, so 09:30 stays 09:30 across daylight-saving
changes); the RRULE says when it repeats (weekly ``BYDAY=MO``; monthly ``BYDAY=1TU`` or ``-1FR``;
quarterly ``FREQ=MONTHLY;INTERVAL=3`` from the right month of the fiscal quarter); DURATION is its
length; the owner is the ORGANIZER and attendees with an email in team.yaml are ATTENDEEs; the
DESCRIPTION carries the agenda with time boxes and owners.

UIDs are derived from the workspace name and the ritual id, so importing a newer export updates
the events instead of adding copies; SEQUENCE grows with the export time so calendars take the
newer export as the newer version.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone, vCalAddress

from demandos import __version__
from demandos.cadence.rhythm import (
    ICAL_DAYS,
    Occurrence,
    meeting_days,
    occurrences,
    ritual_months,
    weekday_of,
    weekdays_of,
)
from demandos.errors import CadenceError
from demandos.spec.cadence import Ritual
from demandos.spec.fields import slugify

if TYPE_CHECKING:
    from demandos.spec import Person, Specs

__all__ = ["Occurrence", "build_calendar", "calendar_bytes", "occurrences", "rrule_for", "uid_for"]

_SEQUENCE_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


def rrule_for(ritual: Ritual) -> dict[str, Any]:
    """The recurrence rule of ``ritual`` (without UNTIL), as icalendar's ``vRecur`` mapping.

    A quarterly rule repeats every third month from DTSTART, so DTSTART must be a meeting in the
    right month of the quarter (``build_calendar`` takes care of that).
    """
    nth, weekday = weekday_of(ritual)
    day = ICAL_DAYS[weekday]
    if nth is None:
        return {"freq": "weekly", "byday": [ICAL_DAYS[d] for d in weekdays_of(ritual)]}
    rule: dict[str, Any] = {"freq": "monthly", "byday": f"{nth}{day}"}
    if ritual.frequency == "quarterly":
        rule["interval"] = 3
    return rule


def uid_for(specs: Specs, ritual: Ritual) -> str:
    """A UID that stays the same for a ritual across exports (and differs between workspaces)."""
    return f"{ritual.id}.{slugify(specs.workspace.name)}@demandos"


def build_calendar(
    specs: Specs,
    *,
    start: date,
    until: date | None = None,
    now: datetime | None = None,
) -> Calendar:
    """The whole rhythm from ``start`` on (to ``until``, inclusive, or without end)."""
    if until is not None and until < start:
        raise CadenceError(
            f"the calendar would end ({until}) before it starts ({start})",
            hint="pass an --until date after the start, or --weeks N",
        )
    zone_name = specs.workspace.timezone
    zone = ZoneInfo(zone_name)
    stamp = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    people = {p.id: p for p in specs.team.people}
    fy = specs.workspace.fiscal_year_start_month

    cal = Calendar()
    cal.add("prodid", f"-//demandos//demandos {__version__}//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"{specs.workspace.name}: demand rhythm")
    cal.add("x-wr-timezone", zone_name)
    last_year = (until or start).year + 10
    cal.add_component(
        Timezone.from_tzid(
            zone_name, first_date=date(start.year - 1, 1, 1), last_date=date(last_year, 12, 31)
        )
    )
    for ritual in specs.cadence.rituals:
        # The first meeting on or after start: a year always holds one (quarterly rituals too).
        horizon = (until + timedelta(days=1)) if until else start + timedelta(days=366)
        days = meeting_days(ritual, start, horizon, fiscal_year_start_month=fy)
        if not days:
            continue  # no meeting in the window (a quarterly ritual and a short --weeks)
        event = Event()
        event.add("uid", uid_for(specs, ritual))
        event.add("dtstamp", stamp)
        event.add("sequence", int((stamp - _SEQUENCE_EPOCH).total_seconds() // 60))
        event.add("summary", ritual.name)
        event.add("dtstart", datetime.combine(days[0], ritual.time, tzinfo=zone))
        event.add("duration", timedelta(minutes=ritual.duration_minutes))
        rule = rrule_for(ritual)
        if until is not None:  # RFC 5545: UNTIL is UTC when DTSTART has a TZID
            end_local = datetime.combine(until, time(23, 59, 59), tzinfo=zone)
            rule["until"] = end_local.astimezone(UTC)
        event.add("rrule", rule)
        event.add("description", describe(specs, ritual, people))
        event.add("categories", ["demandos", ritual.frequency])
        _add_people(event, ritual, people)
        cal.add_component(event)
    return cal


def calendar_bytes(
    specs: Specs, *, start: date, until: date | None = None, now: datetime | None = None
) -> bytes:
    """``build_calendar`` as the bytes of an ``.ics`` file."""
    return bytes(build_calendar(specs, start=start, until=until, now=now).to_ical())


def _address(person: Person) -> vCalAddress:
    address = vCalAddress(f"mailto:{person.email}")
    address.params["cn"] = person.name
    return address


def _add_people(event: Event, ritual: Ritual, people: dict[str, Person]) -> None:
    """ORGANIZER is the owner; ATTENDEE lines for everyone with an email (owner as CHAIR)."""
    owner = people.get(ritual.owner)
    if owner is not None and owner.email:
        event.add("organizer", _address(owner), encode=False)
    for person_id in dict.fromkeys((ritual.owner, *ritual.attendees)):
        person = people.get(person_id)
        if person is None or not person.email:
            continue  # named in the description; a calendar address needs an email
        address = _address(person)
        address.params["role"] = "CHAIR" if person_id == ritual.owner else "REQ-PARTICIPANT"
        address.params["partstat"] = "NEEDS-ACTION"
        address.params["rsvp"] = "TRUE"
        event.add("attendee", address, encode=False)


def _name(person_id: str | None, people: dict[str, Person]) -> str:
    if person_id is None:
        return ""
    person = people.get(person_id)
    return person.name if person else person_id


def describe(specs: Specs, ritual: Ritual, people: dict[str, Person]) -> str:
    """The event's DESCRIPTION: when, who, and the agenda with time boxes and owners."""
    when = {
        "weekly": f"every {ritual.day.lower()}",
        "monthly": f"the {ritual.day.lower()} of every month",
        "quarterly": (
            f"the {ritual.day.lower()} of month {ritual.month_of_quarter} of every quarter"
        ),
    }[ritual.frequency]
    months = ritual_months(ritual, specs.workspace.fiscal_year_start_month)
    if ritual.frequency == "quarterly":
        when += " (" + ", ".join(date(2000, m, 1).strftime("%B") for m in months) + ")"
    attendees = ", ".join(_name(a, people) for a in ritual.attendees if a != ritual.owner)
    lines = [
        f"{ritual.name}: {when}, {ritual.time:%H:%M} {specs.workspace.timezone}, "
        f"{ritual.duration_minutes} min.",
        f"Run by {_name(ritual.owner, people)}." + (f" With {attendees}." if attendees else ""),
    ]
    if ritual.agenda:
        total = sum(item.minutes for item in ritual.agenda)
        lines += ["", f"Agenda ({total} min):"]
        for number, item in enumerate(ritual.agenda, 1):
            lead = f", {_name(item.owner, people)}" if item.owner else ""
            lines.append(f"{number}. {item.item} ({item.minutes} min{lead})")
    lines += ["", f"From cadence.yaml (ritual {ritual.id}), exported by demandos."]
    return "\n".join(lines)
