"""The registry of exporters: one per platform, each registered by its own module.

An exporter is a function that reads the simulation's Parquet parts through an
``ExportContext`` and writes the files its platform would export. Its module declares those
files (``FileSpec``: path, exact header, preamble rows, CSV style) and registers the function:

    @register("meta", "Meta Ads Manager", files=(ADS_MANAGER,))
    def export_meta(ctx: ExportContext) -> list[Path]: ...

``write_exports`` runs every registered exporter in name order; one parametrized test reads
every declared file back against its declared header.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from demandos.simulate.exports.problems import ProblemLog, RowPlan
from demandos.simulate.exports.source import SimData
from demandos.simulate.exports.writer import CsvExport, FileSpec, XlsxExport

# The demo company's workspace zone (demandos.yaml, from the starter): the simulation writes its
# times as wall-clock times there, naive. ``write_exports(timezone=...)`` overrides it.
DEMO_TIMEZONE = "America/New_York"


@dataclass
class ExportContext:
    """What an exporter needs: the inputs, where to write, and where to log injected problems."""

    sim: SimData
    out_dir: Path
    programs: Mapping[str, str]  # program id → display name, used as campaign names
    currency: str
    seed: int
    log: ProblemLog
    timezone: str = DEMO_TIMEZONE  # the workspace's: the simulation's naive times are local

    def utc(self, value: datetime) -> datetime:
        """A simulated (workspace-local, naive) time as the same instant in UTC, naive."""
        local = value.replace(tzinfo=ZoneInfo(self.timezone))
        return local.astimezone(UTC).replace(tzinfo=None)

    def campaign(self, program_id: str | None) -> str:
        """A program's campaign name on every platform: its display name, else its id."""
        if program_id is None:
            return ""
        return self.programs.get(program_id, program_id)

    def path(self, spec: FileSpec) -> Path:
        path = self.out_dir.joinpath(*spec.path.split("/"))
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def _plan(self, spec: FileSpec, n_rows: int) -> RowPlan:
        return RowPlan(
            spec.path, spec.header, n_rows, spec.problems, seed=self.seed, currency=self.currency
        )

    def csv(
        self,
        spec: FileSpec,
        *,
        n_rows: int,
        preamble: Sequence[Sequence[str]] = (),
    ) -> CsvExport:
        """Open ``spec``'s CSV; ``n_rows`` data rows will follow (problems are planned on them)."""
        spec = spec.resolved(self.currency)
        return CsvExport(self.path(spec), spec, self._plan(spec, n_rows), self.log, preamble)

    def xlsx(
        self,
        spec: FileSpec,
        *,
        n_rows: int,
        stamp: datetime,
        number_formats: dict[str, str] | None = None,
    ) -> XlsxExport:
        spec = spec.resolved(self.currency)
        return XlsxExport(
            self.path(spec),
            spec,
            self._plan(spec, n_rows),
            self.log,
            stamp=stamp,
            number_formats=number_formats,
        )


ExportFn = Callable[[ExportContext], list[Path]]


@dataclass(frozen=True)
class Exporter:
    """A platform's exporter: its name, the files it writes, and the function that writes them."""

    name: str
    platform: str
    files: tuple[FileSpec, ...]
    write: ExportFn


EXPORTERS: dict[str, Exporter] = {}


def register(
    name: str, platform: str, *, files: Sequence[FileSpec]
) -> Callable[[ExportFn], ExportFn]:
    """Register ``fn`` as the exporter ``name``, writing ``files``."""

    def deco(fn: ExportFn) -> ExportFn:
        if name in EXPORTERS:
            raise ValueError(f"exporter {name!r} is registered twice")
        EXPORTERS[name] = Exporter(name, platform, tuple(files), fn)
        return fn

    return deco
