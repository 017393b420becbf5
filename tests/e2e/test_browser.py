"""The respondent's flows in a real browser on a phone-sized screen (issue 3,
item 7): a whole questionnaire from a personal link, close and resume,
submitting twice, switching language, an open link, skip logic with
JavaScript and keyboard-only use.

tests/survey/test_respond.py proves the same flows with the Flask test
client; here they are proven through Chromium: real taps on labels, the
real cookies, the real script.
"""

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

from survey.models import PartialAnswer, PendingResponse, Response  # noqa: E402
from survey.services import responding  # noqa: E402
from survey.services.tokens import PendingSeal  # noqa: E402

#: Answers that make every show_if question of the default instrument appear.
SHOW_ALL = {
    "INT_PROFILE_3": "Y",  # works on procurement: INT_PBJ_03..06
    "INT_SOS_03": "4",  # knows how to report: INT_SOS_04
    "EXT_PROFILE_2": "3",  # used the service: EXT_PROFILE_3/4 and most external questions
    "EXT_PROFILE_5": "Y",  # complained: EXT_SOS_04
    "EXT_IT_01": "Y",  # was asked for money: EXT_FOLLOW_1..3
    "EXT_FOLLOW_2": "50000",
    "INT_COMMENT": "Prosedur sudah jelas.",
    "EXT_COMMENT": "Petugas ramah.",
}
FINISHED = "Terima kasih, jawaban Anda sudah kami terima"


# -- helpers ------------------------------------------------------------------------


def shown_questions(page: Page) -> list[str]:
    """Ids of the questions visible on the page, top to bottom."""
    return page.locator("fieldset.question:visible").evaluate_all(
        "sets => sets.map(s => s.id.slice(2))"
    )


def tap_option(page: Page, question: str, code: str) -> None:
    """Tap the label of one option (as a thumb would) and check it took."""
    option = page.locator(f"#q-{question} input[value='{code}']")
    page.locator(f"label[for='{option.get_attribute('id')}']").tap()
    expect(option).to_be_checked()


def answer_page(page: Page, prefer: dict[str, str]) -> dict[str, str]:
    """Answer every visible question, top to bottom, by tapping labels
    (typing into text and number fields). Re-reads the page after each
    answer: an answer may reveal a question below it. Returns the answers
    as they are stored (multi-choice codes joined by ';')."""
    answered: dict[str, str] = {}
    while pending := [q for q in shown_questions(page) if q not in answered]:
        question = pending[0]
        fieldset = page.locator(f"#q-{question}")
        options = fieldset.locator("input[type=radio], input[type=checkbox]")
        if options.count():
            codes = options.evaluate_all("inputs => inputs.map(i => i.value)")
            multi = options.first.get_attribute("type") == "checkbox"
            chosen = prefer.get(question, ";".join(codes[:2]) if multi else codes[0])
            for code in chosen.split(";"):
                tap_option(page, question, code)
            answered[question] = chosen
        else:
            field = fieldset.locator("textarea, input")
            field.tap()
            field.fill(prefer.get(question, "Tidak ada."))
            answered[question] = prefer.get(question, "Tidak ada.")
    return answered


def progress(page: Page) -> tuple[int, int]:
    """(page number, number of pages) from the progress line."""
    text = page.locator(".progress p").inner_text()
    number, total = re.search(r"(\d+)\D+(\d+)", text).groups()
    return int(number), int(total)


def at_page(page: Page, base: str, number: int) -> None:
    expect(page).to_have_url(re.compile(re.escape(base) + rf"/{number}$"))
    expect(page.locator(".progress p")).to_contain_text(f" {number} ")


def tap_button(page: Page, action: str) -> None:
    """Tap the form button with this action (next, back or submit)."""
    page.locator(f"button[value={action}]").tap()


def start(page: Page, base: str) -> int:
    """Open the link, tap Start; returns the number of pages."""
    page.goto(base)
    page.get_by_role("button", name="Mulai").tap()
    at_page(page, base, 1)
    return progress(page)[1]


def answer_all(page: Page, base: str, prefer: dict[str, str], shoot=None) -> dict[str, str]:
    """From the current page, answer every page until the answers are sent;
    returns every answer given. The number of pages is read as it goes: an
    answer may open pages (or close them)."""
    answers: dict[str, str] = {}
    while True:
        expect(page).to_have_url(re.compile(re.escape(base) + r"/\d+$"))
        number = int(page.url.rsplit("/", 1)[1])
        answers.update(answer_page(page, prefer))
        if shoot is not None:
            shoot(page, f"page-{number}")
        action = "submit" if page.locator("button[value=submit]").count() else "next"
        current = page.url
        tap_button(page, action)
        expect(page).not_to_have_url(current)
        if page.url.endswith("/selesai"):
            return answers


