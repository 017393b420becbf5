"""The instrument file loader: valid files load, broken files are refused
with every problem named by its key path (methodology v1, section 1)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import analysis
from analysis import InstrumentError, load_instrument, parse_instrument

REPO = Path(__file__).resolve().parents[2]
DEFAULT = REPO / "survey" / "instruments" / "spi-standard.yaml"

VALID = """\
id: mini
version: "1.0"
target: 72
bands:
  - {key: rentan, min: 0}
  - {key: terjaga, min: 78}
groups:
  internal: {weight: 0.6, min_n: 5}
  external: {weight: 0.4, min_n: 5}
dimensions: [transparansi, integritas_tugas]
questions:
  - id: INT_P1
    group: internal
    text: {id: "Pernah?", en: "Ever?"}
    options: [{code: "Y", score: null}, {code: "N", score: null}]
  - id: INT_TR_01
    group: internal
    dimension: transparansi
    text: {id: Tanya, en: Ask}
    options: [{code: "1", score: 0}, {code: "2", score: 100}, {code: "9", score: null}]
    show_if: {question: INT_P1, in: ["Y"]}
  - id: EXT_TR_01
    group: external
    dimension: integritas_tugas
    text: {id: Tanya, en: Ask}
    options: [{code: "1", score: 100}, {code: "2", score: 0}]
