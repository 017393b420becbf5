"""Stored results of a campaign and the improvement actions offices are given.

A campaign's results are computed once (``survey/services/results.py``) and
kept here, so that every reader (pages, downloads, the API, PDF reports)
reads the same numbers without scoring again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class CampaignResult(Base):
    """The latest computed results of one campaign.

    ``payload`` is the results document (``services.results.CampaignResults``)
    as zlib-compressed JSON; the columns beside it say what it was computed
    from, so a page can say so without opening it."""

    __tablename__ = "campaign_result"

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaign.id", ondelete="CASCADE"), primary_key=True
    )
    instrument_version_id: Mapped[int] = mapped_column(ForeignKey("instrument_version.id"))
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Stored responses read (before screening).
    responses: Mapped[int] = mapped_column(default=0)
    # Sum of the correction points applied, over all offices.
    correction_points: Mapped[float] = mapped_column(Float, default=0.0)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)  # how long computing took
    payload: Mapped[bytes] = mapped_column(LargeBinary)


class ImprovementAction(Base):
    """What an institution advises its offices to do about one dimension
    (shown on the office page beside the weakest dimensions). Without a row,
    the platform's default text for the dimension is shown."""

    __tablename__ = "improvement_action"
    __table_args__ = (UniqueConstraint("institution_id", "dimension"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("institution.id", ondelete="CASCADE"), index=True
    )
    dimension: Mapped[str] = mapped_column(String(80))
    text: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL")
    )


class PasswordReset(Base):
    """A one-time link with which a staff member sets a new password.

    Only the SHA-256 of the link's token is kept; the link works once and
    until ``expires_at``."""

    __tablename__ = "password_reset"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_user.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
