"""The respondent's questionnaire, built from the pinned instrument (domain
rules, not a Flask-WTF form: views, templates and services all use it).

A group's questions are laid out on pages: a profile page (the unscored
questions before the group's first scored one), one page per dimension in the
instrument's order, and a closing page for the remaining unscored questions.
A block too tall for two phone screens is split over several pages, as few
and as even as fit (:func:`estimated_height`). ``show_if`` is evaluated here,
on the server, so the form works without JavaScript.

Everything here is a pure function of the instrument and the submitted form
data; the views turn :class:`Tampered` into a 400 and :class:`PageResult`
errors into messages beside the questions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from analysis import Instrument, Question

TEXT_LIMIT = 2000  # characters, where the instrument sets no max_length

# How tall questions are on a 390 x 844 phone, estimated from their text, so
# that no page is taller than two screens (1,688 px). Calibrated against
# Chromium with static/css/app.css; tests/e2e/test_page_height.py measures
# the real pages of the default instrument.
QUESTIONS_BUDGET_PX = 1090  # two screens less the page around the questions (< 600 px)
_QUESTION_PX = 58  # a question's frame: padding, border, the gap below it
_LINE_PX = 27  # one line of a question's text (bold, 17 px)
_LEGEND_CHARS = 32  # characters per line of a question's text, with room for wrapping
_HELP_LINE_PX = 24
_HELP_CHARS = 44
_OPTION_PX = 54  # one option: a 48 px tap target and the gap below it
_OPTION_CHARS = 26  # characters per line of an option's label
_FIELD_PX = {"number": 60, "text": 150}

PROFILE_TITLE = {"id": "Tentang Anda", "en": "About you"}
CLOSING_TITLE = {"id": "Penutup", "en": "Closing"}


class Tampered(ValueError):
    """The submitted form could not have come from our page (an unknown
    option, a question of another page, a forged page number)."""


@dataclass(frozen=True)
class Page:
    """One page of the questionnaire."""

    number: int  # 1-based
    key: str  # "profile", a dimension key, or "closing"
    title: Mapping[str, str]
    questions: tuple[Question, ...]
    part: int = 1  # this page's place among the pages its block is split over
    parts: int = 1


@dataclass
class PageResult:
    """What a page's POST yields: its cleaned answers and per-question errors
    (message keys, translated by the template)."""

    answers: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


_PAGES: dict[tuple[str, str], tuple[Page, ...]] = {}


def build_pages(instrument: Instrument, group: str) -> tuple[Page, ...]:
    """The group's pages in order; pages without questions are left out.

    Cached per (instrument checksum, group): a request asks several times,
    and a version's text never changes."""
    key = (instrument.checksum, group)
    if instrument.checksum and key in _PAGES:
        return _PAGES[key]
    pages = _build_pages(instrument, group)
    if instrument.checksum:
        if len(_PAGES) > 256:
            _PAGES.clear()
        _PAGES[key] = pages
    return pages


def _build_pages(instrument: Instrument, group: str) -> tuple[Page, ...]:
    questions = instrument.questions_of(group)
    first_scored = next((i for i, q in enumerate(questions) if q.scored), len(questions))
    profile = tuple(q for q in questions[:first_scored] if q.dimension is None)
    closing = tuple(q for q in questions[first_scored:] if q.dimension is None)
    sections: list[tuple[str, Mapping[str, str], tuple[Question, ...]]] = []
    if profile:
        sections.append(("profile", PROFILE_TITLE, profile))
    for dimension in instrument.dimensions:
        members = tuple(q for q in questions if q.dimension == dimension)
        if members:
            title = instrument.dimension_labels.get(dimension) or {"id": dimension, "en": dimension}
            sections.append((dimension, title, members))
    if closing:
        sections.append(("closing", CLOSING_TITLE, closing))
    pages: list[Page] = []
    for key, title, members in sections:
        runs = split_questions(members, QUESTIONS_BUDGET_PX)
        for part, run in enumerate(runs, start=1):
            pages.append(Page(len(pages) + 1, key, title, run, part, len(runs)))
    return tuple(pages)


