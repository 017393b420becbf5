"""docs/methodology.md: its worked example gives the numbers it prints.

The test takes the example's instrument, responses, populations and
corrections from the page's marked code blocks, scores them, and checks
every row of the page's results table at the precision printed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import analysis

DOC = Path(__file__).resolve().parents[2] / "docs" / "methodology.md"

FIGURES = {
    "responses set aside as incomplete": lambda u: u.excluded.incomplete,
    "included respondents": lambda u: u.n,
    "internal transparency score": lambda u: u.groups["internal"].dimensions["transparansi"].score,
    "internal transparency SE": lambda u: u.groups["internal"].dimensions["transparansi"].se,
    "internal integrity score": lambda u: u.groups["internal"].dimensions["integritas"].score,
    "internal integrity SE": lambda u: u.groups["internal"].dimensions["integritas"].se,
    "internal group index": lambda u: u.groups["internal"].index,
    "internal group index SE": lambda u: u.groups["internal"].se,
    "external transparency score": lambda u: u.groups["external"].dimensions["transparansi"].score,
    "external integrity score": lambda u: u.groups["external"].dimensions["integritas"].score,
    "external group index": lambda u: u.groups["external"].index,
    "external group index SE": lambda u: u.groups["external"].se,
    "raw index": lambda u: u.raw_index,
    "final index": lambda u: u.index,
    "SE of the index": lambda u: u.se,
    "degrees of freedom": lambda u: u.df,
    "interval low": lambda u: u.ci_low,
    "interval high": lambda u: u.ci_high,
    "gap": lambda u: u.gap,
    "p_below": lambda u: u.p_below,
    "transparency across groups": lambda u: u.dimensions["transparansi"].score,
    "transparency across groups SE": lambda u: u.dimensions["transparansi"].se,
    "integrity across groups": lambda u: u.dimensions["integritas"].score,
}


def block(text: str, name: str) -> str:
    """The fenced code block after ``<!-- example:name -->``."""
    found = re.search(rf"<!-- example:{name} -->\s*```\w*\n(.*?)```", text, re.S)
    assert found, f"docs/methodology.md has no example:{name} block"
    return found.group(1)


def results_table(text: str) -> dict[str, str]:
    found = re.search(r"<!-- example:results -->\s*\n((?:\|.*\|\n)+)", text)
    assert found, "docs/methodology.md has no example:results table"
    rows = [line.strip("|").split("|") for line in found.group(1).splitlines()[2:]]
    return {label.strip(): value.strip() for label, value in rows}


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    text = DOC.read_text(encoding="utf-8")
    folder = tmp_path_factory.mktemp("example")
    for name, suffix in (("instrument", "yaml"), ("responses", "csv"),
                         ("populations", "csv"), ("corrections", "csv")):
        (folder / f"{name}.{suffix}").write_text(block(text, name), encoding="utf-8")
    instrument = analysis.load_instrument(folder / "instrument.yaml")
    result = analysis.score(
        analysis.read_responses(folder / "responses.csv", instrument), instrument,
        populations=analysis.read_populations(folder / "populations.csv"),
        corrections=analysis.read_corrections(folder / "corrections.csv"))
    return result, results_table(text)


def test_every_printed_figure_is_checked(example):
    _, table = example
    assert set(table) == set(FIGURES)


def test_printed_figures_match_the_engine(example):
    result, table = example
    unit = result.unit("Dinas A")
    for label, printed in table.items():
        decimals = len(printed.split(".")[1]) if "." in printed else 0
        got = FIGURES[label](unit)
        # printed to `decimals` places: the engine's value must round to it
        assert abs(got - float(printed)) <= 0.5 * 10**-decimals + 1e-12, \
            f"{label}: page says {printed}, engine gives {got}"


def test_example_status_and_band_are_as_described(example):
    result, _ = example
    unit = result.unit("Dinas A")
    assert (unit.status, unit.band) == ("uncertain", "waspada")
    assert result.reliability[0].alpha is None
