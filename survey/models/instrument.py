"""Instrument versions: the questionnaire and scoring model a campaign pins."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

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
    # Deferred: the text is 50-60 KB and every page request loads the
    # version; the parsed instrument is cached by checksum (below), so the
    # text is read only on a cache miss or an export.
    content: Mapped[str] = mapped_column(Text, deferred=True)
    format: Mapped[str] = mapped_column(String(8), default="yaml")
    checksum: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def instrument(self) -> analysis.Instrument:
        """The parsed instrument (validated when the version was stored)."""
        return parsed_instrument(self.checksum, self.format, lambda: self.content)

    @property
    def label(self) -> str:
        return f"{self.instrument_key} {self.version}"


#: Parsed instruments by (checksum, format). The checksum is SHA-256 of the
#: text, and a version's text never changes once answered (the ORM guard
#: below and a trigger in the database), so parsing the YAML file on every
#: request, or even reading it, is never needed twice per process.
_PARSED: dict[tuple[str, str], analysis.Instrument] = {}
_PARSED_MAX = 32


def parsed_instrument(checksum: str, text_format: str,
                      text: Callable[[], str]) -> analysis.Instrument:
    """The instrument whose text has ``checksum``, parsed once per process;
    ``text`` reads the text, called only when it is not parsed yet."""
    key = (checksum, text_format)
    parsed = _PARSED.get(key)
    if parsed is None:
        parsed = analysis.parse_instrument(text(), source=f"instrument {checksum[:12]}",
                                           format=text_format)
        while len(_PARSED) >= _PARSED_MAX:
            _PARSED.pop(next(iter(_PARSED)))   # the oldest entry
        _PARSED[key] = parsed
    return parsed


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
