"""Estimates worked by hand (methodology v1, section 4).

The hand instrument (conftest): options 1..5 score 0, 25, 50, 75, 100 and 9
is don't know; internal I1 (d1, w=1), I2 (d1, w=3), I3 (d2); external E1
(d1), E2 (d2); group weights 0.6 / 0.4, min_n 2. Each expected value has
its computation beside it.
"""

from __future__ import annotations

import dataclasses
import math

import pytest
from numpy.testing import assert_allclose
from scipy import stats

import analysis

RTOL = 1e-12


@pytest.fixture
def two_group_unit(make_instrument, make_table, respondent):
    """(table, instrument) of unit U1: two internal and two external respondents.

    internal r1 (v=1): I1=5 (100), I2=3 (50), I3=4 (75)
    internal r2 (v=3): I1=1 (0),   I2=5 (100), I3=2 (25)
    external e1 (v=1): E1=4 (75), E2=4 (75)
    external e2 (v=1): E1=2 (25), E2=3 (50)
    """
    instrument = make_instrument()
    table = make_table(instrument, [
        respondent("U1", "internal", 1.0, I1="5", I2="3", I3="4"),
        respondent("U1", "internal", 3.0, I1="1", I2="5", I3="2"),
        respondent("U1", "external", 1.0, E1="4", E2="4"),
        respondent("U1", "external", 1.0, E1="2", E2="3"),
    ])
    return table, instrument


def test_dimension_score_is_weighted_mean_of_respondent_scores(two_group_unit):
    result = analysis.score(*two_group_unit)
    internal = result.unit("U1").groups["internal"]
    # d_r1,d1 = (1*100 + 3*50)/4 = 62.5 ; d_r2,d1 = (1*0 + 3*100)/4 = 75
    # D_d1 = (1*62.5 + 3*75)/(1+3) = 71.875
    assert_allclose(internal.dimensions["d1"].score, 71.875, rtol=RTOL)
    # D_d2 = (1*75 + 3*25)/4 = 37.5
    assert_allclose(internal.dimensions["d2"].score, 37.5, rtol=RTOL)


def test_dimension_se_is_linearised_with_n_over_n_minus_1(two_group_unit):
    result = analysis.score(*two_group_unit)
    internal = result.unit("U1").groups["internal"]
    # z_r = v_r (d_r - D)/V: d1: 1*(62.5-71.875)/4 = -2.34375, 3*(75-71.875)/4 = 2.34375
    # Var = 2/1 * (2 * 2.34375^2) = 21.97265625 -> SE 4.6875
    assert_allclose(internal.dimensions["d1"].se, 4.6875, rtol=RTOL)
    # d2: z = (75-37.5)/4 = 9.375 and 3*(25-37.5)/4 = -9.375 -> Var = 2*2*87.890625 = 351.5625
    assert_allclose(internal.dimensions["d2"].se, 18.75, rtol=RTOL)


def test_group_index_and_se_combine_dimensions(two_group_unit):
    result = analysis.score(*two_group_unit)
    internal = result.unit("U1").groups["internal"]
    # equal omega: a = 1/2 each; G = (71.875 + 37.5)/2 = 54.6875
    assert_allclose(internal.index, 54.6875, rtol=RTOL)
    # z_G = (-2.34375 + 9.375)/2 = 3.515625 and -3.515625; Var = 2 * 2 * 3.515625^2 = 49.4384765625
    assert_allclose(internal.se, 7.03125, rtol=RTOL)


def test_unit_index_weighs_groups_and_adds_variances(two_group_unit):
    unit = analysis.score(*two_group_unit).unit("U1")
    # external: D_d1 = 50, D_d2 = 62.5, G = 56.25; z_G = (12.5 + 6.25)/2 = 9.375, -9.375
    # Var(G_ext) = 2 * 2 * 87.890625 = 351.5625
    assert_allclose(unit.groups["external"].index, 56.25, rtol=RTOL)
    assert_allclose(unit.groups["external"].se, 18.75, rtol=RTOL)
    # I = 0.6*54.6875 + 0.4*56.25 = 55.3125
    assert_allclose(unit.raw_index, 55.3125, rtol=RTOL)
    # Var(I) = 0.36*49.4384765625 + 0.16*351.5625 = 74.0478515625
    assert_allclose(unit.se, math.sqrt(74.0478515625), rtol=RTOL)
    # df = (2-1) + (2-1)
    assert unit.df == 2


