"""Personal invitations: the one place where they are made, their links,
the message each one gets, revoking and reissuing.

:func:`issue` is the only door through which an invitation comes to exist:
staff pages, the command line, the demo seeding, the benchmarks and the
test factories all call it. Each invitation gets a fresh 192-bit token; the
database keeps its SHA-256 (to find the invitation from the link) and the
token sealed under a key derived from ``SECRET_KEY`` (so that staff with
the right can show the link again; see docs/threat-model.md).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.models import Campaign, Invitation, ListEntry, StaffUser, Unit
from survey.questionnaire import build_pages

from . import audit, done, messages
from .tokens import LinkSeal, new_token, token_hash

#: Typical reading-and-tapping time per question on a phone, for "about N minutes".
SECONDS_PER_QUESTION = 18


class InvitationError(ValueError):
    """An invitation request that cannot be carried out (one-line message)."""


@dataclass(frozen=True)
class Outreach:
    """What turns an invitation into a message: the platform's official
    address, the key that opens sealed tokens, and who sends."""

    base_url: str
    seal: LinkSeal
    sender: messages.Sender

    @classmethod
    def from_config(cls, config: Mapping[str, Any], *, request_base: str | None = None
                    ) -> Outreach:
        """From the settings; ``request_base`` (the address of the request)
        stands in for an empty ``PUBLIC_BASE_URL``.

        Raises
        ------
        InvitationError
            When neither gives an address (links need one).
        """
        base = (config["PUBLIC_BASE_URL"] or request_base or "").rstrip("/")
        if not base:
            raise InvitationError(_l("links need the platform's official address: "
                                  "set PUBLIC_BASE_URL, e.g. https://spi.example.go.id"))
        return cls(base, LinkSeal(config["SECRET_KEY"]),
                   messages.Sender(config["INSPECTORATE_NAME"], config["INSPECTORATE_CONTACT"],
                                   f"{base}/cek"))

    def link(self, token: str) -> str:
        return f"{self.base_url}/r/{token}"


@dataclass(frozen=True)
class Invitee:
    """Someone to invite: an office, a respondent group, a contact.
    ``used`` and ``sent`` exist for seeding past campaigns (the demo)."""

    unit_id: int
    group: str
    phone: str | None = None
    email: str | None = None
    entry: ListEntry | None = None
    used: bool = False
    sent: bool = False


def issue(session: Session, campaign: Campaign, invitees: Iterable[Invitee], *,
          seal: LinkSeal | None, expires_on: date | None = None) -> list[tuple[Invitation, str]]:
    """Create one invitation per invitee; returns each with its token (to
    print or send now). Flushes; the caller's use case commits.

    Without ``seal`` the token is not kept: it can be shown only now.

    Raises
    ------
    InvitationError
        An unknown respondent group, an office of another institution, or
        an invitee without a phone number or email address.
    """
    groups = campaign.instrument_version.instrument.groups
    units = set(session.scalars(select(Unit.id).where(
        Unit.institution_id == campaign.institution_id)))
    made = []
    for invitee in invitees:
        if invitee.group not in groups:
            raise InvitationError(_l("%(group)s is not a respondent group of this campaign's "
                                     "instrument (%(groups)s)", group=invitee.group,
                                     groups=", ".join(groups)))
        if invitee.unit_id not in units:
            raise InvitationError(_l("the office does not belong to the campaign's institution"))
        if not invitee.phone and not invitee.email:
            raise InvitationError(_l("an invitation needs a phone number or an email address"))
        token = new_token()
        digest = token_hash(token)
        invitation = Invitation(
            campaign_id=campaign.id, unit_id=invitee.unit_id,
            respondent_group=invitee.group, phone=invitee.phone, email=invitee.email,
            token_hash=digest, token_sealed=seal.seal(token, digest) if seal else None,
            expires_on=expires_on or campaign.closes_on, sent=invitee.sent, used=invitee.used,
            revoked=False)
        session.add(invitation)
        if invitee.entry is not None:
            invitee.entry.invitation = invitation
        made.append((invitation, token))
    session.flush()
    return made


def invite_listed(session: Session, campaign: Campaign, *, seal: LinkSeal,
                  actor: StaffUser | None = None, commit: bool = True) -> int:
    """Invite everyone on the list (in the sample, if one was drawn) who has
    no invitation yet. Returns how many were invited."""
    if campaign.status == "closed":
        raise InvitationError(_l("the campaign is closed"))
    entries = list(session.scalars(
        select(ListEntry).where(ListEntry.campaign_id == campaign.id,
                                ListEntry.in_sample.is_(True),
                                ListEntry.invitation_id.is_(None))
        .order_by(ListEntry.id)))
    issue(session, campaign, (Invitee(e.unit_id, e.respondent_group, e.phone, e.email, e)
                              for e in entries), seal=seal)
    if entries:
        audit.record(session, "invitations.create", actor=actor,
                     target=f"campaign {campaign.id}", detail={"count": len(entries)},
                     institution_id=campaign.institution_id)
    done(session, commit)
    return len(entries)


def link_of(invitation: Invitation, outreach: Outreach) -> str | None:
    """The invitation's link, or None when its token was not kept (or
    ``SECRET_KEY`` changed since)."""
    token = outreach.seal.open(invitation.token_sealed, invitation.token_hash)
    return outreach.link(token) if token else None


def show_link(session: Session, invitation: Invitation, outreach: Outreach, *,
              actor: StaffUser | None, commit: bool = True) -> str:
    """The link again (for a lost message or a reminder by hand), written to
    the audit log.

    Raises
    ------
    InvitationError
        When the invitation was revoked or its token was not kept.
    """
    if invitation.revoked:
        raise InvitationError(_l("this invitation was replaced by a new one; show that one"))
    link = link_of(invitation, outreach)
    if link is None:
        raise InvitationError(_l("this invitation's link was not kept (or SECRET_KEY changed); "
                              "revoke it and issue a new one"))
    audit.record(session, "invitation.show_link", actor=actor,
                 target=f"invitation {invitation.id}",
                 institution_id=invitation.campaign.institution_id)
    done(session, commit)
    return link


def reissue(session: Session, invitation: Invitation, *, seal: LinkSeal,
            actor: StaffUser | None, commit: bool = True) -> tuple[Invitation, str]:
    """Revoke an unused invitation and issue a new one to the same person:
    the old link stops working at once.

    Raises
    ------
    InvitationError
        When the invitation was used or revoked, or the campaign is closed.
    """
    if invitation.used:
        raise InvitationError(_l("this invitation was used; it cannot be replaced"))
    if invitation.revoked:
        raise InvitationError(_l("this invitation was already replaced"))
    campaign = invitation.campaign
    if campaign.status == "closed":
        raise InvitationError(_l("the campaign is closed"))
    invitation.revoked = True
    entry = session.scalar(select(ListEntry).where(ListEntry.invitation_id == invitation.id))
    (new, token), = issue(session, campaign, [Invitee(
        invitation.unit_id, invitation.respondent_group, invitation.phone, invitation.email,
        entry)], seal=seal, expires_on=invitation.expires_on)
    audit.record(session, "invitation.reissue", actor=actor,
                 target=f"invitation {invitation.id}", detail={"new": new.id},
                 institution_id=campaign.institution_id)
    done(session, commit)
    return new, token


def estimated_minutes(campaign: Campaign, group: str) -> int:
    """About how long answering takes for ``group``, in whole minutes."""
    instrument = campaign.instrument_version.instrument
    if group not in instrument.groups:
        return 10
    questions = sum(len(p.questions) for p in build_pages(instrument, group))
    return max(3, math.ceil(questions * SECONDS_PER_QUESTION / 60))


@dataclass(frozen=True)
class Composed:
    """One message ready to go out: its text, an email subject, the link,
    and the values a WhatsApp template message takes."""

    text: str
    subject: str
    link: str
    office: str
    closing_date: str
    check_page: str


def compose(invitation: Invitation, kind: str, outreach: Outreach, *,
            token: str | None = None) -> Composed:
    """The message of ``kind`` (invitation or reminder) for ``invitation``,
    in the campaign's language and with its texts.

    Raises
    ------
    InvitationError
        When the token is neither given nor kept.
    """
    link = outreach.link(token) if token else link_of(invitation, outreach)
    if link is None:
        raise InvitationError(_l("invitation %(id)s: its link was not kept",
                                 id=invitation.id))
    campaign = invitation.campaign
    language = messages.language_of(campaign)
    values = dict(campaign=campaign, office=invitation.unit.name, link=link,
                  minutes=estimated_minutes(campaign, invitation.respondent_group),
                  sender=outreach.sender, language=language)
    return Composed(
        text=messages.fill(messages.text_of(campaign, kind, language), **values),
        subject=messages.fill(messages.text_of(campaign, "subject", language), **values),
        link=link, office=invitation.unit.name,
        closing_date=messages.format_closing_date(campaign.closes_on, language),
        check_page=outreach.sender.check_page)


def pending(session: Session, campaign: Campaign, *, unit_id: int | None = None,
            reminders: bool | None = None) -> list[Invitation]:
    """Invitations that may still be answered (not used, not revoked), by
    office and id; ``reminders`` True: only those already sent, False: only
    those not yet sent."""
    query = (select(Invitation).where(Invitation.campaign_id == campaign.id,
                                      Invitation.used.is_(False),
                                      Invitation.revoked.is_(False))
             .order_by(Invitation.unit_id, Invitation.id))
    if unit_id is not None:
        query = query.where(Invitation.unit_id == unit_id)
    if reminders is not None:
        query = query.where(Invitation.sent.is_(reminders))
    return list(session.scalars(query))


@dataclass(frozen=True)
class InvitationRow:
    """An invitation as the staff list shows it: where it stands and the
    fate of its latest message."""

    invitation: Invitation
    state: str  # answered, replaced, not_sent, sent, failed, unknown, queued
    last_error: str | None


def listing(session: Session, campaign: Campaign, *, unit_id: int | None = None,
            state: str | None = None, limit: int = 500) -> list[InvitationRow]:
    """The campaign's invitations (of one office, or all), with their state;
    ``state`` keeps only those in it. At most ``limit`` rows."""
    from survey.models import Delivery, DeliveryStatus

    query = (select(Invitation).where(Invitation.campaign_id == campaign.id)
             .order_by(Invitation.unit_id, Invitation.id))
    if unit_id is not None:
        query = query.where(Invitation.unit_id == unit_id)
    found = list(session.scalars(query))
    latest: dict[int, Delivery] = {}
    ids = [i.id for i in found]
    for start in range(0, len(ids), 500):
        for delivery in session.scalars(select(Delivery).where(
                Delivery.invitation_id.in_(ids[start:start + 500])).order_by(Delivery.id)):
            latest[delivery.invitation_id] = delivery
    rows = []
    for invitation in found:
        delivery = latest.get(invitation.id)
        if invitation.used:
            current = "answered"
        elif invitation.revoked:
            current = "replaced"
        elif delivery is not None and delivery.status in (DeliveryStatus.QUEUED,
                                                          DeliveryStatus.SENDING):
            current = "queued"
        elif delivery is not None and delivery.status in (DeliveryStatus.FAILED,
                                                          DeliveryStatus.UNKNOWN) \
                and not invitation.sent:
            current = delivery.status.value
        else:
            current = "sent" if invitation.sent else "not_sent"
        if state and current != state:
            continue
        rows.append(InvitationRow(invitation, current,
                                  delivery.error if delivery is not None and current in
                                  ("failed", "unknown") else None))
        if len(rows) >= limit:
            break
    return rows
