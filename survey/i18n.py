"""Languages: Bahasa Indonesia first, English second.

The interface strings are gettext messages (Flask-Babel, catalogues in
``survey/translations``); instrument texts come from the instrument file as
``{id: ..., en: ...}`` and are picked with :func:`localized`.
"""

from __future__ import annotations

from collections.abc import Mapping

from babel import Locale
from flask import Flask, current_app, request
from flask.globals import _cv_app
from flask_babel import get_locale, get_translations
from flask_babel import gettext as _
from jinja2 import pass_eval_context
from markupsafe import Markup

LANGUAGES = ("id", "en")
LANGUAGE_NAMES = {"id": "Bahasa Indonesia", "en": "English"}
COOKIE = "lang"


#: Parsed once: Flask-Babel takes a Locale as it is, and parses a code anew
#: on every request.
_LOCALES = {code: Locale.parse(code) for code in LANGUAGES}


def select_locale() -> Locale | str:
    """The person's chosen language (a cookie), else the platform default.

    Accept-Language is not consulted: many phones in Indonesia are set to
    English, yet the survey speaks Indonesian until the person chooses.
    """
    chosen = request.cookies.get(COOKIE)
    if chosen not in LANGUAGES:
        chosen = current_app.config.get("DEFAULT_LANGUAGE", "id")
    return _LOCALES.get(chosen, chosen)


def _babel_context():
    """Where Flask-Babel keeps the locale of this app context (``g``), read
    without the ``g`` proxy: a page asks for the language and for messages
    some thirty times, and the proxy's lookups cost more than the answers.
    None outside an app context, or if a later Flask-Babel keeps it
    elsewhere (then every lookup asks Flask-Babel: slower, still right)."""
    context = _cv_app.get(None)
    if context is None:
        return None
    return getattr(context.g, "_flask_babel", None)


def _current():
    """(locale, translations, language code) of the current locale, found
    once per app context and locale. The locale is checked on every call,
    so ``force_locale`` within a request is followed."""
    babel = _babel_context()
    locale = getattr(babel, "babel_locale", None)
    cached = getattr(babel, "survey_current", None)
    if cached is not None and cached[0] is locale:
        return cached
    locale = get_locale()   # chooses (and records) the locale if not done yet
    if locale is None:      # outside a request and app context: Flask-Babel's fallback
        return None, get_translations(), "id"
    # The catalogues of a language, loaded by Flask-Babel once and kept
    # here by language: asking Flask-Babel costs a request some 20 us.
    catalogues = current_app.extensions.setdefault("survey_catalogues", {})
    language = str(locale)
    if language not in catalogues:
        catalogues[language] = get_translations()
    current = (locale, catalogues[language], language)
    babel = _babel_context()   # get_locale() may just have made it
    if babel is not None:
        babel.survey_current = current
    return current


def _translations():
    """Flask-Babel's translations for the current locale (see :func:`_current`)."""
    return _current()[1]


@pass_eval_context
def _template_gettext(eval_ctx, message: str, /, **variables):
    """Templates' ``_`` and ``gettext``: what Jinja's new-style gettext does
    (the message is markup when the template escapes, and ``%`` formatting
    escapes the variables), in one call instead of three. Its own arguments
    are positional only, so a message may have a ``%(message)s``. It asks
    for the evaluation context, not the template context: Jinja copies the
    latter for every call from a block or loop that sets variables."""
    text = _current()[1].ugettext(message)
    if eval_ctx.autoescape:
        text = Markup(text)  # noqa: S704 - our catalogues, as Jinja's own gettext takes them
    return text % variables


def install_template_gettext(app: Flask) -> None:
    """Templates' messages through :func:`_current` (after Flask-Babel
    installed its own): ``ngettext`` and the ``pgettext`` pair through
    Jinja's new-style wrappers, ``_`` and ``gettext`` through
    :func:`_template_gettext` (Jinja requires a ``gettext`` here too)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda message: _translations().ugettext(message),
        ngettext=lambda singular, plural, n: _translations().ungettext(singular, plural, n),
        pgettext=lambda context, message: _translations().upgettext(context, message),
        npgettext=lambda context, singular, plural, n: _translations().unpgettext(
            context, singular, plural, n),
        newstyle=True,
    )
    app.jinja_env.globals.update(_=_template_gettext, gettext=_template_gettext)


def current_language() -> str:
    return _current()[2]


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


def report_category_name(category: str) -> str:
    """A citizen report's category, as the reporter chose it."""
    return {
        "bribe": _("Bribe (suap)"),
        "levy": _("Illegal levy (pungli)"),
        "broker": _("Broker (calo)"),
        "gratuity": _("Gratuity (gratifikasi)"),
        "abuse": _("Abuse of authority"),
        "service": _("Slow or refused service"),
        "other": _("Other"),
    }.get(str(category), str(category))


