"""Campaigns: one survey round of an institution, with its open links and
the corrections recorded against units."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, JSONDocument, enum_column, utcnow
from .instrument import InstrumentVersion
from .organisation import Institution, Unit


class CampaignStatus(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class Campaign(Base):
    """A survey round for a period (usually a year), pinned to one
    instrument version, with the target index it is judged against."""

    __tablename__ = "campaign"
    __table_args__ = (
        CheckConstraint("target >= 0 AND target <= 100", name="target_range"),
        CheckConstraint("closes_on >= opens_on", name="dates_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("institution.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    period: Mapped[str] = mapped_column(String(40))
    target: Mapped[float] = mapped_column(Float, default=72.0)
    opens_on: Mapped[date]
    closes_on: Mapped[date]
    status: Mapped[CampaignStatus] = mapped_column(
        enum_column(CampaignStatus, "campaign_status"), default=CampaignStatus.DRAFT
    )
    instrument_version_id: Mapped[int] = mapped_column(
        ForeignKey("instrument_version.id"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The invitation and reminder texts, per language, and the language
    # messages go out in ({"language": "id", "id": {"invitation": ...}}); None
    # or a missing text: the default (survey/services/messages.py).
    messages: Mapped[dict | None] = mapped_column(JSONDocument)
    # Sample planning: the wanted margin of error (index points), the
    # expected standard deviation of respondent scores and the expected
    # response rate; None: the defaults of survey/services/monitoring.py.
    plan_margin: Mapped[float | None] = mapped_column(Float)
    plan_sd: Mapped[float | None] = mapped_column(Float)
    plan_response_rate: Mapped[float | None] = mapped_column(Float)
    # The seed of the random draw from the respondent list, once drawn: the
    # same list and seed give the same sample.
    sample_seed: Mapped[int | None]

    institution: Mapped[Institution] = relationship()
    instrument_version: Mapped[InstrumentVersion] = relationship()
    open_links: Mapped[list[OpenLink]] = relationship(
        back_populates="campaign", cascade="all, delete-orphan"
    )


class OpenLink(Base):
    """The public link (and QR code) of one unit in one campaign, for citizens
    who answer as the external group without an invitation."""

    __tablename__ = "open_link"
    __table_args__ = (UniqueConstraint("campaign_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(24), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    # Citizens may also sign up here (/d/<code>) as candidates for a
    # personal link (services/signups.py), as KPK's counter QR codes do.
    signup: Mapped[bool] = mapped_column(default=False)

    campaign: Mapped[Campaign] = relationship(back_populates="open_links")
    unit: Mapped[Unit] = relationship()


class Correction(Base):
    """Points subtracted from a unit's index in a campaign (a proven
    corruption case, steering of respondents), with the reason on record."""

    __tablename__ = "correction"
    __table_args__ = (CheckConstraint("points >= 0 AND points <= 100", name="points_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaign.id", ondelete="CASCADE"), index=True
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"))
    points: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    campaign: Mapped[Campaign] = relationship()
    unit: Mapped[Unit] = relationship()


class OpenLinkExclusion(Base):
    """One day of one office's open-link responses set aside from scoring
    by an inspector (a surge of answers from one source), with the reason
    on record. The responses stay stored; scoring skips them while this
    row exists (survey/services/scoring.py)."""

    __tablename__ = "open_link_exclusion"
    __table_args__ = (UniqueConstraint("campaign_id", "unit_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaign.id", ondelete="CASCADE"), index=True
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"))
    day: Mapped[date]
    reason: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    campaign: Mapped[Campaign] = relationship()
    unit: Mapped[Unit] = relationship()


class CandidateStatus(enum.StrEnum):
    WAITING = "waiting"  # signed up, not drawn yet: the number is kept
    INVITED = "invited"  # drawn: the number moved to an invitation
    NOT_DRAWN = "not_drawn"  # the draw is over: the number was deleted


class Candidate(Base):
    """A citizen who signed up at an office's counter (a QR code) to be
    invited to the survey with a personal link.

    One number, one candidate per campaign: ``phone_key`` is a keyed hash
    of the number (survey/services/signups.py), kept to refuse a second
    sign-up; the number itself is kept only while the candidate waits. A
    drawn candidate's number moves to the invitation made for it (which is
    where every phone number of the platform lives), and nothing here
    points to that invitation."""

    __tablename__ = "candidate"
    __table_args__ = (UniqueConstraint("campaign_id", "phone_key"),
                      CheckConstraint("status = 'waiting' OR phone IS NULL",
                                      name="phone_only_while_waiting"))

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaign.id", ondelete="CASCADE"), index=True
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"))
    phone_key: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(20))  # E.164, while waiting
    status: Mapped[CandidateStatus] = mapped_column(
        enum_column(CandidateStatus, "candidate_status"), default=CandidateStatus.WAITING
    )
    signed_up_on: Mapped[date]

    campaign: Mapped[Campaign] = relationship()
    unit: Mapped[Unit] = relationship()
