"""Kernel versions and what became of the refinement proposals, kept in the operating log.

    kv = ws.kernel_versions
    kv.publish("Tighten scaling_saas to the US and CA", by="maya")   # kernel.yaml → v4
    kv.versions()                 # [KernelVersionItem(version=1, …), …]
    kv.diff("v3", "v4")           # what changed in segments, personas, pillars, positioning
    kv.accept(proposal, by="maya", note="…")   # applies it when it can, and publishes
    kv.reject(proposal, by="maya", note="…")

Publishing stores the whole kernel.yaml text as the next version (the last in the log plus one)
with its changelog, who and when, and sets ``version:`` in kernel.yaml to it; the file's
comments and layout are kept. The first publish of a workspace records the file as the version
it names. A kernel whose content (everything but ``version``) equals the last version's is not
published again.

Accepting a proposal whose change is mechanical (a segment's priority up or down) edits
kernel.yaml and publishes a version whose changelog names the proposal and its evidence; any
other change is for a person to make: the acceptance is recorded, and they edit kernel.yaml and
run publish. Every decision is kept once per proposal id, so listing proposals again shows it.
"""

from __future__ import annotations

import difflib
import hashlib
import io
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.util import load_yaml_guess_indent
from sqlalchemy import select
from sqlalchemy.orm import Session

from demandos.errors import KernelError, SpecErrors
from demandos.files import write_atomic
from demandos.kernel.comparisons import MEASURES, Comparison
from demandos.kernel.proposals import PRIORITY_DOWN, PRIORITY_UP, Proposal
from demandos.spec.kernel import KernelSpec
from demandos.spec.loader import load_file
from demandos.spec.yamlio import parse_yaml
from demandos.store.oplog import KernelVersion, OperatingLog, ProposalDecision
from demandos.suggest import did_you_mean

if TYPE_CHECKING:
    from demandos.spec import Specs

KERNEL_FILE = "kernel.yaml"
SECTIONS = (
    "positioning", "segments", "personas", "pillars", "proof_points", "competitors", "narrative",
)  # fmt: skip
Decision = Literal["accepted", "rejected"]


@dataclass(frozen=True)
class KernelVersionItem:
    """One published kernel: its number, changelog, author, time and the file as it was."""

    version: int
    recorded_at: datetime
    author: str | None
    changelog: str | None
    sha256: str  # of the parsed content without ``version`` (see ``content_hash``)
    content: str

    def as_dict(self, *, content: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "version": self.version,
            "recorded_at": self.recorded_at.isoformat(),
            "author": self.author,
            "changelog": self.changelog,
            "sha256": self.sha256,
        }
        return {**data, "content": self.content} if content else data


@dataclass(frozen=True)
class Published:
    """A version just published, and warnings about it (the file's version was off, …)."""

    item: KernelVersionItem
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class KernelStatus:
    """Where kernel.yaml stands against the log: ``state`` is one of ``unpublished`` (no
    version yet), ``published`` (the file is the last version), ``changed`` (edited since),
    ``ahead`` / ``behind`` (its ``version`` is past / before the log's last)."""

    state: Literal["unpublished", "published", "changed", "ahead", "behind"]
    file_version: int
    latest: int | None
    message: str


@dataclass(frozen=True)
class FieldChange:
    """One difference between two kernels: an item added or removed, or a field changed."""

    section: str  # positioning, segments, personas, pillars, proof_points, competitors
    item: str | None  # the member id (None for positioning)
    change: Literal["added", "removed", "changed"]
    field: str | None = None  # the changed field, dotted (``rules.countries``)
    before: Any = None
    after: Any = None

    def describe(self) -> str:
        where = f"{self.section}.{self.item}" if self.item else self.section
        if self.change != "changed":
            return f"{self.change} {where}"
        return f"{where}.{self.field}: {_short(self.before)} → {_short(self.after)}"


