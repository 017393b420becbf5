"""Nothing typed is lost (issue 12, build 2): the page's script saves the
answers as they change, to ``<page>/simpan``, kept exactly as "next" keeps
them. Here the endpoint through the test client; tests/e2e/test_autosave.py
drives it from the real script in Chromium."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select
from support import PAGE_ANSWERS, Browser

from survey.models import PartialAnswer


@pytest.fixture
def personal(client, factory):
    invitation, token = factory.invitation(factory.campaign())
    return Browser(client, f"/r/{token}")


def _partials(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(PartialAnswer))


def test_page_announces_where_it_saves(personal):
    personal.start()
    page = personal.get("/1").get_data(as_text=True)
    assert f'data-save="{personal.base}/1/simpan"' in page
    assert 'id="save-status"' in page and 'role="status"' in page


def test_draft_keeps_answers_without_moving_on(personal):
    personal.start()
    personal.get("/1")
    response = personal.post("/1/simpan", {"INT_P1": "N"})
    assert response.status_code == 204 and response.get_data() == b""
    # A fresh browser with the same link finds the answer, still on page 1.
    later = Browser(personal.client.application.test_client(), personal.base)
    intro = later.get().get_data(as_text=True)
    assert f'href="{personal.base}/1"' in intro
    assert 'value="N" checked' in later.get("/1").get_data(as_text=True)
    assert later.get("/2").status_code == 303   # page 1 is not done yet


def test_draft_does_not_ask_for_required_answers_yet(personal):
    personal.start()
    personal.answer(1, PAGE_ANSWERS[1])
    # INT_A1 is required; a draft with only INT_A3 is kept all the same.
    assert personal.post("/2/simpan", {"INT_A3": "4"}).status_code == 204
    assert 'value="4" checked' in personal.get("/2").get_data(as_text=True)


def test_draft_replaces_the_page_answers_and_keeps_other_pages(personal):
    personal.start()
    personal.answer(1, PAGE_ANSWERS[1])
    personal.post("/2/simpan", {"INT_A1": "1", "INT_A2": "3"})
    personal.post("/2/simpan", {"INT_A1": "4"})   # INT_A2 no longer shown, A1 changed
    page = personal.get("/2").get_data(as_text=True)
    assert re.findall(r'name="(INT_A\d)"\s+value="(\d)" checked', page) == [("INT_A1", "4")]
    assert 'value="Y" checked' in personal.get("/1").get_data(as_text=True)


def test_half_typed_number_keeps_the_earlier_value(personal):
    personal.start()
    for number in (1, 2, 3):
        personal.answer(number, PAGE_ANSWERS[number])
    personal.post("/4/simpan", {"INT_N": "25000", "INT_T": "Halo"})
    personal.post("/4/simpan", {"INT_N": "25000x", "INT_T": "Halo dunia"})
    page = personal.get("/4").get_data(as_text=True)
    assert 'value="25000"' in page and "Halo dunia</textarea>" in page


def test_draft_needs_the_csrf_token(personal, session):
    personal.start()
    response = personal.post("/1/simpan", {"INT_P1": "N"}, csrf=False)
    assert response.status_code == 400
    assert 'value="N" checked' not in personal.get("/1").get_data(as_text=True)


@pytest.mark.parametrize(("number", "data"), [
    (3, {"INT_B2": "4"}),        # a page not reached yet
    (1, {"INT_A1": "2"}),        # a question of another page
    (1, {"INT_P1": "maybe"}),    # an option no page offers
])
def test_draft_refuses_what_no_page_sends(personal, number, data):
    personal.start()
    assert personal.post(f"/{number}/simpan", data).status_code == 400
    assert not re.search(r"value=\"\w+\" checked", personal.get("/1").get_data(as_text=True))


def test_draft_after_sending_is_gone_and_stores_nothing(personal, session):
    personal.answer_all()
    assert _partials(session) == 0
    response = personal.post("/4/simpan", {"INT_T": "late"})
    assert response.status_code == 410
    assert _partials(session) == 0


def test_draft_without_a_start_has_nowhere_to_go(personal, session):
    personal.get()
    assert personal.post("/1/simpan", {"INT_P1": "N"}).status_code == 410
    assert _partials(session) == 0


def test_open_link_draft_belongs_to_its_own_browser(client, factory, session):
    link = factory.open_link(factory.campaign())
    mine = Browser(client, f"/o/{link.code}")
    mine.start()
    other = Browser(client.application.test_client(), f"/o/{link.code}")
    other.get()
    other.token = other.token or mine.token
    assert other.post("/1/simpan", {"EXT_A1": "4"}).status_code in (400, 410)
    assert mine.post("/1/simpan", {"EXT_A1": "2"}).status_code == 204
    assert 'value="2" checked' in mine.get("/1").get_data(as_text=True)
