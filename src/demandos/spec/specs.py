"""The loaded workspace: every spec model, and where each of their fields is written."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel

from demandos.errors import Location
from demandos.spec.assets import AssetsSpec
from demandos.spec.cadence import CadenceSpec
from demandos.spec.channels import ChannelsSpec
from demandos.spec.experiments import ExperimentSpec
from demandos.spec.kernel import KernelSpec
from demandos.spec.metrics import MetricsSpec
from demandos.spec.rollout import RolloutSpec
from demandos.spec.stack import StackSpec
from demandos.spec.team import TeamSpec
from demandos.spec.workflows import WorkflowSpec
from demandos.spec.workspace import WorkspaceSpec
from demandos.spec.yamlio import FilePositions, PathPart


@dataclass(frozen=True)
class SpecFile:
    """One spec file of a workspace."""

    name: str  # "metrics.yaml"
    attr: str  # the Specs attribute that holds it
    model: type[BaseModel]
    required: bool = True


SPEC_FILES: dict[str, SpecFile] = {
    f.name: f
    for f in (
        SpecFile("demandos.yaml", "workspace", WorkspaceSpec),
        SpecFile("kernel.yaml", "kernel", KernelSpec),
        SpecFile("team.yaml", "team", TeamSpec),
        SpecFile("metrics.yaml", "metrics", MetricsSpec),
        SpecFile("channels.yaml", "channels", ChannelsSpec),
        SpecFile("cadence.yaml", "cadence", CadenceSpec),
        SpecFile("stack.yaml", "stack", StackSpec),
        SpecFile("rollout.yaml", "rollout", RolloutSpec, required=False),
        SpecFile("assets.yaml", "assets", AssetsSpec, required=False),
    )
}
"""The top-level spec files, in the order they are loaded; workflows live in ``workflows/``."""

WORKFLOWS_DIR = "workflows"
EXPERIMENTS_DIR = "experiments"


@dataclass(frozen=True)
class WorkflowSource:
    """A workflow and the file it was read from (``workflows/<id>.yaml``)."""

    file: str
    spec: WorkflowSpec


@dataclass(frozen=True)
class ExperimentSource:
    """An experiment and the file it was read from (``experiments/<id>.yaml``)."""

    file: str
    spec: ExperimentSpec


@dataclass(frozen=True)
class Specs:
    """Every spec of one workspace, validated, with the positions of their fields."""

    root: Path
    workspace: WorkspaceSpec
    kernel: KernelSpec
    team: TeamSpec
    metrics: MetricsSpec
    channels: ChannelsSpec
    cadence: CadenceSpec
    stack: StackSpec
    rollout: RolloutSpec
    workflows: dict[str, WorkflowSpec]
    assets: AssetsSpec = field(default_factory=AssetsSpec)
    workflow_sources: tuple[WorkflowSource, ...] = ()
    experiment_sources: tuple[ExperimentSource, ...] = ()
    positions: dict[str, FilePositions] = field(default_factory=dict)

    def locate(self, file: str, path: Sequence[PathPart] = (), *, key: bool = False) -> Location:
        """File, line and column of ``path`` in ``file`` (or of its nearest written ancestor)."""
        positions = self.positions.get(file)
        return positions.locate(path, key=key) if positions else Location(file)

    def workflow_file(self, workflow_id: str) -> str:
        """The file a workflow was read from."""
        for source in self.workflow_sources:
            if source.spec.id == workflow_id:
                return source.file
        return f"{WORKFLOWS_DIR}/{workflow_id}.yaml"

    @property
    def experiments(self) -> dict[str, ExperimentSpec]:
        """The experiment registry by id (the first file wins on a duplicate id)."""
        found: dict[str, ExperimentSpec] = {}
        for source in self.experiment_sources:
            found.setdefault(source.spec.id, source.spec)
        return found

    @property
    def person_ids(self) -> list[str]:
        return [p.id for p in self.team.people]

    @property
    def metric_ids(self) -> list[str]:
        return [m.id for m in self.metrics.metrics]

    @property
    def segment_ids(self) -> list[str]:
        return [s.id for s in self.kernel.segments]

    @property
    def pillar_ids(self) -> list[str]:
        return [p.id for p in self.kernel.pillars]

    @property
    def channel_ids(self) -> list[str]:
        return [c.id for c in self.channels.channels]
