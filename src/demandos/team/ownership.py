"""Who owns what: every metric, workflow (and step), program, ritual, tool and asset, by person.

    report = ownership(ws)                 # or ownership_of(specs, assets=…) without a store
    report.person("jonas").items           # what Jonas owns, each with where it is written
    report.idle                            # people of team.yaml who own nothing
    report.unknown                         # owners named in the specs who are not in team.yaml

Specs name owners in metrics.yaml, channels.yaml (programs), cadence.yaml (rituals),
workflows/*.yaml (workflows and steps) and stack.yaml (tools); the assets table names
an owner per asset (a person id, or the name or email team.yaml gives them, as a CMS exports
it). ``demandos check`` refuses a spec owner that is missing, shared or unknown
(``spec/checks.py``); this report shows the same ownership from each person's side, including
assets, whose owners come from data rather than from a spec.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any

from demandos.spec.specs import Specs

if TYPE_CHECKING:
    from demandos.store.facts import FactStore
    from demandos.workspace import Workspace

KINDS: tuple[str, ...] = (
    "metric", "workflow", "step", "program", "ritual", "tool", "production", "experiment", "asset",
)  # fmt: skip
"""What a person can own, in the order the report lists them."""
KIND_PLURAL = {"metric": "metrics", "workflow": "workflows", "step": "workflow steps",
               "program": "programs", "ritual": "rituals", "tool": "tools",
               "production": "production targets", "experiment": "experiments",
               "asset": "assets"}  # fmt: skip


@dataclass(frozen=True)
class OwnerRef:
    """A place that names an owner: a spec field, or an asset of the assets table."""

    kind: str  # one of KINDS
    id: str  # "cpl", "lead_to_opportunity.route", "as_audit"
    name: str
    owner: str
    file: str  # "metrics.yaml", "workflows/x.yaml" or "assets table"
    path: tuple[str | int, ...] = ()

    @property
    def what(self) -> str:
        """``metric cpl``."""
        return f"{self.kind} {self.id}"


def owner_refs(specs: Specs) -> list[OwnerRef]:
    """Every owner the specs name: metrics, programs, rituals, workflows and their steps (a step
    without an owner is the workflow owner's, and not listed), tools, assets.yaml's production
    targets and experiments. Leading an agenda item or
    attending a ritual is taking part, not owning."""
    refs = [OwnerRef("metric", m.id, m.name, m.owner, "metrics.yaml", ("metrics", i, "owner"))
            for i, m in enumerate(specs.metrics.metrics)]  # fmt: skip
    refs += [OwnerRef("program", p.id, p.name, p.owner, "channels.yaml", ("programs", i, "owner"))
             for i, p in enumerate(specs.channels.programs)]  # fmt: skip
    refs += [OwnerRef("ritual", r.id, r.name, r.owner, "cadence.yaml", ("rituals", i, "owner"))
             for i, r in enumerate(specs.cadence.rituals)]  # fmt: skip
    for source in specs.workflow_sources:
        w = source.spec
        refs.append(OwnerRef("workflow", w.id, w.name, w.owner, source.file, ("owner",)))
        refs += [OwnerRef("step", f"{w.id}.{s.id}", s.name, s.owner, source.file,
                          ("steps", j, "owner"))
                 for j, s in enumerate(w.steps) if s.owner is not None]  # fmt: skip
    refs += [OwnerRef("tool", t.id, t.name, t.owner, "stack.yaml", ("tools", i, "owner"))
             for i, t in enumerate(specs.stack.tools)]  # fmt: skip
    refs += [OwnerRef("production", t.type, f"{t.per_month:g} {t.type} a month", t.owner,
                      "assets.yaml", ("production", i, "owner"))
             for i, t in enumerate(specs.assets.production)]  # fmt: skip
    refs += [OwnerRef("experiment", e.spec.id, e.spec.hypothesis, e.spec.owner, e.file,
                      ("owner",))
             for e in specs.experiment_sources]  # fmt: skip
    return refs


def asset_refs(facts: FactStore) -> list[OwnerRef]:
    """The assets table's owners (assets with no owner are left out)."""
    t = facts.table("assets")
    t = t.filter(t.owner.notnull() & (t.owner.strip() != ""))
    rows = t.select("asset_id", "title", "owner").order_by("asset_id").to_pyarrow().to_pylist()
    return [
        OwnerRef("asset", r["asset_id"], r["title"], r["owner"].strip(), "assets table")
        for r in rows
    ]


@dataclass(frozen=True)
class Owned:
    """One thing a person owns, and where it is written."""

    kind: str
    id: str
    name: str
    where: str  # "metrics.yaml:37" or "assets table"


@dataclass(frozen=True)
class PersonOwnership:
    """What one person (or one owner named who is not in team.yaml) owns."""

    person: str
    name: str | None  # None for an owner not in team.yaml
    role: str | None
    items: tuple[Owned, ...]

    @property
    def in_team(self) -> bool:
        return self.name is not None

    def counts(self) -> dict[str, int]:
        """How many of each kind, in ``KINDS`` order, kinds with none left out."""
        found = {k: sum(1 for i in self.items if i.kind == k) for k in KINDS}
        return {k: n for k, n in found.items() if n}

    def of(self, kind: str) -> list[Owned]:
        return [i for i in self.items if i.kind == kind]


@dataclass(frozen=True)
class OwnershipReport:
    """Ownership from each person's side."""

    workspace: str
    people: tuple[PersonOwnership, ...]  # team.yaml's people in order, then unknown owners
    assets_read: bool  # False when the assets table's owners were not read

    def person(self, person_id: str) -> PersonOwnership:
        for p in self.people:
            if p.person == person_id:
                return p
        raise KeyError(person_id)

    @property
    def idle(self) -> list[str]:
        """People of team.yaml who own nothing."""
        return [p.person for p in self.people if p.in_team and not p.items]

    @property
    def unknown(self) -> list[PersonOwnership]:
        """Owners named somewhere who are not people of team.yaml."""
        return [p for p in self.people if not p.in_team]

    def only(self, person_id: str) -> OwnershipReport:
        """The report for one person (an unknown id raises ``KeyError``)."""
        return OwnershipReport(self.workspace, (self.person(person_id),), self.assets_read)

    def as_dict(self) -> dict[str, Any]:
        return {
            "workspace": self.workspace,
            "people": [
                {**asdict(p), "in_team": p.in_team, "counts": p.counts()} for p in self.people
            ],
            "idle": self.idle,
            "unknown": [p.person for p in self.unknown],
            "assets_read": self.assets_read,
        }

    def to_markdown(self) -> str:
        """The report as Markdown: a summary table, then each person's items by kind."""
        lines = [f"# Ownership · {self.workspace}", ""]
        lines += ["| person | role | " + " | ".join(KIND_PLURAL[k] for k in KINDS) + " |",
                  "|---|---|" + "---:|" * len(KINDS)]  # fmt: skip
        for p in self.people:
            counts = p.counts()
            label = p.person if p.in_team else f"{p.person} (not in team.yaml)"
            lines.append(
                f"| {label} | {p.role or '—'} | "
                + " | ".join(str(counts.get(k, 0)) for k in KINDS)
                + " |"
            )
        for p in self.people:
            title = f"{p.name} ({p.person})" if p.name else f"{p.person} — not in team.yaml"
            lines += ["", f"## {title}", ""]
            if not p.items:
                lines.append("Owns nothing: give them a metric, program, workflow or tool, or "
                             "remove them from team.yaml.")  # fmt: skip
            for kind in KINDS:
                for item in p.of(kind):
                    lines.append(f"- {kind} `{item.id}` — {item.name} ({item.where})")
        if not self.assets_read:
            lines += ["", "_Asset owners were not read (the assets table was not given)._"]
        return "\n".join(lines) + "\n"


def ownership_of(
    specs: Specs, assets: Iterable[OwnerRef] | None = None, *, workspace: str | None = None
) -> OwnershipReport:
    """The ownership report of ``specs`` and the asset owners given (None: not read)."""
    by_owner: dict[str, list[Owned]] = {}
    aliases = {p.id: p.id for p in specs.team.people}
    for p in specs.team.people:  # a CMS names an asset's owner by name or email
        aliases.update({p.name.casefold(): p.id, **({p.email.casefold(): p.id} if p.email else {})})
    refs = [*owner_refs(specs)]
    refs += [replace(r, owner=aliases.get(r.owner.casefold(), r.owner)) for r in assets or ()]
    for ref in refs:
        where = ref.file
        if ref.path:
            location = specs.locate(ref.file, ref.path)
            where = f"{location.file}:{location.line}" if location.line else location.file
        by_owner.setdefault(ref.owner, []).append(Owned(ref.kind, ref.id, ref.name, where))
    people = [
        PersonOwnership(p.id, p.name, p.role, tuple(by_owner.pop(p.id, [])))
        for p in specs.team.people
    ]
    people += [
        PersonOwnership(o, None, None, tuple(items)) for o, items in sorted(by_owner.items())
    ]
    return OwnershipReport(
        workspace or specs.workspace.name, tuple(people), assets_read=assets is not None
    )


def ownership(ws: Workspace) -> OwnershipReport:
    """The workspace's ownership report, with the owners of the assets table."""
    return ownership_of(ws.specs, asset_refs(ws.facts), workspace=ws.specs.workspace.name)


__all__ = [
    "KINDS",
    "Owned",
    "OwnerRef",
    "OwnershipReport",
    "PersonOwnership",
    "asset_refs",
    "owner_refs",
    "ownership",
    "ownership_of",
]
