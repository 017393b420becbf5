"""Sample-size planning: respondents needed for a margin of error."""

from __future__ import annotations

import math

import pytest
from numpy.testing import assert_allclose
from scipy import stats

import analysis


def test_margin_of_error_is_t_times_finite_population_se():
    # n = 30 of N = 200, sd 15: t(0.975, 29) * sqrt((1 - 30/200) * 225 / 30)
    expected = stats.t.ppf(0.975, 29) * math.sqrt(0.85 * 225 / 30)
    assert_allclose(analysis.margin_of_error(30, population=200, sd=15), expected, rtol=1e-14)


def test_margin_of_error_without_population_has_no_correction():
    expected = stats.t.ppf(0.975, 99) * 15 / 10
    assert_allclose(analysis.margin_of_error(100, sd=15), expected, rtol=1e-14)


def test_margin_of_error_matches_the_engine_interval(make_instrument, make_table, respondent):
    # four internal respondents scoring d1 = 0, 50, 100, 50 (I1 only): sd = 40.82...,
    # N = 10; the engine's group SE times t(0.975, 3) is the planner's margin
    instrument = make_instrument()
    codes = ["1", "3", "5", "3"]
    table = make_table(instrument, [respondent("U", "internal", I1=c) for c in codes])
    result = analysis.score(table, instrument, populations={("U", "internal"): 10})
    group = result.unit("U").groups["internal"]
    sd = float(stats.tstd([0, 50, 100, 50]))
    assert_allclose(stats.t.ppf(0.975, 3) * group.se,
                    analysis.margin_of_error(4, population=10, sd=sd), rtol=1e-12)


@pytest.mark.parametrize("population", [None, 50, 200, 5000])
@pytest.mark.parametrize(("margin", "sd"), [(5, 15), (3, 20), (10, 12)])
def test_required_sample_size_is_the_smallest_n_meeting_the_margin(population, margin, sd):
    n = analysis.required_sample_size(population, margin=margin, sd=sd)
    assert analysis.margin_of_error(n, population=population, sd=sd) <= margin
    if n > 2:
        assert analysis.margin_of_error(n - 1, population=population, sd=sd) > margin


def test_required_sample_size_agrees_with_cochran_for_large_samples():
    # n0 = (1.96 * 20 / 1)^2 = 1536.6; with N = 10000: n0 N / (N + n0) = 1331.9;
    # the t quantile (t(0.975, 1334) / z)^2 = 1.0018 adds about 2.4, rounding up 1
    n = analysis.required_sample_size(10_000, margin=1, sd=20)
    z = stats.norm.ppf(0.975)
    n0 = (z * 20) ** 2
    assert 0 < n - n0 * 10_000 / (10_000 + n0) < 4


def test_small_population_needs_a_census():
    # N = 10 with sd 30 and margin 1: only all 10 (f = 0) meet it
    assert analysis.required_sample_size(10, margin=1, sd=30) == 10


def test_design_effect_inflates_the_sample():
    plain = analysis.required_sample_size(None, margin=5, sd=15)
    weighted = analysis.required_sample_size(None, margin=5, sd=15, design_effect=1.5)
    assert weighted > plain


@pytest.mark.parametrize("settings", [{"margin": 0, "sd": 15}, {"margin": 5, "sd": -1},
                                      {"margin": 5, "sd": 15, "confidence": 1.5}])
def test_impossible_settings_are_rejected(settings):
    with pytest.raises(ValueError):
        analysis.required_sample_size(100, **settings)
