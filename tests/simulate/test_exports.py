"""Platform exports: every registered exporter's files parse with their declared headers, the
injected problems are all listed and present, and the same inputs give the same bytes."""

from __future__ import annotations

import csv
import filecmp
from collections.abc import Iterator
from pathlib import Path

import pytest
from fixtures_exports.read import parses_as_date, read_export
from fixtures_exports.sim_parquet import PROGRAMS, write_sim
from hypothesis import given
from hypothesis import strategies as st

from demandos.errors import DemandosError
from demandos.progress import CapturedProgress
from demandos.simulate.exports import EXPORTERS, LOG_FILE, Problem, write_exports
from demandos.simulate.exports import hubspot as hubspot_export
from demandos.simulate.exports.formats import money, to_cents
from demandos.simulate.exports.problems import RowPlan

SEED = 3


@pytest.fixture(scope="module")
def sim_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_sim(tmp_path_factory.mktemp("sim"))


@pytest.fixture(scope="module")
def exports(sim_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    out = tmp_path_factory.mktemp("exports")
    return out, write_exports(sim_dir, out, programs=PROGRAMS, seed=SEED)


@pytest.fixture(scope="module")
def problems(exports: tuple[Path, list[Path]]) -> list[dict[str, str]]:
    with (exports[0] / LOG_FILE).open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_every_platform_has_an_exporter() -> None:
    assert set(EXPORTERS) == {
        "finance", "ga4", "google_ads", "hubspot", "intel", "linkedin",
        "mailchimp", "meta", "salesforce", "survey",
    }  # fmt: skip


def test_write_exports_returns_every_declared_file_and_the_problem_list(
    exports: tuple[Path, list[Path]],
) -> None:
    out, written = exports
    declared = {out.joinpath(*f.path.split("/")) for e in EXPORTERS.values() for f in e.files}
    assert set(written[:-1]) == declared
    assert written[-1] == out / LOG_FILE
    assert all(p.is_file() and p.stat().st_size > 0 for p in written)


@pytest.mark.parametrize("name", sorted(EXPORTERS))
def test_exporter_files_parse_with_their_declared_header(
    name: str, exports: tuple[Path, list[Path]], problems: list[dict[str, str]]
) -> None:
    out, _ = exports
    for spec in EXPORTERS[name].files:
        spec = spec.resolved("USD")
        table = read_export(out, spec)
        assert table.header == list(spec.header), spec.path
        assert len(table.preamble) == spec.preamble_rows
        assert table.rows, f"{spec.path} has no data rows"
        assert all(len(r) == len(spec.header) for r in table.rows), spec.path

        mine = [p for p in problems if p["file"] == spec.path]
        for declared in spec.problems:
            assert any(
                p["kind"] == declared.kind and p["column"] == declared.column for p in mine
            ), f"{spec.path}: no {declared.kind} injected"
        for p in mine:
            row = int(p["row"])
            assert 1 <= row <= len(table.rows), p
            values = table.rows[row - 1]
            if p["kind"] == "duplicate_row":
                assert values == table.rows[row - 2], p
                continue
            cell = values[spec.header.index(p["column"])]
            assert ("" if cell is None else str(cell)) == p["value"], p
            if p["kind"] == "bad_date":
                assert not parses_as_date(p["value"]), p
            if p["kind"] == "currency_format":
                assert p["value"].startswith("$"), p


def test_the_problem_list_holds_every_kind(problems: list[dict[str, str]]) -> None:
    assert {p["kind"] for p in problems} == {
        "duplicate_row", "blank_required", "currency_format", "bad_date",
    }  # fmt: skip
    assert list(problems[0]) == ["file", "row", "column", "kind", "value"]


def test_same_inputs_and_seed_give_byte_identical_files(
    sim_dir: Path, exports: tuple[Path, list[Path]], tmp_path: Path
) -> None:
    first, written = exports
    again = write_exports(sim_dir, tmp_path / "again", programs=PROGRAMS, seed=SEED)
    assert [p.relative_to(tmp_path / "again") for p in again] == [
        p.relative_to(first) for p in written
    ]
    for a, b in zip(written, again, strict=True):
        assert filecmp.cmp(a, b, shallow=False), a.relative_to(first)


def test_another_seed_injects_other_problems(
    sim_dir: Path, exports: tuple[Path, list[Path]], tmp_path: Path
) -> None:
    write_exports(sim_dir, tmp_path, programs=PROGRAMS, seed=SEED + 1)
    assert (tmp_path / LOG_FILE).read_bytes() != (exports[0] / LOG_FILE).read_bytes()
    # the data itself does not depend on the seed
    google = "google_ads/campaign_report.csv"
    assert (tmp_path / google).read_bytes() == (exports[0] / google).read_bytes()


def test_the_xlsx_holds_a_bounded_share_of_the_same_rows(
    sim_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hubspot_export, "XLSX_ROWS", 25)
    write_exports(sim_dir, tmp_path, programs=PROGRAMS, seed=SEED)
    xlsx = read_export(tmp_path, hubspot_export.CONTACTS_XLSX)
    full = read_export(tmp_path, hubspot_export.CONTACTS)
    assert len(xlsx.rows) == 25
    distinct = list(dict.fromkeys(str(r[0]) for r in full.rows))  # the CSV may repeat a row
    assert [str(r[0]) for r in xlsx.rows] == distinct[:25]


def test_progress_is_reported_and_nothing_printed(
    sim_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    progress = CapturedProgress()
    write_exports(sim_dir, tmp_path, programs=PROGRAMS, progress=progress)
    assert progress.steps == ["Writing platform exports"]
    assert progress.advanced == len(EXPORTERS)
    assert progress.finished == 1
    assert capsys.readouterr() == ("", "")


def test_an_empty_simulation_folder_is_refused_with_a_hint(tmp_path: Path) -> None:
    with pytest.raises(DemandosError) as err:
        write_exports(tmp_path / "nothing", tmp_path / "out", programs={})
    assert err.value.hint and "simulation" in err.value.hint


def test_a_missing_table_is_named(sim_dir: Path, tmp_path: Path) -> None:
    partial = tmp_path / "partial"
    (partial / "spend").mkdir(parents=True)
    for part in (sim_dir / "spend").iterdir():
        (partial / "spend" / part.name).write_bytes(part.read_bytes())
    with pytest.raises(DemandosError, match="costs"):
        write_exports(partial, tmp_path / "out", programs=PROGRAMS)


# --- the problem planner -------------------------------------------------------------------


HEADER = ("id", "email", "amount", "when")


def _run(plan: RowPlan, rows: list[list[object]]) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    for i, r in enumerate(rows):
        applied = plan.take(i, r)
        if applied:
            out.append((i, applied.problem.kind))
    return out


def test_a_problem_that_cannot_apply_moves_to_the_next_row() -> None:
    rows: list[list[object]] = [[str(i), "", "1.00", "2026-01-02"] for i in range(3)]
    rows.append(["3", "a@b.example", "1.00", "2026-01-02"])
    plan = RowPlan("f.csv", HEADER, 4, [Problem("blank_required", "email")], seed=1, currency="USD")
    plan.planned = {0: Problem("blank_required", "email")}
    assert _run(plan, rows) == [(3, "blank_required")]


def test_a_row_carries_at_most_one_problem_and_plans_are_reproducible() -> None:
    kinds = [
        Problem("duplicate_row"),
        Problem("blank_required", "email"),
        Problem("currency_format", "amount"),
        Problem("bad_date", "when", date_format="%Y-%m-%d"),
    ]
    rows: list[list[object]] = [[str(i), "x@y.example", "12.50", "2026-01-02"] for i in range(40)]
    runs = [_run(RowPlan("f.csv", HEADER, 40, kinds, seed=9, currency="USD"), rows) for _ in "ab"]
    assert runs[0] == runs[1]
    assert len({i for i, _ in runs[0]}) == len(runs[0]) == 4


def test_a_problem_on_an_unknown_column_is_refused() -> None:
    with pytest.raises(ValueError, match="nope"):
        RowPlan("f.csv", HEADER, 3, [Problem("blank_required", "nope")], seed=0, currency="USD")


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_money_round_trips_through_cents(cents: int) -> None:
    assert to_cents(float(money(cents))) == cents


@pytest.fixture
def no_leftover_tmp(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path
    assert not list(tmp_path.rglob("*.tmp"))


def test_no_temporary_files_are_left_behind(sim_dir: Path, no_leftover_tmp: Path) -> None:
    write_exports(sim_dir, no_leftover_tmp, programs=PROGRAMS)


def test_the_public_names_resolve() -> None:
    import demandos.simulate.exports as exports

    for name in exports.__all__:
        assert getattr(exports, name) is not None, name
