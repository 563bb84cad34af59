"""`demandos`: each command parses, calls the core, presents. No logic lives here."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Literal

import typer

from demandos import __version__
from demandos.cli import (
    assets,
    attribution,
    audit,
    cadence,
    distribution,
    kernel,
    render,
    reports,
    web,
)
from demandos.cli.experiment import experiment_app
from demandos.cli.forecast import forecast
from demandos.cli.mmm import mmm_app
from demandos.cli.rollout import rollout
from demandos.cli.stack import stack_app
from demandos.cli.team import team_app
from demandos.cli.workflow import workflow_app
from demandos.errors import DemandosError
from demandos.workspace import Workspace

app = typer.Typer(
    name="demandos",
    help="demandos — a Demand Operating System for B2B marketing teams.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

WorkspaceOpt = Annotated[
    Path | None,
    typer.Option(
        "--workspace", "-w", help="Workspace folder (default: the current folder or one above it)."
    ),
]
Format = Literal["text", "json"]
Size = Literal["small", "medium", "large"]


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show a traceback on errors.")] = False,
) -> None:
    if debug:
        os.environ["DEMANDOS_DEBUG"] = "1"


@app.command()
def version() -> None:
    """Print the demandos version."""
    render.console.print(f"demandos {__version__}")


@app.command()
def init(
    path: Annotated[Path, typer.Argument(help="Folder to create the workspace in.")],
    force: Annotated[
        bool, typer.Option("--force", help="Write into a non-empty folder, overwriting spec files.")
    ] = False,
    name: Annotated[str | None, typer.Option(help="Company name for demandos.yaml.")] = None,
) -> None:
    """Write a complete, commented starter workspace to PATH."""
    ws = Workspace.init(path, force=force, name=name)
    render.console.print(f"[green]✓[/] workspace written to {ws.root}")
    render.console.print(f"  next: edit the YAML files, then run `demandos check {path}`")


@app.command()
def demo(
    path: Annotated[Path, typer.Argument(help="Folder for the demo workspace.")] = Path("demo"),
    size: Annotated[
        Size, typer.Option(help="small (seconds), medium, or large (benchmarks).")
    ] = "small",
    seed: Annotated[
        int, typer.Option(help="Random seed: the same seed writes the same bytes.")
    ] = 7,
    force: Annotated[
        bool, typer.Option("--force", help="Rebuild a previous demo in PATH.")
    ] = False,
) -> None:
    """Build a simulated B2B company: specs, 18 months of platform exports, ground truth, store."""
    from demandos.simulate.demo import build_demo

    with render.RichProgress() as progress:
        result = build_demo(path, size=size, seed=seed, force=force, progress=progress)
    render.print_demo(result)


@app.command()
def check(
    path: Annotated[
        Path | None, typer.Argument(help="Workspace folder (default: current).")
    ] = None,
    format: Annotated[Format, typer.Option("--format", "-f", help="text or json.")] = "text",
) -> None:
    """Validate every spec and the system's rules. Exit 1 on errors; warnings never fail."""
    report = Workspace.check(path)
    render.print_check(report, format)
    raise typer.Exit(0 if report.ok else 1)


@app.command()
def load(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Canonical .csv/.parquet files or folders.")
    ] = None,
    table: Annotated[
        str | None, typer.Option(help="Target table (default: from each file's name).")
    ] = None,
    sample: Annotated[
        bool, typer.Option("--sample", help="Load the bundled sample data set.")
    ] = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Load files already in canonical shape into the store (all or nothing)."""
    if not paths and not sample:
        raise DemandosError("nothing to load", hint="name files or folders, or pass --sample")
    with Workspace.open(workspace) as ws, render.RichProgress() as progress:
        reports = ws.load_sample(progress=progress) if sample else []
        reports += ws.load(paths, table=table, progress=progress) if paths else []
    render.print_loads(reports)


@app.command()
def ingest(
    paths: Annotated[list[Path] | None, typer.Argument(help="Export files or folders.")] = None,
    source: Annotated[
        str | None, typer.Option(help="Connector name (default: detect from the header).")
    ] = None,
    mapping: Annotated[
        Path | None, typer.Option(help="A mapping file: read any CSV/XLSX/Parquet with it.")
    ] = None,
    timezone: Annotated[
        str | None, typer.Option(help="Zone the source wrote its times in (IANA name).")
    ] = None,
    list_: Annotated[bool, typer.Option("--list", help="List the connectors and exit.")] = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Ingest platform exports (CRM, ads, analytics, email, feedback); bad rows are quarantined."""
    if list_:
        from demandos.intake.registry import connectors

        render.print_connectors(connectors().values())
        return
    if not paths:
        raise DemandosError("nothing to ingest", hint="name export files or folders, or --list")
    with Workspace.open(workspace) as ws, render.RichProgress() as progress:
        reports = ws.ingest(
            paths, source=source, mapping=mapping, timezone=timezone, progress=progress
        )
    render.print_ingest(reports)


@app.command()
def sync(
    system: Annotated[
        Literal["hubspot", "salesforce"], typer.Argument(help="The CRM to pull from.")
    ],
    full: Annotated[
        bool, typer.Option("--full", help="Read every record, not only changes.")
    ] = False,
    workspace: WorkspaceOpt = None,
) -> None:
    """Pull what changed in HubSpot or Salesforce since the last sync (credentials from env)."""
    try:
        from demandos.intake.api.sync import sync as run_sync
    except ImportError as exc:
        raise DemandosError(
            f"API sync needs packages that are not installed ({exc.name})",
            hint="pip install 'demandos[sync]'",
        ) from exc
    with Workspace.open(workspace) as ws, render.RichProgress() as progress:
        reports = run_sync(ws, system, full=full, progress=progress)
    render.print_sync(reports)


