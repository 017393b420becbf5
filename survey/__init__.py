"""Integrity survey platform: the Flask application package."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from sqlalchemy.orm import configure_mappers

from .config import ROOT, load_settings


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the application.

    Settings come from the environment (see :mod:`survey.config`); ``config``
    overrides them, which is how tests point the app at their database.
    """
    settings = load_settings()
    if config:
        settings.update(config)
    app = Flask(
        __name__,
        instance_path=settings["INSTANCE_PATH"],
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # Respondents may leave a page open for hours (a phone call, a queue);
        # the CSRF token lives as long as their session instead of an hour.
        WTF_CSRF_TIME_LIMIT=None,
        BABEL_DEFAULT_LOCALE=settings.get("DEFAULT_LANGUAGE", "id"),
        BABEL_TRANSLATION_DIRECTORIES=str(ROOT / "survey" / "translations"),
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
    )
    app.config.update(settings)
    # Times on staff pages (when results were computed) in the campaigns' zone.
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", app.config["TIMEZONE"])
    # Flask refuses (400) a Host outside this list; None admits any.
    app.config["TRUSTED_HOSTS"] = list(app.config.get("TRUSTED_HOSTS") or ()) or None
    app.config["PERMANENT_SESSION_LIFETIME"] = 86400 * app.config["PARTIAL_ANSWER_DAYS"]

    from . import web

    web.init_app(app)
    # The ORM works out how its classes relate once per process, when the
    # first object is built: here, not in a request (it was the first
    # respondent on each app process to send who waited for it).
    configure_mappers()
    return app
