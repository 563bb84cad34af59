"""Friday planning: what Monday's actions became, what launches and publishes next week, whether
content keeps its rhythm, and who has room for what.

Sections:

- **agenda**: the ritual's time boxes from cadence.yaml;
- **monday actions**: the actions logged at this week's Monday review, as they stand at the
  meeting: done, moved into the week planned, still open, overdue;
- **calendar**: programs of channels.yaml that start, end or run in the week planned, with their
  monthly budget's share of the week and what they spent in the last full week (metrics
  engine); assets whose ``published_at`` falls in the week;
- **rhythm**: production against target — per target of assets.yaml, the assets of its type
  published this month through the meeting's day against the pace to date and last month's
  count (``assets/production.py``); then assets published per type in the last 4 full weeks
  against a rhythm: the type's average over the 13 weeks before;
- **backlog**: assets in idea, brief, draft or review, by owner and age (days since the asset
  first appeared in the fact store: the assets table has no created date);
- **capacity**: per person of team.yaml, open and overdue actions, actions due in the week
  planned, backlog items and programs running (team.yaml has no hours, so load is in items).

The period is the week planned (default: the ISO week after today's); the meeting is the
ritual's instance in the week before it.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from demandos.assets.production import production
from demandos.cadence.log import ActionItem
from demandos.errors import CadenceError
from demandos.metrics import MetricTable, Period
from demandos.metrics.periods import current_period
from demandos.reports.model import Bullets, Cell, Pack, Paragraph, Section, Table, Tone
from demandos.reports.numbers import fmt, fmt_ratio
from demandos.reports.packs import PackContext, pack
from demandos.reports.packs.common import agenda, looking_ahead_to, open_pack, person
from demandos.reports.packs.programs import planned_spend, runs_on
from demandos.spec.channels import Program
from demandos.store.schema import VALID_FROM

RECENT = 4  # weeks of production compared with the rhythm
RHYTHM = 13  # weeks the rhythm is averaged over (the weeks before the RECENT ones)
BEHIND = 0.75  # fewer than this share of the rhythm is behind
AHEAD = 1.25
BACKLOG = ("idea", "brief", "draft", "review")
ALIASES = {"in_review": "review", "ideas": "idea", "briefed": "brief", "drafting": "draft"}
OLDEST = 15  # backlog items listed one by one
COMING_UP = 4  # weeks after the one planned whose launches are named


@dataclass(frozen=True)
class AssetRow:
    """One asset as the planning pack reads it."""

    asset_id: str
    title: str
    type: str
    status: str  # normalized: lower case, underscores, aliases resolved
    owner: str | None  # a person id of team.yaml when the owner matches one, else as stored
    published_at: datetime | None
    parent_asset_id: str | None
    first_seen: datetime | None  # when the fact store first held the asset (UTC)
    pillar: str | None = None


def status_of(value: str | None) -> str:
    """``In Review`` → ``review``: lower case, words joined by ``_``, aliases resolved."""
    text = "_".join((value or "").strip().lower().replace("-", " ").split())
    return ALIASES.get(text, text)


def owner_id(ctx: PackContext, value: str | None) -> str | None:
    """The team.yaml person an asset owner names, by id or by name (any case); else as is."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    for p in ctx.ws.specs.team.people:
        if text == p.id or text.lower() == p.name.strip().lower():
            return p.id
    return text


def read_assets(ctx: PackContext) -> list[AssetRow]:
    """The assets table's current rows, each with when the store first held it."""
    facts = ctx.ws.facts
    rows = facts.table("assets").to_pyarrow().to_pylist()
    versions = facts.versions("assets")
    first = versions.group_by("asset_id").aggregate(first=versions[VALID_FROM].min())
    seen = {r["asset_id"]: r["first"] for r in first.to_pyarrow().to_pylist()}
    return [
        AssetRow(
            asset_id=r["asset_id"],
            title=r["title"],
            type=r["type"],
            status=status_of(r["status"]),
            owner=owner_id(ctx, r["owner"]),
            published_at=r["published_at"],
            parent_asset_id=r["parent_asset_id"],
            first_seen=seen.get(r["asset_id"]),
            pillar=r["pillar"],
        )
        for r in rows
    ]


def published_in(assets: Sequence[AssetRow], start: date, end: date) -> list[AssetRow]:
    """Assets whose ``published_at`` falls in ``start <= day < end``, in time order."""
    found = [a for a in assets if a.published_at and start <= a.published_at.date() < end]
    return sorted(found, key=lambda a: (a.published_at or datetime.min, a.asset_id))


