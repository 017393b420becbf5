"""Tours of the results pages as an inspector and as a head of office, on a
laptop (1280 x 800) and on a phone (390 x 844), with screenshots of the
overview, an office page and monitoring. The charts must draw (plotly.js
from our own origin, under the Content-Security-Policy), carry the same
numbers as their tables, and nothing may overflow the page sideways."""

from __future__ import annotations

import os
import re

import pytest

if os.environ.get("CI") != "true":
    pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
from playwright.sync_api import expect  # noqa: E402
from sqlalchemy import select  # noqa: E402

from survey.models import Campaign, CampaignStatus, StaffUser  # noqa: E402
from survey.services import jobs, results  # noqa: E402
from survey.services.demo import seed_demo  # noqa: E402

from .conftest import LAPTOP, PHONE  # noqa: E402

VIEWPORTS = {"laptop": {"viewport": LAPTOP, "device_scale_factor": 1, "is_mobile": False,
                        "has_touch": False, "locale": "id-ID"},
             "phone": PHONE}


@pytest.fixture
def demo(session, today):
    logins = {role: (email, password)
              for role, email, password in seed_demo(session, today=today).logins}
    jobs.run_pending(session.get_bind())
    campaign = session.scalar(select(Campaign).where(Campaign.status == CampaignStatus.OPEN))
    return logins, campaign


def _sign_in(page, email, password):
    page.goto("/staff/login")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(password)
    page.locator("form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/staff/$"))


def _no_sideways_scroll(page, where):
    wide = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert wide <= 1, f"{where}: the page is {wide}px wider than the screen"


def _charts_drawn(page, where, expected):
    page.wait_for_function(
        "(n) => document.querySelectorAll('.chart .main-svg').length >= n", arg=expected,
        timeout=15_000)
    assert page.locator(".chart[hidden]").count() == 0, f"{where}: a chart was not drawn"


@pytest.mark.parametrize("size", ["laptop", "phone"])
@pytest.mark.parametrize("role", ["inspector", "unit_manager"])
def test_results_tour(new_context, screenshot, session, demo, role, size):
    logins, campaign = demo
    email, password = logins[role]
    context = new_context(**VIEWPORTS[size])
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    _sign_in(page, email, password)

    page.get_by_role("link", name=re.compile("^Hasil$")).first.click()
    expect(page).to_have_url(re.compile(rf"/staff/campaigns/{campaign.id}/results$"))
    expect(page.locator("h1")).to_contain_text(campaign.name)
    _charts_drawn(page, "overview", 1)
    stored = results.load(session, campaign.id)
    user = session.scalar(select(StaffUser).where(StaffUser.email == email))
    table = page.locator("table.results tbody")
    if role == "inspector":
        assert table.locator("tr").count() == len(stored.score.units)
        # the chart has a bar per office with an index, labelled as in the table
        bars = page.locator(".chart .bars .point").count()
        assert bars == len(stored.score.units)
    else:
        assert table.locator("tr").count() == 1
        expect(table).to_contain_text(user.unit.name)
        expect(page.locator("main")).not_to_contain_text("Dinas Pekerjaan Umum")
    _no_sideways_scroll(page, f"{role} overview")
    screenshot(page, f"{role}-{size}-overview")

    table.get_by_role("link", name=user.unit.name if role == "unit_manager"
                      else "Dinas Perhubungan").click()
    expect(page.locator("h1")).to_be_visible()
    _charts_drawn(page, "office page", 2)
    expect(page.locator("#fix-title")).to_be_visible()
    if role == "unit_manager":
        expect(page.locator("main")).to_contain_text("n < 5")
        expect(page.locator("main")).not_to_contain_text("Masukan dan saran responden")
    else:
        expect(page.locator("main")).to_contain_text("Masukan dan saran responden")
    _no_sideways_scroll(page, f"{role} office page")
    screenshot(page, f"{role}-{size}-office")

    page.goto(f"/staff/campaigns/{campaign.id}/results")
    page.get_by_role("link", name=re.compile("^Pemantauan")).click()
    expect(page.locator("h1")).to_have_text("Pemantauan")
    _charts_drawn(page, "monitoring", 1)
    monitoring = page.locator("table.monitoring tbody")
    expect(monitoring).to_contain_text(user.unit.name if role == "unit_manager"
                                       else "Dinas Perhubungan")
    if role == "unit_manager":  # the demo has 2-7 experts per office
        expect(monitoring).to_contain_text("n < 5")
        expect(page.locator("main")).not_to_contain_text("Dinas Pekerjaan Umum")
    else:
        expect(monitoring).not_to_contain_text("n < 5")
        expect(page.locator("main")).to_contain_text("Menjawab:")
    _no_sideways_scroll(page, f"{role} monitoring")
    screenshot(page, f"{role}-{size}-monitoring")
    page.get_by_role("link", name=re.compile("^Undangan yang dijawab per kantor")).click()
    expect(page.locator("h1")).to_be_visible()
    _no_sideways_scroll(page, f"{role} progress")
    screenshot(page, f"{role}-{size}-progress")
    assert not errors, errors  # e.g. a Content-Security-Policy refusal
