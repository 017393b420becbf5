"""Bahasa Indonesia first: every interface message is translated, and the
compiled catalogue the app reads matches its source."""

from __future__ import annotations

from babel.messages.extract import extract_from_file
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from survey.config import ROOT

CATALOGUE = ROOT / "survey" / "translations" / "id" / "LC_MESSAGES"
KEYWORDS = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None}


def _source_messages() -> set[str]:
    found = set()
    sources = [("python", p) for p in (ROOT / "survey").rglob("*.py")]
    sources += [("jinja2", p) for p in (ROOT / "templates").rglob("*.html")]
    for method, path in sources:
        for _line, message, _comments, _context in extract_from_file(
                method, str(path), keywords=KEYWORDS):
            found.add(message if isinstance(message, str) else message[0])
    return found


def _po():
    with open(CATALOGUE / "messages.po", "rb") as handle:
        return read_po(handle)


def test_every_interface_message_has_an_indonesian_translation():
    po = _po()
    untranslated = sorted(m for m in _source_messages() if not (po.get(m) and po.get(m).string))
    assert untranslated == []


def test_catalogue_has_no_stale_messages():
    used = _source_messages()
    stale = sorted(m.id for m in _po() if m.id and m.id not in used)
    assert stale == []


def test_compiled_catalogue_matches_its_source():
    with open(CATALOGUE / "messages.mo", "rb") as handle:
        compiled = {m.id: m.string for m in read_mo(handle) if m.id}
    source = {m.id: m.string for m in _po() if m.id and not m.fuzzy}
    assert compiled == source, "run: pybabel compile -d survey/translations"