@dataclass(frozen=True)
class Rhythm:
    """One asset type's production: recent weeks against its rhythm."""

    type: str
    recent: int  # published in the RECENT weeks
    derivatives: int  # of which derivatives (with a parent asset)
    baseline: int  # published in the RHYTHM weeks before
    expected: float  # baseline ÷ RHYTHM × RECENT

    @property
    def ratio(self) -> float | None:
        return self.recent / self.expected if self.expected else None

    @property
    def status(self) -> str:
        """new (none before), rare (under one expected: too rare to judge), behind, ahead or
        on rhythm."""
        if self.expected == 0:
            return "new"
        if self.expected < 1:
            return "rare"
        if self.recent < self.expected * BEHIND:
            return "behind"
        return "ahead" if self.recent > self.expected * AHEAD else "on rhythm"


@dataclass(frozen=True)
class Span:
    """Whole weeks from one ISO week to another: ``2026-W40–2026-W43``."""

    label: str
    start: date
    end: date  # exclusive

    @classmethod
    def of(cls, first: Period, last: Period) -> Span:
        return cls(f"{first.label}–{last.label}", first.start, last.end)

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)


def rhythm(assets: Sequence[AssetRow], recent: Span, baseline: Span) -> list[Rhythm]:
    """Per asset type, the assets published in ``recent`` against those in ``baseline`` scaled to
    the length of ``recent`` (both are spans of whole weeks), most published first."""
    now = published_in(assets, recent.start, recent.end)
    before = published_in(assets, baseline.start, baseline.end)
    counts, derived, base = (
        Counter(a.type for a in now),
        Counter(a.type for a in now if a.parent_asset_id),
        Counter(a.type for a in before),
    )
    scale = recent.days / baseline.days
    rows = [Rhythm(t, counts[t], derived[t], base[t], base[t] * scale) for t in {*counts, *base}]
    return sorted(rows, key=lambda r: (-r.recent, -r.baseline, r.type))


@dataclass(frozen=True)
class ActionState:
    item: ActionItem
    state: str  # done, moved, open, overdue


def action_states(
    actions: Sequence[ActionItem], meeting: datetime, planned: Period
) -> list[ActionState]:
    """Each action as it stood at ``meeting``: done before it; else overdue (due before the
    meeting's day), moved (due in the week planned or later) or open (due before that, or no
    due date). Actions created after the meeting are left out."""
    out = []
    for a in actions:
        if a.created_at >= meeting:
            continue
        if a.done_at is not None and a.done_at < meeting:
            state = "done"
        elif a.due is not None and a.due < meeting.date():
            state = "overdue"
        elif a.due is not None and a.due >= planned.start:
            state = "moved"
        else:
            state = "open"
        out.append(ActionState(a, state))
    return out


# -- the pack --------------------------------------------------------------------------------


@pack("weekly_planning")
def weekly_planning(ctx: PackContext, period: str | None) -> Pack:
    week = looking_ahead_to(ctx, period, "week", "Friday planning plans one week")
    this = week.shift(-1)  # the week the meeting is in
    out, meeting = open_pack(ctx, week, meets_in=this)
    if meeting is None:  # a weekly ritual meets every week
        raise CadenceError(f"{ctx.ritual.id} does not meet in {this.label}")
    at = meeting.start.replace(tzinfo=None)
    assets = read_assets(ctx)
    log = ctx.ws.cadence_log
    actions = action_states(log.list_actions(), at, week)

    agenda(out, ctx, meeting)
    _monday(out, ctx, this, week, at)
    _calendar(out, ctx, week, assets)
    _rhythm(out, ctx, this, assets, at.date())
    backlog = [a for a in assets if a.status in BACKLOG]
    _backlog(out, ctx, assets, backlog, at)
    _capacity(out, ctx, week, actions, backlog)
    return out


