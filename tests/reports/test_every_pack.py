"""Every ritual of the demo's cadence.yaml has a pack, and every pack holds to the same bar.

For each ritual: a builder exists for its kind; the pack has sections, each with something in it;
every number it traces equals the metrics engine's for that metric, period and filter; the HTML
refers to nothing outside itself; the Markdown has each section and no NaN; the PDF renders to
pages (pdftoppm); and a screenshot of the HTML in Chromium is kept with the test artifacts, for a
person to look at.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from demandos.metrics import MetricTable
from demandos.reports import render
from demandos.reports.model import Pack
from demandos.reports.packs import PACKS, build_pack
from demandos.spec.cadence import KIND_FREQUENCY
from demandos.workspace import Workspace

from .conftest import NOW, References

pytestmark = pytest.mark.slow

STARTER = Path(__file__).resolve().parents[2] / "src" / "demandos" / "spec" / "starter"


def _rituals() -> list[str]:
    text = (STARTER / "cadence.yaml").read_text()
    return re.findall(r"^  - id: (\w+)$", text, flags=re.MULTILINE)


def test_every_kind_of_ritual_has_a_pack(demo_ws: Workspace) -> None:
    build_pack(demo_ws, "monday_review", now=NOW)  # loads the builders
    assert set(KIND_FREQUENCY) <= set(PACKS)
    kinds = {r.kind for r in demo_ws.specs.cadence.rituals}
    assert kinds == set(KIND_FREQUENCY)  # the starter cadence has one ritual of each kind
    assert [r.id for r in demo_ws.specs.cadence.rituals] == _rituals()


@pytest.fixture(scope="module", params=_rituals())
def pack(request: pytest.FixtureRequest, demo_ws: Workspace) -> Pack:
    return demo_ws.review(request.param, now=NOW)


def test_sections_say_something(pack: Pack) -> None:
    assert pack.sections, pack.ritual_id
    assert len({s.id for s in pack.sections}) == len(pack.sections)
    empty = [s.id for s in pack.sections if not s.blocks]
    assert not empty, f"{pack.ritual_id}: empty sections {empty}"
    assert pack.kernel_version is not None


def test_traced_numbers_equal_the_engine(pack: Pack, demo_ws: Workspace) -> None:
    tables: dict[tuple[str, str | None], MetricTable] = {}
    for t in pack.traced:
        if t.field == "health":  # a system-health indicator (`demandos health --period`)
            found = {i.id: i.value for i in demo_ws.health(t.period, today=NOW.date()).indicators}
            assert t.value == pytest.approx(found[t.metric], rel=1e-9), t
            continue
        dim, _, member = t.filter.partition("=") if t.filter != "all" else (None, "", "")
        table = tables.get((t.period, dim))
        if table is None:
            table = tables[(t.period, dim)] = demo_ws.metrics(t.period, by=dim)
        expected = getattr(table.get(t.metric, member or None), t.field)
        if expected is None:
            assert t.value is None, t
        else:
            assert t.value == pytest.approx(expected, rel=1e-9, abs=1e-12), t


@pytest.fixture(scope="module")
def files(pack: Pack, artifacts: Path) -> dict[str, Path]:
    written = {}
    for kind in ("html", "md", "pdf"):
        path = artifacts / f"every-{pack.ritual_id}-{pack.period}.{kind}"
        path.write_bytes(render(pack, kind))  # type: ignore[arg-type]
        written[kind] = path
    return written


def test_html_is_self_contained(files: dict[str, Path], pack: Pack) -> None:
    html = files["html"].read_text()
    parser = References()
    parser.feed(html)
    assert not parser.external, parser.external
    assert "script" not in parser.tags and "link" not in parser.tags
    assert not any("url(" in s or "@import" in s for s in parser.styles)
    for section in pack.sections:
        assert f'<section id="{section.id}">' in html
    assert not re.search(r"\bnan\b", html, flags=re.IGNORECASE)


def test_markdown_has_every_section(files: dict[str, Path], pack: Pack) -> None:
    md = files["md"].read_text()
    assert md.startswith(f"# {pack.title}")
    for section in pack.sections:
        assert f"\n## {section.title}\n" in md
    assert not re.search(r"\bnan\b", md, flags=re.IGNORECASE)
    assert pack.provenance in md.splitlines()[-1]


def test_pdf_pages_and_html_screenshot(files: dict[str, Path], pack: Pack) -> None:
    pdf = files["pdf"]
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert shutil.which("pdftoppm"), "pdftoppm missing: scripts/test installs poppler-utils"
    stem = pdf.with_suffix("")
    subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(pdf), str(stem)],
                   check=True, capture_output=True)  # fmt: skip
    (page,) = pdf.parent.glob(f"{stem.name}-*1.png")
    assert page.stat().st_size > 5_000
    chromium = shutil.which("chromium")
    assert chromium, "chromium missing: scripts/test installs it"
    shot = stem.with_name(f"{stem.name}-html.png")
    subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--hide-scrollbars", f"--screenshot={shot}", "--window-size=1100,2400",
         files["html"].as_uri()],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    assert shot.read_bytes().startswith(b"\x89PNG")


def test_provenance_names_the_periods_and_breakdowns() -> None:
    from datetime import date, datetime

    pack = Pack("qbr", "qbr", "QBR", "Acme", "2026-Q3", date(2026, 7, 1), date(2026, 10, 1),
                datetime(2026, 11, 23))  # fmt: skip
    assert pack.provenance == "This pack shows no number of the metrics engine."
    pack.trace("der", "2026-Q3", "value", 4.0)
    assert pack.provenance.endswith("`demandos metrics --period PERIOD` for them (2026-Q3).")
    for week in ("2026-W27", "2026-W39", "2026-W30"):
        pack.trace("der", week, "value", 1.0)
    pack.trace("cpl", "2026-Q3", "value", 40.0, "channel=linkedin_ads")
    assert pack.provenance.endswith(
        "`demandos metrics --period PERIOD [--by channel]` for them "
        "(2026-Q3; 3 weeks, 2026-W27 to 2026-W39)."
    )
