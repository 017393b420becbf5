"""Running background jobs: a loop for ``survey worker``, or a thread in
each app process (``JOB_RUNNER=thread``, the default, so the embedded
platform needs nothing else). Jobs live in the database
(:mod:`survey.services.jobs`); any number of workers may run at once.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask

from .extensions import db
from .services import jobs

log = logging.getLogger(__name__)

#: Seconds between looks at the job table when it was empty.
POLL_SECONDS = 2.0


def work(app: Flask, *, stop: threading.Event, once: bool = False) -> int:
    """Run due jobs until ``stop`` is set (or, with ``once``, until none is
    due). Returns how many ran."""
    jobs.load_handlers()
    with app.app_context():
        engine = db.engine
    ran, failing = 0, False
    while not stop.is_set():
        try:
            did = jobs.run_one(engine, config=app.config)
            failing = False
        except Exception as exc:  # the database went away: wait and try again
            if not failing:   # once per outage, not every few seconds
                log.warning("job worker cannot use the database (%s); retrying",
                            type(exc).__name__)
            failing, did = True, False
        ran += did
        if not did:
            if once:
                break
            stop.wait(POLL_SECONDS * (5 if failing else 1))
    return ran


def start_thread(app: Flask) -> None:
    """Start this process's job thread once, on its first request (after
    gunicorn has forked: a thread started before the fork would not exist
    in the worker processes)."""
    state = {"started": False, "lock": threading.Lock()}

    @app.before_request
    def _start_jobs_once():
        if state["started"]:
            return
        with state["lock"]:
            if state["started"]:
                return
            state["started"] = True
            stop = threading.Event()
            app.extensions["survey.jobs_stop"] = stop
            threading.Thread(target=work, args=(app,), kwargs={"stop": stop},
                             name="survey-jobs", daemon=True).start()