def _monday(out: Pack, ctx: PackContext, this: Period, week: Period, at: datetime) -> None:
    section = out.section("monday_actions", "Actions from Monday: done or moved")
    reviews = [r for r in ctx.ws.specs.cadence.rituals if r.kind == "weekly_review"]
    if not reviews:
        section.add(Paragraph("cadence.yaml has no Monday review (kind weekly_review).", "muted"))
        return
    review = reviews[0]
    logged = ctx.ws.cadence_log.list_actions(ritual=review.id, period=this.label)
    states = action_states(logged, at, week)
    if not states:
        section.add(
            Paragraph(f"No action was logged at {review.id} {this.label} before this meeting.")
        )
        return
    tones: dict[str, Tone] = {"done": "good", "overdue": "bad", "moved": "warn", "open": None}
    rows = []
    for s in states:
        a = s.item
        if s.state == "done" and a.done_at is not None:
            text = f"done {a.done_at:%a %d %b}"
        elif s.state == "overdue" and a.due is not None:
            text = f"overdue {(at.date() - a.due).days} d"
        elif s.state == "moved":
            text = f"moved to {a.due}"
        else:
            text = "open" + (f", due {a.due:%a %d %b}" if a.due else ", no due date")
        rows.append(
            (
                Cell(f"#{a.id}", numeric=True),
                Cell(a.title),
                Cell(person(ctx, a.owner)),
                Cell(a.due.isoformat() if a.due else "—"),
                Cell(text, tones[s.state]),
                Cell(a.metric_id or ""),
            )
        )
    count = Counter(s.state for s in states)
    section.add(
        Paragraph(
            f"{len(states)} action(s) from {review.id} {this.label}: {count['done']} done, "
            f"{count['moved']} moved into {week.label} or later, {count['open']} open, "
            f"{count['overdue']} overdue."
        ),
        Table(
            ("#", "action", "owner", "due", f"at the meeting ({at:%a %d %b %H:%M})", "metric"),
            tuple(rows),
            "As the operating log stood at the meeting. Moved: still open and due in the week "
            "planned or later (the log keeps no history of due dates, so an action due there "
            "from the start shows the same).",
        ),
    )


def _calendar(out: Pack, ctx: PackContext, week: Period, assets: Sequence[AssetRow]) -> None:
    section = out.section("calendar", f"{week.label}: launches and publishing calendar")
    cur = out.currency
    programs = [p for p in ctx.ws.specs.channels.programs if _in_week(p, week)]
    spent = week.shift(-2)  # the last full week before the meeting
    table = ctx.ws.metrics(spent.label, by="program", today=ctx.today)
    media = next((m.id for m in ctx.ws.specs.metrics.metrics if m.builtin == "media_spend"), None)
    if programs:
        rows = []
        for p in sorted(programs, key=lambda p: (_order(p, week), p.name)):
            rows.append(
                (
                    Cell(p.name, sub=p.id),
                    Cell(person(ctx, p.owner)),
                    Cell(p.channel),
                    Cell(_when(p, week), "warn" if _order(p, week) < 2 else None),
                    Cell(
                        fmt(planned_spend(p, week.start, week.end), "currency", cur), numeric=True
                    ),
                    Cell(_spent(out, table, media, p.id, cur), numeric=True),
                )
            )
        starting = sum(1 for p in programs if _order(p, week) == 0)
        section.add(
            Paragraph(
                f"{len(programs)} program(s) of channels.yaml run in {week.label} "
                f"({week.start:%a %d %b} to {week.last_day:%a %d %b}); {starting} start(s) in it."
            ),
            Table(
                (
                    "program",
                    "owner",
                    "channel",
                    "in the week",
                    "budget share",
                    f"spent {spent.label}",
                ),
                tuple(rows),
                "Budget share: the program's monthly_budget pro rata over the days it runs in "
                f"the week. Spent: media spend in {spent.label}, the last full week before the "
                "meeting (metrics engine, by program); —: no spend."
                + ("" if media else " metrics.yaml has no media_spend metric: not shown."),
            ),
        )
    else:
        section.add(Paragraph(f"No program of channels.yaml runs in {week.label}.", "muted"))
    later = [
        p
        for p in ctx.ws.specs.channels.programs
        if p.start is not None and week.end <= p.start < week.shift(COMING_UP).end
    ]
    if later:
        section.add(
            Paragraph(
                f"Starting in the {COMING_UP} weeks after: "
                + "; ".join(f"{p.name} ({p.kind}, {p.start:%a %d %b})" for p in later)
                + "."
            )
        )
    _publishing(out, section, ctx, week, assets)


def _in_week(p: Program, week: Period) -> bool:
    return any(runs_on(p, week.start + timedelta(days=n)) for n in range(7))


def _order(p: Program, week: Period) -> int:
    """0 starts in the week, 1 ends in it, 2 a campaign or launch running, 3 always on."""
    if p.start is not None and week.contains(p.start) and p.kind != "always_on":
        return 0
    if p.end is not None and week.contains(p.end):
        return 1
    return 2 if p.kind != "always_on" else 3


