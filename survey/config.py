"""Every setting of the platform, declared once.

Settings come from environment variables. Each one is declared here with its
default and a one-line description; the README's configuration table lists
the same names and defaults, and a test keeps the two in step. Nothing reads
the environment at import time: :func:`load_settings` is called by the
application factory and by the ``survey`` command.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: The repository root: templates/, static/ and migrations/ live here.
ROOT = Path(__file__).resolve().parent.parent


class ConfigError(Exception):
    """A setting has a value that cannot be used; the message is one line."""


def _boolean(raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ValueError("expected true or false")


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise ValueError("expected a whole number of at least 1")
    return value


def _non_negative_int(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError("expected a whole number of at least 0")
    return value


def _language(raw: str) -> str:
    if raw not in ("id", "en"):
        raise ValueError("expected id or en")
    return raw


def _timezone(raw: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("expected a time zone name such as Asia/Jakarta") from None
    return raw


def _redis_url(raw: str) -> str:
    if raw and not raw.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError("expected a redis://, rediss:// or unix:// URL")
    return raw


def _job_runner(raw: str) -> str:
    if raw not in ("thread", "external"):
        raise ValueError("expected thread or external")
    return raw


def _smtp_tls(raw: str) -> str:
    value = raw.strip().lower()
    if value not in ("starttls", "ssl", "off"):
        raise ValueError("expected starttls, ssl or off")
    return value


def _port(raw: str) -> int:
    value = int(raw)
    if not 1 <= value <= 65535:
        raise ValueError("expected a port number from 1 to 65535")
    return value


def _http_url(raw: str) -> str:
    if not raw.startswith(("https://", "http://")):
        raise ValueError("expected an https:// URL")
    return raw.rstrip("/")


def _rate_limit(raw: str) -> str:
    from limits import parse_many

    try:
        parse_many(raw)
    except ValueError:
        raise ValueError("expected a rate such as 300/minute") from None
    return raw


def _list(raw: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def _rate_limit(raw: str) -> str:
    from limits import parse_many

    try:
        parse_many(raw)
    except ValueError:
        raise ValueError("expected limits such as 10 per hour;30 per day") from None
    return raw


def _positive_number(raw: str) -> float:
    value = float(raw)
    if not value > 0:
        raise ValueError("expected a number above 0")
    return value


def _log_level(raw: str) -> str:
    value = raw.upper()
    if value not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ValueError("expected DEBUG, INFO, WARNING or ERROR")
    return value


@dataclass(frozen=True)
class Setting:
    """One environment variable: its default (as the README shows it), how to
    read it, and what it does."""

    name: str
    default: str
    parse: Callable[[str], Any]
    help: str
    # A secret's value is never printed, not even in an error message.
    secret: bool = False


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "DATABASE_URL",
        "sqlite:///<instance>/survey.db",
        str,
        "SQLAlchemy database URL; SQLite runs in WAL mode, PostgreSQL via psycopg 3",
    ),
    Setting(
        "SECRET_KEY",
        "generated into <instance>/secret_key",
        str,
        "Signs sessions, CSRF tokens and resume cookies; keep it out of the repository",
    ),
    Setting(
        "INSTANCE_PATH",
        "instance/ in the checkout",
        str,
        "Folder for the SQLite file, the generated secret key and other local state",
    ),
    Setting(
        "PUBLIC_BASE_URL",
        "",
        str,
        "Official address used in invitation links, e.g. https://spi.example.go.id; "
        "empty = the address of the request",
    ),
    Setting(
        "TRUSTED_HOSTS",
        "",
        _list,
        "Comma-separated host names the platform answers to, e.g. spi.example.go.id "
        "(a leading dot admits subdomains); other Host headers get 400; empty = any host, "
        "and a page never shows the Host header",
    ),
    Setting(
        "DEFAULT_LANGUAGE",
        "id",
        _language,
        "Language of the interface until a person switches (id or en)",
    ),
    Setting(
        "SESSION_COOKIE_SECURE",
        "false",
        _boolean,
        "Send cookies over HTTPS only; set true in production",
    ),
    Setting(
        "PROXY_COUNT",
        "0",
        _non_negative_int,
        "Number of reverse proxies in front of the app whose X-Forwarded-* headers to trust",
    ),
    Setting(
        "STAFF_IDLE_MINUTES",
        "30",
        _positive_int,
        "Minutes without a request after which a staff session ends and the person signs "
        "in again",
    ),
    Setting(
        "PARTIAL_ANSWER_DAYS",
        "30",
        _positive_int,
        "Days unfinished answers are kept for resuming before they are deleted",
    ),
    Setting(
        "ANONYMITY_BATCH",
        "5",
        _positive_int,
        "Submitted responses are held back per office and respondent group, and stored "
        "together in random order once this many have arrived",
    ),
    Setting(
        "TIMEZONE",
        "Asia/Jakarta",
        _timezone,
        "Time zone of the campaign dates: when a survey opens and closes, and the date "
        "a response keeps",
    ),
    Setting("LOG_LEVEL", "INFO", _log_level, "Logging level: DEBUG, INFO, WARNING or ERROR"),
    Setting(
        "REDIS_URL",
        "",
        _redis_url,
        "Redis for rate limits shared by every app process, e.g. redis://127.0.0.1:6379/0; "
        "empty = each process counts in its own memory",
    ),
    Setting(
        "API_RATE_LIMIT",
        "300/minute",
        _rate_limit,
        "Requests one API token may make (e.g. 300/minute; several as 10/second;300/minute)",
    ),
    Setting(
        "WEBHOOK_ALLOW_LOCAL_HTTP",
        "false",
        _boolean,
        "Accept webhook endpoints at http://127.0.0.1 (tests and local receivers only); "
        "otherwise https:// only",
    ),
    Setting(
        "RATE_LIMITS",
        "true",
        _boolean,
        "Limit how often one client may start, submit, report or sign in; switch off only "
        "for load tests",
    ),
    Setting(
        "OPEN_LINK_START_LIMIT",
        "30 per hour;100 per day",
        _rate_limit,
        "How often one client may start an open-link questionnaire (Flask-Limiter syntax; "
        "people behind one shared address count together)",
    ),
    Setting(
        "OPEN_LINK_SUBMIT_LIMIT",
        "10 per hour;30 per day",
        _rate_limit,
        "How often one client may send an open-link questionnaire",
    ),
    Setting(
        "OPEN_LINK_ONCE_PER_BROWSER",
        "true",
        _boolean,
        "Accept one finished open-link response per browser, campaign and office (a signed "
        "cookie)",
    ),
    Setting(
        "SURGE_FACTOR",
        "3",
        _positive_number,
        "Flag an office when its open-link responses of one day exceed this many times its "
        "usual day (the median of the 14 days before)",
    ),
    Setting(
        "SURGE_MINIMUM",
        "20",
        _positive_int,
        "A day is never flagged with fewer open-link responses than this",
    ),
    Setting(
        "JOB_RUNNER",
        "thread",
        _job_runner,
        "Who runs background jobs (sending, refreshing results): thread = a thread in each "
        "app process; external = only `survey worker` processes",
    ),
    Setting(
        "INSPECTORATE_NAME",
        "",
        str,
        "The inspectorate named in every message and on the respondent pages, e.g. "
        "Inspektorat Kota Harapan Jaya; empty = the institution's name",
    ),
    Setting(
        "INSPECTORATE_CONTACT",
        "",
        str,
        "How respondents reach the inspectorate to ask whether a message is genuine "
        "(a phone number, an address or a page), shown in messages and on respondent pages",
    ),
    Setting(
        "OFFICIAL_SENDERS",
        "",
        _list,
        "Comma-separated WhatsApp numbers and email addresses the inspectorate sends "
        "invitations from, listed on the /cek page",
    ),
    Setting("SMTP_HOST", "", str, "Mail server for invitations by email; empty = no email"),
    Setting("SMTP_PORT", "587", _port, "Port of the mail server"),
    Setting("SMTP_USERNAME", "", str, "User name at the mail server; empty = no sign-in"),
    Setting("SMTP_PASSWORD", "", str, "Password at the mail server (never printed)",
            secret=True),
    Setting("SMTP_FROM", "", str,
            "Sender address of invitation emails, e.g. Inspektorat <spi@example.go.id>"),
    Setting(
        "SMTP_TLS",
        "starttls",
        _smtp_tls,
        "Encryption to the mail server: starttls, ssl (implicit TLS, usually port 465) or "
        "off (only for a server on the same machine)",
    ),
    Setting(
        "WHATSAPP_ACCESS_TOKEN",
        "",
        str,
        "Access token of the WhatsApp Business Cloud API (never printed); empty = "
        "sending through the API is a dry run",
        secret=True,
    ),
    Setting("WHATSAPP_PHONE_NUMBER_ID", "", str,
            "The Cloud API's id of the phone number invitations are sent from"),
    Setting("WHATSAPP_TEMPLATE", "", str,
            "Name of the approved message template (body parameters in README, Sending)"),
    Setting("WHATSAPP_TEMPLATE_LANGUAGE", "id", str,
            "Language code of the approved template, e.g. id or en"),
    Setting(
        "WHATSAPP_API_URL",
        "https://graph.facebook.com/v21.0",
        _http_url,
        "Base address of the Graph API, with its version",
    ),
)


def default_instance_path() -> Path:
    return ROOT / "instance"


def load_settings(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Read every setting from ``environ`` (default: the process environment).

    Returns a dict ready for ``app.config.update``. Derived defaults (the
    SQLite path and the secret key) are resolved against the instance folder,
    which is created if needed.

    Raises
    ------
    ConfigError
        Naming the variable and what is wrong with its value.
    """
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = environ.get(setting.name)
        if raw is None or raw == "":
            if setting.default.startswith(("sqlite:///<", "generated", "instance/")):
                continue  # derived below, once the instance folder is known
            raw = setting.default
        try:
            values[setting.name] = setting.parse(raw)
        except ValueError as exc:
            shown = "<hidden>" if setting.secret else repr(raw)
            raise ConfigError(f"{setting.name}={shown}: {exc}") from None

    instance = Path(values.get("INSTANCE_PATH") or default_instance_path()).resolve()
    values["INSTANCE_PATH"] = str(instance)
    try:
        instance.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"INSTANCE_PATH={str(instance)!r}: cannot create folder ({exc.strerror})"
        ) from None
    values.setdefault("DATABASE_URL", f"sqlite:///{instance / 'survey.db'}")
    if "SECRET_KEY" not in values:
        values["SECRET_KEY"] = _instance_secret(instance / "secret_key")
    values["PUBLIC_BASE_URL"] = values["PUBLIC_BASE_URL"].rstrip("/")
    return values


def _instance_secret(path: Path) -> str:
    """The secret key kept in the instance folder, created on first run.

    Written with mode 0600 so that other local users cannot read it.
    """
    try:
        existing = path.read_text().strip()
        if existing:
            return existing
    except FileNotFoundError:
        pass
    key = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race; use its key
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key
