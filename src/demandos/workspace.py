"""The one core object: a workspace folder, its specs, its fact store and its operating log.

The CLI, the web app and notebooks all drive a ``Workspace``::

    from demandos import Workspace
    ws = Workspace.open("my-company")
    ws.specs.metrics            # validated specs
    ws.facts.table("accounts")  # an Ibis table over the canonical facts
    ws.log                      # the operating log (reviews, decisions, actions, …)
"""

from __future__ import annotations

import os
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from demandos.errors import CheckReport, WorkspaceError
from demandos.intake.canonical import FileLoad, load_files
from demandos.intake.connector import Context
from demandos.intake.ingest import IngestReport, expand_files, ingest_file
from demandos.intake.normalize import rules_for
from demandos.intake.quarantine import RetryReport, retry
from demandos.progress import NullProgress, Progress
from demandos.spec import Specs, check_workspace, load_specs_or_raise, write_starter
from demandos.store.facts import FactStore, TableSummary, open_facts
from demandos.store.oplog import Load, OperatingLog

if TYPE_CHECKING:
    from demandos.cadence.log import CadenceLog, DecisionItem, Recorded
    from demandos.feedback import Attribution, Comparison
    from demandos.feedback.experiments import Analysis, Entry, Plan
    from demandos.feedback.forecasts import Forecast
    from demandos.kernel.proposals import Proposal
    from demandos.kernel.versions import Decided, KernelVersions
    from demandos.metrics import MetricTable
    from demandos.metrics.decompose import Explanation
    from demandos.metrics.health import HealthReport
    from demandos.reports.model import Pack
    from demandos.workflows.runs import WorkflowRuns

MARKER = "demandos.yaml"
DATA_DIR = ".demandos"
SAMPLE_DIR = Path(__file__).with_name("sample")


def find_root(start: str | os.PathLike[str] | None = None) -> Path:
    """The workspace folder at or above ``start`` (default: the current folder)."""
    here = Path(start or Path.cwd()).resolve()
    if here.is_file():
        here = here.parent
    for folder in (here, *here.parents):
        if (folder / MARKER).is_file():
            return folder
    raise WorkspaceError(
        f"{here} is not inside a demandos workspace (no {MARKER} here or above)",
        hint="run `demandos init PATH` to create one, or pass --workspace PATH",
    )


