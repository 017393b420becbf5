"""The API's pages as a person sees them on a phone (390 x 844): creating a
personal token (shown once), registering a webhook (its secret shown
once), and the API reference rendered from the OpenAPI document; each
checked by axe-core at phone and laptop width."""

from __future__ import annotations

import os
import re

import pytest

if os.environ.get("CI") != "true":  # under CI a missing playwright must fail the run
    pytest.importorskip(
        "playwright.sync_api", reason="the playwright package is not installed; browser tests"
    )
from playwright.sync_api import expect  # noqa: E402
from support import PASSWORD  # noqa: E402

from survey.services import staff  # noqa: E402


@pytest.fixture
def people(session, factory):
    factory.campaign(unit=factory.unit("DINKES"), name="SPI Kota Uji")
    staff.create_user(session, email="inspektur@kota.example", name="Silvi",
                      role="inspector", password=PASSWORD)
    staff.create_user(session, email="admin@kota.example", name="Adi", role="admin",
                      password=PASSWORD)


def _sign_in(page, email):
    page.goto("/staff/login")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/staff/"))


def _no_sideways_scroll(page, where):
    wide = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert wide <= 1, f"{where}: the page is {wide}px wider than the screen"


def test_a_person_creates_a_token_and_reads_the_api_with_it(axe, people, screenshot):
    page = axe.context().new_page()
    _sign_in(page, "inspektur@kota.example")
    page.goto("/staff/account")
    page.get_by_role("link", name="Token API").click()
    page.locator("#token-name").fill("Dasbor Smart City")
    page.get_by_role("button", name="Buat token").click()
    token = page.locator(".link-once code").inner_text()
    assert token.startswith("spi_")
    expect(page.locator(".confirm .help")).to_contain_text("Authorization: Bearer <token>")
    _no_sideways_scroll(page, "tokens")
    screenshot(page, "token-created")
    axe.check(page, "token created")
    answer = page.request.get("/api/v1/campaigns", headers={"Authorization": f"Bearer {token}"})
    assert answer.status == 200 and answer.json()["items"][0]["name"] == "SPI Kota Uji"
    page.reload()  # shown once: not after a reload (the form posts again or shows the list)
    page.goto("/staff/account/tokens")
    expect(page.locator(".link-once")).to_have_count(0)
    axe.check(page, "tokens list")
    axe.assert_clean()


def test_an_administrator_registers_a_webhook(axe, people, screenshot):
    page = axe.context().new_page()
    _sign_in(page, "admin@kota.example")
    page.get_by_role("link", name="Webhook").first.click()
    page.locator("#hook-url").fill("https://dasbor.kota.example/hooks/spi")
    page.locator("#hook-description").fill("Dasbor Smart City")
    page.get_by_role("button", name="Daftarkan").click()
    assert page.locator(".link-once code").last.inner_text().startswith("whsec_")
    # The long address wraps inside its card.
    assert page.evaluate("(() => { const c = document.querySelector('.confirm');"
                         " return c.scrollWidth <= c.clientWidth; })()")
    _no_sideways_scroll(page, "webhooks")
    screenshot(page, "webhook-registered")
    axe.check(page, "webhook registered")
    axe.assert_clean()


def test_the_api_reference_reads_the_openapi_document(axe, screenshot):
    page = axe.context().new_page()
    page.goto("/static/api/index.html")
    expect(page.locator("#getResults")).to_be_visible()
    expect(page.locator("#schema-UnitScore")).to_be_attached()
    assert page.locator("#status").count() == 0
    _no_sideways_scroll(page, "reference")
    screenshot(page, "api-reference")
    axe.check(page, "API reference")
    axe.assert_clean()
