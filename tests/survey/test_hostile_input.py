"""Hostile input (issue 11): every form of the platform, public and staff,
found in the application's url_map (so forms added later are covered
without touching this file), is posted hypothesis-generated junk: no
server error. And a script payload typed into every free-text field of
every form is shown escaped on every page that shows it."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import PASSWORD, sign_in
from werkzeug.routing import Rule

from survey.models import Invitation
from survey.services import staff

pytestmark = pytest.mark.security

#: Values no honest browser sends: long, control characters, NUL, markup,
#: SQL, format strings, numbers out of range, odd Unicode.
HOSTILE = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=300),
    st.sampled_from(["", " ", "\x00", "0", "-1", "1e309", "NaN", "9" * 40, "%s%n{0}{x}",
                     "' OR 1=1 --", "<script>alert(1)</script>", "../../etc/passwd",
                     "a" * 5000, "\u202e\u0000\ud7ff", "2026-02-30", "+62812", "true"]),
)
EXAMPLES = 8


def _post_rules(app) -> list[Rule]:
    return sorted((r for r in app.url_map.iter_rules()
                   if "POST" in r.methods and r.endpoint != "static"), key=lambda r: r.rule)


class _Forms(HTMLParser):
    """The fields of the forms on a page: (action, method, [fields])."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._in_textarea = False

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._in_textarea = False

    def handle_data(self, data):
        if self._in_textarea:   # a textarea's value is its content
            name, kind, value = self.forms[-1]["fields"][-1]
            self.forms[-1]["fields"][-1] = (name, kind, value + data)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action") or "",
                               "method": (attrs.get("method") or "get").lower(), "fields": []})
        elif tag in ("input", "textarea", "select") and self.forms and attrs.get("name"):
            kind = "textarea" if tag == "textarea" else "select" if tag == "select" \
                else (attrs.get("type") or "text").lower()
            self.forms[-1]["fields"].append((attrs["name"], kind, attrs.get("value") or ""))
            self._in_textarea = tag == "textarea"
        elif tag == "option" and self.forms and self.forms[-1]["fields"]:
            name, kind, value = self.forms[-1]["fields"][-1]
            if kind == "select" and not value and attrs.get("value"):
                self.forms[-1]["fields"][-1] = (name, kind, attrs["value"])


def _forms(html: str) -> list[dict]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


@pytest.fixture
def city(app, factory, session):
    """A campaign with an office, an invitation, an open link, a correction's
    worth of context, and an administrator and another staff member."""
    office = factory.unit("K01")
    campaign = factory.campaign(unit=office)
    invitation, token = factory.invitation(campaign)
    link = factory.open_link(campaign)
    admin = staff.create_user(session, email="admin@kota.example", name="Admin", role="admin",
                              password=PASSWORD)
    other = staff.create_user(session, email="lain@kota.example", name="Lain",
                              role="inspector", password=PASSWORD)
    session.commit()
    return {"campaign_id": campaign.id, "unit_id": office.id, "invitation_id": invitation.id,
            "user_id": other.id, "version_id": campaign.instrument_version_id,
            "correction_id": 1, "kind": "r", "code": token, "number": 1,
            "reset_token": "x" * 40, "admin_id": admin.id, "open_code": link.code}


def _url(rule: Rule, values: dict) -> str:
    def fill(match: re.Match) -> str:
        converter, name = match.group(1), match.group(2)
        if name in values:
            return str(values[name])
        return "1" if converter in ("int", "float") else "x1"
    return re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>", fill, rule.rule)


def _signed_in(client) -> None:
    if client.get("/staff/").status_code != 200:
        assert sign_in(client, "admin@kota.example").status_code == 303


def _junk_poster(client, url: str, names: list[str], statuses: dict[int, int]):
    """A hypothesis test posting junk under ``names`` to ``url``."""

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(form=st.dictionaries(st.sampled_from(names),
                                st.lists(HOSTILE, min_size=1, max_size=3), max_size=8))
    def post(form):
        if url.startswith("/staff"):
            _signed_in(client)
        response = client.post(url, data=form)
        assert response.status_code < 500, (url, form, response.status_code)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        assert b"Traceback" not in response.get_data()

    return post


