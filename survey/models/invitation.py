"""Personal invitations: the respondent list of a campaign, one invitation
per listed person (sent as a link), and the fate of each message sent."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, enum_column, utcnow
from .campaign import Campaign
from .organisation import Unit


class ListEntry(Base):
    """One person on a campaign's respondent list: an office, a respondent
    group, a phone number and/or an email address, and optionally a name
    (never needed by the platform).

    ``in_sample`` is False for people a random draw left out; they get no
    invitation. ``invitation_id`` is the person's current invitation (a
    revoked one is replaced by a new one).
    """

    __tablename__ = "list_entry"
    __table_args__ = (
        CheckConstraint("phone IS NOT NULL OR email IS NOT NULL", name="has_contact"),
        UniqueConstraint("campaign_id", "phone", name="uq_list_entry_campaign_phone"),
        UniqueConstraint("campaign_id", "email", name="uq_list_entry_campaign_email"),
        Index("ix_list_entry_campaign_unit", "campaign_id", "unit_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"))
    respondent_group: Mapped[str] = mapped_column(String(40))
    name: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(20))  # E.164
    email: Mapped[str | None] = mapped_column(String(254))
    in_sample: Mapped[bool] = mapped_column(default=True)
    invitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("invitation.id", ondelete="SET NULL"), index=True
    )

    campaign: Mapped[Campaign] = relationship()
    unit: Mapped[Unit] = relationship()
    invitation: Mapped[Invitation | None] = relationship()


class Invitation(Base):
    """A personal link for one person of a unit's respondent group.

    Anonymity by construction: the token is stored as its SHA-256 (to find
    the invitation from a link) and sealed with AES-GCM under a key derived
    from ``SECRET_KEY``, which the database never holds (so that staff
    allowed to can show a link again); the invitation keeps a ``used`` flag
    and no time of use; nothing here (no key, id or timestamp) is shared
    with the response it produced.
    """

    __tablename__ = "invitation"
    __table_args__ = (
        CheckConstraint("phone IS NOT NULL OR email IS NOT NULL", name="has_contact"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaign.id", ondelete="CASCADE"), index=True
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"), index=True)
    # A group key of the campaign's instrument (internal, external, expert).
    respondent_group: Mapped[str] = mapped_column(String(40))
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(254))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The token, AES-GCM under a key derived from SECRET_KEY
    # (survey/services/tokens.py); None for invitations whose link was
    # printed once and never kept.
    token_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    expires_on: Mapped[date]
    sent: Mapped[bool] = mapped_column(default=False)
    used: Mapped[bool] = mapped_column(default=False)
    # Replaced by a new invitation (a lost or forwarded link); its link no
    # longer opens the questionnaire. Only an unused invitation is revoked.
    revoked: Mapped[bool] = mapped_column(default=False)

    campaign: Mapped[Campaign] = relationship()
    unit: Mapped[Unit] = relationship()


class DeliveryChannel(enum.StrEnum):
    WHATSAPP_CLOUD = "whatsapp_cloud"  # WhatsApp Business Cloud API, a template message
    EMAIL = "email"  # SMTP
    WHATSAPP_LINK = "whatsapp_link"  # click-to-chat (wa.me) from a staff member's phone
    CSV = "csv"  # exported for a blast tool


class DeliveryKind(enum.StrEnum):
    INVITATION = "invitation"
    REMINDER = "reminder"


class DeliveryStatus(enum.StrEnum):
    QUEUED = "queued"  # waiting for its sending job
    SENDING = "sending"  # handed to the provider; the outcome is not yet recorded
    SENT = "sent"  # the provider accepted it
    FAILED = "failed"  # the provider refused it; ``error`` says why
    UNKNOWN = "unknown"  # a crash left its fate unknown: shown to staff, never resent blindly


class Delivery(Base):
    """The fate of one message (an invitation or a reminder) to one
    invitation's contact, through one channel.

    It is about invitations only: responses have no link to invitations, so
    nothing here can be joined to a response. It never holds the message
    text (which carries the link).
    """

    __tablename__ = "delivery"
    __table_args__ = (Index("ix_delivery_job_status", "job_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(
        ForeignKey("invitation.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[DeliveryChannel] = mapped_column(
        enum_column(DeliveryChannel, "delivery_channel")
    )
    kind: Mapped[DeliveryKind] = mapped_column(enum_column(DeliveryKind, "delivery_kind"))
    status: Mapped[DeliveryStatus] = mapped_column(
        enum_column(DeliveryStatus, "delivery_status"), default=DeliveryStatus.QUEUED
    )
    attempts: Mapped[int] = mapped_column(default=0)
    # The provider's id of the message (WhatsApp's wamid, the SMTP Message-ID).
    provider_id: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(Text)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("job.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    invitation: Mapped[Invitation] = relationship()