def _when(p: Program, week: Period) -> str:
    order = _order(p, week)
    if order == 0:
        return f"{p.kind} starts {p.start:%a %d %b}" + (f", ends {p.end}" if p.end else "")
    if order == 1:
        return f"{p.kind} ends {p.end:%a %d %b}"
    if order == 2:
        return f"{p.kind} running" + (f" to {p.end}" if p.end else "")
    return "always on"


def _spent(out: Pack, table: MetricTable, media: str | None, program: str, cur: str) -> str:
    if media is None:
        return "—"
    try:
        row = table.get(media, program)
    except KeyError:  # no spend rows for the program that week
        return "—"
    if not row.value:
        return "—"
    out.trace(row.metric, row.period, "value", row.value, f"program={program}")
    return fmt(row.value, row.unit, cur)


def _publishing(
    out: Pack, section: Section, ctx: PackContext, week: Period, assets: Sequence[AssetRow]
) -> None:
    due = published_in(assets, week.start, week.end)
    if due:
        section.add(
            Table(
                ("date", "asset", "type", "pillar", "owner", "status"),
                tuple(
                    (
                        Cell(f"{a.published_at:%a %d %b %H:%M}"),
                        Cell(a.title, sub=a.asset_id),
                        Cell(a.type),
                        Cell(a.pillar or "—"),
                        _owner_cell(ctx, a.owner),
                        Cell(a.status, "good" if a.status == "published" else None),
                    )
                    for a in due
                ),
                f"Assets whose published_at falls in {week.label}.",
            )
        )
    else:
        section.add(Paragraph(f"No asset has a publish date in {week.label}."))
    section.add(
        Paragraph(
            "The assets table has one date, published_at: an asset shows here once its export "
            "carries its scheduled date there. Briefs and drafts without one have no place on "
            "the calendar (see the backlog).",
            "muted",
        )
    )


def _production(
    section: Section, ctx: PackContext, through: date, assets: Sequence[AssetRow]
) -> None:
    """This month, through the meeting's day, against assets.yaml's targets."""
    fy = ctx.ws.specs.workspace.fiscal_year_start_month
    month = current_period("month", through, fiscal_year_start_month=fy)
    rows = production(assets, ctx.ws.specs.assets.production, month, through)
    tones: dict[str, Tone] = {"met": "good", "behind": "bad", "due": "warn", "on pace": None}
    cells = tuple(
        (
            Cell(r.type, sub="" if r.derivatives else "originals only"),
            Cell(person(ctx, r.owner)),
            Cell(f"{r.per_month:g}", numeric=True),
            Cell(str(r.published), numeric=True),
            Cell(f"{r.pace:.1f}", numeric=True),
            Cell(r.status, tones[r.status]),
            Cell(
                f"{r.last_month} of {r.per_month:g}",
                "good" if r.last_month_met else "warn",
                numeric=True,
            ),
        )
        for r in rows
    )
    days = (through - month.start).days + 1
    head = ("type", "owner", "target / month", f"published {month.label} to date", "pace",
            "status", month.shift(-1).label)  # fmt: skip
    section.add(
        Table(
            head,
            cells,
            f"Assets by published_at from {month.start:%d %b} through {through:%a %d %b}, "
            f"against assets.yaml's monthly targets. Pace: the target × {days}/{month.days} "
            "days; due: short of the pace by less than one asset; behind: by one or more.",
        )
    )
    behind = [r.type for r in rows if r.status == "behind"]
    if behind:
        section.add(Paragraph(f"Behind target this month: {', '.join(behind)}.", "warn"))


