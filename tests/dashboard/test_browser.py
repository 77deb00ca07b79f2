"""The dashboard in a real browser (Playwright driving Debian's Chromium): the acceptance scenarios of the
dashboard, each leaving screenshots in the artifacts directory.

No browser is downloaded: the tests use ``/usr/bin/chromium`` (``apt-get install -y chromium``; ``./dev
test`` installs it), or ``$BOSS_TEST_CHROMIUM``. Without it, or without the ``playwright`` Python package,
the tests fail with a message saying what to install: a skipped browser test would hide a broken page.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from skynet.agent import MemoryBackend
from tests.dashboard.conftest import ALICE, OPERATOR, Site, artifacts_dir

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.integration

CHROMIUM = os.environ.get("BOSS_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 15_000


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright (fails with how to install what is missing)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the browser tests need the playwright Python package: pip install -e '.[dev]' "
                    "(never `playwright install`: the tests use Debian's chromium)", pytrace=False)
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: install Debian's package with "
                    "`sudo apt-get install -y chromium` (./dev test does), or set BOSS_TEST_CHROMIUM", pytrace=False)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def shots() -> Path:
    """Where this suite's screenshots go."""
    found = artifacts_dir() / "dashboard"
    found.mkdir(parents=True, exist_ok=True)
    return found


@pytest.fixture
def signed_in(browser: Browser, site: Site) -> Iterator[Callable[..., Page]]:
    """Opens a page signed in through the login form; fails the test on any script error or CSP violation."""
    contexts, problems = [], []

    def open_page(token: str = OPERATOR, viewport: dict[str, int] = LAPTOP, zone: str = "Europe/Helsinki") -> Page:
        context = browser.new_context(viewport=viewport, timezone_id=zone, locale="en-GB")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
        page.on("console", lambda message: problems.append(f"console: {message.text}")
                if message.type == "error" else None)
        page.goto(site.url + "/login")
        page.fill("#token", token)
        page.click("button[type=submit]")
        page.wait_for_url(site.url + "/")
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert problems == []


def shoot(page: Page, shots: Path, name: str) -> None:
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)


def test_a_process_launched_from_the_form_turns_from_running_to_done_without_a_reload(
        site: Site, signed_in: Callable[..., Page], shots: Path):
    page = signed_in()
    page.goto(site.url + "/definitions/dash-work")
    page.fill("#f-who", "a browser")
    page.fill("#f-seconds", "4")
    shoot(page, shots, "definition-launch-form")
    page.click("text=Launch dash-work")
    page.wait_for_url(re.compile(r".*/processes/[0-9a-f-]+$"))
    page.evaluate("window.__sameDocument = true")
    work = '#diagram g.node[data-path="steps[1]"]'
    page.wait_for_selector(f"{work}.st-running")
    assert page.locator('#timeline tr[data-path="steps[1]"]').get_attribute("data-status") == "running"
    shoot(page, shots, "process-running")
    page.wait_for_selector(f"{work}.st-done")
    page.wait_for_selector('#process-head .badge[data-status="done"]')
    assert page.locator('#timeline tr[data-path="steps[1]"]').get_attribute("data-status") == "done"
    assert page.evaluate("window.__sameDocument") is True  # updated in place, never reloaded
    shoot(page, shots, "process-done")
    process_id = page.url.rsplit("/", 1)[1]
    launched = site.deployment.records(process_id, "process.launched")[0].data
    assert launched["by"] == "api" and launched["fields"]["who"] == "a browser" and launched["fields"]["seconds"] == 4


def test_an_approval_is_answered_from_the_approvals_page(site: Site, signed_in: Callable[..., Page], shots: Path):
    process_id = site.launch("dash-approve", version="2031.05")
    site.wait_step(process_id, "go-no-go", "waiting")
    page = signed_in(ALICE)
    page.goto(site.url + "/approvals")
    approval = page.locator("article.approval", has_text="Ship 2031.05?")
    approval.locator("textarea[name=comment]").fill("tests are green")
    shoot(page, shots, "approvals")
    approval.locator("button[value=approve]").click()
    page.wait_for_selector("#flash:has-text('approve: the process is now running')")
    page.locator("article.approval", has_text="Ship 2031.05?").wait_for(state="detached")
    site.deployment.wait(process_id, "done")
    answered = site.deployment.records(process_id, "approval.answered")[0].data
    assert answered["approved"] is True and answered["by"] == "alice" and answered["comment"] == "tests are green"


