"""Nothing typed is lost (issue 12, build 2), in Chromium at 390x844: an
answer tapped or typed survives closing the browser before "next", a lost
connection and a language switch. The page's script saves answers as they
change (tests/survey/test_autosave.py tests the endpoint it calls)."""

from __future__ import annotations

import os
import re

import pytest

if os.environ.get("CI") != "true":  # under CI a missing playwright must fail the run
    pytest.importorskip(
        "playwright.sync_api", reason="the playwright package is not installed; browser tests"
    )
from playwright.sync_api import Page, expect  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from survey.models import PendingResponse, Response  # noqa: E402

SAVED_ID = "Jawaban di halaman ini sudah tersimpan."
OFFLINE_ID = "Tidak ada koneksi"


@pytest.fixture
def base(factory):
    """A personal link to the small instrument: pages profile, alpha, beta, closing."""
    _, token = factory.invitation(factory.campaign())
    return f"/r/{token}"


def _saved(response) -> bool:
    return response.url.endswith("/simpan") and response.status == 204


def tap(page: Page, question: str, code: str) -> None:
    option = page.locator(f"#q-{question} input[value='{code}']")
    page.locator(f"label[for='{option.get_attribute('id')}']").tap()
    expect(option).to_be_checked()


def start(page: Page, base: str) -> None:
    page.goto(base)
    page.get_by_role("button", name="Mulai").tap()
    expect(page).to_have_url(re.compile(re.escape(base) + "/1$"))


def resume(context, base: str) -> Page:
    page = context.new_page()
    page.goto(base)
    page.get_by_role("link", name="Lanjutkan dari halaman terakhir").tap()
    return page


def go_next(page: Page, base: str, number: int) -> None:
    page.locator("button[value=next]").tap()
    expect(page).to_have_url(re.compile(re.escape(base) + rf"/{number}$"))


def _nothing_sent(session) -> bool:
    session.expire_all()
    return not any(session.scalar(select(func.count()).select_from(m))
                   for m in (PendingResponse, Response))


def test_tapped_and_typed_answers_survive_closing_the_browser_before_next(
        new_context, base, session, screenshot):
    first = new_context()
    page = first.new_page()
    start(page, base)
    with page.expect_response(_saved):
        tap(page, "INT_P1", "Y")
    expect(page.locator("#save-status")).to_have_text(SAVED_ID)
    screenshot(page, "tapped-and-saved")
    first.close()   # closed before "next"

    second = new_context()
    page = resume(second, base)
    expect(page).to_have_url(re.compile(re.escape(base) + "/1$"))
    expect(page.locator("#q-INT_P1 input[value='Y']")).to_be_checked()
    go_next(page, base, 2)
    tap(page, "INT_A1", "4")
    go_next(page, base, 3)
    go_next(page, base, 4)
    with page.expect_response(_saved):
        page.locator("#in-INT_T").fill("Antrean panjang di loket 3")
        page.locator("#in-INT_N").fill("150000")
    screenshot(page, "typed-and-saved")
    second.close()

    page = resume(new_context(), base)
    expect(page).to_have_url(re.compile(re.escape(base) + "/4$"))
    expect(page.locator("#in-INT_T")).to_have_value("Antrean panjang di loket 3")
    expect(page.locator("#in-INT_N")).to_have_value("150000")
    screenshot(page, "typed-after-reopening")
    assert _nothing_sent(session)


def test_answer_tapped_while_offline_is_saved_when_the_connection_returns(
        new_context, base, screenshot):
    context = new_context()
    page = context.new_page()
    start(page, base)
    context.set_offline(True)
    tap(page, "INT_P1", "N")
    expect(page.locator("#save-status")).to_contain_text(OFFLINE_ID)
    screenshot(page, "offline")
    with page.expect_response(_saved, timeout=15_000):
        context.set_offline(False)
    expect(page.locator("#save-status")).to_have_text(SAVED_ID)
    screenshot(page, "back-online")
    context.close()

    page = resume(new_context(), base)
    expect(page.locator("#q-INT_P1 input[value='N']")).to_be_checked()


def test_language_switch_keeps_the_answers_of_the_current_page(new_context, base, screenshot):
    page = new_context().new_page()
    start(page, base)
    tap(page, "INT_P1", "Y")
    go_next(page, base, 2)
    tap(page, "INT_A1", "1")      # shows INT_A2 on the same page
    tap(page, "INT_A2", "3")
    page.locator("nav.lang a[hreflang=en]").tap()   # at once, the save may be on its way
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(re.escape(base) + "/2$"))
    expect(page.locator("#q-INT_A1 input[value='1']")).to_be_checked()
    expect(page.locator("#q-INT_A2 input[value='3']")).to_be_checked()
    screenshot(page, "page-2-in-english")

    tap(page, "INT_A3", "2")
    go_next(page, base, 3)
    go_next(page, base, 4)
    # Typed, and the language switched before the pause that saves typing.
    page.locator("#in-INT_T").fill("Petugas ramah")
    page.locator("nav.lang a[hreflang=id]").tap()
    expect(page.locator("html")).to_have_attribute("lang", "id")
    expect(page).to_have_url(re.compile(re.escape(base) + "/4$"))
    expect(page.locator("#in-INT_T")).to_have_value("Petugas ramah")
    screenshot(page, "page-4-in-indonesian")


def test_without_javascript_the_page_still_saves_on_next(new_context, base):
    page = new_context(java_script_enabled=False).new_page()
    start(page, base)
    page.locator("#q-INT_P1 input[value='Y']").check()
    expect(page.locator("#save-status")).to_have_text("")
    go_next(page, base, 2)
    page.goto(f"{base}/1")
    expect(page.locator("#q-INT_P1 input[value='Y']")).to_be_checked()
