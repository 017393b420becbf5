"""Settings: declared once, documented in the README, read without surprises."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys

import pytest

from survey.config import ROOT, SETTINGS, ConfigError, load_settings

ROW = re.compile(r"^\| `([A-Z_]+)` \| (`[^`]*`|\(empty\)) \| (.+) \|$")


def _readme_table() -> dict[str, tuple[str, str]]:
    rows = {}
    for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines():
        found = ROW.match(line)
        if found:
            name, default, meaning = found.groups()
            rows[name] = ("" if default == "(empty)" else default.strip("`"), meaning)
    return rows


def test_readme_table_lists_every_setting_with_its_default_and_meaning():
    table = _readme_table()
    assert list(table) == [s.name for s in SETTINGS]
    for setting in SETTINGS:
        assert table[setting.name] == (setting.default, setting.help)


def test_every_setting_is_read_through_the_declaration(tmp_path):
    names = {s.name for s in SETTINGS}
    code = "\n".join(p.read_text() for p in (ROOT / "survey").rglob("*.py"))
    read = set(re.findall(r'config\["([A-Z_]+)"\]', code))
    flask_own = {"SECRET_KEY", "SECRET_KEY_FALLBACKS", "SESSION_COOKIE_SECURE",
                 "PERMANENT_SESSION_LIFETIME",
                 "SEND_FILE_MAX_AGE_DEFAULT"}
    assert read - names - flask_own == set()


def test_defaults_put_the_database_and_secret_in_the_instance_folder(tmp_path):
    settings = load_settings({"INSTANCE_PATH": str(tmp_path)})
    assert settings["DATABASE_URL"] == f"sqlite:///{tmp_path / 'survey.db'}"
    assert settings["ANONYMITY_BATCH"] == 5 and settings["DEFAULT_LANGUAGE"] == "id"
    assert settings["SESSION_COOKIE_SECURE"] is False


def test_secret_key_is_generated_once_kept_and_private(tmp_path):
    first = load_settings({"INSTANCE_PATH": str(tmp_path)})["SECRET_KEY"]
    second = load_settings({"INSTANCE_PATH": str(tmp_path)})["SECRET_KEY"]
    assert first == second and len(first) == 64
    mode = stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode)
    assert mode == 0o600


def test_secret_key_from_environment_wins(tmp_path):
    settings = load_settings({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "from-env"})
    assert settings["SECRET_KEY"] == "from-env"
    assert not (tmp_path / "secret_key").exists()


@pytest.mark.parametrize(("name", "value", "says"), [
    ("ANONYMITY_BATCH", "0", "at least 1"),
    ("PARTIAL_ANSWER_DAYS", "thirty", "invalid literal"),
    ("SESSION_COOKIE_SECURE", "maybe", "true or false"),
    ("DEFAULT_LANGUAGE", "fr", "id or en"),
    ("LOG_LEVEL", "loud", "DEBUG, INFO"),
    ("TIMEZONE", "Mars/Olympus_Mons", "time zone name"),
])
def test_bad_values_name_the_variable_in_one_line(tmp_path, name, value, says):
    with pytest.raises(ConfigError) as raised:
        load_settings({"INSTANCE_PATH": str(tmp_path), name: value})
    message = str(raised.value)
    assert message.startswith(f"{name}={value!r}") and says in message and "\n" not in message


def test_session_cookies_follow_a_changed_secret_key_and_its_fallbacks(app, client):
    """The session's serializer is made once per secret key
    (survey/web.py): a new key refuses cookies signed under the old one,
    unless the old one is listed in SECRET_KEY_FALLBACKS."""
    old = app.secret_key
    with client.session_transaction() as session:
        session["probe"] = "signed under the old key"
    app.secret_key = "another secret key, rotated by the operator"
    with client.session_transaction() as session:
        assert "probe" not in session
    app.config["SECRET_KEY_FALLBACKS"] = [old]
    with client.session_transaction() as session:
        assert session["probe"] == "signed under the old key"


def test_the_app_is_built_with_its_mappers_configured(tmp_path):
    """SQLAlchemy configures mappers when the first object is built; the app
    does it when it is created, so no request waits for it (survey/__init__.py).
    In a new process, where nothing configured them yet."""
    script = (
        "from sqlalchemy import inspect\n"
        "from survey.models import PendingResponse\n"
        "assert not inspect(PendingResponse).configured\n"
        "from survey import create_app\n"
        f"create_app({{'DATABASE_URL': 'sqlite:///{tmp_path}/s.db', 'SECRET_KEY': 'k' * 32,\n"
        f"            'INSTANCE_PATH': '{tmp_path}', 'JOB_RUNNER': 'external'}})\n"
        "assert inspect(PendingResponse).configured\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
