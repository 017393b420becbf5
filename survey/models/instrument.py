"""Instrument versions: the questionnaire and scoring model a campaign pins."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from sqlalchemy import String, Text, UniqueConstraint, event, func, inspect, select
from sqlalchemy.orm import Mapped, mapped_column

import analysis

from .base import Base, utcnow
from .response import PendingResponse, Response

#: Columns that define what a response's cells mean.
_DEFINING = ("instrument_key", "version", "content", "format", "checksum")


class ImmutableInstrumentVersion(Exception):
    """An instrument version with responses cannot change: its responses are
    encoded against its question order and options."""


class InstrumentVersion(Base):
    """The exact text of one instrument file.

    Responses are encoded against it (question order, option positions), so
    it must never change once a response exists for it; a new text is a new
    version. The checksum is SHA-256 of the text as uploaded.
    """

    __tablename__ = "instrument_version"
    __table_args__ = (UniqueConstraint("checksum"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instrument_key: Mapped[str] = mapped_column(String(100))
    version: Mapped[str] = mapped_column(String(40))
    content: Mapped[str] = mapped_column(Text)
    format: Mapped[str] = mapped_column(String(8), default="yaml")
    checksum: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def instrument(self) -> analysis.Instrument:
        """The parsed instrument (validated when the version was stored)."""
        return _parse(self.checksum, self.content, self.format)

    @property
    def label(self) -> str:
        return f"{self.instrument_key} {self.version}"


@lru_cache(maxsize=32)
def _parse(checksum: str, content: str, fmt: str) -> analysis.Instrument:
    # Keyed by checksum: a version's text never changes, and parsing a large
    # YAML file on every request would dominate page time.
    return analysis.parse_instrument(content, source=f"instrument {checksum[:12]}", format=fmt)


@event.listens_for(InstrumentVersion, "before_update")
def _refuse_change_once_answered(_mapper, connection, target: InstrumentVersion) -> None:
    state = inspect(target)
    if not any(state.attrs[name].history.has_changes() for name in _DEFINING):
        return
    for model in (Response, PendingResponse):
        used = connection.scalar(select(func.count()).select_from(model)
                                 .where(model.instrument_version_id == target.id))
        if used:
            raise ImmutableInstrumentVersion(
                f"instrument version {target.id} ({target.label}) has responses and cannot "
                f"change; register the new text as a new version")
