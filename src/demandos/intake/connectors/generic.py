"""Any CSV, XLSX or Parquet file, described by a mapping file: the connector for what has none.

A mapping names the canonical table the rows load into and, for each canonical column, the
file's column that holds it or a constant; dates may say their formats, and times their zone::

    # bing.mapping.yaml
    table: spend
    source: bing_ads              # recorded as the rows' source (default: generic)
    columns:                      # canonical column: the file's column
      date: Day
      amount: Spend
      impressions: Impr.
      clicks: Clicks
      utm_campaign: Campaign      # with utm_source/utm_medium: channel and program by the rules
    constants:                    # canonical column: one value for every row
      platform: bing_ads
      currency: USD
      utm_source: bing
      utm_medium: cpc
    formats:                      # date and timestamp columns: strptime formats, tried in order
      date: ["%m/%d/%Y"]
    timezone: UTC                 # the zone the file's times are in (default: the workspace's)

``ingest_mapped(workspace, path, mapping_path)`` reads the file with the intake readers (a
preamble above the header is skipped; ``footer``/``comment`` leave rows out), builds a connector
from the mapping, and ingests through ``ingest_rows``: the same normalization, checks,
quarantine and one transaction per file as every platform connector. A bad mapping fails with
its file, line and a did-you-mean, before anything is read or written.

This connector is not registered: without its mapping it cannot read anything, so detection
must never pick it.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from demandos.errors import Finding, IntakeError, SpecErrors
from demandos.intake.coerce import ROW_NUMBER, file_sha256
from demandos.intake.connector import Connector, Context, Header, col, number, trimmed, when
from demandos.intake.connectors._sql import text
from demandos.intake.ingest import IngestReport, ingest_rows, read_file
from demandos.intake.normalize import UTM, Rules
from demandos.intake.readers import RawFile, find_header, head_rows
from demandos.intake.registry import connectors
from demandos.progress import NullProgress, Progress
from demandos.spec.diagnostics import Explainer, listing
from demandos.spec.fields import Timezone
from demandos.spec.yamlio import ParsedYaml, read_yaml
from demandos.store.schema import TABLES, TableSchema
from demandos.suggest import closest, did_you_mean

if TYPE_CHECKING:  # the workspace drives intake, not the other way round
    from demandos.store.facts import FactStore
    from demandos.workspace import Workspace

SOURCE = "generic"
FORMATS = (".csv", ".xlsx", ".parquet")
TIMES = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d")
Constant = str | int | float | bool | date | datetime


class MappingSpec(BaseModel):
    """A mapping file: how one file's columns become one canonical table's."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    table: str = Field(description="the canonical table the rows load into", examples=["spend"])
    source: str = Field(
        SOURCE,
        pattern=r"^[a-z][a-z0-9_]*$",
        description="the source the rows are recorded under",
        examples=["bing_ads"],
    )
    columns: dict[str, str] = Field(
        default_factory=dict, description="canonical column: the file's column that holds it"
    )
    constants: dict[str, Constant] = Field(
        default_factory=dict, description="canonical column: one value for every row"
    )
    formats: dict[str, list[str]] = Field(
        default_factory=dict,
        description="date or timestamp column: strptime formats, tried in order",
        examples=[["%m/%d/%Y"]],
    )
    timezone: Timezone | None = Field(None, description="the zone the file's times are in")
    thousands: str = Field(",", description="the thousands separator in numbers; '' for none")
    list_separator: str = Field(";", description="what separates the items of a list column")
    footer: str | None = Field(None, description="regex on a row's first cell: not data")
    comment: str | None = Field(None, description="lines starting with this are not data")


class LoadedMapping:
    """A validated mapping and where each of its entries is written (for errors)."""

    def __init__(self, spec: MappingSpec, parsed: ParsedYaml) -> None:
        self.spec = spec
        self.parsed = parsed

    @property
    def file(self) -> str:
        return self.parsed.file

    @property
    def schema(self) -> TableSchema:
        return TABLES[self.spec.table]

    def finding(
        self, path: tuple[str, ...], message: str, hint: str | None, *, key: bool
    ) -> Finding:
        location = self.parsed.positions.locate(path, key=key)
        return Finding("error", location, ".".join(path), message, hint, rule="mapping")


HINT = "fix the mapping file, then ingest again"


def _errors(findings: list[Finding]) -> SpecErrors:
    error = SpecErrors(findings)
    error.hint = HINT
    return error


