"""Methodology v1.1 (shared/design/methodology.md, "Changes"): the band of
the index as people see it, SEs and variances that are zero up to rounding,
and an instrument group with no question."""

from __future__ import annotations

import math

import numpy as np
import pytest

import analysis
from analysis._estimates import GroupEstimates, combine_units

SPI_BANDS = [{"key": "rentan", "min": 0}, {"key": "waspada", "min": 73},
             {"key": "terjaga", "min": 78}]


@pytest.mark.parametrize(("final", "band"), [
    (72.995, "waspada"),      # shown as 73.00: never rentan
    (72.994999, "rentan"),    # shown as 72.99
    (72.9949, "rentan"),
    (77.995, "terjaga"),      # shown as 78.00
    (77.99, "waspada"),
    (73.0, "waspada"),
    (0.0, "rentan"),
    (100.0, "terjaga"),
])
def test_the_band_is_that_of_the_index_rounded_to_two_decimals(make_instrument, final, band):
    instrument = make_instrument(bands=SPI_BANDS)
    assert instrument.band_for(final) == band


@pytest.mark.parametrize(("correction", "shown", "band"), [
    (27.005, 72.995, "waspada"),
    (27.005001, 72.994999, "rentan"),
    (22.005, 77.995, "terjaga"),
])
def test_score_gives_the_band_of_the_shown_index(make_instrument, make_table, respondent,
                                                 correction, shown, band):
    instrument = make_instrument(bands=SPI_BANDS, target=72)
    full = {"I1": "5", "I2": "5", "I3": "5"}
    table = make_table(instrument, [respondent("U1", "internal", **full),
                                    respondent("U1", "internal", **full)])
    unit = analysis.score(table, instrument, corrections={"U1": correction}).unit("U1")
    # every answer scores 100: I = 100, F = 100 - C
    assert repr(unit.index) == repr(shown)
    assert unit.band == band


def _one_group(index: float, variance: float, n: int = 5) -> GroupEstimates:
    def row(value):
        return np.array([value])

    return GroupEstimates(n=row(n), population=row(np.nan),
                          dimension_n=np.array([[n]]), dimension_score=np.array([[index]]),
                          dimension_variance=np.array([[variance]]), index=row(index),
                          index_variance=row(variance))


@pytest.mark.parametrize(("final", "p_below"), [(72.0, 1.0), (71.9999999999, 0.0)])
def test_an_se_below_1e_9_counts_as_zero(final, p_below):
    combined = combine_units([_one_group(final, (5e-10) ** 2)], [np.array([0])],
                             group_weight=np.array([1.0]), min_n=np.array([2]),
                             correction=np.zeros(1), target=72.0, n_dimensions=1)
    assert combined.se[0] == pytest.approx(5e-10)
    # SE 0: p_below is 0 when F < T, else 1 (not t.cdf(0) = 0.5, nor a p
    # drawn from rounding noise divided by rounding noise)
    assert combined.p_below[0] == p_below


def test_an_se_of_1e_9_or_more_is_an_se(make_instrument):
    combined = combine_units([_one_group(72.0, (2e-9) ** 2)], [np.array([0])],
                             group_weight=np.array([1.0]), min_n=np.array([2]),
                             correction=np.zeros(1), target=72.0, n_dimensions=1)
    assert combined.p_below[0] == 0.5


def test_alpha_is_undefined_when_the_total_variance_is_zero_up_to_rounding(
        make_instrument, make_table, respondent, hand_document):
    # Two questions whose scores differ by 1e-10 points: a total variance of
    # about 1e-20, below (1e-12 x 100 x k)^2 = 4e-20 for k = 2.
    tiny = [{"code": "1", "score": 0}, {"code": "2", "score": 1e-10}]
    questions = [q for q in hand_document["questions"] if q["group"] == "external"]
    for question in questions:
        question["options"] = tiny
    instrument = make_instrument(questions=[q for q in hand_document["questions"]
                                            if q["group"] == "internal"] + [
        {**questions[0], "dimension": "d1"}, {**questions[1], "id": "E3", "dimension": "d1"}])
    answers = [("1", "1"), ("2", "2"), ("1", "2"), ("2", "1"), ("2", "2")]
    table = make_table(instrument, [respondent("U1", "external", E1=a, E3=b)
                                    for a, b in answers])
    reliability = {(r.group, r.dimension): r
                   for r in analysis.score(table, instrument).reliability}
    external = reliability[("external", "d1")]
    assert external.k == 2 and external.n == 5
    assert external.alpha is None and external.ci_low is None


GROUPLESS = """
id: groupless
version: "1"
target: 72
bands: [{key: rentan, min: 0}, {key: waspada, min: 73}]
groups:
  internal: {weight: 0.6, min_n: 2}
  expert: {weight: 0.4, min_n: 2}
dimensions: [d1]
quality: {min_scored_answers: 1}
questions:
  - {id: Q1, group: internal, dimension: d1, text: {en: q},
     options: [{code: "1", score: 0}, {code: "2", score: 100}]}
"""


def test_a_group_with_no_question_is_scored_and_its_respondents_are_incomplete(tmp_path):
    """The probe's crash: ValueError: cannot reshape array of size 0."""
    instrument = analysis.parse_instrument(GROUPLESS, source="groupless.yaml")
    responses = tmp_path / "responses.csv"
    responses.write_text("response_id,unit,group,duration_s,Q1\n"
                         "r1,U1,internal,,1\nr2,U1,internal,,2\n"
                         "r3,U1,expert,,\nr4,U1,expert,,\nr5,U1,expert,,\n", encoding="utf-8")
    table = analysis.read_responses(responses, instrument)
    assert table.groups["expert"].cells.shape == (3, 0)
    unit = analysis.score(table, instrument).unit("U1")
    assert unit.excluded.incomplete == 3
    assert unit.groups["expert"].n == 0 and unit.groups["expert"].eligible is False
    assert math.isclose(unit.index, 50.0) and unit.groups["internal"].n == 2
    screened = analysis.screen_responses(table, instrument)
    assert screened.excluded_by("expert", "incomplete").tolist() == [True, True, True]
