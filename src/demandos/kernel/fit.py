"""ICP fit: the segment of each account and the persona of each person, from ``kernel.yaml``.

Everything here builds Ibis expressions (no SQL, no Python loops over rows), so the same code
classifies accounts on DuckDB, PostgreSQL and Spark.

Segments
    An account is in the **first** segment of ``kernel.yaml`` whose fit rules it meets, in the
    order the segments are written; an account that meets none is in ``NO_SEGMENT``. Each rule a
    segment sets must hold (an empty rule constrains nothing, so a segment without rules takes
    every account that reaches it):

    - ``industries``: the account's industry equals one of them, ignoring case and surrounding
      spaces;
    - ``employees``, ``annual_revenue``: ``min <= value <= max``, both ends inclusive, either
      end may be open;
    - ``countries``: the account's country is one of the ISO codes, ignoring case;
    - ``technologies``: at least one of the account's technologies matches one of the patterns;
    - ``fields``: per named accounts column, its value matches one of the patterns (text) or
      lies in the range (numbers; dates, where a timestamp is compared by its day).

    Patterns match the whole value, ignoring case and surrounding spaces; ``*`` matches any run
    of characters, including none. A field the account lacks (null) meets no rule on it: an
    account without an employee count is in no segment that sets an employee range.

Personas
    A person is the **first** persona (in kernel order) whose rules the person meets: a title
    pattern matches the job title (when the persona sets titles) and a department pattern
    matches the department (when it sets departments). A person who meets no persona's rules,
    e.g. one without a title where titles are set, is ``NO_PERSONA``.

:func:`fit_checks` names each rule's check; :func:`fit_report` builds a fit score on them ("how
well, and why": :class:`AccountFit`).
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import ibis
import ibis.expr.types as ir

from demandos.spec.fields import Range
from demandos.spec.kernel import FieldRange, FitRules, KernelSpec, Persona, Segment

NO_SEGMENT = "(no segment)"
"""The segment of an account that fits none of kernel.yaml's segments."""
NO_PERSONA = "(no persona)"
"""The persona of a person whose title matches none of kernel.yaml's personas (or who has none)."""


def _trim(text: ir.StringValue) -> ir.StringValue:
    """``text`` without leading and trailing spaces. Not Ibis's ``strip()``: on Spark it trims a
    set of characters written as ``'\\v'``, which Spark reads as the letter v."""
    return text.re_replace("^ +| +$", "")


def _in_range(value: ir.Value, bounds: Range | FieldRange) -> ir.BooleanValue:
    if isinstance(value, ir.TimestampValue):
        value = value.date()  # a date range holds whole days
    checks = []
    if bounds.min is not None:
        checks.append(value >= bounds.min)
    if bounds.max is not None:
        checks.append(value <= bounds.max)
    return ibis.and_(value.notnull(), *checks)


def fit_checks(accounts: ir.Table, rules: FitRules) -> dict[str, ir.BooleanValue]:
    """One check per rule the segment sets (industries, employees, annual_revenue, countries,
    technologies, then each of ``fields`` by its column name).

    Each check is true or false for every account, never null.
    """
    checks: dict[str, ir.BooleanValue] = {}
    if rules.industries:
        wanted = sorted({i.strip().lower() for i in rules.industries})
        checks["industries"] = _trim(accounts.industry).lower().isin(wanted)
    if rules.employees is not None:
        checks["employees"] = _in_range(accounts.employees, rules.employees)
    if rules.annual_revenue is not None:
        checks["annual_revenue"] = _in_range(accounts.annual_revenue, rules.annual_revenue)
    if rules.countries:
        codes = sorted({c.upper() for c in rules.countries})
        checks["countries"] = _trim(accounts.country).upper().isin(codes)
    if rules.technologies:
        checks["technologies"] = _list_matches_any(accounts.technologies, rules.technologies)
    for column, rule in rules.fields.items():
        value = accounts[column]
        if isinstance(rule, FieldRange):
            checks[column] = _in_range(value, rule)
        else:
            checks[column] = matches_any(value.cast("string"), rule)
    return {name: check.fill_null(False) for name, check in checks.items()}


