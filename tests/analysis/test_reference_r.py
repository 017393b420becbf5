"""Estimates against R's `survey` package (tests/analysis/references).

survey_reference.R scored the synthetic data of make_reference_data.py with

    des <- svydesign(ids=~1, strata=~stratum, weights=~w, fpc=~N, data=data)

(or without fpc), in four variants: respondent weights or all 1, crossed with
population sizes (N = Inf where none, i.e. f = 1) or none. Each row of
survey_reference.csv holds an estimate, its SE and the exact R call:

- dimension:      svyby(~d_k, ~stratum, subset(des, group %in% owners),
                        svymean, na.rm=TRUE)
- group_index:    svycontrast(svyratio(~num_k..., ~den_k...,
                        subset(des, stratum == s), covmat=TRUE), a_k)
- unit_index:     svycontrast(svyratio(~num_g_k..., ~den_g_k...,
                        subset(des, unit == u), covmat=TRUE), b_g a_gk)
- unit_dimension: the same svyratio, svycontrast with W_g / sum W

The engine must agree to a relative 1e-8 (the `call` column is printed with
any failure, so each expected value cites the R call that produced it).
"""

from __future__ import annotations

import csv
import filecmp
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

import analysis

RTOL = 1e-8
HERE = Path(__file__).resolve().parent / "references"
RSCRIPT = shutil.which("Rscript")
VARIANTS = [("respondent", "population"), ("respondent", "none"),
            ("equal", "population"), ("equal", "none")]


def reference_rows() -> list[dict[str, str]]:
    with open(HERE / "survey_reference.csv", newline="", encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


def score_variant(weights: str, fpc: str) -> analysis.ScoreResult:
    instrument = analysis.load_instrument(HERE / "reference_instrument.yaml")
    table = analysis.read_responses(HERE / "reference_responses.csv", instrument)
    if weights == "equal":
        table = analysis.ResponseTable(table.units, {
            group: replace(block, weight=np.ones(block.n)) for group, block in table.groups.items()
        })
    populations = (analysis.read_populations(HERE / "reference_populations.csv")
                   if fpc == "population" else None)
    return analysis.score(table, instrument, populations=populations)


def engine_value(result: analysis.ScoreResult, row: dict[str, str]) -> tuple[float, float]:
    unit = result.unit(row["unit"])
    quantity = row["quantity"]
    if quantity == "dimension":
        found = unit.groups[row["group"]].dimensions[row["dimension"]]
        return found.score, found.se
    if quantity == "group_index":
        group = unit.groups[row["group"]]
        return group.index, group.se
    if quantity == "unit_index":
        return unit.raw_index, unit.se
    if quantity == "unit_dimension":
        found = unit.dimensions[row["dimension"]]
        return found.score, found.se
    raise AssertionError(f"unknown quantity {quantity}")


@pytest.fixture(scope="module")
def results() -> dict[tuple[str, str], analysis.ScoreResult]:
    return {variant: score_variant(*variant) for variant in VARIANTS}


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: "-".join(v))
@pytest.mark.parametrize("quantity", ["dimension", "group_index", "unit_index",
                                      "unit_dimension"])
def test_estimates_and_ses_match_r_survey(results, variant, quantity):
    rows = [r for r in reference_rows()
            if (r["weights"], r["fpc"]) == variant and r["quantity"] == quantity]
    assert rows, "the reference file has rows for every variant and quantity"
    for row in rows:
        estimate, se = engine_value(results[variant], row)
        where = f"{quantity} {row['unit']} {row['group']} {row['dimension']}: R call: {row['call']}"
        assert_allclose(estimate, float(row["estimate"]), rtol=RTOL, err_msg=where)
        assert_allclose(se, float(row["se"]), rtol=RTOL, err_msg=where)


def test_reference_covers_every_stratum_and_unit(results):
    rows = reference_rows()
    result = results[("respondent", "population")]
    strata = {(u.unit, g) for u in result.units for g in u.groups}
    assert {(r["unit"], r["group"]) for r in rows if r["quantity"] == "group_index"} == strata
    assert len([r for r in rows if r["quantity"] == "unit_index"]) == 4 * len(VARIANTS)


def test_reference_data_is_reproducible(tmp_path):
    """make_reference_data.py writes the committed files byte for byte."""
    subprocess.run([sys.executable, str(HERE / "make_reference_data.py"), str(tmp_path)],  # noqa: S603
                   check=True)
    for path in tmp_path.iterdir():
        assert filecmp.cmp(path, HERE / path.name, shallow=False), path.name


@pytest.mark.slow
@pytest.mark.skipif(RSCRIPT is None, reason="Rscript is not installed")
def test_r_script_reproduces_the_committed_reference(tmp_path):
    for path in HERE.iterdir():
        if path.suffix in {".csv", ".yaml"}:
            shutil.copy(path, tmp_path / path.name)
    (tmp_path / "survey_reference.csv").unlink()
    completed = subprocess.run([RSCRIPT, str(HERE / "survey_reference.R"), str(tmp_path)],  # noqa: S603
                               capture_output=True, text=True, check=False)
    if completed.returncode != 0 and "there is no package called" in completed.stderr:
        pytest.skip("the R package `survey` is not installed")
    assert completed.returncode == 0, completed.stderr
    assert filecmp.cmp(tmp_path / "survey_reference.csv", HERE / "survey_reference.csv",
                       shallow=False)
