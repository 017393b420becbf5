"""Bahasa Indonesia first: every interface message is translated, and the
compiled catalogue the app reads matches its source."""

from __future__ import annotations

from babel.messages.extract import extract_from_file
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from survey.config import ROOT

CATALOGUE = ROOT / "survey" / "translations" / "id" / "LC_MESSAGES"
KEYWORDS = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None, "ngettext": (1, 2)}


def _source_messages() -> set[str]:
    found = set()
    sources = [("python", p) for p in (ROOT / "survey").rglob("*.py")]
    sources += [("jinja2", p) for p in (ROOT / "templates").rglob("*.html")]
    for method, path in sources:
        for _line, message, _comments, _context in extract_from_file(
                method, str(path), keywords=KEYWORDS):
            found.add(message if isinstance(message, str) else message[0])
    return found


def _key(message_id):
    """A message's id as a dictionary key: a plural's id is its singular form."""
    return message_id if isinstance(message_id, str) else message_id[0]


def _text(string):
    return string if isinstance(string, str) else tuple(string)


def _po():
    with open(CATALOGUE / "messages.po", "rb") as handle:
        return read_po(handle)


def test_every_interface_message_has_an_indonesian_translation():
    po = _po()
    translated = {_key(m.id) for m in po if m.id and (m.string if isinstance(m.string, str)
                                                      else all(m.string))}
    untranslated = sorted(_source_messages() - translated)
    assert untranslated == []


def test_catalogue_has_no_stale_messages():
    used = _source_messages()
    stale = sorted(_key(m.id) for m in _po() if m.id and _key(m.id) not in used)
    assert stale == []


def test_compiled_catalogue_matches_its_source():
    with open(CATALOGUE / "messages.mo", "rb") as handle:
        compiled = {_key(m.id): _text(m.string) for m in read_mo(handle) if m.id}
    source = {_key(m.id): _text(m.string) for m in _po() if m.id and not m.fuzzy}
    assert compiled == source, "run: pybabel compile -d survey/translations"


def test_templates_follow_the_language_also_when_it_changes_within_a_request(app):
    """Templates look their messages up once per request (a page asks for a
    dozen), yet a language forced for part of a request (as `survey
    report --lang` does) is followed, and the request's own comes back."""
    from flask import render_template_string
    from flask_babel import force_locale

    from survey.i18n import COOKIE

    page = "{{ _('Thank you') }} / {{ ngettext('%(num)d question not answered', " \
           "'%(num)d questions not answered', 2) }}"
    with app.test_request_context(headers={"Cookie": f"{COOKIE}=id"}):
        indonesian = render_template_string(page)
        with force_locale("en"):
            english = render_template_string(page)
        assert render_template_string(page) == indonesian
    assert english == "Thank you / 2 questions not answered"
    assert indonesian != english and "Terima kasih" in indonesian


def test_template_messages_escape_their_values_as_jinja_gettext_does(app):
    """Templates' ``_`` is our own single call (survey/i18n.py), and keeps
    what Jinja's new-style gettext promises: values put into a message are
    escaped, ``%%`` is a percent sign, and a template that does not escape
    gets plain text."""
    from flask import render_template_string

    from survey import i18n
    from survey.i18n import COOKIE

    assert app.jinja_env.globals["_"] is i18n._template_gettext
    with app.test_request_context(headers={"Cookie": f"{COOKIE}=en"}):
        escaped = render_template_string(
            "{{ _('Page %(n)s of %(total)s', n=name, total=3) }} {{ gettext('100%%') }}",
            name="<b>1</b>")
        named = render_template_string(
            "{{ _('%(message)s in %(context)s', message='a', context='b') }}")
        plain = app.jinja_env.from_string(
            "{% autoescape false %}{{ _('Page %(n)s of %(total)s', n=name, total=3) }}"
            "{% endautoescape %}").render(name="<b>1</b>")
    assert escaped == "Page &lt;b&gt;1&lt;/b&gt; of 3 100%"
    assert named == "a in b"   # values may share a name with the function's own arguments
    assert plain == "Page <b>1</b> of 3"
