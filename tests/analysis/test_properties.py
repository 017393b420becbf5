"""Properties of the method, checked on generated tables (hypothesis).

The instrument is the hand instrument with band limits and a target that no
score of these tables can hit exactly, so that a last-bit difference in a
reordered sum can never move a unit across a band or the target.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import analysis

PROPERTY_SETTINGS = settings(max_examples=60, deadline=None,
                             suppress_health_check=[HealthCheck.function_scoped_fixture])
QUALITIES = [
    {"min_scored_answers": None, "speeder_seconds_per_item": None,
     "straightline_min_items": None, "coordinated_min_cluster": None},
    {"min_scored_answers": 1, "speeder_seconds_per_item": 1.0, "straightline_min_items": 3,
     "coordinated_min_cluster": 2},
]
CHANGES = {"target": 61.23456789,
           "bands": [{"key": "rentan", "min": 0}, {"key": "waspada", "min": 50.0123457},
                     {"key": "terjaga", "min": 70.0987654}]}
CODES = st.sampled_from(["", "1", "2", "3", "4", "5", "9"])


@st.composite
def responses(draw):
    """A list of responses for make_table, over up to four units."""
    n_units = draw(st.integers(1, 4))
    unit = st.integers(0, n_units - 1).map(lambda i: f"U{i}")
    weight = st.sampled_from([0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 7.5])
    duration = st.one_of(st.just(math.nan), st.floats(0, 60))
    internal = st.fixed_dictionaries({
        "unit": unit, "group": st.just("internal"), "weight": weight, "duration": duration,
        "answers": st.fixed_dictionaries({
            "I_PROFILE": st.sampled_from(["", "a", "b"]), "I1": CODES, "I2": CODES,
            "I3": CODES, "I_NOTE": st.sampled_from(["", "x", "y"])}),
    })
    external = st.fixed_dictionaries({
        "unit": unit, "group": st.just("external"), "weight": weight, "duration": duration,
        "answers": st.fixed_dictionaries({"E1": CODES, "E2": CODES}),
    })
    return (draw(st.lists(internal, min_size=1, max_size=12))
            + draw(st.lists(external, max_size=12)))


def assert_same_result(first: analysis.ScoreResult, second: analysis.ScoreResult) -> None:
    """Equal up to the rounding of reordered sums: structure, texts, counts
    and nulls exactly; numbers to a relative 1e-9 (absolute 1e-9 near 0)."""
    def walk(a, b, path):
        if isinstance(b, dict):
            assert list(a) == list(b), path
            for key in b:
                walk(a[key], b[key], f"{path}.{key}")
        elif isinstance(b, list):
            assert len(a) == len(b), path
            for i, (x, y) in enumerate(zip(a, b, strict=True)):
                walk(x, y, f"{path}[{i}]")
        elif isinstance(b, float):
            assert isinstance(a, float), path
            assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9), f"{path}: {a} != {b}"
        else:
            assert a == b, f"{path}: {a!r} != {b!r}"
    walk(first.to_dict(), second.to_dict(), "")


@PROPERTY_SETTINGS
@given(rows=responses(), quality=st.sampled_from(QUALITIES), seed=st.integers(0, 2**32 - 1))
def test_shuffling_rows_changes_nothing(make_instrument, make_table, rows, quality, seed):
    instrument = make_instrument(quality=quality, **CHANGES)
    order = np.random.default_rng(seed).permutation(len(rows))
    original = analysis.score(make_table(instrument, rows), instrument)
    shuffled = analysis.score(make_table(instrument, [rows[i] for i in order]), instrument)
    assert_same_result(shuffled, original)


@PROPERTY_SETTINGS
@given(rows=responses(), quality=st.sampled_from(QUALITIES),
       factor=st.sampled_from([0.01, 0.3, 2.0, 17.0, 1000.0]))
def test_scaling_all_weights_changes_nothing(make_instrument, make_table, rows, quality, factor):
    instrument = make_instrument(quality=quality, **CHANGES)
    table = make_table(instrument, rows)
    scaled = analysis.ResponseTable(table.units, {
        group: replace(block, weight=block.weight * factor)
        for group, block in table.groups.items()})
    assert_same_result(analysis.score(scaled, instrument), analysis.score(table, instrument))


@PROPERTY_SETTINGS
@given(rows=responses(), quality=st.sampled_from(QUALITIES),
       correction=st.floats(-50, 150), population=st.one_of(st.none(), st.floats(1, 30)))
def test_indices_and_intervals_stay_in_range_and_contain_the_estimate(
        make_instrument, make_table, rows, quality, correction, population):
    instrument = make_instrument(quality=quality, **CHANGES)
    table = make_table(instrument, rows)
    populations = None if population is None else {
        (unit, group): population for unit in table.units for group in instrument.groups}
    result = analysis.score(table, instrument, populations=populations,
                            corrections={unit: correction for unit in table.units})
    for unit in result.units:
        for group in unit.groups.values():
            if group.index is not None:
                assert 0 <= group.index <= 100
            for dimension in group.dimensions.values():
                assert 0 <= dimension.score <= 100
        for dimension in unit.dimensions.values():
            assert 0 <= dimension.score <= 100
        if unit.index is None:
            assert unit.status == "insufficient"
            continue
        assert 0 <= unit.raw_index <= 100
        assert 0 <= unit.ci_low <= unit.index <= unit.ci_high <= 100
        assert 0 <= unit.p_below <= 1 and 0 <= unit.q_below <= 1
        assert unit.status in analysis.STATUSES
        assert unit.n + unit.excluded.total <= len(rows)
