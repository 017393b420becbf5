"""Background jobs in the database: queued, run once, retried with backoff,
taken over when a worker dies, never lost."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from survey import clock
from survey.extensions import db
from survey.models import Job, JobStatus
from survey.services import jobs

CALLS: list[tuple[str, dict]] = []


@pytest.fixture(autouse=True)
def _handlers():
    CALLS.clear()
    saved = dict(jobs.HANDLERS)

    @jobs.handler("test.record")
    def record(session, payload, context):
        CALLS.append(("record", payload))
        context.report({"seen": payload.get("n")})
        return {"done": payload.get("n")}

    @jobs.handler("test.fail")
    def fail(session, payload, context):
        CALLS.append(("fail", payload))
        raise RuntimeError("the gateway said no")

    yield
    jobs.HANDLERS.clear()
    jobs.HANDLERS.update(saved)


@pytest.fixture
def engine(app):
    with app.app_context():
        return db.engine


def _job(session, job_id) -> Job:
    session.expire_all()
    return session.get(Job, job_id)


def test_a_job_runs_once_and_keeps_its_result(session, engine):
    job = jobs.enqueue(session, "test.record", {"n": 1})
    session.commit()
    assert jobs.run_pending(engine) == 1
    assert jobs.run_pending(engine) == 0
    stored = _job(session, job.id)
    assert stored.status == JobStatus.DONE and stored.progress == {"done": 1}
    assert stored.attempts == 1 and stored.finished_at is not None
    assert CALLS == [("record", {"n": 1})]


def test_a_job_asked_for_twice_by_key_is_queued_once(session):
    first = jobs.enqueue(session, "test.record", {"n": 1}, unique_key="k")
    second = jobs.enqueue(session, "test.record", {"n": 2}, unique_key="k")
    session.commit()
    assert first.id == second.id
    assert len(session.scalars(select(Job)).all()) == 1


def test_a_job_not_yet_due_waits(session, engine):
    jobs.enqueue(session, "test.record", {"n": 1}, run_after=clock.now() + timedelta(hours=1))
    session.commit()
    assert jobs.run_pending(engine) == 0
    with time_machine.travel(clock.now() + timedelta(hours=2)):
        assert jobs.run_pending(engine) == 1


def test_a_failing_job_is_retried_with_backoff_then_given_up(session, engine):
    job = jobs.enqueue(session, "test.fail", {}, max_attempts=3)
    session.commit()
    assert jobs.run_pending(engine) == 1
    stored = _job(session, job.id)
    assert stored.status == JobStatus.QUEUED and "the gateway said no" in stored.last_error
    assert stored.run_after > clock.now()          # waits before the next attempt
    for hours in (1, 2):
        with time_machine.travel(clock.now() + timedelta(hours=hours)):
            jobs.run_pending(engine)
    stored = _job(session, job.id)
    assert stored.status == JobStatus.FAILED and stored.attempts == 3
    assert len(CALLS) == 3


def test_a_job_whose_worker_died_is_taken_over_after_its_lease(session, engine):
    job = jobs.enqueue(session, "test.record", {"n": 7})
    session.commit()
    claimed = jobs.claim(session)                  # a worker claims it, then dies
    assert claimed.id == job.id and claimed.status == JobStatus.RUNNING
    assert jobs.run_pending(engine) == 0           # its lease still holds
    with time_machine.travel(clock.now() + jobs.LEASE + timedelta(seconds=1)):
        assert jobs.run_pending(engine) == 1
    stored = _job(session, job.id)
    assert stored.status == JobStatus.DONE and stored.attempts == 2


def test_an_unknown_kind_fails_at_once_with_a_reason(session, engine):
    job = jobs.enqueue(session, "test.nobody", {})
    session.commit()
    jobs.run_pending(engine)
    stored = _job(session, job.id)
    assert stored.status == JobStatus.FAILED and "no handler" in stored.last_error


def test_two_workers_never_run_the_same_job(session, engine):
    for n in range(20):
        jobs.enqueue(session, "test.record", {"n": n})
    session.commit()
    threads = [threading.Thread(target=jobs.run_pending, args=(engine,)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(p["n"] for _, p in CALLS) == list(range(20))
    assert {j.status for j in session.scalars(select(Job))} == {JobStatus.DONE}


def test_the_worker_command_runs_due_jobs(app, session, monkeypatch):
    from survey import worker

    jobs.enqueue(session, "test.record", {"n": 3})
    session.commit()
    monkeypatch.setattr(jobs, "load_handlers", lambda: None)
    assert worker.work(app, stop=threading.Event(), once=True) == 1
    assert CALLS == [("record", {"n": 3})]


def test_every_services_module_imports_for_the_worker():
    jobs.load_handlers()   # a module that fails to import would stop every worker
