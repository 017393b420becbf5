"""The questionnaire built from an instrument: pages, skip logic, cleaning."""

import pytest
from werkzeug.datastructures import MultiDict

import analysis
from survey.questionnaire import (
    QUESTIONS_BUDGET_PX,
    Tampered,
    build_pages,
    estimated_height,
    expected_pages,
    first_open_page,
    layout_problems,
    prune_hidden,
    read_page,
    validate_response,
)


@pytest.fixture
def instrument(small_instrument_text):
    return analysis.parse_instrument(small_instrument_text)


@pytest.fixture
def pages(instrument):
    return build_pages(instrument, "internal")


def test_pages_are_profile_then_dimensions_then_closing(pages):
    assert [p.key for p in pages] == ["profile", "alpha", "beta", "closing"]
    assert [q.id for q in pages[1].questions] == ["INT_A1", "INT_A2", "INT_A3"]
    assert [q.id for q in pages[3].questions] == ["INT_M", "INT_N", "INT_T"]


def test_show_if_source_on_a_later_page_is_a_layout_problem(small_instrument_text):
    SMALL_INSTRUMENT = small_instrument_text
    broken = SMALL_INSTRUMENT.replace(
        "show_if: {question: INT_P1, in: [Y]}", "show_if: {question: INT_A3, in: ['1']}"
    )
    # INT_B1 (page beta) depends on INT_A3 (page alpha): fine. Move the
    # dependency the other way to break it.
    assert layout_problems(analysis.parse_instrument(broken)) == []
    text = SMALL_INSTRUMENT.replace(
        "{id: INT_A3, group: internal, dimension: alpha,",
        "{id: INT_A3, group: internal, dimension: alpha, show_if: {question: INT_P1, in: [Y]},",
    )
    assert layout_problems(analysis.parse_instrument(text)) == []
    late = analysis.parse_instrument(
        SMALL_INSTRUMENT.replace(
            "  - {id: INT_M, group: internal, type: multi,",
            "  - {id: INT_Z, group: internal, dimension: alpha, text: {id: z, en: z}, options: *four,"
            " show_if: {question: INT_B2, in: ['1']}}\n  - {id: INT_M, group: internal, type: multi,",
        )
    )
    assert any("INT_Z" in p for p in layout_problems(late))


def test_hidden_question_on_earlier_page_condition_is_tampering(pages):
    beta = pages[2]
    with pytest.raises(Tampered):
        read_page(beta, MultiDict({"INT_B1": "2"}), {"INT_P1": "N"}, pages=pages)


def test_answer_to_a_question_hidden_by_the_same_page_is_dropped(pages):
    # Without JavaScript the question stays on screen and a radio button
    # cannot be unticked: the answer is dropped, not an error to fix.
    alpha = pages[1]
    result = read_page(alpha, MultiDict({"INT_A1": "4", "INT_A2": "1"}), {}, pages=pages)
    assert result.errors == {} and result.answers == {"INT_A1": "4"}


def test_invalid_code_for_a_question_hidden_by_the_same_page_is_still_tampering(pages):
    with pytest.raises(Tampered):
        read_page(pages[1], MultiDict({"INT_A1": "4", "INT_A2": "x"}), {}, pages=pages)


def test_unknown_option_code_is_tampering(pages):
    with pytest.raises(Tampered):
        read_page(pages[1], MultiDict({"INT_A1": "7"}), {}, pages=pages)


def test_two_answers_to_a_single_choice_question_is_tampering(pages):
    with pytest.raises(Tampered):
        read_page(pages[1], MultiDict([("INT_A1", "1"), ("INT_A1", "2")]), {}, pages=pages)


def test_answer_to_a_question_of_another_page_is_tampering(pages):
    with pytest.raises(Tampered):
        read_page(pages[1], MultiDict({"INT_A1": "1", "INT_B2": "1"}), {}, pages=pages)


def test_required_question_left_blank_is_reported(pages):
    result = read_page(pages[1], MultiDict({"INT_A3": "2"}), {}, pages=pages)
    assert result.errors == {"INT_A1": "required"}
    assert result.answers == {"INT_A3": "2"}


def test_going_back_does_not_require_answers(pages):
    result = read_page(pages[1], MultiDict(), {}, pages=pages, check_required=False)
    assert result.errors == {}


def test_multi_answers_are_joined_in_option_order(pages):
    result = read_page(pages[3], MultiDict([("INT_M", "c"), ("INT_M", "a")]), {}, pages=pages)
    assert result.answers == {"INT_M": "a;c"}


@pytest.mark.parametrize(
    ("raw", "cell"),
    [("150000", "150000"), ("12,5", "12.5"), (" 7 ", "7"), ("1e3", None), ("-1", None)],
)
def test_numbers_accept_decimal_comma_and_reject_the_rest(pages, raw, cell):
    result = read_page(pages[3], MultiDict({"INT_N": raw}), {}, pages=pages)
    assert result.answers.get("INT_N") == cell
    assert ("INT_N" in result.errors) == (cell is None)


