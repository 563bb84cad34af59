"""The iCal export parses with icalendar, with the right rules, zones, durations and UIDs; the
occurrences the rhythm computes are exactly the RRULE's expansion."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr
from icalendar import Calendar, Event
from typer.testing import CliRunner

from demandos.cadence import occurrences, ritual_instance
from demandos.cadence.calendar import build_calendar, calendar_bytes
from demandos.cli.main import app
from demandos.errors import CadenceError, DemandosError
from demandos.spec import Specs
from demandos.workspace import Workspace

from .conftest import make_workspace

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def specs_of(path: Path) -> Specs:
    with Workspace.open(path) as ws:
        return ws.specs


def events(data: bytes) -> dict[str, Event]:
    """Parse an export and key its events by ritual id (the UID's first part)."""
    cal = Calendar.from_ical(data)
    return {str(e["UID"]).split(".")[0]: e for e in cal.walk("VEVENT")}


def rule(event: Event) -> str:
    return event["RRULE"].to_ical().decode()


def expand(event: Event, until: datetime) -> list[datetime]:
    start = event["DTSTART"].dt
    return list(rrulestr(rule(event), dtstart=start).between(start, until, inc=True))


def test_rrules_follow_cadence_yaml(workspace: Path) -> None:
    found = events(calendar_bytes(specs_of(workspace), start=date(2026, 11, 23), now=NOW))
    assert rule(found["monday_review"]) == "FREQ=WEEKLY;BYDAY=MO"
    assert rule(found["friday_planning"]) == "FREQ=WEEKLY;BYDAY=FR"
    assert rule(found["optimization"]) == "FREQ=WEEKLY;BYDAY=TU,WE,TH"  # tuesday-thursday
    assert rule(found["monthly_deep_dive"]) == "FREQ=MONTHLY;BYDAY=1TU"
    assert rule(found["monthly_planning"]) == "FREQ=MONTHLY;BYDAY=4TU"
    assert rule(found["last_friday_retro"]) == "FREQ=MONTHLY;BYDAY=-1FR"
    assert rule(found["qbr"]) == "FREQ=MONTHLY;INTERVAL=3;BYDAY=1TH"
    # DTSTART is the first meeting on or after the start, in the right month of the quarter.
    assert found["monday_review"]["DTSTART"].dt == datetime(
        2026, 11, 23, 9, 30, tzinfo=ZoneInfo("America/New_York")
    )
    assert found["qbr"]["DTSTART"].dt.date() == date(2027, 1, 7)  # month 1: Jan, Apr, Jul, Oct
    assert found["demand_audit"]["DTSTART"].dt.date() == date(2026, 12, 16)  # month 3, 3rd Wed
    assert found["last_friday_retro"]["DTSTART"].dt.date() == date(2026, 11, 27)


def test_quarterly_rituals_follow_the_fiscal_year(tmp_path: Path) -> None:
    path = make_workspace(tmp_path / "fy", fiscal_year_start_month=2)
    found = events(calendar_bytes(specs_of(path), start=date(2026, 1, 1), now=NOW))
    qbr = expand(found["qbr"], datetime(2027, 1, 1, tzinfo=UTC))
    assert [d.month for d in qbr] == [2, 5, 8, 11]  # month 1 of quarters starting Feb
    audit = expand(found["demand_audit"], datetime(2027, 1, 1, tzinfo=UTC))
    assert [d.month for d in audit] == [1, 4, 7, 10]  # month 3 of Nov-Jan, Feb-Apr, …
    assert all(d.weekday() == 2 and 15 <= d.day <= 21 for d in audit)  # third Wednesday
    # The instance of the QBR held in May 2026 is the fiscal quarter FY2027-Q2 (Feb-Jan years).
    may = ritual_instance(specs_of(path), "qbr", "FY2027-Q2")
    assert may.start.date() == date(2026, 5, 7)
    assert may.period == "FY2027-Q2"


def test_tzid_vtimezone_and_dst_keep_local_time(berlin: Path) -> None:
    data = calendar_bytes(specs_of(berlin), start=date(2026, 3, 16), now=NOW)
    cal = Calendar.from_ical(data)
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["Europe/Berlin"]
    assert b"DTSTART;TZID=Europe/Berlin:20260316T093000" in data
    monday = events(data)["monday_review"]
    assert monday["DTSTART"].params["TZID"] == "Europe/Berlin"
    meetings = expand(monday, datetime(2026, 4, 7, tzinfo=UTC))
    assert [m.date() for m in meetings] == [date(2026, 3, d) for d in (16, 23, 30)] + [
        date(2026, 4, 6)
    ]
    assert {(m.hour, m.minute) for m in meetings} == {(9, 30)}  # local time never moves
    offsets = [m.utcoffset() for m in meetings]
    assert offsets == [timedelta(hours=1)] * 2 + [timedelta(hours=2)] * 2  # DST from Mar 29
    assert [m.astimezone(UTC).hour for m in meetings] == [8, 8, 7, 7]
    ours = occurrences(
        specs_of(berlin), date(2026, 3, 16), date(2026, 4, 7), rituals=("monday_review",)
    )
    assert [o.start for o in ours] == meetings


def test_occurrences_equal_the_rrule_expansion_for_a_year(berlin: Path) -> None:
    specs = specs_of(berlin)
    start, end = date(2026, 1, 5), date(2027, 1, 5)
    found = events(calendar_bytes(specs, start=start, now=NOW))
    until = datetime.combine(end, datetime.min.time(), tzinfo=ZoneInfo("Europe/Berlin"))
    ours = occurrences(specs, start, end)
    assert len(ours) > 52 * 2 + 12 * 5
    for ritual in specs.cadence.rituals:
        expected = [d for d in expand(found[ritual.id], until) if d < until]
        assert [o.start for o in ours if o.ritual_id == ritual.id] == expected, ritual.id
    assert ours == sorted(ours, key=lambda o: (o.start, o.ritual_id))


def test_duration_description_and_people(workspace: Path) -> None:
    specs = specs_of(workspace)
    found = events(calendar_bytes(specs, start=date(2026, 11, 23), now=NOW))
    monday = found["monday_review"]
    assert monday["DURATION"].dt == timedelta(minutes=45)
    assert found["friday_planning"]["DURATION"].dt == timedelta(hours=2, minutes=30)
    text = str(monday["DESCRIPTION"])
    assert "Agenda (45 min):" in text
    assert "1. North star: DER and pipeline created vs target (10 min, Maya Okafor)" in text
    assert "3. Lead-to-opportunity SLA breaches (10 min, Jonas Berg)" in text
    assert "Run by Maya Okafor. With Jonas Berg, Priya Raman." in text
    assert str(monday["ORGANIZER"]) == "mailto:maya@northwind.example"
    attendees = {str(a): a.params for a in monday["ATTENDEE"]}
    assert set(attendees) == {
        "mailto:maya@northwind.example",
        "mailto:jonas@northwind.example",
        "mailto:priya@northwind.example",
    }
    assert attendees["mailto:maya@northwind.example"]["ROLE"] == "CHAIR"
    assert attendees["mailto:jonas@northwind.example"]["CN"] == "Jonas Berg"
    qbr = str(found["qbr"]["DESCRIPTION"])
    assert "month 1 of every quarter (January, April, July, October)" in qbr


def test_people_without_email_are_named_but_not_invited(workspace: Path) -> None:
    team = workspace / "team.yaml"
    team.write_text(team.read_text().replace("    email: jonas@northwind.example\n", ""))
    found = events(calendar_bytes(specs_of(workspace), start=date(2026, 11, 23), now=NOW))
    invited = [str(a) for a in found["monday_review"]["ATTENDEE"]]
    assert "mailto:jonas@northwind.example" not in invited and len(invited) == 2
    assert "Jonas Berg" in str(found["monday_review"]["DESCRIPTION"])
    assert "ORGANIZER" not in found["monthly_deep_dive"]  # jonas runs it: no address to name


def test_uids_are_stable_across_exports_and_differ_between_workspaces(
    workspace: Path, tmp_path: Path
) -> None:
    specs = specs_of(workspace)
    first = events(calendar_bytes(specs, start=date(2026, 11, 23), now=NOW))
    later = events(calendar_bytes(specs, start=date(2027, 2, 1), now=NOW + timedelta(days=30)))
    assert {str(e["UID"]) for e in first.values()} == {str(e["UID"]) for e in later.values()}
    assert str(first["monday_review"]["UID"]) == "monday_review.acme_demand@demandos"
    assert later["monday_review"]["SEQUENCE"] > first["monday_review"]["SEQUENCE"]
    other = make_workspace(tmp_path / "other", name="Globex")
    theirs = events(calendar_bytes(specs_of(other), start=date(2026, 11, 23), now=NOW))
    assert str(theirs["monday_review"]["UID"]) != str(first["monday_review"]["UID"])
    again = calendar_bytes(specs, start=date(2026, 11, 23), now=NOW)
    assert again == calendar_bytes(specs, start=date(2026, 11, 23), now=NOW)  # same bytes


def test_until_ends_every_series_in_utc(berlin: Path) -> None:
    specs = specs_of(berlin)
    start, until = date(2026, 11, 23), date(2026, 12, 31)
    cal = build_calendar(specs, start=start, until=until, now=NOW)
    found = {str(e["UID"]).split(".")[0]: e for e in cal.walk("VEVENT")}
    assert "qbr" not in found  # its first meeting (Jan 7) is after the end
    assert "UNTIL=20261231T225959Z" in rule(found["monday_review"])  # 23:59:59 Berlin
    end = datetime(2027, 6, 1, tzinfo=UTC)
    for ritual_id, event in found.items():
        expected = [
            o.start for o in occurrences(specs, start, date(2027, 1, 1), rituals=(ritual_id,))
        ]
        assert expand(event, end) == expected, ritual_id
    with pytest.raises(CadenceError, match="before it starts"):
        build_calendar(specs, start=start, until=date(2026, 1, 1))


def test_ritual_instance_rejects_a_period_of_the_wrong_kind(workspace: Path) -> None:
    specs = specs_of(workspace)
    assert ritual_instance(specs, "monday_review", "2026-W48").start.date() == date(2026, 11, 23)
    assert ritual_instance(specs, "monthly_planning", "2026-11").start.date() == date(2026, 11, 24)
    with pytest.raises(CadenceError, match="is a month, but monday_review is weekly") as info:
        ritual_instance(specs, "monday_review", "2026-11")
    assert "2026-W47" in (info.value.hint or "")
    with pytest.raises(CadenceError, match="unknown ritual 'monday_reveiw'") as info:
        ritual_instance(specs, "monday_reveiw", "2026-W48")
    assert "did you mean 'monday_review'?" in (info.value.hint or "")


runner = CliRunner()


def test_cli_writes_the_file_and_refuses_two_ends(workspace: Path, tmp_path: Path) -> None:
    out = tmp_path / "rhythm.ics"
    args = ["calendar", str(workspace), "--out", str(out), "--from", "2026-11-23"]
    result = runner.invoke(app, [*args, "--weeks", "4"])
    assert result.exit_code == 0, result.output
    assert "rituals from 2026-11-23 until 2026-12-20" in result.output
    found = events(out.read_bytes())
    assert "UNTIL=20261221T045959Z" in rule(found["monday_review"])  # Dec 20 23:59:59 New York
    assert "qbr" not in found
    result = runner.invoke(app, [*args, "--weeks", "4", "--until", "2027-01-01"])
    assert result.exit_code != 0 and isinstance(result.exception, DemandosError)
    assert "--weeks and --until" in str(result.exception)
    default = runner.invoke(app, ["calendar", str(workspace), "--from", "2026-11-23"])
    assert default.exit_code == 0, default.output
    assert len(events((workspace / ".demandos" / "cadence.ics").read_bytes())) == len(
        specs_of(workspace).cadence.rituals
    )


def test_cli_writes_to_stdout(workspace: Path) -> None:
    result = runner.invoke(app, ["calendar", str(workspace), "--out", "-", "--from", "2026-11-23"])
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes.startswith(b"BEGIN:VCALENDAR")
    assert len(events(result.stdout_bytes)) == len(specs_of(workspace).cadence.rituals)


def test_a_weekly_range_meets_each_day_of_it(workspace: Path) -> None:
    """The Tue-Thu stand-up: three meetings a week, one instance (the week) for all three."""
    found = events(calendar_bytes(specs_of(workspace), start=date(2026, 11, 23), now=NOW))
    days = [d.date() for d in expand(found["optimization"], datetime(2026, 12, 5, tzinfo=UTC))]
    assert days == [date(2026, 11, d) for d in (24, 25, 26)] + [
        date(2026, 12, d) for d in (1, 2, 3)
    ]
    specs = specs_of(workspace)
    meetings = occurrences(specs, date(2026, 11, 23), date(2026, 11, 30), rituals=("optimization",))
    assert [m.start.weekday() for m in meetings] == [1, 2, 3]
    assert {m.key for m in meetings} == {"optimization 2026-W48"}
