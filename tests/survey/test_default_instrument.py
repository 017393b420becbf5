"""The default instrument set ``spi-standard`` (issue 2, item 5).

Loads the shipped YAML with the analysis loader only (no Flask), and checks
the content rules the form and the scoring rely on: coverage of the seven
dimensions, bilingual texts, score ranges, reverse-keyed items, skip logic,
coarse profile questions and the page order the form renders.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from analysis import Instrument, Question, load_instrument

REPO = Path(__file__).resolve().parents[2]
INSTRUMENT_PATH = REPO / "survey" / "instruments" / "spi-standard.yaml"

DIMENSIONS = ("transparansi", "integritas_tugas", "pbj", "sdm", "trading_influence",
              "anggaran", "sosialisasi")
EXTERNAL_DIMENSIONS = ("transparansi", "integritas_tugas", "trading_influence", "sosialisasi")
MIN_SCORED = {"internal": 35, "external": 20, "expert": 15}
LANGUAGES = ("id", "en")


@pytest.fixture(scope="module")
def instrument() -> Instrument:
    return load_instrument(INSTRUMENT_PATH)


def scored(instrument: Instrument, group: str) -> list[Question]:
    return [q for q in instrument.questions_of(group) if q.scored]


def is_reverse_keyed(question: Question) -> bool:
    """A scored choice question whose first option scores above its last scored option."""
    scores = [o.score for o in question.options if o.score is not None]
    return question.scored and question.type == "choice" and len(scores) >= 2 \
        and question.options[0].score is not None and question.options[0].score > scores[-1]


def pages(instrument: Instrument, group: str) -> list[list[Question]]:
    """The form's pages for a group: profile, one per dimension, closing."""
    questions = instrument.questions_of(group)
    first = next(i for i, q in enumerate(questions) if q.scored)
    profile = list(questions[:first])
    by_dimension = [[q for q in questions if q.scored and q.dimension == d]
                    for d in instrument.dimensions]
    closing = [q for q in questions[first:] if not q.scored]
    return [profile, *[p for p in by_dimension if p], closing]


def page_index(instrument: Instrument, group: str) -> dict[str, tuple[int, int]]:
    """Question id -> (page number, position on the page)."""
    return {q.id: (n, i) for n, page in enumerate(pages(instrument, group))
            for i, q in enumerate(page)}


def test_does_the_default_instrument_load_without_warnings(instrument):
    assert instrument.warnings == ()


def test_are_id_version_target_and_bands_as_specified(instrument):
    assert (instrument.id, instrument.version, instrument.target) == ("spi-standard", "2026.2", 72)
    assert [(b.key, b.min) for b in instrument.bands] == [
        ("rentan", 0), ("waspada", 73), ("terjaga", 78)]


def test_are_groups_and_dimensions_as_specified(instrument):
    assert {k: (g.weight, g.min_n) for k, g in instrument.groups.items()} == {
        "internal": (0.45, 5), "external": (0.35, 5), "expert": (0.20, 3)}
    assert instrument.dimensions == DIMENSIONS
    assert set(instrument.dimension_labels) == set(DIMENSIONS)


def test_does_the_file_state_the_quality_defaults_explicitly():
    raw = yaml.safe_load(INSTRUMENT_PATH.read_text(encoding="utf-8"))
    assert raw["quality"] == {"min_scored_answers": 5, "speeder_seconds_per_item": 2.0,
                              "straightline_min_items": 10, "coordinated_min_cluster": 5}


@pytest.mark.parametrize("group", sorted(MIN_SCORED))
def test_does_the_group_have_enough_scored_questions(instrument, group):
    assert len(scored(instrument, group)) >= MIN_SCORED[group]


def test_does_internal_cover_every_dimension_at_least_four_times(instrument):
    counts = {d: 0 for d in DIMENSIONS}
    for q in scored(instrument, "internal"):
        counts[q.dimension] += 1
    assert min(counts.values()) >= 4, counts


def test_does_external_cover_the_four_named_dimensions(instrument):
    covered = {q.dimension for q in scored(instrument, "external")}
    assert set(EXTERNAL_DIMENSIONS) <= covered


