"""Open links that hold (issue 8): a start time that cannot be forged or
replayed, one finished response per browser, a honeypot, per-client rate
limits on starting and sending, and pages that speak to citizens."""

from __future__ import annotations

import re
import time

import pytest
import time_machine
from sqlalchemy import func, select
from support import Browser, csrf_of

from survey.models import PartialAnswer, PendingResponse, Response, UsedStart
from survey.services import responding

pytestmark = pytest.mark.security

STAMP = re.compile(r'name="started" value="([^"]+)"')


@pytest.fixture
def campaign(factory):
    return factory.campaign()


@pytest.fixture
def link(factory, campaign):
    return factory.open_link(campaign)


@pytest.fixture
def app_batch1(app):
    app.config["ANONYMITY_BATCH"] = 1
    return app


def _stored(session) -> int:
    return (session.scalar(select(func.count()).select_from(Response))
            + session.scalar(select(func.count()).select_from(PendingResponse)))


def _durations(session) -> list[int]:
    return sorted(session.scalars(select(Response.duration_s)))


def _finish(browser: Browser, answers=("3", "2")):
    browser.answer(1, {"EXT_A1": answers[0]})
    return browser.answer(2, {"EXT_B1": answers[1]}, "submit")


def _intro_ten_minutes_ago(browser: Browser) -> str:
    with time_machine.travel(time.time() - 600, tick=False):
        page = browser.get().get_data(as_text=True)
    return STAMP.search(page).group(1)


# -- the start time ----------------------------------------------------------


def test_a_genuine_start_time_counts_once(app_batch1, client, link, session):
    browser = Browser(client, f"/o/{link.code}")
    stamp = _intro_ten_minutes_ago(browser)
    assert browser.post("/mulai", {"started": stamp}).status_code == 303
    _finish(browser)
    assert 595 <= _durations(session)[0] <= 660
    assert session.scalar(select(func.count()).select_from(UsedStart)) == 1


def test_a_replayed_start_time_is_refused(app_batch1, link, session):
    """An attacker keeps one genuine stamp (and the session cookie it is bound
    to) and replays both: the second use starts the clock now."""
    first = Browser(app_batch1.test_client(), f"/o/{link.code}")
    stamp = _intro_ten_minutes_ago(first)
    cookie = first.client.get_cookie("session").value
    first.post("/mulai", {"started": stamp})
    _finish(first)

    replay = Browser(app_batch1.test_client(), f"/o/{link.code}")
    replay.client.set_cookie("session", cookie)
    replay.token = first.token
    assert replay.post("/mulai", {"started": stamp}).status_code == 303
    _finish(replay)
    long, short = sorted(_durations(session), reverse=True)
    assert long >= 595 and short < 60


def test_a_start_time_from_another_browser_is_refused(app_batch1, link, session):
    harvester = Browser(app_batch1.test_client(), f"/o/{link.code}")
    stamp = _intro_ten_minutes_ago(harvester)
    other = Browser(app_batch1.test_client(), f"/o/{link.code}")
    other.get()          # its own session, its own stamp
    other.post("/mulai", {"started": stamp})
    _finish(other)
    assert _durations(session)[0] < 60


@pytest.mark.parametrize("forged", ["1000000000.0", "", "eyJ0IjoxfQ.forged.sig"])
def test_a_forged_start_time_is_refused(app_batch1, client, link, session, forged):
    browser = Browser(client, f"/o/{link.code}")
    browser.get()
    browser.post("/mulai", {"started": forged})
    _finish(browser)
    assert _durations(session)[0] < 60


def test_used_stamps_are_purged_once_they_could_no_longer_be_replayed(session, today):
    from datetime import timedelta

    assert responding.claim_start(session, "n1", expires_on=today - timedelta(days=1))
    assert responding.claim_start(session, "n2", expires_on=today)
    assert not responding.claim_start(session, "n2", expires_on=today)
    responding.purge_expired_progress(session, today=today)
    assert session.scalar(select(func.count()).select_from(UsedStart)) == 1


