"""The web app in a real browser: Playwright driving Debian's Chromium against the served app.

Each page is saved as a screenshot in build/test-artifacts/web/.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from demandos.workspace import Workspace

from .conftest import PASSWORDS, TODAY, Served

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        found = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield found
        found.close()


def _sign_in(browser: Browser, served: Served, login: str) -> Page:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(served.url + "/")
    expect(page).to_have_url(served.url + "/login")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", PASSWORDS[login])
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_contain_text("Metric tree")
    return page


def _shot(page: Page, artifacts: Path, name: str) -> None:
    page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)


def test_an_editor_works_through_the_week(
    browser: Browser, served: Served, artifacts: Path
) -> None:
    page = _sign_in(browser, served, "priya")
    # the metric tree of the last full month, DER first, with the engine's value
    with Workspace.open(served.root) as ws:
        der = ws.metrics(today=TODAY).get("der")
    expect(page.locator(".north .value")).to_have_text(f"{der.value:.2f}x")
    expect(page.locator("table.tree tbody tr")).to_have_count(len(ws.specs.metric_ids))
    _shot(page, artifacts, "home")

    # drill into DER: its trend and why it moved
    page.click(".north a.big")
    expect(page.locator("h1")).to_contain_text("Demand Efficiency Ratio")
    expect(page.locator("figure.chart svg")).to_have_count(1)
    expect(page.locator("text=Why it moved")).to_be_visible()
    page.select_option("select[name=by]", "channel")
    page.click("text=Break down")
    expect(page.locator("table").last.locator("tbody tr").first).to_be_visible()
    _shot(page, artifacts, "metric-der")

    # create an action, then complete it
    page.goto(served.url + "/actions")
    page.fill("#new-action input[name=title]", "Refresh the close-faster case study")
    page.select_option("#new-action select[name=owner]", "priya")
    page.fill("#new-action input[name=due]", "2026-12-04")
    page.click("#new-action button[type=submit]")
    expect(page.locator(".flash")).to_contain_text("recorded")
    card = page.locator(".card.action", has_text="Refresh the close-faster case study")
    expect(card).to_have_count(1)
    _shot(page, artifacts, "actions")
    card.locator("select[name=owner]").select_option("maya")  # hand it over, then back
    card.locator("button", has_text="Assign").click()
    expect(page.locator(".flash")).to_contain_text("is maya's")
    card = page.locator(".card.action", has_text="Refresh the close-faster case study")
    card.locator("select[name=owner]").select_option("priya")
    card.locator("button", has_text="Assign").click()
    expect(page.locator(".flash")).to_contain_text("is priya's")
    card = page.locator(".card.action", has_text="Refresh the close-faster case study")
    card.locator("button", has_text="Done").click()
    done = page.locator(".column.done .card.action", has_text="Refresh the close-faster")
    expect(done).to_have_count(1)
    with Workspace.open(served.root) as ws:
        mine = [a for a in ws.cadence_log.list_actions(owner="priya")
                if a.title == "Refresh the close-faster case study"]  # fmt: skip
    assert [a.status for a in mine] == ["done"]

    # open the Monday review and record it
    page.goto(served.url + "/reviews")
    page.click("text=Monday performance review")
    expect(page.locator("iframe.pack")).to_be_visible()
    pack = page.frame_locator("iframe.pack")
    expect(pack.locator("h2", has_text="North star")).to_be_visible()
    page.fill("textarea[name=notes]", "DER back above target; keep the webinar shift.")
    page.click("text=Record the review")
    expect(page.locator(".flash")).to_contain_text("Review recorded")
    _shot(page, artifacts, "review-monday")

    # upload an export file and see it loaded
    export = served.root / "exports" / "linkedin" / "campaign_performance.csv"
    page.goto(served.url + "/data")
    page.set_input_files("#upload input[type=file]", str(export))
    page.click("#upload button[type=submit]")
    expect(page.locator(".flash")).to_contain_text("campaign_performance.csv")
    loads = page.locator("h2:text-is('Loads') + table tbody tr")
    expect(loads.first).to_contain_text("campaign_performance.csv")  # the newest load first
    latest = page.locator("h2:text-is('Last load per source') + table")
    expect(latest).to_contain_text("campaign_performance.csv")
    _shot(page, artifacts, "data")

    # accept a kernel proposal: a new kernel version is published
    page.goto(served.url + "/kernel?period=2026-Q3")
    proposal = page.locator(".card.proposal").first
    expect(proposal).to_contain_text("mid_market_finance")
    proposal.locator("input[name=note]").fill("the evidence is strong")
    proposal.locator("button", has_text="Accept").click()
    expect(page.locator(".flash")).to_contain_text("accepted")
    expect(page.locator("h1")).to_contain_text("Kernel v")
    expect(page.locator("h2", has_text="Conformance")).to_be_visible()
    expect(page.locator("table", has_text="on a segment").locator("tbody tr")).to_have_count(5)
    _shot(page, artifacts, "kernel")
    with Workspace.open(served.root) as ws:
        decided = ws.kernel_versions.decisions()
    assert [d.decision for d in decided.values()] == ["accepted"]

    for path, name in (("/assets", "assets"), ("/reviews", "reviews")):
        page.goto(served.url + path)
        _shot(page, artifacts, name)
    page.close()


def test_a_viewer_reads_and_is_refused_changes(
    browser: Browser, served: Served, artifacts: Path
) -> None:
    page = _sign_in(browser, served, "vic")
    page.goto(served.url + "/actions")
    expect(page.locator("#new-action")).to_have_count(0)  # no form to add actions
    expect(page.locator(".card.action button")).to_have_count(0)
    page.goto(served.url + "/kernel?period=2026-Q3")
    expect(page.locator(".card.proposal button")).to_have_count(0)
    # a write sent anyway, with the page's own CSRF token, is refused
    answer = page.evaluate(
        """async () => {
            const csrf = document.querySelector('input[name=csrf]').value;
            const r = await fetch('/api/actions', {method: 'POST',
                headers: {'content-type': 'application/json', 'x-csrf-token': csrf},
                body: JSON.stringify({title: 'x', owner: 'maya'})});
            return [r.status, (await r.json()).error.code];
        }"""
    )
    assert answer == [403, "forbidden"]
    _shot(page, artifacts, "viewer-kernel")
    page.close()


def test_an_editor_adds_an_asset_and_publishes_it(
    browser: Browser, served: Served, artifacts: Path
) -> None:
    page = _sign_in(browser, served, "priya")
    page.goto(served.url + "/assets")
    page.click("text=New asset")
    page.fill("input[name=asset_id]", "cs-acme-2026-11")
    page.fill("input[name=title]", "How Acme closes in four days")
    page.fill("input[name=type]", "case_study")
    page.select_option("select[name=pillar]", "close_faster")
    page.check("input[name=segments][value=mid_market_finance]")
    page.select_option("#asset-form select[name=owner]", "priya")
    page.click("#asset-form button[type=submit]")
    expect(page.locator(".flash")).to_contain_text("Asset cs-acme-2026-11 saved (idea)")
    # a move the lifecycle forbids is refused with the reason, and nothing changes
    page.click("text=How Acme closes in four days")
    page.select_option("select[name=status]", "published")
    page.click("#asset-form button[type=submit]")
    expect(page.locator(".flash")).to_contain_text("saved (published)")
    page.click("text=How Acme closes in four days")
    page.select_option("select[name=status]", "draft")
    page.click("#asset-form button[type=submit]")
    expect(page.locator(".flash.bad")).to_contain_text("back to 'draft'")
    _shot(page, artifacts, "asset-refused")
    with Workspace.open(served.root) as ws:
        from demandos.assets import load_library

        asset = load_library(ws.facts).get("cs-acme-2026-11")
    assert (asset.status, asset.pillar, asset.segments) == (
        "published",
        "close_faster",
        ("mid_market_finance",),
    )
    assert asset.published_at is not None and asset.published_at.date() == TODAY
    page.close()


@pytest.mark.parametrize(
    ("path", "heading", "content"),
    [
        ("/channels?period=2026-Q3", "Channels and programs · 2026-Q3", "Owned audiences"),
        ("/workflows?period=2026-10", "Workflows", "measured from the CRM · 2026-10"),
        ("/stack?period=2026-Q3", "Stack · 2026-Q3", "Overlapping tools"),
        ("/rollout", "Rollout · week", "Systems audit"),
    ],
)
def test_the_rest_of_the_system_reads_for_a_viewer(
    browser: Browser, served: Served, artifacts: Path, path: str, heading: str, content: str
) -> None:
    page = _sign_in(browser, served, "vic")
    answer = page.goto(served.url + path)
    assert answer is not None and answer.status == 200
    expect(page.locator("h1").first).to_contain_text(heading)
    expect(page.locator("main")).to_contain_text(content)
    assert "None" not in page.locator("main").inner_text().split()
    _shot(page, artifacts, path.strip("/").split("?")[0])
    page.close()
