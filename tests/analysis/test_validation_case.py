"""The shared validation case 1 (../shared/validation/case-1, see its README):
an independent implementation's results, with standard errors checked
against R's `survey`, to be matched field by field to a relative 1e-6."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

import analysis

RTOL = 1e-6
REPO = Path(__file__).resolve().parents[2]


def assert_same(got, expected, path="") -> None:
    """Equal structure; numbers to RTOL; everything else exactly."""
    if isinstance(expected, dict):
        assert isinstance(got, dict), path
        assert set(got) == set(expected), f"{path}: keys {set(got) ^ set(expected)}"
        for key in expected:
            assert_same(got[key], expected[key], f"{path}.{key}")
    elif isinstance(expected, list):
        assert isinstance(got, list) and len(got) == len(expected), path
        for i, (g, e) in enumerate(zip(got, expected, strict=True)):
            assert_same(g, e, f"{path}[{i}]")
    elif isinstance(expected, bool) or expected is None or isinstance(expected, str):
        assert got == expected, f"{path}: {got!r} != {expected!r}"
    else:
        assert isinstance(got, int | float) and not isinstance(got, bool), path
        assert math.isclose(got, expected, rel_tol=RTOL, abs_tol=0.0), \
            f"{path}: {got!r} != {expected!r}"


@pytest.fixture
def expected(case_one):
    return json.loads((case_one / "expected.json").read_text(encoding="utf-8"))


@pytest.fixture
def scored(case_one):
    instrument = analysis.load_instrument(case_one / "instrument.yaml")
    table = analysis.read_responses(case_one / "responses.csv", instrument)
    return analysis.score(
        table, instrument,
        populations=analysis.read_populations(case_one / "populations.csv", instrument=instrument),
        corrections=analysis.read_corrections(case_one / "corrections.csv"),
    ).to_dict()


def test_case_one_units_match_expected(scored, expected):
    assert_same(scored["units"], expected["units"], "units")


def test_case_one_reliability_matches_expected(scored, expected):
    assert_same(scored["reliability"], expected["reliability"], "reliability")


def test_case_one_warns_about_the_population_below_its_respondents(scored):
    assert len(scored["warnings"]) == 1
    assert "OPD-11" in scored["warnings"][0] and "internal" in scored["warnings"][0]


def test_case_one_through_the_command_line(case_one, expected, tmp_path):
    out = tmp_path / "got.json"
    completed = subprocess.run(  # noqa: S603 (our own interpreter and files)
        [sys.executable, "-m", "analysis", "score",
         "--instrument", str(case_one / "instrument.yaml"),
         "--responses", str(case_one / "responses.csv"),
         "--populations", str(case_one / "populations.csv"),
         "--corrections", str(case_one / "corrections.csv"), "--out", str(out)],
        capture_output=True, text=True, check=False, cwd=REPO)
    assert completed.returncode == 0, completed.stderr
    got = json.loads(out.read_text(encoding="utf-8"))
    assert_same(got["units"], expected["units"], "units")
    assert_same(got["reliability"], expected["reliability"], "reliability")