class Workspace:
    """A demandos workspace: specs on disk, facts and the operating log under ``.demandos/``."""

    def __init__(self, root: Path, specs: Specs) -> None:
        self.root = root
        self.specs = specs

    # -- opening ---------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | os.PathLike[str] | None = None) -> Workspace:
        """Open the workspace at or above ``path``; raises ``SpecErrors`` if a spec is invalid."""
        root = find_root(path)
        return cls(root, load_specs_or_raise(root))

    @classmethod
    def init(
        cls, path: str | os.PathLike[str], *, force: bool = False, name: str | None = None
    ) -> Workspace:
        """Write a commented starter workspace at ``path`` and open it."""
        root = Path(path).resolve()
        write_starter(root, force=force, name=name)
        return cls.open(root)

    @staticmethod
    def check(
        path: str | os.PathLike[str] | None = None, *, today: date | None = None
    ) -> CheckReport:
        """Validate every spec and the system's rules; never raises for spec problems. When the
        specs are valid and data is loaded, warn of the last full month's off-kernel spend and
        of problems in the asset library."""
        root = find_root(path)
        report = check_workspace(root)
        if not report.ok or not (root / DATA_DIR).is_dir():
            return report
        from demandos.assets.checks import library_findings
        from demandos.kernel.conformance import spend_warning

        with Workspace.open(root) as ws:
            found = spend_warning(ws.facts, ws.specs, today or date.today())
            library = library_findings(ws.facts, ws.specs)
        extra = [*([] if found is None else [found]), *library]
        return CheckReport([*report.findings, *extra]) if extra else report

    # -- stores ----------------------------------------------------------------------------

    @property
    def data_dir(self) -> Path:
        return self.root / DATA_DIR

    @cached_property
    def facts(self) -> FactStore:
        """The canonical facts: embedded by default, or where demandos.yaml's store says."""
        store = self.specs.workspace.store
        url = store.resolved_url() if store.backend != "embedded" else None
        if store.backend == "spark" and url:  # a facts folder, relative to the workspace
            url = str(self.root / url.removeprefix("file://"))
        spark = {
            "master": store.spark.master,
            "config": dict(store.spark.config),
            "cache": store.spark.cache,
        }
        return open_facts(
            self.data_dir, backend=store.backend, url=url, schema=store.db_schema, spark=spark
        )

    @cached_property
    def log(self) -> OperatingLog:
        """The operating log: SQLite in ``.demandos/`` unless ``store.log_url`` names a database."""
        store = self.specs.workspace.store
        url = store.resolved_log_url() or OperatingLog.sqlite_url(self.data_dir)
        return OperatingLog.open(url)

    @cached_property
    def cadence_log(self) -> CadenceLog:
        """Reviews, decisions and actions, checked against the specs (``cadence/log.py``)."""
        from demandos.cadence.log import CadenceLog

        def read_metric(metric: str, period: str) -> tuple[float | None, str | None]:
            row = next((r for r in self.metrics(period).totals() if r.metric == metric), None)
            if row is None:
                return None, "not in metrics.yaml"
            return row.value, row.reason

        return CadenceLog(self.log, self.specs, read_metric=read_metric)

    @cached_property
    def kernel_versions(self) -> KernelVersions:
        """Published kernel versions and decisions on proposals (``kernel/versions.py``)."""
        from demandos.kernel.versions import KernelVersions

        return KernelVersions(self.root, self.log, self.specs)

    @cached_property
    def workflows(self) -> WorkflowRuns:
        """Runs of the workflows with their SLA clocks, kept in the operating log
        (``workflows/runs.py``)."""
        from demandos.workflows.runs import WorkflowRuns

        return WorkflowRuns(self.log, self.specs)

    def calendar(self, *, start: date | None = None, until: date | None = None) -> bytes:
        """The rhythm of cadence.yaml as an iCal file from ``start`` (default today)."""
        from demandos.cadence.calendar import calendar_bytes

        return calendar_bytes(self.specs, start=start or date.today(), until=until)

    # -- data ------------------------------------------------------------------------------

    def load(
        self,
        paths: list[Path],
        *,
        table: str | None = None,
        progress: Progress | None = None,
    ) -> list[FileLoad]:
        """Load canonical CSV/Parquet files (all or nothing) and record the load in the log."""
        started = datetime.now()
        reports = load_files(self.facts, paths, table=table, progress=progress or NullProgress())
        finished = datetime.now()
        for index, report in enumerate(reports):
            self.log.record_load(
                Load(
                    batch=f"{finished:%Y%m%dT%H%M%S%f}-{index}",
                    source="canonical",
                    file=report.file,
                    file_sha256=report.sha256,
                    started_at=started,
                    finished_at=finished,
                    counts={
                        "table": report.table,
                        "read": report.read,
                        "inserted": report.inserted,
                        "updated": report.updated,
                        "unchanged": report.unchanged,
                        "quarantined": report.quarantined,
                    },
                )
            )
        self._changed({r.table for r in reports if r.inserted or r.updated})
        return reports

    def _changed(self, tables: set[str]) -> None:
        """After a load that changed ``tables``: bring what the store keeps per snapshot up to
        date (the derived tables the metrics read), so the next reader does not pay for it."""
        from demandos.metrics.cohorts import DERIVED_INPUTS, keep_derived

        if tables & DERIVED_INPUTS:
            keep_derived(self.facts)

    def ingest(
        self,
        paths: list[Path],
        *,
        source: str | None = None,
        mapping: Path | None = None,
        timezone: str | None = None,
        progress: Progress | None = None,
    ) -> list[IngestReport]:
        """Ingest export files, each all or nothing, and record each load in the log.

        ``source`` names the connector (default: detected from the header); ``mapping`` reads
        files with a mapping file instead (the generic connector); ``timezone`` is the zone the
        source wrote its times in, when it is not the one the connector assumes.
        """
        from demandos.intake.connectors.generic import ingest_mapped_file

        progress = progress or NullProgress()
        context = self.intake_context(source_timezone=timezone)
        reports = []
        for path in expand_files(paths):
            started = datetime.now()
            rules = rules_for(self.specs, self.facts)  # accounts loaded so far resolve people
            if mapping is not None:
                report = ingest_mapped_file(
                    self.facts, path, mapping, context=context, rules=rules, progress=progress
                )
            else:
                report = ingest_file(
                    self.facts, path, source=source, context=context, rules=rules, progress=progress
                )
            counts: dict[str, object] = {
                "rows": report.rows,
                "quarantined": report.quarantined,
                "tables": {t: vars(c) for t, c in report.tables.items()},
            }
            if mapping is not None:
                counts["mapping"] = str(mapping)
            self.log.record_load(
                Load(
                    batch=f"{datetime.now():%Y%m%dT%H%M%S%f}",
                    source=report.source,
                    file=report.file,
                    file_sha256=report.sha256,
                    started_at=started,
                    finished_at=datetime.now(),
                    counts=counts,
                )
            )
            reports.append(report)
        self._changed({t for r in reports for t, c in r.tables.items() if c.inserted or c.updated})
        return reports

    def intake_context(self, *, source_timezone: str | None = None) -> Context:
        return Context(
            timezone=self.specs.workspace.timezone,
            currency=self.specs.workspace.currency,
            source_timezone=source_timezone,
        )

    def retry_quarantine(
        self, *, file: str | None = None, progress: Progress | None = None
    ) -> list[RetryReport]:
        """Read open quarantine rows again with today's rules (after fixing what they said)."""
        return retry(
            self.facts,
            rules=rules_for(self.specs, self.facts),
            context=self.intake_context(),
            file=file,
            progress=progress,
        )

    def metrics(
        self, period: str | None = None, *, by: str | None = None, today: date | None = None
    ) -> MetricTable:
        """The metric tree for ``period`` (default: last month), optionally by a dimension."""
        from demandos.metrics import compute, current_period

        today = today or date.today()
        fy = self.specs.workspace.fiscal_year_start_month
        label = (
            period or current_period("month", today, fiscal_year_start_month=fy).previous().label
        )
        return compute(self.facts, self.specs, label, by=by, today=today)

    def explain(
        self,
        metric: str,
        period: str | None = None,
        *,
        against: str = "previous",
        by: str | None = None,
        today: date | None = None,
    ) -> Explanation:
        """Why ``metric`` moved in ``period`` (default: last month) against the previous period
        or the same period last year: its drivers' parts and, with ``by``, mix and rate."""
        from demandos.metrics.decompose import explain

        today = today or date.today()
        label = period or self._last_month(today)
        return explain(self.facts, self.specs, metric, label, against=against, by=by, today=today)

    def health(self, period: str | None = None, *, today: date | None = None) -> HealthReport:
        """System health over the 13 weeks ending with ``period`` (default: last month)."""
        from demandos.metrics.health import health

        today = today or date.today()
        return health(self.facts, self.specs, period or self._last_month(today), today=today)

    def _last_month(self, today: date) -> str:
        from demandos.metrics import current_period

        fy = self.specs.workspace.fiscal_year_start_month
        return current_period("month", today, fiscal_year_start_month=fy).previous().label

    def kernel_proposals(self, period: str, *, quarters: int = 4) -> list[Proposal]:
        """Kernel refinement proposals from the ``quarters`` quarters ending with ``period``."""
        from demandos.kernel.proposals import proposals

        return proposals(self, period, quarters=quarters)

    def decide_kernel_proposal(
        self,
        verb: Literal["accept", "reject"],
        proposal_id: str,
        period: str | None = None,
        *,
        by: str | None = None,
        note: str | None = None,
        today: date | None = None,
    ) -> Decided:
        """Accept or reject a proposal of ``period``'s quarter (default: the last full quarter).
        Accepting a mechanical change edits kernel.yaml and publishes a version: the specs are
        read again."""
        from demandos.kernel.versions import find_proposal, last_quarter

        fy = self.specs.workspace.fiscal_year_start_month
        quarter = period or last_quarter(today or date.today(), fiscal_year_start_month=fy)
        proposal = find_proposal(self.kernel_proposals(quarter), proposal_id, quarter)
        kv = self.kernel_versions
        result = (kv.accept if verb == "accept" else kv.reject)(proposal, quarter, by=by, note=note)
        if result.published is not None:  # kernel.yaml changed: read the specs again
            self.specs = load_specs_or_raise(self.root)
            for cached in ("kernel_versions", "cadence_log", "workflows"):
                self.__dict__.pop(cached, None)
        return result

    def attribution(self, model: str = "markov", **options: Any) -> Attribution:
        """Multi-touch attribution of a period's conversions by ``model`` (heuristic, exact
        Markov or Shapley); ``options`` as :func:`demandos.feedback.attribute` takes them
        (milestone, level, by, period, lookback_days, touch_types, weights, options, today)."""
        from demandos.feedback import attribute

        return attribute(self, model, **options)

    def attribution_compare(self, **options: Any) -> Comparison:
        """Every attribution model side by side on the same journeys (see ``attribution``)."""
        from demandos.feedback import compare

        return compare(self, **options)

    def experiments(self, *, today: date | None = None) -> list[Entry]:
        """The experiment registry (``experiments/``) with each test's status."""
        from demandos.feedback.experiments import registry

        return registry(self.specs.experiments, self.cadence_log, today or date.today())

    def experiment_plan(self, experiment_id: str, **overrides: float | None) -> Plan:
        """Units per variant an experiment needs (``baseline``, ``sd``, ``mde`` override it)."""
        from demandos.feedback.experiments import find, plan

        return plan(find(self.specs.experiments, experiment_id), **overrides)

    def analyze_experiment(
        self, experiment_id: str, results: Path | None = None, *, today: date | None = None
    ) -> Analysis:
        """An experiment's result from its results CSV, or from the store for a holdout with
        ``assignment:`` (see ``feedback/experiments.py``)."""
        from demandos.feedback.experiments import analyze, analyze_store, find, read_results

        spec = find(self.specs.experiments, experiment_id)
        if results is None:
            return analyze_store(self.facts, self.specs, spec, today or date.today())
        return analyze(spec, read_results(spec, Path(results)))

    def conclude_experiment(
        self,
        experiment_id: str,
        results: Path | None = None,
        *,
        decision: str | None = None,
        today: date | None = None,
    ) -> tuple[Analysis, Recorded[DecisionItem]]:
        """Analyse an experiment and log its result as one decision in the operating log."""
        from demandos.feedback.experiments import conclude

        analysis = self.analyze_experiment(experiment_id, results, today=today)
        return analysis, conclude(self.cadence_log, analysis, decision=decision)

    def forecast(
        self, metric: str = "pipeline", *, weeks: int = 13, today: date | None = None
    ) -> Forecast:
        """Weekly pipeline created or bookings for the next ``weeks`` weeks, with prediction
        intervals and the rolling backtest's error (needs ``pip install 'demandos[forecast]'``)."""
        from demandos.feedback.forecasts import forecast

        return forecast(self.facts, self.specs, metric, horizon=weeks, today=today or date.today())

    def review(
        self, ritual: str, period: str | None = None, *, now: datetime | None = None
    ) -> Pack:
        """The pack of ``ritual`` (an id or kind of cadence.yaml) for ``period``; a Monday
        review's period is the week it looks back on (default: the last full week)."""
        from demandos.reports.packs import build_pack

        return build_pack(self, ritual, period, now=now)

    def load_sample(self, *, progress: Progress | None = None) -> list[FileLoad]:
        """Load the small sample data set bundled with demandos (a few weeks of one company)."""
        return self.load([SAMPLE_DIR], progress=progress)

    def summary(self) -> list[TableSummary]:
        """Every canonical table: rows and date range."""
        return self.facts.summary()

    # -- lifetime --------------------------------------------------------------------------

    def close(self) -> None:
        if "facts" in self.__dict__:
            self.facts.close()
            del self.__dict__["facts"]
        if "log" in self.__dict__:
            self.log.close()
            del self.__dict__["log"]

    def __enter__(self) -> Workspace:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Workspace({str(self.root)!r})"