# -- one response per browser --------------------------------------------------


def test_one_finished_response_per_browser_campaign_and_office(client, factory, campaign, link,
                                                              session):
    browser = Browser(client, f"/o/{link.code}")
    browser.start()
    assert _finish(browser).status_code == 303
    again = client.get(f"/o/{link.code}")
    assert again.status_code == 409
    text = again.get_data(as_text=True)
    assert "Anda sudah menjawab untuk kantor ini" in text
    assert f'href="/lapor?o={link.code}"' in text   # the report form opens on this office
    # Starting with a form kept from before is refused the same way.
    refused = client.post(f"/o/{link.code}/mulai", data={"csrf_token": csrf_of(text)
                                                          or browser.token})
    assert refused.status_code == 409
    assert _stored(session) == 1
    # Another office of the same campaign is still open to this browser.
    other = factory.open_link(campaign, factory.unit("U02"))
    assert client.get(f"/o/{other.code}").status_code == 200


def test_the_answered_cookie_is_signed(client, link, session):
    browser = Browser(client, f"/o/{link.code}")
    browser.start()
    _finish(browser)
    client.set_cookie("answered", "eyIxOjEiOiIyMDk5LTAxLTAxIn0.forged")
    assert client.get(f"/o/{link.code}").status_code == 200


def test_the_refusal_page_speaks_english_too(client, link):
    browser = Browser(client, f"/o/{link.code}")
    browser.start()
    _finish(browser)
    client.get("/lang/en")
    text = client.get(f"/o/{link.code}").get_data(as_text=True)
    assert "You have already answered for this office" in text


# -- honeypot ----------------------------------------------------------------


