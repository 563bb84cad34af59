"""The operating log of the cadence: reviews held, decisions made, actions tracked to done.

    log = ws.cadence_log
    log.add_action("Cut LinkedIn retargeting", owner="maya", due="2026-11-27",
                   metric="cpl", ritual="monday_review", period="2026-W48")
    log.complete(1)
    log.add_decision("Move 20% of paid social to webinars", owner="maya", metric="der",
                     ritual="monday_review", period="2026-W48")    # keeps DER for 2026-W47
    log.record_review("monday_review", "2026-W48", notes="…")
    log.follow_through(date(2026, 11, 23), date(2026, 11, 30))     # done, overdue, carried over

Every input is checked against the workspace before anything is written: an owner must be a person
in team.yaml, a metric an id in metrics.yaml or a built-in, a ritual instance a ritual of
cadence.yaml and a period it meets in. A bad value raises ``CadenceError`` naming the value, where
the allowed ones come from and the fix, and stores nothing. A due date in the past is a warning.

Times are kept as wall-clock times in the workspace timezone (as the team reads them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from demandos.cadence.rhythm import current_instance, find_ritual, ritual_instance
from demandos.errors import CadenceError
from demandos.metrics.periods import current_period, parse_period
from demandos.spec.metrics import BUILTIN_METRICS
from demandos.store.oplog import Action, Decision, OperatingLog, Review
from demandos.suggest import did_you_mean

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    from demandos.spec import Specs

T = TypeVar("T")
ActionStatus = Literal["open", "done"]
MetricReader = Callable[[str, str], tuple[float | None, str | None]]
"""``(metric id, period) → (value, why there is none)``: how decisions read their metric."""


@dataclass(frozen=True)
class ActionItem:
    """One action: a title, one owner, a due date, and what it links to."""

    id: int
    title: str
    owner: str
    due: date | None
    status: str
    created_at: datetime
    done_at: datetime | None = None
    metric_id: str | None = None
    ritual_id: str | None = None
    period: str | None = None
    review_id: int | None = None
    decision_id: int | None = None

    def is_overdue(self, today: date) -> bool:
        return self.status == "open" and self.due is not None and self.due < today

    def as_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


@dataclass(frozen=True)
class DecisionItem:
    """One decision, and the value its metric had when it was made."""

    id: int
    title: str
    owner: str | None
    made_at: datetime
    status: str
    rationale: str | None = None
    metric_id: str | None = None
    ritual_id: str | None = None
    period: str | None = None
    metric_period: str | None = None
    metric_value: float | None = None
    review_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


@dataclass(frozen=True)
class ReviewItem:
    """One ritual instance as held: when, who was there, and the notes."""

    id: int
    ritual_id: str
    kind: str
    period: str
    held_at: datetime | None
    attendees: tuple[str, ...] = ()
    notes: str | None = None
    summary: str | None = None
    pack_path: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


@dataclass(frozen=True)
class Recorded(Generic[T]):
    """What was written, and warnings about it (a due date in the past, …)."""

    item: T
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class FollowThrough:
    """What became of the actions over ``since <= day < until`` (e.g. one week)."""

    since: date
    until: date
    done: list[ActionItem] = field(default_factory=list)
    overdue: list[ActionItem] = field(default_factory=list)
    carried_over: list[ActionItem] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "done": [a.as_dict() for a in self.done],
            "overdue": [a.as_dict() for a in self.overdue],
            "carried_over": [a.as_dict() for a in self.carried_over],
        }


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, date | datetime):
            value = value.isoformat()
        elif isinstance(value, tuple):
            value = list(value)
        out[key] = value
    return out


def parse_day(value: date | str | None, what: str) -> date | None:
    """A date given as ``date`` or ``YYYY-MM-DD``; ``CadenceError`` naming ``what`` otherwise."""
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    if isinstance(value, datetime):
        return value.date()
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise CadenceError(
            f"{what} {value!r} is not a date",
            hint=f"write {what} as YYYY-MM-DD, e.g. 2026-11-27",
        ) from None


class CadenceLog:
    """Reviews, decisions and actions of one workspace, checked against its specs.

    ``read_metric`` reads a metric's value for a period (the workspace passes the metrics
    engine); ``clock`` gives the current time (tests pass a fixed one).
    """

    def __init__(
        self,
        log: OperatingLog,
        specs: Specs,
        *,
        read_metric: MetricReader | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.log = log
        self.specs = specs
        self._read_metric = read_metric
        self._zone = ZoneInfo(specs.workspace.timezone)
        self._clock = clock or (lambda: datetime.now(self._zone))

    # -- time ------------------------------------------------------------------------------

    def now(self) -> datetime:
        """The current wall-clock time in the workspace timezone (naive, as stored)."""
        now = self._clock()
        return now.astimezone(self._zone).replace(tzinfo=None) if now.tzinfo else now

    def today(self) -> date:
        return self.now().date()

    # -- checks ----------------------------------------------------------------------------

    def check_owner(self, owner: str, what: str = "owner") -> str:
        ids = [p.id for p in self.specs.team.people]
        if owner in ids:
            return owner
        guess = did_you_mean(owner, ids)
        raise CadenceError(
            f"unknown {what} {owner!r}: team.yaml has no person with this id",
            hint=(f"{guess} " if guess else "")
            + f"use a person id from team.yaml ({', '.join(ids)}), "
            f"or add {owner!r} to the people in team.yaml",
        )

    def check_metric(self, metric: str | None) -> str | None:
        if metric is None:
            return None
        ids = [m.id for m in self.specs.metrics.metrics]
        known = dict.fromkeys([*ids, *BUILTIN_METRICS])
        if metric in known:
            return metric
        guess = did_you_mean(metric, known)
        raise CadenceError(
            f"unknown metric {metric!r}: not in metrics.yaml nor a built-in metric",
            hint=(f"{guess} " if guess else "")
            + "use a metric id from metrics.yaml (`demandos metrics` lists them)",
        )

    def instance(self, ritual: str | None, period: str | None) -> tuple[str | None, str | None]:
        """The (ritual id, canonical period) of a ritual instance; today's when no period."""
        if ritual is None:
            if period is not None:
                ids = ", ".join(r.id for r in self.specs.cadence.rituals)
                raise CadenceError(
                    f"period {period!r} given without the ritual it belongs to",
                    hint=f"add --ritual with one of: {ids}",
                )
            return None, None
        if period is None:
            return ritual, current_instance(self.specs, ritual, self.today()).period
        return ritual, ritual_instance(self.specs, ritual, period).period

    # -- actions ---------------------------------------------------------------------------

    def add_action(
        self,
        title: str,
        *,
        owner: str,
        due: date | str | None = None,
        metric: str | None = None,
        ritual: str | None = None,
        period: str | None = None,
        decision_id: int | None = None,
    ) -> Recorded[ActionItem]:
        """Record an action with one owner (checked first: a bad value stores nothing)."""
        title = _title(title, "action")
        self.check_owner(owner)
        due_day = parse_day(due, "due date")
        metric = self.check_metric(metric)
        ritual, period = self.instance(ritual, period)
        warnings = []
        today = self.today()
        if due_day is not None and due_day < today:
            warnings.append(
                f"due date {due_day} is in the past (today is {today}): the action is overdue"
            )
        with self.log.session() as s:
            if decision_id is not None and s.get(Decision, decision_id) is None:
                raise CadenceError(
                    f"no decision #{decision_id} in the operating log",
                    hint="`demandos decision list` shows the decisions and their ids",
                )
            row = Action(
                title=title,
                owner=owner,
                due=due_day,
                status="open",
                created_at=self.now(),
                metric_id=metric,
                ritual_id=ritual,
                period=period,
                decision_id=decision_id,
                review_id=_review_id(s, ritual, period),
            )
            s.add(row)
            s.flush()
            return Recorded(_action(row), tuple(warnings))

    def list_actions(
        self,
        *,
        owner: str | None = None,
        status: ActionStatus | None = None,
        overdue: bool = False,
        metric: str | None = None,
        ritual: str | None = None,
        period: str | None = None,
    ) -> list[ActionItem]:
        """Actions, soonest due first; ``overdue`` keeps open ones due before today."""
        query = select(Action)
        if owner is not None:
            query = query.where(Action.owner == self.check_owner(owner))
        if status is not None or overdue:
            query = query.where(Action.status == ("open" if overdue else status))
        if overdue:
            query = query.where(Action.due < self.today())
        if metric is not None:
            query = query.where(Action.metric_id == self.check_metric(metric))
        if ritual is not None:
            find_ritual(self.specs, ritual)
            query = query.where(Action.ritual_id == ritual)
            if period is not None:
                query = query.where(Action.period == self.instance(ritual, period)[1])
        with self.log.session() as s:
            rows = s.scalars(query.order_by(Action.due.is_(None), Action.due, Action.id))
            return [_action(r) for r in rows]

    def complete(self, action_id: int) -> Recorded[ActionItem]:
        """Mark an action done (now); an action already done keeps its first done time."""
        with self.log.session() as s:
            row = _get(s, Action, action_id, "action")
            if row.status == "done":
                when = f"{row.done_at:%Y-%m-%d %H:%M}" if row.done_at else "before"
                return Recorded(_action(row), (f"action #{action_id} was already done ({when})",))
            row.status, row.done_at = "done", self.now()
            return Recorded(_action(row))

    def assign(self, action_id: int, owner: str) -> Recorded[ActionItem]:
        """Give an action to another owner (one person of team.yaml)."""
        self.check_owner(owner)
        with self.log.session() as s:
            row = _get(s, Action, action_id, "action")
            warnings = (f"action #{action_id} was already {owner}'s",) if row.owner == owner else ()
            row.owner = owner
            return Recorded(_action(row), warnings)

    def reopen(self, action_id: int, *, due: date | str | None = None) -> Recorded[ActionItem]:
        """Open a done action again, optionally with a new due date."""
        due_day = parse_day(due, "due date")
        warnings = []
        if due_day is not None and due_day < self.today():
            warnings.append(f"due date {due_day} is in the past (today is {self.today()})")
        with self.log.session() as s:
            row = _get(s, Action, action_id, "action")
            if row.status == "open":
                warnings.append(f"action #{action_id} was already open")
            row.status, row.done_at = "open", None
            if due_day is not None:
                row.due = due_day
            return Recorded(_action(row), tuple(warnings))

    # -- decisions -------------------------------------------------------------------------

    def add_decision(
        self,
        title: str,
        *,
        owner: str,
        metric: str | None = None,
        ritual: str | None = None,
        period: str | None = None,
        rationale: str | None = None,
        metric_period: str | None = None,
    ) -> Recorded[DecisionItem]:
        """Record a decision and the value of its metric now.

        The value is read for ``metric_period``; by default the last complete period the
        meeting looks back on: the one before the ritual instance's period (the week before a
        Monday review's week), or the last full week when no ritual is named.
        """
        title = _title(title, "decision")
        self.check_owner(owner)
        metric = self.check_metric(metric)
        ritual, period = self.instance(ritual, period)
        if metric_period is not None:
            metric_period = parse_period(
                metric_period, fiscal_year_start_month=self.specs.workspace.fiscal_year_start_month
            ).label
        warnings: list[str] = []
        value = None
        if metric is not None:
            metric_period = metric_period or self._looked_back_on(ritual, period)
            value, why = self._measure(metric, metric_period)
            if value is None:
                warnings.append(
                    f"{metric} has no value for {metric_period} ({why}): "
                    "the decision is recorded without one"
                )
        with self.log.session() as s:
            row = Decision(
                title=title,
                owner=owner,
                made_at=self.now(),
                status="made",
                rationale=rationale,
                metric_id=metric,
                ritual_id=ritual,
                period=period,
                metric_period=metric_period if metric else None,
                metric_value=value,
                review_id=_review_id(s, ritual, period),
            )
            s.add(row)
            s.flush()
            return Recorded(_decision(row), tuple(warnings))

    def list_decisions(
        self,
        *,
        metric: str | None = None,
        owner: str | None = None,
        ritual: str | None = None,
        period: str | None = None,
        since: date | str | None = None,
    ) -> list[DecisionItem]:
        """Decisions in the order they were made."""
        query = select(Decision)
        if metric is not None:
            query = query.where(Decision.metric_id == self.check_metric(metric))
        if owner is not None:
            query = query.where(Decision.owner == self.check_owner(owner))
        if ritual is not None:
            find_ritual(self.specs, ritual)
            query = query.where(Decision.ritual_id == ritual)
            if period is not None:
                query = query.where(Decision.period == self.instance(ritual, period)[1])
        start = parse_day(since, "since")
        if start is not None:
            query = query.where(Decision.made_at >= datetime.combine(start, datetime.min.time()))
        with self.log.session() as s:
            rows = s.scalars(query.order_by(Decision.made_at, Decision.id))
            return [_decision(r) for r in rows]

    # -- reviews ---------------------------------------------------------------------------

    def record_review(
        self,
        ritual: str,
        period: str | None = None,
        *,
        held_at: datetime | str | None = None,
        attendees: Sequence[str] | None = None,
        notes: str | None = None,
        summary: str | None = None,
    ) -> Recorded[ReviewItem]:
        """Record that a ritual instance was held; recording it again updates the record.

        ``held_at`` defaults to the scheduled start, ``attendees`` to the ritual's owner and
        attendees in cadence.yaml. Actions and decisions already logged for the instance are
        linked to the review.
        """
        spec = find_ritual(self.specs, ritual)
        occurrence = (
            ritual_instance(self.specs, ritual, period)
            if period is not None
            else current_instance(self.specs, ritual, self.today())
        )
        when = self._held_at(held_at) if held_at is not None else None
        people = None
        if attendees is not None:
            people = [self.check_owner(a, "attendee") for a in _unique(attendees)]
        warnings = []
        with self.log.session() as s:
            row = s.scalars(
                select(Review)
                .where(Review.ritual_id == ritual, Review.period == occurrence.period)
                .order_by(Review.id)
            ).first()
            if row is None:
                row = Review(
                    ritual_id=ritual,
                    kind=spec.kind,
                    period=occurrence.period,
                    created_at=self.now(),
                    held_at=when or occurrence.start.replace(tzinfo=None),
                    attendees=people or list(_unique([spec.owner, *spec.attendees])),
                )
                s.add(row)
            else:
                warnings.append(f"{occurrence.key} was already recorded: updated it")
                row.held_at = when or row.held_at
                row.attendees = people if people is not None else row.attendees
            row.notes = notes if notes is not None else row.notes
            row.summary = summary if summary is not None else row.summary
            s.flush()
            for model in (Action, Decision):
                s.execute(
                    update(model)
                    .where(
                        model.ritual_id == ritual,
                        model.period == occurrence.period,
                        model.review_id.is_(None),
                    )
                    .values(review_id=row.id)
                )
            return Recorded(_review(row), tuple(warnings))

    def reviews(self, *, ritual: str | None = None) -> list[ReviewItem]:
        query = select(Review).order_by(Review.held_at, Review.id)
        if ritual is not None:
            query = query.where(Review.ritual_id == find_ritual(self.specs, ritual).id)
        with self.log.session() as s:
            return [_review(r) for r in s.scalars(query)]

    # -- follow-through --------------------------------------------------------------------

    def follow_through(self, since: date, until: date) -> FollowThrough:
        """What became of the actions over ``since <= day < until``, as the log stood at ``until``.

        done: completed in the window. Of those still open at ``until``: overdue when due
        before ``until``, carried over (to the next meeting) otherwise. Actions created after
        the window or done before it are left out.
        """
        start = datetime.combine(since, datetime.min.time())
        end = datetime.combine(until, datetime.min.time())
        with self.log.session() as s:
            rows = list(
                s.scalars(
                    select(Action)
                    .where(Action.created_at < end)
                    .where((Action.done_at.is_(None)) | (Action.done_at >= start))
                    .order_by(Action.due.is_(None), Action.due, Action.id)
                )
            )
        result = FollowThrough(since, until)
        for row in rows:
            item = _action(row)
            if row.done_at is not None and row.done_at < end:
                result.done.append(item)
            elif row.due is not None and row.due < until:
                result.overdue.append(item)
            else:
                result.carried_over.append(item)
        return result

    # -- helpers ---------------------------------------------------------------------------

    def _looked_back_on(self, ritual: str | None, period: str | None) -> str:
        fy = self.specs.workspace.fiscal_year_start_month
        if ritual is not None and period is not None:
            return parse_period(period, fiscal_year_start_month=fy).previous().label
        return current_period("week", self.today(), fiscal_year_start_month=fy).previous().label

    def _measure(self, metric: str, period: str) -> tuple[float | None, str | None]:
        if self._read_metric is None:
            return None, "no metrics engine was given to the log"
        return self._read_metric(metric, period)

    def _held_at(self, value: datetime | str) -> datetime:
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value.strip())
            except ValueError:
                raise CadenceError(
                    f"held at {value!r} is not a date and time",
                    hint="write it as YYYY-MM-DD HH:MM, e.g. 2026-11-23 09:30",
                ) from None
        if value.tzinfo is not None:
            value = value.astimezone(self._zone).replace(tzinfo=None)
        return value


