"""Load times on a slow phone link: intro, first question page, thank-you.

    .venv/bin/python benchmarks/slow_network.py [--runs 3]

Serves the application (default instrument, a temporary SQLite database)
on 127.0.0.1 and drives Debian's Chromium through Playwright with the
issue 12 profile, set through the DevTools protocol:

- network: 400 ms latency, 50,000 bytes/s down and up
  (``Network.emulateNetworkConditions``);
- CPU 4x slower (``Emulation.setCPUThrottlingRate``).

Each run uses a new personal link and a new browser context (empty cache):

- **intro**: the link opened;
- **first page**: page 1 opened directly by its address (after Start was
  tapped without throttling, as when the person comes back to it);
- **thank-you**: on the last page, "send" tapped: the POST, its redirect
  and the thank-you page (earlier pages saved without throttling).

Load time is the document's ``loadEventEnd`` (Navigation Timing, from the
start of the navigation); bytes are every response's ``encodedDataLength``
(headers and compressed body, as on the wire) from that navigation until
its load event, favicon included. The median of the runs is printed per
page; the last line is one JSON object with ``intro_ms``,
``first_page_ms``, ``thanks_ms``, ``intro_bytes``, ``first_page_bytes``,
``thanks_bytes``. Targets (issue 12): intro and first page each at most
1,000 ms and 10 KB (10,240 B). Exit status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy.orm import Session  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from survey import clock, create_app  # noqa: E402
from survey.database import upgrade  # noqa: E402
from survey.extensions import db  # noqa: E402
from survey.models import Campaign, CampaignStatus, Institution, Unit  # noqa: E402
from survey.services import invitations  # noqa: E402
from survey.services.instruments import default_instrument_text, register_instrument  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True, "locale": "id-ID"}
LATENCY_MS = 400
THROUGHPUT = 50_000  # bytes per second, each way
CPU_SLOWDOWN = 4
TARGET_MS = 1000
TARGET_BYTES = 10 * 1024
LOAD_TIME = "() => performance.getEntriesByType('navigation')[0].loadEventEnd"


def build(folder: Path, links: int):
    """The app on a new database, and ``links`` personal links (internal group)."""
    app = create_app({
        "DATABASE_URL": f"sqlite:///{folder / 'slow-network.db'}",
        "INSTANCE_PATH": str(folder / "instance"),
        "SECRET_KEY": "slow-network-benchmark-only",
        "RATE_LIMITS": False,
    })
    with app.app_context():
        upgrade(db.engine)
        engine = db.engine
    today = clock.today(app.config["TIMEZONE"])
    with Session(engine, expire_on_commit=False) as session:
        version = register_instrument(session, default_instrument_text(), source="default")
        institution = Institution(code="KHJ-SN", name="Pemerintah Kota Harapan Jaya")
        unit = Unit(institution=institution, code="DPMPTSP",
                    name="Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu")
        campaign = Campaign(
            institution=institution, name="Survei Penilaian Integritas Kota Harapan Jaya 2026",
            period=str(today.year), target=72, opens_on=today - timedelta(days=10),
            closes_on=today + timedelta(days=30), status=CampaignStatus.OPEN,
            instrument_version=version)
        session.add(campaign)
        session.flush()
        issued = invitations.issue(session, campaign, [
            invitations.Invitee(unit.id, "internal", phone=f"+62812000000{i:02d}")
            for i in range(links)], seal=None)
        session.commit()
    return app, [f"/r/{token}" for _, token in issued]


class Throttle:
    """The DevTools session of one page: the slow profile on or off, and the
    bytes received since :meth:`count` was called."""

    def __init__(self, context, page):
        self.cdp = context.new_cdp_session(page)
        self.cdp.send("Network.enable")
        self.bytes = 0
        self.cdp.on("Network.loadingFinished", self._finished)

    def _finished(self, event) -> None:
        self.bytes += int(event.get("encodedDataLength", 0))

    def slow(self, on: bool = True) -> None:
        self.cdp.send("Network.emulateNetworkConditions", {
            "offline": False,
            "latency": LATENCY_MS if on else 0,
            "downloadThroughput": THROUGHPUT if on else -1,
            "uploadThroughput": THROUGHPUT if on else -1,
        })
        self.cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN if on else 1})

    def count(self) -> None:
        self.bytes = 0


def _settle(page) -> None:
    """Wait for the load event and the favicon that follows it."""
    page.wait_for_load_state("load")
    page.wait_for_timeout(LATENCY_MS * 3)


def measure(page, throttle: Throttle, go) -> tuple[float, int]:
    throttle.count()
    go()
    _settle(page)
    return float(page.evaluate(LOAD_TIME)), throttle.bytes


def run_once(browser, server: str, base: str) -> dict[str, tuple[float, int]]:
    found = {}
    # intro, empty cache
    context = browser.new_context(base_url=server, **PHONE)
    page = context.new_page()
    throttle = Throttle(context, page)
    throttle.slow()
    found["intro"] = measure(page, throttle, lambda: page.goto(base))
    throttle.slow(False)
    page.get_by_role("button", name="Mulai").click()
    page.wait_for_url(f"**{base}/1")
    context.close()

    # first question page opened directly, empty cache
    context = browser.new_context(base_url=server, **PHONE)
    page = context.new_page()
    throttle = Throttle(context, page)
    throttle.slow()
    found["first_page"] = measure(page, throttle, lambda: page.goto(f"{base}/1"))

    # every page saved unthrottled, then "send" on the slow link
    throttle.slow(False)
    while not page.locator("button[value=submit]").count():
        current = page.url
        page.locator("button[value=next]").click()
        page.wait_for_url(lambda url, current=current: url != current)
    throttle.slow()
    found["thanks"] = measure(page, throttle,
                              lambda: page.locator("button[value=submit]").click())
    if not page.url.endswith("/selesai"):
        raise RuntimeError(f"sending ended on {page.url}, not the thank-you page")
    context.close()
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        app, links = build(Path(folder), args.runs)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        base_url = f"http://127.0.0.1:{server.server_port}"
        runs = []
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
                try:
                    for number, link in enumerate(links, start=1):
                        found = run_once(browser, base_url, link)
                        runs.append(found)
                        figures = [f"{name} {ms:,.0f} ms {size:,} B"
                                   for name, (ms, size) in found.items()]
                        print(f"run {number}: " + ", ".join(figures))
                finally:
                    browser.close()
        finally:
            server.shutdown()
            thread.join(timeout=10)

    print(f"\nProfile: latency {LATENCY_MS} ms, {THROUGHPUT:,} B/s each way, CPU {CPU_SLOWDOWN}x "
          f"slower; empty cache; median of {len(runs)} runs")
    result, ok = {}, True
    for name, label in (("intro", "intro"), ("first_page", "first question page"),
                        ("thanks", "thank-you (send)")):
        ms = statistics.median(r[name][0] for r in runs)
        size = int(statistics.median(r[name][1] for r in runs))
        result[f"{name}_ms"], result[f"{name}_bytes"] = round(ms), size
        verdict = ""
        if name != "thanks":
            passed = ms <= TARGET_MS and size <= TARGET_BYTES
            ok &= passed
            verdict = (f"  {'PASS' if passed else 'FAIL'} (target <= {TARGET_MS:,} ms and "
                       f"<= {TARGET_BYTES:,} B)")
        print(f"{label:<22} {ms:>7,.0f} ms {size:>8,} B{verdict}")
    print(json.dumps(result))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
