"""Downloads as a person gets them, on a phone (390 x 844): the inspector
finds the downloads under the results, gets the XLSX and the microdata ZIP
by clicking, and opens an office's print view; screenshots of each."""

from __future__ import annotations

import os
import re
import zipfile

import pytest

if os.environ.get("CI") != "true":
    pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
from playwright.sync_api import expect  # noqa: E402
from sqlalchemy import select  # noqa: E402

from survey.models import Campaign, CampaignStatus, Unit  # noqa: E402
from survey.services import jobs  # noqa: E402
from survey.services.demo import seed_demo  # noqa: E402

from .conftest import PHONE  # noqa: E402

pytestmark = pytest.mark.e2e


@pytest.fixture
def demo(session, today):
    logins = {role: (email, password)
              for role, email, password in seed_demo(session, today=today).logins}
    jobs.run_pending(session.get_bind())
    campaign = session.scalar(select(Campaign).where(Campaign.status == CampaignStatus.OPEN))
    return logins, campaign


def test_an_inspector_downloads_on_a_phone(new_context, screenshot, session, demo, tmp_path):
    logins, campaign = demo
    email, password = logins["inspector"]
    context = new_context(**PHONE, accept_downloads=True)
    page = context.new_page()
    page.goto("/staff/login")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(password)
    page.locator("form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/staff/$"))

    page.goto(f"/staff/campaigns/{campaign.id}/results")
    section = page.locator("section.downloads")
    section.scroll_into_view_if_needed()
    expect(section.locator("h2")).to_have_text("Unduhan")
    wide = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert wide <= 1, f"the page is {wide}px wider than the screen"
    section.screenshot(path=str(tmp_path / "downloads-section.png"))
    screenshot(page, "overview-with-downloads")

    with page.expect_download() as caught:
        section.get_by_role("link", name=re.compile("judul kolom bahasa Indonesia")).click()
    assert caught.value.suggested_filename.endswith("-scores.xlsx")

    with page.expect_download() as caught:
        section.get_by_role("button", name="Unduh data mikro").click()
    path = tmp_path / "microdata.zip"
    caught.value.save_as(path)
    with zipfile.ZipFile(path) as archive:
        assert any(n.endswith("/responses.csv") for n in archive.namelist())

    unit = session.scalar(select(Unit).where(Unit.code == "DISHUB"))
    page.goto(f"/staff/campaigns/{campaign.id}/units/{unit.id}/report")
    expect(page.locator("h1")).to_have_text(unit.name)
    expect(page.locator("svg").first).to_be_visible()
    wide = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert wide <= 1, f"the print view is {wide}px wider than the screen"
    screenshot(page, "office-print-view")
