"""Browser tests: Playwright driving Debian's Chromium against the app served
on 127.0.0.1 by a background thread.

Every test here gets the ``e2e`` marker. Without Chromium (or without the
playwright package) they skip with the reason, except when ``CI=true``, where
a missing browser fails the run: CI must never pass by skipping them.

Playwright's own browser download is not used; Debian's package is launched
by path. Screenshots (full page) are saved under each test's ``tmp_path``;
their paths are printed and recorded as test properties (JUnit XML).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

#: Debian's Chromium; E2E_CHROMIUM may name another build of Chromium.
CHROMIUM = Path(os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium"))
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
#: A mid-range Android phone held upright.
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "id-ID",
}
TIMEOUT_MS = 15_000
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items):
    for item in items:
        if HERE in item.path.resolve().parents:
            item.add_marker(pytest.mark.e2e)


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(
            f"{reason}. CI=true: the browser tests must run there, not skip.", pytrace=False
        )
    pytest.skip(f"{reason}; browser tests skipped")


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium, launched once per test run."""
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e '.[test]')")
    if not CHROMIUM.is_file():
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        except PlaywrightError as error:
            _unavailable(f"{CHROMIUM} does not start: {str(error).strip().splitlines()[0]}")
        yield browser
        browser.close()


def _serve(app, *, https: bool = False):
    server = make_server("127.0.0.1", 0, app, threaded=True,
                         ssl_context="adhoc" if https else None)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"{'https' if https else 'http'}://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.fixture
def live_server(app) -> str:
    """The test's app served over HTTP on 127.0.0.1 (a free port); its base URL."""
    yield from _serve(app)


@pytest.fixture
def live_https_server(app) -> str:
    """The same over HTTPS with a throw-away certificate, as production runs:
    browsers and Flask-WTF behave differently there (Referer checks)."""
    yield from _serve(app, https=True)


@pytest.fixture
def screenshot(tmp_path, record_property):
    """``screenshot(page, name)`` saves a full-page PNG under ``tmp_path``."""
    taken: list[Path] = []

    def shoot(page, name: str) -> Path:
        path = tmp_path / f"{len(taken) + 1:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        taken.append(path)
        print(f"screenshot: {path}")
        record_property(f"screenshot_{len(taken):02d}", str(path))
        return path

    shoot.taken = taken
    return shoot


@pytest.fixture
def new_context(chromium, live_server, screenshot):
    """``new_context()`` opens a fresh phone browser (own cookies) on the live
    server; every page still open at the end is screenshotted, then closed."""
    contexts = []

    def make(**overrides):
        context = chromium.new_context(**{"base_url": live_server, **PHONE, **overrides})
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        try:
            pages = [p for p in context.pages if not p.is_closed()]
            if pages and not screenshot.taken:
                screenshot(pages[-1], "last")
        finally:
            context.close()


@pytest.fixture
def browser_page(new_context):
    """A page in a new phone browser (390 x 844, touch, id-ID) on the live server."""
    return new_context().new_page()
