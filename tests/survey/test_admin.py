"""Staff pages: sign-in, and progress limited to a person's units."""

from __future__ import annotations

import re

import pytest

from survey.services import staff

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')
PASSWORD = "correct horse battery"


def _csrf(page: str) -> str:
    found = CSRF.search(page)
    return found.group(1) or found.group(2)


def sign_in(client, email: str, password: str = PASSWORD):
    token = _csrf(client.get("/staff/login").get_data(as_text=True))
    return client.post("/staff/login", data={"email": email, "password": password,
                                             "csrf_token": token})


@pytest.fixture
def city(factory, session):
    """Two offices, a sub-office of the first, a campaign, and staff."""
    dinkes = factory.unit("DINKES")
    rsud = factory.unit("RSUD", parent=dinkes)
    pupr = factory.unit("PUPR")
    campaign = factory.campaign(unit=dinkes)
    for unit in (dinkes, rsud, pupr):
        factory.invitation(campaign, unit)
    factory.invitation(campaign, pupr, used=True)
    staff.create_user(session, email="inspektur@kota.example", name="Silvi", role="inspector",
                      password=PASSWORD)
    staff.create_user(session, email="kadis@kota.example", name="Kadis", role="unit_manager",
                      password=PASSWORD, unit_code="DINKES")
    return campaign


def test_staff_pages_require_sign_in(client, city):
    response = client.get("/staff/")
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]


def test_wrong_password_is_refused_without_saying_which_part(client, city):
    page = sign_in(client, "inspektur@kota.example", "wrong password").get_data(as_text=True)
    assert "Email atau kata sandi tidak benar." in page


def test_sign_in_without_csrf_token_is_refused(client, city):
    response = client.post("/staff/login", data={"email": "inspektur@kota.example",
                                                 "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/staff/").status_code == 302


def test_inspector_sees_every_office(client, city):
    assert sign_in(client, "INSPEKTUR@kota.example").status_code == 303
    page = client.get("/staff/").get_data(as_text=True)
    for name in ("Kantor DINKES", "Kantor RSUD", "Kantor PUPR"):
        assert name in page
    assert "1 / 2 (50%)" in page


def test_unit_manager_sees_own_office_and_its_sub_offices_only(client, city):
    sign_in(client, "kadis@kota.example")
    page = client.get("/staff/").get_data(as_text=True)
    assert "Kantor DINKES" in page and "Kantor RSUD" in page
    assert "Kantor PUPR" not in page


def test_unknown_campaign_is_404(client, city):
    sign_in(client, "inspektur@kota.example")
    assert client.get("/staff/?campaign=999").status_code == 404


def test_sign_out_needs_a_post_with_csrf(client, city):
    sign_in(client, "inspektur@kota.example")
    assert client.get("/staff/logout").status_code == 405
    page = client.get("/staff/").get_data(as_text=True)
    assert client.post("/staff/logout", data={}).status_code == 400
    response = client.post("/staff/logout", data={"csrf_token": _csrf(page)})
    assert response.status_code == 303
    assert client.get("/staff/").status_code == 302


def test_sign_in_is_recorded_in_the_audit_log(client, city, session):
    from sqlalchemy import select

    from survey.models import AuditEntry

    sign_in(client, "inspektur@kota.example")
    actions = session.scalars(select(AuditEntry.action)).all()
    assert "staff.login" in actions