def skip_to(page: Page, base: str, number: int) -> None:
    """From page 1, go on to page ``number`` without answering (passing over
    pages that do not apply)."""
    while int(page.url.rsplit("/", 1)[1]) < number:
        current = page.url
        tap_button(page, "next")
        expect(page).not_to_have_url(current)
    expect(page).to_have_url(re.compile(re.escape(base) + rf"/{number}$"))


def stored(session) -> list:
    """Every stored response, waiting to be mixed or mixed."""
    session.expire_all()
    return [*session.scalars(select(PendingResponse)), *session.scalars(select(Response))]


def answers_of(row, app) -> dict:
    """A stored response's answers; a response still waiting in the mixing
    pool is sealed under the application's key (issue 11, hole 6)."""
    if isinstance(row, Response):
        return row.answers
    return responding._unsealed(row, PendingSeal(app.config["SECRET_KEY"])).answers


def count(session, model) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def default_campaign(factory):
    return factory.campaign(version=factory.default_version())


@pytest.fixture
def personal(factory, default_campaign):
    """(invitation, path of its link) for an internal respondent."""
    invitation, token = factory.invitation(default_campaign)
    return invitation, f"/r/{token}"


# -- (a) a whole questionnaire ------------------------------------------------------


def test_whole_questionnaire_from_a_personal_link_is_stored_once(
    browser_page, personal, default_campaign, session, screenshot, app
):
    invitation, base = personal
    page = browser_page
    page.goto(base)
    expect(page.locator("html")).to_have_attribute("lang", "id")
    privacy = page.locator("section.privacy")
    privacy.scroll_into_view_if_needed()
    expect(privacy.locator("h2")).to_have_text("Jawaban Anda anonim")
    expect(privacy).to_contain_text("tidak pernah nama, nomor telepon, atau tautan ini")
    expect(privacy).to_contain_text("termasuk administrator")
    screenshot(page, "intro")

    page.get_by_role("button", name="Mulai").tap()
    answers = answer_all(page, base, SHOW_ALL, shoot=screenshot)

    expect(page).to_have_url(re.compile(r"/selesai$"))
    expect(page.locator("h1")).to_have_text(FINISHED)
    screenshot(page, "finished")
    instrument = default_campaign.instrument_version.instrument
    every = [q.id for q in instrument.questions_of("internal")]
    assert list(answers) == every  # show_if questions appeared and were answered
    rows = stored(session)
    assert len(rows) == 1
    assert answers_of(rows[0], app) == answers and rows[0].channel == "invited"
    session.refresh(invitation)
    assert invitation.used is True
    assert count(session, PartialAnswer) == 0


# -- (b) close and resume -------------------------------------------------------------


def test_closed_browser_resumes_at_the_third_page_with_earlier_answers(
    new_context, personal, session, screenshot
):
    _, base = personal
    first = new_context()
    page = first.new_page()
    start(page, base)
    earlier = {}
    for number in (1, 2):
        at_page(page, base, number)
        earlier[number] = answer_page(page, {})
        tap_button(page, "next")
    at_page(page, base, 3)
    screenshot(page, "before-closing")
    first.close()  # a call comes in; the browser is gone

    page = new_context().new_page()
    page.goto(base)
    resume = page.get_by_role("link", name="Lanjutkan dari halaman terakhir")
    expect(resume).to_be_visible()
    expect(page.get_by_role("button", name="Mulai")).to_have_count(0)
    screenshot(page, "resume")
    resume.tap()
    at_page(page, base, 3)

    tap_button(page, "back")
    at_page(page, base, 2)
    for question, code in earlier[2].items():
        expect(page.locator(f"#q-{question} input[value='{code}']")).to_be_checked()
    screenshot(page, "page-2-kept")
    tap_button(page, "next")
    at_page(page, base, 3)
    answer_page(page, {})
    tap_button(page, "next")
    at_page(page, base, 4)
    page.goto(f"{base}/1")
    for question, code in earlier[1].items():
        expect(page.locator(f"#q-{question} input[value='{code}']")).to_be_checked()
    assert count(session, PartialAnswer) == 1 and stored(session) == []


