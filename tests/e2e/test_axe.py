"""WCAG 2.2 AA, checked by axe-core (issue 12, item 1): zero violations of
any impact on every respondent page and every staff page, at phone width
(390 x 844) and at laptop width (1280 x 800).

axe-core is vendored under tests/e2e/vendor (see its README) and injected
by the test browser; the application never serves it. These tests find the
pages to check from the application's URL map where they can, so that a
page added later is checked without anyone remembering to list it:

- every GET route of the respondent blueprint without path parameters
  (the home page, the thank-you page, ``/cek`` and ``/lapor`` once they
  exist);
- respondent routes with path parameters are walked as a person would
  (intro, every question page of every group, error states, link
  problems); a new one fails :func:`test_every_respondent_route_is_walked`
  until it is added to :data:`WALKED` or :data:`RESPONDENT_SAMPLES`;
- every GET route of the staff blueprint, for every staff role, with path
  parameters filled from the seeded demo city by :data:`STAFF_SAMPLES`; an
  unknown parameter name fails the test with a message saying where to add
  a sample.

The project's own checks (tests/survey/test_accessibility.py) stay: they
prove properties axe does not look at (every answer field inside its
question's fieldset, errors tied to their question, the stylesheet's
contrast pairs without a browser).
"""

from __future__ import annotations

import os
import re
from datetime import timedelta

import pytest

if os.environ.get("CI") != "true":  # under CI a missing playwright must fail the run
    pytest.importorskip(
        "playwright.sync_api", reason="the playwright package is not installed; browser tests"
    )
from browsing import FILL, SHOW_ALL  # noqa: E402
from flask import url_for  # noqa: E402
from playwright.sync_api import Page, expect  # noqa: E402
from sqlalchemy import select  # noqa: E402

from survey.models import Campaign, CampaignStatus, CitizenReport, StaffUser, Unit  # noqa: E402
from survey.services import jobs  # noqa: E402
from survey.services.demo import seed_demo  # noqa: E402

#: Respondent endpoints with path parameters that the walks below visit.
WALKED = {"respond.intro", "respond.start", "respond.page", "respond.set_language",
          "respond.report_status", "respond.signup"}

#: Sample path parameters for any other respondent route with parameters:
#: {endpoint: {parameter: value}}.
RESPONDENT_SAMPLES: dict[str, dict[str, str]] = {}


def _button(page: Page, value: str):
    return page.locator(f"form.questionnaire button[value={value}]")


def walk_questionnaire(page: Page, axe, base: str, group: str) -> None:
    """Intro, Start, every page of the questionnaire (the first one also
    before it is answered), then send; each page checked."""
    page.goto(base)
    axe.check(page, f"{group} intro")
    page.locator("form[action$='/mulai'] button").click()
    first = True
    while True:
        expect(page.locator("form.questionnaire")).to_be_visible()
        number = page.url.rsplit("/", 1)[1]
        if first:
            axe.check(page, f"{group} page {number}, unanswered")
            first = False
        page.evaluate(FILL, SHOW_ALL)
        axe.check(page, f"{group} page {number}, answered")
        current = page.url
        if _button(page, "submit").count():
            _button(page, "submit").click()
            expect(page).to_have_url(re.compile(r"/selesai$"))
            axe.check(page, f"{group} thank-you page")
            return
        _button(page, "next").click()
        expect(page).not_to_have_url(current)


@pytest.fixture
def default_campaign(factory):
    return factory.campaign(version=factory.default_version())


@pytest.mark.parametrize("group", ["internal", "external", "expert"])
def test_every_question_page_of_the_default_instrument_has_no_violations(
    axe, factory, default_campaign, group
):
    checker, context = axe, axe.context()
    if group == "external":
        base = f"/o/{factory.open_link(default_campaign).code}"
    else:
        base = f"/r/{factory.invitation(default_campaign, group=group)[1]}"
    walk_questionnaire(context.new_page(), checker, base, group)
    checker.assert_clean()