quarantine_app = typer.Typer(help="Rows that could not be read: list, show, retry.")
app.add_typer(quarantine_app, name="quarantine")


@quarantine_app.command("list")
def quarantine_list(
    source: Annotated[str | None, typer.Option(help="Only this connector.")] = None,
    file: Annotated[str | None, typer.Option(help="Only this file (name or path).")] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Open quarantine rows, counted by file and reason."""
    from demandos.intake.quarantine import summary

    with Workspace.open(workspace) as ws:
        render.print_quarantine(summary(ws.facts, source=source, file=file))


@quarantine_app.command("show")
def quarantine_show(
    file: Annotated[str, typer.Argument(help="The file (name or path).")],
    row: Annotated[int, typer.Argument(help="The data row (1 = first row after the header).")],
    workspace: WorkspaceOpt = None,
) -> None:
    """One quarantined row: its reason and raw values."""
    from demandos.intake.quarantine import show

    with Workspace.open(workspace) as ws:
        render.print_record(show(ws.facts, file, row))


@quarantine_app.command("retry")
def quarantine_retry(
    file: Annotated[str | None, typer.Option(help="Only this file (name or path).")] = None,
    workspace: WorkspaceOpt = None,
) -> None:
    """Read open rows again with today's rules, after fixing what their reasons said."""
    with Workspace.open(workspace) as ws, render.RichProgress() as progress:
        reports = ws.retry_quarantine(file=file, progress=progress)
    render.print_retry(reports)


metrics_app = typer.Typer(help="The metric tree; `metrics explain` says why a metric moved.")
app.add_typer(metrics_app, name="metrics")


@metrics_app.callback(invoke_without_command=True)
def metrics(
    ctx: typer.Context,
    period: Annotated[
        str | None, typer.Option(help="2026-W47, 2026-11, 2026-Q4 or FY2026 (default: last month).")
    ] = None,
    by: Annotated[
        str | None,
        typer.Option(
            help="Break down by channel, platform, program, segment, persona, pillar, asset_type."
        ),
    ] = None,
    format: Annotated[Literal["table", "json", "csv"], typer.Option("--format", "-f")] = "table",
    workspace: WorkspaceOpt = None,
) -> None:
    """The metric tree: value, change, target, status and owner of every metric."""
    if ctx.invoked_subcommand is not None:
        return
    with Workspace.open(workspace) as ws:
        result = ws.metrics(period, by=by)
    render.print_metrics(result, format)


@metrics_app.command("explain")
def metrics_explain(
    metric: Annotated[str, typer.Argument(help="Metric id, e.g. der or pipeline_created.")],
    period: Annotated[
        str | None, typer.Option(help="2026-W47, 2026-11, 2026-Q4 or FY2026 (default: last month).")
    ] = None,
    against: Annotated[
        Literal["previous", "last_year"], typer.Option(help="previous period or last_year.")
    ] = "previous",
    by: Annotated[
        str | None, typer.Option(help="Also split across a dimension, as `metrics --by` does.")
    ] = None,
    format: Annotated[Literal["table", "json"], typer.Option("--format", "-f")] = "table",
    workspace: WorkspaceOpt = None,
) -> None:
    """Why a metric moved: each driver's part of the change (and mix vs rate with --by)."""
    with Workspace.open(workspace) as ws:
        result = ws.explain(metric, period, against=against, by=by)
    render.print_explanation(result, format)


@app.command()
def health(
    period: Annotated[
        str | None, typer.Option(help="The 13 weeks end with this period (default: last month).")
    ] = None,
    format: Annotated[Literal["table", "json"], typer.Option("--format", "-f")] = "table",
    workspace: WorkspaceOpt = None,
) -> None:
    """System health: efficiency trend, predictability, compounding, campaign dependence."""
    with Workspace.open(workspace) as ws:
        result = ws.health(period)
    render.print_health(result, format)


app.command()(cadence.calendar)
app.command()(audit.audit)
app.command()(distribution.channels)
app.command()(distribution.programs)
app.command()(assets.assets)
app.add_typer(cadence.action_app, name="action")
app.add_typer(cadence.decision_app, name="decision")
app.add_typer(kernel.kernel_app, name="kernel")
app.add_typer(workflow_app, name="workflow")
app.add_typer(team_app, name="team")
app.add_typer(stack_app, name="stack")
app.command()(rollout)
app.add_typer(attribution.attribution_app, name="attribution")
app.add_typer(experiment_app, name="experiment")
app.command()(forecast)
app.add_typer(mmm_app, name="mmm")
cadence.review_app.command("pack")(reports.review_pack)
app.add_typer(cadence.review_app, name="review", cls=reports.ReviewGroup)
app.command()(web.serve)
app.add_typer(web.user_app, name="user")


@app.command()
def status(workspace: WorkspaceOpt = None) -> None:
    """Summarize the store: every table, its rows and date range."""
    with Workspace.open(workspace) as ws:
        render.console.print(render.summary_table(ws.root, ws.summary()))


def main() -> None:
    """Entry point: errors print `Error: …` and the fix, and exit 1 (traceback with --debug)."""
    try:
        app()
    except DemandosError as exc:
        if os.environ.get("DEMANDOS_DEBUG") or "--debug" in sys.argv:
            raise
        render.print_error(exc)
        sys.exit(1)


if __name__ == "__main__":
    main()
