"""Background jobs kept in the platform's own database.

Sending invitations, refreshing a campaign's results and delivering
webhooks run in the background. They are rows of the ``job`` table, so they
survive a restart, are written in the same transaction as the change that
asks for them, and need no other service: the embedded SQLite default works
exactly like PostgreSQL (README, "Background jobs", says why no queue
library).

A handler is a function registered for a kind::

    @jobs.handler("results.refresh")
    def refresh(session, payload, context): ...

It receives its own session, does the whole job and commits (it is the
outermost use case), and may return a small dict kept as the job's result.
``context.report({...})`` records progress while it runs, for staff pages.

A worker claims a job with a lease (:data:`LEASE`). If the worker dies, the
lease runs out and another worker claims the job again, so handlers must be
safe to run twice: work already done is skipped, and work whose outcome is
unknown is recorded as such, never blindly repeated.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import traceback
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, or_, select, update
from sqlalchemy.orm import Session

from survey import clock
from survey.models import Job, JobStatus

log = logging.getLogger(__name__)

#: How long a claimed job belongs to its worker before others may take it.
LEASE = timedelta(minutes=10)
#: Waits between attempts after a failure: 10 s, 1 min, 5 min, 30 min...
BACKOFF = (timedelta(seconds=10), timedelta(minutes=1), timedelta(minutes=5),
           timedelta(minutes=30), timedelta(hours=2))

Handler = Callable[[Session, dict, "JobContext"], "dict[str, Any] | None"]
HANDLERS: dict[str, Handler] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register ``function`` as the handler of jobs of ``kind``."""

    def register(function: Handler) -> Handler:
        if HANDLERS.get(kind, function) is not function:
            raise ValueError(f"two handlers for job kind {kind!r}")
        HANDLERS[kind] = function
        return function

    return register


def load_handlers() -> None:
    """Import every module of :mod:`survey.services`, registering the
    handlers they define (a worker calls this once)."""
    import survey.services as package

    for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        importlib.import_module(module.name)


def enqueue(
    session: Session,
    kind: str,
    payload: dict[str, Any] | None = None,
    *,
    unique_key: str | None = None,
    run_after: datetime | None = None,
    max_attempts: int = 5,
) -> Job:
    """Ask for a job, in the caller's transaction (flushes, never commits).

    With ``unique_key``, a job of that key already waiting is returned
    instead of adding another (a job already running does not count: it
    may have started before the change that asks again).
    """
    if unique_key is not None:
        waiting = session.scalar(select(Job).where(Job.unique_key == unique_key,
                                                   Job.status == JobStatus.QUEUED))
        if waiting is not None:
            return waiting
    job = Job(kind=kind, payload=payload or {}, unique_key=unique_key,
              run_after=run_after or clock.now(), max_attempts=max_attempts,
              status=JobStatus.QUEUED, attempts=0)
    session.add(job)
    session.flush()
    return job


class JobContext:
    """What a running handler may know and say about its job."""

    def __init__(self, engine: Engine, job: Job, config: Mapping[str, Any] | None = None):
        self._engine = engine
        self.job_id = job.id
        self.attempt = job.attempts
        #: The application's settings (senders need theirs); empty in tests
        #: that give none.
        self.config: Mapping[str, Any] = config or {}

    def report(self, progress: dict[str, Any]) -> None:
        """Record progress now, in a transaction of its own, so staff pages
        see it while the job runs."""
        with Session(self._engine) as session:
            session.execute(update(Job).where(Job.id == self.job_id).values(progress=progress))
            session.commit()


def claim(session: Session) -> Job | None:
    """Take the next due job (or one whose worker's lease ran out), marking
    it running with a fresh lease. Commits. None when nothing is due."""
    now = clock.now()
    due = (select(Job)
           .where(or_(Job.status == JobStatus.QUEUED,
                      (Job.status == JobStatus.RUNNING) & (Job.lease_until < now)),
                  Job.run_after <= now)
           .order_by(Job.run_after, Job.id)
           .limit(1))
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    job = session.scalar(due)   # on SQLite, BEGIN IMMEDIATE already serialises workers
    if job is None:
        session.rollback()
        return None
    if job.status == JobStatus.RUNNING and job.attempts >= job.max_attempts:
        job.status = JobStatus.FAILED
        job.last_error = "the worker running it stopped, and no attempt is left"
        job.finished_at = now
        session.commit()
        return claim(session)
    job.status = JobStatus.RUNNING
    job.attempts += 1
    job.lease_until = now + LEASE
    session.commit()
    return job


def run_one(engine: Engine, *, config: Mapping[str, Any] | None = None) -> bool:
    """Claim and run one due job, its handler seeing ``config`` (the
    application's settings). Returns False when none was due."""
    with Session(engine, expire_on_commit=False) as session:
        job = claim(session)
    if job is None:
        return False
    function = HANDLERS.get(job.kind)
    if function is None:
        _finish(engine, job, None, f"no handler for job kind {job.kind!r}", permanent=True)
        return True
    result = error = None
    try:
        with Session(engine, expire_on_commit=False) as work:
            result = function(work, dict(job.payload or {}), JobContext(engine, job, config))
    except Exception as exc:  # a job's failure must not stop the worker
        # The type only: a message may quote data (an address, an answer).
        log.error("job %s (%s) failed on attempt %s: %s", job.id, job.kind, job.attempts,
                  type(exc).__name__)
        error = "".join(traceback.format_exception_only(exc)).strip()[:2000]
    _finish(engine, job, result, error)
    return True


def _finish(engine: Engine, job: Job, result: dict | None, error: str | None, *,
            permanent: bool = False) -> None:
    now = clock.now()
    values: dict[str, Any] = {"lease_until": None}
    if error is None:
        values.update(status=JobStatus.DONE, finished_at=now, last_error=None)
        if result is not None:
            values["progress"] = result
    elif permanent or job.attempts >= job.max_attempts:
        values.update(status=JobStatus.FAILED, finished_at=now, last_error=error)
    else:
        wait = BACKOFF[min(job.attempts - 1, len(BACKOFF) - 1)]
        values.update(status=JobStatus.QUEUED, run_after=now + wait, last_error=error)
    with Session(engine) as session:
        # Only if this worker still holds it (its lease did not run out and
        # another worker take it meanwhile).
        session.execute(update(Job).where(Job.id == job.id, Job.attempts == job.attempts)
                        .values(**values))
        session.commit()


def run_pending(engine: Engine, *, limit: int | None = None,
                config: Mapping[str, Any] | None = None) -> int:
    """Run due jobs one after another until none is due (or ``limit`` ran).
    Returns how many ran. Tests and ``survey worker --once`` use it."""
    ran = 0
    while (limit is None or ran < limit) and run_one(engine, config=config):
        ran += 1
    return ran
