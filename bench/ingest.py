"""Benchmark: ingesting platform exports, against DuckDB reading the same CSV into a table.

Two files of ``--rows`` rows each, generated in their platforms' real formats:

- an ad-platform export: LinkedIn Campaign Manager's campaign performance report (title block,
  header, one row per campaign and day) → ``spend``;
- a CRM export: HubSpot's contacts export with all properties → ``people``. When no
  ``hubspot_contacts`` connector is registered, the same file goes through the mapping connector
  (``connectors/generic.py``) instead, and the output says so; ``--generic`` runs that too.

Each case runs in its own subprocess (peak memory = max RSS of that process): ``Workspace.ingest``
into a fresh demo workspace, with every normalization step on (UTM rules, program names, rates,
accounts by email domain), and the baseline, DuckDB's own ``read_csv`` of the same file into a
table (in memory; ``+file``: into a DuckDB database file), best of three runs; wall clock and
CPU seconds (every thread: a fairer measure on a busy machine) of the timed part. ``--phases``
times the steps of one ingest (read; translate, normalize and check, which are one DuckDB query
per table; load) to say where the time goes.

    .venv/bin/python bench/ingest.py [--rows 1000000] [--generic] [--phases]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from demandos.simulate.exports.hubspot import CONTACTS_HEADER

LINKEDIN_PREAMBLE = (
    "Campaign Performance Report (in UTC)\nReport Start: 1/1/2023\nReport End: 12/31/2025\n\n"
)
LINKEDIN_SKIP = 4  # preamble lines above the header
CRM_MAPPING = """\
table: people
source: crm_contacts
columns:
  person_id: Record ID
  account_id: Associated Company IDs
  email: Email
  title: Job Title
  created_at: Create Date
  lead_at: Became a Lead Date
  mql_at: Became a Marketing Qualified Lead Date
  sql_at: Became a Sales Qualified Lead Date
  lead_source: Original Source
formats:
  created_at: ["%Y-%m-%d %H:%M"]
  lead_at: ["%Y-%m-%d %H:%M"]
  mql_at: ["%Y-%m-%d %H:%M"]
  sql_at: ["%Y-%m-%d %H:%M"]
