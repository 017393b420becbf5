"""Answering from a personal or an open link: pages, saving, resuming,
exactly-once submission, friendly errors."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session
from support import PAGE_ANSWERS, Browser, csrf_of

from survey.database import statement_by_statement
from survey.extensions import db
from survey.models import (
    Base,
    CampaignStatus,
    Invitation,
    PartialAnswer,
    PendingResponse,
    Response,
)
from survey.services import responding


@pytest.fixture
def campaign(factory):
    return factory.campaign()


@pytest.fixture
def personal(client, factory, campaign):
    invitation, token = factory.invitation(campaign)
    return Browser(client, f"/r/{token}"), invitation


@pytest.fixture
def open_browser(client, factory, campaign):
    link = factory.open_link(campaign)
    return Browser(client, f"/o/{link.code}")


def _count(session, model) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model))


def _snapshot(session) -> dict:
    session.expire_all()
    return {
        table.name: sorted(map(repr, session.execute(select(table)).all()))
        for table in Base.metadata.sorted_tables
    }


# -- the first page ----------------------------------------------------------


def test_intro_says_in_indonesian_what_is_stored(personal):
    browser, _ = personal
    page = browser.get().get_data(as_text=True)
    assert 'lang="id"' in page
    assert "Jawaban Anda anonim" in page
    assert "tidak pernah nama, nomor telepon, atau tautan ini" in page
    assert "termasuk administrator" in page


def test_intro_has_a_preview_card_for_whatsapp(personal, app):
    app.config["TRUSTED_HOSTS"] = ["localhost"]   # the request's address is vetted
    browser, _ = personal
    page = browser.get().get_data(as_text=True)
    image = re.search(r'<meta property="og:image" content="([^"]+)"', page).group(1)
    assert re.fullmatch(r"http://localhost/static/img/og-card\.[0-9a-f]{10}\.png", image)
    assert re.search(r'<meta property="og:title" content="SPI Uji &middot; Kantor U01"', page)
    assert 'property="og:description"' in page
    png = app.static_folder + "/img/og-card.png"
    with open(png, "rb") as handle:
        header = handle.read(24)
    width, height = int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")
    assert header[:8] == b"\x89PNG\r\n\x1a\n" and min(width, height) >= 300


def test_preview_card_uses_the_official_address_when_configured(personal, app):
    app.config["PUBLIC_BASE_URL"] = "https://spi.harapanjaya.go.id"
    page = personal[0].get().get_data(as_text=True)
    assert 'content="https://spi.harapanjaya.go.id/static/img/og-card.' in page


def test_an_unvetted_host_header_is_never_copied_into_a_page(personal, client):
    browser, _ = personal
    path = browser.base
    for target in (path, "/", "/cek"):
        page = client.get(target, headers={"Host": "evil.example"}).get_data(as_text=True)
        assert "evil.example" not in page
    assert 'property="og:image"' not in client.get(path).get_data(as_text=True)


@pytest.mark.parametrize("path", ["/", "/cek", "/staff/login", "/r/abcdefghijkl", "/nowhere"])
def test_a_2000_character_host_header_is_refused_not_a_server_error(client, path):
    response = client.get(path, headers={"Host": "a" * 2000})
    assert response.status_code == 400
    assert response.mimetype == "text/plain"


def test_trusted_hosts_refuse_any_other_host(client, app):
    app.config["TRUSTED_HOSTS"] = ["spi.example.go.id"]
    assert client.get("/", base_url="https://spi.example.go.id").status_code == 200
    refused = client.get("/", headers={"Host": "evil.example"})
    assert refused.status_code == 400 and b"evil.example" not in refused.data


@pytest.mark.parametrize(
    ("setup", "status", "phrase"),
    [
        ("unknown", 404, "Tautan ini tidak dikenal"),
        ("used", 410, "Tautan ini sudah digunakan"),
        ("expired", 410, "Tautan ini sudah kedaluwarsa"),
        ("closed", 410, "Survei ini sudah ditutup"),
        ("ended", 410, "Survei ini sudah ditutup"),
        ("draft", 403, "Survei ini belum dimulai"),
    ],
)
def test_unusable_links_get_a_page_that_says_what_to_do(client, factory, setup, status, phrase,
                                                      today):
    status_of = {"closed": CampaignStatus.CLOSED, "draft": CampaignStatus.DRAFT}
    campaign = factory.campaign(status=status_of.get(setup, CampaignStatus.OPEN))
    if setup == "ended":
        campaign.closes_on = today - timedelta(days=1)
        campaign.opens_on = today - timedelta(days=30)
        factory.session.commit()
    _, token = factory.invitation(
        campaign,
        used=setup == "used",
        expires_on=today - timedelta(days=1) if setup == "expired" else None,
    )
    url = "/r/unknown-token-0123456789" if setup == "unknown" else f"/r/{token}"
    response = client.get(url)
    assert response.status_code == status
    assert phrase in response.get_data(as_text=True)


def test_unknown_open_link_is_404(client, campaign):
    response = client.get("/o/nosuchcode")
    assert response.status_code == 404
    assert "Tautan ini tidak dikenal" in response.get_data(as_text=True)


# -- no side effect on GET ---------------------------------------------------


def test_get_on_every_respondent_page_changes_no_row(client, factory, session, campaign):
    _, token = factory.invitation(campaign)
    link = factory.open_link(campaign)
    _, used_token = factory.invitation(campaign, used=True)
    started = Browser(client, f"/r/{token}")
    started.start()
    started.answer(1, PAGE_ANSWERS[1])
    before = _snapshot(session)
    urls = [
        "/",
        f"/r/{token}",
        f"/r/{token}/1",
        f"/r/{token}/2",
        f"/r/{token}/3",
        f"/r/{token}/99",
        f"/o/{link.code}",
        f"/o/{link.code}/1",
        f"/r/{used_token}",
        "/r/not-a-token-at-all",
        "/selesai",
        "/lang/en?next=/",
        "/healthz",
    ]
    statuses = {}
    for _repeat in range(2):  # a preview fetcher and a double tap
        for url in urls:
            fresh = client.application.test_client()
            statuses[url] = fresh.get(url).status_code
            client.get(url)
    assert _snapshot(session) == before
    assert statuses[f"/r/{token}/1"] == 200 and statuses[f"/r/{used_token}"] == 410


# -- saving and resuming -----------------------------------------------------


def test_each_page_is_saved_and_resume_continues_at_first_unanswered_page(personal, session):
    browser, _ = personal
    browser.start()
    assert browser.answer(1, PAGE_ANSWERS[1]).headers["Location"].endswith("/2")
    assert browser.answer(2, PAGE_ANSWERS[2]).headers["Location"].endswith("/3")
    # The phone rings; later the link is opened again in a fresh browser.
    later = Browser(personal[0].client.application.test_client(), browser.base)
    page = later.get().get_data(as_text=True)
    assert "Lanjutkan dari halaman terakhir" in page
    assert f'href="{browser.base}/3"' in page
    assert 'value="3" checked' in later.get("/2").get_data(as_text=True)
    assert _count(session, PartialAnswer) == 1


def test_saved_answers_are_encrypted_and_not_keyed_by_the_invitation(personal, session):
    browser, invitation = personal
    browser.start()
    browser.answer(4 - 3, {"INT_P1": "Y"})
    row = session.scalars(select(PartialAnswer)).one()
    assert row.key != invitation.token_hash
    assert b"INT_P1" not in row.payload


def test_a_questionnaire_page_in_both_languages_is_plain_ascii(personal, client):
    """With an instrument written in ASCII, the whole page is ASCII (the
    title's separator is an entity): Python then joins and encodes it as
    bytes, the cheap way, on every page a respondent loads."""
    browser, _ = personal
    assert browser.get().get_data(as_text=True).isascii()   # the intro
    browser.start()
    assert browser.get("/1").get_data(as_text=True).isascii()
    client.get("/lang/en")
    assert browser.get("/1").get_data(as_text=True).isascii()


def test_skipping_ahead_by_address_returns_to_the_first_open_page(personal):
    browser, _ = personal
    browser.start()
    response = browser.get("/3")
    assert response.status_code == 303 and response.headers["Location"].endswith("/1")


def test_going_back_keeps_answers_without_requiring_them(personal):
    browser, _ = personal
    browser.start()
    browser.answer(1, PAGE_ANSWERS[1])
    response = browser.answer(2, {"INT_A3": "4"}, action="back")
    assert response.status_code == 303 and response.headers["Location"].endswith("/1")
    assert 'value="4" checked' in browser.get("/2").get_data(as_text=True)


def test_required_question_left_blank_is_shown_beside_it_in_indonesian(personal):
    browser, _ = personal
    browser.start()
    browser.answer(1, PAGE_ANSWERS[1])
    response = browser.answer(2, {"INT_A3": "3"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    block = page[page.index('id="q-INT_A1"') : page.index('id="q-INT_A3"')]
    assert "Mohon jawab pertanyaan ini." in block
    assert 'value="3" checked' in page[page.index('id="q-INT_A3"') :]


def test_validation_messages_follow_the_chosen_language(personal, client):
    browser, _ = personal
    client.get("/lang/en?next=/")
    browser.start()
    browser.answer(1, PAGE_ANSWERS[1])
    page = browser.answer(2, {}).get_data(as_text=True)
    assert "Please answer this question." in page and 'lang="en"' in page


def test_language_choice_is_remembered_across_pages(personal, client):
    browser, _ = personal
    response = client.get(f"/lang/en?next={browser.base}")
    assert response.status_code == 303 and response.headers["Location"] == browser.base
    assert "Your answers are anonymous" in browser.get().get_data(as_text=True)
    browser.start()
    assert "Page 1 of 4" in browser.get("/1").get_data(as_text=True)
    client.get("/lang/id?next=/")
    assert "Halaman 1 dari 4" in browser.get("/1").get_data(as_text=True)


def _legend(page: str, question: str) -> str:
    start = page.index(f'id="legend-{question}"')
    return page[start:page.index("</legend>", start)]


def test_fresh_question_blocks_are_kept_per_language_and_answers_render_anew(personal, client):
    """A question as first seen (nothing chosen, no error) is the same HTML
    for everyone, so it is rendered once per question and language
    (survey/respond/views.py); a chosen answer is rendered anew."""
    from survey.respond import views

    def without_token(page: str) -> str:
        return page.replace(csrf_of(page), "")

    browser, _ = personal
    browser.start()
    browser.answer(1, PAGE_ANSWERS[1])
    views._FRESH_BLOCKS.clear()
    indonesian = browser.get("/2").get_data(as_text=True)
    kept = dict(views._FRESH_BLOCKS)
    assert len(kept) >= 2
    assert without_token(browser.get("/2").get_data(as_text=True)) == without_token(indonesian)
    assert views._FRESH_BLOCKS.keys() == kept.keys()
    assert all(views._FRESH_BLOCKS[key] is entry for key, entry in kept.items())  # reused
    client.get("/lang/en?next=/")
    english = browser.get("/2").get_data(as_text=True)
    assert len(views._FRESH_BLOCKS) == 2 * len(kept)
    assert _legend(english, "INT_A1") != _legend(indonesian, "INT_A1")
    assert " checked" not in english
    browser.post("/2", {"INT_A3": "4", "action": "back"})
    again = browser.get("/2").get_data(as_text=True)
    assert 'value="4" checked' in again and _legend(again, "INT_A1") == _legend(english, "INT_A1")


# -- submission --------------------------------------------------------------


def test_submission_stores_one_response_marks_invitation_used_and_drops_saved_answers(
    personal, session, app, today
):
    app.config["ANONYMITY_BATCH"] = 1
    browser, invitation = personal
    response = browser.answer_all()
    assert response.status_code == 303 and response.headers["Location"].endswith("/selesai")
    stored = session.scalars(select(Response)).one()
    assert stored.answers == {
        "INT_P1": "Y",
        "INT_A1": "2",
        "INT_A2": "1",
        "INT_A3": "3",
        "INT_B1": "4",
        "INT_B2": "9",
        "INT_M": "a;b",
        "INT_N": "25000",
        "INT_T": "Terima kasih",
    }
    assert stored.channel == "invited" and stored.submitted_on == today
    assert stored.respondent_group == "internal"
    session.refresh(invitation)
    assert invitation.used is True
    assert _count(session, PartialAnswer) == 0 and _count(session, PendingResponse) == 0
    assert "Terima kasih, jawaban Anda sudah kami terima" in browser.client.get(
        "/selesai"
    ).get_data(as_text=True)


def test_submitting_twice_keeps_one_response_and_shows_already_answered(personal, session):
    browser, _ = personal
    browser.answer_all()
    again = browser.post("/4", {"INT_T": "lagi", "action": "submit"})
    assert again.status_code == 410
    # A second tap is reassured, not asked "was it you?".
    assert "Jawaban ini sudah terkirim" in again.get_data(as_text=True)
    assert "Tautan ini sudah digunakan" in browser.get().get_data(as_text=True)
    assert _count(session, Response) + _count(session, PendingResponse) == 1


def test_a_tap_overtaken_by_the_first_one_says_the_answers_were_sent(personal, session,
                                                                    monkeypatch):
    """The probe's race: a second "send" finds the link unused, then the
    first tap commits before it reads the saved answers. It must reassure
    ("already sent"), not send the person to the intro ("link used")."""
    browser, _ = personal
    browser.start()
    for number in (1, 2, 3):
        browser.answer(number, PAGE_ANSWERS[number])
    browser.get("/4")
    resolve = responding.resolve_invitation

    def overtaken(db_session, token, *, today):
        link = resolve(db_session, token, today=today)
        with Session(db_session.get_bind()) as first_tap:   # the other request
            progress = responding.load_progress(first_tap, token)
            assert responding.submit(first_tap, link, token, progress, today=today).stored
        return link

    monkeypatch.setattr(responding, "resolve_invitation", overtaken)
    second = browser.post("/4", {**PAGE_ANSWERS[4], "action": "submit"})
    assert second.status_code == 410
    assert "Jawaban ini sudah terkirim" in second.get_data(as_text=True)
    assert _count(session, Response) + _count(session, PendingResponse) == 1


def _statements_during(app, work) -> list[tuple[str, str | None]]:
    """(first word, isolation level) of each statement ``work`` sends."""
    seen = []

    def listener(connection, _cursor, statement, *_args):
        seen.append((statement.split()[0].upper(),
                     connection.get_execution_options().get("isolation_level")))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", listener)
    try:
        work()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return seen


def test_pages_need_no_transaction_and_sending_has_one(personal, app, session):
    """A page reads in one query and saves in one statement guarded by its
    row count: no BEGIN and no COMMIT or ROLLBACK around them (two of a
    page's four round trips to PostgreSQL; on SQLite the read took the
    write lock). Sending claims the link and stores the response in one
    transaction, all or nothing."""
    browser, _ = personal
    browser.start()
    pages = _statements_during(app, lambda: [browser.answer(n, PAGE_ANSWERS[n]) for n in (1, 2, 3)])
    assert pages and all(level == "AUTOCOMMIT" for _, level in pages)
    assert "BEGIN" not in {word for word, _ in pages}
    sending = _statements_during(app, lambda: browser.answer(4, PAGE_ANSWERS[4], "submit"))
    claims = [level for word, level in sending if word == "UPDATE"]
    assert claims and "AUTOCOMMIT" not in claims
    assert _count(session, Response) + _count(session, PendingResponse) == 1


def test_sending_refuses_to_run_without_a_transaction(personal, app, session, today):
    browser, invitation = personal
    token = browser.base.rsplit("/", 1)[1]
    with app.test_request_context():
        statement_by_statement(db.session)
        link = responding.resolve_invitation(db.session, token, today=today)
        with pytest.raises(RuntimeError, match="needs a transaction"):
            responding.submit(db.session, link, token, responding.Progress(), today=today)
        db.session.close()
    assert not invitation.used


def test_duration_runs_from_first_page_view_to_submit(personal, session, app):
    app.config["ANONYMITY_BATCH"] = 1
    browser, _ = personal
    with time_machine.travel(time.time() - 600, tick=False):
        intro = browser.get().get_data(as_text=True)   # the first view, ten minutes ago
    started = re.search(r'name="started" value="([^"]+)"', intro).group(1)
    browser.post("/mulai", {"started": started})
    for number, answers in PAGE_ANSWERS.items():
        browser.answer(number, answers, "submit" if number == 4 else "next")
    assert 595 <= session.scalars(select(Response)).one().duration_s <= 660


def test_forged_first_view_time_is_ignored(personal, session, app):
    app.config["ANONYMITY_BATCH"] = 1
    browser, _ = personal
    browser.get()
    browser.post("/mulai", {"started": "1000000000.0"})
    for number, answers in PAGE_ANSWERS.items():
        browser.answer(number, answers, "submit" if number == 4 else "next")
    assert session.scalars(select(Response)).one().duration_s < 60


# -- bad requests ------------------------------------------------------------


def test_post_without_csrf_token_is_400_and_keeps_saved_answers(personal, session):
    browser, _ = personal
    browser.start()
    browser.answer(1, PAGE_ANSWERS[1])
    response = browser.post("/2", {"INT_A1": "1", "action": "next"}, csrf=False)
    assert response.status_code == 400
    assert "Silakan muat ulang halaman" in response.get_data(as_text=True)
    assert 'value="Y" checked' in browser.get("/1").get_data(as_text=True)


@pytest.mark.parametrize(
    ("page", "data"),
    [
        (2, {"INT_A1": "7", "action": "next"}),  # unknown option code
        (3, {"INT_B1": "1", "action": "next"}),  # hidden question (INT_P1 = N)
        (2, {"INT_A1": "1", "INT_B2": "1", "action": "next"}),  # question of another page
        (2, {"INT_A1": "1", "action": "delete"}),  # unknown action
        (7, {"INT_A1": "1", "action": "next"}),  # tampered page number
        (3, {"INT_B2": "1", "action": "next"}),  # page not reached yet
    ],
)
def test_tampered_posts_are_400_and_change_nothing(personal, session, page, data):
    browser, _ = personal
    browser.start()
    browser.answer(1, {"INT_P1": "N"})
    if page == 3 and "INT_B1" in data:
        browser.answer(2, {"INT_A1": "3"})
    before = _snapshot(session)
    response = browser.post(f"/{page}", data)
    assert response.status_code == 400
    assert "Permintaan ini tidak dapat diproses" in response.get_data(as_text=True)
    assert _snapshot(session) == before


def test_send_from_a_page_before_the_last_saves_and_moves_on(personal, session):
    browser, _ = personal
    browser.start()
    browser.answer(1, PAGE_ANSWERS[1])
    response = browser.post("/2", {"INT_A1": "1", "action": "submit"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/3")
    assert _count(session, Response) + _count(session, PendingResponse) == 0


def test_a_page_whose_questions_are_all_hidden_is_skipped(client, factory, session):
    # The small instrument's page 3 (beta) keeps INT_B2 always shown; hide a
    # whole page by answering INT_P1 = N on an instrument where beta has only
    # INT_B1.
    text = factory.version().content.replace(
        "  - {id: INT_B2, group: internal, dimension: beta, text: {id: B dua, en: B two}, "
        "options: *four}\n", "")
    campaign = factory.campaign(version=factory.version(text))
    _, token = factory.invitation(campaign)
    browser = Browser(client, f"/r/{token}")
    browser.start()
    to_closing = browser.answer(1, {"INT_P1": "N"})
    assert to_closing.headers["Location"].endswith("/2")
    assert browser.answer(2, {"INT_A1": "3"}).headers["Location"].endswith("/4")
    page = browser.get("/4").get_data(as_text=True)
    assert "Halaman 3 dari 3" in page
    assert browser.get("/3").headers["Location"].endswith("/4")
    # Saying yes brings the page back, and it is asked before sending.
    browser.answer(1, {"INT_P1": "Y"})
    assert browser.get("/4").status_code == 303


def test_page_number_zero_or_text_is_not_a_page(personal):
    browser, _ = personal
    browser.start()
    assert browser.post("/0", {"action": "next"}).status_code == 400
    assert browser.client.get(browser.base + "/abc").status_code == 404


# -- open links --------------------------------------------------------------


def test_open_link_answers_as_external_group_with_a_signed_cookie(open_browser, session, app):
    app.config["ANONYMITY_BATCH"] = 1
    open_browser.start()
    assert open_browser.answer(1, {"EXT_A1": "4"}).headers["Location"].endswith("/2")
    response = open_browser.answer(2, {"EXT_B1": "3"}, "submit")
    assert response.headers["Location"].endswith("/selesai")
    stored = session.scalars(select(Response)).one()
    assert (stored.respondent_group, stored.channel) == ("external", "open")
    assert stored.answers == {"EXT_A1": "4", "EXT_B1": "3"}


def test_open_link_resumes_in_the_same_browser_only(open_browser, client):
    open_browser.start()
    open_browser.answer(1, {"EXT_A1": "4"})
    assert "Lanjutkan dari halaman terakhir" in open_browser.get().get_data(as_text=True)
    other = client.application.test_client()
    assert "Lanjutkan" not in other.get(open_browser.base).get_data(as_text=True)


def test_open_link_double_tap_on_send_stores_one_response(open_browser, session):
    open_browser.start()
    open_browser.answer(1, {"EXT_A1": "4"})
    open_browser.get("/2")
    cookie = open_browser.client.get_cookie("session")
    first = open_browser.post("/2", {"EXT_B1": "3", "action": "submit"})
    # The second tap carries the cookie from before the first answer arrived.
    open_browser.client.set_cookie("session", cookie.value)
    second = open_browser.post("/2", {"EXT_B1": "3", "action": "submit"})
    assert first.status_code == 303 and second.status_code == 410
    assert _count(session, Response) + _count(session, PendingResponse) == 1


def test_open_link_can_be_answered_again_when_once_per_browser_is_off(open_browser, session,
                                                                      app):
    # On by default (tests/survey/test_open_links.py); a kiosk tablet at the
    # counter, shared by many citizens, needs it off.
    app.config["OPEN_LINK_ONCE_PER_BROWSER"] = False
    for _ in range(2):
        open_browser.start()
        open_browser.answer(1, {"EXT_A1": "2"})
        open_browser.answer(2, {"EXT_B1": "2"}, "submit")
    assert _count(session, Response) + _count(session, PendingResponse) == 2


def test_invitation_rows_are_not_touched_by_open_links(open_browser, session, factory, campaign):
    invitation, _ = factory.invitation(campaign)
    open_browser.start()
    open_browser.answer(1, {"EXT_A1": "2"})
    open_browser.answer(2, {"EXT_B1": "2"}, "submit")
    session.refresh(invitation)
    assert invitation.used is False
    assert _count(session, Invitation) == 1


# -- hostile input -----------------------------------------------------------

@pytest.mark.parametrize("query", [
    "https://evil.example/", "//evil.example/", "/%5Cevil.example", "/%09/evil.example",
    "/%0A/x", "/%20/evil.example", "javascript:alert(1)", "/%2F/evil.example%0D"])
def test_language_switch_never_redirects_to_another_site(client, query):
    # As sent on the wire: %09 is a tab, which browsers drop ("/\t/x" -> "//x").
    response = client.get(f"/lang/en?next={query}")
    assert response.status_code == 303 and response.headers["Location"] == "/"


def test_language_switch_keeps_a_local_path_with_its_query(client):
    response = client.get("/lang/en", query_string={"next": "/staff/?campaign=2"})
    assert response.headers["Location"] == "/staff/?campaign=2"


@pytest.mark.parametrize("url", ["/o/abc%00def", "/r/abcdefgh%00", "/lang/en?next=/%00"])
def test_nul_bytes_are_refused_not_a_server_error(client, url):
    assert client.get(url).status_code in (400, 404)


def test_nul_byte_in_a_form_is_refused(personal):
    browser, _ = personal
    browser.start()
    assert browser.post("/1", {"INT_T": "a\x00b", "action": "next"}).status_code == 400


def test_referrer_policy_keeps_the_token_on_our_site(personal):
    response = personal[0].get()
    assert response.headers["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("path", ["/", "/cek", "/staff/login", "/static/css/app.css"])
def test_every_answer_refuses_sensors_camera_and_payments(client, path):
    response = client.get(path)
    policy = response.headers["Permissions-Policy"]
    response.close()
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in policy


def test_https_post_with_our_own_referer_is_accepted(client, factory):
    _, token = factory.invitation(factory.campaign())
    base = f"https://localhost/r/{token}"
    page = client.get(base).get_data(as_text=True)
    csrf = csrf_of(page)
    accepted = client.post(f"{base}/mulai", data={"csrf_token": csrf},
                           headers={"Referer": base})
    assert accepted.status_code == 303
    assert client.get(base).headers["Strict-Transport-Security"].startswith("max-age=")


def test_campaign_dates_follow_the_configured_time_zone(client, factory, app):
    from survey import clock

    # Kiritimati (UTC+14) is always a day or two ahead of UTC-12.
    ahead = clock.today("Pacific/Kiritimati")
    campaign = factory.campaign(opens_on=ahead, closes_on=ahead + timedelta(days=5))
    _, token = factory.invitation(campaign)
    app.config["TIMEZONE"] = "Pacific/Kiritimati"
    assert client.get(f"/r/{token}").status_code == 200
    app.config["TIMEZONE"] = "Etc/GMT+12"
    assert client.get(f"/r/{token}").status_code == 403  # not open yet there


def test_send_with_earlier_answers_that_fail_returns_to_that_page_with_a_message(personal):
    browser, _ = personal
    browser.start()
    browser.answer(1, {"INT_P1": "N"})
    browser.answer(2, {"INT_A1": "2"})
    # Going back does not insist on answers: the required INT_A1 is now blank
    # on a page already passed.
    browser.answer(2, {}, "back")
    browser.answer(3, {"INT_B2": "2"})
    response = browser.answer(4, {}, "submit")
    assert response.status_code == 303 and response.headers["Location"].endswith("/2")
    page = browser.get("/2").get_data(as_text=True)
    assert "Jawaban Anda belum terkirim" in page
