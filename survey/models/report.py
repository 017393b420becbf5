"""Citizen reports of bribes, illegal levies (pungli), brokers (calo) and
other abuses at an office, with the inspectorate's triage steps.

Reports are kept apart from survey responses: no table here is read by the
scoring, and nothing links a report to a response or an invitation.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, enum_column, utcnow
from .campaign import Campaign
from .organisation import Unit
from .staff import StaffUser


class ReportCategory(enum.StrEnum):
    BRIBE = "bribe"  # suap
    ILLEGAL_LEVY = "levy"  # pungutan liar (pungli)
    BROKER = "broker"  # calo
    GRATUITY = "gratuity"  # gratifikasi
    ABUSE = "abuse"  # penyalahgunaan wewenang
    SLOW_SERVICE = "service"  # layanan lambat atau ditolak
    OTHER = "other"


class ReportStatus(enum.StrEnum):
    RECEIVED = "received"
    IN_REVIEW = "in_review"
    FORWARDED = "forwarded"  # to another body (forwarded_to says which)
    VERIFIED = "verified"  # the inspectorate found it substantiated
    CLOSED = "closed"


class CitizenReport(Base):
    """An anonymous report about one unit.

    The reporter keeps a tracking code, stored here only as its SHA-256, with
    which they can later see the status. Contact details exist only when the
    reporter chose to be contacted.
    """

    __tablename__ = "citizen_report"
    __table_args__ = (
        CheckConstraint(
            "amount_requested IS NULL OR amount_requested >= 0", name="amount_non_negative"
        ),
        CheckConstraint("wants_contact OR contact IS NULL", name="contact_only_if_wanted"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tracking_hash: Mapped[str] = mapped_column(String(64), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaign.id", ondelete="SET NULL"))
    category: Mapped[ReportCategory] = mapped_column(enum_column(ReportCategory, "report_category"))
    description: Mapped[str] = mapped_column(Text)
    occurred_on: Mapped[date | None]
    amount_requested: Mapped[int | None]  # rupiah
    wants_contact: Mapped[bool] = mapped_column(default=False)
    contact: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[ReportStatus] = mapped_column(
        enum_column(ReportStatus, "report_status"), default=ReportStatus.RECEIVED
    )
    # The public reply: shown to the reporter with the status; written by staff.
    status_note: Mapped[str | None] = mapped_column(Text)
    # The body the report went to (the Ombudsman, the police...), once forwarded.
    forwarded_to: Mapped[str | None] = mapped_column(String(200))
    received_on: Mapped[date]

    unit: Mapped[Unit] = relationship()
    campaign: Mapped[Campaign | None] = relationship()
    steps: Mapped[list[ReportStep]] = relationship(
        back_populates="report", cascade="all, delete-orphan", order_by="ReportStep.id")
    photo: Mapped[ReportPhoto | None] = relationship(
        back_populates="report", cascade="all, delete-orphan", lazy="select")


class ReportPhoto(Base):
    """The photo a reporter attached, as re-encoded by the platform (no
    EXIF, GPS or other metadata survives the re-encoding)."""

    __tablename__ = "citizen_report_photo"

    report_id: Mapped[int] = mapped_column(
        ForeignKey("citizen_report.id", ondelete="CASCADE"), primary_key=True)
    media_type: Mapped[str] = mapped_column(String(20))  # image/jpeg or image/png
    width: Mapped[int]
    height: Mapped[int]
    data: Mapped[bytes] = mapped_column(LargeBinary)

    report: Mapped[CitizenReport] = relationship(back_populates="photo")


class ReportStep(Base):
    """One triage step: the status a report moved to, the inspector's
    internal note, and the public reply the reporter sees from then on."""

    __tablename__ = "citizen_report_step"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey("citizen_report.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    from_status: Mapped[ReportStatus] = mapped_column(
        enum_column(ReportStatus, "report_step_from"))
    to_status: Mapped[ReportStatus] = mapped_column(enum_column(ReportStatus, "report_step_to"))
    note: Mapped[str] = mapped_column(Text)  # internal: inspectors only
    public_reply: Mapped[str | None] = mapped_column(Text)
    forwarded_to: Mapped[str | None] = mapped_column(String(200))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))

    report: Mapped[CitizenReport] = relationship(back_populates="steps")
    actor: Mapped[StaffUser | None] = relationship()