@dataclass(frozen=True)
class KernelDiff:
    """Two versions compared: the structured changes and a unified diff of the files."""

    old: int
    new: int
    changes: tuple[FieldChange, ...]
    text: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "old": self.old,
            "new": self.new,
            "changes": [
                {
                    "section": c.section,
                    "item": c.item,
                    "change": c.change,
                    "field": c.field,
                    "before": c.before,
                    "after": c.after,
                }
                for c in self.changes
            ],
            "text": self.text,
        }


@dataclass(frozen=True)
class DecisionItem:
    """What became of one proposal."""

    proposal_id: str
    decision: str
    kind: str
    target: str
    change: str
    period: str
    decided_at: datetime
    decided_by: str | None
    note: str | None
    kernel_version: int | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "proposal_id": self.proposal_id,
            "decision": self.decision,
            "kind": self.kind,
            "target": self.target,
            "change": self.change,
            "period": self.period,
            "decided_at": self.decided_at.isoformat(),
            "decided_by": self.decided_by,
            "note": self.note,
            "kernel_version": self.kernel_version,
        }


@dataclass(frozen=True)
class Decided:
    """A decision just recorded; ``published`` is the version an acceptance published (None
    when the change is for a person to make), ``todo`` what is left to do."""

    item: DecisionItem
    published: KernelVersionItem | None = None
    todo: str | None = None
    warnings: tuple[str, ...] = field(default_factory=tuple)


def content_hash(kernel: KernelSpec) -> str:
    """SHA-256 of the validated kernel without its ``version``: comments, layout and the
    version number do not change it."""
    data = kernel.model_dump(mode="json", exclude={"version"})
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def parse_ref(ref: str | int) -> int:
    """``v3``, ``3`` or 3 → 3."""
    text = str(ref).strip().lower().removeprefix("v")
    if not text.isdigit():
        raise KernelError(
            f"{ref!r} is not a kernel version",
            hint="name a version as v3 or 3 (`demandos kernel versions` lists them)",
        )
    return int(text)