def fits(accounts: ir.Table, rules: FitRules) -> ir.BooleanValue:
    """Whether each account meets every rule of ``rules`` (true when there are none)."""
    return ibis.and_(ibis.literal(True), *fit_checks(accounts, rules).values())


def segment_of(accounts: ir.Table, segments: Sequence[Segment]) -> ir.StringValue:
    """The id of the first segment each account fits, else ``NO_SEGMENT``."""
    if not segments:
        return ibis.literal(NO_SEGMENT)
    return ibis.cases(*((fits(accounts, s.rules), s.id) for s in segments), else_=NO_SEGMENT)


def _regex(pattern: str, anything: str = ".*") -> str:
    """An anchored regular expression for a title pattern, portable across DuckDB (RE2),
    PostgreSQL and Spark (Java): ASCII punctuation is escaped with a backslash, ``*`` is
    ``anything``."""
    return "^" + _regex_body(pattern, anything) + "$"


def _regex_body(pattern: str, anything: str) -> str:
    parts = []
    for char in pattern.strip().lower():
        if char == "*":
            parts.append(anything)
        elif char in string.punctuation:
            parts.append("\\" + char)
        else:
            parts.append(char)
    return "".join(parts)


SEPARATOR = "\x1f"  # joins a list's items into one text: no value holds the unit separator


def _list_matches_any(items: ir.ArrayValue, patterns: Sequence[str]) -> ir.BooleanValue:
    """Whether an item of ``items`` matches one of ``patterns`` (see the module doc), false for
    a null or empty list. The items are joined into one text and searched with one regular
    expression, so every backend runs it without lambdas over arrays."""
    edge = f"(^|{SEPARATOR}) *"
    end = f" *({SEPARATOR}|$)"
    bodies = "|".join(_regex_body(p, f"[^{SEPARATOR}]*") for p in patterns)
    joined = items.join(SEPARATOR).lower()
    return ((items.length() > 0) & joined.re_search(f"{edge}({bodies}){end}")).fill_null(False)


def title_matches(title: ir.StringValue, pattern: str) -> ir.BooleanValue:
    """Whether ``title`` (any text) matches a pattern (see the module doc); false for null."""
    text = pattern.strip().lower()
    clean = _trim(title).lower()
    if text.strip("*") == "":
        return title.notnull()  # "*" matches any title
    if "*" not in text:
        return (clean == text).fill_null(False)
    return clean.re_search(_regex(text)).fill_null(False)


def matches_any(text: ir.StringValue, patterns: Sequence[str]) -> ir.BooleanValue:
    """Whether ``text`` matches one of ``patterns`` (false for null text)."""
    return ibis.or_(*(title_matches(text, p) for p in patterns))


def _persona_rules(
    persona: Persona, title: ir.StringValue, department: ir.StringValue | None
) -> ir.BooleanValue:
    checks = []
    if persona.titles:
        checks.append(matches_any(title, persona.titles))
    if persona.departments:
        if department is None:
            return ibis.literal(False)
        checks.append(matches_any(department, persona.departments))
    return ibis.and_(*checks)


def persona_of(
    title: ir.StringValue,
    personas: Sequence[Persona],
    department: ir.StringValue | None = None,
) -> ir.StringValue:
    """The id of the first persona whose rules ``title`` and ``department`` meet, else
    ``NO_PERSONA`` (without ``department``, no persona that sets departments matches)."""
    cases = [(_persona_rules(persona, title, department), persona.id) for persona in personas]
    if not cases:
        return ibis.literal(NO_PERSONA)
    return ibis.cases(*cases, else_=NO_PERSONA)


