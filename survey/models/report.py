"""Citizen reports of bribes, illegal levies (pungli) and brokers (calo)."""

from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, enum_column
from .campaign import Campaign
from .organisation import Unit


class ReportCategory(enum.StrEnum):
    BRIBE = "bribe"  # suap / gratifikasi
    ILLEGAL_LEVY = "levy"  # pungutan liar (pungli)
    BROKER = "broker"  # calo
    OTHER = "other"


class ReportStatus(enum.StrEnum):
    RECEIVED = "received"
    IN_REVIEW = "in_review"
    FORWARDED = "forwarded"
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
    # Shown to the reporter with the status; written by staff.
    status_note: Mapped[str | None] = mapped_column(Text)
    received_on: Mapped[date]

    unit: Mapped[Unit] = relationship()
    campaign: Mapped[Campaign | None] = relationship()
