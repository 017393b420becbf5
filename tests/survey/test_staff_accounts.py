"""Staff accounts: administrators create, deactivate and reset accounts with
a one-time link (never a password by email); everyone changes their own
password; ending a person's sessions ends them everywhere. The audit log and
instrument pages."""

from __future__ import annotations

import io
import re
import time

import pytest
import time_machine
from sqlalchemy import select
from support import PASSWORD, csrf_of, sign_in

from survey.models import AuditEntry, InstrumentVersion, PasswordReset, StaffUser
from survey.services import staff

NEW_PASSWORD = "a new long password"


@pytest.fixture
def city(factory, session):
    factory.unit("DINKES")
    campaign = factory.campaign()
    staff.create_user(session, email="admin@kota.example", name="Admin", role="admin",
                      password=PASSWORD)
    staff.create_user(session, email="inspektur@kota.example", name="Silvi", role="inspector",
                      password=PASSWORD)
    return campaign


def _signed_in(app, email, password=PASSWORD):
    client = app.test_client()
    client.set_cookie("lang", "en")
    assert sign_in(client, email, password).status_code == 303
    return client


def _post(client, url, data, page_url=None):
    token = csrf_of(client.get(page_url or url).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data})


def _link_path(page: str) -> str:
    return re.search(r"<code>https?://[^/]+(/staff/reset/[^<]+)</code>", page).group(1)


def test_an_admin_creates_an_account_whose_person_sets_the_password_by_link(
        app, session, city):
    admin = _signed_in(app, "admin@kota.example")
    page = _post(admin, "/staff/users", {"name": "Kadis", "email": "kadis@kota.example",
                                         "role": "inspector", "unit": ""})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    path = _link_path(text)
    user = session.scalar(select(StaffUser).where(StaffUser.email == "kadis@kota.example"))
    assert user is not None and not user.check_password("")
    # only the token's digest is stored
    token = path.rsplit("/", 1)[1]
    assert token not in {r.token_hash for r in session.scalars(select(PasswordReset))}
    person = app.test_client()
    person.set_cookie("lang", "en")
    assert sign_in(person, "kadis@kota.example", NEW_PASSWORD).status_code == 200  # not yet
    form = person.get(path)
    assert form.status_code == 200
    assert person.post(path, data={"csrf_token": csrf_of(form.get_data(as_text=True)),
                                   "new": "short"}).status_code == 400
    done = person.post(path, data={"csrf_token": csrf_of(form.get_data(as_text=True)),
                                   "new": NEW_PASSWORD})
    assert done.status_code == 303
    assert sign_in(person, "kadis@kota.example", NEW_PASSWORD).status_code == 303
    assert app.test_client().get(path).status_code == 404  # used once
    actions = set(session.scalars(select(AuditEntry.action)))
    assert {"staff.create", "staff.reset_link", "staff.password_set"} <= actions


def test_changing_ones_password_ends_every_other_session(app, session, city):
    here = _signed_in(app, "inspektur@kota.example")
    elsewhere = _signed_in(app, "inspektur@kota.example")
    assert elsewhere.get("/staff/results").status_code in (200, 303)
    wrong = _post(here, "/staff/account", {"current": "wrong", "new": NEW_PASSWORD})
    assert wrong.status_code == 400 and "not correct" in wrong.get_data(as_text=True)
    changed = _post(here, "/staff/account", {"current": PASSWORD, "new": NEW_PASSWORD})
    assert changed.status_code == 303
    assert here.get("/staff/account").status_code == 200  # this session stays
    gone = elsewhere.get("/staff/account")
    assert gone.status_code == 302 and "/staff/login" in gone.headers["Location"]
    assert sign_in(app.test_client(), "inspektur@kota.example", NEW_PASSWORD).status_code == 303


