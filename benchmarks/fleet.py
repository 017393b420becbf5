"""Shared parts of the load and fault benchmarks (benchmarks/load.py,
benchmarks/faults.py): a throw-away PostgreSQL database with one open
campaign, the platform under gunicorn, and simulated respondents who answer
whole questionnaires over HTTP as a phone would (every page, then send).

A respondent is one thread with its own cookie jar, speaking HTTP/1.1
through the standard library (cheap on the client side, so that the
machine's two cores serve rather than measure). It answers with the
instrument's own paging rules (survey/questionnaire.py), the way a person
reads the page in front of them, and records every request's latency.
"""

from __future__ import annotations

import atexit
import http.client
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from sqlalchemy import text
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import analysis  # noqa: E402
from survey import clock  # noqa: E402
from survey.database import make_engine, normalise_url, upgrade  # noqa: E402
from survey.questionnaire import applicable_pages, build_pages, is_shown  # noqa: E402

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
STARTED = re.compile(r'name="started" value="([^"]+)"')
SECRET_KEY = secrets.token_hex(32)  # a throw-away key for a throw-away database
TIMEZONE = "Asia/Jakarta"


def instance_folder() -> str:
    """A fresh instance folder (the app's local state), removed at exit."""
    folder = tempfile.mkdtemp(prefix="survey-bench-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


# -- the database --------------------------------------------------------------------


@contextmanager
def scratch_database(server: str, prefix: str) -> Iterator[str]:
    """A database of its own on ``server``, dropped afterwards; yields its URL."""
    name = f"{prefix}_{secrets.token_hex(3)}"
    admin = make_engine(server).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(normalise_url(server)).set(database=name).render_as_string(
        hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass
class Campaign:
    id: int
    tokens: list[str]       # personal links (internal group)
    open_codes: list[str]   # open links (external group)
    instrument: analysis.Instrument


def prepare(url: str, *, invited: int, offices: int = 20) -> Campaign:
    """Schema, one institution with ``offices`` offices, an open campaign on
    the standard SPI instrument, ``invited`` personal links spread over the
    offices and one open link per office."""
    from survey import create_app
    from survey.extensions import db
    from survey.models import Campaign as CampaignRow
    from survey.models import CampaignStatus, Institution, OpenLink, Unit
    from survey.services import invitations
    from survey.services.instruments import default_instrument_text, register_instrument
    from survey.services.tokens import LinkSeal, new_code

    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET_KEY, "JOB_RUNNER": "external",
                      "INSTANCE_PATH": instance_folder()})
    with app.app_context():
        session = db.session
        today = clock.today(TIMEZONE)
        institution = Institution(code="LOAD", name="Kota Beban")
        units = [Unit(institution=institution, code=f"U{u:02d}", name=f"Kantor Pelayanan {u:02d}")
                 for u in range(offices)]
        session.add_all(units)
        version = register_instrument(session, default_instrument_text(), source="benchmark")
        campaign = CampaignRow(institution=institution, name="SPI Beban", period=str(today.year),
                               target=72, opens_on=today - timedelta(days=1),
                               closes_on=today + timedelta(days=30), status=CampaignStatus.OPEN,
                               instrument_version=version)
        session.add(campaign)
        session.flush()
        made = invitations.issue(
            session, campaign,
            [invitations.Invitee(units[i % offices].id, "internal", phone=f"+628120{i:07d}")
             for i in range(invited)],
            seal=LinkSeal(SECRET_KEY))
        links = [OpenLink(campaign=campaign, unit=unit, code=new_code()) for unit in units]
        session.add_all(links)
        session.commit()
        return Campaign(campaign.id, [token for _, token in made], [link.code for link in links],
                        version.instrument)


