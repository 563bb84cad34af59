"""``demandos.yaml``: what the workspace is called, its calendar, and where its data lives."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, model_validator

from demandos.errors import Finding, Location, SpecError
from demandos.spec.fields import Currency, SpecModel, Text, Timezone, Weekday, spec_error
from demandos.spec.workflows import BusinessHours

_ENV_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


def expand_env(value: str, *, field: str, environ: Mapping[str, str] | None = None) -> str:
    """Replace every ``${VAR}`` in ``value``; a variable that is not set is a SpecError."""
    env = os.environ if environ is None else environ
    missing = [name for name in _ENV_VAR.findall(value) if name not in env]
    if missing:
        names = ", ".join(missing)
        raise SpecError(
            Finding(
                "error",
                Location("demandos.yaml"),
                field,
                f"environment variable {names} is not set",
                f"set {names} before running demandos (e.g. `export {missing[0]}=…`), "
                "or change the URL in demandos.yaml",
                rule="env",
            )
        )
    return _ENV_VAR.sub(lambda m: env[m[1]], value)


def literal_password(url: str) -> bool:
    """True when ``url`` carries a password written out rather than taken from ``${VAR}``."""
    try:
        password = urlsplit(url).password
    except ValueError:
        return False
    return bool(password) and not _ENV_VAR.fullmatch(password or "")


class SparkSettings(SpecModel):
    """How the spark backend reaches Spark (``store.backend: spark``)."""

    master: str = Field(
        "local[*]",
        min_length=1,
        description="Spark master: local[*] runs Spark inside demandos; spark://host:7077, yarn "
        "or k8s://… use a cluster that can read the facts folder",
        examples=["local[4]", "spark://spark.internal:7077"],
    )
    config: dict[str, str] = Field(
        default_factory=dict,
        description="Spark settings for the session demandos starts (spark.* keys)",
        examples=[{"spark.driver.memory": "4g"}],
    )
    cache: bool = Field(
        True,
        description="keep the tables a run reads in Spark's cache (memory, spilling to disk)",
    )


class StoreSettings(SpecModel):
    """Where facts and the operating log are kept."""

    backend: Literal["embedded", "postgres", "spark"] = Field(
        "embedded",
        description="embedded: Parquet files in .demandos/ read by DuckDB (no server); postgres: "
        "a shared server; spark: the embedded files read through Spark",
    )
    url: str | None = Field(
        None,
        description="postgres: the database URL (required); spark: the facts folder, default "
        ".demandos/facts. Write secrets as ${ENV_VAR}",
        examples=["postgresql://demandos:${DEMANDOS_DB_PASSWORD}@db.internal:5432/marketing"],
    )
    spark: SparkSettings = Field(
        default_factory=SparkSettings, description="Spark master and settings (spark only)"
    )
    db_schema: str = Field(
        "demandos",
        alias="schema",
        pattern=r"^[a-z_][a-z0-9_]*$",
        description="database schema that holds the canonical tables",
    )
    log_url: str | None = Field(
        None,
        description="operating log (reviews, decisions, actions) URL; default SQLite in .demandos/",
    )

    @model_validator(mode="after")
    def _postgres_needs_url(self) -> StoreSettings:
        if self.backend == "postgres" and not self.url:
            raise spec_error(
                "backend 'postgres' needs a url",
                "add `url: postgresql://user:${DEMANDOS_DB_PASSWORD}@host:5432/db` under store",
            )
        if self.backend == "postgres" and self.url and not self.url.startswith(("postgres", "${")):
            raise spec_error(
                f"backend 'postgres' needs a postgresql:// url, got {self.url.split(':')[0]}://",
                "write the url as postgresql://user:${PASSWORD_VAR}@host:5432/database",
            )
        scheme = _SCHEME.match(self.url or "")
        if self.backend == "spark" and scheme and scheme[1] != "file":
            raise spec_error(
                f"backend 'spark' reads a facts folder, not a {scheme[1]}:// url",
                "set url to a folder path every Spark worker can read (e.g. a shared mount), "
                "or leave it out for .demandos/facts",
            )
        return self

    def resolved_url(self, environ: Mapping[str, str] | None = None) -> str | None:
        """The data URL with ``${VAR}`` expanded; None means the embedded default."""
        if self.url is None:
            return None
        url = expand_env(self.url, field="store.url", environ=environ)
        if self.backend == "postgres" and not url.startswith("postgres"):
            raise SpecError(
                Finding(
                    "error",
                    Location("demandos.yaml"),
                    "store.url",
                    f"backend 'postgres' needs a postgresql:// url, got {url.split(':')[0]}://",
                    "set the variable to postgresql://user:password@host:5432/database",
                    rule="env",
                )
            )
        return url

    def resolved_log_url(self, environ: Mapping[str, str] | None = None) -> str | None:
        """The operating-log URL with ``${VAR}`` expanded; None means SQLite in .demandos/."""
        if self.log_url is None:
            return None
        return expand_env(self.log_url, field="store.log_url", environ=environ)


class WorkspaceSpec(SpecModel):
    """``demandos.yaml``: the workspace as a whole."""

    name: Text = Field(description="the company or team this workspace runs demand for")
    description: str = Field("", description="one line on what this workspace is for")
    timezone: Timezone = Field(
        "UTC", description="IANA timezone of rituals and reporting days", examples=["Europe/Berlin"]
    )
    currency: Currency = Field(
        "USD", description="ISO 4217 currency of spend, costs and pipeline", examples=["EUR"]
    )
    fiscal_year_start_month: int = Field(
        1, ge=1, le=12, description="month the fiscal year starts, 1 = January", examples=[4]
    )
    week_start: Weekday = Field("monday", description="the day reporting weeks start")
    gross_margin: float = Field(
        0.8,
        gt=0,
        le=1,
        allow_inf_nan=False,
        description="gross margin as a fraction, for CAC payback (0.8 = 80%)",
        examples=[0.75],
    )
    store: StoreSettings = Field(
        default_factory=StoreSettings, description="where facts and the operating log live"
    )
    business_hours: BusinessHours = Field(
        default_factory=BusinessHours,
        description="the working week (days, start, end, holidays) that workflows with "
        "`clock: business` count their SLAs in; default mon-fri 09:00-17:00",
    )
