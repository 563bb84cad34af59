"""The Monday performance review pack on the demo company: sections, numbers, and three files."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from demandos.cli.main import app
from demandos.errors import DemandosError
from demandos.kernel.conformance import off_kernel_spend
from demandos.metrics import MetricTable
from demandos.metrics.periods import parse_period
from demandos.reports import render
from demandos.reports.model import Agenda, Chart, Group, Pack, Paragraph, Table
from demandos.reports.numbers import fmt
from demandos.reports.packs.weekly_review import off_kernel_text, robust_z
from demandos.workspace import Workspace

from .conftest import NOW, WEEK, References

SECTIONS = ["agenda", "north_star", "metric_tree", "why", "anomalies", "issues", "off_kernel",
            "actions", "decisions", "overdue_steps"]  # fmt: skip
COMPARED = ("value", "change", "trailing_avg", "target")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pack(demo_ws: Workspace) -> Pack:
    return demo_ws.review("weekly_review", WEEK, now=NOW)


@pytest.fixture(scope="module")
def files(pack: Pack, artifacts: Path) -> dict[str, Path]:
    out = {}
    for fmt_ in ("html", "md", "pdf"):
        out[fmt_] = artifacts / f"monday_review-{WEEK}.{fmt_}"
        out[fmt_].write_bytes(render(pack, fmt_))  # type: ignore[arg-type]
    return out


def _flatten(nodes: list[dict]) -> dict[str, dict]:  # type: ignore[type-arg]
    out = {}
    for node in nodes:
        out[node["id"]] = node
        out.update(_flatten(node["children"]))
    return out


def _cli_metrics(ws: Workspace, period: str) -> dict[str, dict]:  # type: ignore[type-arg]
    result = CliRunner().invoke(
        app, ["metrics", "--period", period, "--format", "json", "-w", str(ws.root)]
    )
    assert result.exit_code == 0, result.output
    return _flatten(json.loads(result.output)["metrics"])


# -- what the pack says --------------------------------------------------------------------


def test_every_section_is_there_with_content(pack: Pack) -> None:
    assert [s.id for s in pack.sections] == SECTIONS
    assert all(s.blocks for s in pack.sections)
    assert pack.period == WEEK and pack.instance == "monday_review 2026-W44"
    assert pack.meeting is not None and pack.meeting.isoformat() == "2026-10-26T09:30:00"
    assert pack.kernel_version == 1 and not pack.notes


def test_numbers_equal_demandos_metrics(pack: Pack, demo_ws: Workspace) -> None:
    reviewed = _cli_metrics(demo_ws, WEEK)
    others: dict[str, MetricTable] = {}
    checked = 0
    for t in pack.traced:
        assert t.filter == "all"
        if t.period == WEEK:
            expected = reviewed[t.metric][t.field]
        else:
            table = others.setdefault(t.period, demo_ws.metrics(t.period))
            expected = getattr(table.get(t.metric), t.field)
        if expected is None:
            assert t.value is None, t
        else:
            assert t.value == pytest.approx(expected, rel=1e-9, abs=1e-9), t
        checked += 1
    tree = [m.id for m in demo_ws.specs.metrics.metrics]
    traced_now = {(t.metric, t.field) for t in pack.traced if t.period == WEEK}
    assert {(m, f) for m in tree for f in COMPARED} <= traced_now
    assert len({t.period for t in pack.traced}) >= 13  # the trend's weeks
    assert checked > 100


def test_north_star_trend_has_13_weeks(pack: Pack, demo_ws: Workspace) -> None:
    chart = next(b for b in pack.get("north_star").blocks if isinstance(b, Chart))
    labels = [label for label, _ in chart.points]
    assert len(labels) == 13 and labels[-1] == WEEK and labels[0] == "2026-W31"
    data = chart.spec["datasets"][chart.spec["layer"][0]["data"]["name"]]  # inlined by Altair
    values = [row["value"] for row in data]
    for label, value in zip(labels, values, strict=True):
        assert value == pytest.approx(demo_ws.metrics(label).get("der").value, rel=1e-12)


def test_tree_rows_show_the_engines_numbers(pack: Pack, demo_ws: Workspace) -> None:
    table = next(b for b in pack.get("metric_tree").blocks if isinstance(b, Table))
    engine = demo_ws.metrics(WEEK)
    shown = {row[0].sub: row for row in table.rows}
    expected = [r for r in engine.totals() if r.tier > 1]
    assert list(shown) == [r.metric for r in expected]
    for r in expected:
        assert shown[r.metric][3].text == fmt(r.value, r.unit, "USD")
        assert shown[r.metric][2].text == r.owner
        assert shown[r.metric][8].tone == {"green": "good", "amber": "warn", "red": "bad"}.get(
            r.status or "", "muted" if r.value is None else None
        )


def test_issues_are_metrics_off_target_three_weeks(pack: Pack, demo_ws: Workspace) -> None:
    weeks = ["2026-W41", "2026-W42", WEEK]
    tables = [demo_ws.metrics(w) for w in weeks]
    expected = [
        r.metric
        for r in tables[-1].totals()
        if all(t.get(r.metric).status in ("amber", "red") for t in tables)
    ]
    assert expected, "the demo has metrics off target three weeks running"
    table = next(b for b in pack.get("issues").blocks if isinstance(b, Table))
    assert [row[0].sub for row in table.rows] == expected
    assert table.columns[2:5] == tuple(weeks)


def test_off_kernel_spend_of_the_week(pack: Pack, demo_ws: Workspace) -> None:
    week = parse_period(WEEK)
    specs = demo_ws.specs
    spend = off_kernel_spend(demo_ws.facts, specs.kernel, specs.channels, week.start, week.end)
    (paragraph,) = pack.get("off_kernel").blocks
    assert isinstance(paragraph, Paragraph)
    assert paragraph.text == off_kernel_text(spend, WEEK, pack.currency)


def test_why_splits_the_movers_into_drivers(pack: Pack, demo_ws: Workspace) -> None:
    explained = pack.get("why").blocks[1:]
    # the north star and three movers: each a sentence and its drivers, or why it has none
    assert len(explained) == 4
    groups = [b for b in explained if isinstance(b, Group)]
    assert len(groups) >= 3 and all(isinstance(g.blocks[-1], Table) for g in groups)
    for muted in (b for b in explained if not isinstance(b, Group)):
        assert isinstance(muted, Paragraph) and "Drivers:" in muted.text
    der = demo_ws.explain("der", WEEK)
    assert der.change is not None
    md = render(pack, "md").decode()
    assert f"rose from {fmt(der.before, 'ratio')} to {fmt(der.value, 'ratio')}" in md
    for part in der.drivers():
        assert part.name in md


def test_actions_and_decisions_from_the_log(pack: Pack) -> None:
    actions = next(b for b in pack.get("actions").blocks if isinstance(b, Table))
    by_title = {row[1].text: row for row in actions.rows}
    assert set(by_title) == {"Fix the MQL handoff form", "Brief two webinar derivatives"}
    overdue = by_title["Fix the MQL handoff form"]
    assert overdue[4].text == "overdue 5 d" and overdue[4].tone == "bad"
    assert by_title["Brief two webinar derivatives"][4].text == "due in 4 d"
    md = render(pack, "md").decode()
    assert "Pause the weakest LinkedIn ad set — Diego" in md
    decisions = next(b for b in pack.get("decisions").blocks if isinstance(b, Table))
    (row,) = decisions.rows
    assert row[1].text == "Shift 10% of paid social to webinars"
    assert row[4].text == "3.45x (2026-W42)" and row[5].text == "11.40x (2026-W43)"
    assert row[6].text == "+7.95x"


def test_agenda_is_time_boxed_from_cadence_yaml(pack: Pack, demo_ws: Workspace) -> None:
    (agenda,) = [b for b in pack.get("agenda").blocks if isinstance(b, Agenda)]
    ritual = next(r for r in demo_ws.specs.cadence.rituals if r.id == "monday_review")
    assert [s.item for s in agenda.slots] == [a.item for a in ritual.agenda]
    assert [s.minutes for s in agenda.slots] == [a.minutes for a in ritual.agenda]
    assert agenda.slots[0].start == "09:30" and agenda.slots[1].start == "09:40"


def test_default_period_is_the_last_full_week(demo_ws: Workspace) -> None:
    late = demo_ws.review("monday_review", now=NOW)  # Monday 23 Nov 2026: W47 is the last full
    assert late.period == "2026-W47"
    assert late.notes and "der has no value for 2026-W47" in late.notes[0]


# -- the anomaly score, by hand --------------------------------------------------------------


def test_robust_z_by_hand() -> None:
    baseline = [1.0, 2.0, 3.0, 4.0, 100.0]  # median 3, MAD median(2, 1, 0, 1, 97) = 1
    assert robust_z(10.0, baseline) == pytest.approx(0.6745 * 7)
    flat = [5.0, 5.0, 5.0, 5.0, 9.0]  # MAD 0: mean absolute deviation 0.8, × 1.253314
    assert robust_z(7.0, flat) == pytest.approx(2 / (1.253314 * 0.8))
    assert robust_z(6.0, [5.0] * 5) is None


# -- the three files -------------------------------------------------------------------------


def test_html_is_self_contained(files: dict[str, Path], pack: Pack) -> None:
    html = files["html"].read_text()
    parser = References()
    parser.feed(html)
    assert "svg" in parser.tags and "style" in parser.tags
    assert "script" not in parser.tags and "link" not in parser.tags
    external = [r for r in parser.found if not r.startswith(("#", "data:"))]
    assert not external, external
    css = " ".join(parser.styles)
    assert "url(" not in css and "@import" not in css
    for section in pack.sections:
        assert f'<section id="{section.id}">' in html


def test_markdown_has_every_section_and_the_trend_numbers(
    files: dict[str, Path], pack: Pack
) -> None:
    md = files["md"].read_text()
    for section in pack.sections:
        assert f"\n## {section.title}\n" in md
    chart = next(b for b in pack.get("north_star").blocks if isinstance(b, Chart))
    assert ", ".join(f"{label} {value}" for label, value in chart.points) in md
    assert "| metric | tier | owner | value |" in md


def test_pdf_renders_and_screenshots(files: dict[str, Path], artifacts: Path) -> None:
    pdf = files["pdf"]
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert shutil.which("pdftoppm"), "pdftoppm missing: scripts/test installs poppler-utils"
    first = artifacts / "monday_review-first"
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(pdf), str(first)],
                   check=True, capture_output=True)  # fmt: skip
    (png,) = artifacts.glob("monday_review-first*.png")
    assert png.read_bytes().startswith(b"\x89PNG") and png.stat().st_size > 10_000
    pages = artifacts / "monday_review-page"
    subprocess.run(["pdftoppm", "-png", "-r", "70", str(pdf), str(pages)], check=True,
                   capture_output=True)  # fmt: skip
    assert len(list(artifacts.glob("monday_review-page*.png"))) >= 2


def test_html_screenshot_in_chromium(files: dict[str, Path], artifacts: Path) -> None:
    chromium = shutil.which("chromium")
    assert chromium, "chromium missing: scripts/test installs it"
    shot = artifacts / "monday_review-html.png"
    shot.unlink(missing_ok=True)
    subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--hide-scrollbars", f"--screenshot={shot}", "--window-size=1100,3000",
         files["html"].as_uri()],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    assert shot.read_bytes().startswith(b"\x89PNG")


# -- the command -----------------------------------------------------------------------------


def test_review_command_writes_each_format(demo_ws: Workspace, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "pack.md"
    args = ["review", "weekly_review", str(demo_ws.root), "--period", WEEK]
    result = runner.invoke(app, [*args, "--format", "md", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text().startswith("# Monday performance review — Northwind")
    result = runner.invoke(app, ["review", "monday_review", "-w", str(demo_ws.root),
                                 "--period", WEEK])  # fmt: skip
    assert result.exit_code == 0, result.output
    reports = demo_ws.data_dir / "reports"
    for kind in ("html", "md", "pdf"):  # all three by default
        assert (reports / f"monday_review-{WEEK}.{kind}").stat().st_size > 1000, kind
    assert (reports / f"monday_review-{WEEK}.pdf").read_bytes().startswith(b"%PDF-")
    assert not list(reports.glob("*.tmp"))


def test_review_weekly_is_the_monday_review(demo_ws: Workspace, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "weekly.md"
    args = ["review", "weekly", str(demo_ws.root), "--period", WEEK, "-f", "md", "--out"]
    result = runner.invoke(app, [*args, str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text().startswith("# Monday performance review — Northwind")


def test_review_out_needs_one_format(demo_ws: Workspace, tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["review", "weekly", str(demo_ws.root), "--period", WEEK, "--out", str(tmp_path / "x")]
    result = runner.invoke(app, args)
    assert isinstance(result.exception, DemandosError)
    assert "--out names one file" in str(result.exception)
    assert "add one --format" in (result.exception.hint or "")
    assert not (tmp_path / "x").exists()


def test_review_command_refuses_a_month(demo_ws: Workspace) -> None:
    demandos = Path(sys.executable).with_name("demandos")
    result = subprocess.run(
        [str(demandos), "review", "weekly_review", str(demo_ws.root), "--period", "2026-10"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 1
    assert "the Monday review looks back on one week" in result.stderr + result.stdout