def counts(url: str) -> dict[str, int]:
    """Stored and pending responses, used invitations."""
    engine = make_engine(url)
    with engine.connect() as connection:
        figures = {name: connection.execute(text(sql)).scalar() for name, sql in (
            ("responses", "SELECT count(*) FROM response"),
            ("pending", "SELECT count(*) FROM pending_response"),
            ("used", "SELECT count(*) FROM invitation WHERE used"),
        )}
    engine.dispose()
    return figures


# -- the server ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def gunicorn(url: str, *, workers: int, port: int, batch: int = 5,
             extra: tuple[str, ...] = ()) -> Iterator[subprocess.Popen]:
    """The platform under gunicorn (sync workers), started and stopped here.
    Rate limits are off: the simulated respondents all come from 127.0.0.1."""
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET_KEY, "RATE_LIMITS": "false",
           "JOB_RUNNER": "external", "ANONYMITY_BATCH": str(batch), "TIMEZONE": TIMEZONE,
           "LOG_LEVEL": "WARNING",
           "INSTANCE_PATH": instance_folder()}
    command = [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}",
               "--timeout", "60", "--log-level", "warning", *extra, "survey:create_app()"]
    process = subprocess.Popen(command, cwd=REPO, env=env,  # noqa: S603 (our own command)
                               start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, _, _ = request(port, "GET", "/healthz")
                if status == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.2)
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def worker_pids(master: int) -> list[int]:
    """The gunicorn master's worker processes."""
    children = Path(f"/proc/{master}/task/{master}/children")
    return [int(p) for p in children.read_text().split()] if children.exists() else []


def request(port: int, method: str, path: str, body: str | None = None,
            headers: dict[str, str] | None = None, timeout: float = 30):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        connection.close()


# -- respondents ---------------------------------------------------------------------


def choose_answers(instrument: analysis.Instrument, group: str, rng: random.Random,
                   marker: str | None = None) -> dict[str, list[str]]:
    """Answers a person could give: every shown question, in order. With
    ``marker``, every free-text answer is that marker (to find the response
    again among the stored ones)."""
    answers: dict[str, str] = {}
    form: dict[str, list[str]] = {}
    for page in build_pages(instrument, group):
        for question in page.questions:
            if not is_shown(question, answers):
                continue
            if question.type == "choice":
                value = [rng.choice(question.options).code]
            elif question.type == "multi":
                value = [o.code for o in rng.sample(question.options, 2)]
            elif question.type == "number":
                value = [str(int(question.min or 0) + rng.randrange(10))]
            elif marker is not None:
                value = [marker]
            else:
                value = [rng.choice(["", "Pelayanan cepat.", "Antrean panjang di loket 2."])]
                if not value[0]:
                    continue
            form[question.id] = value
            answers[question.id] = value[0]
    return form


class Failure(Exception):
    """A response the respondent's phone would show as an error."""


