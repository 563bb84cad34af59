"""The simulation engine's output: schemas, keys, references, the window, determinism, chunking.

One small simulation is shared by the module (about a second); the determinism and chunking
tests run a few more.
"""

from __future__ import annotations

import fnmatch
import hashlib
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from ruamel.yaml import YAML

import demandos.spec
from demandos.progress import CapturedProgress
from demandos.simulate.engine import SimulationSummary, simulate
from demandos.simulate.params import NORTHWIND, SIZES
from demandos.simulate.parts import OUTPUT_TABLES, output_schema
from demandos.simulate.truth import GROUND_TRUTH_FILE, PARAMETERS_FILE
from demandos.store.schema import TABLES

SEED = 11
END = datetime(2026, 11, 1)  # NORTHWIND: 18 months from 2025-05-01


@dataclass(frozen=True)
class Run:
    summary: SimulationSummary
    out: Path
    truth: Path

    def table(self, name: str) -> pa.Table:
        parts = sorted((self.out / name).glob("part-*.parquet"))
        return pa.concat_tables([pq.read_table(p) for p in parts])

    def df(self, name: str) -> pd.DataFrame:
        return self.table(name).to_pandas()


def _run(root: Path, seed: int = SEED, **size_changes: int) -> Run:
    size = replace(SIZES["small"], **size_changes) if size_changes else "small"
    summary = simulate(NORTHWIND, size, seed, root / "out", root / "truth")
    return Run(summary, root / "out", root / "truth")


