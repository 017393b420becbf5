"""The open-link rate limit is one limit for every app process: two
gunicorn instances on one Redis, answered alternately by one client, let
through no more than the limit between them (issue 8)."""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.security]

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
LIMIT = 3
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _redis_up() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping())
    except redis.RedisError:
        return False


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _serve(port: int, env: dict, log: Path) -> subprocess.Popen:
    with log.open("w") as output:   # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}",
             "--log-level", "warning", "survey:create_app()"],
            env=env, stdout=output, stderr=subprocess.STDOUT)


def _wait_ready(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"app on port {port} stopped: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    pytest.fail(f"app on port {port} did not answer within 60 s")


@pytest.fixture
def two_instances(app, tmp_path):
    """Two gunicorn processes of the app on one database and one Redis."""
    if not _redis_up():
        pytest.skip(f"no Redis at {REDIS_URL}")
    env = {**os.environ, "DATABASE_URL": app.config["DATABASE_URL"],
           "SECRET_KEY": app.config["SECRET_KEY"], "REDIS_URL": REDIS_URL,
           "INSTANCE_PATH": str(tmp_path / "instance"), "JOB_RUNNER": "external",
           "OPEN_LINK_START_LIMIT": f"{LIMIT} per hour", "PROXY_COUNT": "1",
           "LOG_LEVEL": "WARNING"}
    ports = [_free_port(), _free_port()]
    processes = [_serve(port, env, tmp_path / f"app{port}.log") for port in ports]
    try:
        for port, process in zip(ports, processes, strict=True):
            _wait_ready(port, process, tmp_path / f"app{port}.log")
        yield ports
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def _start(port: int, code: str, address: str) -> int:
    """One browser opening the open link and tapping Start on ``port``,
    from ``address`` (as the trusted proxy reports it)."""
    headers = {"X-Forwarded-For": address}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers,
                      timeout=30) as browser:
        intro = browser.get(f"/o/{code}")
        assert intro.status_code == 200, intro.text[:500]
        form = {"csrf_token": CSRF.search(intro.text).group(1)}
        stamp = re.search(r'name="started" value="([^"]+)"', intro.text)
        if stamp:
            form["started"] = stamp.group(1)
        return browser.post(f"/o/{code}/mulai", data=form).status_code


def test_two_app_processes_on_one_redis_share_the_open_link_limit(two_instances, factory):
    link = factory.open_link(factory.campaign())
    # An address of this run only, so that counts left in Redis by another
    # run (the key rotates daily) cannot meet this one.
    address = f"198.51.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"
    first, second = two_instances
    codes = [_start(port, link.code, address) for port in (first, second) * LIMIT]
    assert codes.count(303) == LIMIT, codes
    assert codes[LIMIT:] == [429] * LIMIT, codes
    # Each process alone would have let LIMIT through: both refuse now.
    assert _start(first, link.code, address) == 429
    assert _start(second, link.code, address) == 429
    # Another client is not held back by this one's count.
    other = f"203.0.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"
    assert _start(second, link.code, other) == 303