def test_does_every_text_label_and_help_have_indonesian_and_english(instrument):
    texts = {"title": instrument.title, "description": instrument.description}
    texts.update({f"dimension_labels.{d}": t for d, t in instrument.dimension_labels.items()})
    texts.update({f"groups.{k}.label": g.label for k, g in instrument.groups.items()})
    texts.update({f"bands.{b.key}.label": b.label for b in instrument.bands})
    for q in instrument.questions:
        texts[f"{q.id}.text"] = q.text
        if q.help:
            texts[f"{q.id}.help"] = q.help
        for o in q.options:
            texts[f"{q.id}.options.{o.code}.label"] = o.label
    missing = [where for where, text in texts.items()
               if any(not (text.get(lang) or "").strip() for lang in LANGUAGES)]
    assert missing == []


def test_do_scored_questions_score_from_0_to_100(instrument):
    for q in instrument.questions:
        if q.scored:
            scores = [o.score for o in q.options if o.score is not None]
            assert all(0 <= s <= 100 for s in scores), q.id
            assert (min(scores), max(scores)) == (0, 100), q.id


def test_do_four_point_scales_use_codes_1_to_4_evenly_spaced(instrument):
    steps = [0, 33.3333, 66.6667, 100]
    for q in instrument.questions:
        codes = [o.code for o in q.options if o.score is not None]
        if q.scored and len(codes) == 4:
            assert codes == ["1", "2", "3", "4"], q.id
            scores = [o.score for o in q.options if o.score is not None]
            assert scores in (steps, steps[::-1]), q.id
            assert all(o.code == "9" for o in q.options if o.score is None), q.id


def test_does_each_group_have_skip_logic(instrument):
    for group in instrument.groups:
        assert any(q.show_if for q in instrument.questions_of(group)), group


def test_are_there_at_least_three_reverse_keyed_questions(instrument):
    assert sum(is_reverse_keyed(q) for q in instrument.questions) >= 3


def test_do_the_reverse_keyed_comments_match_the_scores(instrument):
    text = INSTRUMENT_PATH.read_text(encoding="utf-8")
    marked = set(re.findall(r"^\s*- id: (\w+)\s*# reverse-keyed\s*$", text, re.MULTILINE))
    assert marked == {q.id for q in instrument.questions if is_reverse_keyed(q)}


def test_are_profile_questions_unscored_optional_choices(instrument):
    gates = {q.show_if.question for q in instrument.questions if q.show_if}
    for group in instrument.groups:
        profile = pages(instrument, group)[0]
        assert profile, group
        for q in profile:
            assert q.type == "choice" and q.dimension is None, q.id
            assert q.options and all(o.score is None for o in q.options), q.id
            # Only a gate that decides which questions apply may be required,
            # and then its help must not say it may be skipped.
            if q.required:
                assert q.id in gates, q.id
                assert "skip" not in q.help["en"].lower(), q.id


def test_does_the_demo_show_a_required_question(instrument):
    assert [q.id for q in instrument.questions if q.required] == ["EXT_PROFILE_2"]


def test_are_each_groups_questions_written_in_page_order(instrument):
    for group in instrument.groups:
        in_pages = [q.id for page in pages(instrument, group) for q in page]
        assert in_pages == [q.id for q in instrument.questions_of(group)], group


def test_does_every_show_if_depend_on_the_same_or_an_earlier_page(instrument):
    for group in instrument.groups:
        where = page_index(instrument, group)
        for q in instrument.questions_of(group):
            if q.show_if:
                assert where[q.show_if.question] < where[q.id], q.id


def test_are_required_questions_at_most_a_handful(instrument):
    assert sum(q.required for q in instrument.questions) <= 5


def test_do_text_questions_have_a_max_length(instrument):
    for q in instrument.questions:
        if q.type == "text":
            assert q.max_length, q.id


def test_is_the_internal_questionnaire_short_enough_for_a_phone(instrument):
    # About 15 seconds a question keeps the longest path near 12 minutes.
    assert len(instrument.questions_of("internal")) <= 50