def test_error_states_have_no_violations(axe, factory):
    checker, context = axe, axe.context()
    campaign = factory.campaign()  # the small instrument: a required and a number question
    _, token = factory.invitation(campaign)
    base = f"/r/{token}"
    page = context.new_page()
    page.goto(base)
    page.locator("form[action$='/mulai'] button").click()
    _button(page, "next").click()  # page 1 has no required question
    expect(page).to_have_url(re.compile(r"/2$"))
    _button(page, "next").click()
    expect(page.locator("#form-errors")).to_be_visible()
    checker.check(page, "required answer missing")
    page.evaluate(FILL, {})
    _button(page, "next").click()
    expect(page).to_have_url(re.compile(r"/3$"))
    _button(page, "next").click()
    expect(page).to_have_url(re.compile(r"/4$"))
    page.locator("#in-INT_N").fill("banyak")
    _button(page, "submit").click()
    expect(page.locator("#q-INT_N .error")).to_be_visible()
    checker.check(page, "number not valid")

    page.locator("input[name=csrf_token]").evaluate("input => { input.value = 'stale'; }")
    _button(page, "submit").click()
    expect(page.locator("h1")).to_be_visible()
    checker.check(page, "form expired (CSRF)")

    # Two tabs on the last page: the second "send" finds the answers sent.
    page.goto(f"{base}/4")
    other = context.new_page()
    other.goto(f"{base}/4")
    page.locator("#in-INT_N").fill("5")
    _button(page, "submit").click()
    expect(page).to_have_url(re.compile(r"/selesai$"))
    other.locator("#in-INT_N").fill("5")
    _button(other, "submit").click()
    expect(other.locator("h1")).to_be_visible()
    checker.check(other, "answers already sent")
    page.goto("/tidak-ada-halaman-ini")
    checker.check(page, "page not found")
    checker.assert_clean()


def test_link_problem_pages_have_no_violations(axe, factory, today):
    checker, context = axe, axe.context()
    campaign = factory.campaign()
    _, used = factory.invitation(campaign, used=True)
    _, expired = factory.invitation(campaign, expires_on=today - timedelta(days=1))
    closed = factory.campaign(status=CampaignStatus.CLOSED, unit=factory.unit("U02"))
    not_open = factory.campaign(opens_on=today + timedelta(days=5), unit=factory.unit("U03"))
    problems = {
        "unknown": "/r/tautan-yang-tidak-dikenal-0123456789",
        "used": f"/r/{used}",
        "expired": f"/r/{expired}",
        "closed": f"/r/{factory.invitation(closed)[1]}",
        "not open": f"/r/{factory.invitation(not_open)[1]}",
    }
    page = context.new_page()
    for name, url in problems.items():
        page.goto(url)
        expect(page.locator("h1")).to_be_visible()
        checker.check(page, f"link problem: {name}")
    checker.assert_clean()


def test_respondent_pages_without_parameters_have_no_violations(app, axe, factory):
    checker, context = axe, axe.context()
    campaign = factory.campaign()
    factory.open_link(campaign)  # the home page lists it
    page = context.new_page()
    for rule in app.url_map.iter_rules():
        if (rule.endpoint.startswith("respond.") and "GET" in rule.methods
                and not rule.arguments):
            response = page.goto(rule.rule)
            if response.headers.get("content-type", "").startswith("text/html"):
                checker.check(page, rule.rule)
    assert "/" in " ".join(checker.checked) and any("/selesai" in c for c in checker.checked)
    checker.assert_clean()


def test_counter_sign_up_pages_have_no_violations(axe, factory, session):
    """The counter sign-up page (/d/<code>, issue 8): empty, refused, accepted."""
    checker, context = axe, axe.context()
    link = factory.open_link(factory.campaign())
    link.signup = True
    session.commit()
    page = context.new_page()
    page.goto(f"/d/{link.code}")
    checker.check(page, "sign-up form")
    page.locator("form button[type=submit]").click()
    expect(page.locator("#signup-phone")).to_have_attribute("aria-describedby", "error-phone")
    checker.check(page, "sign-up form, refused")
    page.locator("#signup-phone").fill("0812 3456 7890")
    page.locator("#signup-consent").check()
    page.locator("form button[type=submit]").click()
    expect(page.locator("#signup-phone")).to_have_count(0)
    checker.check(page, "sign-up accepted")
    checker.assert_clean()


def test_citizen_report_pages_have_no_violations(axe, factory, session, today):
    """/lapor empty, with an error, sent; the status page with a reply and a
    step, and for a code that does not exist."""
    from survey.services import reports, staff

    checker, context = axe, axe.context()
    office = factory.unit("DISDUK")
    page = context.new_page()
    page.goto("/lapor")
    checker.check(page, "report form")
    page.locator("form[enctype] button[type=submit]").click()
    expect(page.locator("#form-errors")).to_be_visible()
    checker.check(page, "report form, office missing")
    page.locator("#report-unit").select_option(str(office.id))
    page.locator("#category-broker").check()
    page.locator("#report-date").fill(today.isoformat())
    page.locator("#report-description").fill("Calo menawarkan SIM jadi dalam sehari.")
    page.locator("form[enctype] button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/lapor/terkirim$"))
    checker.check(page, "report sent")
    code = page.locator("#tracking-code").inner_text().strip()
    report = session.scalars(select(CitizenReport)).one()
    inspector = staff.create_user(session, email="i@kota.example", name="I", role="inspector",
                                  password="correct horse battery")
    reports.change_status(session, report, "in_review", note="n", actor=inspector,
                          public_reply="Sedang kami telaah.")
    page.goto(f"/lapor/{code}")
    checker.check(page, "report status")
    page.goto("/lapor/AAAA-BBBB-CCCC-DDDD")
    checker.check(page, "report status, unknown code")
    checker.assert_clean()