@dataclass
class Respondent:
    """One person answering one link, start to finish."""

    port: int
    path: str                          # /r/<token> or /o/<code>
    instrument: analysis.Instrument
    group: str
    rng: random.Random
    marker: str | None = None
    cookies: dict[str, str] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    requests: int = 0

    def call(self, method: str, path: str, form: list[tuple[str, str]] | None = None,
             expect: tuple[int, ...] = (200,)) -> tuple[int, dict[str, str], str]:
        headers = {}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        try:
            status, raw_headers, payload = request(self.port, method, path, body, headers)
        except OSError as exc:
            raise Failure(f"{method} {path}: {type(exc).__name__}") from None
        finally:
            self.latencies.append(time.perf_counter() - started)
            self.requests += 1
        found: dict[str, str] = {}
        for name, value in raw_headers:
            name = name.lower()
            if name == "set-cookie":
                cookie = value.split(";", 1)[0]
                key, _, content = cookie.partition("=")
                if content:
                    self.cookies[key] = content
                else:
                    self.cookies.pop(key, None)
            else:
                found[name] = value
        if status not in expect:
            raise Failure(f"{method} {path}: HTTP {status}")
        return status, found, payload.decode("utf-8", "replace")

    def answer(self) -> str:
        """Answer every page, then send. Returns where the last redirect
        pointed (/selesai after a stored response)."""
        target, fields = self.answer_until_send()
        _, headers, _ = self.submit_page(target, fields)
        return self.finish(urlsplit(headers["location"]).path)

    def answer_until_send(self) -> tuple[str, list[tuple[str, str]]]:
        """Open the link, start, answer every page but the last; returns the
        last page and what sending it posts."""
        _, _, page = self.call("GET", self.path)
        csrf = CSRF.search(page).group(1)
        started = STARTED.search(page).group(1)
        _, headers, _ = self.call("POST", self.path + "/mulai",
                                  [("csrf_token", csrf), ("started", started)], expect=(303,))
        form = choose_answers(self.instrument, self.group, self.rng, self.marker)
        flat = {k: v[0] for k, v in form.items()}
        pages = applicable_pages(build_pages(self.instrument, self.group), flat)
        location = urlsplit(headers["location"]).path
        for position, page in enumerate(pages):
            target = f"{self.path}/{page.number}"
            if location != target:
                raise Failure(f"sent to {location}, expected {target}")
            self.call("GET", target)
            last = position == len(pages) - 1
            fields = [("csrf_token", csrf), ("action", "submit" if last else "next")]
            fields += [(q.id, v) for q in page.questions for v in form.get(q.id, ())]
            if last:
                return target, fields
            _, headers, _ = self.call("POST", target, fields, expect=(303,))
            location = urlsplit(headers["location"]).path
        raise Failure("no page to send")

    def finish(self, location: str) -> str:
        if location != "/selesai":
            raise Failure(f"sent to {location} after sending")
        self.call("GET", location)
        return location

    def submit_page(self, target: str, fields: list[tuple[str, str]]):
        return self.call("POST", target, fields, expect=(303,))


def run_fleet(port: int, campaign: Campaign, *, respondents: int, concurrency: int,
              seconds: float, seed: int, open_share: float = 0.3,
              make=Respondent) -> tuple[list, float]:
    """``respondents`` people (personal links first, then open links),
    ``concurrency`` at a time, for at most ``seconds``. Returns the finished
    Respondent objects with their outcome (True, or the Failure) and the
    elapsed time."""
    rng = random.Random(seed)
    jobs: list[tuple[str, str]] = []
    tokens = iter(campaign.tokens)
    for i in range(respondents):
        if rng.random() < open_share:
            jobs.append((f"/o/{campaign.open_codes[i % len(campaign.open_codes)]}", "external"))
        else:
            jobs.append((f"/r/{next(tokens)}", "internal"))
    queue = iter(enumerate(jobs))
    lock = threading.Lock()
    done: list = []
    deadline = time.monotonic() + seconds

    def work() -> None:
        while time.monotonic() < deadline:
            with lock:
                item = next(queue, None)
            if item is None:
                return
            number, (path, group) = item
            person = make(port, path, campaign.instrument, group, random.Random(seed + number),
                          marker=f"respondent-{number:06d}")
            try:
                person.answer()
                outcome = True
            except Failure as failure:
                outcome = failure
            with lock:
                done.append((person, outcome))

    started = time.perf_counter()
    threads = [threading.Thread(target=work, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return done, time.perf_counter() - started


def hammer(port: int, path: str, *, concurrency: int, seconds: float) -> tuple[int, int, float]:
    """Requests per second of one GET path: (requests, errors, elapsed)."""
    counter = {"ok": 0, "errors": 0}
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def work() -> None:
        ok = errors = 0
        while time.monotonic() < deadline:
            try:
                status, _, _ = request(port, "GET", path)
                ok, errors = (ok + 1, errors) if status == 200 else (ok, errors + 1)
            except OSError:
                errors += 1
        with lock:
            counter["ok"] += ok
            counter["errors"] += errors

    started = time.perf_counter()
    threads = [threading.Thread(target=work) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return counter["ok"], counter["errors"], time.perf_counter() - started
