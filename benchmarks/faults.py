"""Faults (issue 11): whole questionnaires while workers die and the
database drops every connection.

    python benchmarks/faults.py [--respondents 100] [--concurrency 6]
        [--every 2] [--workers 3] [--postgres postgresql://root@127.0.0.1:5432/test]

The same set-up as benchmarks/load.py (a database of its own, one open
campaign, gunicorn, respondents through personal and open links). While
they answer, every --every seconds in turn:

- one gunicorn worker is killed with SIGKILL (the master starts another;
  requests it was serving fail with a broken connection);
- every connection to the benchmark's database is cut with
  pg_terminate_backend (what a PostgreSQL restart or fail-over does to
  the app; the server itself is shared on this machine, so it is not
  restarted).

A run that ends before its first worker kill and its first cut fails: it
would prove nothing about faults.

A respondent behaves as a person would: when a page fails to load or a
tap fails, they tap again (up to 8 times, waiting a little longer each
time). When "send" fails, they send again; the platform answers either with
the thank-you page or with "your answers were already sent" (410), and
both confirm the response. For 30% of respondents the first send is lost
on the way back (the request reaches the server, the phone hangs up before
the answer), so every run re-sends answers that may or may not be stored.

Every respondent writes a marker of their own into the free-text question,
so that after the run (and after mixing the pool) each stored response can
be traced to one respondent:

- confirmed: respondents who saw the thank-you or the already-sent page;
- stored: responses in the database;
- duplicated: stored responses beyond the first of a respondent;
- lost: confirmed respondents whose response is not stored.

Targets: 0 duplicated, 0 lost. The last line is one JSON object with
confirmed, stored, duplicated and lost (and the fault counts).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import select, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fleet  # noqa: E402

from survey.database import make_engine  # noqa: E402

ATTEMPTS = 8
#: Share of respondents whose first "send" is lost on the way back.
DROP_SHARE = 0.3


class Persistent(fleet.Respondent):
    """A respondent who taps again when something fails."""

    retries = 0
    resent = 0   # sends that failed at first and were sent again

    def call(self, method, path, form=None, expect=(200,)):
        for attempt in range(ATTEMPTS):
            try:
                return super().call(method, path, form, expect)
            except fleet.Failure:
                if attempt == ATTEMPTS - 1:
                    raise
                self.retries += 1
                time.sleep(0.2 * (attempt + 1))
        raise AssertionError("unreachable")

    def submit_page(self, target, fields):
        if self.rng.random() < DROP_SHARE:
            # The phone loses its signal right after sending: the request
            # reaches the server, the answer never comes back. The person
            # sees nothing and sends again.
            self.drop(target, fields)
            self.resent = 1
            time.sleep(0.3)
        for attempt in range(ATTEMPTS):
            try:
                status, headers, _ = fleet.Respondent.call(self, "POST", target, fields,
                                                           expect=(303, 410))
            except fleet.Failure:
                if attempt == ATTEMPTS - 1:
                    raise
                self.retries += 1
                self.resent = 1
                time.sleep(0.2 * (attempt + 1))
                continue
            if status == 410:   # "your answers were already sent": the first send landed
                headers = {**headers, "location": "/selesai"}
            return status, headers, ""
        raise AssertionError("unreachable")

    def drop(self, target, fields) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request("POST", target, body=urlencode(fields), headers={
                "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
                "Content-Type": "application/x-www-form-urlencoded"})
        except OSError:
            pass
        finally:
            connection.close()
        self.requests += 1


def chaos(master: int, url: str, every: float, stop: threading.Event, log: Counter) -> None:
    """Kill a worker, then cut the database connections, and so on."""
    database = url.rsplit("/", 1)[1].split("?")[0]
    admin = make_engine(url).execution_options(isolation_level="AUTOCOMMIT")
    rng = random.Random(7)
    turn = 0
    while not stop.wait(every):
        if turn % 2 == 0:
            workers = fleet.worker_pids(master)
            if workers:
                os.kill(rng.choice(workers), signal.SIGKILL)
                log["workers killed"] += 1
        else:
            with admin.connect() as connection:
                cut = connection.execute(text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = :d AND pid <> pg_backend_pid()"), {"d": database}).scalar()
            log["connection cuts"] += 1
            log["connections cut"] += cut
        turn += 1
    admin.dispose()


def stored_markers(url: str, campaign_id: int) -> Counter:
    """Mix whatever waits in the pool, then count the stored responses per
    respondent marker."""
    from survey import create_app
    from survey.extensions import db
    from survey.models import Response
    from survey.services import responding

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": fleet.SECRET_KEY,
                      "JOB_RUNNER": "external", "INSTANCE_PATH": fleet.instance_folder()})
    with app.app_context():
        responding.mix_pending(db.session, campaign_id, minimum=1)
        markers = Counter()
        for answers in db.session.scalars(
                select(Response.answers).where(Response.campaign_id == campaign_id)):
            found = {v for k, v in answers.items() if k.endswith("_COMMENT")}
            markers.update(found or {"<no marker>"})
        db.engine.dispose()
    return markers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--respondents", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=300, help="upper bound of the run")
    parser.add_argument("--every", type=float, default=2, help="seconds between faults")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers")
    parser.add_argument("--offices", type=int, default=5)
    parser.add_argument("--postgres", default="postgresql://root@127.0.0.1:5432/test",
                        help="server to use (a database of its own is created and dropped)")
    parser.add_argument("--seed", type=int, default=2)
    args = parser.parse_args()

    log: Counter = Counter()
    with fleet.scratch_database(args.postgres, "bench_faults") as url:
        campaign = fleet.prepare(url, invited=args.respondents, offices=args.offices)
        port = fleet.free_port()
        with fleet.gunicorn(url, workers=args.workers, port=port) as master:
            stop = threading.Event()
            chaos_thread = threading.Thread(target=chaos,
                                            args=(master.pid, url, args.every, stop, log))
            chaos_thread.start()
            try:
                done, elapsed = fleet.run_fleet(
                    port, campaign, respondents=args.respondents, concurrency=args.concurrency,
                    seconds=args.seconds, seed=args.seed, make=Persistent)
            finally:
                stop.set()
                chaos_thread.join()
        markers = stored_markers(url, campaign.id)

    confirmed = {p.marker for p, outcome in done if outcome is True}
    failed = [(p.marker, str(outcome)) for p, outcome in done if outcome is not True]
    resent = {p.marker for p, outcome in done if outcome is True and p.resent}
    stored = sum(markers.values())
    duplicated = sum(n - 1 for n in markers.values() if n > 1)
    lost = len(confirmed - set(markers))
    resent_once = sum(1 for m in resent if markers.get(m) == 1)
    print(f"PostgreSQL, gunicorn {args.workers} sync workers, {args.concurrency} respondents "
          f"at a time, {len(done)} respondents in {elapsed:.1f} s")
    print(f"  faults                    {log['workers killed']} workers killed, "
          f"{log['connection cuts']} cuts ({log['connections cut']} connections)")
    print(f"  taps repeated             {sum(p.retries for p, _ in done)}")
    print(f"  sends repeated            {len(resent)} respondents, "
          f"{resent_once} of them with exactly one stored response")
    print(f"  gave up                   {len(failed)}  {failed[:3]}")
    print(f"  confirmed                 {len(confirmed)}")
    print(f"  stored                    {stored}")
    print(f"  duplicated                {duplicated}")
    print(f"  lost                      {lost}")
    figures = {"confirmed": len(confirmed), "stored": stored, "duplicated": duplicated,
               "lost": lost, "gave_up": len(failed), "resent": len(resent),
               "resent_stored_once": resent_once, "workers_killed": log["workers killed"],
               "connection_cuts": log["connection cuts"]}
    # A run that ended before its first fault proves nothing about faults.
    faulted = log["workers killed"] >= 1 and log["connection cuts"] >= 1
    verdict = ("PASS" if faulted and duplicated == 0 and lost == 0 and resent_once == len(resent)
               else "FAIL")
    print(f"\nat least one worker killed and one cut, duplicated 0, lost 0, every re-sent "
          f"response stored once: {verdict}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