def load_mapping(path: Path) -> LoadedMapping:
    """Read and check a mapping file; ``SpecErrors`` with file, line and a hint if it is wrong."""
    if not path.is_file():
        raise IntakeError("mapping file not found", file=path, hint="check the path")
    parsed = read_yaml(path, str(path))
    if not parsed.ok:
        raise _errors(parsed.findings)
    try:
        spec = MappingSpec.model_validate(parsed.data)
    except ValidationError as error:
        raise _errors(Explainer(MappingSpec, parsed).findings(error)) from None
    mapping = LoadedMapping(spec, parsed)
    findings = _check(mapping)
    if findings:
        raise _errors(findings)
    return mapping


def _targets(schema: TableSchema) -> list[str]:
    """The columns a mapping may fill: the table's, and the UTM fields where rules give channels."""
    extra = list(UTM) if "channel" in schema.column_names else []
    return [*schema.column_names, *extra]


def _check(mapping: LoadedMapping) -> list[Finding]:
    """What pydantic cannot see: names of tables and columns, and what the table needs."""
    spec = mapping.spec
    if spec.table not in TABLES:
        hint = did_you_mean(spec.table, TABLES) or f"tables are: {listing(list(TABLES))}"
        return [mapping.finding(("table",), f"no canonical table {spec.table!r}", hint, key=False)]
    findings = []
    schema = mapping.schema
    allowed = _targets(schema)
    misspelt = set()
    for section in ("columns", "constants", "formats"):
        for name in getattr(spec, section):
            if name not in allowed:
                misspelt.add(closest(name, allowed))
                hint = did_you_mean(name, allowed) or f"{spec.table} has: {listing(allowed)}"
                message = f"{spec.table} has no column {name!r}"
                findings.append(mapping.finding((section, name), message, hint, key=True))
    for name in set(spec.columns) & set(spec.constants):
        message = f"{name!r} is both a file column and a constant"
        hint = "keep one of them"
        findings.append(mapping.finding(("constants", name), message, hint, key=True))
    for name in spec.formats:
        kind = schema.column(name).type if name in schema.column_names else "string"
        if name in allowed and kind not in ("date", "timestamp"):
            message = f"{name!r} is a {kind} column, not a date or a time"
            hint = "formats are for date and timestamp columns only"
            findings.append(mapping.finding(("formats", name), message, hint, key=True))
    given = set(spec.columns) | set(spec.constants)
    filled = {"channel", "program_id"} if set(UTM) & given else set()  # by the UTM rules
    lacking = [
        c
        for c in schema.required
        if c not in given | filled | misspelt
        and schema.column(c).fallback not in given | filled  # spend's campaign: the program
    ]
    if lacking:
        message = f"{spec.table} needs column(s) {', '.join(lacking)}; the mapping leaves them out"
        hint = "add each under `columns:` (the file's column) or `constants:` (one value)"
        at = ("columns",) if spec.columns else ("table",)
        findings.append(mapping.finding(at, message, hint, key=False))
    return findings


class MappedFile(Connector):
    """A connector made from one mapping for one file's column types (never registered)."""

    name = SOURCE
    system = "mapped file"
    description = "any CSV, XLSX or Parquet file, described by a mapping file"
    formats = FORMATS
    signature = ()
    outputs = {}

    def __init__(self, mapping: LoadedMapping, types: dict[str, pa.DataType]) -> None:
        self.mapping = mapping
        self.types = types

    def sql(self, table: str, context: Context) -> str:
        spec = self.mapping.spec
        schema = self.mapping.schema
        zone = spec.timezone or context.timezone
        values = []
        for name in _targets(schema):
            kind = schema.column(name).type if name in schema.column_names else "string"
            if name in spec.columns:
                value = self._column(
                    spec.columns[name], kind, spec.formats.get(name), zone, context
                )
            elif name in spec.constants:
                value = text(_constant(spec.constants[name]))
            else:
                value = "CAST(NULL AS VARCHAR)"
            values.append(f"{value} AS {col(name)}")
        return f"SELECT {', '.join(values)}, __row, __raw FROM raw"

    def _column(
        self, source: str, kind: str, formats: list[str] | None, zone: str, context: Context
    ) -> str:
        arrow_type = self.types.get(source, pa.string())
        if not (pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type)):
            return _typed(source, arrow_type, kind, zone, context)
        spec = self.mapping.spec
        if kind in ("date", "timestamp") and (formats or zone != context.timezone):
            return when(
                source,
                formats or TIMES,
                zone_from=zone if kind == "timestamp" else None,
                zone_to=context.timezone,
                date_only=kind == "date",
            )
        if kind in ("int", "float"):
            return number(source, thousands=spec.thousands)
        if kind == "list" and spec.list_separator != ";":
            return f"replace({col(source)}, {text(spec.list_separator)}, ';')"
        return trimmed(col(source))


