"""One client trying to stuff an office's open link (issue 8).

    python benchmarks/open_link_flood.py [--postgres postgresql://root@127.0.0.1:5432/test]
        [--redis redis://127.0.0.1:6379/0] [--one-seconds 60] [--many-seconds 30]
        [--clients 20] [--workers 2]

It creates a PostgreSQL database of its own (dropped at the end), builds the
schema with the migrations and stores one office of the default SPI
instrument with an honest history: invited employees' and experts'
responses and citizens' open-link responses of the days before. Then it
starts the app under gunicorn (``--workers`` processes, rate limits in
Redis, the default limits of survey/config.py, behind one trusted proxy so
that the attackers' addresses can be chosen) and attacks the office's open
link the way a person with a script would: every response through the real
pages (intro, start, every page, send), with a fresh cookie jar each time
(so the once-per-browser cookie does not stop it), answering at random
among the two worst options of every scored question, as fast as it can.

1. one client, from one address, for ``--one-seconds``;
2. ``--clients`` clients at once sharing another address (a campus or a
   mobile carrier's NAT), for ``--many-seconds``.

It prints the responses each client got stored (the thank-you page), those
stored per address (counted in the database), the requests refused with 429,
and the office's index before and after (every held-back response mixed in
first), with what screening set aside. The last line is one JSON object with
``max_per_client`` (the most stored from one address), ``limit`` (the
configured submissions per client per hour, the window these phases fall
in) and ``index_shift`` (absolute change of the office's index, points).
Targets: max_per_client at most limit, index_shift at most 0.5.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

import httpx
import limits
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

import analysis
from survey import clock
from survey.config import SETTINGS
from survey.database import make_engine, normalise_url, upgrade
from survey.models import (
    Campaign,
    CampaignStatus,
    Channel,
    Institution,
    OpenLink,
    PendingResponse,
    Response,
    Unit,
)
from survey.questionnaire import build_pages, is_shown, prune_hidden
from survey.services import responding, scoring
from survey.services.instruments import default_instrument_text, register_instrument
from survey.services.tokens import new_code

ROOT = Path(__file__).resolve().parent.parent
TIMEZONE = "Asia/Jakarta"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
STAMP = re.compile(r'name="started" value="([^"]+)"')
#: The honest history of the office: (group, channel, responses).
HISTORY = (("internal", Channel.INVITED, 60), ("expert", Channel.INVITED, 12),
           ("external", Channel.OPEN, 150))


def _default(name: str) -> str:
    return next(s.default for s in SETTINGS if s.name == name)


# -- the honest office ---------------------------------------------------------


def _honest_answers(instrument: analysis.Instrument, group: str, rng: random.Random) -> dict:
    """A respondent who mostly saw good practice: scored questions lean to
    the best options, the profile says a service was used."""
    answers: dict[str, str] = {}
    for question in instrument.questions_of(group):
        if question.type != "choice":
            continue
        scored = sorted((o for o in question.options if o.score is not None),
                        key=lambda o: o.score)
        if scored:
            weights = [1, 2, 4, 8, 8][-len(scored):] if len(scored) <= 5 else None
            answers[question.id] = rng.choices(scored, weights=weights)[0].code
        else:
            answers[question.id] = question.options[min(2, len(question.options) - 1)].code
    return prune_hidden(instrument, group, answers)


def prepare(url: str, rng: random.Random) -> tuple[int, str]:
    """The office, its campaign, its open link and its history; returns
    (campaign id, open-link code)."""
    engine = make_engine(url)
    upgrade(engine)
    today = clock.today(TIMEZONE)
    with Session(engine) as session:
        version = register_instrument(session, default_instrument_text(), source="benchmark")
        institution = Institution(code="FLOOD", name="Kota Banjir")
        unit = Unit(institution=institution, code="LOKET", name="Kantor Pelayanan Terpadu")
        campaign = Campaign(institution=institution, name="SPI Banjir", period=str(today.year),
                            target=72, opens_on=today - timedelta(days=20),
                            closes_on=today + timedelta(days=20), status=CampaignStatus.OPEN,
                            instrument_version=version)
        code = new_code()
        session.add_all([unit, campaign, OpenLink(campaign=campaign, unit=unit, code=code)])
        session.flush()
        instrument = version.instrument
        for group, channel, n in HISTORY:
            for i in range(n):
                answers = _honest_answers(instrument, group, rng)
                session.add(Response(
                    campaign_id=campaign.id, unit_id=unit.id, respondent_group=group,
                    instrument_version_id=version.id, answers=answers,
                    cells=analysis.encode_answers(instrument, group, answers),
                    duration_s=rng.randint(240, 900), channel=channel,
                    submitted_on=today - timedelta(days=1 + i % 14)))
        session.commit()
        campaign_id = campaign.id
    engine.dispose()
    return campaign_id, code


def office_index(url: str, campaign_id: int) -> tuple[float, dict]:
    """The office's index now, every held-back response mixed in first, the
    citizens counted and what screening set aside (all groups)."""
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        responding.mix_pending(session, campaign_id, minimum=1)
        campaign = session.get(Campaign, campaign_id)
        score = scoring.score_campaign(session, campaign)
        unit, = score.units
        figures = {"external_n": unit.groups["external"].n, "excluded": unit.excluded.to_dict()}
    engine.dispose()
    return unit.index, figures


def stored_open(url: str, campaign_id: int) -> int:
    engine = make_engine(url)
    with Session(engine) as session:
        n = sum(session.scalar(select(func.count()).select_from(table).where(
            table.campaign_id == campaign_id, table.channel == Channel.OPEN))
            for table in (Response, PendingResponse))
    engine.dispose()
    return n


# -- the attacker --------------------------------------------------------------


class Attacker:
    """One client: answers the open link again and again through the pages,
    each time with a fresh cookie jar, until its time is up."""

    def __init__(self, base: str, code: str, address: str, pages, rng: random.Random):
        self.base, self.code, self.address = base, code, address
        self.pages, self.rng = pages, rng
        self.stored = self.refused = self.attempts = self.errors = 0

    def _answers(self, page, given: dict) -> dict:
        form: dict[str, str] = {}
        for question in page.questions:
            if not is_shown(question, given):
                continue
            if question.type != "choice":
                continue
            scored = sorted((o for o in question.options if o.score is not None),
                            key=lambda o: o.score)
            if scored:
                form[question.id] = self.rng.choice(scored[:2]).code
            elif question.id == "EXT_PROFILE_2":
                form[question.id] = "3"   # used the service: every question is asked
            else:
                form[question.id] = question.options[0].code
            given[question.id] = form[question.id]
        return form

    def once(self, client: httpx.Client) -> None:
        self.attempts += 1
        intro = client.get(f"/o/{self.code}")
        if intro.status_code != 200:
            self._count(intro)
            return
        token = CSRF.search(intro.text).group(1)
        stamp = STAMP.search(intro.text)
        started = client.post(f"/o/{self.code}/mulai", data={
            "csrf_token": token, "started": stamp.group(1) if stamp else ""})
        if started.status_code != 303:
            self._count(started)
            return
        given: dict[str, str] = {}
        number = int(started.headers["location"].rstrip("/").rsplit("/", 1)[1])
        while True:
            page = self.pages[number - 1]
            form = self._answers(page, given)
            later = [p for p in self.pages if p.number > number
                     and any(is_shown(q, given) for q in p.questions)]
            form.update(csrf_token=token, action="next" if later else "submit")
            sent = client.post(f"/o/{self.code}/{number}", data=form)
            location = sent.headers.get("location", "")
            if sent.status_code == 303 and location.endswith("/selesai"):
                self.stored += 1
                return
            if sent.status_code != 303:
                self._count(sent)
                return
            number = int(location.rstrip("/").rsplit("/", 1)[1])

    def _count(self, response: httpx.Response) -> None:
        if response.status_code == 429:
            self.refused += 1
        else:
            self.errors += 1

    def run(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with httpx.Client(base_url=self.base, timeout=30,
                              headers={"X-Forwarded-For": self.address}) as client:
                try:
                    self.once(client)
                except httpx.HTTPError:
                    self.errors += 1


# -- the server ------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(url: str, redis: str, workers: int, folder: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis,
           "SECRET_KEY": secrets.token_hex(32), "INSTANCE_PATH": str(folder),
           "PROXY_COUNT": "1", "JOB_RUNNER": "external", "LOG_LEVEL": "WARNING",
           "TIMEZONE": TIMEZONE}
    for name in ("RATE_LIMITS", "OPEN_LINK_START_LIMIT", "OPEN_LINK_SUBMIT_LIMIT",
                 "OPEN_LINK_ONCE_PER_BROWSER"):
        env.pop(name, None)   # the defaults are what is measured
    with (folder / "gunicorn.log").open("w") as log:
        process = subprocess.Popen(  # noqa: S603  (our own interpreter and arguments)
            [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}",
             "--log-level", "warning", "survey:create_app()"],
            env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit((folder / "gunicorn.log").read_text()[-3000:])
        try:
            if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                return process, base
        except httpx.HTTPError:
            time.sleep(0.3)
    process.terminate()
    raise SystemExit("gunicorn did not answer within 60 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", default="postgresql://root@127.0.0.1:5432/test",
                        help="server to use (a database of its own is created and dropped)")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--one-seconds", type=float, default=60)
    parser.add_argument("--many-seconds", type=float, default=30)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    submit_limit = _default("OPEN_LINK_SUBMIT_LIMIT")
    per_hour = next(item.amount for item in limits.parse_many(submit_limit)
                    if item.GRANULARITY.name == "hour")
    name = f"bench_i8_{secrets.token_hex(3)}"
    admin = make_engine(args.postgres).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(normalise_url(args.postgres)).set(database=name).render_as_string(
        hide_password=False)
    process = None
    try:
        campaign_id, code = prepare(url, rng)
        before, screening_before = office_index(url, campaign_id)
        engine = make_engine(url)
        with Session(engine) as session:
            pages = build_pages(session.get(Campaign, campaign_id).instrument_version.instrument,
                                "external")
        engine.dispose()
        with tempfile.TemporaryDirectory() as folder:
            process, base = serve(url, args.redis, args.workers, Path(folder))
            print(f"gunicorn ({args.workers} workers) on PostgreSQL with Redis; limits: start "
                  f"{_default('OPEN_LINK_START_LIMIT')!r}, submit {submit_limit!r}")
            print(f"office index before: {before:.2f} "
                  f"(citizens n={screening_before['external_n']})")
            # Addresses of this run only: counts kept in Redis by another run
            # (the client key rotates daily) cannot meet these.
            lone_address = f"203.0.113.{rng.randint(1, 254)}"
            shared_address = f"198.51.100.{rng.randint(1, 254)}"

            start_count = stored_open(url, campaign_id)
            lone = Attacker(base, code, lone_address, pages, random.Random(rng.random()))
            began = time.monotonic()
            lone.run(args.one_seconds)
            lone_stored = stored_open(url, campaign_id) - start_count
            print(f"\n1. one client, {time.monotonic() - began:.0f} s: {lone.attempts} attempts, "
                  f"{lone.stored} stored (thank-you page), {lone.refused} refused (429), "
                  f"{lone.errors} other errors; stored in the database: {lone_stored}")

            crowd = [Attacker(base, code, shared_address, pages, random.Random(rng.random()))
                     for _ in range(args.clients)]
            threads = [threading.Thread(target=a.run, args=(args.many_seconds,)) for a in crowd]
            began = time.monotonic()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            crowd_stored = stored_open(url, campaign_id) - start_count - lone_stored
            print(f"2. {args.clients} clients sharing one address, "
                  f"{time.monotonic() - began:.0f} s: "
                  f"{sum(a.attempts for a in crowd)} attempts, "
                  f"{sum(a.refused for a in crowd)} refused (429), "
                  f"{sum(a.errors for a in crowd)} other errors")
            print("   stored per client: " + " ".join(str(a.stored) for a in crowd)
                  + f"; together (one address): {crowd_stored} in the database")
            process.terminate()
            process.wait(timeout=30)
            process = None
        after, screening_after = office_index(url, campaign_id)
        shift = abs(after - before)
        print(f"\noffice index after: {after:.2f} (citizens n={screening_after['external_n']}, "
              f"set aside by screening: {screening_after['excluded']})")
        figures = {"max_per_client": max(lone_stored, crowd_stored), "limit": per_hour,
                   "index_shift": round(shift, 3),
                   "stored_one_client": lone_stored, "stored_shared_address": crowd_stored}
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=30)
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()
    verdict = ("PASS" if figures["max_per_client"] <= figures["limit"]
               and figures["index_shift"] <= 0.5 else "FAIL")
    print(f"max per client {figures['max_per_client']} (limit {figures['limit']}), "
          f"index shift {figures['index_shift']:.3f} (at most 0.5): {verdict}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
