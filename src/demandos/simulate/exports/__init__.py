"""The simulated company's data, written as the files its platforms would export.

``write_exports(sim_dir, exports_dir, programs=…)`` reads the engine's Parquet parts
(``sim_dir/<table>/part-*.parquet``) and writes, under ``exports_dir``:

    hubspot/contacts.csv, contacts.xlsx, companies.csv, deals.csv     (hubspot.py)
    salesforce/opportunity_history.csv                               (salesforce.py)
    google_ads/campaign_report.csv                                   (google_ads.py)
    linkedin/campaign_performance.csv                                (linkedin.py)
    meta/ads_manager.csv                                             (meta.py)
    ga4/traffic_acquisition.csv                                      (ga4.py)
    mailchimp/campaigns.csv                                          (mailchimp.py)
    survey/nps_responses.csv, survey/win_loss.csv                    (survey.py)
    finance/costs.csv                                                (finance.py)
    intel/competitor_signals.csv                                     (intel.py)
    _injected_problems.csv                                           (problems.py)

Each platform module documents the columns, preamble, totals and value formats it follows and
where they come from, and registers its exporter (``registry.py``). A few data-quality problems
real exports have (duplicate rows, blank required values, currency-formatted amounts,
impossible dates) are injected deterministically from ``seed`` and listed in
``_injected_problems.csv``, so intake tests can check every one is caught.

Same inputs and seed give byte-identical files: rows are ordered by unique keys, preamble dates
come from the data, and XLSX files carry fixed timestamps. Memory stays bounded: row-level
exports stream from DuckDB in Arrow batches; only daily aggregates are held whole.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from demandos.errors import DemandosError
from demandos.progress import NullProgress, Progress, step
from demandos.simulate.exports import (  # noqa: F401  (each module registers its exporter)
    finance,
    ga4,
    google_ads,
    hubspot,
    intel,
    linkedin,
    mailchimp,
    meta,
    salesforce,
    survey,
)
from demandos.simulate.exports.problems import LOG_FILE, Problem, ProblemLog
from demandos.simulate.exports.registry import (
    DEMO_TIMEZONE,
    EXPORTERS,
    ExportContext,
    Exporter,
    register,
)
from demandos.simulate.exports.source import SimData
from demandos.simulate.exports.writer import CsvStyle, FileSpec

__all__ = [
    "DEMO_TIMEZONE",
    "EXPORTERS",
    "LOG_FILE",
    "CsvStyle",
    "ExportContext",
    "Exporter",
    "FileSpec",
    "Problem",
    "register",
    "write_exports",
]


def write_exports(
    sim_dir: Path,
    exports_dir: Path,
    *,
    programs: Mapping[str, str],
    currency: str = "USD",
    seed: int = 0,
    timezone: str = DEMO_TIMEZONE,
    progress: Progress | None = None,
) -> list[Path]:
    """Write every registered platform's export files from ``sim_dir`` into ``exports_dir``.

    ``programs`` maps program id → display name (the campaign names on every platform).
    ``timezone`` is the workspace's: the simulation's naive times are wall-clock times there,
    and exports that write UTC (the survey tool's) convert from it.
    Returns the files written, the problem list (``_injected_problems.csv``) last.
    """
    progress = progress or NullProgress()
    exports_dir.mkdir(parents=True, exist_ok=True)
    log = ProblemLog()
    written: list[Path] = []
    with SimData(sim_dir) as sim:
        if not sim.tables:
            raise DemandosError(
                f"no simulation output in {sim_dir}",
                hint="run the simulation first: it writes <sim_dir>/<table>/part-*.parquet",
            )
        ctx = ExportContext(sim, exports_dir, programs, currency, seed, log, timezone)
        with step(progress, "Writing platform exports", total=len(EXPORTERS)) as p:
            for name in sorted(EXPORTERS):
                written += EXPORTERS[name].write(ctx)
                p.advance(1)
    written.append(log.write(exports_dir))
    return written