def test_unit_dimension_scores_weigh_eligible_groups(two_group_unit):
    unit = analysis.score(*two_group_unit).unit("U1")
    # DU_d1 = 0.6*71.875 + 0.4*50 = 63.125; Var = 0.36*21.97265625 + 0.16*625 = 107.91015625
    assert_allclose(unit.dimensions["d1"].score, 63.125, rtol=RTOL)
    assert_allclose(unit.dimensions["d1"].se, math.sqrt(107.91015625), rtol=RTOL)
    # DU_d2 = 0.6*37.5 + 0.4*62.5 = 47.5; Var = 0.36*351.5625 + 0.16*156.25 = 151.5625
    assert_allclose(unit.dimensions["d2"].score, 47.5, rtol=RTOL)
    assert_allclose(unit.dimensions["d2"].se, math.sqrt(151.5625), rtol=RTOL)


def test_correction_interval_and_target_comparison(two_group_unit):
    unit = analysis.score(*two_group_unit, corrections={"U1": 2.5}, target=60).unit("U1")
    se = math.sqrt(74.0478515625)
    # F = 55.3125 - 2.5 = 52.8125; CI = F -/+ t(0.975, 2) SE, clipped to [0, 100]
    assert_allclose(unit.index, 52.8125, rtol=RTOL)
    half = stats.t.ppf(0.975, 2) * se  # 4.302652729911275 * 8.605106135...
    assert_allclose([unit.ci_low, unit.ci_high], [52.8125 - half, 52.8125 + half], rtol=RTOL)
    # gap = 52.8125 - 60; p_below = t.cdf(gap/SE, 2); one unit, so q = p
    assert_allclose(unit.gap, -7.1875, rtol=RTOL)
    assert_allclose(unit.p_below, stats.t.cdf(-7.1875 / se, 2), rtol=RTOL)
    assert_allclose(unit.q_below, unit.p_below, rtol=RTOL)
    assert unit.status == "uncertain"  # the interval contains 60
    assert unit.band == "waspada"      # 50 <= 52.8125 < 70


def test_dimension_weights_change_the_group_index(make_instrument, make_table, respondent):
    instrument = make_instrument(dimension_weights={"internal": {"d1": 3}})
    table = make_table(instrument, [
        respondent("U1", "internal", 1.0, I1="5", I2="3", I3="4"),
        respondent("U1", "internal", 3.0, I1="1", I2="5", I3="2"),
    ])
    internal = analysis.score(table, instrument).unit("U1").groups["internal"]
    # a = (3/4, 1/4): G = 0.75*71.875 + 0.25*37.5 = 63.28125
    assert_allclose(internal.index, 63.28125, rtol=RTOL)
    # z_G = 0.75*(-2.34375) + 0.25*9.375 = 0.5859375, and its negative; Var = 2*2*0.5859375^2
    assert_allclose(internal.se, 2 * 0.5859375, rtol=RTOL)


def test_a_missing_dimension_renormalises_the_group_index(make_instrument, make_table,
                                                          respondent):
    instrument = make_instrument()
    table = make_table(instrument, [
        respondent("U1", "internal", I1="5", I3="9"),  # d2 don't know: no d2 score
        respondent("U1", "internal", I1="3", I3=""),   # d2 blank
    ])
    internal = analysis.score(table, instrument).unit("U1").groups["internal"]
    # only d1 present: a_d1 = 1, G = D_d1 = (100 + 50)/2 = 75
    assert list(internal.dimensions) == ["d1"]
    assert_allclose(internal.index, 75.0, rtol=RTOL)


def test_respondent_without_a_dimension_still_counts_in_its_variance(make_instrument,
                                                                      make_table, respondent):
    instrument = make_instrument()
    table = make_table(instrument, [
        respondent("U1", "internal", I1="5", I3="5"),   # d1 100, d2 100
        respondent("U1", "internal", I1="1", I3="1"),   # d1 0,   d2 0
        respondent("U1", "internal", I1="9", I3="3"),   # no d1,  d2 50
    ])
    d1 = analysis.score(table, instrument).unit("U1").groups["internal"].dimensions["d1"]
    # D_d1 = 50 over 2 respondents; z = (100-50)/2 = 25, -25, and 0 for the third,
    # but n = 3 in the stratum: Var = 3/2 * 1250 = 1875 (R svyby domain mean)
    assert d1.n == 2
    assert_allclose(d1.se, math.sqrt(1875), rtol=RTOL)