def _title(title: str, what: str) -> str:
    text = " ".join(title.split())
    if not text:
        raise CadenceError(f"the {what} has no title", hint=f"say what the {what} is, in a line")
    if len(text) > 300:
        raise CadenceError(
            f"the {what}'s title is {len(text)} characters long (300 at most)",
            hint="keep the title to a line; put the detail in the rationale or the review notes",
        )
    return text


def _unique(ids: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(ids))


def _get(session: Session, model: type[Action], row_id: int, what: str) -> Action:
    row = session.get(model, row_id)
    if row is None:
        raise CadenceError(
            f"no {what} #{row_id} in the operating log",
            hint=f"`demandos {what} list` shows the {what}s and their ids",
        )
    return row


def _review_id(session: Session, ritual: str | None, period: str | None) -> int | None:
    if ritual is None or period is None:
        return None
    return session.scalar(
        select(Review.id).where(Review.ritual_id == ritual, Review.period == period).limit(1)
    )


_Item = TypeVar("_Item", bound="DataclassInstance")


def _item(kind: type[_Item], row: object, **given: object) -> _Item:
    """A ``kind`` dataclass from the operating-log row with the same field names."""
    names = [f.name for f in fields(kind) if f.name not in given]
    return kind(**{n: getattr(row, n) for n in names}, **given)


def _action(row: Action) -> ActionItem:
    return _item(ActionItem, row)


def _decision(row: Decision) -> DecisionItem:
    return _item(DecisionItem, row)


def _review(row: Review) -> ReviewItem:
    return _item(ReviewItem, row, attendees=tuple(row.attendees or ()))
