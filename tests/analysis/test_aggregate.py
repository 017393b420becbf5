"""The mean index of several units (the institution's index)."""

from __future__ import annotations

import math

import pytest
from numpy.testing import assert_allclose
from scipy import stats

import analysis


def _unit(name, index, se, df, n=50):
    return analysis.UnitScore(
        unit=name, index=index, raw_index=index, correction=0.0, se=se, df=df,
        ci_low=None, ci_high=None, band=None, gap=None, status="uncertain", p_below=None,
        q_below=None, n=n, excluded=analysis.Exclusions(), groups={}, dimensions={})


def _result(*units, target=72.0):
    return analysis.ScoreResult("i", "1", target, tuple(units), ())


def test_two_units_by_hand():
    # 70 (SE 2, df 50) and 80 (SE 1, df 40): mean 75, SE sqrt(4 + 1) / 2,
    # df (4 + 1)^2 / (16/50 + 1/40) = 25 / 0.345 = 72.4638 (Welch-Satterthwaite).
    mean = analysis.mean_index(_result(_unit("A", 70, 2, 50), _unit("B", 80, 1, 40)))
    assert mean.units == 2 and mean.without_index == 0 and mean.n == 100
    assert_allclose(mean.index, 75.0, rtol=1e-12)
    assert_allclose(mean.se, math.sqrt(5) / 2, rtol=1e-12)
    assert_allclose(mean.df, 25 / 0.345, rtol=1e-12)
    half = stats.t.ppf(0.975, 25 / 0.345) * math.sqrt(5) / 2
    assert_allclose([mean.ci_low, mean.ci_high], [75 - half, 75 + half], rtol=1e-12)
    assert mean.status == "above"


def test_units_without_an_index_are_left_out_and_counted():
    mean = analysis.mean_index(_result(_unit("A", 60, 1, 30), _unit("B", None, None, None)))
    assert mean.units == 1 and mean.without_index == 1
    assert mean.index == 60 and mean.status == "below"


def test_a_subset_and_no_unit_at_all():
    result = _result(_unit("A", 70, 2, 50), _unit("B", 80, 1, 40))
    assert analysis.mean_index(result, ["B"]).index == 80
    empty = analysis.mean_index(result, [])
    assert empty.index is None and empty.status == "insufficient"


def test_zero_se_gives_a_point_interval():
    mean = analysis.mean_index(_result(_unit("A", 72, 0.0, 10), _unit("B", 72, 0.0, 10)))
    assert mean.ci_low == mean.ci_high == pytest.approx(72)
    assert mean.status == "uncertain"
