"""The fact store: canonical tables with history, embedded (Parquet + DuckDB) or on PostgreSQL."""

from demandos.store.facts import FactStore, Loader, LoadResult, TableSummary, open_facts
from demandos.store.schema import ALL_TABLES, QUARANTINE, TABLES, table_schema

__all__ = [
    "ALL_TABLES",
    "QUARANTINE",
    "TABLES",
    "FactStore",
    "LoadResult",
    "Loader",
    "TableSummary",
    "open_facts",
    "table_schema",
]
