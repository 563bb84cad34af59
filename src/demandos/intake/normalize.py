"""What every source gets after its connector: channels from UTM rules, accounts from email
domains, amounts in the workspace currency.

Each step is DuckDB SQL over the translated batch (still text), so it scales with the file. A row
a step cannot settle (an amount in a currency with no rate) is flagged with a reason, and the
common check quarantines it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from demandos.errors import IntakeError
from demandos.intake.coerce import FLAGGED
from demandos.intake.connector import trimmed
from demandos.spec import Specs
from demandos.store.facts import FactStore

UTM = ("utm_source", "utm_medium", "utm_campaign")


@dataclass(frozen=True)
class UtmRule:
    channel: str
    source: str | None = None  # glob, case-insensitive; None matches anything
    medium: str | None = None
    campaign: str | None = None


@dataclass(frozen=True)
class Rules:
    """What normalization needs from the workspace."""

    currency: str = "USD"
    utm: tuple[UtmRule, ...] = ()
    programs: dict[str, str] = field(default_factory=dict)  # lower(id or name) -> program id
    program_channels: dict[str, str] = field(default_factory=dict)  # program id -> channel id
    rates: pa.Table | None = None  # month (date), currency, rate (1 unit in workspace currency)
    domains: pa.Table | None = None  # domain, account_id: accounts already in the store


def _like(glob: str | None) -> str:
    if glob is None:
        return "%"
    return glob.lower().replace("%", r"\%").replace("_", r"\_").replace("*", "%").replace("?", "_")


def read_rates(path: Path) -> pa.Table | None:
    """``rates.csv`` in the workspace: month (YYYY-MM), currency, rate — or None if absent."""
    if not path.is_file():
        return None
    con = duckdb.connect()
    try:
        table = con.sql(
            f"SELECT CAST(strptime(month || '-01', '%Y-%m-%d') AS DATE) AS month, "
            f"upper(trim(currency)) AS currency, CAST(rate AS DOUBLE) AS rate "
            f"FROM read_csv('{path}', all_varchar=true)"
        ).to_arrow_table()
    except duckdb.Error as exc:
        raise IntakeError(
            f"rates.csv cannot be read: {str(exc).splitlines()[0]}",
            file=path,
            hint="write it as CSV with columns month (YYYY-MM), currency (EUR), rate "
            "(one unit in the workspace currency)",
        ) from exc
    finally:
        con.close()
    return table


def normalize(table: str, batch: pa.Table, rules: Rules) -> pa.Table:
    """Apply the steps that concern ``table`` to a translated batch."""
    con = duckdb.connect()
    try:
        con.register("batch", batch)
        return con.sql(f"SELECT * FROM {normalized(con, table, 'batch', rules)}").to_arrow_table()
    finally:
        con.close()


def normalized(con: duckdb.DuckDBPyConnection, table: str, relation: str, rules: Rules) -> str:
    """A view of ``relation`` (a batch for ``table``) with the steps that concern it; its name.

    The steps are views over one another: nothing is computed until the view is read, once.
    Lookups (UTM rules, programs, domains, rates) are joins, never a subquery per row.
    """
    names = set(_columns(con, relation))
    current = relation
    if "channel" in names and set(UTM) <= names:
        current = _channels(con, table, current, rules)
    if table == "people" and {"email", "account_id"} <= names and rules.domains is not None:
        current = _accounts_by_domain(con, table, current, rules)
    if {"amount", "currency"} <= names and table == "spend":
        current = _convert(con, table, current, rules)
    return current


def _register(con: duckdb.DuckDBPyConnection, name: str, columns: dict[str, pa.Array]) -> None:
    con.register(name, pa.table(columns))


def _channels(con: duckdb.DuckDBPyConnection, table: str, current: str, rules: Rules) -> str:
    """Fill ``channel`` (first matching UTM rule) and ``program_id`` where the source left them.

    The rules are matched once per distinct (source, medium, campaign), then joined back.
    """
    rows = [
        (i, r.channel, _like(r.source), _like(r.medium), _like(r.campaign))
        for i, r in enumerate(rules.utm)
    ]
    _register(
        con,
        "__utm_rules",
        {
            "priority": pa.array([r[0] for r in rows], pa.int64()),
            "channel": pa.array([r[1] for r in rows], pa.string()),
            "source": pa.array([r[2] for r in rows], pa.string()),
            "medium": pa.array([r[3] for r in rows], pa.string()),
            "campaign": pa.array([r[4] for r in rows], pa.string()),
        },
    )
    _register(
        con,
        "__programs",
        {
            "key": pa.array(list(rules.programs), pa.string()),
            "program_id": pa.array(list(rules.programs.values()), pa.string()),
        },
    )
    combos = f"{table}__utm"
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW {combos} AS "
        "SELECT c.utm_source, c.utm_medium, c.utm_campaign, "
        "arg_min(r.channel, r.priority) AS rule_channel, "
        # the campaign's own name when no program claims it, trimmed here (once per distinct
        # campaign), not on every row
        "COALESCE(any_value(p.program_id), NULLIF(trim(c.utm_campaign), '')) AS program "
        "FROM (SELECT DISTINCT utm_source, utm_medium, utm_campaign "
        f"FROM {current}) c "
        "LEFT JOIN __utm_rules r "
        "ON lower(COALESCE(c.utm_source, '')) LIKE r.source ESCAPE '\\' "
        "AND lower(COALESCE(c.utm_medium, '')) LIKE r.medium ESCAPE '\\' "
        "AND lower(COALESCE(c.utm_campaign, '')) LIKE r.campaign ESCAPE '\\' "
        "LEFT JOIN __programs p ON p.key = lower(trim(c.utm_campaign)) "
        "GROUP BY c.utm_source, c.utm_medium, c.utm_campaign"
    )
    # A campaign no program claims keeps its own name: spend is never dropped for it, and the
    # kernel's conformance report shows it as unmapped.
    program = (
        ", COALESCE(NULLIF(b.program_id, ''), u.program) AS program_id"
        if "program_id" in _columns(con, current)
        else ""
    )
    view = f"{table}__channels"
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT b.* REPLACE ("
        f"COALESCE(NULLIF(b.channel, ''), u.rule_channel) AS channel{program}) "
        f"FROM {current} b LEFT JOIN {combos} u "
        "ON b.utm_source IS NOT DISTINCT FROM u.utm_source "
        "AND b.utm_medium IS NOT DISTINCT FROM u.utm_medium "
        "AND b.utm_campaign IS NOT DISTINCT FROM u.utm_campaign"
    )
    if program and rules.program_channels:  # no UTM rule matched: the program's own channel
        _register(
            con,
            "__program_channels",
            {
                "program_id": pa.array(list(rules.program_channels), pa.string()),
                "channel": pa.array(list(rules.program_channels.values()), pa.string()),
            },
        )
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW {table}__program_channels AS "
            "SELECT w.* REPLACE (COALESCE(w.channel, pc.channel) AS channel) "
            f"FROM {view} w LEFT JOIN __program_channels pc ON pc.program_id = w.program_id"
        )
        return f"{table}__program_channels"
    return view


def _accounts_by_domain(
    con: duckdb.DuckDBPyConnection, table: str, current: str, rules: Rules
) -> str:
    """A person without an account joins the account whose domain their email has."""
    con.register("__domains", rules.domains)
    view = f"{table}__accounts"
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT b.* REPLACE ("
        "COALESCE(NULLIF(b.account_id, ''), d.account_id) AS account_id) "
        f"FROM {current} b LEFT JOIN (SELECT domain, min(account_id) AS account_id "
        "FROM __domains GROUP BY domain) d ON d.domain = lower(split_part(b.email, '@', 2))"
    )
    return view


def _convert(con: duckdb.DuckDBPyConnection, table: str, current: str, rules: Rules) -> str:
    """Amounts in another currency × the month's rate; no rate ⇒ the row is flagged.

    A row the connector flagged already keeps its reason, and gets this one after it.
    """
    rates = rules.rates
    if rates is None:
        rates = pa.table(
            {
                "month": pa.array([], pa.date32()),
                "currency": pa.array([], pa.string()),
                "rate": pa.array([], pa.float64()),
            }
        )
    con.register("__rates", rates)
    has_flag = FLAGGED in _columns(con, current)
    workspace = rules.currency.upper()
    foreign = f"(b.__currency <> '{workspace}' AND b.__currency <> '')"
    amount = "TRY_CAST(b.amount AS DOUBLE)"
    missing = (
        "'no exchange rate for ' || b.__currency || ' in ' || "
        "COALESCE(strftime(b.__date, '%Y-%m'), 'that month') || ': add it to rates.csv'"
    )
    own = f"NULLIF(b.{FLAGGED}, '')" if has_flag else "NULL"  # the connector's reason first
    kept = f"b.{FLAGGED}" if has_flag else "CAST(NULL AS VARCHAR)"
    flag = (
        f"CASE WHEN {foreign} AND b.__rate IS NULL THEN concat_ws('; ', {own}, {missing}) "
        f"ELSE {kept} END AS {FLAGGED}"
    )
    replaced = [
        f"CASE WHEN {foreign} AND {amount} IS NOT NULL AND b.__rate IS NOT NULL "
        f"THEN CAST({amount} * b.__rate AS VARCHAR) ELSE b.amount END AS amount",
        f"CASE WHEN {foreign} THEN '{workspace}' ELSE b.currency END AS currency",
    ]
    currency = f"upper({trimmed('s.currency')})"
    view = f"{table}__converted"
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT b.* EXCLUDE (__currency, __date, __rate) "
        f"REPLACE ({', '.join(replaced + ([flag] if has_flag else []))})"
        f"{'' if has_flag else ', ' + flag} "
        f"FROM (SELECT s.*, {currency} AS __currency, "
        "TRY_CAST(s.date AS DATE) AS __date, r.rate AS __rate "
        f"FROM {current} s LEFT JOIN (SELECT month, currency, any_value(rate) AS rate "
        "FROM __rates GROUP BY month, currency) r "
        f"ON r.currency = {currency} "
        "AND r.month = date_trunc('month', TRY_CAST(s.date AS DATE))) b"
    )
    return view


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> Sequence[str]:
    return [row[0] for row in con.execute(f"DESCRIBE {relation}").fetchall()]


def rules_for(specs: Specs, facts: FactStore) -> Rules:
    """The normalization rules of a workspace: its channels, programs, rates and accounts."""
    utm = tuple(
        UtmRule(channel.id, rule.source, rule.medium, rule.campaign)
        for channel in specs.channels.channels
        for rule in channel.utm
    )
    programs: dict[str, str] = {}
    for program in specs.channels.programs:
        programs[program.name.strip().lower()] = program.id
        programs[program.id.lower()] = program.id
    accounts = facts.table("accounts")
    domains = (
        accounts.filter(accounts.domain.notnull())
        .select(domain=accounts.domain.lower(), account_id=accounts.account_id)
        .to_pyarrow()
    )
    return Rules(
        currency=specs.workspace.currency,
        utm=utm,
        programs=programs,
        program_channels={p.id: p.channel for p in specs.channels.programs},
        rates=read_rates(specs.root / "rates.csv"),
        domains=domains,
    )
