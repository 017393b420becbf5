"""Responses, the mixing pool they pass through, and unfinished answers.

How a response stays anonymous (docs/threat-model.md has the whole story):

- A submission marks its invitation used and writes a :class:`PendingResponse`
  (its content sealed under a key derived from ``SECRET_KEY``) in one
  transaction. Once ``ANONYMITY_BATCH`` pending responses of a campaign
  have gathered, they are moved into :class:`Response` together, in random
  order, by a separate transaction. The stored response therefore shares no
  transaction, position or insertion order with the invitation that allowed
  it, even for someone reading the database files or a dump.
- Ids are random; a response keeps the date it was submitted, never a time.
- Both tables are clustered by their random id on SQLite (WITHOUT ROWID), so
  the file's row order is random too.
- :class:`PartialAnswer` rows are keyed by a hash of the link's secret that is
  different from the invitation's token hash, and their content is encrypted
  with a key derived from that secret, which the server never stores.
"""

from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, JSONDocument, enum_column, random_id


class Channel(enum.StrEnum):
    INVITED = "invited"  # personal link
    OPEN = "open"  # public link or QR code


class _StratumColumns:
    """Columns shared by a pending and a stored response: where it belongs."""

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"))
    respondent_group: Mapped[str] = mapped_column(String(40))
    instrument_version_id: Mapped[int] = mapped_column(ForeignKey("instrument_version.id"))
    channel: Mapped[Channel] = mapped_column(enum_column(Channel, "channel"))


class _ResponseColumns(_StratumColumns):
    """A stored response's content."""

    # {question id: cell text}; blank cells are absent. The canonical record.
    answers: Mapped[dict] = mapped_column(JSONDocument)
    # The same answers encoded for scoring (analysis.encode_answers): derived,
    # written with the answers, read in bulk without parsing JSON.
    cells: Mapped[bytes] = mapped_column(LargeBinary)
    duration_s: Mapped[int | None]
    submitted_on: Mapped[date]


class Response(_ResponseColumns, Base):
    """One submitted questionnaire, stored for scoring."""

    __tablename__ = "response"
    __table_args__ = (
        Index("ix_response_campaign_group", "campaign_id", "respondent_group"),
        {"sqlite_with_rowid": False},
    )


class PendingResponse(_StratumColumns, Base):
    """A submitted questionnaire waiting to be mixed into :class:`Response`.

    Its content (answers, cells, duration, date) is sealed with a key
    derived from ``SECRET_KEY`` (:class:`survey.services.tokens.PendingSeal`):
    the row shares its transaction with the invitation it used, so a reader
    of the database alone must learn nothing from it but its stratum.
    """

    __tablename__ = "pending_response"
    __table_args__ = (
        Index("ix_pending_response_campaign", "campaign_id"),
        {"sqlite_with_rowid": False},
    )

    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    # The date, for open-link rows only (surge alarms count them per day; no
    # invitation is touched). NULL for invited rows, whose date is sealed: in
    # clear it would tie the invitation to a day.
    submitted_on: Mapped[date | None]

    @property
    def seal_context(self) -> str:
        """The associated data its content is sealed with: its stratum."""
        return pending_context(self.campaign_id, self.unit_id, self.respondent_group,
                               self.instrument_version_id)


def pending_context(campaign_id: int, unit_id: int, group: str, version_id: int) -> str:
    return f"{campaign_id}/{unit_id}/{group}/{version_id}"


class PartialAnswer(Base):
    """Answers saved page by page so a respondent can resume, encrypted."""

    __tablename__ = "partial_answer"
    __table_args__ = ({"sqlite_with_rowid": False},)

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    # When an abandoned answer may be deleted; not when it was written.
    expires_on: Mapped[date] = mapped_column(index=True)


class UsedStart(Base):
    """A first-view stamp that has started a questionnaire, so that it
    starts no other: the SHA-256 of the stamp's random nonce, kept until the
    stamp would have expired anyway. Nothing here names a link, a browser or
    a response."""

    __tablename__ = "used_start"
    __table_args__ = ({"sqlite_with_rowid": False},)

    nonce_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_on: Mapped[date] = mapped_column(index=True)


__all__ = ["Channel", "PartialAnswer", "PendingResponse", "Response", "UsedStart",
           "pending_context"]
