"""``demandos demo``: build the simulated company's workspace and run the main job on it.

Steps: write the company's specs, simulate 18 months (``engine``), write what the platforms
would export (``exports``), load the data into the store, and summarize. The ground truth lands
in ``truth/`` beside the exports so attribution and media-mix models can be checked against it.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from demandos.errors import CheckReport, IntakeError, WorkspaceError
from demandos.intake.canonical import FileLoad
from demandos.intake.ingest import IngestReport
from demandos.intake.registry import connector, detect
from demandos.metrics import MetricTable
from demandos.progress import NullProgress, Progress
from demandos.simulate.company import write_company
from demandos.simulate.engine import SimulationSummary, simulate
from demandos.simulate.exports import write_exports
from demandos.simulate.params import NORTHWIND, SIZES, CompanyParams, Size
from demandos.spec import check_workspace, load_specs_or_raise
from demandos.store.facts import TableSummary
from demandos.store.schema import TABLES
from demandos.workspace import Workspace

SIMULATION_DIR = "simulation"  # under .demandos/: the simulator's canonical Parquet parts
EXPORTS_DIR = "exports"
TRUTH_DIR = "truth"


@dataclass
class DemoResult:
    """Where the demo wrote what, and what happened."""

    root: Path
    simulation: SimulationSummary
    currency: str
    exports: list[Path] = field(default_factory=list)
    loads: list[FileLoad] = field(default_factory=list)
    ingested: list[IngestReport] = field(default_factory=list)
    check: CheckReport = field(default_factory=CheckReport)
    metrics: MetricTable | None = None  # the main job: the tree for the last simulated month
    store: list[TableSummary] = field(default_factory=list)

    @property
    def exports_dir(self) -> Path:
        return self.root / EXPORTS_DIR

    @property
    def truth_dir(self) -> Path:
        return self.root / TRUTH_DIR


# Connectors whose rows others refer to come first: people find their accounts by company id or
# email domain, deal history finds its deals.
FIRST = ("hubspot_companies", "hubspot_contacts", "hubspot_deals")


def ingest_plan(exports: list[Path]) -> list[tuple[Path, str]]:
    """Each export file a connector reads, with that connector, in dependency order."""
    plan = []
    for path in exports:
        if path.name.startswith("_"):
            continue
        try:
            found, _ = detect(path)
        except IntakeError:
            continue  # no connector reads this export yet: its tables load from the simulation
        plan.append((path, found.name))
    rank = {name: i for i, name in enumerate(FIRST)}
    return sorted(plan, key=lambda item: (rank.get(item[1], len(FIRST)), str(item[0])))


def build_demo(
    path: Path,
    *,
    size: Size = "small",
    seed: int = 7,
    force: bool = False,
    params: CompanyParams = NORTHWIND,
    progress: Progress | None = None,
) -> DemoResult:
    """Build the demo workspace at ``path``; with ``force``, rebuild a previous demo there."""
    progress = progress or NullProgress()
    if size not in SIZES:
        raise WorkspaceError(f"no demo size {size!r}", hint=f"use one of: {', '.join(SIZES)}")
    root = path.resolve()
    if force and (root / "demandos.yaml").is_file():
        for generated in (root / ".demandos", root / EXPORTS_DIR, root / TRUTH_DIR):
            shutil.rmtree(generated, ignore_errors=True)
    write_company(root, params, force=force)
    sim_dir = root / ".demandos" / SIMULATION_DIR
    summary = simulate(params, size, seed, sim_dir, root / TRUTH_DIR, progress=progress)
    specs = load_specs_or_raise(root)
    programs = {p.id: p.name for p in specs.channels.programs}
    exports = write_exports(
        sim_dir,
        root / EXPORTS_DIR,
        programs=programs,
        currency=params.currency,
        seed=seed,
        timezone=specs.workspace.timezone,
        progress=progress,
    )
    result = DemoResult(root=root, simulation=summary, currency=params.currency, exports=exports)
    with Workspace.open(root) as ws:
        plan = ingest_plan(exports)
        progress.start("Ingesting the platform exports", total=len(plan))
        try:
            for path, name in plan:
                result.ingested += ws.ingest([path], source=name)
                progress.advance()
        finally:
            progress.finish()
        fed = {t for _, name in plan for t in connector(name).outputs}
        rest = [t for t in TABLES if t not in fed and any((sim_dir / t).glob("*.parquet"))]
        progress.start(
            "Loading what no platform exports (content library, audiences)", total=len(rest)
        )
        try:
            for table in rest:
                result.loads += ws.load(sorted((sim_dir / table).glob("*.parquet")), table=table)
                progress.advance()
        finally:
            progress.finish()
        result.store = ws.summary()
        last_month = summary.end.strftime("%Y-%m")
        result.metrics = ws.metrics(last_month, today=summary.end + timedelta(days=1))
    result.check = check_workspace(root)
    return result