def account_segments(accounts: ir.Table, kernel: KernelSpec) -> ir.Table:
    """``account_id, segment`` for every account of ``accounts`` (a canonical accounts table)."""
    return accounts.select(
        account_id=accounts.account_id, segment=segment_of(accounts, kernel.segments)
    )


def person_personas(people: ir.Table, kernel: KernelSpec) -> ir.Table:
    """``person_id, persona`` for every person of ``people`` (a canonical people table)."""
    return people.select(
        person_id=people.person_id,
        persona=persona_of(people.title, kernel.personas, people.department),
    )


# -- the fit report: how well each account fits, and why --------------------------------------


@dataclass(frozen=True)
class AccountFit:
    """How an account fits the ICP.

    ``segment`` is the account's segment (:func:`segment_of`). ``closest`` is the segment the
    score is measured against: the account's own segment, else the segment whose rules it meets
    the largest share of (the first in kernel order on a tie). ``score`` is that share of the
    closest segment's rules the account meets, from 0 to 1 (1 for an account in a segment; 1 for
    a segment without rules; None when kernel.yaml has no segment). ``matched`` and ``failed``
    name the closest segment's rules the account meets and misses (the reasons).
    """

    account_id: str
    name: str | None
    segment: str
    closest: str | None
    score: float | None
    matched: tuple[str, ...]
    failed: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "matched": list(self.matched), "failed": list(self.failed)}


@dataclass(frozen=True)
class PersonFit:
    """A person's persona (:func:`persona_of`)."""

    person_id: str
    account_id: str | None
    title: str | None
    persona: str
    department: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class FitReport:
    accounts: tuple[AccountFit, ...]
    people: tuple[PersonFit, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "accounts": [a.as_dict() for a in self.accounts],
            "people": [p.as_dict() for p in self.people],
        }


def _account_fit(row: dict[str, Any], segments: Sequence[Segment]) -> AccountFit:
    best: tuple[Segment, float, list[str], list[str]] | None = None
    for i, s in enumerate(segments):
        names = [n for n in row if n.startswith(f"_f{i}_")]
        matched = [n.split("_", 2)[2] for n in names if row[n]]
        failed = [n.split("_", 2)[2] for n in names if not row[n]]
        score = len(matched) / len(names) if names else 1.0
        if s.id == row["_segment"]:
            best = (s, score, matched, failed)
            break
        if best is None or score > best[1]:
            best = (s, score, matched, failed)
    return AccountFit(
        account_id=str(row["account_id"]),
        name=row["name"],
        segment=str(row["_segment"]),
        closest=best[0].id if best else None,
        score=best[1] if best else None,
        matched=tuple(best[2]) if best else (),
        failed=tuple(best[3]) if best else (),
    )


def fit_report(
    accounts: ir.Table, people: ir.Table, kernel: KernelSpec, account_id: str | None = None
) -> FitReport:
    """Every account's segment, fit score and reasons, and every person's persona (of one
    account and its people when ``account_id`` is given), ordered by id."""
    if account_id is not None:
        accounts = accounts.filter(accounts.account_id == account_id)
        people = people.filter(people.account_id == account_id)
    checks = {
        f"_f{i}_{name}": check
        for i, s in enumerate(kernel.segments)
        for name, check in fit_checks(accounts, s.rules).items()
    }
    rows = (
        accounts.select(
            "account_id", "name", _segment=segment_of(accounts, kernel.segments), **checks
        )
        .order_by("account_id")
        .to_pyarrow()
        .to_pylist()
    )
    persons = (
        people.select(
            "person_id",
            "account_id",
            "title",
            "department",
            persona=persona_of(people.title, kernel.personas, people.department),
        )
        .order_by("person_id")
        .to_pyarrow()
        .to_pylist()
    )
    return FitReport(
        tuple(_account_fit(r, kernel.segments) for r in rows),
        tuple(
            PersonFit(
                str(p["person_id"]), p["account_id"], p["title"], p["persona"], p["department"]
            )
            for p in persons
        ),
    )