timezone: UTC
"""


def _text(values: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(values), pa.string())


def _money(cents: np.ndarray) -> pa.Array:
    """Cents → ``1234.56``."""
    whole = _text(cents // 100)
    part = pc.utf8_lpad(_text(cents % 100), 2, "0")
    return pc.binary_join_element_wise(whole, part, ".")


def _us_dates(days: np.ndarray) -> pa.Array:
    """Days since 1970 → ``5/1/2025`` (no leading zeros)."""
    stamps = pa.array(days.astype("datetime64[D]"))
    parts = [pc.cast(f(stamps), pa.string()) for f in (pc.month, pc.day, pc.year)]
    return pc.binary_join_element_wise(*parts, "/")


def linkedin_file(path: Path, rows: int, seed: int = 7) -> None:
    """A campaign performance report: ``rows`` campaign-days (1,000 campaigns × days)."""
    rng = np.random.default_rng(seed)
    campaigns = 1_000
    index = np.arange(rows)
    day = np.datetime64("2023-01-01", "D").astype(np.int64) + index // campaigns
    campaign = index % campaigns
    names = np.array([f"Campaign {i:04d} - finance leaders" for i in range(campaigns)])
    names[0] = "LinkedIn - controllers and finance leaders"  # one a program claims
    cents = rng.integers(1_000, 150_000, rows)
    impressions = rng.integers(500, 25_000, rows)
    clicks = rng.integers(0, 200, rows)
    leads = rng.integers(0, 9, rows)
    dates = _us_dates(day)
    table = pa.table(
        {
            "Start Date (in UTC)": dates,
            "End Date (in UTC)": dates,
            "Campaign Group Name": pa.array(np.full(rows, "Default Campaign Group")),
            "Campaign Name": pa.array(names[campaign]),
            "Campaign ID": _text(500_000_000 + campaign),
            "Campaign Type": pa.array(np.full(rows, "Sponsored Content")),
            "Campaign Objective": pa.array(np.full(rows, "Lead Generation")),
            "Currency": pa.array(np.full(rows, "USD")),
            "Total Spent": _money(cents),
            "Impressions": _text(impressions),
            "Clicks": _text(clicks),
            "Average CTR": pc.binary_join_element_wise(
                _text(np.round(100 * clicks / impressions, 2)), pa.scalar(""), "%"
            ),
            "Average CPM": _money(cents * 1000 // impressions),
            "Average CPC": _money(cents // np.maximum(clicks, 1)),
            "Leads": _text(leads),
            "Cost per Lead": _money(cents // np.maximum(leads, 1)),
        }
    )
    with path.open("wb") as fh:
        fh.write(LINKEDIN_PREAMBLE.encode())
        pacsv.write_csv(table, fh, pacsv.WriteOptions(quoting_style="needed"))


# The HubSpot contacts export as the exporter writes it, for a portal without the Salesforce sync.
HUBSPOT_HEADER = tuple(c for c in CONTACTS_HEADER if not c.startswith("Salesforce"))


def _stamps(minutes: np.ndarray) -> pa.Array:
    """Minutes since 2023-01-01 → ``2025-05-01 06:30``; 0 or less → empty."""
    base = np.datetime64("2023-01-01T00:00", "m")
    stamps = (base + minutes.astype("timedelta64[m]")).astype("datetime64[s]")
    texts = pc.strftime(pa.array(stamps), "%Y-%m-%d %H:%M")
    return pc.if_else(pa.array(minutes > 0), texts, pa.scalar(""))


def hubspot_file(path: Path, rows: int, seed: int = 7) -> None:
    """A contacts export: ``rows`` contacts of rows/10 companies, a lead funnel's dates."""
    rng = np.random.default_rng(seed)
    companies = max(rows // 10, 1)
    company = rng.integers(0, companies, rows)
    first = np.array(["Julia", "Mia", "Noah", "Ava", "Hugo", "Sofia", "Tom", "Priya"])
    last = np.array(["Quintero", "Davies", "Kim", "Novak", "Eriksen", "Ellis", "Park"])
    f, la = first[rng.integers(0, 8, rows)], last[rng.integers(0, 7, rows)]
    domains = pc.binary_join_element_wise(pa.scalar("company"), _text(company), ".example", "")
    local = pc.binary_join_element_wise(
        pc.utf8_lower(pa.array(f)), pc.utf8_lower(pa.array(la)), _text(np.arange(rows)), "."
    )
    created = rng.integers(1, 1_500_000, rows)
    mql = np.where(rng.random(rows) < 0.3, created + rng.integers(60, 40_000, rows), 0)
    sql = np.where((mql > 0) & (rng.random(rows) < 0.4), mql + rng.integers(60, 40_000, rows), 0)
    sources = np.array(["Paid Search", "Paid Social", "Organic Search", "Direct Traffic", "Email"])
    stage = np.where(
        sql > 0, "Sales Qualified Lead", np.where(mql > 0, "Marketing Qualified Lead", "Lead")
    )
    company_names = pc.binary_join_element_wise(pa.scalar("Company"), _text(company), " ")
    table = pa.table(
        {
            "Record ID": _text(1_000 + np.arange(rows)),
            "First Name": pa.array(f),
            "Last Name": pa.array(la),
            "Became a Lead Date": _stamps(created),
            "Became a Marketing Qualified Lead Date": _stamps(mql),
            "Became a Sales Qualified Lead Date": _stamps(sql),
            "Company Name": company_names,
            "Country/Region": pa.array(np.full(rows, "US")),
            "Create Date": _stamps(created),
            "Email": pc.binary_join_element_wise(local, domains, "@"),
            "Job Title": pa.array(np.full(rows, "VP Finance")),
            "Lifecycle Stage": pa.array(stage),
            "Original Source": pa.array(sources[rng.integers(0, 5, rows)]),
            "Original Source Drill-Down 1": pa.array(np.full(rows, "")),
            "Original Source Drill-Down 2": pa.array(np.full(rows, "")),
            "Persona": pa.array(np.full(rows, "finance_leader")),
            "Associated Company": company_names,
            "Associated Company IDs": _text(4_000_000_000 + company),
        }
    )
    assert tuple(table.column_names) == HUBSPOT_HEADER
    pacsv.write_csv(table, path, pacsv.WriteOptions(quoting_style="needed"))


# -- cases, each in its own process -----------------------------------------------------------


def _workspace(folder: Path) -> Path:
    from demandos.simulate.company import write_company
    from demandos.simulate.params import NORTHWIND

    root = folder / "ws"
    write_company(root, NORTHWIND)
    return root


def case_ingest(path: Path, folder: Path, mapping: Path | None) -> dict[str, Any]:
    from demandos import Workspace
    from demandos.intake.connectors.generic import ingest_mapped

    root = _workspace(folder)
    with Workspace.open(root) as ws:
        # open the store and the operating log (created with the workspace's first command)
        # before the clock starts: the ingest is timed, not the workspace's setup
        ws.summary()
        assert ws.log.revision() is not None
        start, cpu = time.perf_counter(), time.process_time()
        if mapping:
            report = ingest_mapped(ws, path, mapping)
        else:
            [report] = ws.ingest([path])
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {
        "wall": wall,
        "cpu": cpu,
        "rows": report.rows,
        "inserted": report.total("inserted"),
        "quarantined": report.quarantined,
        "source": report.source,
    }


def case_baseline(path: Path, folder: Path, skip: int, to_file: bool) -> dict[str, Any]:
    import duckdb

    con = duckdb.connect(str(folder / "baseline.duckdb") if to_file else ":memory:")
    start, cpu = time.perf_counter(), time.process_time()
    con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{path}', skip={skip}, header=true)")
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    [(rows,)] = con.execute("SELECT count(*) FROM t").fetchall()
    con.close()
    return {"wall": wall, "cpu": cpu, "rows": rows}


def case_phases(path: Path, folder: Path) -> dict[str, Any]:
    """The steps of ``ingest_file`` timed one by one (the same calls, in the same order)."""
    from concurrent.futures import ThreadPoolExecutor

    import duckdb

    from demandos import Workspace
    from demandos.intake.coerce import check, file_sha256
    from demandos.intake.ingest import SOURCE_JSON, read_file, translated
    from demandos.intake.normalize import normalized, rules_for
    from demandos.intake.registry import detect
    from demandos.store.schema import TABLES

    root = _workspace(folder)
    out: dict[str, Any] = {}
    with Workspace.open(root) as ws:
        ws.summary()
        assert ws.log.revision() is not None
        clock = time.perf_counter()

        def lap(name: str) -> None:
            nonlocal clock
            now = time.perf_counter()
            out[name] = now - clock
            clock = now

        rules = rules_for(ws.specs, ws.facts)
        connector, line = detect(path)
        lap("detect")
        with ThreadPoolExecutor(max_workers=1) as pool:  # as ingest_file: hashed while read
            sha256 = pool.submit(file_sha256, path)
            raw = read_file(path, connector, line)
            sha256.result()
        lap("read (pyarrow csv) + sha256")
        con = duckdb.connect()
        views = translated(con, connector, raw.table, ws.intake_context(), raw_json=False)
        views = {t: normalized(con, t, v, rules) for t, v in views.items()}
        coerced = {
            t: check(
                con,
                v,
                TABLES[t],
                rows=SOURCE_JSON,
                source=connector.name,
                file=str(path),
                sha256="x",
            )
            for t, v in views.items()
        }
        con.close()
        lap("translate + normalize + check")
        with ws.facts.transaction(source=connector.name) as tx:
            for table, c in coerced.items():
                tx.load(table, c.rows, order=c.order)
        lap("load (merge + snapshot)")
    return out


def child(args: argparse.Namespace) -> None:
    folder = Path(args.dir)
    if args.case == "ingest":
        result = case_ingest(args.file, folder, args.mapping)
    elif args.case == "phases":
        result = case_phases(args.file, folder)
    else:
        result = case_baseline(args.file, folder, args.skip, args.case == "baseline-file")
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def run(case: str, file: Path, *, skip: int = 0, mapping: Path | None = None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, __file__, "--case", case, "--file", str(file), "--dir", tmp]
        command += ["--skip", str(skip)] + (["--mapping", str(mapping)] if mapping else [])
        proc = subprocess.run(command, capture_output=True, text=True, check=False)
    if proc.returncode:
        raise SystemExit(f"{case} failed:\n{proc.stderr}")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def report(label: str, file: Path, skip: int, mapping: Path | None, phases: bool) -> None:
    ours = run("ingest", file, skip=skip, mapping=mapping)
    # the baselines are short and the machine may be busy: the best of three, to be fair to them
    base = min((run("baseline", file, skip=skip) for _ in range(3)), key=lambda r: r["wall"])
    on_disk = min(
        (run("baseline-file", file, skip=skip) for _ in range(3)), key=lambda r: r["wall"]
    )
    size = file.stat().st_size / 1e6
    print(f"\n{label}: {file.name}, {ours['rows']:,} rows, {size:,.0f} MB, source {ours['source']}")
    print(f"  stored {ours['inserted']:,}, quarantined {ours['quarantined']:,}")
    # CPU seconds of every thread, for a busy machine, where the wall clock says less
    print(f"  {'':<34}{'wall s':>8}{'rows/s':>11}{'peak MB':>9}{'ratio':>8}{'CPU s':>8}")
    for name, r in (
        ("demandos ingest", ours),
        ("DuckDB read_csv → table", base),
        ("DuckDB read_csv → table (+file)", on_disk),
    ):
        ratio = r["wall"] / base["wall"]
        print(
            f"  {name:<34}{r['wall']:>8.2f}{ours['rows'] / r['wall']:>11,.0f}"
            f"{r['peak_mb']:>9,.0f}{ratio:>7.1f}x{r['cpu']:>8.2f}"
        )
    verdict = "within" if ours["wall"] <= 3 * base["wall"] else "NOT within"
    print(
        f"  → {verdict} 3x of DuckDB's read_csv into a table "
        f"(by CPU seconds {ours['cpu'] / base['cpu']:.1f}x)"
    )
    if phases and mapping is None:
        steps = run("phases", file, skip=skip)
        total = sum(v for k, v in steps.items() if k != "peak_mb")
        print("  where the time goes (one ingest, step by step):")
        for name, seconds in steps.items():
            if name != "peak_mb":
                print(f"    {name:<30}{seconds:>7.2f} s {100 * seconds / total:>5.0f}%")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--generic", action="store_true", help="also ingest the CRM file mapped")
    parser.add_argument("--phases", action="store_true", help="time each step of an ingest")
    parser.add_argument("--case", choices=["ingest", "phases", "baseline", "baseline-file"])
    parser.add_argument("--file", type=Path)
    parser.add_argument("--dir")
    parser.add_argument("--skip", type=int, default=0)
    parser.add_argument("--mapping", type=Path)
    args = parser.parse_args()
    if args.case:
        child(args)
        return
    from demandos.intake.registry import connectors

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        ads, crm = folder / "linkedin_campaign_performance.csv", folder / "hubspot_contacts.csv"
        start = time.perf_counter()
        linkedin_file(ads, args.rows)
        hubspot_file(crm, args.rows)
        mapping = folder / "contacts.mapping.yaml"
        mapping.write_text(CRM_MAPPING)
        # the files' pages reach the disk now, not while the first case (the ingest) runs
        os.sync()
        print(f"generated 2 × {args.rows:,} rows in {time.perf_counter() - start:.1f} s")
        report("ad platform (LinkedIn)", ads, LINKEDIN_SKIP, None, args.phases)
        if "hubspot_contacts" in connectors():
            report("CRM (HubSpot contacts)", crm, 0, None, args.phases)
        else:
            print(
                "\nno hubspot_contacts connector is registered: the CRM file goes through the "
                "mapping connector"
            )
        if args.generic or "hubspot_contacts" not in connectors():
            report("CRM (HubSpot contacts, mapping connector)", crm, 0, mapping, False)


if __name__ == "__main__":
    main()