# -- edge cases ---------------------------------------------------------------


def test_unit_with_no_eligible_group_is_insufficient(make_instrument, make_table, respondent):
    instrument = make_instrument()
    table = make_table(instrument, [
        respondent("U1", "internal", I1="5", I2="5", I3="5"),  # n = 1 < min_n 2
        respondent("U1", "external", E1="4", E2="4"),          # n = 1 < min_n 2
    ])
    unit = analysis.score(table, instrument).unit("U1")
    assert unit.status == "insufficient"
    assert unit.to_dict() | {"groups": None} == {
        "unit": "U1", "index": None, "raw_index": None, "correction": 0.0, "se": None,
        "df": None, "ci_low": None, "ci_high": None, "band": None, "gap": None,
        "status": "insufficient", "p_below": None, "q_below": None, "n": 2,
        "excluded": {"incomplete": 0, "speeder": 0, "straightline": 0, "coordinated": 0},
        "groups": None, "dimensions": {},
    }
    assert [g.eligible for g in unit.groups.values()] == [False, False]


def test_single_respondent_has_scores_but_no_se(make_instrument, make_table, respondent):
    instrument = make_instrument()
    table = make_table(instrument, [respondent("U1", "internal", I1="5", I2="3", I3="4")])
    internal = analysis.score(table, instrument).unit("U1").groups["internal"]
    # D_d1 = d_r = (100 + 3*50)/4 = 62.5; D_d2 = 75; G = 68.75; n < 2: SE null
    assert_allclose(internal.dimensions["d1"].score, 62.5, rtol=RTOL)
    assert_allclose(internal.index, 68.75, rtol=RTOL)
    assert internal.se is None
    assert internal.dimensions["d1"].se is None
    assert internal.dimensions["d1"].n == 1


def test_all_dont_know_is_excluded_as_incomplete(make_instrument, make_table, respondent):
    instrument = make_instrument(quality={"min_scored_answers": 1})
    table = make_table(instrument, [
        respondent("U1", "internal", I1="9", I2="9", I3="9"),  # s = 0 < 1
        respondent("U1", "internal", I1="9", I2="9", I3="9"),
        respondent("U1", "external", E1="4", E2="4"),
        respondent("U1", "external", E1="2", E2="3"),
    ])
    unit = analysis.score(table, instrument).unit("U1")
    assert unit.excluded.incomplete == 2
    assert unit.groups["internal"].n == 0
    assert unit.groups["internal"].index is None
    assert unit.groups["internal"].dimensions == {}
    # only external is eligible: I = G_ext = 56.25
    assert_allclose(unit.raw_index, 56.25, rtol=RTOL)


def test_all_dont_know_without_screening_leaves_the_group_out(make_instrument, make_table,
                                                              respondent):
    instrument = make_instrument()  # screening off: the two responses stay included
    table = make_table(instrument, [
        respondent("U1", "internal", I1="9", I2="9", I3="9"),
        respondent("U1", "internal", I1="9", I2="9", I3="9"),
        respondent("U1", "external", E1="4", E2="4"),
        respondent("U1", "external", E1="2", E2="3"),
    ])
    unit = analysis.score(table, instrument).unit("U1")
    internal = unit.groups["internal"]
    # n = 2 >= min_n, so eligible, but no dimension is present: G is undefined and
    # the group has nothing to weigh: b = (0, 1), I = 56.25, df = 2 - 1 = 1
    assert (internal.n, internal.eligible, internal.index, internal.se) == (2, True, None, None)
    assert_allclose(unit.raw_index, 56.25, rtol=RTOL)
    assert_allclose(unit.se, 18.75, rtol=RTOL)
    assert unit.df == 1


def test_all_dont_know_everywhere_is_insufficient(make_instrument, make_table, respondent):
    instrument = make_instrument()
    table = make_table(instrument, [
        respondent("U1", "internal", I1="9", I2="9", I3="9"),
        respondent("U1", "internal", I1="9", I2="9", I3="9"),
    ])
    unit = analysis.score(table, instrument).unit("U1")
    assert unit.status == "insufficient"
    assert unit.index is None


