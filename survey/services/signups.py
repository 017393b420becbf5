"""Counter sign-up, as KPK's SPI does it: citizens scan an office's QR code
and leave a WhatsApp number to become candidates for that office's
service-user group; the inspectorate draws a sample of them and invites
each with a personal link (services/invitations.issue), answered once.

Where the number lives: while a candidate waits, on the candidate row; once
drawn, it moves to the invitation made for it (the one place the platform
keeps phone numbers, never beside an answer) and leaves the candidate row;
candidates not drawn when the draw is closed lose their number. A keyed
hash of the number stays, so that one number is one candidate per
campaign, without keeping the number.
"""

from __future__ import annotations

import hashlib
import hmac
import random
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from survey.models import Campaign, Candidate, CandidateStatus, OpenLink, StaffUser

from . import audit, invitations
from .respondents import normalise_phone
from .responding import OPEN_LINK_GROUP
from .tokens import LinkSeal


class SignupError(ValueError):
    """A sign-up or a draw that cannot be carried out; ``field`` names the
    form field (``phone``, ``consent``, ``count``)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def phone_key(secret: str, campaign_id: int, phone: str) -> str:
    """The keyed hash kept instead of the number once it is gone."""
    return hmac.new(secret.encode("utf-8"), f"candidate:{campaign_id}:{phone}".encode(),
                    hashlib.sha256).hexdigest()


def sign_up(session: Session, link: OpenLink, phone_text: str, *, consent: bool, secret: str,
            today: date) -> bool:
    """Register the number as a candidate of the link's office. Returns
    False when the number is already a candidate of this campaign (the
    page says the same either way, so nobody learns whether a number
    signed up). Commits.

    Raises
    ------
    SignupError
        ``phone`` (not a mobile number) or ``consent`` (not given).
    """
    try:
        phone = normalise_phone(phone_text or "")
    except ValueError as error:
        raise SignupError("phone", str(error)) from None
    if not consent:
        raise SignupError("consent", "consent is needed")
    candidate = Candidate(campaign_id=link.campaign_id, unit_id=link.unit_id,
                          phone_key=phone_key(secret, link.campaign_id, phone), phone=phone,
                          status=CandidateStatus.WAITING, signed_up_on=today)
    session.add(candidate)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    return True


def counts(session: Session, campaign: Campaign) -> dict[int, dict[str, int]]:
    """Unit id -> status -> candidates."""
    found: dict[int, dict[str, int]] = {}
    for unit_id, status, n in session.execute(
            select(Candidate.unit_id, Candidate.status, func.count())
            .where(Candidate.campaign_id == campaign.id)
            .group_by(Candidate.unit_id, Candidate.status)):
        found.setdefault(unit_id, {})[str(status)] = n
    return found


def set_signup(session: Session, link: OpenLink, enabled: bool, *, actor: StaffUser) -> None:
    """Offer (or stop offering) sign-up at this office's link. Commits."""
    link.signup = enabled
    audit.record(session, "candidates.signup_on" if enabled else "candidates.signup_off",
                 actor=actor, target=f"campaign {link.campaign_id} office {link.unit.code}",
                 institution_id=link.campaign.institution_id)
    session.commit()


def draw(session: Session, campaign: Campaign, unit_id: int, count: int, *, seal: LinkSeal,
         actor: StaffUser, rng: random.Random | None = None) -> list[tuple]:
    """Draw ``count`` waiting candidates of the office at random and invite
    each with a personal link of the service-user group; the number moves
    to the invitation. Returns [(invitation, token)]. Commits.

    Raises
    ------
    SignupError
        ``count``: not a positive number.
    """
    if count < 1:
        raise SignupError("count", "draw at least one candidate")
    waiting = list(session.scalars(
        select(Candidate).where(Candidate.campaign_id == campaign.id,
                                Candidate.unit_id == unit_id,
                                Candidate.status == CandidateStatus.WAITING)
        .order_by(Candidate.id).with_for_update()))
    chosen = (rng or random.SystemRandom()).sample(waiting, min(count, len(waiting)))
    made = invitations.issue(
        session, campaign, [invitations.Invitee(unit_id, OPEN_LINK_GROUP, phone=c.phone)
                            for c in chosen], seal=seal)
    for candidate in chosen:
        candidate.phone = None
        candidate.status = CandidateStatus.INVITED
    audit.record(session, "candidates.draw", actor=actor,
                 target=f"campaign {campaign.id} office {unit_id}",
                 detail={"drawn": len(chosen), "waiting_before": len(waiting)},
                 institution_id=campaign.institution_id)
    session.commit()
    return made


def close_draw(session: Session, campaign: Campaign, *, actor: StaffUser) -> int:
    """Forget the numbers of every candidate still waiting: the draw is
    over. Returns how many. Commits."""
    waiting = list(session.scalars(select(Candidate).where(
        Candidate.campaign_id == campaign.id, Candidate.status == CandidateStatus.WAITING)))
    for candidate in waiting:
        candidate.phone = None
        candidate.status = CandidateStatus.NOT_DRAWN
    audit.record(session, "candidates.close", actor=actor, target=f"campaign {campaign.id}",
                 detail={"forgotten": len(waiting)}, institution_id=campaign.institution_id)
    session.commit()
    return len(waiting)
