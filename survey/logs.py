"""What may reach a log line, and what never does.

Personal-link tokens and report tracking codes are secrets, their hashes
tell who opened a link when, and answers are the respondents' own: none of
them may be written to a log, whatever fails. :class:`LogGuard` sits on the
deployment's log handlers and

* masks link tokens in messages and their arguments, also when the path is
  percent-encoded (``/r/N28%50zn...``, ``?next=%2Fr%2F<token>``);
* formats tracebacks itself, replacing the message of every database error
  in the chain by its type and SQLSTATE: a driver's message may quote a value
  ("Key (token_hash)=(...) already exists", "invalid input syntax: ...").

The engine is also created with ``hide_parameters=True``
(:mod:`survey.database`), so SQLAlchemy never puts bound values in an
exception's text in the first place.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Mapping

from sqlalchemy.exc import StatementError

# One character of a path, literally or percent-encoded (once or more:
# %2F, %252F...). Tokens are URL-safe base64: letters, digits, "_" and "-".
_ESCAPE = r"%(?:25)*"
_SLASH = rf"(?:/|{_ESCAPE}2F)"
_TOKEN_CHAR = rf"(?:[A-Za-z0-9_-]|{_ESCAPE}[0-9A-Fa-f]{{2}})"
# Personal links (/r/<token>) and the tracking codes of citizen reports
# (/lapor/<code>, not the /lapor/lacak and /lapor/terkirim pages).
_PREFIX = (rf"{_SLASH}(?:r|{_ESCAPE}72){_SLASH}"
           rf"|{_SLASH}lapor{_SLASH}(?!lacak\b|terkirim\b)")
_TOKEN_IN_PATH = re.compile(rf"({_PREFIX}){_TOKEN_CHAR}{{8,}}", re.IGNORECASE)

#: Exceptions whose message comes from the database driver.
_DRIVER_MODULES = ("sqlite3", "psycopg", "psycopg2", "psycopg_pool")


def redact(text: str) -> str:
    """``text`` with every personal-link token replaced by ``<token>``."""
    return _TOKEN_IN_PATH.sub(r"\1<token>", text)


def _is_driver_error(exc: BaseException) -> bool:
    return type(exc).__module__.split(".")[0] in _DRIVER_MODULES


def safe_message(exc: BaseException) -> str:
    """The exception's message as a log may show it: for database errors
    the driver's error type, SQLSTATE and statement (never its values or the
    driver's text); for others the message with tokens masked."""
    if isinstance(exc, StatementError):
        orig = exc.orig if isinstance(exc.orig, BaseException) else None
        cause = _driver_summary(orig) if orig is not None else type(exc).__name__
        return f"({cause}) [SQL: {redact(str(exc.statement))}]"
    if _is_driver_error(exc):
        return f"({_driver_summary(exc)})"
    return redact(str(exc))


def _driver_summary(exc: BaseException) -> str:
    kind = f"{type(exc).__module__}.{type(exc).__qualname__}"
    code = getattr(exc, "sqlstate", None) or getattr(exc, "sqlite_errorname", None)
    return f"{kind}, {code}" if code else kind


def format_exception(exc: BaseException) -> str:
    """A traceback like :func:`traceback.format_exception`'s, with every
    message in the chain passed through :func:`safe_message`."""
    chain: list[tuple[BaseException, str]] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    link = ""
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append((current, link))
        if current.__cause__ is not None:
            current, link = current.__cause__, (
                "\nThe above exception was the direct cause of the following exception:\n\n")
        elif current.__context__ is not None and not current.__suppress_context__:
            current, link = current.__context__, (
                "\nDuring handling of the above exception, another exception occurred:\n\n")
        else:
            current = None
    parts: list[str] = []
    for error, link in reversed(chain):
        if error.__traceback__ is not None:
            parts.append("Traceback (most recent call last):\n")
            parts.extend(traceback.format_tb(error.__traceback__))
        name = type(error).__qualname__
        module = type(error).__module__
        if module not in ("builtins", "__main__"):
            name = f"{module}.{name}"
        parts.append(f"{name}: {safe_message(error)}\n")
        parts.append(link)
    return "".join(parts).rstrip("\n")


class LogGuard(logging.Filter):
    """Masks tokens and database details in log records: the message,
    arguments given as a tuple (werkzeug, ours) or a mapping (gunicorn's
    access log), exceptions given as arguments, and the traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_clean(a) for a in record.args)
        elif isinstance(record.args, Mapping):
            record.args = {k: _clean(v) for k, v in record.args.items()}
        if record.exc_info and record.exc_info[1] is not None and not getattr(
                record, "_guarded", False):
            # Formatters print exc_text when it is set, instead of formatting
            # the exception again.
            record.exc_text = format_exception(record.exc_info[1])
            record._guarded = True
        return True


def _clean(value):
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, BaseException):
        return safe_message(value)
    return value


GUARD = LogGuard()

#: Loggers whose handlers get the guard. A filter on a logger would miss
#: records that propagate up from child loggers; on a handler it sees all.
LOGGERS = ("", "werkzeug", "gunicorn.access", "gunicorn.error")


def guard_handlers() -> None:
    """Put the guard on every handler of :data:`LOGGERS` (idempotent)."""
    for name in LOGGERS:
        for handler in logging.getLogger(name).handlers:
            handler.addFilter(GUARD)
