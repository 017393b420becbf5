"""Personal invitations: one per invited person, sent as a link."""

from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base
from .campaign import Campaign
from .organisation import Unit


class Invitation(Base):
    """A personal link for one person of a unit's respondent group.

    Anonymity by construction: the token is shown once and stored only as its
    SHA-256; the invitation keeps a ``used`` flag and no time of use; nothing
    here (no key, id or timestamp) is shared with the response it produced.
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
    expires_on: Mapped[date]
    sent: Mapped[bool] = mapped_column(default=False)
    used: Mapped[bool] = mapped_column(default=False)

    campaign: Mapped[Campaign] = relationship()
    unit: Mapped[Unit] = relationship()