def test_population_smaller_than_respondents_gives_zero_se_and_a_warning(
        make_instrument, make_table, respondent, two_group_unit):
    table, instrument = two_group_unit
    result = analysis.score(table, instrument, populations={("U1", "internal"): 1})
    internal = result.unit("U1").groups["internal"]
    # f = max(0, 1 - 2/1) = 0: every internal variance is 0
    assert internal.population == 1.0
    assert internal.se == 0.0
    assert internal.dimensions["d1"].se == 0.0
    # Var(I) = 0.36*0 + 0.16*351.5625 = 56.25
    assert_allclose(result.unit("U1").se, 7.5, rtol=RTOL)
    assert len(result.warnings) == 1
    assert "U1" in result.warnings[0] and "internal" in result.warnings[0]


def test_population_scales_variance_by_finite_population_correction(two_group_unit):
    result = analysis.score(*two_group_unit, populations={("U1", "internal"): 8})
    internal = result.unit("U1").groups["internal"]
    # f = 1 - 2/8 = 0.75: Var(G) = 0.75 * 49.4384765625
    assert_allclose(internal.se, math.sqrt(0.75 * 49.4384765625), rtol=RTOL)
    assert result.warnings == ()


@pytest.mark.parametrize(("target", "status", "p_below"), [(60, "below", 0.0),
                                                           (40, "above", 1.0),
                                                           (50, "uncertain", 1.0)])
def test_zero_variance_gives_zero_se_and_a_certain_status(make_instrument, make_table,
                                                          respondent, target, status, p_below):
    instrument = make_instrument()
    same = {"I1": "3", "I2": "3", "I3": "3"}
    table = make_table(instrument, [respondent("U1", "internal", **same),
                                    respondent("U1", "internal", **same),
                                    respondent("U1", "internal", **same)])
    unit = analysis.score(table, instrument, target=target).unit("U1")
    # every d = 50: D = G = I = F = 50, every z = 0, SE = 0, CI = [50, 50];
    # SE 0: p_below is 0 when F < T, else 1; F = T is neither above nor below
    assert (unit.index, unit.se, unit.ci_low, unit.ci_high) == (50.0, 0.0, 50.0, 50.0)
    assert unit.p_below == p_below
    assert unit.status == status


def test_correction_larger_than_index_clamps_at_zero(two_group_unit):
    unit = analysis.score(*two_group_unit, corrections={"U1": 80}).unit("U1")
    # F = clamp(55.3125 - 80, 0, 100) = 0; the interval is clipped at 0 as well
    assert unit.index == 0.0
    assert unit.ci_low == 0.0
    assert unit.raw_index == 55.3125


def test_ineligible_group_does_not_enter_the_index(make_instrument, make_table, respondent,
                                                   two_group_unit):
    _, instrument = two_group_unit
    table = make_table(instrument, [
        respondent("U1", "internal", 1.0, I1="5", I2="3", I3="4"),
        respondent("U1", "internal", 3.0, I1="1", I2="5", I3="2"),
        respondent("U1", "external", 1.0, E1="4", E2="4"),   # n = 1 < min_n
    ])
    unit = analysis.score(table, instrument).unit("U1")
    # b = (1, 0): I = G_internal = 54.6875; the external group is still reported
    assert_allclose(unit.raw_index, 54.6875, rtol=RTOL)
    assert unit.groups["external"].eligible is False
    assert_allclose(unit.groups["external"].index, 75.0, rtol=RTOL)
    assert unit.df == 1
    assert set(unit.dimensions) == {"d1", "d2"}
    assert_allclose(unit.dimensions["d1"].score, 71.875, rtol=RTOL)


def test_q_below_is_benjamini_hochberg_across_units(make_instrument, make_table, respondent):
    instrument = make_instrument()
    responses = []
    for unit, codes in {"A": ("1", "2", "3"), "B": ("3", "4", "5"), "C": ("2", "3", "3")}.items():
        for code in codes:
            responses.append(respondent(unit, "internal", I1=code, I2=code, I3="4"))
    result = analysis.score(make_table(instrument, responses), instrument)
    p = [u.p_below for u in result.units]
    assert_allclose([u.q_below for u in result.units],
                    stats.false_discovery_control(p, method="bh"), rtol=RTOL)


