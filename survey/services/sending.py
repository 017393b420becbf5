"""Sending invitations and reminders, and recording each message's fate.

Asking to send (:func:`request`) writes one :class:`Delivery` per message,
queued, and a background job (:mod:`survey.services.jobs`) in the same
transaction. The job (:func:`send_job`) takes the queued messages one by
one: it records the message as *sending* and commits **before** handing it
to the provider, then records *sent* or *failed*. A job that a crash or a
restart interrupted runs again (its lease runs out); it finds the message
that was in flight still *sending*, and records its fate as *unknown*
instead of sending it again. Staff see those and may send them again
deliberately (:func:`request` with ``invitation_ids``). So no message is
ever sent twice by the platform's own doing.

Reminders go to invitations that were sent and are not used; the platform
knows only whether an invitation was used, never when or with which
answers. Click-to-chat (:func:`record_manual`) and the CSV export
(:func:`export_csv`) are recorded as sent when staff use them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from survey import clock
from survey.models import (
    Campaign,
    CampaignStatus,
    Delivery,
    DeliveryChannel,
    DeliveryKind,
    DeliveryStatus,
    Invitation,
    Job,
    StaffUser,
)

from . import audit, done, jobs
from .invitations import InvitationError, Outreach, compose, pending
from .senders import Message, SendError, sender_for
from .senders import csv_export as csv_sender
from .senders.whatsapp_link import whatsapp_url

JOB_KIND = "invitations.send"
ACTIVE = (DeliveryStatus.QUEUED, DeliveryStatus.SENDING)


class SendingError(ValueError):
    """A sending request that cannot be carried out (one-line message)."""


def _contact_for(channel: DeliveryChannel):
    return Invitation.email if channel == DeliveryChannel.EMAIL else Invitation.phone


def candidates(session: Session, campaign: Campaign, channel: DeliveryChannel,
               kind: DeliveryKind, *, invitation_ids: Iterable[int] | None = None,
               unit_id: int | None = None) -> list[Invitation]:
    """Invitations a request would send to: unused, not revoked, with the
    contact the channel needs, no message of the kind already waiting;
    invitations are those not yet sent, reminders those already sent (or
    exactly ``invitation_ids``, for sending again deliberately)."""
    if invitation_ids is not None:
        wanted = set(invitation_ids)
        found = [i for i in pending(session, campaign, unit_id=unit_id) if i.id in wanted]
    else:
        found = pending(session, campaign, unit_id=unit_id,
                        reminders=kind == DeliveryKind.REMINDER)
    waiting = set(session.scalars(
        select(Delivery.invitation_id).join(Invitation)
        .where(Invitation.campaign_id == campaign.id, Delivery.kind == kind,
               Delivery.status.in_(ACTIVE))))
    contact = _contact_for(channel).key
    return [i for i in found if getattr(i, contact) and i.id not in waiting]


def request(session: Session, campaign: Campaign, channel: DeliveryChannel | str,
            kind: DeliveryKind | str, *, actor: StaffUser | None = None,
            base_url: str | None = None, invitation_ids: Iterable[int] | None = None,
            unit_id: int | None = None, commit: bool = True) -> Job | None:
    """Queue the messages and the job that sends them; None when there is
    nobody to send to. ``base_url`` is the address links use when
    ``PUBLIC_BASE_URL`` is empty (the staff member's request).

    Raises
    ------
    SendingError
        When the campaign is not open, or the channel is not a background one.
    """
    channel, kind = DeliveryChannel(channel), DeliveryKind(kind)
    if channel not in (DeliveryChannel.EMAIL, DeliveryChannel.WHATSAPP_CLOUD):
        raise SendingError(_l("%(channel)s messages are not sent in the background",
                              channel=channel.value))
    if campaign.status != CampaignStatus.OPEN:
        raise SendingError(_l("messages go out only while the campaign is open"))
    chosen = candidates(session, campaign, channel, kind, invitation_ids=invitation_ids,
                        unit_id=unit_id)
    if not chosen:
        return None
    job = jobs.enqueue(session, JOB_KIND, {"campaign_id": campaign.id,
                                           "channel": channel.value,
                                           "base_url": base_url or ""}, max_attempts=5)
    now = clock.now()
    session.add_all(Delivery(invitation_id=i.id, channel=channel, kind=kind,
                             status=DeliveryStatus.QUEUED, attempts=0, job_id=job.id,
                             created_at=now, updated_at=now) for i in chosen)
    session.flush()
    audit.record(session, f"invitations.{'remind' if kind == DeliveryKind.REMINDER else 'send'}",
                 actor=actor, target=f"campaign {campaign.id}",
                 detail={"channel": channel.value, "messages": len(chosen), "job": job.id,
                         "again": invitation_ids is not None},
                 institution_id=campaign.institution_id)
    done(session, commit)
    return job


def _message(invitation: Invitation, kind: DeliveryKind, outreach: Outreach) -> Message:
    composed = compose(invitation, kind.value, outreach)
    return Message(phone=invitation.phone, email=invitation.email, text=composed.text,
                   subject=composed.subject, link=composed.link, office=composed.office,
                   campaign=invitation.campaign.name, closing_date=composed.closing_date,
                   check_page=composed.check_page)


@jobs.handler(JOB_KIND)
def send_job(session: Session, payload: dict, context: jobs.JobContext) -> dict:
    """Send the job's queued messages, recording each one's fate before and
    after it goes out (see the module docstring)."""
    job_id = context.job_id
    outreach = Outreach.from_config(context.config, request_base=payload.get("base_url"))
    sender = sender_for(payload["channel"], context.config)
    # A message this job had in flight when it stopped: its fate is unknown.
    session.execute(update(Delivery).where(Delivery.job_id == job_id,
                                           Delivery.status == DeliveryStatus.SENDING)
                    .values(status=DeliveryStatus.UNKNOWN, updated_at=clock.now(),
                            error="the sender stopped while this message was going out; "
                                  "it may or may not have arrived"))
    session.commit()
    queued = list(session.scalars(select(Delivery.id).where(
        Delivery.job_id == job_id, Delivery.status == DeliveryStatus.QUEUED)
        .order_by(Delivery.id)))
    try:
        for number, delivery_id in enumerate(queued, start=1):
            _send_one(session, session.get(Delivery, delivery_id), sender, outreach)
            if number % 10 == 0 or number == len(queued):
                counts = job_counts(session, job_id)
                session.commit()   # end this read before another session writes (SQLite)
                context.report(counts)
    finally:
        close = getattr(sender, "close", None)
        if close is not None:
            close()
    return job_counts(session, job_id)


def _send_one(session: Session, delivery: Delivery, sender, outreach: Outreach) -> None:
    invitation = delivery.invitation
    now = clock.now()
    if invitation.used or invitation.revoked:
        delivery.status, delivery.updated_at = DeliveryStatus.FAILED, now
        delivery.error = "not sent: the invitation was answered or replaced meanwhile"
        session.commit()
        return
    try:
        message = _message(invitation, DeliveryKind(delivery.kind), outreach)
    except InvitationError as exc:
        delivery.status, delivery.error, delivery.updated_at = DeliveryStatus.FAILED, str(exc), now
        session.commit()
        return
    delivery.status, delivery.updated_at = DeliveryStatus.SENDING, now
    delivery.attempts += 1
    session.commit()   # before the network: a crash from here on leaves "sending"
    try:
        provider_id = sender.send(message)
    except SendError as exc:
        delivery.status, delivery.error = DeliveryStatus.FAILED, exc.reason
        if not exc.permanent:
            delivery.error = f"temporary: {exc.reason}"
    else:
        delivery.status, delivery.provider_id, delivery.error = \
            DeliveryStatus.SENT, provider_id, None
        invitation.sent = True
    delivery.updated_at = clock.now()
    session.commit()


def job_counts(session: Session, job_id: int) -> dict[str, int]:
    """How many of a job's messages are in each state, and the total."""
    counts = Counter({status.value: 0 for status in DeliveryStatus})
    for status, count in session.execute(
            select(Delivery.status, func.count()).where(Delivery.job_id == job_id)
            .group_by(Delivery.status)):
        counts[DeliveryStatus(status).value] = count
    return {**counts, "total": sum(counts.values())}


@dataclass(frozen=True)
class JobView:
    """A sending job as staff pages show it."""

    job: Job
    channel: str
    kind: str
    counts: dict[str, int]

    @property
    def finished(self) -> bool:
        return self.counts["queued"] == 0 and self.counts["sending"] == 0


def campaign_jobs(session: Session, campaign: Campaign, *, limit: int = 10) -> list[JobView]:
    """The campaign's latest sending jobs, newest first, with live counts."""
    rows = session.execute(
        select(Delivery.job_id, Delivery.channel, Delivery.kind).join(Invitation)
        .where(Invitation.campaign_id == campaign.id, Delivery.job_id.is_not(None))
        .group_by(Delivery.job_id, Delivery.channel, Delivery.kind)
        .order_by(Delivery.job_id.desc()).limit(limit)).all()
    return [JobView(session.get(Job, job_id), DeliveryChannel(channel).value,
                    DeliveryKind(kind).value, job_counts(session, job_id))
            for job_id, channel, kind in rows]


def troubled(session: Session, campaign: Campaign) -> list[Delivery]:
    """Messages that failed or whose fate is unknown, for invitations still
    not sent and not used: what staff should look at."""
    return list(session.scalars(
        select(Delivery).join(Invitation)
        .where(Invitation.campaign_id == campaign.id, Invitation.sent.is_(False),
               Invitation.used.is_(False), Invitation.revoked.is_(False),
               Delivery.status.in_((DeliveryStatus.FAILED, DeliveryStatus.UNKNOWN)))
        .order_by(Delivery.id.desc())))


def deliveries_of(session: Session, invitation: Invitation) -> list[Delivery]:
    return list(session.scalars(select(Delivery).where(Delivery.invitation_id == invitation.id)
                                .order_by(Delivery.id)))


# -- by hand: click-to-chat and CSV -------------------------------------------


def click_to_chat(invitation: Invitation, outreach: Outreach) -> str:
    """The wa.me link that opens WhatsApp with the invitation (or, once sent,
    the reminder) ready to send."""
    kind = "reminder" if invitation.sent else "invitation"
    return whatsapp_url(invitation.phone or "", compose(invitation, kind, outreach).text)


def record_manual(session: Session, invitation: Invitation, channel: DeliveryChannel, *,
                  actor: StaffUser | None = None, commit: bool = True) -> Delivery:
    """Record a message a staff member sent by hand (click-to-chat) as sent."""
    if invitation.used or invitation.revoked:
        raise SendingError(_l("this invitation was answered or replaced"))
    if invitation.campaign.status != CampaignStatus.OPEN:
        raise SendingError(_l("messages go out only while the campaign is open"))
    now = clock.now()
    kind = DeliveryKind.REMINDER if invitation.sent else DeliveryKind.INVITATION
    delivery = Delivery(invitation_id=invitation.id, channel=channel, kind=kind,
                        status=DeliveryStatus.SENT, attempts=1, created_at=now, updated_at=now)
    session.add(delivery)
    invitation.sent = True
    session.flush()
    audit.record(session, f"invitation.{kind.value}_by_hand", actor=actor,
                 target=f"invitation {invitation.id}", detail={"channel": channel.value},
                 institution_id=invitation.campaign.institution_id)
    done(session, commit)
    return delivery


def export_csv(session: Session, campaign: Campaign, outreach: Outreach, *,
               unit_id: int | None = None, actor: StaffUser | None = None,
               commit: bool = True) -> tuple[str, int]:
    """The CSV of the invitations that may still be answered (of one office,
    or all), each with the invitation text or, once sent, the reminder; they
    are recorded as handed to a blast tool (sent). Returns the text and the
    number of rows.

    Raises
    ------
    SendingError
        When the campaign is not open.
    """
    if campaign.status != CampaignStatus.OPEN:
        raise SendingError(_l("links are exported only while the campaign is open"))
    rows, now = [], clock.now()
    for invitation in pending(session, campaign, unit_id=unit_id):
        kind = DeliveryKind.REMINDER if invitation.sent else DeliveryKind.INVITATION
        try:
            composed = compose(invitation, kind.value, outreach)
        except InvitationError:
            continue   # its link was not kept: shown on the invitations page
        rows.append({"unit": invitation.unit.code, "group": invitation.respondent_group,
                     "phone": invitation.phone, "email": invitation.email,
                     "link": composed.link,
                     "whatsapp_url": whatsapp_url(invitation.phone, composed.text)
                     if invitation.phone else "",
                     "message": composed.text})
        session.add(Delivery(invitation_id=invitation.id, channel=DeliveryChannel.CSV,
                             kind=kind, status=DeliveryStatus.SENT, attempts=1,
                             created_at=now, updated_at=now))
        invitation.sent = True
    session.flush()
    audit.record(session, "invitations.export", actor=actor, target=f"campaign {campaign.id}",
                 detail={"rows": len(rows), "unit_id": unit_id},
                 institution_id=campaign.institution_id)
    done(session, commit)
    return csv_sender.write(rows), len(rows)
