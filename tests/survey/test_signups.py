"""Counter sign-up (issue 8): citizens leave a WhatsApp number at an
office's QR code, the inspectorate draws and invites them with personal
links, and every phone ends with at most one response."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import func, select
from support import PASSWORD, Browser, csrf_of, sign_in

from survey.models import (
    AuditEntry,
    Candidate,
    CandidateStatus,
    Invitation,
    PendingResponse,
    Response,
)
from survey.services import signups, staff
from survey.services.tokens import LinkSeal

pytestmark = pytest.mark.security

SECRET = "test-secret-key-not-for-production"


@pytest.fixture
def counter(factory, session):
    campaign = factory.campaign()
    link = factory.open_link(campaign)
    link.signup = True
    session.commit()
    return link


def _sign_up(client, code, phone, consent="yes"):
    page = client.get(f"/d/{code}")
    return client.post(f"/d/{code}", data={"phone": phone, "consent": consent,
                                             "csrf_token": csrf_of(page.get_data(as_text=True))})


def test_sign_up_draw_and_invitation_end_with_one_response_per_phone(app, counter, session):
    app.config["ANONYMITY_BATCH"] = 1
    phones = ["0812-3456-7801", "+62 812 3456 7802", "081234567803"]
    for phone in phones:
        assert "Terima kasih, Anda sudah terdaftar" in _sign_up(
            app.test_client(), counter.code, phone).get_data(as_text=True)
    # The same number again, written another way, from another phone: one candidate.
    again = _sign_up(app.test_client(), counter.code, "+6281234567801")
    assert "Terima kasih, Anda sudah terdaftar" in again.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Candidate)) == 3

    staff.create_user(session, email="inspektur@kota.example", name="Silvi", role="inspector",
                      password=PASSWORD)
    inspector = session.scalar(select(staff.StaffUser))
    made = signups.draw(session, counter.campaign, counter.unit_id, 10, seal=LinkSeal(SECRET),
                        actor=inspector, rng=random.Random(1))
    assert len(made) == 3
    invited = {i.phone for i in session.scalars(select(Invitation))}
    assert invited == {"+6281234567801", "+6281234567802", "+6281234567803"}
    assert {i.respondent_group for i in session.scalars(select(Invitation))} == {"external"}
    # The numbers now live with the invitations only.
    assert all(c.phone is None and c.status == CandidateStatus.INVITED
               for c in session.scalars(select(Candidate)))
    # Signing up again after the draw makes no new candidate.
    _sign_up(app.test_client(), counter.code, "0812 3456 7802")
    assert session.scalar(select(func.count()).select_from(Candidate)) == 3
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "candidates.draw"))

    for _, token in made:
        browser = Browser(app.test_client(), f"/r/{token}")
        browser.start()
        browser.answer(1, {"EXT_A1": "3"})
        assert browser.answer(2, {"EXT_B1": "2"}, "submit").status_code == 303
        # A second answer with the same link is refused.
        again = Browser(app.test_client(), f"/r/{token}")
        assert again.get().status_code == 410
    stored = session.scalar(select(func.count()).select_from(Response)) + session.scalar(
        select(func.count()).select_from(PendingResponse))
    assert stored == len(phones)
    # No answer holds a phone number.
    assert not any("0812" in str(r.answers) or "+62" in str(r.answers)
                   for r in session.scalars(select(Response)))


def test_sign_up_needs_consent_and_a_mobile_number(client, counter, session):
    no_consent = _sign_up(client, counter.code, "081234567801", consent="")
    assert no_consent.status_code == 422 and 'id="error-consent"' in no_consent.get_data(True)
    landline = _sign_up(client, counter.code, "021 555 1234")
    assert landline.status_code == 422 and 'id="error-phone"' in landline.get_data(True)
    assert session.scalar(select(func.count()).select_from(Candidate)) == 0


def test_sign_up_is_offered_only_where_switched_on(client, factory, session):
    link = factory.open_link(factory.campaign())
    assert client.get(f"/d/{link.code}").status_code == 404


def test_closing_the_draw_deletes_waiting_numbers(app, counter, session):
    _sign_up(app.test_client(), counter.code, "081234567801")
    staff.create_user(session, email="inspektur@kota.example", name="Silvi", role="inspector",
                      password=PASSWORD)
    inspector = session.scalar(select(staff.StaffUser))
    assert signups.close_draw(session, counter.campaign, actor=inspector) == 1
    candidate = session.scalar(select(Candidate))
    assert candidate.phone is None and candidate.status == CandidateStatus.NOT_DRAWN


def test_inspector_offers_sign_up_and_draws_from_the_staff_page(client, factory, session):
    campaign = factory.campaign()
    link = factory.open_link(campaign)
    staff.create_user(session, email="inspektur@kota.example", name="Silvi", role="inspector",
                      password=PASSWORD)
    sign_in(client, "inspektur@kota.example")
    page = client.get(f"/staff/campaigns/{campaign.id}/candidates").get_data(as_text=True)
    client.post(f"/staff/campaigns/{campaign.id}/candidates/signup",
                data={"link": link.id, "enabled": "yes", "csrf_token": csrf_of(page)})
    session.refresh(link)
    assert link.signup
    _sign_up(client.application.test_client(), link.code, "081234567809")
    page = client.get(f"/staff/campaigns/{campaign.id}/candidates").get_data(as_text=True)
    response = client.post(f"/staff/campaigns/{campaign.id}/candidates/draw",
                           data={"link": link.id, "count": "1", "csrf_token": csrf_of(page)})
    assert response.status_code == 303
    assert session.scalar(select(Invitation)).phone == "+6281234567809"