def test_units_are_sorted_and_list_every_group(make_instrument, make_table, respondent):
    instrument = make_instrument()
    table = make_table(instrument, [respondent("b", "internal", I1="3"),
                                    respondent("a", "internal", I1="4")])
    result = analysis.score(table, instrument)
    assert [u.unit for u in result.units] == ["a", "b"]
    external = result.unit("a").groups["external"]
    assert external.to_dict() == {"n": 0, "population": None, "eligible": False,
                                  "index": None, "se": None, "dimensions": {}}


def test_group_without_scored_questions_never_gets_an_index(hand_document, make_instrument,
                                                            make_table, respondent):
    questions = hand_document["questions"] + [
        {"id": "X_NOTE", "group": "expert", "type": "text", "text": {"en": "note"}}]
    instrument = make_instrument(groups={"expert": {"weight": 0.2, "min_n": 2}},
                                 questions=questions)
    table = make_table(instrument, [
        respondent("U1", "internal", I1="5", I2="3", I3="4"),
        respondent("U1", "internal", I1="1", I2="5", I3="2"),
        respondent("U1", "expert", X_NOTE="baik"),
        respondent("U1", "expert", X_NOTE="buruk"),
    ])
    unit = analysis.score(table, instrument).unit("U1")
    expert = unit.groups["expert"]
    # eligible by n, but no dimension: it has nothing to weigh; I = G_internal with
    # equal weights: D_d1 = (62.5 + 75)/2 = 68.75, D_d2 = (75 + 25)/2 = 50, G = 59.375
    assert (expert.n, expert.eligible, expert.index, expert.dimensions) == (2, True, None, {})
    assert_allclose(unit.raw_index, 59.375, rtol=RTOL)


def test_a_group_block_without_rows_is_like_an_absent_group(two_group_unit):
    table, instrument = two_group_unit
    block = table.groups["external"]
    empty = dataclasses.replace(block, unit=block.unit[:0], duration_s=block.duration_s[:0],
                                weight=block.weight[:0], cells=block.cells[:0])
    without = analysis.ResponseTable(table.units, {"internal": table.groups["internal"]})
    with_empty = analysis.ResponseTable(table.units, {"internal": table.groups["internal"],
                                                      "external": empty})
    assert analysis.score(with_empty, instrument) == analysis.score(without, instrument)
    # only internal remains: I = G_internal = 54.6875
    assert_allclose(analysis.score(without, instrument).unit("U1").raw_index, 54.6875, rtol=RTOL)


def test_question_order_in_the_file_changes_nothing(hand_document, make_instrument, make_table,
                                                    respondent, two_group_unit):
    table, instrument = two_group_unit
    # interleave the dimensions: I3 (d2) first, then I2 and I1 (d1)
    order = ["I3", "E2", "I_NOTE", "I2", "E1", "I_PROFILE", "I1"]
    by_id = {q["id"]: q for q in hand_document["questions"]}
    shuffled = make_instrument(questions=[by_id[qid] for qid in order])
    rows = [respondent("U1", "internal", 1.0, I1="5", I2="3", I3="4"),
            respondent("U1", "internal", 3.0, I1="1", I2="5", I3="2"),
            respondent("U1", "external", 1.0, E1="4", E2="4"),
            respondent("U1", "external", 1.0, E1="2", E2="3")]
    again = analysis.score(make_table(shuffled, rows), shuffled)
    assert again.to_dict()["units"] == analysis.score(table, instrument).to_dict()["units"]


def test_dimensions_with_many_questions_count_every_answer(hand_document, make_instrument,
                                                           make_table, respondent):
    # 130 questions in one dimension (beyond an 8-bit counter): answers 0 and
    # 100 alternate, so d = 50 and s = 130 only if every answer is counted
    five = hand_document["questions"][1]["options"]
    many = [{"id": f"Q{i}", "group": "internal", "dimension": "d1", "type": "choice",
             "options": five, "text": {"en": "q"}} for i in range(130)]
    instrument = make_instrument(questions=many, quality={"min_scored_answers": 130})
    answers = {f"Q{i}": "1" if i % 2 else "5" for i in range(130)}
    table = make_table(instrument, [respondent("U1", "internal", **answers),
                                    respondent("U1", "internal", **answers)])
    internal = analysis.score(table, instrument).unit("U1").groups["internal"]
    assert internal.n == 2  # s = 130 is not below min_scored_answers
    assert_allclose(internal.index, 50.0, rtol=RTOL)
