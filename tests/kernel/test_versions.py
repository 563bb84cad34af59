"""Kernel versions and proposal decisions on the starter workspace (`demandos init`) with a real
SQLite operating log: publish round trips, refusals, diffs checked by hand, the migration, and
accepting or rejecting a proposal built by the proposal engine's own rules."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from typer.testing import CliRunner

from demandos.cli.main import app
from demandos.errors import KernelError
from demandos.kernel import stats
from demandos.kernel.comparisons import Comparison
from demandos.kernel.evidence import Window
from demandos.kernel.proposals import Proposal, decide
from demandos.kernel.versions import FieldChange, KernelVersions, last_quarter, parse_ref
from demandos.spec.kernel import KernelSpec, Narrative
from demandos.spec.yamlio import parse_yaml
from demandos.store.oplog import (
    HEAD_REVISION,
    MIGRATIONS,
    Base,
    KernelVersion,
    OperatingLog,
    ProposalDecision,
    engine_for,
)
from demandos.workspace import Workspace

NOW = datetime(2026, 10, 5, 9, 30)
WINDOW = Window(date(2025, 10, 1), date(2026, 10, 1), "2025-Q4 to 2026-Q3", 4)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    Workspace.init(tmp_path / "acme", name="Acme Demand").close()
    return tmp_path / "acme"


@pytest.fixture
def ws(root: Path) -> Iterator[Workspace]:
    with Workspace.open(root) as workspace:
        yield workspace


@pytest.fixture
def kv(ws: Workspace) -> KernelVersions:
    return KernelVersions(ws.root, ws.log, ws.specs, clock=lambda: NOW)


def kernel_file(root: Path) -> str:
    return (root / "kernel.yaml").read_text()


def edit(root: Path, old: str, new: str) -> None:
    text = kernel_file(root)
    assert old in text
    (root / "kernel.yaml").write_text(text.replace(old, new, 1))


def comparison(member: str, measure: str, value: float, other: float) -> Comparison:
    """A significant comparison, as the engine would make it (numbers chosen by hand)."""
    return Comparison(
        dimension="segment" if member != "controller" else "persona",
        member=member,
        measure=measure,  # type: ignore[arg-type]
        against="every other deal",
        value=value,
        other=other,
        n=115,
        n_other=229,
        test=stats.Test(
            value - other, stats.Interval(value - other - 1, value - other + 1), 7.5, 1e-9
        ),
        adjusted_p=1e-8,
    )


def make(ws: Workspace, member: str = "scaling_saas", measure: str = "deal_size") -> Proposal:
    made, mixed = decide([comparison(member, measure, 32_800, 18_400)], ws.specs.kernel, WINDOW)
    assert not mixed and len(made) == 1
    return made[0]


# -- publishing ------------------------------------------------------------------------------


def test_publish_round_trip_rewrites_the_version_and_keeps_comments(
    root: Path, kv: KernelVersions
) -> None:
    first = kv.publish("The kernel as we started", by="maya")
    assert (first.item.version, first.item.author, first.warnings) == (1, "maya", ())
    assert first.item.content == kernel_file(root)  # the file names v1 already: left as is
    assert kv.status().state == "published"

    edit(root, "    priority: secondary", "    priority: primary  # promoted in Q4")
    before = kernel_file(root)
    assert kv.status().state == "changed"
    second = kv.publish("  Promote scaling_saas  ", by="priya")
    after = kernel_file(root)
    assert (second.item.version, second.item.changelog, second.item.recorded_at) == (
        2,
        "Promote scaling_saas",
        NOW,
    )
    assert second.item.content == after
    # only the version line changed; every comment (and the one just added) is still there
    assert after == before.replace("\nversion: 1\n", "\nversion: 2\n")
    assert "# Set by `demandos kernel publish`" in after and "# promoted in Q4" in after
    assert KernelSpec.model_validate(parse_yaml(after, "kernel.yaml").data).version == 2
    assert [(v.version, v.author) for v in kv.versions()] == [(1, "maya"), (2, "priya")]
    assert kv.get("v2") == kv.get(2) == kv.latest() == second.item
    assert kv.status().state == "published"


def test_an_unchanged_kernel_is_not_published_again(root: Path, kv: KernelVersions) -> None:
    kv.publish("First")
    edit(root, "version: 1", "version: 1  # a comment changes no content")
    text = kernel_file(root)
    with pytest.raises(KernelError, match="unchanged since v1: nothing to publish"):
        kv.publish("Nothing really")
    assert len(kv.versions()) == 1 and kernel_file(root) == text
    with pytest.raises(KernelError, match="needs a changelog"):
        kv.publish("   ")
    with pytest.raises(KernelError, match="unknown person 'mya'") as err:
        kv.publish("Who?", by="mya")
    assert err.value.hint is not None and "maya" in err.value.hint


def test_a_file_version_ahead_or_behind_the_log_is_reported(root: Path, kv: KernelVersions) -> None:
    edit(root, "version: 1", "version: 3")
    status = kv.status()
    assert (status.state, status.latest) == ("unpublished", None)
    assert "records kernel.yaml as v3" in status.message
    assert kv.publish("Adopted from git at version 3").item.version == 3  # the first publish
    edit(root, "version: 3", "version: 7")
    edit(root, "priority: secondary", "priority: exploratory")
    status = kv.status()
    assert (status.state, status.file_version, status.latest) == ("ahead", 7, 3)
    assert "ahead of the operating log's last (v3)" in status.message
    published = kv.publish("Scaling SaaS is exploratory now")
    assert published.item.version == 4
    assert published.warnings == (
        "kernel.yaml said version 7, ahead of the operating log's last (v3): published as v4",
    )
    assert "\nversion: 4\n" in kernel_file(root)
    edit(root, "version: 4", "version: 2")
    assert kv.status().state == "behind"


def test_diff_of_two_versions_by_hand(root: Path, kv: KernelVersions) -> None:
    kv.publish("v1")
    edit(root, "priority: secondary", "priority: primary")
    edit(root, "countries: [US, CA, GB]", "countries: [US, GB]")
    edit(root, "category: Accounts-payable automation", "category: AP automation")
    text = kernel_file(root)
    start = text.index("  - id: ap_manager")
    end = text.index("\n\n", start)
    (root / "kernel.yaml").write_text(text[:start] + text[end + 1 :])  # drop the AP manager
    kv.publish("v2")
    diff = kv.diff("v1", "2")
    assert (diff.old, diff.new) == (1, 2)
    assert list(diff.changes) == [
        FieldChange("positioning", None, "changed", "category", "Accounts-payable automation",
                    "AP automation"),
        FieldChange("segments", "scaling_saas", "changed", "priority", "secondary", "primary"),
        FieldChange("segments", "scaling_saas", "changed", "rules.countries", ["US", "CA", "GB"],
                    ["US", "GB"]),
        FieldChange("personas", "ap_manager", "removed"),
    ]  # fmt: skip
    assert diff.changes[1].describe() == "segments.scaling_saas.priority: secondary → primary"
    assert "-version: 1\n+version: 2\n" in diff.text
    assert "-      countries: [US, CA, GB]\n+      countries: [US, GB]\n" in diff.text
    assert "--- kernel.yaml v1" in diff.text and "+++ kernel.yaml v2" in diff.text
    back = kv.diff(2, 1)
    assert FieldChange("personas", "ap_manager", "added") in back.changes


def test_unknown_versions_name_the_ones_that_exist(root: Path, kv: KernelVersions) -> None:
    with pytest.raises(KernelError, match="no version is published yet"):
        kv.get("v1")
    kv.publish("v1")
    edit(root, "priority: secondary", "priority: primary")
    kv.publish("v2")
    with pytest.raises(KernelError, match=r"no kernel version v7 in the operating log \(it has "
                       r"v1, v2\)"):  # fmt: skip
        kv.diff("v1", "v7")
    with pytest.raises(KernelError, match="'latest' is not a kernel version"):
        parse_ref("latest")
    assert parse_ref("V3") == parse_ref(" 3") == 3


# -- the migration --------------------------------------------------------------------------


def test_migration_0004_round_trip_keeps_kernel_versions(tmp_path: Path) -> None:
    url = OperatingLog.sqlite_url(tmp_path)
    engine = engine_for(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0003")
        connection.execute(
            text(
                "INSERT INTO kernel_versions (version, recorded_at, sha256, content) "
                "VALUES (1, '2026-11-01 09:00:00', 'abc', 'version: 1')"
            )
        )
    engine.dispose()
    log = OperatingLog.open(url)
    assert log.revision() == HEAD_REVISION  # upgraded past 0004 to the newest
    with log.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    assert log.count(KernelVersion) == 1 and log.count(ProposalDecision) == 0
    with log.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0003")
    assert "kernel_proposal_decisions" not in inspect(log.engine).get_table_names()
    log.close()
    again = OperatingLog.open(url)
    assert again.revision() == HEAD_REVISION and again.count(KernelVersion) == 1
    again.close()


# -- proposals -------------------------------------------------------------------------------


def test_accepting_a_promotion_applies_it_and_publishes(
    root: Path, ws: Workspace, kv: KernelVersions
) -> None:
    promote = make(ws)
    assert (promote.kind, promote.target) == ("promote_segment", "scaling_saas")
    before = kernel_file(root)
    done = kv.accept(promote, "2026-Q3", by="maya", note="Sales agrees")
    # the log was empty: the kernel before is recorded first, then the change
    assert [v.version for v in kv.versions()] == [1, 2]
    assert done.published is not None and done.published.version == 2 and done.todo is None
    text = kernel_file(root)
    assert text == before.replace("\nversion: 1\n", "\nversion: 2\n").replace(
        "    priority: secondary\n", "    priority: primary\n"
    )  # the starter has one secondary segment: scaling_saas; every comment is kept
    changelog = done.published.changelog or ""
    assert changelog.startswith(
        f"Accepted {promote.id} (promote_segment scaling_saas): "
        "Raise scaling_saas's priority from secondary to primary."
    )
    assert "average deal size 32,800 against 18,400 for every other deal (115 vs 229" in changelog
    assert "Holm-adjusted p = 1e-08" in changelog and changelog.endswith("Note: Sales agrees")
    assert [c.describe() for c in kv.diff(1, 2).changes] == [
        "segments.scaling_saas.priority: secondary → primary"
    ]
    decided = kv.decisions()[promote.id]
    assert (decided.decision, decided.decided_by, decided.kernel_version, decided.period) == (
        "accepted",
        "maya",
        2,
        "2026-Q3",
    )
    assert decided.decided_at == NOW and decided.note == "Sales agrees"
    with pytest.raises(KernelError, match=f"{promote.id} was accepted by maya on 2026-10-05"):
        kv.reject(promote, "2026-Q3")


def test_accepting_a_change_for_a_person_records_it_only(
    root: Path, ws: Workspace, kv: KernelVersions
) -> None:
    target = make(ws, "controller", "win_rate")
    assert target.kind == "target_persona"
    text = kernel_file(root)
    done = kv.accept(target, "2026-Q3")
    assert done.published is None and kv.versions() == []
    assert done.todo is not None and "kernel.yaml" in done.todo and "kernel publish" in done.todo
    assert kernel_file(root) == text
    assert kv.decisions()[target.id].kernel_version is None


def test_a_rejection_is_recorded_and_changes_nothing(
    root: Path, ws: Workspace, kv: KernelVersions
) -> None:
    promote = make(ws)
    text = kernel_file(root)
    done = kv.reject(promote, "2026-Q3", by="priya", note="Not this year")
    assert (done.item.decision, done.item.note, done.published) == ("rejected", "Not this year",
                                                                    None)  # fmt: skip
    assert kernel_file(root) == text and kv.versions() == []
    assert kv.decisions()[promote.id].decided_by == "priya"
    with pytest.raises(KernelError, match="was rejected by priya"):
        kv.accept(promote, "2026-Q3")


def test_the_default_period_is_the_last_full_quarter() -> None:
    assert last_quarter(date(2026, 10, 5)) == "2026-Q3"
    assert last_quarter(date(2026, 1, 1)) == "2025-Q4"


# -- the CLI ---------------------------------------------------------------------------------

runner = CliRunner()


def run(root: Path, *args: str) -> str:
    result = runner.invoke(app, [*args, "-w", str(root)])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_cli_publish_versions_diff_and_proposals(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "no kernel version is published yet" in run(root, "kernel", "versions")
    assert "kernel v1 published" in run(root, "kernel", "publish", "-m", "First", "--by", "maya")
    failed = runner.invoke(app, ["kernel", "publish", "-m", "Again", "-w", str(root)])
    assert failed.exit_code != 0 and isinstance(failed.exception, KernelError)
    edit(root, "priority: secondary", "priority: primary")
    assert "kernel v2 published" in run(root, "kernel", "publish", "-m", "Promote SaaS")
    listed = json.loads(run(root, "kernel", "versions", "--format", "json"))
    assert [v["version"] for v in listed["versions"]] == [1, 2]
    assert listed["status"] == "published"
    out = run(root, "kernel", "diff", "v1", "v2")
    assert "segments.scaling_saas.priority: secondary → primary" in out
    assert "+version: 2" in out

    with Workspace.open(root) as ws:
        edit(root, "priority: primary\n    rules:\n      industries: [Software",
             "priority: secondary\n    rules:\n      industries: [Software")  # fmt: skip
        run(root, "kernel", "publish", "-m", "Back to secondary")
        promote = make(ws)
    # the evidence engine is tested in test_proposals.py; here it hands the CLI one proposal
    monkeypatch.setattr(Workspace, "kernel_proposals", lambda self, period, quarters=4: [promote])
    assert "open" in run(root, "kernel", "proposals", "--period", "2026-Q3")
    out = run(root, "kernel", "proposals", "accept", promote.id, "--by", "maya", "-m", "Yes",
              "--period", "2026-Q3")  # fmt: skip
    assert f"{promote.id} accepted" in out and "kernel v4 published" in out
    shown = json.loads(run(root, "kernel", "proposals", "--period", "2026-Q3", "--format", "json"))
    assert shown["proposals"][0]["decision"]["decision"] == "accepted"
    again = runner.invoke(
        app, ["kernel", "proposals", "reject", promote.id, "--period", "2026-Q3", "-w", str(root)]
    )
    assert again.exit_code != 0 and "was accepted" in str(again.exception)
    missing = runner.invoke(app, ["kernel", "proposals", "reject", "KP-00000000", "-w", str(root)])
    assert isinstance(missing.exception, KernelError) and promote.id in str(missing.exception)


def test_a_kernel_without_a_version_key_gets_one(root: Path, kv: KernelVersions) -> None:
    edit(root, "version: 1\n", "")
    kv.publish("First")
    text = kernel_file(root)
    assert text.startswith("# kernel.yaml — the strategic kernel")
    assert "\nversion: 1\npositioning:\n" in text
    edit(root, "priority: secondary", "priority: primary")
    assert kv.publish("Second").item.version == 2 and "\nversion: 2\n" in kernel_file(root)


def test_diff_names_the_master_narrative() -> None:
    from demandos.kernel.versions import compare

    base = KernelSpec.model_validate(
        {
            "positioning": {"statement": "s", "category": "c", "target_customer": "t",
                            "problem": "p"},
            "segments": [{"id": "a", "name": "A"}],
            "pillars": [{"id": "p", "name": "P", "message": "m"}],
        }
    )  # fmt: skip
    told = base.model_copy(update={"narrative": Narrative(statement="One story", products=())})
    changes = [(c.section, c.change, c.field, c.after) for c in compare(base, told)]
    assert changes == [
        ("narrative", "changed", "statement", "One story"),
        ("narrative", "changed", "products", []),
    ]
    assert compare(told, told) == []
