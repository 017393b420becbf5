"""Campaign rules and personal links: what users expect, and who can read
what (docs/threat-model.md, "Invitation links")."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from survey.models import AuditEntry, CampaignStatus, Invitation, Response
from survey.services import campaigns, invitations, responding, staff
from survey.services.responding import Progress
from survey.services.tokens import LinkSeal, token_hash


@pytest.fixture
def admin(session):
    return staff.create_user(session, email="admin@kota.example", name="Admin", role="admin",
                             password="correct horse battery")


def test_a_campaign_cannot_open_without_invitations_or_open_links(session, factory, today,
                                                                   admin):
    draft = factory.campaign(status=CampaignStatus.DRAFT)
    with pytest.raises(campaigns.CampaignError, match="nobody can answer"):
        campaigns.open_campaign(session, draft, today=today, actor=admin)
    campaigns.ensure_open_links(session, draft, actor=admin)
    campaigns.open_campaign(session, draft, today=today, actor=admin)
    assert draft.status == CampaignStatus.OPEN
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "campaign.open"))
    assert entry.actor_id == admin.id and entry.target == f"campaign {draft.id}"
    assert entry.at is not None


def test_only_a_draft_is_edited_freely(session, factory, admin):
    office = factory.unit()
    draft = factory.campaign(status=CampaignStatus.DRAFT, unit=office)
    campaigns.update(session, draft, actor=admin, target=75.0, period="2027")
    assert (draft.target, draft.period) == (75.0, "2027")
    opened = factory.campaign(name="Terbuka", unit=office)
    with pytest.raises(campaigns.CampaignError, match="only be renamed"):
        campaigns.update(session, opened, actor=admin, target=60.0)
    later = opened.closes_on + timedelta(days=7)
    campaigns.update(session, opened, actor=admin, closes_on=later)
    assert opened.closes_on == later
    closed = factory.campaign(status=CampaignStatus.CLOSED, name="Tutup", unit=office)
    with pytest.raises(campaigns.CampaignError, match="closed campaign"):
        campaigns.update(session, closed, actor=admin, name="Lain")
    changes = session.scalars(select(AuditEntry.detail).where(
        AuditEntry.action == "campaign.update")).all()
    assert {"target": "75.0", "period": "2027"} in changes


def test_the_pinned_instrument_cannot_change_once_a_response_exists(session, factory, today,
                                                                     admin, small_instrument_text,
                                                                     app):
    office = factory.unit()
    draft = factory.campaign(status=CampaignStatus.DRAFT, unit=office)
    other = factory.version(small_instrument_text.replace('version: "1"', 'version: "2"'))
    campaigns.update(session, draft, actor=admin, version=other)   # no response yet: fine
    assert draft.instrument_version_id == other.id
    opened = factory.campaign(version=other, name="Terbuka", unit=office)
    _, token = factory.invitation(opened)
    link = responding.resolve_invitation(session, token, today=today)
    progress = Progress({"INT_A1": "3"}, {1, 2, 3, 4}, started=None)
    responding.save_progress(session, link, token, progress, today=today, keep_days=30)
    responding.submit(session, link, token, progress, today=today, batch=5,
                      secret_key=app.config["SECRET_KEY"])
    opened.status = CampaignStatus.DRAFT   # even were it a draft again
    session.commit()
    with pytest.raises(campaigns.CampaignError, match="responses exist"):
        campaigns.update(session, opened, actor=admin, version=factory.version())


def test_closing_stores_the_held_back_responses(session, factory, today, admin, app):
    opened = factory.campaign()
    for _ in range(2):
        _, token = factory.invitation(opened)
        link = responding.resolve_invitation(session, token, today=today)
        progress = Progress({"INT_A1": "3"}, {1, 2, 3, 4}, started=None)
        responding.save_progress(session, link, token, progress, today=today, keep_days=30)
        responding.submit(session, link, token, progress, today=today, batch=5,
                          secret_key=app.config["SECRET_KEY"])
    assert session.scalar(select(func.count()).select_from(Response)) == 0
    with app.app_context():   # opened with the application's SECRET_KEY
        assert campaigns.close_campaign(session, opened, actor=admin) == 2
    assert session.scalar(select(func.count()).select_from(Response)) == 2
    assert opened.status == CampaignStatus.CLOSED


def test_tokens_are_random_and_stored_only_hashed_and_sealed(session, factory):
    campaign = factory.campaign()
    invitation, token = factory.invitation(campaign)
    assert len(base64.urlsafe_b64decode(token + "==")) * 8 >= 128
    assert invitation.token_hash == token_hash(token)
    stored = session.execute(select(Invitation.token_hash, Invitation.token_sealed)).one()
    assert token not in stored.token_hash and token.encode() not in stored.token_sealed
    # Someone with the database but not SECRET_KEY cannot open it ...
    assert LinkSeal("another-secret-key").open(stored.token_sealed, stored.token_hash) is None
    # ... nor move a sealed token to another invitation.
    other, _ = factory.invitation(campaign)
    assert factory.seal.open(stored.token_sealed, other.token_hash) is None
    assert factory.seal.open(stored.token_sealed, stored.token_hash) == token


def test_showing_a_link_again_is_audited_and_a_reissue_revokes_the_old_one(
        app, session, factory, admin, today):
    app.config["PUBLIC_BASE_URL"] = "https://spi.example.go.id"
    campaign = factory.campaign()
    invitation, token = factory.invitation(campaign)
    outreach = invitations.Outreach.from_config(app.config)
    assert invitations.show_link(session, invitation, outreach, actor=admin) == \
        f"https://spi.example.go.id/r/{token}"
    assert session.scalar(select(AuditEntry.actor_id).where(
        AuditEntry.action == "invitation.show_link")) == admin.id
    new, new_token = invitations.reissue(session, invitation, seal=outreach.seal, actor=admin)
    assert invitation.revoked and not new.revoked and new_token != token
    assert (new.phone, new.unit_id, new.respondent_group) == (
        invitation.phone, invitation.unit_id, invitation.respondent_group)
    with pytest.raises(responding.LinkProblem) as problem:
        responding.resolve_invitation(session, token, today=today)
    assert problem.value.reason == "replaced"
    assert responding.resolve_invitation(session, new_token, today=today).unit.id == new.unit_id
    with pytest.raises(invitations.InvitationError, match="already replaced"):
        invitations.reissue(session, invitation, seal=outreach.seal, actor=admin)
    used, _ = factory.invitation(campaign, used=True)
    with pytest.raises(invitations.InvitationError, match="was used"):
        invitations.reissue(session, used, seal=outreach.seal, actor=admin)


def test_the_staff_pages_show_a_link_again_only_to_those_allowed(app, client, session,
                                                                  factory, admin):
    from support import PASSWORD, csrf_of, sign_in

    app.config["PUBLIC_BASE_URL"] = "https://spi.example.go.id"
    campaign = factory.campaign()
    invitation, token = factory.invitation(campaign)
    staff.create_user(session, email="inspektur@kota.example", name="Insp", role="inspector",
                      password=PASSWORD, institution_code="TEST")
    sign_in(client, "admin@kota.example")
    page = client.get(f"/staff/campaigns/{campaign.id}/invitations").get_data(as_text=True)
    assert token not in page
    shown = client.post(f"/staff/invitations/{invitation.id}/link",
                        data={"csrf_token": csrf_of(page)}).get_data(as_text=True)
    assert f"https://spi.example.go.id/r/{token}" in shown
    inspector = app.test_client()
    sign_in(inspector, "inspektur@kota.example")
    page = inspector.get(f"/staff/campaigns/{campaign.id}").get_data(as_text=True)
    assert inspector.post(f"/staff/invitations/{invitation.id}/link",
                          data={"csrf_token": csrf_of(page)}).status_code == 403