"""


def refusal(text: str, *, fmt: str = "yaml") -> InstrumentError:
    with pytest.raises(InstrumentError) as raised:
        parse_instrument(text, source="broken.yaml", format=fmt)
    return raised.value


def test_the_valid_example_loads_with_defaults_filled_in():
    instrument = parse_instrument(VALID)
    assert instrument.quality == analysis.Quality()
    assert instrument.questions[1].show_if.codes == frozenset({"Y"})
    assert instrument.questions[2].weight == 1.0 and instrument.warnings == ()


def test_the_default_instrument_set_validates():
    instrument = load_instrument(DEFAULT)
    assert (instrument.id, instrument.version) == ("spi-standard", "2026.2")
    assert instrument.warnings == ()


def test_json_and_yaml_of_the_same_document_load_alike(tmp_path):
    import yaml

    path = tmp_path / "mini.json"
    path.write_text(json.dumps(yaml.safe_load(VALID)))
    from_json, from_yaml = load_instrument(path), parse_instrument(VALID)
    assert from_json.questions == from_yaml.questions and from_json.groups == from_yaml.groups


def test_checksum_is_the_sha256_of_the_bytes():
    import hashlib

    assert parse_instrument(VALID).checksum == hashlib.sha256(VALID.encode()).hexdigest()


# Each case breaks one thing; the message must name the key path.
BROKEN = {
    "yaml syntax": (VALID.replace("integritas_tugas]", "integritas_tugas"),
                    "line 11: (document): not valid YAML"),
    "not a mapping": ("- just\n- a list\n", "(document): the file must hold a mapping"),
    "missing id": (VALID.replace("id: mini\n", ""), "id: required key missing"),
    "version as number": (VALID.replace('version: "1.0"', "version: 1.0"),
                          'version: must be a string (quote it'),
    "target out of range": (VALID.replace("target: 72", "target: 172"),
                            "target: must be a number from 0 to 100"),
    "first band not at 0": (VALID.replace("{key: rentan, min: 0}", "{key: rentan, min: 10}"),
                            "bands[0].min: the first band must start at 0"),
    "bands not ascending": (VALID.replace("{key: terjaga, min: 78}", "{key: terjaga, min: 0}"),
                            "bands[1].min: bands must ascend by min"),
    "group weight zero": (VALID.replace("{weight: 0.6, min_n: 5}", "{weight: 0, min_n: 5}"),
                          "groups.internal.weight: must be a number above 0"),
    "min_n below 2": (VALID.replace("{weight: 0.4, min_n: 5}", "{weight: 0.4, min_n: 1}"),
                      "groups.external.min_n: must be a whole number of at least 2"),
    "duplicate dimension": (VALID.replace("[transparansi, integritas_tugas]",
                                          "[transparansi, transparansi]"),
                            "dimensions[1]: duplicate dimension"),
    "unknown group": (VALID.replace("group: external", "group: citizens"),
                      "questions[2].group: unknown group 'citizens'"),
    "unknown dimension": (VALID.replace("dimension: integritas_tugas", "dimension: pbj"),
                          "questions[2].dimension: unknown dimension 'pbj'"),
    "duplicate question id": (VALID.replace("id: EXT_TR_01", "id: INT_TR_01"),
                              "questions[2].id: duplicate question id 'INT_TR_01'"),
    "bad question id": (VALID.replace("id: EXT_TR_01", "id: EXT-TR 01"),
                        "questions[2].id: must be letters, digits and _ only"),
    "unknown type": (VALID.replace("    group: external\n", "    group: external\n    type: scale\n"),
                     "questions[2].type: must be one of choice, multi, number, text"),
    "score above 100": (VALID.replace('{code: "2", score: 100}, {code: "9"',
                                      '{code: "2", score: 101}, {code: "9"'),
                        "questions[1].options[1].score (question INT_TR_01): must be a number"),
    "score missing": (VALID.replace('{code: "2", score: 0}]', '{code: "2"}]'),
                      "questions[2].options[1].score (question EXT_TR_01): required key missing"),
    "duplicate option code": (VALID.replace('{code: "2", score: 0}]', '{code: "1", score: 0}]'),
                              "questions[2].options[1].code (question EXT_TR_01): duplicate"),
    "choice without options": (VALID.replace(
        '    options: [{code: "1", score: 100}, {code: "2", score: 0}]\n', ""),
        "questions[2].options (question EXT_TR_01): a choice or multi question needs"),
    "missing text": (VALID.replace('    text: {id: "Pernah?", en: "Ever?"}\n', ""),
                     "questions[0].text: required key missing"),
    "yes read as boolean": (VALID.replace('en: "Ever?"', "en: yes"),
                            "questions[0].text.en: must be a non-empty text, got true/false"),
    "show_if later question": (VALID.replace("show_if: {question: INT_P1", "show_if: {question: EXT_TR_01"),
                               "questions[1].show_if.question (question INT_TR_01): must name an earlier"),
    "show_if unknown code": (VALID.replace('in: ["Y"]', 'in: ["maybe"]'),
                             "questions[1].show_if.in (question INT_TR_01): 'maybe' is not an option"),
    "dimension weight unknown dimension": (
        VALID.replace("questions:\n", "dimension_weights: {internal: {pbj: 2}}\nquestions:\n"),
        "dimension_weights.internal.pbj: unknown dimension 'pbj'"),
    "quality negative": (VALID.replace("questions:\n", "quality: {speeder_seconds_per_item: -1}\nquestions:\n"),
                         "quality.speeder_seconds_per_item: must be a number of at least 0"),
    "weight not positive": (VALID.replace("    group: external\n", "    group: external\n    weight: -2\n"),
                            "questions[2].weight: must be a number above 0"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_file_is_refused_naming_the_key_path(case):
    text, expected = BROKEN[case]
    error = refusal(text)
    assert any(expected in str(problem) for problem in error.problems), \
        [str(p) for p in error.problems]
    assert str(error).startswith("broken.yaml: ") and "\n" not in str(error)


def test_every_problem_is_reported_at_once_with_its_line():
    text = VALID.replace("target: 72", "target: -1").replace("group: external", "group: nobody")
    error = refusal(text)
    assert [str(p) for p in error.problems] == [
        "line 3: target: must be a number from 0 to 100, got -1",
        "line 23: questions[2].group: unknown group 'nobody'; groups are external, internal"
        " (question EXT_TR_01)",
    ]
    assert "(and 1 more problem)" in str(error)


def test_json_syntax_error_names_the_line():
    error = refusal('{"id": "x",\n "version": }', fmt="json")
    assert str(error.problems[0]).startswith("line 2: (document): not valid JSON")


def test_unknown_keys_are_kept_out_and_reported_as_warnings():
    instrument = parse_instrument(VALID.replace("    group: external\n",
                                                "    group: external\n    requird: true\n"))
    assert instrument.warnings == ("questions[2].requird: unknown key, ignored",)


def test_unreadable_file_is_refused_in_one_line(tmp_path):
    with pytest.raises(InstrumentError) as raised:
        load_instrument(tmp_path / "missing.yaml")
    assert "cannot read file" in str(raised.value)


def test_non_utf8_file_is_refused(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(VALID.replace("Tanya", "Tanyá").encode("latin-1"))
    with pytest.raises(InstrumentError) as raised:
        load_instrument(path)
    assert "not UTF-8" in str(raised.value)