def _lines(text: str, per_line: int) -> int:
    return max(1, -(-len(text) // per_line))


def _longest(texts: Mapping[str, str] | None) -> str:
    # Pages are the same in every language: lay them out for the longest text.
    return max((texts or {}).values(), key=len, default="")


def estimated_height(question: Question) -> int:
    """Pixels ``question`` takes on a 390 px wide screen, shown, in its
    longer language; a little more rather than less. (Without JavaScript a
    question that depends on an answer on its own page also shows a one-line
    hint; with it, the hint stays hidden. Pages are laid out for the latter.)"""
    height = _QUESTION_PX + _LINE_PX * _lines(_longest(question.text), _LEGEND_CHARS)
    if question.required:
        height += _LINE_PX // 2  # the "(required)" marker may wrap
    if question.help:
        height += 16 + _HELP_LINE_PX * _lines(_longest(question.help), _HELP_CHARS)
    if question.options:
        height += sum(
            _OPTION_PX + _LINE_PX * (_lines(_longest(o.label) or o.code, _OPTION_CHARS) - 1)
            for o in question.options
        )
    else:
        height += _FIELD_PX.get(question.type, _FIELD_PX["text"])
    return height


def split_questions(questions: tuple[Question, ...], budget: int) -> list[tuple[Question, ...]]:
    """``questions`` cut into consecutive runs, each within ``budget``
    pixels (a question taller than that alone gets a page of its own): as
    few runs as possible, and among those the one whose tallest run is the
    shortest, so that a block splits evenly instead of leaving one question
    on a last page. The order is kept, so a ``show_if`` source never moves
    after the question it controls."""
    heights = [estimated_height(q) for q in questions]
    for parts in range(1, len(questions) + 1):
        bounds, tallest = _even_cut(heights, parts)
        if tallest <= budget or parts == len(questions):
            return [questions[start:end] for start, end in bounds]
    return []


def _even_cut(heights: list[int], parts: int) -> tuple[list[tuple[int, int]], int]:
    """The cut of ``heights`` into ``parts`` consecutive runs whose tallest
    sum is the smallest (linear partition, by dynamic programming)."""
    n = len(heights)
    before = [0]
    for height in heights:
        before.append(before[-1] + height)
    infinite = float("inf")
    # best[k][i]: the smallest tallest run for the first i heights in k runs;
    # start[k][i]: where the last of those runs begins.
    best = [[infinite] * (n + 1) for _ in range(parts + 1)]
    start = [[0] * (n + 1) for _ in range(parts + 1)]
    best[0][0] = 0
    for k in range(1, parts + 1):
        for i in range(k, n + 1):
            for j in range(k - 1, i):
                tallest = max(best[k - 1][j], before[i] - before[j])
                if tallest < best[k][i]:
                    best[k][i], start[k][i] = tallest, j
    bounds, end = [], n
    for k in range(parts, 0, -1):
        bounds.append((start[k][end], end))
        end = start[k][end]
    return bounds[::-1], int(best[parts][n])


def layout_problems(instrument: Instrument) -> list[str]:
    """Reasons the instrument cannot be shown as pages: a ``show_if`` whose
    source question sits on a later page than the question it controls."""
    problems = []
    for group in instrument.groups:
        page_of = {
            q.id: page.number for page in build_pages(instrument, group) for q in page.questions
        }
        for question in instrument.questions_of(group):
            if question.show_if and page_of[question.show_if.question] > page_of[question.id]:
                problems.append(
                    f"{question.id}: its show_if source {question.show_if.question} would be "
                    f"on a later page; place it on the same or an earlier page"
                )
    return problems


def is_shown(question: Question, answers: Mapping[str, str]) -> bool:
    """Whether ``question`` applies given the answers so far."""
    if question.show_if is None:
        return True
    given = answers.get(question.show_if.question, "")
    return any(code in question.show_if.codes for code in given.split(";") if code)


def prune_hidden(instrument: Instrument, group: str, answers: Mapping[str, str]) -> dict[str, str]:
    """Drop answers to questions that no longer apply (after an earlier
    answer changed), in question order so that chains of conditions resolve."""
    kept: dict[str, str] = {}
    for question in instrument.questions_of(group):
        value = answers.get(question.id)
        if value and is_shown(question, kept):
            kept[question.id] = value
    return kept


def applicable_pages(pages: tuple[Page, ...], answers: Mapping[str, str]) -> tuple[Page, ...]:
    """The pages that have at least one question to show, given the answers
    so far. A page whose every question an earlier answer hides is skipped:
    a citizen who used no service never sees an empty service page."""
    return tuple(p for p in pages if any(is_shown(q, answers) for q in p.questions))


def expected_pages(pages: tuple[Page, ...], answers: Mapping[str, str],
                   done: set[int]) -> tuple[Page, ...]:
    """The pages the person will see, as far as can be told now: those with
    a question shown, and those with a question that waits on an answer not
    given yet, on a page not saved yet. The progress line counts these, so the intro, the
    first page and every page after it give the same total until an answer
    closes pages (a citizen who used no service skips the service pages)."""
    unsaved = {q.id for p in pages if p.number not in done for q in p.questions}
    may_show: dict[str, bool] = {}  # in page order: a source comes before its question
    for page in pages:
        for q in page.questions:
            source = q.show_if.question if q.show_if else None
            may_show[q.id] = is_shown(q, answers) or (
                source in unsaved and not answers.get(source) and may_show.get(source, False))
    return tuple(p for p in pages if any(may_show[q.id] for q in p.questions))


def first_open_page(pages: tuple[Page, ...], done: set[int],
                    answers: Mapping[str, str] | None = None) -> int:
    """Where a returning respondent continues: the first applicable page not
    yet saved, else the last applicable page (where the answers are sent)."""
    return first_open_of(applicable_pages(pages, answers or {}), done)


def first_open_of(visible: tuple[Page, ...], done: set[int]) -> int:
    """:func:`first_open_page` among pages already known to apply."""
    for page in visible:
        if page.number not in done:
            return page.number
    return visible[-1].number if visible else 1


def read_page(
    page: Page,
    form: Mapping,
    prior: Mapping[str, str],
    *,
    pages: tuple[Page, ...],
    check_required: bool = True,
) -> PageResult:
    """Clean one page's POST.

    ``form`` is the request form (a MultiDict: ``getlist`` is used for multi
    questions). ``prior`` are the answers saved from the other pages.

    Raises
    ------
    Tampered
        For input no honest browser sends.
    """
    own_ids = {q.id for q in page.questions}
    other_ids = {q.id for p in pages if p is not page for q in p.questions}
    for name in form:
        if name in other_ids:
            raise Tampered(f"answer to {name}, which is not on page {page.number}")
    result = PageResult()
    # Later questions on this page may depend on earlier ones on it.
    seen = {k: v for k, v in prior.items() if k not in own_ids}
    for question in page.questions:
        values = [v for v in form.getlist(question.id) if v != ""]
        shown = is_shown(question, seen)
        if not shown:
            if values and question.show_if.question not in own_ids:
                # Hidden by an answer on an earlier page: the page we sent
                # had no such question.
                raise Tampered(f"answer to {question.id}, which is hidden")
            if values:
                # Hidden by an answer on this page. Without JavaScript the
                # question stayed on screen, and a radio button cannot be
                # unticked, so the answer is dropped (after checking that it
                # is a valid one) instead of asking the person to clear it.
                try:
                    _clean(question, values)
                except _Invalid:
                    pass
            continue
        try:
            value = _clean(question, values)
        except _Invalid as invalid:
            result.errors[question.id] = invalid.key
            continue
        if value:
            result.answers[question.id] = value
            seen[question.id] = value
        elif question.required and check_required:
            result.errors[question.id] = "required"
    return result


def validate_response(
    instrument: Instrument, group: str, answers: Mapping[str, str]
) -> dict[str, str]:
    """Check a whole response before it is stored: every value valid for its
    question, no answer to a hidden question, every shown required question
    answered. Returns {question id: error key}; empty means valid."""
    errors: dict[str, str] = {}
    known = {q.id for q in instrument.questions_of(group)}
    for qid in answers:
        if qid not in known:
            errors[qid] = "unknown_question"
    seen: dict[str, str] = {}
    for question in instrument.questions_of(group):
        value = answers.get(question.id, "")
        if not is_shown(question, seen):
            if value:
                errors[question.id] = "not_applicable"
            continue
        if not value:
            if question.required:
                errors[question.id] = "required"
            continue
        try:
            cleaned = _clean(question, value.split(";") if question.type == "multi" else [value])
        except (_Invalid, Tampered):
            errors[question.id] = "invalid"
            continue
        if cleaned != value:
            errors[question.id] = "invalid"
        seen[question.id] = value
    return errors


class _Invalid(Exception):
    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


_NUMBER = re.compile(r"^-?\d{1,12}([.,]\d{1,6})?$")


def _clean(question: Question, values: list[str]) -> str:
    """The cell text for the submitted values, as stored and exported."""
    if not values:
        return ""
    if question.type == "choice":
        if len(values) > 1:
            raise Tampered(f"several answers to the single-choice question {question.id}")
        if question.option(values[0]) is None:
            raise Tampered(f"{values[0]!r} is not an option of {question.id}")
        return values[0]
    if question.type == "multi":
        codes = [o.code for o in question.options]
        for value in values:
            if value not in codes:
                raise Tampered(f"{value!r} is not an option of {question.id}")
        chosen = set(values)
        return ";".join(code for code in codes if code in chosen)  # option order, no repeats
    if len(values) > 1:
        raise Tampered(f"several values for {question.id}")
    raw = values[0].strip()
    if question.type == "number":
        if not raw:
            return ""
        if not _NUMBER.match(raw):
            raise _Invalid("not_a_number")
        number = Decimal(raw.replace(",", "."))
        if (question.min is not None and number < Decimal(str(question.min))) or (
            question.max is not None and number > Decimal(str(question.max))
        ):
            raise _Invalid("out_of_range")
        return format(number.normalize(), "f")
    limit = question.max_length or TEXT_LIMIT
    if len(raw) > limit:
        raise _Invalid("too_long")
    # Control characters other than line breaks have no place in an answer.
    return "".join(ch for ch in raw if ch in "\n\t" or ch.isprintable()).replace("\r", "")