def _rhythm(
    out: Pack, ctx: PackContext, this: Period, assets: Sequence[AssetRow], today: date
) -> None:
    section = out.section("rhythm", "Asset production against rhythm")
    recent = Span.of(this.shift(-RECENT), this.shift(-1))
    baseline = Span.of(this.shift(-RECENT - RHYTHM), this.shift(-RECENT - 1))
    targets = ctx.ws.specs.assets.production
    if targets:
        _production(section, ctx, today, assets)
    targeted = {t.type for t in targets}
    rows = [r for r in rhythm(assets, recent, baseline) if r.type not in targeted]
    held = (
        "Types without a target in assets.yaml are"
        if targets
        else ("No production target is set in assets.yaml, so each type is")
    )
    section.add(
        Paragraph(
            f"{held} held to their own rhythm: the type's average over the {RHYTHM} weeks before "
            f"({baseline.label}), scaled to {RECENT} weeks. Behind: under {BEHIND:.0%} of it; "
            f"ahead: over {AHEAD:.0%}; rare: under one expected in {RECENT} weeks, too rare to "
            "judge.",
            "muted",
        )
    )
    if not rows and targeted and published_in(assets, baseline.start, recent.end):
        section.add(Paragraph("Every type published in these weeks has a target.", "muted"))
        return
    if not rows:
        section.add(
            Paragraph(
                f"No asset was published in {recent.label} or the {RHYTHM} weeks before: "
                f"{_assets_span(assets)}.",
                "muted",
            )
        )
        out.notes.append(f"No asset published from {baseline.start} to {recent.last_day}.")
        return
    tones: dict[str, Tone] = {"behind": "bad", "ahead": "good", "rare": "muted", "new": "good"}
    cells = []
    for r in rows:
        cells.append(
            (
                Cell(r.type),
                Cell(str(r.recent), numeric=True),
                Cell(str(r.derivatives), numeric=True),
                Cell(f"{r.expected:.1f}", numeric=True),
                Cell(fmt_ratio(r.ratio - 1 if r.ratio is not None else None), numeric=True),
                Cell(r.status, tones.get(r.status)),
            )
        )
    recent_total = sum(r.recent for r in rows)
    expected_total = sum(r.expected for r in rows)
    cells.append(
        (
            Cell("all types"),
            Cell(str(recent_total), numeric=True),
            Cell(str(sum(r.derivatives for r in rows)), numeric=True),
            Cell(f"{expected_total:.1f}", numeric=True),
            Cell(
                fmt_ratio(recent_total / expected_total - 1 if expected_total else None),
                numeric=True,
            ),
            Cell(""),
        )
    )
    section.add(
        Table(
            ("type", f"published {recent.label}", "derivatives", "rhythm", "vs rhythm", "status"),
            tuple(cells),
            f"Assets by published_at; derivatives have a parent asset. Rhythm: published in "
            f"{baseline.label} × {RECENT}/{RHYTHM}.",
        )
    )
    behind = [r.type for r in rows if r.status == "behind"]
    if behind:
        section.add(Paragraph(f"Behind rhythm: {', '.join(behind)}.", "warn"))
    latest = max((a.published_at for a in assets if a.published_at), default=None)
    if latest is not None and latest.date() < recent.last_day:
        section.add(
            Paragraph(
                f"The latest published_at in the store is {latest:%Y-%m-%d}: weeks after it may "
                "not be loaded yet rather than empty.",
                "warn",
            )
        )


def _assets_span(assets: Sequence[AssetRow]) -> str:
    days = [a.published_at for a in assets if a.published_at]
    if not days:
        return f"the assets table holds {len(assets)} asset(s), none with a publish date"
    return (
        f"the assets table holds {len(assets)} asset(s) published from {min(days):%Y-%m-%d} "
        f"to {max(days):%Y-%m-%d}"
    )


