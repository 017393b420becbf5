"""Review before sending (issue 12, build 3): the last step lists the pages
with unanswered questions, with a link to each, and still lets the person
send; its progress bar is full. Required questions block "next" and
"send" with the message beside them (tests/survey/test_respond.py and
tests/e2e/test_browser.py); the demo instrument has one."""

from __future__ import annotations

import re

import pytest
from support import PAGE_ANSWERS, Browser

from survey.services.instruments import default_instrument_text


@pytest.fixture
def personal(client, factory):
    invitation, token = factory.invitation(factory.campaign())
    return Browser(client, f"/r/{token}")


def _last_page(browser: Browser, pages: dict) -> str:
    browser.start()
    for number, answers in pages.items():
        browser.answer(number, answers)
    return browser.get("/4").get_data(as_text=True)


def test_last_step_lists_pages_left_unanswered_with_a_link_to_each(personal):
    # Page 1 left blank; page 2 without INT_A3; page 3 without INT_B2 (INT_B1
    # stays hidden: it asks only those who answered "yes" on page 1).
    page = _last_page(personal, {1: {}, 2: {"INT_A1": "3"}, 3: {}})
    assert "Sebelum mengirim" in page
    items = re.findall(r'<li><a href="([^"]+)">([^<]+)</a>\s*\(([^)]+)\)</li>', page)
    assert items == [
        (f"{personal.base}/1", "Halaman 1: Tentang Anda", "1 pertanyaan belum dijawab"),
        (f"{personal.base}/2", "Halaman 2: alpha", "1 pertanyaan belum dijawab"),
        (f"{personal.base}/3", "Halaman 3: beta", "1 pertanyaan belum dijawab"),
    ]
    # ... and sending anyway works.
    assert 'value="submit"' in page
    response = personal.post("/4", {"action": "submit"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/selesai")


def test_last_step_says_when_everything_is_answered(personal):
    page = _last_page(personal, {n: PAGE_ANSWERS[n] for n in (1, 2, 3)})
    assert "Anda sudah menjawab semua pertanyaan di halaman lain." in page
    assert "belum dijawab" not in page and "Sebelum mengirim" not in page


def test_only_the_last_step_reviews(personal):
    personal.start()
    assert "Sebelum mengirim" not in personal.get("/1").get_data(as_text=True)


def test_progress_bar_is_full_on_the_last_step_only(personal):
    personal.start()
    first = personal.get("/1").get_data(as_text=True)
    assert re.search(r'<progress max="4" value="0"', first)
    page = _last_page(personal, {n: PAGE_ANSWERS[n] for n in (1, 2, 3)})
    assert re.search(r'<progress max="4" value="4"', page)


def test_review_in_english(personal):
    personal.client.get("/lang/en")
    page = _last_page(personal, {1: PAGE_ANSWERS[1], 2: {"INT_A1": "3"}, 3: {}})
    assert "Before you send" in page
    assert "Page 3: beta" in page and "2 questions not answered" in page
    assert "Page 2: alpha" in page and "1 question not answered" in page


def test_required_question_blocks_with_the_message_beside_it(personal):
    personal.start()
    personal.answer(1, {})
    response = personal.answer(2, {"INT_A3": "4"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert re.search(r'id="q-INT_A1".*?<p class="error" id="err-INT_A1">Mohon jawab pertanyaan ini',
                     page, re.S) or re.search(r'id="err-INT_A1"', page)


def test_demo_instrument_has_a_required_question_for_citizens():
    text = default_instrument_text()
    assert re.search(r"id: EXT_PROFILE_2\n\s+group: external\n\s+type: choice\n\s+required: true",
                     text)