def test_every_respondent_route_is_walked(app):
    missing = [
        f"{rule.endpoint} ({rule.rule})"
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("respond.") and "GET" in rule.methods and rule.arguments
        and rule.endpoint not in WALKED and rule.endpoint not in RESPONDENT_SAMPLES
    ]
    assert not missing, (
        f"respondent pages with path parameters that no axe check visits: {missing}. "
        f"Walk them in {__file__} or add sample parameters to RESPONDENT_SAMPLES."
    )


def test_respondent_routes_with_samples_have_no_violations(app, axe):
    checker, context = axe, axe.context()
    page = context.new_page()
    for endpoint, values in RESPONDENT_SAMPLES.items():
        with app.test_request_context():
            url = url_for(endpoint, **values)
        page.goto(url)
        checker.check(page, url)
    if checker.checked:
        checker.assert_clean()


# -- staff pages ------------------------------------------------------------------


@pytest.fixture
def demo_city(session, today):
    """The demo city (`survey demo`): two campaigns, sixteen offices,
    thousands of responses, citizen reports and one account per role."""
    result = seed_demo(session, today=today)
    # Compute the results (jobs the demo asks for), so the results pages
    # are checked with their charts and tables, not their "being computed" state.
    jobs.run_pending(session.get_bind())
    campaign = session.scalar(select(Campaign).where(Campaign.status == CampaignStatus.OPEN))
    own_unit = session.scalar(select(Unit).where(Unit.code == "DISDUKCAPIL"))
    report = session.scalar(select(CitizenReport).where(CitizenReport.unit_id == own_unit.id))
    user = session.scalar(select(StaffUser).order_by(StaffUser.id))
    #: {path parameter name: value}; a staff route with a parameter not
    #: named here fails the crawler with a message saying to add it.
    samples = {
        "campaign_id": campaign.id,
        "unit_id": own_unit.id,
        "report_id": report.id if report else 1,
        "user_id": user.id,
        "version_id": campaign.instrument_version_id,
        "instrument_version_id": campaign.instrument_version_id,
        "reset_token": "link-that-does-not-exist-0123456789abcdefghij",
    }
    return result.logins, samples


def staff_urls(app, samples: dict) -> list[str]:
    """The URL of every GET route of the staff blueprint, parameters filled."""
    urls = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.endpoint.startswith("admin.") or "GET" not in rule.methods:
            continue
        unknown = sorted(set(rule.arguments) - set(samples) - set(rule.defaults or {}))
        if unknown:
            pytest.fail(
                f"the staff route {rule.rule} takes {unknown}, for which the axe crawler has "
                f"no sample value: add one to `samples` in the demo_city fixture of {__file__}",
                pytrace=False,
            )
        with app.test_request_context():
            urls.append(url_for(rule.endpoint, **{a: samples[a] for a in rule.arguments
                                                  if a in samples}))
    return urls


def test_every_staff_page_has_no_violations_for_every_role(app, axe, demo_city):
    logins, samples = demo_city
    checker = axe
    urls = staff_urls(app, samples)
    assert "/staff/" in urls and "/staff/login" in urls
    login_checked = False
    for role, email, password in logins:
        context = axe.context()
        page = context.new_page()
        page.goto("/staff/login")
        if not login_checked:
            checker.check(page, "staff sign-in")
            login_checked = True
        page.locator("input[name=email]").fill(email)
        page.locator("input[name=password]").fill(password)
        page.locator("form button[type=submit]").click()
        expect(page).to_have_url(re.compile(r"/staff/$"))
        for url in urls:
            # Downloads (CSV, PDF) are not pages: ask first, open only HTML.
            head = context.request.get(url, max_redirects=0)
            assert head.status < 500, f"{role}: {url} answered {head.status}"
            if not head.headers.get("content-type", "").startswith("text/html"):
                continue
            page.goto(url)
            checker.check(page, f"{role}: {url}")
        context.close()
    checker.assert_clean()