@pytest.fixture(scope="session")
def small(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return _run(tmp_path_factory.mktemp("small"))


def _digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_every_table_is_written_and_counted(small: Run) -> None:
    assert set(small.summary.rows) == set(OUTPUT_TABLES)
    for name in OUTPUT_TABLES:
        assert small.table(name).num_rows == small.summary.rows[name] > 0, name
    assert small.summary.rows["people"] > 10_000
    assert small.summary.rows["touchpoints"] > 8 * small.summary.rows["people"]
    assert small.summary.start.isoformat() == "2025-05-01"
    assert small.summary.end.isoformat() == "2026-10-31"


def test_every_part_casts_to_the_declared_schema(small: Run) -> None:
    for name in OUTPUT_TABLES:
        for part in sorted((small.out / name).glob("part-*.parquet")):
            table = pq.read_table(part)
            assert table.schema == output_schema(name), part
            if name in TABLES:
                declared = TABLES[name].arrow_schema()
                # optional columns the simulation leaves to intake (e.g. web_sessions.channel)
                absent = [n for n in declared.names if n not in table.column_names]
                assert not set(absent) & set(TABLES[name].required), (name, absent)
                declared = pa.schema([f for f in declared if f.name not in absent])
                canonical = table.select(declared.names).cast(declared)
                assert canonical.num_rows == table.num_rows
                required = TABLES[name].required
                assert all(canonical[c].null_count == 0 for c in required), (name, required)


@pytest.mark.parametrize(
    ("name", "key"),
    [
        *((t.name, list(t.key)) for t in TABLES.values()),
        ("web_sessions", ["date", "source", "medium", "campaign"]),
        ("email_campaigns", ["campaign_id"]),
    ],
)
def test_keys_are_unique(small: Run, name: str, key: list[str]) -> None:
    df = small.df(name)
    assert not df.duplicated(subset=key).any()


def test_references_resolve(small: Run) -> None:
    accounts = small.df("accounts").set_index("account_id")
    people = small.df("people").set_index("person_id")
    touches = small.df("touchpoints")
    opps = small.df("opportunities")
    assets = small.df("assets").set_index("asset_id")
    assert people["account_id"].isin(accounts.index).all()
    assert touches["person_id"].isin(people.index).all()
    assert (
        touches["account_id"].to_numpy() == people.loc[touches["person_id"], "account_id"]
    ).all()
    assert opps["account_id"].isin(accounts.index).all()
    named = touches.dropna(subset=["asset_id"])
    assert named["asset_id"].isin(assets.index).all()
    assert (named["ts"].to_numpy() >= assets.loc[named["asset_id"], "published_at"]).all()
    programs = {p.id: p.channel for p in NORTHWIND.programs}
    with_program = touches.dropna(subset=["program_id"])
    assert (with_program["program_id"].map(programs) == with_program["channel"]).all()
    assert (touches["utm_campaign"].fillna("") == touches["program_id"].fillna("")).all()
    feedback = small.df("feedback")
    assert feedback["account_id"].isin(accounts.index).all()
    assert feedback["person_id"].isin(people.index).all()
    parents = assets["parent_asset_id"].dropna()
    assert parents.isin(assets.index).all() and len(parents) > 0
    email_domain = people["email"].str.split("@").str[1]
    assert (email_domain.to_numpy() == accounts.loc[people["account_id"], "domain"]).all()
    assert people["email"].is_unique


def test_nothing_is_recorded_after_the_window(small: Run) -> None:
    for name in OUTPUT_TABLES:
        table = small.table(name)
        # accounts may predate the window: the CRM had them before
        start = datetime(2023, 1, 1) if name == "accounts" else datetime(2025, 5, 1)
        for field in table.schema:
            if not (pa.types.is_timestamp(field.type) or pa.types.is_date(field.type)):
                continue
            values = table[field.name]
            if name == "opportunities" and field.name == "close_date":
                # an open deal's close date is the rep's estimate and may lie ahead
                values = table.filter(table["is_closed"])[field.name]
            latest = pd.Timestamp(pa.compute.max(values).as_py())
            earliest = pd.Timestamp(pa.compute.min(values).as_py())
            assert latest < END, (name, field.name, latest)
            assert earliest >= start, (name, field.name, earliest)


def test_people_walk_the_funnel_in_order(small: Run) -> None:
    people = small.df("people")
    assert (people["created_at"] <= people["lead_at"]).all()
    mql, sql = people.dropna(subset=["mql_at"]), people.dropna(subset=["sql_at"])
    assert (mql["lead_at"] < mql["mql_at"]).all()
    assert (sql["mql_at"] < sql["sql_at"]).all()
    assert people.loc[people["mql_at"].isna(), "sql_at"].isna().all()
    stage = people["lifecycle_stage"]
    assert ((stage == "lead") == people["mql_at"].isna()).all()
    assert (
        (stage == "marketingqualifiedlead") == (people["mql_at"].notna() & people["sql_at"].isna())
    ).all()
    assert stage.isin(["opportunity", "customer"]).sum() == small.summary.rows["opportunities"]
    opps = small.df("opportunities")
    assert (stage == "customer").sum() == opps["is_won"].sum()


def test_personas_follow_the_kernels_title_patterns(small: Run) -> None:
    kernel_file = Path(demandos.spec.__file__).parent / "starter" / "kernel.yaml"
    kernel = YAML(typ="safe").load(kernel_file.read_text(encoding="utf-8"))
    patterns = {p["id"]: p["titles"] for p in kernel["personas"]}
    people = small.df("people")
    for title, persona in people[["title", "persona"]].drop_duplicates().itertuples(index=False):
        matches = {
            pid for pid, pats in patterns.items() for p in pats if fnmatch.fnmatch(title.lower(), p)
        }
        assert matches == ({persona} if isinstance(persona, str) else set()), title
    icp = people["segment"] != "off_icp"
    assert (
        people.loc[icp, "persona"].notna().mean() > people.loc[~icp, "persona"].notna().mean() + 0.2
    )


def test_each_lead_has_one_causal_touch_on_its_causal_channel(small: Run) -> None:
    people = small.df("people").set_index("person_id")
    touches = small.df("touchpoints")
    causal = touches[touches["is_causal"]].set_index("person_id")
    assert causal.index.is_unique and len(causal) == len(people)
    causal = causal.loc[people.index]
    assert (causal["channel"] == people["causal_channel"]).all()
    assert (causal["ts"] <= people["lead_at"]).all()
    assert (causal["ts"] > people["lead_at"] - pd.Timedelta(minutes=20)).all()
    first = touches.sort_values(["ts", "touch_id"]).groupby("person_id")["channel"].first()
    assert (first.loc[people.index] == people["lead_source"]).all()
    assert (people["lead_source"] != people["causal_channel"]).mean() > 0.2  # attribution is hard
    types = set(touches["touch_type"])
    assert {"ad_click", "page_view", "form_fill", "email_click", "webinar_attend"} <= types
    assert {
        "content_download",
        "event_visit",
        "sdr_call",
        "review_visit",
        "partner_referral",
    } <= types


def test_paid_touches_fall_on_days_their_program_spent(small: Run) -> None:
    touches = small.df("touchpoints")
    paid = touches[touches["channel"].isin(["google_ads", "linkedin_ads", "meta_ads"])]
    spent = small.df("spend")[["date", "program_id"]].drop_duplicates()
    days = paid.assign(date=paid["ts"].dt.date)[["date", "program_id"]]
    joined = days.merge(spent, how="left", on=["date", "program_id"], indicator=True)
    assert (joined["_merge"] == "both").all()
    launch = paid[paid["program_id"] == "close_in_3_days_launch"]
    assert launch["ts"].dt.date.between(date(2026, 3, 2), date(2026, 5, 31)).all()
    assert launch["is_causal"].sum() > 50


def test_opportunity_history_ends_in_the_final_state(small: Run) -> None:
    opps = small.df("opportunities").set_index("opp_id")
    history = small.df("opportunity_history").sort_values(["opp_id", "changed_at"])
    assert set(history["opp_id"]) == set(opps.index)
    first = history.groupby("opp_id").first().loc[opps.index]
    last = history.groupby("opp_id").last().loc[opps.index]
    assert (first["stage"] == "Discovery").all()
    assert (first["changed_at"] == opps["created_at"]).all()
    for col in ("stage", "amount", "is_closed", "is_won"):
        assert (last[col] == opps[col]).all(), col
    closed = opps["is_closed"]
    assert (last.loc[closed, "changed_at"].dt.date == opps.loc[closed, "close_date"]).all()
    assert set(opps.loc[closed, "stage"]) == {"Closed Won", "Closed Lost"}
    assert not opps.loc[~closed, "stage"].str.startswith("Closed").any()
    order = ["Discovery", "Evaluation", "Proposal", "Negotiation", "Closed Won", "Closed Lost"]
    rank = history["stage"].map(order.index)
    assert (rank.groupby(history["opp_id"]).diff().dropna() > 0).all()
    requoted = history[history["stage"] == "Proposal"].set_index("opp_id")["amount"]
    discovery = first.loc[requoted.index, "amount"]
    assert (requoted != discovery).mean() > 0.5


def test_web_sessions_cover_the_web_touches(small: Run) -> None:
    web_types = [
        "ad_click",
        "page_view",
        "form_fill",
        "email_click",
        "content_download",
        "review_visit",
    ]
    touches = small.df("touchpoints")
    touches = touches[touches["touch_type"].isin(web_types)].assign(date=lambda d: d["ts"].dt.date)
    keys = ["date", "utm_source", "utm_medium", "utm_campaign"]
    known = touches.groupby(keys).agg(
        touches=("touch_id", "size"), forms=("touch_type", lambda s: (s == "form_fill").sum())
    )
    web = small.df("web_sessions").set_index(["date", "source", "medium", "campaign"])
    known.index.names = web.index.names
    joined = known.join(web, how="left")
    assert joined["sessions"].notna().all()
    assert (joined["sessions"] >= joined["touches"]).all()
    assert (joined["key_events"] == joined["forms"]).all()
    assert web["key_events"].sum() == (touches["touch_type"] == "form_fill").sum()
    assert (web["engaged_sessions"] <= web["sessions"]).all()
    assert (web["new_users"] <= web["sessions"]).all()


def test_newsletter_sends_cover_the_email_clicks(small: Run) -> None:
    sends = small.df("email_campaigns").sort_values("send_time")
    touches = small.df("touchpoints")
    clicks = touches[
        (touches["channel"] == "newsletter") & (touches["touch_type"] == "email_click")
    ]
    send = pd.merge_asof(
        clicks.sort_values("ts"),
        sends[["send_time", "campaign_id"]],
        left_on="ts",
        right_on="send_time",
    )
    assert send["campaign_id"].notna().all()
    known = send.groupby("campaign_id")["person_id"].nunique()
    sends = sends.set_index("campaign_id")
    assert (sends.loc[known.index, "unique_clicks"] >= known).all()
    assert (sends["unique_opens"] >= sends["unique_clicks"]).all()
    assert (
        sends["delivered"] == sends["recipients"] - sends["hard_bounces"] - sends["soft_bounces"]
    ).all()
    audience = small.df("audiences")
    subscribers = audience[audience["channel"] == "newsletter"].set_index("date")["size"]
    assert (
        sends["recipients"].to_numpy() == subscribers.loc[sends["send_time"].dt.date].to_numpy()
    ).all()
    assert ((sends["send_time"].diff().dropna()) == pd.Timedelta(days=14)).all()


def test_audiences_grow_with_the_content_library(small: Run) -> None:
    audience = small.df("audiences")
    assert set(audience["channel"]) == {"newsletter", "organic_search", "webinars"}
    for _, sizes in audience.sort_values("date").groupby("channel")["size"]:
        assert sizes.iloc[-1] > 1.2 * sizes.iloc[0]
    assets = small.df("assets")
    assert (assets["status"] == "published").all()
    assert set(assets["pillar"]) == {"close_faster", "control_spend", "audit_ready"}
    weeks = (END - datetime(2025, 5, 1)).days / 7
    per_week = len(assets) / weeks
    assert abs(per_week - NORTHWIND.content.assets_per_week) < 4 * (2.0 / weeks) ** 0.5


def test_the_same_seed_gives_the_same_bytes(small: Run, tmp_path: Path) -> None:
    again = _run(tmp_path / "again")
    assert _digests(again.out) == _digests(small.out)
    assert _digests(again.truth) == _digests(small.truth)
    other = _run(tmp_path / "other", seed=SEED + 1)
    differ = {k for k, v in _digests(other.out).items() if _digests(small.out).get(k) != v}
    assert {"people/part-00000.parquet", "touchpoints/part-00000.parquet"} <= differ
    truth = (small.truth / GROUND_TRUTH_FILE).read_bytes()
    assert (other.truth / GROUND_TRUTH_FILE).read_bytes() != truth
    assert (other.truth / PARAMETERS_FILE).read_text() != (
        small.truth / PARAMETERS_FILE
    ).read_text()


def test_small_parts_hold_the_same_rows(small: Run, tmp_path: Path) -> None:
    progress = CapturedProgress()
    size = replace(SIZES["small"], chunk_rows=7_000)
    summary = simulate(
        NORTHWIND, size, SEED, tmp_path / "out", tmp_path / "truth", progress=progress
    )
    assert summary.size == "small"
    assert summary.parts["touchpoints"] > 10
    assert summary.rows == small.summary.rows and summary.totals == small.summary.totals
    chunked = Run(summary, tmp_path / "out", tmp_path / "truth")
    for name in OUTPUT_TABLES:
        assert chunked.table(name).equals(small.table(name)), name
        sizes = [
            pq.ParquetFile(p).metadata.num_rows for p in sorted((tmp_path / "out" / name).iterdir())
        ]
        assert max(sizes) <= 7_000
    assert (tmp_path / "truth" / GROUND_TRUTH_FILE).read_bytes() == (
        small.truth / GROUND_TRUTH_FILE
    ).read_bytes()
    assert progress.advanced == NORTHWIND.months
    assert progress.finished == len(progress.steps) == 2


def test_a_rerun_replaces_old_parts(tmp_path: Path) -> None:
    _run(tmp_path, chunk_rows=5_000)
    assert len(list((tmp_path / "out" / "touchpoints").glob("part-*.parquet"))) > 10
    summary = _run(tmp_path).summary
    assert len(list((tmp_path / "out" / "touchpoints").glob("part-*.parquet"))) == 1
    assert summary.parts["touchpoints"] == 1
