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
    names = set(batch.column_names)
    con = duckdb.connect()
    try:
        con.register("batch", batch)
        current = "batch"
        if "channel" in names and set(UTM) <= names:
            current = _channels(con, current, rules)
        if table == "people" and {"email", "account_id"} <= names and rules.domains is not None:
            current = _accounts_by_domain(con, current, rules)
        if {"amount", "currency"} <= names and table == "spend":
            current = _convert(con, current, rules)
        return con.sql(f"SELECT * FROM {current}").to_arrow_table()
    finally:
        con.close()


def _channels(con: duckdb.DuckDBPyConnection, current: str, rules: Rules) -> str:
    """Fill ``channel`` (first matching UTM rule) and ``program_id`` where the source left them."""
    rows = [
        (i, r.channel, _like(r.source), _like(r.medium), _like(r.campaign))
        for i, r in enumerate(rules.utm)
    ]
    con.register(
        "utm_rules",
        pa.table(
            {
                "priority": pa.array([r[0] for r in rows], pa.int64()),
                "channel": pa.array([r[1] for r in rows], pa.string()),
                "source": pa.array([r[2] for r in rows], pa.string()),
                "medium": pa.array([r[3] for r in rows], pa.string()),
                "campaign": pa.array([r[4] for r in rows], pa.string()),
            }
        ),
    )
    con.register(
        "programs",
        pa.table(
            {
                "key": pa.array(list(rules.programs), pa.string()),
                "program_id": pa.array(list(rules.programs.values()), pa.string()),
            }
        ),
    )
    # A campaign no program claims keeps its own name: spend is never dropped for it, and the
    # kernel's conformance report shows it as unmapped.
    program = (
        ", COALESCE(NULLIF(b.program_id, ''), (SELECT p.program_id FROM programs p "
        "WHERE p.key = lower(trim(b.utm_campaign))), NULLIF(trim(b.utm_campaign), '')) "
        "AS program_id"
        if "program_id" in _columns(con, current)
        else ""
    )
    con.execute(
        f"CREATE TEMP TABLE with_channels AS SELECT b.* REPLACE ("
        f"COALESCE(NULLIF(b.channel, ''), (SELECT r.channel FROM utm_rules r "
        f"WHERE lower(COALESCE(b.utm_source, '')) LIKE r.source ESCAPE '\\' "
        f"AND lower(COALESCE(b.utm_medium, '')) LIKE r.medium ESCAPE '\\' "
        f"AND lower(COALESCE(b.utm_campaign, '')) LIKE r.campaign ESCAPE '\\' "
        f"ORDER BY r.priority LIMIT 1)) AS channel{program}) FROM {current} b"
    )
    if program and rules.program_channels:  # no UTM rule matched: the program's own channel
        con.register(
            "program_channels",
            pa.table(
                {
                    "program_id": pa.array(list(rules.program_channels), pa.string()),
                    "channel": pa.array(list(rules.program_channels.values()), pa.string()),
                }
            ),
        )
        con.execute(
            "CREATE TEMP TABLE with_program_channels AS SELECT w.* REPLACE (COALESCE(w.channel, "
            "(SELECT pc.channel FROM program_channels pc WHERE pc.program_id = w.program_id)) "
            "AS channel) FROM with_channels w"
        )
        return "with_program_channels"
    return "with_channels"


def _accounts_by_domain(con: duckdb.DuckDBPyConnection, current: str, rules: Rules) -> str:
    """A person without an account joins the account whose domain their email has."""
    con.register("domains", rules.domains)
    con.execute(
        "CREATE TEMP TABLE with_accounts AS SELECT b.* REPLACE ("
        f"COALESCE(NULLIF(b.account_id, ''), "
        f"(SELECT min(d.account_id) FROM domains d WHERE d.domain = "
        f"lower(split_part(b.email, '@', 2)))) AS account_id) FROM {current} b"
    )
    return "with_accounts"


def _convert(con: duckdb.DuckDBPyConnection, current: str, rules: Rules) -> str:
    """Amounts in another currency × the month's rate; no rate ⇒ the row is flagged."""
    if rules.rates is not None:
        con.register("rates", rules.rates)
    else:
        con.execute("CREATE TEMP TABLE rates (month DATE, currency VARCHAR, rate DOUBLE)")
    if FLAGGED not in _columns(con, current):
        con.execute(
            f"CREATE TEMP TABLE flaggable AS SELECT *, CAST(NULL AS VARCHAR) AS {FLAGGED} "
            f"FROM {current}"
        )
        current = "flaggable"
    workspace = rules.currency.upper()
    rate = (
        "(SELECT r.rate FROM rates r WHERE r.currency = upper(trim(b.currency)) "
        "AND r.month = date_trunc('month', TRY_CAST(b.date AS DATE)))"
    )
    foreign = f"(upper(trim(b.currency)) <> '{workspace}' AND trim(b.currency) <> '')"
    amount = "TRY_CAST(b.amount AS DOUBLE)"
    con.execute(
        f"CREATE TEMP TABLE converted AS SELECT b.* REPLACE ("
        f"CASE WHEN {foreign} AND {amount} IS NOT NULL AND {rate} IS NOT NULL "
        f"THEN CAST({amount} * {rate} AS VARCHAR) ELSE b.amount END AS amount, "
        f"CASE WHEN {foreign} THEN '{workspace}' ELSE b.currency END AS currency, "
        f"CASE WHEN {foreign} AND {rate} IS NULL THEN 'no exchange rate for ' || "
        f"upper(trim(b.currency)) || ' in ' || "
        f"COALESCE(strftime(TRY_CAST(b.date AS DATE), '%Y-%m'), 'that month') || "
        f"': add it to rates.csv' ELSE b.{FLAGGED} END AS {FLAGGED}) FROM {current} b"
    )
    return "converted"


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