def _typed(source: str, arrow_type: pa.DataType, kind: str, zone: str, context: Context) -> str:
    """A typed (Parquet) column: kept as typed, times moved into the workspace's zone."""
    if pa.types.is_timestamp(arrow_type) and kind == "timestamp":
        if arrow_type.tz is not None:  # an instant: the workspace's wall clock at that instant
            return f"timezone({text(context.timezone)}, {col(source)})"
        if zone != context.timezone:
            return f"timezone({text(context.timezone)}, timezone({text(zone)}, {col(source)}))"
    return col(source)


def _constant(value: Constant) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def connector_for(mapping: LoadedMapping, types: dict[str, pa.DataType]) -> MappedFile:
    """The connector a mapping makes, named after its source, for a file's column types."""
    spec = mapping.spec
    attributes: dict[str, Any] = {
        "name": spec.source,
        "signature": tuple(dict.fromkeys(spec.columns.values())),
        "footer": spec.footer,
        "comment": spec.comment,
        "timezone": spec.timezone,
        "outputs": {spec.table: ""},
    }
    cls = type(f"Mapped_{spec.source}", (MappedFile,), attributes)
    return cast(MappedFile, cls(mapping, types))


def read_mapped(path: Path, mapping: LoadedMapping) -> tuple[MappedFile, RawFile]:
    """Read ``path`` as the mapping describes it; a mapped column the file lacks is an error."""
    if not path.is_file():
        raise IntakeError("file not found", file=path, hint="check the path")
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise IntakeError(
            f"{path.suffix or 'a file without extension'} is not a format the mapping reads",
            file=path,
            hint="save it as .csv (UTF-8), .xlsx or .parquet",
        )
    wanted = tuple(dict.fromkeys(mapping.spec.columns.values()))
    if suffix == ".parquet":
        try:
            table = pq.read_table(path)
        except (pa.ArrowInvalid, OSError) as exc:
            raise IntakeError(
                f"not a readable Parquet file: {str(exc).splitlines()[0]}", file=path
            ) from exc
        header = tuple(table.column_names)
        _require(mapping, path, header, wanted)
        table = table.append_column(ROW_NUMBER, pa.array(range(1, table.num_rows + 1), pa.int64()))
        raw = RawFile(table, Header(header))
        return connector_for(mapping, {f.name: f.type for f in table.schema}), raw
    rows = head_rows(path)
    line = find_header(rows, wanted) if wanted else None
    if line is None:
        found = max(rows, key=lambda r: len({c.strip() for c in r} & set(wanted)), default=[])
        _require(mapping, path, tuple(c.strip().lstrip("\ufeff") for c in found), wanted)
        raise IntakeError("no header row found", file=path)  # unreachable: _require raised
    mapped = connector_for(mapping, {})
    raw = read_file(path, mapped, line)
    return mapped, raw


def _require(
    mapping: LoadedMapping, path: Path, header: tuple[str, ...], wanted: tuple[str, ...]
) -> None:
    """A ``SpecErrors`` at each mapping entry whose column the file does not have."""
    present = {c.lower() for c in header}
    findings = []
    for target, source in mapping.spec.columns.items():
        if source.lower() in present:
            continue
        guess = closest(source, header)
        hint = (
            f"did you mean {guess!r}?"
            if guess
            else f"{path.name} has: {listing(list(header)) or 'no header row'}"
        )
        message = f"{path.name} has no column {source!r}"
        findings.append(mapping.finding(("columns", target), message, hint, key=False))
    if findings:
        raise _errors(findings)


def ingest_mapped_file(
    facts: FactStore,
    path: Path,
    mapping_path: Path,
    *,
    context: Context,
    rules: Rules,
    progress: Progress | None = None,
) -> IngestReport:
    """Ingest one file as its mapping describes it, in one transaction."""
    mapping = load_mapping(mapping_path)
    if mapping.spec.source in connectors():
        message = f"{mapping.spec.source!r} is the name of a platform connector"
        hint = "name the mapped source differently: its rows are told apart by it"
        raise _errors([mapping.finding(("source",), message, hint, key=False)])
    connector, raw = read_mapped(path, mapping)
    report = IngestReport(
        str(path), connector.name, file_sha256(path), rows=raw.table.num_rows, footers=raw.footers
    )
    return ingest_rows(
        facts,
        connector,
        raw,
        report,
        context=context,
        rules=rules,
        progress=progress or NullProgress(),
    )


def ingest_mapped(
    workspace: Workspace,
    path: Path,
    mapping_path: Path,
    *,
    progress: Progress | None = None,
) -> IngestReport:
    """``workspace.ingest([path], mapping=mapping_path)`` for one file."""
    [report] = workspace.ingest([path], mapping=mapping_path, progress=progress)
    return report