def _backlog(
    out: Pack, ctx: PackContext, assets: Sequence[AssetRow], backlog: Sequence[AssetRow],
    at: datetime,
) -> None:  # fmt: skip
    section = out.section("backlog", "Creative backlog: idea, brief, draft, review")
    if not assets:
        section.add(
            Paragraph(
                "The assets table is empty: load the asset library (canonical assets.csv, with "
                "status and owner) to see the backlog.",
                "muted",
            )
        )
        return
    if not backlog:
        statuses = Counter(a.status for a in assets)
        held = ", ".join(f"{n} {s}" for s, n in statuses.most_common()) or "none"
        section.add(
            Paragraph(
                f"No asset is in idea, brief, draft or review. The assets table holds "
                f"{len(assets)} asset(s) by status: {held}.",
                "muted",
            )
        )
        return
    today = at.date()
    ages = {a.asset_id: _age(a, today) for a in backlog}
    owners = sorted(
        {a.owner or "" for a in backlog}, key=lambda o: (o == "", person(ctx, o).lower())
    )
    rows = []
    for owner in owners:
        mine = [a for a in backlog if (a.owner or "") == owner]
        known = [d for a in mine if (d := ages[a.asset_id]) is not None]
        by_status = Counter(a.status for a in mine)
        rows.append(
            (
                _owner_cell(ctx, owner or None),
                *(Cell(str(by_status[s]), numeric=True) for s in BACKLOG),
                Cell(str(len(mine)), numeric=True),
                Cell(f"{max(known)} d" if known else "—", numeric=True),
                Cell(f"{statistics.median(known):.0f} d" if known else "—", numeric=True),
            )
        )
    section.add(
        Table(
            ("owner", *BACKLOG, "total", "oldest", "median age"),
            tuple(rows),
            f"{len(backlog)} asset(s) in the backlog on {today:%a %d %b}. Age: days since the "
            "fact store first held the asset (the assets table has no created date).",
        )
    )
    oldest = sorted(backlog, key=lambda a: (-(ages[a.asset_id] or 0), a.asset_id))[:OLDEST]
    section.add(
        Table(
            ("asset", "type", "status", "owner", "age"),
            tuple(
                (
                    Cell(a.title, sub=a.asset_id),
                    Cell(a.type),
                    Cell(a.status),
                    _owner_cell(ctx, a.owner),
                    Cell(
                        f"{ages[a.asset_id]} d" if ages[a.asset_id] is not None else "—",
                        numeric=True,
                    ),
                )
                for a in oldest
            ),
            f"The {len(oldest)} oldest"
            + (f" of {len(backlog)}" if len(backlog) > len(oldest) else "")
            + ".",
        )
    )
    other = Counter(
        a.status for a in assets if a.status not in (*BACKLOG, "published")
    )  # scheduled, archived, …
    if other:
        section.add(
            Paragraph(
                "Neither backlog nor published: "
                + ", ".join(f"{n} {s}" for s, n in other.most_common())
                + ".",
                "muted",
            )
        )


def _age(a: AssetRow, today: date) -> int | None:
    """Days since the store first held the asset; None when that is after ``today`` (a pack
    for a past week read from a store loaded since)."""
    if a.first_seen is None or a.first_seen.date() > today:
        return None
    return (today - a.first_seen.date()).days


def _owner_cell(ctx: PackContext, owner: str | None) -> Cell:
    if owner is None:
        return Cell("no owner", "bad")
    if owner in {p.id for p in ctx.ws.specs.team.people}:
        return Cell(person(ctx, owner))
    return Cell(owner, "warn", sub="not in team.yaml")


def _capacity(
    out: Pack, ctx: PackContext, week: Period, actions: Sequence[ActionState],
    backlog: Sequence[AssetRow],
) -> None:  # fmt: skip
    section = out.section("capacity", "Capacity per owner")
    team = [p.id for p in ctx.ws.specs.team.people]
    open_ = [s for s in actions if s.state != "done"]
    extra = sorted(
        ({s.item.owner for s in open_} | {a.owner for a in backlog if a.owner}) - set(team)
    )
    programs = [p for p in ctx.ws.specs.channels.programs if _in_week(p, week)]
    rows = []
    for owner in [*team, *(o for o in extra if o not in team)]:
        mine = [s for s in open_ if s.item.owner == owner]
        overdue = sum(1 for s in mine if s.state == "overdue")
        due = sum(1 for s in mine if s.item.due is not None and week.contains(s.item.due))
        items = sum(1 for a in backlog if a.owner == owner)
        running = sum(1 for p in programs if p.owner == owner)
        rows.append(
            (
                _owner_cell(ctx, owner),
                Cell(str(len(mine)), numeric=True),
                Cell(str(overdue), "bad" if overdue else None, numeric=True),
                Cell(str(due), numeric=True),
                Cell(str(items), numeric=True),
                Cell(str(running), numeric=True),
                Cell(str(len(mine) + items), numeric=True),
            )
        )
    section.add(
        Table(
            (
                "owner",
                "open actions",
                "overdue",
                f"due {week.label}",
                "backlog items",
                f"programs in {week.label}",
                "open items",
            ),
            tuple(rows),
            "Actions as the operating log stood at the meeting (every ritual, not only "
            "Monday's); backlog items by asset owner; open items: open actions plus backlog "
            "items.",
        ),
        Paragraph(
            "team.yaml gives no hours or capacity per person: load is counted in items, not time.",
            "muted",
        ),
    )
    overloaded = [r for r in rows if r[2].text != "0"]
    if overloaded:
        section.add(
            Bullets(
                tuple(
                    Paragraph(f"{r[0].text}: {r[2].text} overdue of {r[1].text} open.", "bad")
                    for r in overloaded
                )
            )
        )
