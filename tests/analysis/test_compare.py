"""Change between two campaigns (``compare_results``), worked by hand."""

from __future__ import annotations

import math

import pytest
from numpy.testing import assert_allclose
from scipy import stats

import analysis

RTOL = 1e-12


def unit(name, index, se, df, status="uncertain"):
    return {"unit": name, "index": index, "raw_index": index, "correction": 0.0, "se": se,
            "df": df, "ci_low": None, "ci_high": None, "band": None, "gap": None,
            "status": status, "p_below": None, "q_below": None, "n": 10,
            "excluded": {"incomplete": 0, "speeder": 0, "straightline": 0, "coordinated": 0},
            "groups": {}, "dimensions": {}}


def result(*units, version="1"):
    return analysis.ScoreResult.from_dict({
        "instrument": {"id": "spi", "version": version}, "target": 72,
        "units": list(units), "reliability": [], "warnings": []})


@pytest.fixture
def comparison():
    previous = result(unit("A", 60.0, 3.0, 20), unit("B", 70.0, 1.0, 50),
                      unit("D", 65.0, 2.0, 40), unit("E", 71.0, 2.0, 10))
    current = result(unit("A", 66.0, 4.0, 30), unit("C", 75.0, 1.0, 50),
                     unit("D", None, None, None, status="insufficient"),
                     unit("E", 70.0, 1.0, 10))
    return analysis.compare_results(previous, current)


def test_change_se_is_the_root_of_summed_variances(comparison):
    a = comparison.unit("A")
    # change = 66 - 60 = 6; SE = sqrt(3^2 + 4^2) = 5
    assert a.change == 6.0
    assert_allclose(a.se, 5.0, rtol=RTOL)


def test_change_df_is_welch_satterthwaite(comparison):
    # df = 25^2 / (3^4/20 + 4^4/30) = 625 / (4.05 + 8.5333...) = 49.66887417218543
    assert_allclose(comparison.unit("A").df, 625 / (81 / 20 + 256 / 30), rtol=RTOL)


def test_change_interval_and_p_value_use_t(comparison):
    a = comparison.unit("A")
    df = 625 / (81 / 20 + 256 / 30)
    half = stats.t.ppf(0.975, df) * 5.0
    assert_allclose([a.ci_low, a.ci_high], [6 - half, 6 + half], rtol=RTOL)
    # two-sided: 2 * t.sf(|6| / 5, df)
    assert_allclose(a.p_value, 2 * stats.t.sf(1.2, df), rtol=RTOL)
    assert a.status == "no_clear_change"   # 6 - 1.99 * 5 < 0


def test_q_values_are_benjamini_hochberg_over_compared_units(comparison):
    compared = [u for u in comparison.units if u.p_value is not None]
    assert [u.unit for u in compared] == ["A", "E"]
    assert_allclose([u.q_value for u in compared],
                    stats.false_discovery_control([u.p_value for u in compared], method="bh"),
                    rtol=RTOL)


def test_units_in_one_result_only_are_listed_as_such(comparison):
    assert [(u.unit, u.status) for u in comparison.units] == [
        ("A", "no_clear_change"), ("B", "only_previous"), ("C", "only_current"),
        ("D", "insufficient"), ("E", "no_clear_change")]
    b = comparison.unit("B")
    assert (b.previous_index, b.current_index, b.change, b.p_value) == (70.0, None, None, None)


def test_clear_changes_are_named_by_direction():
    previous = result(unit("A", 50.0, 1.0, 100), unit("B", 80.0, 1.0, 100))
    current = result(unit("A", 60.0, 1.0, 100), unit("B", 70.0, 1.0, 100))
    changes = analysis.compare_results(previous, current)
    assert [u.status for u in changes.units] == ["increase", "decrease"]


def test_zero_se_gives_p_value_zero_or_one():
    previous = result(unit("A", 50.0, 0.0, 10), unit("B", 50.0, 0.0, 10))
    current = result(unit("A", 51.0, 0.0, 10), unit("B", 50.0, 0.0, 10))
    a, b = analysis.compare_results(previous, current).units
    assert (a.p_value, a.ci_low, a.ci_high, a.status) == (0.0, 1.0, 1.0, "increase")
    assert (b.p_value, b.status) == (1.0, "no_clear_change")


def test_different_instruments_give_a_warning():
    changes = analysis.compare_results(result(unit("A", 50.0, 1.0, 9)),
                                       result(unit("A", 50.0, 1.0, 9), version="2"))
    assert len(changes.warnings) == 1
    assert changes.to_dict()["current"] == {"id": "spi", "version": "2"}


def test_comparison_serialises_every_field(comparison):
    document = comparison.to_dict()
    assert set(document) == {"previous", "current", "units", "warnings"}
    assert set(document["units"][0]) == {"unit", "status", "previous_index", "current_index",
                                         "change", "se", "df", "ci_low", "ci_high", "p_value",
                                         "q_value"}
    assert all(not isinstance(v, float) or math.isfinite(v)
               for u in document["units"] for v in u.values())


def test_a_change_is_named_only_when_the_bh_decision_says_so():
    # A's own interval excludes 0 (p < 0.05), but with two unchanged units
    # beside it its Benjamini-Hochberg q is 3p > 0.05: no direction is named.
    previous = result(unit("A", 50.0, 1.5, 200), unit("B", 60.0, 2.0, 200),
                      unit("C", 70.0, 2.0, 200))
    current = result(unit("A", 55.0, 1.5, 200), unit("B", 60.5, 2.0, 200),
                     unit("C", 70.1, 2.0, 200))
    a = analysis.compare_results(previous, current).unit("A")
    assert a.ci_low > 0 and a.p_value < 0.05
    assert a.q_value >= 0.05
    assert a.status == "no_clear_change"
    # alone, the same change is tested once (q = p) and named
    alone = analysis.compare_results(result(unit("A", 50.0, 1.5, 200)),
                                     result(unit("A", 55.0, 1.5, 200))).unit("A")
    assert alone.q_value == alone.p_value < 0.05
    assert alone.status == "increase"
