"""Screening rules worked by hand (methodology v1, section 3).

Hand instrument (conftest): internal has 5 columns (I_PROFILE, I1, I2, I3,
I_NOTE), of which I1..I3 are scored; 9 is don't know.
"""

from __future__ import annotations

import numpy as np
import pytest

import analysis
from analysis._screening import coordinated

RULES_OFF = {"min_scored_answers": None, "speeder_seconds_per_item": None,
             "straightline_min_items": None, "coordinated_min_cluster": None}


def reasons(make_instrument, make_table, responses, **quality):
    instrument = make_instrument(quality=RULES_OFF | quality)
    table = make_table(instrument, responses)
    screening = analysis.screen_responses(table, instrument)
    names = ("included",) + analysis.EXCLUSION_RULES
    return [names[code] for code in screening.reasons["internal"]]


def test_incomplete_counts_scored_answers_only(make_instrument, make_table, respondent):
    got = reasons(make_instrument, make_table, [
        # s = 1 (I1); the don't-know and the profile are answered but not scored
        respondent("U", "internal", I_PROFILE="a", I1="4", I2="9"),
        # s = 2 = min_scored_answers: not flagged (the rule is s < 2)
        respondent("U", "internal", I1="4", I2="3"),
    ], min_scored_answers=2)
    assert got == ["incomplete", "included"]


def test_speeder_compares_duration_with_seconds_per_answered_cell(make_instrument, make_table,
                                                                  respondent):
    answers = {"I_PROFILE": "a", "I1": "4", "I_NOTE": "cepat"}  # a = 3 answered cells
    got = reasons(make_instrument, make_table, [
        respondent("U", "internal", duration=5.9, **answers),     # 5.9 < 2 * 3 = 6
        respondent("U", "internal", duration=6.0, **answers),     # 6 is not < 6
        respondent("U", "internal", **answers),                   # blank duration
    ], speeder_seconds_per_item=2.0)
    assert got == ["speeder", "included", "included"]


def test_straightline_needs_enough_identical_codes(make_instrument, make_table, respondent):
    got = reasons(make_instrument, make_table, [
        respondent("U", "internal", I1="3", I2="3", I3="3"),               # 3 cells, all "3"
        respondent("U", "internal", I1="9", I2="9", I3="9"),               # all "9" counts too
        respondent("U", "internal", I1="3", I2="3", I3="9"),               # "3" and "9" differ
        respondent("U", "internal", I1="3", I2="3"),                       # only 2 non-blank
        respondent("U", "internal", I_PROFILE="a", I1="3", I2="3", I3="3",
                   I_NOTE="x"),                                            # unscored cells ignored
    ], straightline_min_items=3)
    assert got == ["straightline", "straightline", "included", "included", "straightline"]


def test_straightline_compares_codes_not_option_positions(hand_document, make_instrument,
                                                          make_table, respondent):
    # I2 lists its options in another order, so code "5" is its first option:
    # "5","5","5" is a straight line although the options' positions differ,
    # and "1","1","1" is one although I2's cell would equal the others' "5"
    questions = hand_document["questions"]
    i2 = next(q for q in questions if q["id"] == "I2")
    i2["options"] = [{"code": "5", "score": 100}, {"code": "1", "score": 0},
                     {"code": "2", "score": 25}, {"code": "3", "score": 50},
                     {"code": "4", "score": 75}, {"code": "9", "score": None}]
    instrument = make_instrument(questions=questions,
                                 quality=RULES_OFF | {"straightline_min_items": 3})
    table = make_table(instrument, [
        respondent("U", "internal", I1="5", I2="5", I3="5"),
        respondent("U", "internal", I1="1", I2="1", I3="1"),
        respondent("U", "internal", I1="5", I2="1", I3="5"),  # I2's "1" is option 2, like I1's "1"
    ])
    screening = analysis.screen_responses(table, instrument)
    assert screening.excluded_by("internal", "straightline").tolist() == [True, True, False]


def test_coordinated_flags_clusters_within_a_unit(make_instrument, make_table, respondent):
    same = {"I_PROFILE": "b", "I1": "4", "I2": "4", "I3": "2", "I_NOTE": "sama"}
    got = reasons(make_instrument, make_table, [
        respondent("U", "internal", **same),
        respondent("U", "internal", **same),
        respondent("U", "internal", **same),                 # 3 identical in U: flagged
        respondent("V", "internal", **same),
        respondent("V", "internal", **same),                 # 2 identical in V: not
        respondent("U", "internal", **(same | {"I_NOTE": "beda"})),  # text differs
    ], coordinated_min_cluster=3)
    assert got == ["coordinated"] * 3 + ["included"] * 3