def test_a_filled_honeypot_is_silently_discarded(app_batch1, client, link, session):
    browser = Browser(client, f"/o/{link.code}")
    browser.start()
    page = browser.get("/1").get_data(as_text=True)
    assert 'name="website"' in page
    browser.answer(1, {"EXT_A1": "3"})
    response = browser.post("/2", {"EXT_B1": "1", "website": "http://spam.example",
                                   "action": "submit"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/selesai")
    assert "Terima kasih" in client.get("/selesai").get_data(as_text=True)
    assert _stored(session) == 0
    assert session.scalar(select(func.count()).select_from(PartialAnswer)) == 0


def test_an_empty_honeypot_is_a_normal_response(app_batch1, client, link, session):
    browser = Browser(client, f"/o/{link.code}")
    browser.start()
    browser.answer(1, {"EXT_A1": "3"})
    browser.post("/2", {"EXT_B1": "1", "website": "", "action": "submit"})
    assert _stored(session) == 1


def test_personal_links_have_no_honeypot(client, factory, campaign):
    _, token = factory.invitation(campaign)
    browser = Browser(client, f"/r/{token}")
    browser.start()
    assert 'name="website"' not in browser.get("/1").get_data(as_text=True)


# -- rate limits ---------------------------------------------------------------


def test_starting_is_limited_per_client(app, link):
    app.config["OPEN_LINK_START_LIMIT"] = "2 per hour"
    codes = []
    for _ in range(3):
        browser = Browser(app.test_client(), f"/o/{link.code}")
        browser.get()
        codes.append(browser.post("/mulai").status_code)
    assert codes == [303, 303, 429]
    refused = browser.post("/mulai")
    assert "Terlalu banyak permintaan dari koneksi ini" in refused.get_data(as_text=True)
    # Another client (another address) is not held back.
    other = Browser(app.test_client(), f"/o/{link.code}")
    other.get()
    response = other.client.post(f"/o/{link.code}/mulai", data={"csrf_token": other.token},
                                 environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert response.status_code == 303


def test_sending_is_limited_per_client(app, link, session):
    app.config["OPEN_LINK_SUBMIT_LIMIT"] = "2 per hour"
    sent = []
    for _ in range(3):
        browser = Browser(app.test_client(), f"/o/{link.code}")
        browser.start()
        browser.answer(1, {"EXT_A1": "3"})
        sent.append(browser.post("/2", {"EXT_B1": "2", "action": "submit"}).status_code)
    assert sent == [303, 303, 429]
    assert _stored(session) == 2
    # Moving between pages is never limited; the refused answers stay saved.
    assert browser.answer(1, {"EXT_A1": "3"}).status_code == 303


def test_personal_links_are_not_rate_limited(app, factory, campaign):
    app.config["OPEN_LINK_START_LIMIT"] = "1 per hour"
    for n in range(3):
        _, token = factory.invitation(campaign, phone=f"+62812000000{n + 2}")
        Browser(app.test_client(), f"/r/{token}").start()


def test_rate_limits_switch_off(database_url, tmp_path, link):
    from survey import create_app

    app = create_app({"DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path / "i"),
                      "SECRET_KEY": "x" * 32, "TESTING": True, "JOB_RUNNER": "external",
                      "RATE_LIMITS": False, "OPEN_LINK_START_LIMIT": "1 per hour"})
    try:
        for _ in range(3):
            Browser(app.test_client(), f"/o/{link.code}").start()
    finally:
        app.extensions["survey.db"].dispose()


# -- pages for citizens ----------------------------------------------------------


def test_open_intro_speaks_to_citizens_with_the_right_page_count(client, factory):
    campaign = factory.campaign(version=factory.default_version())
    link = factory.open_link(campaign)
    intro = client.get(f"/o/{link.code}").get_data(as_text=True)
    assert "kantor Anda" not in intro and "daftar undangan" not in intro
    assert "Anda tidak memberikan nama" in intro
    announced = int(re.search(r"(\d+) halaman pendek", intro).group(1))
    browser = Browser(client, f"/o/{link.code}")
    browser.start()
    first = browser.get("/1").get_data(as_text=True)
    assert f"Halaman 1 dari {announced}" in first


def test_citizens_find_the_report_page_after_the_bribe_questions(factory):
    from survey.questionnaire import build_pages
    from survey.respond.views import _report_note

    campaign = factory.campaign(version=factory.default_version())
    pages = build_pages(campaign.instrument_version.instrument, "external")
    noted = [p for p in pages if _report_note(p, pages)]
    bribe = [p for p in pages if p.key == "integritas_tugas"]
    assert bribe and bribe[-1] in noted          # after the last page of bribe questions
    assert any(q.id == "EXT_FOLLOW_3" for p in noted for q in p.questions)  # and the follow-ups
    assert pages[0] not in noted and len(noted) == 2


def test_an_open_page_shows_the_report_link_where_due(client, factory):
    campaign = factory.campaign()
    link = factory.open_link(campaign)
    browser = Browser(client, f"/o/{link.code}")
    browser.start()
    assert 'href="/lapor' not in browser.get("/1").get_data(as_text=True)
    import survey.respond.views as views

    original = views.BRIBE_DIMENSION
    views.BRIBE_DIMENSION = "alpha"   # the small instrument's first page plays the part
    try:
        page = browser.get("/1").get_data(as_text=True)
    finally:
        views.BRIBE_DIMENSION = original
    # The report form the note leads to opens with this office and campaign chosen.
    assert f'href="/lapor?o={link.code}"' in page
    form = client.get(f"/lapor?o={link.code}").get_data(as_text=True)
    assert re.search(rf'<option value="{link.unit_id}"[^>]*selected', form)


def test_thank_you_page_offers_the_report_page_to_citizens_only(client, link, factory, campaign):
    from support import PAGE_ANSWERS

    browser = Browser(client, f"/o/{link.code}")
    browser.start()
    _finish(browser)
    assert f'href="/lapor?o={link.code}"' in client.get("/selesai").get_data(as_text=True)
    _, token = factory.invitation(campaign)
    Browser(client, f"/r/{token}").answer_all(PAGE_ANSWERS)
    assert 'href="/lapor' not in client.get("/selesai").get_data(as_text=True)
