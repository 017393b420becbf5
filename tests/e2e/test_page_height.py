"""Short pages (issue 12, item 4): on a 390 x 844 phone no page of the
default instrument is taller than two screens, with every question on it
shown and answered, and the intro announces the number of pages the
person then sees.
"""

from __future__ import annotations

import os
import re

import pytest

if os.environ.get("CI") != "true":  # under CI a missing playwright must fail the run
    pytest.importorskip(
        "playwright.sync_api", reason="the playwright package is not installed; browser tests"
    )
from browsing import FILL, SHOW_ALL  # noqa: E402
from playwright.sync_api import expect  # noqa: E402

SCREEN = 844
LIMIT = 2 * SCREEN


@pytest.mark.parametrize("group", ["internal", "external", "expert"])
def test_no_page_is_taller_than_two_phone_screens(browser_page, factory, group, screenshot):
    campaign = factory.campaign(version=factory.default_version())
    if group == "external":
        base = f"/o/{factory.open_link(campaign).code}"
    else:
        base = f"/r/{factory.invitation(campaign, group=group)[1]}"
    page = browser_page
    page.goto(base)
    announced = int(re.search(r"(\d+)", page.locator(".facts li").first.inner_text()).group(1))
    page.locator("form[action$='/mulai'] button").click()
    heights: dict[str, int] = {}
    totals = set()
    while page.locator("form.questionnaire").count():
        number = page.url.rsplit("/", 1)[1]
        totals.add(int(re.findall(r"\d+", page.locator("#progress-label").inner_text())[-1]))
        page.evaluate(FILL, SHOW_ALL)
        heights[number] = page.evaluate("document.documentElement.scrollHeight")
        if heights[number] > LIMIT:
            screenshot(page, f"{group}-page-{number}-too-tall")
        button = page.locator("form.questionnaire button[value=next]")
        if not button.count():
            break
        current = page.url
        button.click()
        expect(page).not_to_have_url(current)
    print(f"{group}: page heights at 390 x 844 (px): {heights}")
    tall = {n: h for n, h in heights.items() if h > LIMIT}
    assert not tall, f"{group}: pages taller than {LIMIT} px: {tall}"
    # Every question shown: the person saw as many pages as the intro said.
    assert totals == {announced} == {len(heights)}, (announced, totals, len(heights))
