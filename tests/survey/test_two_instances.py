"""Two app servers, one database, one Redis: the way the platform scales out
(docs/operations.md). Two gunicorn processes of their own serve the test
database; a response sent to both at once is stored exactly once, and a rate
limit counts the requests of one client on both servers together."""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
import threading
import time

import httpx
import pytest
import redis
from sqlalchemy import func, select

from survey.models import Invitation, PendingResponse, Response

pytestmark = [pytest.mark.concurrency, pytest.mark.slow]

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
PARALLEL = 16
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_up(process: subprocess.Popen, base: str) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server at {base} exited with {process.returncode}")
        try:
            if httpx.get(base + "/healthz", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"the server at {base} did not start")


@pytest.fixture(scope="module")
def servers(database_url, _schema, tmp_path_factory):
    """Two gunicorn processes (one worker each) on the test database, sharing
    Redis. Each request names its client in X-Forwarded-For (one trusted
    proxy), as phones behind the reverse proxy would."""
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    # A key of this run's own: rate-limit keys are keyed hashes under it, so
    # counts from other runs sharing the Redis server never meet these.
    secret = secrets.token_hex(16)
    processes, bases = [], []
    for number in (1, 2):
        port = _free_port()
        env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": secret,
               "REDIS_URL": REDIS_URL, "RATE_LIMITS": "true", "PROXY_COUNT": "1",
               "ANONYMITY_BATCH": "1", "JOB_RUNNER": "external", "LOG_LEVEL": "WARNING",
               "INSTANCE_PATH": str(tmp_path_factory.mktemp(f"instance{number}"))}
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", "1", "--threads", "8", "-b",
             f"127.0.0.1:{port}", "--log-level", "warning", "survey:create_app()"],
            env=env, start_new_session=True))
        bases.append(f"http://127.0.0.1:{port}")
    try:
        for process, base in zip(processes, bases, strict=True):
            _wait_until_up(process, base)
        yield bases
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def _answer_all_but_the_last_page(base: str, path: str) -> tuple[str, str]:
    """Open the link on one server and answer pages 1 to 3 of the small
    instrument's four; returns the session cookie and the CSRF token."""
    with httpx.Client(base_url=base, headers={"X-Forwarded-For": "10.1.0.1"}) as phone:
        token = CSRF.search(phone.get(path).text).group(1)
        assert phone.post(path + "/mulai", data={"csrf_token": token}).status_code == 303
        pages = ({"INT_P1": "N"}, {"INT_A1": "3"}, {"INT_B2": "2"}) if path.startswith("/r/") \
            else ({"EXT_A1": "3"},)
        for number, answers in enumerate(pages, start=1):
            response = phone.post(f"{path}/{number}",
                                  data={**answers, "action": "next", "csrf_token": token})
            assert response.status_code == 303, (number, response.text[:300])
        return phone.cookies["session"], token


@pytest.mark.parametrize("kind", ["personal", "open"])
def test_a_response_sent_to_two_servers_at_once_is_stored_once(servers, factory, session, kind):
    campaign = factory.campaign()
    if kind == "personal":
        invitation, token = factory.invitation(campaign)
        path, last, final = f"/r/{token}", 4, {"INT_T": "dua server"}
    else:
        invitation, path = None, f"/o/{factory.open_link(campaign).code}"
        last, final = 2, {"EXT_B1": "2"}
    cookie, csrf = _answer_all_but_the_last_page(servers[0], path)

    barrier = threading.Barrier(PARALLEL)
    outcomes: list[tuple[int, str]] = []
    lock = threading.Lock()

    def send(number: int) -> None:
        # The same saved session on every tap (a double tap, a retry, the
        # link open on two phones), half of them reaching each server.
        with httpx.Client(base_url=servers[number % 2], follow_redirects=True, timeout=60,
                          headers={"X-Forwarded-For": f"10.2.0.{number + 1}"}) as phone:
            phone.cookies.set("session", cookie)
            barrier.wait()
            response = phone.post(f"{path}/{last}",
                                  data={**final, "action": "submit", "csrf_token": csrf})
            with lock:
                outcomes.append((response.status_code, response.url.path))

    threads = [threading.Thread(target=send, args=(n,)) for n in range(PARALLEL)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    finished = [o for o in outcomes if o == (200, "/selesai")]
    already = [o for o in outcomes if o[0] == 410]
    assert len(outcomes) == PARALLEL
    assert len(finished) == 1 and len(already) == PARALLEL - 1, outcomes
    stored = session.scalar(select(func.count()).select_from(Response))
    pending = session.scalar(select(func.count()).select_from(PendingResponse))
    assert stored + pending == 1
    if invitation is not None:
        assert session.scalar(select(Invitation.used).where(Invitation.id == invitation.id))


def test_a_rate_limit_counts_one_client_on_both_servers(servers):
    """/cek allows 20 checks a minute per client. Alternating between the two
    servers, one client's allowance shrinks by one per request, whichever
    server answers, and the 21st request is refused: without the shared
    Redis each server would allow 20 of its own."""
    if time.gmtime().tm_sec > 45:
        time.sleep(61 - time.gmtime().tm_sec)   # all 21 requests in one minute's window
    client = f"10.3.{secrets.randbelow(250)}.{secrets.randbelow(250)}"
    phones = [httpx.Client(base_url=base, headers={"X-Forwarded-For": client})
              for base in servers]
    try:
        tokens = [CSRF.search(phone.get("/cek").text).group(1) for phone in phones]
        remaining = []
        for number in range(20):
            phone = phones[number % 2]
            response = phone.post("/cek", data={"text": "Apakah pesan ini asli?",
                                                "csrf_token": tokens[number % 2]})
            assert response.status_code in (200, 422), response.status_code
            remaining.append(int(response.headers["X-RateLimit-Remaining"]))
        assert remaining == list(range(19, -1, -1))
        refused = phones[1].post("/cek", data={"text": "sekali lagi",
                                               "csrf_token": tokens[1]})
        assert refused.status_code == 429
    finally:
        for phone in phones:
            phone.close()