def test_coordinated_counts_blank_cells_as_part_of_the_row(make_instrument, make_table,
                                                           respondent):
    got = reasons(make_instrument, make_table, [
        respondent("U", "internal", I1="4", I2="4"),
        respondent("U", "internal", I1="4", I2="4"),
        respondent("U", "internal", I1="4", I2="4", I3="4"),  # I3 blank in the others only
    ], coordinated_min_cluster=3)
    assert got == ["included"] * 3


def test_first_rule_decides_and_counts_add_up(make_instrument, make_table, respondent):
    instrument = make_instrument(quality={"min_scored_answers": 2, "speeder_seconds_per_item": 2,
                                          "straightline_min_items": 3,
                                          "coordinated_min_cluster": 3})
    straight = {"I1": "3", "I2": "3", "I3": "3"}
    table = make_table(instrument, [
        respondent("U", "internal", duration=1, I1="4"),             # incomplete and speeder
        respondent("U", "internal", duration=1, **straight),         # speeder and straightline
        respondent("U", "internal", duration=100, **straight),       # straightline, coordinated
        respondent("U", "internal", duration=100, **straight),       # straightline, coordinated
        respondent("U", "internal", duration=100, I1="5", I2="4"),   # included
        respondent("U", "internal", duration=100, I1="1", I2="4"),   # included
    ])
    unit = analysis.score(table, instrument).unit("U")
    # the three straight rows are also a coordinated cluster (same cells, blanks
    # and durations aside), but each is counted once, under its first rule
    assert unit.excluded.to_dict() == {"incomplete": 1, "speeder": 1, "straightline": 2,
                                       "coordinated": 0}
    assert unit.n + unit.excluded.total == 6
    assert unit.groups["internal"].n == 2


def test_excluded_responses_do_not_enter_estimates(make_instrument, make_table, respondent):
    instrument = make_instrument(quality={"min_scored_answers": 2})
    table = make_table(instrument, [
        respondent("U", "internal", I1="5", I2="5", I3="5"),
        respondent("U", "internal", I1="1", I2="1", I3="1"),
        respondent("U", "internal", I1="3"),                  # incomplete: s = 1
    ])
    internal = analysis.score(table, instrument).unit("U").groups["internal"]
    # G over the two included: D_d1 = 50, D_d2 = 50
    assert internal.n == 2
    assert internal.index == 50.0


def test_screening_of_score_and_screen_responses_agree(make_instrument, make_table, respondent):
    instrument = make_instrument(quality={"min_scored_answers": 2})
    table = make_table(instrument, [respondent("U", "internal", I1="3"),
                                    respondent("U", "internal", I1="3", I2="4")])
    from_score = analysis.score(table, instrument).screening
    alone = analysis.screen_responses(table, instrument)
    assert from_score.reasons["internal"].tolist() == alone.reasons["internal"].tolist() == [1, 0]
    assert alone.excluded_by("internal", "incomplete").tolist() == [True, False]
    assert alone.included("internal").tolist() == [False, True]


# -- the coordinated rule with its hash forced to collide ------------------------


def test_coordinated_is_exact_when_every_hash_collides():
    unit = np.zeros(7, dtype=np.int32)
    cells = np.array([[1, 2], [1, 2], [1, 2], [3, 4], [3, 4], [5, 6], [1, 2]], dtype=np.int32)
    colliding = np.zeros(7, dtype=np.uint64)   # every row proposes one cluster of 7
    flags = coordinated(unit, cells, colliding, min_cluster=3)
    # exact clusters: [1,2] x 4 (flagged), [3,4] x 2, [5,6] x 1
    assert flags.tolist() == [True, True, True, False, False, False, True]


def test_coordinated_collision_never_joins_units():
    unit = np.array([0, 0, 1, 1], dtype=np.int32)
    cells = np.ones((4, 3), dtype=np.int32)
    colliding = np.full(4, 7, dtype=np.uint64)
    assert coordinated(unit, cells, colliding, min_cluster=3).tolist() == [False] * 4


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_coordinated_matches_exact_grouping_on_random_rows(seed):
    rng = np.random.default_rng(seed)
    unit = rng.integers(0, 4, 400).astype(np.int32)
    cells = rng.integers(0, 2, (400, 3)).astype(np.int32)  # few distinct rows: many clusters
    from analysis._decode import row_hashes
    block = analysis.GroupResponses("g", ("a", "b", "c"), unit, np.full(400, np.nan),
                                    np.ones(400), cells)
    keys = np.column_stack([unit, cells])
    _, inverse, counts = np.unique(keys, axis=0, return_inverse=True, return_counts=True)
    expected = counts[inverse.ravel()] >= 20
    assert coordinated(unit, cells, row_hashes(block), 20).tolist() == expected.tolist()
