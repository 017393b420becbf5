"""The results document (methodology v1, section 5)."""

from __future__ import annotations

import dataclasses
import json
import pickle

import pytest

import analysis

UNIT_KEYS = {"unit", "index", "raw_index", "correction", "se", "df", "ci_low", "ci_high",
             "band", "gap", "status", "p_below", "q_below", "n", "excluded", "groups",
             "dimensions"}


@pytest.fixture
def result(make_instrument, make_table, respondent):
    """U1 scored (two groups of two), U2 insufficient (one respondent)."""
    instrument = make_instrument(quality={"min_scored_answers": 1})
    table = make_table(instrument, [
        respondent("U2", "internal", I1="5"),
        respondent("U1", "internal", 1.0, I1="5", I2="3", I3="4"),
        respondent("U1", "internal", 3.0, I1="1", I2="5", I3="2"),
        respondent("U1", "external", E1="4", E2="4"),
        respondent("U1", "external", E1="2", E2="3"),
        respondent("U1", "external", E1="9", E2="9"),     # incomplete
    ])
    return analysis.score(table, instrument, populations={("U1", "internal"): 40})


def test_document_has_the_top_level_keys(result):
    assert list(result.to_dict()) == ["instrument", "target", "units", "reliability", "warnings"]
    assert result.to_dict()["instrument"] == {"id": "hand", "version": "1"}


def test_units_have_exactly_the_specified_fields(result):
    for unit in result.to_dict()["units"]:
        assert set(unit) == UNIT_KEYS


def test_excluded_always_lists_the_four_rules(result):
    for unit in result.to_dict()["units"]:
        assert list(unit["excluded"]) == ["incomplete", "speeder", "straightline", "coordinated"]
    assert result.to_dict()["units"][0]["excluded"]["incomplete"] == 1


def test_every_group_is_listed_with_population_or_null(result):
    u1, u2 = result.to_dict()["units"]
    assert list(u1["groups"]) == list(u2["groups"]) == ["internal", "external"]
    assert u1["groups"]["internal"]["population"] == 40
    assert u1["groups"]["external"]["population"] is None
    assert set(u1["groups"]["internal"]) == {"n", "population", "eligible", "index", "se",
                                            "dimensions"}
    assert set(u1["groups"]["internal"]["dimensions"]["d1"]) == {"n", "score", "se"}
    assert set(u1["dimensions"]["d1"]) == {"score", "se"}


def test_insufficient_unit_has_nulls_and_no_dimensions(result):
    u2 = result.to_dict()["units"][1]
    assert u2["status"] == "insufficient"
    for key in ("index", "raw_index", "se", "df", "ci_low", "ci_high", "band", "gap",
                "p_below", "q_below"):
        assert u2[key] is None, key
    assert u2["dimensions"] == {}


def test_reliability_lists_group_dimensions_with_two_or_more_questions(result):
    # only internal d1 has k >= 2 (I1, I2); n = 2 complete responses < 3: alpha null
    assert result.to_dict()["reliability"] == [
        {"group": "internal", "dimension": "d1", "k": 2, "n": 2, "alpha": None,
         "ci_low": None, "ci_high": None}]


def test_json_is_strict_and_round_trips(result):
    text = result.to_json()
    assert "NaN" not in text and "Infinity" not in text
    again = analysis.ScoreResult.from_dict(json.loads(text))
    assert again == result
    assert again.to_dict() == result.to_dict()


def test_numbers_are_plain_python_numbers(result):
    def walk(value):
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        else:
            assert value is None or type(value) in (str, bool, int, float), type(value)
    walk(result.to_dict())


def test_results_are_frozen_and_pickle(result):
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.units[0].index = 100.0  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(result)) == result  # noqa: S301 (our own bytes)


def test_from_dict_names_the_path_of_a_bad_field(result):
    document = result.to_dict()
    document["units"][0]["groups"]["internal"]["n"] = "many"
    with pytest.raises(ValueError, match=r"units\[0\]\.groups\.internal\.n"):
        analysis.ScoreResult.from_dict(document)


def test_unit_lookup_raises_for_an_unknown_unit(result):
    with pytest.raises(KeyError):
        result.unit("U9")


def test_unknown_population_group_is_rejected(make_instrument, make_table, respondent):
    instrument = make_instrument()
    table = make_table(instrument, [respondent("U1", "internal", I1="5")])
    with pytest.raises(ValueError, match="unknown group"):
        analysis.score(table, instrument, populations={("U1", "auditor"): 5})


def test_side_inputs_for_absent_units_are_warnings(make_instrument, make_table, respondent):
    instrument = make_instrument()
    table = make_table(instrument, [respondent("U1", "internal", I1="5")])
    result = analysis.score(table, instrument, populations={("U9", "internal"): 5},
                            corrections={"U8": 1.0})
    assert len(result.warnings) == 2
    assert any("U9" in w for w in result.warnings) and any("U8" in w for w in result.warnings)


def test_table_not_matching_the_instrument_is_rejected(make_instrument, make_table, respondent):
    instrument = make_instrument()
    table = make_table(instrument, [respondent("U1", "internal", I1="5")])
    block = table.groups["internal"]
    shuffled = dataclasses.replace(block, question_ids=block.question_ids[::-1])
    with pytest.raises(ValueError, match="question columns"):
        analysis.score(analysis.ResponseTable(table.units, {"internal": shuffled}), instrument)
    beyond = dataclasses.replace(block, cells=block.cells + 9)
    with pytest.raises(ValueError, match="beyond"):
        analysis.score(analysis.ResponseTable(table.units, {"internal": beyond}), instrument)
    heavy = dataclasses.replace(block, weight=block.weight * 0)
    with pytest.raises(ValueError, match="weights"):
        analysis.score(analysis.ResponseTable(table.units, {"internal": heavy}), instrument)
