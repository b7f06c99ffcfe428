"""The counter as a browser sees it: only a real browser enforces CORS, so only one proves it.

Debian's Chromium runs headless, driven by Playwright (`executable_path`, never a downloaded
browser). The page (web/) is served from two loopback origins: `http://localhost:<port>`, which
the shared stack allows, and `http://127.0.0.1:<port>`, which it does not.
"""

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import pytest
import requests

from counterstack.harness.http import http_get_with_retry
from counterstack.harness.stack import Stack
from counterstack.page import PageServer
from counterstack.paths import REPO_ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CHROMIUM_ENV = "COUNTERSTACK_CHROMIUM"
REQUIRE_ENV = "COUNTERSTACK_REQUIRE_CHROMIUM"  # CI sets 1: a missing browser fails, not skips
CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Without the background-networking flags Chromium keeps dialling Google's hosts, which this
# machine refuses; --no-sandbox because CI runs as root.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = REPO_ROOT / "artifacts" / "browser"
SCREENSHOT = ARTIFACTS / "counter.png"
FAILED = "Could not load the visitor count"
WAIT_MS = 15_000
TIMEOUT = 10


def find_chromium() -> str | None:
    """$COUNTERSTACK_CHROMIUM, else the first Chromium or Chrome on PATH."""
    configured = os.environ.get(CHROMIUM_ENV)
    if configured:
        return configured if Path(configured).is_file() else None
    return next(filter(None, map(shutil.which, CHROMIUM_CANDIDATES)), None)


def no_browser(reason: str) -> NoReturn:
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{reason} ({REQUIRE_ENV}=1)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """A headless Chromium with a fresh profile, or a skip saying why there is none."""
    executable = find_chromium()
    if executable is None:
        no_browser(f"no Chromium found (apt-get install chromium, or set {CHROMIUM_ENV})")
    try:
        from playwright import sync_api
    except ImportError:
        no_browser("playwright is not installed (pip install -e '.[test]')")
    with sync_api.sync_playwright() as playwright:
        try:
            context = playwright.chromium.launch_persistent_context(
                str(tmp_path_factory.mktemp("chromium-profile")),  # a fresh --user-data-dir
                executable_path=executable,
                headless=True,
                args=CHROMIUM_ARGS,
                viewport={"width": 480, "height": 240},
            )
        except sync_api.Error as error:
            no_browser(f"Chromium at {executable} did not start: {str(error).splitlines()[0]}")
        context.set_default_timeout(WAIT_MS)
        try:
            yield context
        finally:
            context.close()


@pytest.fixture(scope="module")
def foreign_page() -> Iterator[PageServer]:
    """The same page from another origin (127.0.0.1 is not localhost to a browser)."""
    with PageServer(0, host="127.0.0.1") as page:
        yield page


@pytest.fixture(scope="module")
def stack(browser, shared_stack: Stack) -> Stack:
    """The shared stack (it allows the localhost page), once the browser is known to work."""
    http_get_with_retry(shared_stack.url())  # ready (AWS needs a moment to propagate)
    return shared_stack


@dataclass
class Tab:
    """A browser tab that records what the console said."""

    page: object
    console: list[str] = field(default_factory=list)

    def open(self, url: str) -> "Tab":
        self.page.goto(url)
        return self.settled()

    def reload(self) -> "Tab":
        self.page.reload()
        return self.settled()

    def settled(self) -> "Tab":
        self.page.wait_for_selector('#visitor-counter:not([data-state="loading"])')
        return self

    @property
    def state(self) -> str:
        return self.widget.get_attribute("data-state")

    @property
    def text(self) -> str:
        return self.widget.inner_text().strip()

    @property
    def count(self) -> int:
        assert self.state == "ok", f"the page shows an error: {self.text!r}"
        return int(self.widget.get_attribute("data-count"))

    @property
    def widget(self):
        return self.page.locator("#visitor-counter")

    def wait_for_console(self, pattern: re.Pattern[str], timeout_ms: int = 5_000) -> str:
        """The first console message matching `pattern` (they may trail the page's update)."""
        for _ in range(timeout_ms // 100):
            found = next((message for message in self.console if pattern.search(message)), None)
            if found:
                return found
            self.page.wait_for_timeout(100)
        raise AssertionError(f"no console message matches {pattern.pattern!r}: {self.console}")


@pytest.fixture
def tab(browser) -> Iterator[Tab]:
    page = browser.new_page()
    recorded = Tab(page)
    page.on("console", lambda message: recorded.console.append(message.text))
    try:
        yield recorded
    finally:
        page.close()


def api_count(url: str, **headers: str) -> requests.Response:
    response = requests.get(url, headers=headers, timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    return response


def test_page_servers_bind_loopback_only(allowed_page, foreign_page):
    assert allowed_page.bound_address == "127.0.0.1"
    assert foreign_page.bound_address == "127.0.0.1"
    assert allowed_page.origin != foreign_page.origin


def test_page_without_api_url_says_how_to_configure_it(tab, allowed_page):
    tab.open(allowed_page.url())
    assert tab.state == "error"
    assert tab.text.startswith(FAILED)
    assert "?api=" in tab.text


def test_allowed_origin_shows_the_count_and_a_reload_counts_again(tab, stack, allowed_page):
    tab.open(allowed_page.url(stack.url()))
    first = tab.count
    assert first >= 1
    assert tab.text == f"{first:,} visitor{'' if first == 1 else 's'}"
    status = tab.page.get_by_role("status")
    assert status.get_attribute("aria-live") == "polite"
    assert status.inner_text().strip() == tab.text

    assert tab.reload().count == first + 1

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    tab.page.screenshot(path=str(SCREENSHOT))
    assert SCREENSHOT.stat().st_size > 0
    assert not [m for m in tab.console if "CORS" in m or "Failed to load" in m], tab.console


def test_foreign_origin_is_blocked_by_the_browser_not_by_the_api(tab, stack, foreign_page):
    url = stack.url()
    before = api_count(url).json()["count"]

    tab.open(foreign_page.url(url))
    assert tab.state == "error"
    assert tab.text == FAILED
    blocked = tab.wait_for_console(re.compile(r"CORS policy", re.IGNORECASE))
    assert "Access-Control-Allow-Origin" in blocked
    assert foreign_page.origin in blocked

    # The API answered the browser (its visit was counted) and answers the same origin outside
    # a browser; only the missing access-control-allow-origin made Chromium hide the answer.
    response = api_count(url, origin=foreign_page.origin)
    assert response.json() == {"count": before + 2}
    assert "access-control-allow-origin" not in response.headers


def open_unknown_route(tab: Tab, stack: Stack, allowed_page) -> Tab:
    unknown = stack.url().rsplit("/visitors", 1)[0] + "/unknown"
    return tab.open(allowed_page.url(unknown))


def test_an_error_status_is_shown_as_a_failure(tab, stack, allowed_page):
    open_unknown_route(tab, stack, allowed_page)
    assert tab.state == "error"
    assert tab.text.startswith(FAILED)


@pytest.mark.local_only(reason="the local gateway adds CORS headers to its own 404")
def test_an_error_status_is_shown_with_its_code(tab, stack, allowed_page):
    """The browser lets the page read the 404 only with CORS headers, which the local gateway
    adds to its own answers: then the page names the status."""
    open_unknown_route(tab, stack, allowed_page)
    assert tab.state == "error"
    assert tab.text == f"{FAILED} (the API answered HTTP 404)"
