"""Background jobs, kept in the database (see :mod:`survey.services.jobs`)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, JSONDocument, enum_column, utcnow


class JobStatus(enum.StrEnum):
    QUEUED = "queued"  # waiting for run_after
    RUNNING = "running"  # claimed by a worker until lease_until
    DONE = "done"
    FAILED = "failed"  # gave up after max_attempts; last_error says why


class Job(Base):
    """One unit of background work: its kind (a registered handler), its
    arguments, and where it stands.

    A worker claims a job by setting it running with a lease; a worker that
    dies leaves the lease to expire, and the job is claimed again. Handlers
    must therefore be safe to run again (senders record each message's fate
    before and after sending, so a rerun never sends one twice).
    """

    __tablename__ = "job"
    __table_args__ = (Index("ix_job_status_run_after", "status", "run_after"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(80))
    payload: Mapped[dict] = mapped_column(JSONDocument, default=dict)
    # At most one queued or running job per key (e.g. "results:campaign:7"):
    # asking again while one waits adds nothing.
    unique_key: Mapped[str | None] = mapped_column(String(120), index=True)
    status: Mapped[JobStatus] = mapped_column(
        enum_column(JobStatus, "job_status"), default=JobStatus.QUEUED
    )
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=5)
    run_after: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None]
    # What the job reports while it runs or when it ends (counts, a message).
    progress: Mapped[dict | None] = mapped_column(JSONDocument)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