def test_junk_posted_to_every_form_gives_no_server_error(app, city):
    app.config["WTF_CSRF_ENABLED"] = False   # let the junk reach the forms themselves
    client = app.test_client()
    rules = _post_rules(app)
    assert len(rules) >= 20   # the url_map was read
    checked = []
    statuses: dict[int, int] = {}
    for rule in rules:
        url = _url(rule, city)
        names = set()
        if "GET" in rule.methods:
            if url.startswith("/staff"):
                _signed_in(client)
            page = client.get(url)
            if page.mimetype == "text/html":
                names = {n for form in _forms(page.get_data(as_text=True))
                         for n, *_ in form["fields"]}
        names |= {"action", "text", "name", "email", "password", "file"}

        _junk_poster(client, url, sorted(names), statuses)()
        checked.append(rule.rule)
    assert "/staff/campaigns/<int:campaign_id>/edit" in checked and "/cek" in checked
    # The junk reached the forms: some was refused as invalid, some accepted.
    assert statuses.get(200, 0) + statuses.get(422, 0) + statuses.get(400, 0) > 50, statuses
    assert statuses.get(303, 0) > 10, statuses


PAYLOAD = '"><script>alert("h11b")</script><img src=x onerror=alert(2)>'
RAW = ("<script>alert(", "<img src=x onerror")


def _fill(form: dict, target: str, text: str) -> dict:
    """A plausible submission of ``form``: ``text`` in the free-text field
    ``target``, the other fields as the page filled them (or plausible)."""
    data = {}
    for name, kind, value in form["fields"]:
        if name == target:
            data[name] = text
        elif kind in ("text", "textarea", "search"):
            data[name] = value or "2026"
        elif kind == "url":
            data[name] = value or "https://hook.example.go.id/spi"
        elif kind == "email":
            data[name] = "xss@kota.example"
        elif kind == "password":
            data[name] = PASSWORD
        elif kind == "number":
            data[name] = value or "1"
        elif kind == "date":
            data[name] = value or "2026-12-01"
        elif kind in ("hidden", "select", "radio", "checkbox", "submit", "tel"):
            data.setdefault(name, value or "1")
    return data


def test_a_script_typed_into_every_text_field_is_shown_escaped(app, city, session):
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    _signed_in(client)
    # A respondent writes it into the free-text answer and sends.
    respondent = app.test_client()
    base = f"/r/{city['code']}"
    assert respondent.post(base + "/mulai").status_code == 303
    for number, answers in ((1, {"INT_P1": "N"}), (2, {"INT_A1": "3"}), (3, {"INT_B2": "2"})):
        respondent.post(f"{base}/{number}", data={**answers, "action": "next"})
    sent = respondent.post(f"{base}/4", data={"INT_T": PAYLOAD, "action": "submit"})
    assert sent.status_code == 303
    session.expire_all()
    assert session.get(Invitation, city["invitation_id"]).used
    # Staff type it into every text field of every form on every staff page.
    pages = sorted({_url(r, city) for r in app.url_map.iter_rules()
                    if "GET" in r.methods and not r.arguments - set(city)
                    and r.endpoint != "static"})
    posted = accepted = 0
    for url in pages:
        if not url.startswith("/staff") or url.endswith(("/reset/" + city["reset_token"],)):
            continue
        _signed_in(client)
        page = client.get(url)
        if page.mimetype != "text/html":
            continue   # a PDF, an image, a download
        for form in _forms(page.get_data(as_text=True)):
            if form["method"] != "post" or not any(
                    kind in ("text", "textarea") for _, kind, _ in form["fields"]):
                continue
            action = form["action"] or url
            if action.endswith(("/logout", "/account")):
                continue
            for target, kind, _ in form["fields"]:
                if kind in ("text", "textarea"):
                    response = client.post(action, data=_fill(form, target, PAYLOAD))
                    assert response.status_code < 500, action
                    posted += 1
                    accepted += response.status_code in (200, 201, 303)
    assert posted >= 10 and accepted >= 5, (posted, accepted)
    # Wherever it appears now, it appears escaped.
    shown = 0
    for url in pages:
        _signed_in(client)
        response = client.get(url)
        if response.mimetype != "text/html":
            continue   # downloads and JSON are not run by a browser
        body = response.get_data(as_text=True)
        for raw in RAW:
            assert raw not in body, url
        shown += "&lt;script&gt;alert(" in body
    assert shown >= 1   # the payload was stored and shown somewhere
