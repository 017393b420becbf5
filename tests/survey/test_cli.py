"""The ``survey`` command: clear one-line errors, a demo that is safe to
run twice, staff accounts, migrations.

The commands run in this process (a new Python per case cost most of this
module's time); two smoke tests start the real command: ``python -m survey``
ending bad input with one line and exit code 2, and ``survey demo`` serving
the address it prints."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass

import pytest
from sqlalchemy import create_engine, func, select, text
from support import run_survey

from survey.models import Campaign, Response, StaffUser, Unit


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def run(monkeypatch, capsys):
    """``run(*args, env=...)`` runs ``survey *args`` in this process with
    ``env`` added to the environment; returns its exit code and output."""

    def run(*args: str, env: dict) -> Result:
        with monkeypatch.context() as patch:
            for name, value in env.items():
                patch.setenv(name, value)
            return Result(*run_survey(capsys, *args))

    return run


def run_process(*args, env: dict, timeout: int = 120) -> subprocess.CompletedProcess:
    """The real command, in a process of its own."""
    return subprocess.run([sys.executable, "-m", "survey", *args], capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, **env})


@pytest.fixture
def instance(tmp_path) -> dict:
    """An environment with its own instance folder and SQLite database."""
    return {"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}


def test_the_real_command_ends_bad_input_with_one_line_and_exit_code_2(tmp_path):
    result = run_process("db", "current", env={"INSTANCE_PATH": str(tmp_path),
                                               "DATABASE_URL": "this is not a url"})
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        result.stderr.strip()] and result.stderr.startswith("survey: error: ")
    assert "not a database URL" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(("url", "says"), [
    ("this is not a url", "not a database URL"),
    ("mysql+nosuchdriver://u@h/db", "DATABASE_URL mysql+nosuchdriver://u@h/db"),
    ("postgresql://someone:hunter2@127.0.0.1:1/nowhere", "cannot connect"),
    ("sqlite:////no/such/folder/x.db", "does not exist"),
])
def test_unusable_database_url_gives_one_line_and_exit_code_2(run, tmp_path, url, says):
    result = run("db", "current", env={"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": url})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("survey: error: ") and says in lines[0]
    assert "Traceback" not in result.stderr and "hunter2" not in result.stderr


def test_bad_setting_gives_one_line_and_exit_code_2(run, instance):
    result = run("db", "current", env={**instance, "ANONYMITY_BATCH": "none"})
    assert result.returncode == 2
    assert result.stderr.strip().startswith("survey: error: ANONYMITY_BATCH='none'")


def test_serve_refuses_a_database_without_schema(run, instance):
    result = run("serve", env=instance)
    assert result.returncode == 2 and "run `survey db upgrade` first" in result.stderr


def test_db_upgrade_downgrade_and_current(run, instance):
    from survey.database import head_revision

    head = head_revision()
    assert f"Schema at revision {head}." in run("db", "upgrade", env=instance).stdout
    assert run("db", "current", env=instance).stdout.startswith(head)
    down = run("db", "downgrade", "--yes", env=instance)
    assert "base (empty)" in down.stdout
    assert run("db", "current", env=instance).stdout.startswith("base (empty)")


def test_demo_seeds_a_city_once_and_is_safe_to_run_again(run, instance):
    first = run("demo", "--no-serve", env=instance)
    assert first.returncode == 0, first.stderr
    passwords = re.findall(r"@harapanjaya\.example\s+(\S+)", first.stdout)
    assert len(passwords) == 4
    second = run("demo", "--no-serve", env=instance)
    assert second.returncode == 0 and "already exists; nothing was changed" in second.stdout
    assert not any(p in second.stdout for p in passwords)

    engine = create_engine(instance["DATABASE_URL"])
    with engine.connect() as connection:
        units = connection.scalar(select(func.count()).select_from(Unit))
        responses = connection.scalar(select(func.count()).select_from(Response))
        statuses = sorted(connection.scalars(select(Campaign.status)))
        staff = connection.scalar(select(func.count()).select_from(StaffUser))
        per_unit = connection.execute(text(
            "SELECT unit_id, count(*) FROM response GROUP BY unit_id")).all()
    engine.dispose()
    assert units >= 12 and responses >= 5000 and staff == 4
    assert statuses == ["closed", "open"]
    assert min(n for _, n in per_unit) >= 30


def test_demo_serves_the_printed_address(instance):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with subprocess.Popen(
            [sys.executable, "-m", "survey", "demo", "--port", str(port)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, **instance}) as process:
        try:
            address = None
            deadline = time.monotonic() + 120
            while address is None and time.monotonic() < deadline:
                found = re.search(r"Serving on (http://\S+)", process.stdout.readline())
                address = found.group(1) if found else None
            assert address == f"http://127.0.0.1:{port}"
            page = ""
            for _ in range(50):
                try:
                    with urllib.request.urlopen(address + "/", timeout=5) as response:
                        page = response.read().decode()
                    break
                except OSError:
                    time.sleep(0.2)
            assert "Survei Integritas" in page and "SPI Kota Harapan Jaya" in page
        finally:
            process.terminate()
            process.wait(timeout=10)


def test_create_user_prints_a_generated_password_once(run, instance):
    run("db", "upgrade", env=instance)
    result = run("create-user", "--email", "Silvi@Inspektorat.example", "--role", "admin",
                 env=instance)
    assert result.returncode == 0
    assert "Created admin silvi@inspektorat.example." in result.stdout
    assert re.search(r"Password \(shown once\): \S{16}", result.stdout)


@pytest.mark.parametrize(("args", "says"), [
    (["--role", "unit_manager"], "needs --unit"),
    (["--role", "unit_manager", "--unit", "NOPE"], "no unit with code 'NOPE'"),
    (["--role", "admin", "--password", "short"], "at least 10 characters"),
    (["--role", "inspector"], "there is no institution yet"),
    (["--role", "auditor", "--institution", "NOPE"], "no institution with code 'NOPE'"),
])
def test_create_user_refuses_bad_requests_clearly(run, instance, args, says):
    run("db", "upgrade", env=instance)
    result = run("create-user", "--email", "x@y.example", *args, env=instance)
    assert result.returncode == 2 and says in result.stderr and "Traceback" not in result.stderr


def test_create_user_refuses_a_duplicate_email(run, instance):
    run("db", "upgrade", env=instance)
    run("create-user", "--email", "a@b.example", "--role", "admin", env=instance)
    again = run("create-user", "--email", "A@b.example", "--role", "auditor", env=instance)
    assert again.returncode == 2 and "already exists" in again.stderr


def test_password_in_the_query_string_is_never_printed(run, tmp_path):
    url = "postgresql://someone@127.0.0.1:1/nowhere?password=hunter2"
    result = run("db", "current", env={"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": url})
    assert result.returncode == 2 and "hunter2" not in result.stderr
    assert "password=REDACTED" in result.stderr


def test_unknown_revision_is_one_line_and_exit_code_2(run, instance):
    result = run("db", "upgrade", "nosuchrev", env=instance)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "nosuchrev" in lines[0] and "unexpected" not in lines[0]
