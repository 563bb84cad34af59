"""The canonical tables: every column, type, key and required field, declared once.

Connectors translate sources into these tables; everything downstream reads only these. Each
backend derives its physical schema (Arrow, DuckDB, PostgreSQL, Spark) from this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pyarrow as pa

ColumnType = Literal["string", "int", "float", "bool", "date", "timestamp", "list"]

ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "int": pa.int64(),
    "float": pa.float64(),
    "bool": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
    "list": pa.list_(pa.string()),
}

SQL_TYPES: dict[str, dict[str, str]] = {
    "duckdb": {
        "string": "VARCHAR",
        "int": "BIGINT",
        "float": "DOUBLE",
        "bool": "BOOLEAN",
        "date": "DATE",
        "timestamp": "TIMESTAMP",
        "list": "VARCHAR[]",
    },
    "postgres": {
        "string": "TEXT",
        "int": "BIGINT",
        "float": "DOUBLE PRECISION",
        "bool": "BOOLEAN",
        "date": "DATE",
        "timestamp": "TIMESTAMP",
        "list": "TEXT[]",
    },
    "spark": {
        "string": "STRING",
        "int": "BIGINT",
        "float": "DOUBLE",
        "bool": "BOOLEAN",
        "date": "DATE",
        "timestamp": "TIMESTAMP_NTZ",
        "list": "ARRAY<STRING>",
    },
}

# Bookkeeping columns every stored table carries (system-time history, see docs/architecture.md).
VALID_FROM = "_valid_from"  # when this version of the row was loaded
VALID_TO = "_valid_to"  # when a later load replaced it; NULL while current
BATCH = "_batch"  # the load batch that wrote this version
SYSTEM_COLUMNS: tuple[tuple[str, ColumnType], ...] = (
    (VALID_FROM, "timestamp"),
    (VALID_TO, "timestamp"),
    (BATCH, "string"),
)


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    required: bool = False
    description: str = ""
    fallback: str | None = None  # a column whose value this one takes when it has none
    added: bool = False  # declared after stores were written: files without it read it as NULL


@dataclass(frozen=True)
class TableSchema:
    name: str
    grain: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    time_column: str | None = None  # the column a date range is reported on
    description: str = ""

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required or c.name in self.key]

    @property
    def value_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.name not in self.key]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def arrow_schema(self, *, with_system: bool = False) -> pa.Schema:
        fields = [pa.field(c.name, ARROW_TYPES[c.type]) for c in self.columns]
        if with_system:
            fields += [pa.field(n, ARROW_TYPES[t]) for n, t in SYSTEM_COLUMNS]
        return pa.schema(fields)

    def sql_columns(self, dialect: str, *, with_system: bool = True) -> str:
        types = SQL_TYPES[dialect]
        cols = [f'"{c.name}" {types[c.type]}' for c in self.columns]
        if with_system:
            cols += [f'"{n}" {types[t]}' for n, t in SYSTEM_COLUMNS]
        return ", ".join(cols)


def _c(
    name: str,
    type_: ColumnType = "string",
    required: bool = False,
    description: str = "",
    fallback: str | None = None,
    added: bool = False,
) -> Column:
    return Column(name, type_, required, description, fallback, added)


TABLES: dict[str, TableSchema] = {
    t.name: t
    for t in (
        TableSchema(
            "accounts",
            grain="company",
            key=("account_id",),
            time_column="created_at",
            columns=(
                _c("account_id", required=True),
                _c("name", required=True),
                _c("domain"),
                _c("industry"),
                _c("employees", "int"),
                _c("annual_revenue", "float", description="in the workspace currency"),
                _c("country"),
                _c("created_at", "timestamp"),
                _c(
                    "technologies",
                    "list",
                    description="technologies the company uses (CRM, ERP, ...), for ICP fit rules",
                    added=True,
                ),
            ),
        ),
        TableSchema(
            "people",
            grain="contact",
            key=("person_id",),
            time_column="created_at",
            columns=(
                _c("person_id", required=True),
                _c("account_id"),
                _c("email"),
                _c("title"),
                _c("created_at", "timestamp", required=True),
                _c("lead_at", "timestamp"),
                _c("mql_at", "timestamp"),
                _c("sql_at", "timestamp"),
                _c("lead_source"),
                _c(
                    "department",
                    description="the person's department, for persona rules",
                    added=True,
                ),
            ),
        ),
        TableSchema(
            "touchpoints",
            grain="one interaction",
            key=("touch_id",),
            time_column="ts",
            columns=(
                _c("touch_id", required=True),
                _c("ts", "timestamp", required=True),
                _c("person_id"),
                _c("account_id"),
                _c("channel", required=True),
                _c("program_id"),
                _c("asset_id"),
                _c("touch_type", required=True),
            ),
        ),
        TableSchema(
            "spend",
            grain="day × program × platform campaign",
            key=("date", "channel", "platform", "program_id", "campaign"),
            time_column="date",
            columns=(
                _c("date", "date", required=True),
                _c("channel", required=True),
                _c("platform", required=True),
                _c("program_id", required=True),
                _c(
                    "campaign",
                    required=True,
                    description="the platform's campaign: its id when the export has one, else "
                    "its name; a source without campaigns has one per program (its program_id)",
                    fallback="program_id",
                ),
                _c("amount", "float", required=True, description="in `currency`"),
                _c("currency", required=True),
                _c("impressions", "int"),
                _c("clicks", "int"),
                _c("conversions", "float"),
            ),
        ),
        TableSchema(
            "costs",
            grain="month × item",
            key=("month", "category", "item"),
            time_column="month",
            columns=(
                _c("month", "date", required=True, description="first day of the month"),
                _c("category", required=True, description="media, people, tools, agency, other"),
                _c("item", required=True),
                _c("amount", "float", required=True),
            ),
        ),
        TableSchema(
            "opportunities",
            grain="deal (latest state)",
            key=("opp_id",),
            time_column="created_at",
            columns=(
                _c("opp_id", required=True),
                _c("account_id"),
                _c("created_at", "timestamp", required=True),
                _c("amount", "float"),
                _c("stage", required=True),
                _c("close_date", "date"),
                _c("is_closed", "bool", required=True),
                _c("is_won", "bool", required=True),
                _c("source"),
            ),
        ),
        TableSchema(
            "opportunity_history",
            grain="stage/amount change",
            key=("opp_id", "changed_at"),
            time_column="changed_at",
            columns=(
                _c("opp_id", required=True),
                _c("changed_at", "timestamp", required=True),
                _c("stage", required=True),
                _c("amount", "float"),
                _c("is_closed", "bool"),
                _c("is_won", "bool"),
            ),
        ),
        TableSchema(
            "assets",
            grain="content item",
            key=("asset_id",),
            time_column="published_at",
            columns=(
                _c("asset_id", required=True),
                _c("title", required=True),
                _c("type", required=True),
                _c("pillar"),
                _c("segments", "list"),
                _c("persona"),
                _c("status", required=True),
                _c("published_at", "timestamp"),
                _c("parent_asset_id"),
                _c("owner"),
            ),
        ),
        TableSchema(
            "audiences",
            grain="day × owned channel",
            key=("date", "channel"),
            time_column="date",
            columns=(
                _c("date", "date", required=True),
                _c("channel", required=True),
                _c("size", "int", required=True),
            ),
        ),
        TableSchema(
            "feedback",
            grain="response / note",
            key=("feedback_id",),
            time_column="ts",
            columns=(
                _c("feedback_id", required=True),
                _c("ts", "timestamp", required=True),
                _c("account_id"),
                _c("person_id"),
                _c("kind", required=True, description="survey, nps, win_loss, interview"),
                _c("score", "float"),
                _c("text"),
                _c("tags", "list"),
                _c("competitor"),
            ),
        ),
        TableSchema(
            "competitor_signals",
            grain="observation",
            key=("signal_id",),
            time_column="ts",
            columns=(
                _c(
                    "signal_id",
                    required=True,
                    description="from the source, or a hash of ts, competitor, kind and note",
                ),
                _c("ts", "timestamp", required=True),
                _c("competitor", required=True),
                _c("kind", required=True),
                _c("note"),
                _c("source"),
            ),
        ),
    )
}

EXTRA_TABLES: tuple[TableSchema, ...] = (
    # Aggregates platforms export without people in them: web analytics and email sends. They
    # carry the Tier 4 channel KPIs (sessions, email open and click rates).
    TableSchema(
        "web_sessions",
        grain="day × source / medium / campaign",
        key=("date", "source", "medium", "campaign"),
        time_column="date",
        columns=(
            _c("date", "date", required=True),
            _c("source", required=True),
            _c("medium", required=True),
            _c("campaign", required=True, description="'(not set)' when the visit had none"),
            _c("channel", description="from the utm rules of channels.yaml"),
            _c("program_id"),
            _c("sessions", "int", required=True),
            _c("engaged_sessions", "int"),
            _c("new_users", "int"),
            _c("key_events", "float"),
        ),
    ),
    TableSchema(
        "email_campaigns",
        grain="one email send",
        key=("campaign_id",),
        time_column="send_time",
        columns=(
            _c("campaign_id", required=True),
            _c("channel"),
            _c("program_id"),
            _c("title", required=True),
            _c("subject"),
            _c("send_time", "timestamp", required=True),
            _c("list_name"),
            _c("recipients", "int", required=True),
            _c("delivered", "int"),
            _c("unique_opens", "int"),
            _c("unique_clicks", "int"),
            _c("unsubscribes", "int"),
            _c("hard_bounces", "int"),
            _c("soft_bounces", "int"),
        ),
    ),
)
TABLES.update({t.name: t for t in EXTRA_TABLES})

# Rows that could not be read: never dropped, always shown.
QUARANTINE = TableSchema(
    "quarantine",
    grain="rejected source row",
    key=("file_sha256", "row_number"),
    time_column="quarantined_at",
    columns=(
        _c("file_sha256", required=True),
        _c("row_number", "int", required=True, description="1-based data row in the file"),
        _c("source", required=True),
        _c("file", required=True),
        _c("target_table"),
        _c("raw", required=True, description="the row's raw values as JSON"),
        _c("reason", required=True),
        _c("quarantined_at", "timestamp", required=True),
        _c("resolved_at", "timestamp", description="set when a retry loaded the row"),
    ),
)

ALL_TABLES: dict[str, TableSchema] = {**TABLES, QUARANTINE.name: QUARANTINE}


def table_schema(name: str) -> TableSchema:
    """The declared schema of a canonical table, or a StoreError that suggests the right name."""
    from demandos.errors import StoreError
    from demandos.suggest import did_you_mean

    try:
        return ALL_TABLES[name]
    except KeyError:
        raise StoreError(
            f"no canonical table named {name!r}",
            hint=did_you_mean(name, ALL_TABLES) or f"tables are: {', '.join(ALL_TABLES)}",
        ) from None
