"""demandos.yaml: the store settings, env-var URLs and credentials."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from demandos.errors import SpecError
from demandos.spec import StoreSettings, WorkspaceSpec
from demandos.spec.workspace import literal_password


def test_defaults() -> None:
    spec = WorkspaceSpec(name="Acme")
    assert (spec.timezone, spec.currency, spec.fiscal_year_start_month) == ("UTC", "USD", 1)
    assert spec.week_start == "monday"
    assert spec.store == StoreSettings()
    assert spec.store.backend == "embedded" and spec.store.db_schema == "demandos"
    assert spec.store.resolved_url() is None and spec.store.resolved_log_url() is None


def test_resolved_url_expands_environment_variables() -> None:
    store = StoreSettings(
        backend="postgres",
        url="postgresql://demandos:${DB_PASSWORD}@${DB_HOST}:5432/marketing",
        log_url="sqlite:///${LOG_DIR}/log.db",
    )
    env = {"DB_PASSWORD": "s3cret", "DB_HOST": "db.internal", "LOG_DIR": "/var/demandos"}
    assert store.resolved_url(env) == "postgresql://demandos:s3cret@db.internal:5432/marketing"
    assert store.resolved_log_url(env) == "sqlite:////var/demandos/log.db"


def test_resolved_url_reads_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMANDOS_TEST_PW", "pw")
    store = StoreSettings(backend="postgres", url="postgresql://u:${DEMANDOS_TEST_PW}@h/db")
    assert store.resolved_url() == "postgresql://u:pw@h/db"


def test_missing_environment_variable_is_named() -> None:
    store = StoreSettings(backend="postgres", url="postgresql://u:${DB_PASSWORD}@${DB_HOST}/db")
    with pytest.raises(SpecError) as info:
        store.resolved_url({"DB_HOST": "h"})
    assert info.value.finding.message == "environment variable DB_PASSWORD is not set"
    assert info.value.file == "demandos.yaml" and info.value.field == "store.url"
    assert info.value.hint is not None and "export DB_PASSWORD=" in info.value.hint


@pytest.mark.parametrize(
    ("store", "message"),
    [
        ({"backend": "postgres"}, "backend 'postgres' needs a url"),
        (
            {"backend": "postgres", "url": "mysql://h/db"},
            "backend 'postgres' needs a postgresql:// url, got mysql://",
        ),
    ],
)
def test_postgres_needs_a_postgres_url(store: dict[str, str], message: str) -> None:
    with pytest.raises(ValidationError) as info:
        StoreSettings.model_validate(store)
    assert info.value.errors()[0]["msg"] == message


def test_spark_settings() -> None:
    spark = {"master": "spark://spark.internal:7077", "config": {"spark.driver.memory": "4g"}}
    store = StoreSettings.model_validate({"backend": "spark", "url": "/mnt/f", "spark": spark})
    assert store.spark.master == "spark://spark.internal:7077"
    assert dict(store.spark.config) == {"spark.driver.memory": "4g"}
    assert StoreSettings(backend="spark").spark.master == "local[*]"
    with pytest.raises(ValidationError) as info:
        StoreSettings.model_validate({"backend": "spark", "url": "s3a://bucket/facts"})
    assert info.value.errors()[0]["msg"] == "backend 'spark' reads a facts folder, not a s3a:// url"
    with pytest.raises(ValidationError):
        StoreSettings.model_validate({"backend": "spark", "spark": {"mastr": "local"}})


@pytest.mark.parametrize(
    ("url", "literal"),
    [
        ("postgresql://u:hunter2@h/db", True),
        ("postgresql://u:${PW}@h/db", False),
        ("postgresql://u@h/db", False),
        ("postgresql://h/db", False),
    ],
)
def test_literal_password(url: str, literal: bool) -> None:
    assert literal_password(url) is literal


def test_schema_is_written_as_schema() -> None:
    assert StoreSettings.model_validate({"schema": "mkt"}).db_schema == "mkt"
    with pytest.raises(ValidationError):
        StoreSettings.model_validate({"db_schema": "mkt"})


@pytest.mark.parametrize("month", [0, 13])
def test_fiscal_year_start_month_is_a_month(month: int) -> None:
    with pytest.raises(ValidationError):
        WorkspaceSpec(name="Acme", fiscal_year_start_month=month)