def test_a_failed_step_is_retried_with_a_corrected_field_from_the_process_page(
        site: Site, signed_in: Callable[..., Page], shots: Path):
    process_id = site.launch("dash-fails")
    site.wait_step(process_id, "deploy", "failed")
    page = signed_in()
    page.goto(f"{site.url}/processes/{process_id}")
    problem = page.locator(".failed-step", has_text="deploy failed")
    assert "broken: True" in problem.inner_text()
    shoot(page, shots, "process-failed")
    problem.locator("summary", has_text="Correct fields").click()
    problem.locator("input[name=target]").fill("good")
    problem.locator("button", has_text="Retry deploy").click()
    page.wait_for_selector('#process-head .badge[data-status="done"]')
    page.wait_for_selector('#diagram g.node.st-done[data-path="steps[0]"]')
    retried = site.deployment.records(process_id, "step.retried")[0].data
    assert retried["fields"] == {"target": "good"} and retried["by"] == "api"
    shoot(page, shots, "process-retried")


def test_participants_are_seen_with_their_instances_and_pools(
        site: Site, signed_in: Callable[..., Page], shots: Path, pool_ready: MemoryBackend):
    page = signed_in()
    page.goto(site.url + "/participants")
    echo = page.locator("#participant-echo")
    assert "1 alive" in echo.inner_text() and "ago" in echo.inner_text()
    page.wait_for_selector('#pool-build1 tr[data-program="jira"]')
    shoot(page, shots, "participants")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator('#pool-build1 tr[data-program="jira"] button', has_text="Restart").click()
    page.wait_for_selector("#flash:has-text('Done in build1')")
    assert ("restart", ("jira",)) in pool_ready.done


def test_every_page_reads_well_at_laptop_and_phone_widths_with_times_in_the_viewers_zone(
        site: Site, signed_in: Callable[..., Page], shots: Path):
    failed = site.launch("dash-fails")
    site.wait_step(failed, "deploy", "failed")
    release = site.launch("monthly-release", version="2026.12", feature_freeze="1s")  # jira is not running here
    site.wait_step(release, "create-version", "running")
    pages = {"processes": "/", "process": f"/processes/{failed}", "process-monthly-release": f"/processes/{release}",
             "approvals": "/approvals",
             "participants": "/participants", "definitions": "/definitions",
             "definition-monthly-release": "/definitions/monthly-release", "calendar": "/calendar"}
    for width, viewport in (("laptop", LAPTOP), ("phone", PHONE)):
        page = signed_in(viewport=viewport, zone="America/New_York")
        for name, path in pages.items():
            page.goto(site.url + path)
            overflow: Any = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{name} is wider than a {width} screen by {overflow}px"
            shoot(page, shots, f"{name}-{width}")
        page.goto(f"{site.url}/processes/{failed}")
        launched = page.locator("#process-head time").first
        assert "America/New_York" in (launched.get_attribute("title") or "")
        assert "UTC" not in launched.inner_text()  # rewritten in the viewer's zone by the script
    site.api("POST", f"/api/processes/{release}/cancel", json={})


def test_a_visitor_without_a_session_signs_in_and_lands_on_the_page_the_link_pointed_to(
        browser: Browser, site: Site, shots: Path):
    context = browser.new_context(viewport=LAPTOP)
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(site.url + "/definitions/dash-work?from=slack")
        page.wait_for_url(re.compile(r".*/login\?next=%2Fdefinitions%2Fdash-work%3Ffrom%3Dslack$"))
        shoot(page, shots, "login")
        page.fill("#token", "not a token")
        page.click("button[type=submit]")
        assert "This token is not accepted" in page.locator("p.error").inner_text()
        page.fill("#token", OPERATOR)
        page.click("button[type=submit]")
        page.wait_for_url(site.url + "/definitions/dash-work?from=slack")
        assert page.locator("h1").inner_text().startswith("dash-work")
        cookie = next(c for c in context.cookies() if c["name"] == "boss_session")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
        assert page.evaluate("document.cookie") == ""  # the script cannot read the session
    finally:
        context.close()
