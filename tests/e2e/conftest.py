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
#: A laptop screen, the inspectorate's and many respondents' other device.
LAPTOP = {"width": 1280, "height": 800}
TIMEOUT_MS = 15_000
HERE = Path(__file__).resolve().parent
#: axe-core, vendored for the tests only (tests/e2e/vendor/README.md); the
#: application never serves it.
AXE_SOURCE = HERE / "vendor" / "axe.min.js"


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


class Axe:
    """Runs axe-core on pages and collects every violation, of any impact:
    every rule axe runs by default (WCAG 2.0-2.2 A and AA and its best
    practices) and target size (WCAG 2.2 AA), which it leaves off.

    axe is added to each new document of a context by an init script (the
    browser runs it before the page's own scripts, outside the page's
    Content-Security-Policy, which forbids inline scripts), so pages are
    checked exactly as they are served. :meth:`check` runs it at phone and
    at laptop width; :meth:`assert_clean` fails with every violation found,
    where, and which elements.
    """

    def __init__(self, new_context):
        self._new_context = new_context
        self.checked: list[str] = []
        self.violations: list[str] = []

    def context(self, **overrides):
        """A new phone browser context (own cookies) that carries axe-core."""
        context = self._new_context(**overrides)
        context.add_init_script(path=str(AXE_SOURCE))
        return context

    def check(self, page, name: str) -> None:
        """Check the page as it is now, at phone and at laptop width."""
        for width, viewport in (("phone", PHONE["viewport"]), ("laptop", LAPTOP)):
            page.set_viewport_size(viewport)
            found = page.evaluate(
                """async () => {
                  const result = await axe.run(document, {
                    resultTypes: ["violations"],
                    // WCAG 2.2 AA 2.5.8, which axe leaves off by default.
                    rules: {"target-size": {enabled: true}}});
                  return result.violations.map(v => ({
                    id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ")),
                    count: v.nodes.length}));
                }"""
            )
            self.checked.append(f"{name} @{width}")
            for v in found:
                self.violations.append(
                    f"{name} @{width} ({page.url}): {v['id']} [{v['impact']}] {v['help']}; "
                    f"{v['count']} element(s), e.g. {', '.join(v['nodes'])}"
                )
        page.set_viewport_size(PHONE["viewport"])

    def assert_clean(self) -> None:
        print(f"axe-core checked {len(self.checked)} page views")
        assert self.checked, "no page was checked"
        assert not self.violations, "axe-core violations:\n" + "\n".join(self.violations)


@pytest.fixture
def axe(new_context) -> Axe:
    """An :class:`Axe` for the test; ``axe.context()`` opens browsers."""
    return Axe(new_context)