# -- (c) submitting twice --------------------------------------------------------------


def test_sending_twice_stores_one_response_and_shows_a_friendly_page(
    browser_page, personal, session, screenshot
):
    invitation, base = personal
    page = browser_page
    total = start(page, base)
    skip_to(page, base, total)
    screenshot(page, "last-page")
    posts, statuses = [], []
    page.on("request", lambda r: posts.append(r) if r.method == "POST" else None)
    page.on("response", lambda r: statuses.append(r.status))

    page.locator("button[value=submit]").dblclick()  # a double tap on send
    expect(page.locator("h1")).to_have_text(
        re.compile(f"{FINISHED}|Jawaban ini sudah terkirim|Tautan ini sudah digunakan")
    )
    screenshot(page, "after-double-tap")
    print(f"POSTs the double tap sent: {len(posts)}")
    assert len(stored(session)) == 1
    sent = posts[0]
    form = sent.post_data

    # Back to the form, as a person unsure it worked would do.
    page.go_back()
    expect(page.locator("h1")).to_have_text("Tautan ini sudah digunakan")
    screenshot(page, "back-after-sending")

    # The browser (or a flaky connection) sends the same request again.
    again = page.request.post(
        sent.url, data=form, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert again.status == 410
    assert "Jawaban ini sudah terkirim" in again.text()  # reassured, not alarmed
    assert all(status < 500 for status in statuses)
    assert len(stored(session)) == 1
    session.refresh(invitation)
    assert invitation.used is True


PARALLEL_SENDS = """async () => {
    const form = document.querySelector("form.questionnaire");
    const send = async () => {
        const body = new FormData(form);
        body.append("action", "submit");
        const response = await fetch(form.getAttribute("action"), {method: "POST", body});
        return {status: response.status, url: response.url, text: await response.text()};
    };
    return Promise.all([send(), send()]);
}"""


def test_two_sends_at_the_same_moment_store_one_response(
    browser_page, personal, session, screenshot
):
    """As when the script that blocks a second tap did not run (an old phone,
    a page restored from the cache): both requests reach the server at once."""
    invitation, base = personal
    page = browser_page
    total = start(page, base)
    skip_to(page, base, total)
    answer_page(page, {})
    screenshot(page, "last-page")
    results = sorted(page.evaluate(PARALLEL_SENDS), key=lambda r: r["status"])
    assert [r["status"] for r in results] == [200, 410]
    assert results[0]["url"].endswith("/selesai") and FINISHED in results[0]["text"]
    assert re.search("Jawaban ini sudah terkirim|Tautan ini sudah digunakan", results[1]["text"])
    assert len(stored(session)) == 1
    session.refresh(invitation)
    assert invitation.used is True


# -- (d) language ----------------------------------------------------------------------


def test_english_chosen_on_the_intro_stays_until_indonesian_is_chosen(
    browser_page, personal, screenshot
):
    _, base = personal
    page = browser_page
    page.goto(base)
    page.locator("nav.lang a[hreflang=en]").tap()
    expect(page).to_have_url(re.compile(re.escape(base) + "$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("section.privacy h2")).to_have_text("Your answers are anonymous")
    screenshot(page, "intro-en")

    page.get_by_role("button", name="Start").tap()
    at_page(page, base, 1)
    expect(page.locator(".progress p")).to_have_text("Page 1 of 27")
    expect(page.locator("h1")).to_have_text("About you (1 of 2)")
    expect(page.locator("#q-INT_PROFILE_1 legend")).to_contain_text(
        "How long have you worked at this office?"
    )
    expect(page.get_by_role("button", name="Save and continue")).to_be_visible()
    screenshot(page, "page-1-en")
    tap_button(page, "next")
    at_page(page, base, 2)
    expect(page.locator(".progress p")).to_have_text("Page 2 of 27")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("About you (2 of 2)")

    page.locator("nav.lang a[hreflang=id]").tap()
    at_page(page, base, 2)
    expect(page.locator("html")).to_have_attribute("lang", "id")
    expect(page.locator(".progress p")).to_have_text("Halaman 2 dari 27")
    expect(page.locator("h1")).to_have_text("Tentang Anda (2 dari 2)")
    screenshot(page, "page-2-id")


# -- (e) open link -------------------------------------------------------------------


def test_citizen_answers_from_an_open_link_stored_as_open_channel(
    browser_page, factory, default_campaign, session, screenshot, app
):
    link = factory.open_link(default_campaign)
    base = f"/o/{link.code}"
    page = browser_page
    page.goto(base)
    expect(page.locator(".lead")).to_contain_text("Ceritakan kepada kami layanan")
    screenshot(page, "intro")
    page.get_by_role("button", name="Mulai").tap()
    answers = answer_all(page, base, SHOW_ALL, shoot=screenshot)
    expect(page.locator("h1")).to_have_text(FINISHED)
    screenshot(page, "finished")

    instrument = default_campaign.instrument_version.instrument
    assert list(answers) == [q.id for q in instrument.questions_of("external")]
    rows = stored(session)
    assert len(rows) == 1
    assert (rows[0].channel, rows[0].respondent_group) == ("open", "external")
    assert answers_of(rows[0], app) == answers
    # One finished response per phone and office (issue 8): the same phone
    # is told so, honestly, and offered the report page instead.
    page.goto(base)
    expect(page.locator("h1")).to_have_text("Anda sudah menjawab untuk kantor ini")
    expect(page.get_by_role("button", name="Mulai")).to_have_count(0)
    expect(page.get_by_role("link", name="laporkan kejadian")).to_be_visible()
    screenshot(page, "answered-here")


def test_citizen_who_never_used_the_service_meets_no_empty_page(
    browser_page, factory, default_campaign, session, screenshot
):
    base = f"/o/{factory.open_link(default_campaign).code}"
    page = browser_page
    start(page, base)
    tap_option(page, "EXT_PROFILE_2", "1")  # never used a service of this office
    visited, totals = [], set()
    while True:
        position, total = progress(page)
        totals.add(total)
        visited.append(int(page.url.rsplit("/", 1)[1]))
        assert position == len(visited)
        assert shown_questions(page), f"{page.url} shows no question"
        screenshot(page, f"page-{visited[-1]}")
        answer_page(page, {"EXT_PROFILE_2": "1"})
        if page.locator("button[value=submit]").count():
            break
        current = page.url
        tap_button(page, "next")
        expect(page).not_to_have_url(current)
    # The service-experience pages were skipped. The first page counted every
    # page, as the intro did; once the answer was saved, only what is shown.
    assert visited == [1, 3, 4, 5, 14, 15, 17] and totals == {17, 7}
    tap_button(page, "submit")
    expect(page.locator("h1")).to_have_text(FINISHED)
    assert len(stored(session)) == 1


# -- (f) skip logic with JavaScript ---------------------------------------------------


@pytest.mark.parametrize(
    ("channel", "number", "source", "dependents", "show", "hide"),
    [
        ("personal", 25, "INT_SOS_03", ("INT_SOS_04",), "3", "2"),
    ],
    ids=["internal-sosialisasi"],
)
def test_same_page_dependent_question_appears_and_disappears_at_once(
    browser_page,
    factory,
    default_campaign,
    screenshot,
    channel,
    number,
    source,
    dependents,
    show,
    hide,
):
    if channel == "open":
        base = f"/o/{factory.open_link(default_campaign).code}"
    else:
        base = f"/r/{factory.invitation(default_campaign)[1]}"
    page = browser_page
    start(page, base)
    skip_to(page, base, number)
    fieldsets = [page.locator(f"#q-{q}") for q in dependents]
    # is_visible() does not wait: what it sees is the page right after the tap.
    assert not any(f.is_visible() for f in fieldsets)
    screenshot(page, "unanswered")

    tap_option(page, source, show)
    assert all(f.is_visible() for f in fieldsets)
    assert not page.locator(f"#q-{dependents[0]} .condition").is_visible()
    first = page.locator(f"#q-{dependents[0]} input").first
    page.locator(f"label[for='{first.get_attribute('id')}']").tap()
    screenshot(page, "shown")

    tap_option(page, source, hide)
    assert not any(f.is_visible() for f in fieldsets)
    assert not first.is_checked()  # a hidden question sends no answer
    screenshot(page, "hidden-again")
    tap_button(page, "next")
    expect(page).to_have_url(re.compile(re.escape(base) + rf"/{number + 1}$"))  # no error


# -- (g) keyboard only ---------------------------------------------------------------


def _focused(page: Page) -> dict:
    return page.evaluate(
        "() => { const e = document.activeElement;"
        " return {tag: e.tagName.toLowerCase(), type: e.type || '', id: e.id,"
        " value: e.value || '', cls: e.className || ''}; }"
    )


def _tab_until(page: Page, wanted, limit: int = 25) -> dict:
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = _focused(page)
        if wanted(focused):
            return focused
    raise AssertionError(f"Tab never reached the element; last focus: {focused}")


def test_keyboard_alone_chooses_an_option_and_moves_to_the_next_page(
    browser_page, personal, session, screenshot
):
    _, base = personal
    page = browser_page
    start(page, base)
    first_stop = _tab_until(page, lambda f: True, limit=1)
    assert first_stop["cls"] == "skip"  # the skip link comes first...
    expect(page.locator("a.skip")).to_be_in_viewport()  # ...and shows itself when focused
    radio = _tab_until(page, lambda f: f["type"] == "radio")
    page.keyboard.press("Space")
    expect(page.locator(f"#{radio['id']}")).to_be_checked()
    screenshot(page, "option-chosen-by-keyboard")
    _tab_until(page, lambda f: f["tag"] == "button" and f["value"] == "next")
    screenshot(page, "button-focused")
    page.keyboard.press("Enter")
    at_page(page, base, 2)
    page.goto(f"{base}/1")
    expect(page.locator(f"#{radio['id']}")).to_be_checked()  # saved on the server


# -- errors and layout -----------------------------------------------------------------


def test_blank_required_question_is_flagged_beside_it_and_the_summary_gets_focus(
    browser_page, factory, screenshot
):
    _, token = factory.invitation(factory.campaign())  # the small instrument
    base = f"/r/{token}"
    page = browser_page
    start(page, base)
    tap_option(page, "INT_P1", "Y")
    tap_button(page, "next")
    at_page(page, base, 2)
    tap_option(page, "INT_A3", "3")
    tap_button(page, "next")
    at_page(page, base, 2)
    question = page.locator("#q-INT_A1")
    expect(question.locator(".error")).to_have_text("Mohon jawab pertanyaan ini.")
    expect(question.get_by_role("radiogroup")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#form-errors")).to_be_focused()
    expect(page.locator("#q-INT_A3 input[value='3']")).to_be_checked()  # nothing lost
    screenshot(page, "required-error")
    page.locator("#form-errors a").tap()
    expect(page).to_have_url(re.compile("#q-INT_A1$"))


def test_every_page_fits_a_360px_screen_without_sideways_scrolling(
    new_context, personal, screenshot
):
    _, base = personal
    page = new_context(viewport={"width": 360, "height": 740}).new_page()
    page.goto(base)
    widths = {"intro": page.evaluate("document.documentElement.scrollWidth")}
    total = start(page, base)
    for number in range(1, total + 1):
        at_page(page, base, number)
        answer_page(page, SHOW_ALL)
        widths[number] = page.evaluate("document.documentElement.scrollWidth")
        if number == 4:
            screenshot(page, "page-4-at-360px")
        if number < total:
            tap_button(page, "next")
    assert all(width <= 360 for width in widths.values()), widths


def test_options_and_buttons_are_large_tap_targets(browser_page, personal, screenshot):
    _, base = personal
    page = browser_page
    start(page, base)
    skip_to(page, base, 4)  # page 4 has two questions and both buttons
    screenshot(page, "page-4")
    boxes = page.locator(".options label, .actions button")
    small = [
        (box["width"], box["height"])
        for box in (boxes.nth(i).bounding_box() for i in range(boxes.count()))
        if box["height"] < 44 or box["width"] < 44
    ]
    assert boxes.count() > 10 and small == []  # 44 px: WCAG 2.5.5, Apple and Android


# -- HTTPS, as in production ------------------------------------------------------------


def test_answers_can_be_sent_over_https(new_context, live_https_server, factory, screenshot):
    # Over HTTPS Flask-WTF also checks that a POST's Referer is our own site;
    # a Referrer-Policy that suppresses it would reject every answer.
    _, token = factory.invitation(factory.campaign())
    page = new_context(base_url=live_https_server, ignore_https_errors=True).new_page()
    page.goto(f"/r/{token}")
    page.get_by_role("button", name="Mulai").tap()
    expect(page.locator("h1")).to_have_text("Tentang Anda")
    tap_option(page, "INT_P1", "N")
    tap_button(page, "next")
    expect(page).to_have_url(re.compile(r"/r/.+/2$"))
    screenshot(page, "https-page-2")
