"""Languages: Bahasa Indonesia first, English second.

The interface strings are gettext messages (Flask-Babel, catalogues in
``survey/translations``); instrument texts come from the instrument file as
``{id: ..., en: ...}`` and are picked with :func:`localized`.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import current_app, request
from flask_babel import get_locale
from flask_babel import gettext as _

LANGUAGES = ("id", "en")
LANGUAGE_NAMES = {"id": "Bahasa Indonesia", "en": "English"}
COOKIE = "lang"


def select_locale() -> str:
    """The person's chosen language (a cookie), else the platform default.

    Accept-Language is not consulted: many phones in Indonesia are set to
    English, yet the survey speaks Indonesian until the person chooses.
    """
    chosen = request.cookies.get(COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return current_app.config.get("DEFAULT_LANGUAGE", "id")


def current_language() -> str:
    return str(get_locale() or "id")


def localized(texts: Mapping[str, str] | None, fallback: str = "") -> str:
    """Pick the current language from an instrument text, falling back to
    Indonesian, then English, then any language given."""
    if not texts:
        return fallback
    language = current_language()
    for key in (language, "id", "en"):
        if texts.get(key):
            return texts[key]
    return next(iter(texts.values()), fallback)


def role_name(role: str) -> str:
    return {
        "admin": _("Administrator"),
        "inspector": _("Inspector"),
        "unit_manager": _("Head of office"),
        "auditor": _("Auditor"),
    }.get(str(role), str(role))


def status_name(status: str) -> str:
    return {"draft": _("draft"), "open": _("open"), "closed": _("closed")}.get(
        str(status), str(status)
    )