def report_status_name(status: str) -> str:
    """Where a citizen report stands in the inspectorate's triage."""
    return {
        "received": _("Received"),
        "in_review": _("Under review"),
        "forwarded": _("Forwarded"),
        "verified": _("Verified"),
        "closed": _("Closed"),
    }.get(str(status), str(status))


def problem_text(problem) -> str:
    """Why a spreadsheet row was refused, in the person's language
    (:class:`survey.services.spreadsheets.RowProblem`)."""
    value = problem.value or ""
    column = problem.column or ""
    texts = {
        "empty_code": _("the office code is empty"),
        "bad_code": _("%(value)s is not an office code (letters, digits, . _ -; at most 40)",
                      value=value),
        "duplicate_code": _("office code %(value)s appears twice in the file", value=value),
        "empty_name": _("the name is empty"),
        "too_long": _("%(column)s is too long", column=column),
        "bad_population": _("%(column)s must be a whole number of at least 1, not %(value)s",
                            column=column, value=value),
        "unknown_parent": _("parent office %(value)s is neither in the file nor among the "
                            "offices", value=value),
        "cycle": _("parent office %(value)s lies below this office (a loop)", value=value),
        "empty_unit": _("the office code is empty"),
        "unknown_unit": _("no active office has the code %(value)s", value=value),
        "unknown_group": _("%(value)s is not a respondent group of this campaign",
                           value=value or "''"),
        "bad_phone": _("%(value)s is not a phone number", value=value),
        "not_mobile": _("%(value)s is not a mobile number (WhatsApp needs one)", value=value),
        "bad_email": _("%(value)s is not an email address", value=value),
        "no_contact": _("neither a phone number nor an email address"),
        "duplicate_in_campaign": _("%(value)s is already on this campaign's list", value=value),
        "duplicate_in_file": _("%(column)s is the same as in row %(value)s",
                               column=column, value=value),
    }
    return texts.get(problem.code, problem.code)


def verdict_text(verdict: str) -> str:
    """What the check of a message or link concluded, in plain words."""
    return {
        "genuine": _("This is a genuine link of this platform, for a survey that is open now."),
        "genuine_not_open": _("This link belongs to this platform, but its survey is not open "
                              "now (it has not started or has ended)."),
        "replaced": _("This link belonged to this platform but has been replaced by a newer "
                      "one; it no longer works. Use the most recent message you received."),
        "ours_unknown": _("The address is this platform's, but this platform never issued this "
                          "link. It may be cut off or mistyped: copy it again from the message."),
        "ours_other": _("The address is this platform's, but it is not a survey link."),
        "lookalike": _("Careful: this address imitates this platform's address but is a "
                       "different site. Do not open it and do not enter anything there."),
        "foreign": _("This link does not lead to this platform. Our survey links start only "
                     "with the address shown below."),
        "no_link": _("No link was found in the text. Paste the whole message or the link."),
    }.get(str(verdict), str(verdict))


def invitation_state(state: str) -> str:
    return {
        "not_sent": _("not sent"), "queued": _("waiting to be sent"), "sent": _("sent"),
        "failed": _("failed"), "unknown": _("fate unknown"), "answered": _("answered"),
        "replaced": _("replaced"),
    }.get(state, state)


def template_error_text(error) -> str:
    """Why a message text cannot be used (:class:`survey.services.messages.TemplateError`)."""
    value = error.value or ""
    return {
        "empty": _("A message text is empty."),
        "too_long": _("A message text is longer than %(n)s characters.", n=value),
        "braces": _("A message text has an unmatched brace: write placeholders as {office}."),
        "unknown_placeholder": _("%(value)s is not a placeholder.", value=value),
        "no_link": _("Every message needs the personal link: put {link} in it."),
    }.get(error.code, error.code)


def column_name(column: str | None) -> str:
    """A spreadsheet column as the person's language names it."""
    names = {"unit": _("unit"), "group": _("group"), "name": _("name"), "phone": _("phone"),
             "email": "email", "code": _("code"), "parent_code": _("parent code")}
    return names.get(column or "", column or "")
