"""Load a workspace folder into ``Specs``, collecting every finding across all files."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from demandos.errors import Finding, Location, SpecErrors, WorkspaceError
from demandos.spec.diagnostics import Explainer
from demandos.spec.experiments import ExperimentSpec
from demandos.spec.specs import (
    EXPERIMENTS_DIR,
    SPEC_FILES,
    WORKFLOWS_DIR,
    ExperimentSource,
    Specs,
    WorkflowSource,
)
from demandos.spec.team import TeamSpec
from demandos.spec.workflows import WorkflowSpec
from demandos.spec.yamlio import FilePositions, read_yaml
from demandos.suggest import closest

M = TypeVar("M", bound=BaseModel)

INIT_HINT = "`demandos init <new folder>` writes a commented example of every file to start from"


def load_file(
    path: Path, file: str, model: type[M], *, people: Sequence[str] = ()
) -> tuple[M | None, FilePositions, list[Finding]]:
    """Read one spec file and validate it against ``model``."""
    parsed = read_yaml(path, file)
    if not parsed.ok:
        return None, parsed.positions, parsed.findings
    try:
        return model.model_validate(parsed.data), parsed.positions, []
    except ValidationError as error:
        findings = Explainer(model, parsed, people).findings(error)
        return None, parsed.positions, findings


def _missing(root: Path, name: str) -> Finding:
    stem = name.removesuffix(".yaml")
    if (root / f"{stem}.yml").exists():
        message, hint = f"{name} is missing", f"rename {stem}.yml to {name}"
    else:
        message, hint = f"{name} is missing", f"create {name}; {INIT_HINT}"
    return Finding("error", Location(name), "", message, hint, rule="files")


def _stray_files(root: Path) -> list[Finding]:
    """Warn about YAML files demandos does not read, e.g. ``metric.yaml``."""
    findings = []
    known = list(SPEC_FILES)
    for path in sorted([*root.glob("*.yaml"), *root.glob("*.yml")]):
        if path.name in known:
            continue
        guess = closest(path.name, known)
        hint = (
            f"did you mean {guess!r}? rename the file"
            if guess
            else (f"demandos reads {', '.join(known)} and {WORKFLOWS_DIR}/*.yaml")
        )
        findings.append(
            Finding(
                "warning",
                Location(path.name),
                "",
                "file is not read by demandos",
                hint,
                rule="files",
            )
        )
    return findings


def _load_folder(
    root: Path, folder_name: str, model: type[M], people: Sequence[str]
) -> tuple[list[tuple[str, M]], dict[str, FilePositions], list[Finding]]:
    """Every ``<folder_name>/<id>.yaml`` of the workspace, validated against ``model``."""
    sources: list[tuple[str, M]] = []
    positions: dict[str, FilePositions] = {}
    findings: list[Finding] = []
    folder = root / folder_name
    if not folder.is_dir():
        return sources, positions, findings
    for path in sorted(folder.iterdir()):
        file = f"{folder_name}/{path.name}"
        if path.suffix == ".yml":
            findings.append(
                Finding(
                    "warning",
                    Location(file),
                    "",
                    "file is not read by demandos",
                    f"rename it to {path.stem}.yaml",
                    rule="files",
                )
            )
        if path.suffix != ".yaml" or not path.is_file():
            continue
        spec, pos, found = load_file(path, file, model, people=people)
        positions[file] = pos
        findings += found
        if spec is not None:
            sources.append((file, spec))
    return sources, positions, findings


def _load_workflows(
    root: Path, people: Sequence[str]
) -> tuple[list[WorkflowSource], dict[str, FilePositions], list[Finding]]:
    found, positions, findings = _load_folder(root, WORKFLOWS_DIR, WorkflowSpec, people)
    return [WorkflowSource(file, spec) for file, spec in found], positions, findings


def load_specs(root: Path) -> tuple[Specs | None, list[Finding]]:
    """Load and validate every spec file of the workspace at ``root``.

    Returns the specs (None if any file failed to load or validate) and every finding across
    all files. Cross-file rules are not run here: see ``check_workspace``. Raises
    ``WorkspaceError`` when ``root`` is not a folder.
    """
    root = Path(root)
    if not root.is_dir():
        raise WorkspaceError(
            f"no workspace folder at {root}",
            hint=f"check the path, or create one: {INIT_HINT}",
        )
    findings: list[Finding] = []
    models: dict[str, Any] = {}
    positions: dict[str, FilePositions] = {}
    people: list[str] = []
    for spec in SPEC_FILES.values():
        path = root / spec.name
        if not path.is_file():
            if spec.required:
                findings.append(_missing(root, spec.name))
            else:
                models[spec.attr] = spec.model()
            continue
        model, pos, found = load_file(path, spec.name, spec.model, people=people)
        positions[spec.name] = pos
        findings += found
        if model is not None:
            models[spec.attr] = model
            if isinstance(model, TeamSpec):
                people = [p.id for p in model.people]
    sources, wf_positions, found = _load_workflows(root, people)
    positions.update(wf_positions)
    experiments, ex_positions, ex_found = _load_folder(
        root, EXPERIMENTS_DIR, ExperimentSpec, people
    )
    positions.update(ex_positions)
    findings += found + ex_found + _stray_files(root)
    if any(f.severity == "error" for f in findings):
        return None, findings
    workflows: dict[str, WorkflowSpec] = {}
    for source in sources:
        workflows.setdefault(source.spec.id, source.spec)
    specs = Specs(
        root=root,
        workflows=workflows,
        workflow_sources=tuple(sources),
        experiment_sources=tuple(ExperimentSource(f, e) for f, e in experiments),
        positions=positions,
        **models,
    )
    return specs, findings


def load_specs_or_raise(root: Path) -> Specs:
    """Load the workspace, raising ``SpecErrors`` with every finding if any is an error."""
    specs, findings = load_specs(root)
    if specs is None:
        raise SpecErrors(findings)
    return specs