def test_text_longer_than_max_length_is_reported(pages):
    result = read_page(pages[3], MultiDict({"INT_T": "x" * 201}), {}, pages=pages)
    assert result.errors == {"INT_T": "too_long"}


def test_text_loses_control_characters(pages):
    result = read_page(pages[3], MultiDict({"INT_T": "baik\x00\x07 sekali\r\n"}), {}, pages=pages)
    assert result.answers == {"INT_T": "baik sekali"}


def test_changing_an_earlier_answer_prunes_answers_that_no_longer_apply(instrument):
    answers = {"INT_P1": "N", "INT_B1": "3", "INT_B2": "4", "INT_A1": "4", "INT_A2": "1"}
    assert prune_hidden(instrument, "internal", answers) == {
        "INT_P1": "N",
        "INT_B2": "4",
        "INT_A1": "4",
    }


def test_whole_response_validation_names_each_problem(instrument):
    errors = validate_response(
        instrument, "internal", {"INT_A2": "1", "INT_A1": "3", "INT_X": "1", "INT_B2": "8"}
    )
    assert errors == {"INT_X": "unknown_question", "INT_A2": "not_applicable", "INT_B2": "invalid"}


def test_whole_response_validation_requires_required_questions(instrument):
    assert validate_response(instrument, "internal", {"INT_A3": "1"}) == {"INT_A1": "required"}


def test_resume_continues_at_first_page_not_saved(pages):
    assert first_open_page(pages, set()) == 1
    assert first_open_page(pages, {1, 2}) == 3
    assert first_open_page(pages, {1, 3}) == 2
    assert first_open_page(pages, {1, 2, 3, 4}) == 4


#: One dimension of seven agree-scale questions with long texts (about four
#: phone screens), the fourth shown only after an answer to the second.
LONG_DIMENSION = """
id: long
version: "1"
target: 72
bands: [{key: low, min: 0}]
groups: {internal: {weight: 1, min_n: 2}}
dimensions: [alpha, beta]
questions:
  - {id: P1, group: internal, type: choice, text: {id: Pengadaan?, en: Procurement?},
     options: [{code: Y, score: null}, {code: N, score: null}]}
""" + "".join(
    f"""  - {{id: A{n}, group: internal, dimension: alpha, options: &s{n} [{{code: "1", score: 0}},
       {{code: "2", score: 33.3333}}, {{code: "3", score: 66.6667}}, {{code: "4", score: 100}},
       {{code: "9", score: null}}],{" show_if: {question: A2, in: ['1']}," if n == 4 else ""}
       text: {{id: "{'Dalam 12 bulan terakhir, pertanyaan yang cukup panjang nomor ' * 2}{n}",
              en: "In the last 12 months, a rather long question {n}"}}}}
"""
    for n in range(1, 8)
) + """  - {id: B1, group: internal, dimension: beta, show_if: {question: P1, in: [Y]},
     text: {id: B, en: B}, options: [{code: "1", score: 0}, {code: "2", score: 100}]}
"""


def test_a_topic_taller_than_two_phone_screens_is_split_evenly_in_order():
    instrument = analysis.parse_instrument(LONG_DIMENSION)
    pages = build_pages(instrument, "internal")
    alpha = [p for p in pages if p.key == "alpha"]
    assert len(alpha) > 1
    assert [(p.part, p.parts) for p in alpha] == [(n, len(alpha)) for n in range(1, len(alpha) + 1)]
    assert [q.id for p in alpha for q in p.questions] == [f"A{n}" for n in range(1, 8)]
    sizes = [len(p.questions) for p in alpha]
    assert max(sizes) - min(sizes) <= 1, sizes  # even, not a lone question at the end
    for page in alpha:
        assert sum(estimated_height(q) for q in page.questions) <= QUESTIONS_BUDGET_PX
    # Fewer pages would not fit: each pair of neighbouring pages is too tall together.
    for first, second in zip(alpha, alpha[1:], strict=False):
        together = first.questions + second.questions
        assert sum(estimated_height(q) for q in together) > QUESTIONS_BUDGET_PX
    assert [p.number for p in pages] == list(range(1, len(pages) + 1))
    assert layout_problems(instrument) == []


def test_a_short_topic_stays_on_one_page(pages):
    assert all(p.parts == 1 for p in pages)


def test_page_count_includes_pages_that_wait_on_an_answer_not_saved_yet():
    instrument = analysis.parse_instrument(LONG_DIMENSION)
    pages = build_pages(instrument, "internal")
    beta = pages[-1]
    assert [q.id for q in beta.questions] == ["B1"]
    # Nothing saved: the intro and page 1 count every page.
    assert expected_pages(pages, {}, set()) == pages
    # P1 answered on page 1 but not saved yet: its answer decides.
    assert beta not in expected_pages(pages, {"P1": "N"}, set())
    # P1 left blank and page 1 saved: beta will not be shown.
    assert beta not in expected_pages(pages, {}, {1})
    assert beta in expected_pages(pages, {"P1": "Y"}, {1})
