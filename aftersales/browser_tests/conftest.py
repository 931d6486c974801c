"""Fixtures of the browser tests: one Chromium for the session, a fresh context per test, pages watched.

Every page a test opens is watched: a JavaScript error, a console error, a server error (5xx) or a
request for anything outside the live server (users run the system on intranets, pages must load
nothing from the internet) fails the test. A test that expects a console error (the 404 page logs
its status) declares it with `web.allow_console(...)`.

Playwright's sync API keeps an asyncio loop running in the main thread while it is started, and
Django refuses ORM calls from a thread with a running loop. So Chromium starts with the first
browser test, `DJANGO_ALLOW_ASYNC_UNSAFE` is set only while it runs (the tests' own ORM calls are
synchronous and safe), and both end as soon as the next test is not a browser test: the rest of the
suite runs as it always does.
"""

import os
import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from aftersales.browser_tests.helpers import BROWSER_LOCALE, session_cookie

ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 10_000  # generous for a loaded CI machine; a passing run never waits for it
expect.set_options(timeout=TIMEOUT_MS)


class Chromium:
    """Debian's Chromium, started on first use and stopped when the browser tests are done."""

    def __init__(self) -> None:
        self._playwright = None
        self._browser: Browser | None = None
        self._saved_env: str | None = None

    def get(self) -> Browser:
        if self._browser is None:
            self._saved_env = os.environ.get(ASYNC_UNSAFE)
            os.environ[ASYNC_UNSAFE] = "true"
            self._playwright = sync_playwright().start()
            self._browser = self._playwright.chromium.launch(
                executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
                headless=True,
                args=CHROMIUM_ARGS,
            )
        return self._browser

    def stop(self) -> None:
        if self._playwright is None:
            return
        try:
            if self._browser is not None:
                self._browser.close()
        finally:
            self._playwright.stop()
            self._playwright = self._browser = None
            if self._saved_env is None:
                os.environ.pop(ASYNC_UNSAFE, None)
            else:
                os.environ[ASYNC_UNSAFE] = self._saved_env


_CHROMIUM = Chromium()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    try:
        return (yield)
    finally:
        if nextitem is None or nextitem.get_closest_marker("browser") is None:
            _CHROMIUM.stop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """What went wrong in the pages fails the test itself (and explains a failure it caused)."""
    web = item.funcargs.get("web")
    try:
        result = yield
    except BaseException as exc:
        if web is not None and web.problems:
            exc.add_note(web.report())
            web.problems.clear()
        raise
    if web is not None:
        web.assert_clean()
    return result


@pytest.fixture(scope="session")
def chromium():
    yield _CHROMIUM
    _CHROMIUM.stop()


class Web:
    """The test's browser contexts on the live server, and what went wrong in them."""

    def __init__(self, browser: Browser, base_url: str) -> None:
        self.browser = browser
        self.base_url = base_url
        self.host = urlsplit(base_url).netloc
        self.problems: list[str] = []
        self.allowed_console: list[re.Pattern] = []
        self._contexts = []

    def new_page(self, user=None, **context_options) -> Page:
        """A page in a new context (own cookies), signed in as `user` when given."""
        options = {"base_url": self.base_url, "locale": BROWSER_LOCALE, "timezone_id": "Asia/Shanghai"}
        context = self.browser.new_context(**{**options, **context_options})
        context.set_default_timeout(TIMEOUT_MS)
        context.route("**/*", self._route)
        if user is not None:
            context.add_cookies([session_cookie(user, self.base_url)])
        self._contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: self.problems.append(f"JavaScript error on {page.url}: {error}"))
        page.on("console", lambda message: self._console(page, message))
        page.on("response", self._response)
        return page

    def allow_console(self, pattern: str) -> None:
        """A console error matching `pattern` is expected by the test (e.g. the status of a 404 page)."""
        self.allowed_console.append(re.compile(pattern))

    def _route(self, route) -> None:
        if urlsplit(route.request.url).netloc == self.host:
            route.continue_()
        else:
            self.problems.append(f"request outside the live server: {route.request.url}")
            route.abort()

    def _console(self, page: Page, message) -> None:
        if message.type == "error" and not any(p.search(message.text) for p in self.allowed_console):
            self.problems.append(f"console error on {page.url}: {message.text}")

    def _response(self, response) -> None:
        if response.status >= 500:
            self.problems.append(f"server error {response.status} for {response.url}")

    def report(self) -> str:
        return "the pages went wrong:\n" + "\n".join(self.problems)

    def assert_clean(self) -> None:
        problems, self.problems = self.problems, []
        assert not problems, "the pages went wrong:\n" + "\n".join(problems)

    def close(self) -> None:
        for context in self._contexts:
            context.close()


@pytest.fixture
def web(chromium, live_server):
    """Open pages with `web.new_page(user=...)`; the test fails if any of them went wrong."""
    web = Web(chromium.get(), live_server.url)
    yield web
    web.close()
    web.assert_clean()


@pytest.fixture
def advisor(branch):
    """A service advisor of the BJ01 store."""
    from aftersales.core.testing import make_person

    return make_person(role="service_advisor", branch=branch, username="advisor")