def test_deactivating_and_resetting_end_the_persons_sessions(app, session, city):
    admin = _signed_in(app, "admin@kota.example")
    person = _signed_in(app, "inspektur@kota.example")
    user = session.scalar(select(StaffUser).where(StaffUser.email == "inspektur@kota.example"))
    page = _post(admin, f"/staff/users/{user.id}/reset", {}, "/staff/users")
    assert page.status_code == 200 and "/staff/reset/" in page.get_data(as_text=True)
    assert person.get("/staff/account").status_code == 302
    assert sign_in(app.test_client(), "inspektur@kota.example").status_code == 200  # old one
    path = _link_path(page.get_data(as_text=True))
    form = app.test_client().get(path)
    assert form.status_code == 200
    assert _post(admin, f"/staff/users/{user.id}/active", {"active": "no"},
                 "/staff/users").status_code == 303
    assert app.test_client().get(path).status_code == 404  # a deactivated account's link
    session.refresh(user)
    assert not user.active
    own_id = session.scalar(select(StaffUser.id).where(StaffUser.email == "admin@kota.example"))
    self_off = _post(admin, f"/staff/users/{own_id}/active", {"active": "no"}, "/staff/users")
    assert self_off.status_code == 400


def test_the_audit_log_shows_ones_own_institutions_entries(app, session, city, factory):
    from survey.models import Institution

    other = Institution(code="LAIN", name="Kota Lain")
    factory.unit("X", institution=other)
    staff.create_user(session, email="auditor@lain.example", name="A", role="auditor",
                      password=PASSWORD, institution_code="LAIN")
    staff.create_user(session, email="auditor@kota.example", name="A", role="auditor",
                      password=PASSWORD, institution_code="TEST")
    page = _signed_in(app, "auditor@kota.example").get("/staff/audit").get_data(as_text=True)
    assert "inspektur@kota.example" in page and "auditor@lain.example" not in page
    filtered = _signed_in(app, "auditor@kota.example").get("/staff/audit?action=staff.login")
    assert "staff.create" not in filtered.get_data(as_text=True)


def test_an_invalid_instrument_is_refused_with_the_validators_report(app, session, city,
                                                                     small_instrument_text):
    admin = _signed_in(app, "admin@kota.example")
    before = session.scalar(select(InstrumentVersion.id).order_by(InstrumentVersion.id.desc()))
    bad = small_instrument_text.replace("weight: 0.6", "weight: -1")
    token = csrf_of(admin.get("/staff/instruments").get_data(as_text=True))
    page = admin.post("/staff/instruments", data={
        "csrf_token": token, "file": (io.BytesIO(bad.encode()), "baru.yaml")},
        content_type="multipart/form-data")
    assert page.status_code == 400
    assert "groups.internal.weight" in page.get_data(as_text=True)
    assert session.scalar(select(InstrumentVersion.id).order_by(
        InstrumentVersion.id.desc())) == before
    good = small_instrument_text.replace('version: "1"', 'version: "2"')
    stored = admin.post("/staff/instruments", data={
        "csrf_token": token, "file": (io.BytesIO(good.encode()), "baru.yaml")},
        content_type="multipart/form-data")
    assert stored.status_code == 303
    preview = admin.get(stored.headers["Location"]).get_data(as_text=True)
    assert "A satu" in preview and "A one" in preview  # both languages
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "instrument.upload"))


def test_signing_out_ends_the_session_also_for_a_copied_cookie(app, session, city):
    person = _signed_in(app, "inspektur@kota.example")
    other_device = _signed_in(app, "inspektur@kota.example")
    copied = person.get_cookie("session").value
    assert person.get("/staff/account").status_code == 200
    assert _post(person, "/staff/logout", {}, "/staff/account").status_code == 303
    thief = app.test_client()
    thief.set_cookie("session", copied)
    gone = thief.get("/staff/account")
    assert gone.status_code == 302 and "/staff/login" in gone.headers["Location"]
    assert other_device.get("/staff/account").status_code == 302   # every session ends
    assert _signed_in(app, "inspektur@kota.example").get("/staff/account").status_code == 200


def test_a_staff_session_ends_after_the_configured_idle_time(app, session, city):
    app.config["STAFF_IDLE_MINUTES"] = 20
    start = time.time()
    with time_machine.travel(start, tick=False):
        person = _signed_in(app, "inspektur@kota.example")
    with time_machine.travel(start + 19 * 60, tick=False):
        assert person.get("/staff/account").status_code == 200   # active: the clock restarts
    with time_machine.travel(start + 38 * 60, tick=False):
        assert person.get("/staff/account").status_code == 200
    with time_machine.travel(start + 59 * 60, tick=False):
        idle = person.get("/staff/account")
        assert idle.status_code == 302 and "/staff/login" in idle.headers["Location"]
        assert "signed out" in person.get("/staff/login").get_data(as_text=True)