class KernelVersions:
    """The kernel's published versions and the decisions on proposals of one workspace."""

    def __init__(
        self,
        root: Path,
        log: OperatingLog,
        specs: Specs,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.path = root / KERNEL_FILE
        self.log = log
        self.specs = specs
        self._zone = ZoneInfo(specs.workspace.timezone)
        self._clock = clock or (lambda: datetime.now(self._zone))

    def now(self) -> datetime:
        """The current wall-clock time in the workspace timezone (naive, as stored)."""
        now = self._clock()
        return now.astimezone(self._zone).replace(tzinfo=None) if now.tzinfo else now

    # -- reading ---------------------------------------------------------------------------

    def versions(self) -> list[KernelVersionItem]:
        with self.log.session() as s:
            return [_version(r) for r in s.scalars(_ordered())]

    def latest(self) -> KernelVersionItem | None:
        with self.log.session() as s:
            row = s.scalars(select(KernelVersion).order_by(*_newest()).limit(1)).first()
            return _version(row) if row is not None else None

    def get(self, ref: str | int) -> KernelVersionItem:
        """A version by ``v3`` or ``3``; ``KernelError`` naming the versions that exist."""
        number = parse_ref(ref)
        items = self.versions()
        found = [v for v in items if v.version == number]
        if found:
            return found[-1]
        known = ", ".join(f"v{v.version}" for v in items)
        raise KernelError(
            f"no kernel version v{number} in the operating log"
            + (f" (it has {known})" if known else " (no version is published yet)"),
            hint="`demandos kernel versions` lists them"
            if known
            else "`demandos kernel publish -m MESSAGE` records kernel.yaml as the first version",
        )

    def status(self) -> KernelStatus:
        """Where kernel.yaml stands against the last published version."""
        text = self._read()
        kernel = self._validate(text)
        return _status(kernel, self.latest())

    def diff(self, a: str | int, b: str | int) -> KernelDiff:
        """What changed from version ``a`` to version ``b``."""
        old, new = self.get(a), self.get(b)
        before = self._validate(old.content, f"{KERNEL_FILE} v{old.version}")
        after = self._validate(new.content, f"{KERNEL_FILE} v{new.version}")
        text = "".join(
            difflib.unified_diff(
                old.content.splitlines(keepends=True),
                new.content.splitlines(keepends=True),
                fromfile=f"{KERNEL_FILE} v{old.version}",
                tofile=f"{KERNEL_FILE} v{new.version}",
            )
        )
        return KernelDiff(old.version, new.version, tuple(compare(before, after)), text)

    # -- publishing ------------------------------------------------------------------------

    def publish(self, message: str, *, by: str | None = None) -> Published:
        """Record kernel.yaml as the next version with ``message`` as its changelog."""
        message = _message(message)
        by = self._check_person(by)
        with self.log.session() as s:
            return self._publish(s, self._read(), message, by)

    def _publish(self, s: Session, text: str, message: str, by: str | None) -> Published:
        kernel = self._validate(text)
        digest = content_hash(kernel)
        last = s.scalars(select(KernelVersion).order_by(*_newest()).limit(1)).first()
        warnings: list[str] = []
        if last is None:
            number = kernel.version
        else:
            if last.sha256 == digest:
                raise KernelError(
                    f"kernel.yaml is unchanged since v{last.version}: nothing to publish",
                    hint="edit kernel.yaml first; `demandos kernel versions` shows what is "
                    "published",
                )
            number = last.version + 1
            if kernel.version not in (last.version, number):
                where = "ahead of" if kernel.version > number else "behind"
                warnings.append(
                    f"kernel.yaml said version {kernel.version}, {where} the operating log's "
                    f"last (v{last.version}): published as v{number}"
                )
        if kernel.version != number or _version_line(text) is None:
            text = edit_yaml(text, lambda data: _set_version(data, number))
        row = KernelVersion(
            version=number,
            recorded_at=self.now(),
            author=by,
            changelog=message,
            sha256=digest,
            content=text,
        )
        s.add(row)
        s.flush()
        write_atomic(self.path, text)  # a failure here rolls the row back
        return Published(_version(row), tuple(warnings))

    # -- proposals -------------------------------------------------------------------------

    def decisions(self) -> dict[str, DecisionItem]:
        """Every proposal decided so far, by its id."""
        with self.log.session() as s:
            rows = s.scalars(select(ProposalDecision).order_by(ProposalDecision.id))
            return {r.proposal_id: _decision(r) for r in rows}

    def accept(
        self, proposal: Proposal, period: str, *, by: str | None = None, note: str | None = None
    ) -> Decided:
        """Record the acceptance; apply the change and publish when it is mechanical."""
        by = self._check_person(by)
        with self.log.session() as s:
            self._undecided(s, proposal)
            text = self._read()
            edit = mechanical_edit(proposal, self._validate(text))
            published, todo, warnings = None, None, []
            if edit is None:
                todo = (
                    f"Make the change in {KERNEL_FILE} ({proposal.change}), then run "
                    f'`demandos kernel publish -m "{proposal.id}: …"`'
                )
            else:
                if s.scalars(select(KernelVersion).limit(1)).first() is None:
                    self._publish(s, text, "The kernel before the first accepted proposal", by)
                    text = self._read()
                else:
                    warnings += self._unpublished(s, text)
                changed = edit_yaml(text, edit)
                done = self._publish(s, changed, changelog(proposal, note), by)
                published = done.item
                warnings += done.warnings
            row = _decision_row(proposal, period, "accepted", self.now(), by, note)
            row.kernel_version = published.version if published else None
            s.add(row)
            s.flush()
            return Decided(_decision(row), published, todo, tuple(warnings))

    def reject(
        self, proposal: Proposal, period: str, *, by: str | None = None, note: str | None = None
    ) -> Decided:
        """Record that the proposal is rejected; kernel.yaml is left as it is."""
        by = self._check_person(by)
        with self.log.session() as s:
            self._undecided(s, proposal)
            row = _decision_row(proposal, period, "rejected", self.now(), by, note)
            s.add(row)
            s.flush()
            return Decided(_decision(row))

    # -- helpers ---------------------------------------------------------------------------

    def _undecided(self, s: Session, proposal: Proposal) -> None:
        row = s.scalars(
            select(ProposalDecision).where(ProposalDecision.proposal_id == proposal.id)
        ).first()
        if row is not None:
            who = f" by {row.decided_by}" if row.decided_by else ""
            raise KernelError(
                f"{proposal.id} was {row.decision}{who} on {row.decided_at:%Y-%m-%d}",
                hint="a proposal is decided once; change kernel.yaml and publish to revise it",
            )

    def _unpublished(self, s: Session, text: str) -> list[str]:
        last = s.scalars(select(KernelVersion).order_by(*_newest()).limit(1)).first()
        if last is not None and last.sha256 != content_hash(self._validate(text)):
            return [
                f"kernel.yaml had changes not published since v{last.version}: they are part "
                "of the new version too"
            ]
        return []

    def _read(self) -> str:
        try:
            return self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise KernelError(
                f"{self.path} is missing", hint="`demandos init` writes a starter kernel.yaml"
            ) from None

    def _validate(self, text: str, file: str = KERNEL_FILE) -> KernelSpec:
        parsed = parse_yaml(text, file)
        if not parsed.ok:
            raise SpecErrors(parsed.findings)
        try:
            return KernelSpec.model_validate(parsed.data)
        except ValidationError:
            if file == KERNEL_FILE:  # the loader's findings name the line and the fix
                _, _, findings = load_file(self.path, file, KernelSpec)
                if findings:
                    raise SpecErrors(findings) from None
            raise

    def _check_person(self, person: str | None) -> str | None:
        if person is None:
            return None
        ids = [p.id for p in self.specs.team.people]
        if person in ids:
            return person
        guess = did_you_mean(person, ids)
        raise KernelError(
            f"unknown person {person!r}: team.yaml has no person with this id",
            hint=(f"{guess} " if guess else "")
            + f"use a person id from team.yaml ({', '.join(ids)})",
        )


def find_proposal(proposals: Sequence[Proposal], proposal_id: str, period: str) -> Proposal:
    """The proposal with ``proposal_id`` among those of ``period``."""
    wanted = proposal_id.strip().upper()
    for p in proposals:
        if p.id.upper() == wanted:
            return p
    known = ", ".join(p.id for p in proposals)
    raise KernelError(
        f"no proposal {proposal_id} for {period}"
        + (f" (its proposals: {known})" if known else " (it has no proposal)"),
        hint="a proposal's id belongs to its window: pass the --period it was listed for "
        "(`demandos kernel proposals --period 2026-Q3`)",
    )


# -- applying a proposal --------------------------------------------------------------------


def mechanical_edit(
    proposal: Proposal, kernel: KernelSpec
) -> Callable[[CommentedMap], None] | None:
    """The edit to kernel.yaml that carries the proposal out, or None when a person must make
    it (a segment already primary, a removal, a persona or pillar, a competitor, a rule)."""
    if proposal.kind not in ("promote_segment", "deprioritize_segment"):
        return None
    index = next((i for i, s in enumerate(kernel.segments) if s.id == proposal.target), None)
    if index is None:
        return None
    steps = PRIORITY_UP if proposal.kind == "promote_segment" else PRIORITY_DOWN
    priority = steps.get(kernel.segments[index].priority)
    if priority is None:
        return None

    def edit(data: CommentedMap) -> None:
        data["segments"][index]["priority"] = priority

    return edit


def changelog(proposal: Proposal, note: str | None) -> str:
    """The changelog of a version that carries out ``proposal``: the change and its evidence."""
    lines = [f"Accepted {proposal.id} ({proposal.kind} {proposal.target}): {proposal.change}."]
    lines.append(f"Evidence ({proposal.window.describe()}, {proposal.confidence} confidence):")
    lines += [f"- {evidence_line(c)}" for c in proposal.evidence]
    lines += [f"- against: {evidence_line(c)}" for c in proposal.counter]
    if note:
        lines.append(f"Note: {note.strip()}")
    return "\n".join(lines)


def evidence_line(c: Comparison) -> str:
    name, unit = MEASURES[c.measure]
    test = (
        f", {c.test_name} z = {c.test.statistic:+.2f}, Holm-adjusted p = {c.adjusted_p:.2g}"
        if c.test is not None and c.adjusted_p is not None
        else ""
    )
    return (
        f"{name} {_value(c.value, unit)} against {_value(c.other, unit)} for {c.against} "
        f"({c.n:,} vs {c.n_other:,}{test})"
    )


def _value(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "percent":
        return f"{value:.1%}"
    if unit == "days":
        return f"{value:,.0f} days"
    return f"{value:,.0f}"


# -- editing kernel.yaml, keeping its comments and layout ------------------------------------


def _writers(text: str) -> Iterator[YAML]:
    """YAML writers in the layouts the file may use: its guessed one first."""
    _, sequence, offset = load_yaml_guess_indent(text)
    tried = []
    for mapping in (2, 4):
        for seq, off in ((sequence or 2, offset or 0), (2, 0), (4, 2)):
            if (mapping, seq, off) in tried:
                continue
            tried.append((mapping, seq, off))
            yaml = YAML(typ="rt")
            yaml.preserve_quotes = True
            yaml.width = 4096
            yaml.indent(mapping=mapping, sequence=seq, offset=off)
            yield yaml


def _dump(yaml: YAML, data: Any) -> str:
    buffer = io.StringIO()
    yaml.dump(data, buffer)
    return buffer.getvalue()


def edit_yaml(text: str, edit: Callable[[CommentedMap], None]) -> str:
    """``text`` with ``edit`` applied to its round-trip tree; comments are kept, and the
    writer is the one that writes the unedited file back most exactly."""
    best: tuple[int, YAML] | None = None
    for yaml in _writers(text):
        same = _dump(yaml, yaml.load(text))
        if same == text:
            best = (0, yaml)
            break
        distance = sum(1 for line in difflib.ndiff(text.splitlines(), same.splitlines())
                       if line[:1] in "+-")  # fmt: skip
        if best is None or distance < best[0]:
            best = (distance, yaml)
    assert best is not None
    yaml = best[1]
    data = yaml.load(text)
    edit(data)
    return _dump(yaml, data)


def _set_version(data: CommentedMap, number: int) -> None:
    if "version" in data:
        data["version"] = number
    else:  # written first, below the file's opening comments
        data.insert(0, "version", number)


def _version_line(text: str) -> str | None:
    return next((line for line in text.splitlines() if line.startswith("version:")), None)


# -- comparing two kernels --------------------------------------------------------------------


def compare(before: KernelSpec, after: KernelSpec) -> list[FieldChange]:
    """Items added and removed, fields changed, section by section (``version`` left out)."""
    old = before.model_dump(mode="json")
    new = after.model_dump(mode="json")
    changes: list[FieldChange] = []
    for section in SECTIONS:
        if section in ("positioning", "narrative"):  # one mapping (the narrative may be absent)
            changes += [
                FieldChange(section, None, "changed", f, b, a)
                for f, b, a in _fields(old.get(section) or {}, new.get(section) or {})
            ]
            continue
        a_items = {item["id"]: item for item in old[section]}
        b_items = {item["id"]: item for item in new[section]}
        for item_id in a_items:
            if item_id not in b_items:
                changes.append(FieldChange(section, item_id, "removed"))
        for item_id, item in b_items.items():
            if item_id not in a_items:
                changes.append(FieldChange(section, item_id, "added"))
                continue
            changes += [
                FieldChange(section, item_id, "changed", f, b, a)
                for f, b, a in _fields(a_items[item_id], item)
            ]
        if [i for i in a_items if i in b_items] != [i for i in b_items if i in a_items]:
            order_b = [i for i in b_items if i in a_items]
            order_a = [i for i in a_items if i in b_items]
            changes.append(FieldChange(section, None, "changed", "order", order_a, order_b))
    return changes


def _fields(a: dict[str, Any], b: dict[str, Any], prefix: str = "") -> list[tuple[str, Any, Any]]:
    out = []
    for key in dict.fromkeys([*a, *b]):
        x, y = a.get(key), b.get(key)
        if x == y:
            continue
        if isinstance(x, dict) and isinstance(y, dict):
            out += _fields(x, y, f"{prefix}{key}.")
        else:
            out.append((f"{prefix}{key}", x, y))
    return out


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    return text if len(text) <= 60 else text[:57] + "…"


# -- rows -------------------------------------------------------------------------------------


def _ordered() -> Any:
    return select(KernelVersion).order_by(KernelVersion.version, KernelVersion.id)


def _newest() -> tuple[Any, ...]:
    return (KernelVersion.version.desc(), KernelVersion.id.desc())


def _status(kernel: KernelSpec, last: KernelVersionItem | None) -> KernelStatus:
    n = kernel.version
    if last is None:
        return KernelStatus(
            "unpublished",
            n,
            None,
            f"no kernel version is published yet: `demandos kernel publish -m MESSAGE` records "
            f"kernel.yaml as v{n}",
        )
    latest = last.version
    if n > latest:
        state: Literal["ahead", "behind"] = "ahead"
    elif n < latest:
        state = "behind"
    elif content_hash(kernel) == last.sha256:
        return KernelStatus("published", n, latest, f"kernel.yaml is v{latest}, as published")
    else:
        return KernelStatus(
            "changed",
            n,
            latest,
            f"kernel.yaml has changes not published since v{latest}: publish them as v{latest + 1}",
        )
    return KernelStatus(
        state,
        n,
        latest,
        f"kernel.yaml says version {n}, {state} of the operating log's last (v{latest}); "
        f"the next publish records it as v{latest + 1}",
    )


def _message(message: str) -> str:
    text = message.strip()
    if not text:
        raise KernelError(
            "a kernel version needs a changelog message", hint="say what changed and why, -m …"
        )
    return text


def _version(row: KernelVersion) -> KernelVersionItem:
    return KernelVersionItem(
        version=row.version,
        recorded_at=row.recorded_at,
        author=row.author,
        changelog=row.changelog,
        sha256=row.sha256,
        content=row.content,
    )


def _decision_row(
    p: Proposal, period: str, decision: Decision, now: datetime, by: str | None, note: str | None
) -> ProposalDecision:
    return ProposalDecision(
        proposal_id=p.id,
        decision=decision,
        kind=p.kind,
        target=p.target,
        change=p.change,
        period=period,
        decided_at=now,
        decided_by=by,
        note=note.strip() if note else None,
    )


def _decision(row: ProposalDecision) -> DecisionItem:
    return DecisionItem(
        proposal_id=row.proposal_id,
        decision=row.decision,
        kind=row.kind,
        target=row.target,
        change=row.change,
        period=row.period,
        decided_at=row.decided_at,
        decided_by=row.decided_by,
        note=row.note,
        kernel_version=row.kernel_version,
    )


def last_quarter(today: date, *, fiscal_year_start_month: int = 1) -> str:
    """The last full quarter before ``today``: the period proposals are read for by default."""
    from demandos.metrics.periods import current_period

    quarter = current_period("quarter", today, fiscal_year_start_month=fiscal_year_start_month)
    return quarter.previous().label
