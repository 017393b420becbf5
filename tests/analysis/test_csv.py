"""Reading the interchange CSV files (methodology v1, section 2)."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

import analysis

HEADER = "response_id,unit,group,duration_s,weight,I_PROFILE,I1,I2,I3,I_NOTE,E1,E2"
GOOD_ROWS = [
    "r1,U1,internal,300,1.5,a,5,3,4,catatan,,",
    "r2,U2,external,,1,,,,,,4,9",
    "r3,U1,internal,250,2,,1,,2,,,",
]


def write(tmp_path, lines, name="responses.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def test_reads_a_good_file_into_the_engine_table(tmp_path, make_instrument):
    instrument = make_instrument()
    table = analysis.read_responses(write(tmp_path, [HEADER, *GOOD_ROWS]), instrument)
    assert table.units == ("U1", "U2")
    internal = table.groups["internal"]
    assert internal.question_ids == ("I_PROFILE", "I1", "I2", "I3", "I_NOTE")
    assert internal.unit.tolist() == [0, 0]
    assert internal.response_id.tolist() == ["r1", "r3"]
    assert_allclose(internal.weight, [1.5, 2.0], rtol=0)
    assert_allclose(internal.duration_s, [300, 250], rtol=0)
    # cells: choice = 1 + option index (code "5" is the 5th option), blank 0
    assert internal.cells[:, 1:4].tolist() == [[5, 3, 4], [1, 0, 2]]
    assert internal.cells[0, 4] == analysis.encode_cell(instrument.question("I_NOTE"), "catatan")
    external = table.groups["external"]
    assert np.isnan(external.duration_s[0])
    assert external.cells.tolist() == [[4, 6]]


def test_weight_column_is_optional(tmp_path, make_instrument):
    lines = ["response_id,unit,group,duration_s,I1", "r1,U1,internal,10,3"]
    table = analysis.read_responses(write(tmp_path, lines), make_instrument())
    assert table.groups["internal"].weight.tolist() == [1.0]


def test_question_columns_may_be_missing_or_reordered(tmp_path, make_instrument):
    lines = ["I3,response_id,group,unit,duration_s,I1", "2,r1,internal,U1,,5"]
    table = analysis.read_responses(write(tmp_path, lines), make_instrument())
    assert table.groups["internal"].cells.tolist() == [[0, 5, 0, 2, 0]]


def test_byte_order_mark_is_accepted(tmp_path, make_instrument):
    path = write(tmp_path, [HEADER, *GOOD_ROWS], encoding="utf-8-sig")
    assert analysis.read_responses(path, make_instrument()).n == 3


# -- every bad input: one InputError, one line, naming file, row and column -----

BAD_RESPONSES = [
    pytest.param([HEADER, "r1,U1,auditor,300,1,,5,,,,,"], 2, "group", "unknown group",
                 id="unknown-group"),
    pytest.param([HEADER + ",I9", "r1,U1,internal,300,1,,5,,,,,,"], 1, "I9",
                 "unknown question column", id="unknown-question-column"),
    pytest.param([HEADER, "r1,U1,internal,300,1,,7,,,,,"], 2, "I1", "not an option",
                 id="code-not-an-option"),
    pytest.param([HEADER, "r1,U1,internal,300,0,,5,,,,,"], 2, "weight", "above 0",
                 id="zero-weight"),
    pytest.param([HEADER, "r1,U1,internal,300,-2,,5,,,,,"], 2, "weight", "above 0",
                 id="negative-weight"),
    pytest.param([HEADER, "r1,U1,internal,300,heavy,,5,,,,,"], 2, "weight", "above 0",
                 id="non-numeric-weight"),
    pytest.param([HEADER, "r1,U1,internal,300,,,5,,,,,"], 2, "weight", "above 0",
                 id="blank-weight"),
    pytest.param([HEADER, *GOOD_ROWS, "r2,U3,internal,300,1,,5,,,,,"], 5, "response_id",
                 "duplicate response_id", id="duplicate-response-id"),
    pytest.param([HEADER, "r1,U1,internal,fast,1,,5,,,,,"], 2, "duration_s", "duration_s",
                 id="bad-duration"),
    pytest.param([HEADER, "r1,U1,internal,-3,1,,5,,,,,"], 2, "duration_s", "duration_s",
                 id="negative-duration"),
    pytest.param([HEADER, "r1,U1,internal,nan,1,,5,,,,,"], 2, "duration_s", "duration_s",
                 id="nan-duration"),
    pytest.param(["response_id,unit,duration_s,I1", "r1,U1,3,5"], 1, "group",
                 "required column missing", id="missing-group-column"),
    pytest.param(["response_id,group,duration_s,I1", "r1,internal,3,5"], 1, "unit",
                 "required column missing", id="missing-unit-column"),
    pytest.param(["unit,group,duration_s,I1", "U1,internal,3,5"], 1, "response_id",
                 "required column missing", id="missing-response-id-column"),
    pytest.param(["response_id,unit,group,I1", "r1,U1,internal,5"], 1, "duration_s",
                 "required column missing", id="missing-duration-column"),
    pytest.param([HEADER, "r1, ,internal,300,1,,5,,,,,"], 2, "unit", "unit is empty",
                 id="empty-unit"),
    pytest.param([HEADER, ",U1,internal,300,1,,5,,,,,"], 2, "response_id", "empty",
                 id="empty-response-id"),
    pytest.param([HEADER, "r1,U1,internal,300,1,,5,,,,4,"], 2, "E1", "group external",
                 id="answer-to-another-groups-question"),
    pytest.param([HEADER, "r1,U1,internal,300,1,,5"], 2, None, "fields",
                 id="short-row"),
    pytest.param([HEADER + ",I1", "r1,U1,internal,300,1,,5,,,,,,5"], 1, "I1", "twice",
                 id="duplicate-header-column"),
]


@pytest.mark.parametrize(("lines", "row", "column", "message"), BAD_RESPONSES)
def test_bad_responses_raise_one_line_naming_file_row_and_column(tmp_path, make_instrument,
                                                                 lines, row, column, message):
    path = write(tmp_path, lines)
    with pytest.raises(analysis.InputError) as caught:
        analysis.read_responses(path, make_instrument())
    error = caught.value
    text = str(error)
    assert "\n" not in text
    assert text.startswith(f"{path}: row {row}")
    assert (error.source, error.row, error.column) == (str(path), row, column)
    if column is not None:
        assert repr(column) in text
    assert message in text


def test_multi_and_number_cells_are_checked(tmp_path, hand_document, make_instrument):
    questions = hand_document["questions"] + [
        {"id": "I_MULTI", "group": "internal", "type": "multi", "text": {"en": "m"},
         "options": [{"code": "x", "score": None}, {"code": "y", "score": None}]},
        {"id": "I_COUNT", "group": "internal", "type": "number", "text": {"en": "n"}},
    ]
    instrument = make_instrument(questions=questions)
    header = "response_id,unit,group,duration_s,I1,I_MULTI,I_COUNT"
    good = analysis.read_responses(write(tmp_path, [header, "r1,U,internal,,5,x;y,12.5"]),
                                   instrument)
    assert good.groups["internal"].cells[0, 5] == analysis.encode_cell(
        instrument.question("I_MULTI"), "x;y")
    for cells, column in (("x;z,1", "I_MULTI"), ("x,twelve", "I_COUNT")):
        path = write(tmp_path, [header, f"r1,U,internal,,5,{cells}"], name=f"{column}.csv")
        with pytest.raises(analysis.InputError) as caught:
            analysis.read_responses(path, instrument)
        assert (caught.value.row, caught.value.column) == (2, column)


def test_unreadable_file_is_an_input_error(tmp_path, make_instrument):
    missing = tmp_path / "absent.csv"
    with pytest.raises(analysis.InputError, match="cannot read file") as caught:
        analysis.read_responses(missing, make_instrument())
    assert str(caught.value).startswith(str(missing))


def test_non_utf8_file_names_the_row(tmp_path, make_instrument):
    path = write(tmp_path, [HEADER, GOOD_ROWS[0], "r2,Dinas Pekerjaan Umum é,internal,1,1,,5,,,,,"],
                 encoding="latin-1")
    with pytest.raises(analysis.InputError, match="not UTF-8") as caught:
        analysis.read_responses(path, make_instrument())
    assert caught.value.row == 3


def test_empty_file_is_an_input_error(tmp_path, make_instrument):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(analysis.InputError, match="empty file"):
        analysis.read_responses(path, make_instrument())


def test_broken_quoting_is_an_input_error(tmp_path, make_instrument):
    path = write(tmp_path, [HEADER, 'r1,U1,internal,300,1,,5,,,"unclosed,,'])
    with pytest.raises(analysis.InputError, match="CSV"):
        analysis.read_responses(path, make_instrument())


def test_a_newline_in_a_cell_stays_one_line_in_the_message(tmp_path, make_instrument):
    path = write(tmp_path, [HEADER, 'r1,U1,internal,300,1,,"7\n8",,,,,'])
    with pytest.raises(analysis.InputError) as caught:
        analysis.read_responses(path, make_instrument())
    assert "\n" not in str(caught.value)
    assert (caught.value.row, caught.value.column) == (2, "I1")


# -- populations and corrections --------------------------------------------------


def test_reads_populations_by_unit_and_group(tmp_path):
    path = write(tmp_path, ["unit,group,population", "U1,internal,120", "U1,external,35.5"],
                 name="populations.csv")
    assert analysis.read_populations(path) == {("U1", "internal"): 120.0,
                                               ("U1", "external"): 35.5}


@pytest.mark.parametrize(("lines", "row", "column"), [
    pytest.param(["unit,group,population", "U1,internal,0"], 2, "population", id="zero"),
    pytest.param(["unit,group,population", "U1,internal,banyak"], 2, "population",
                 id="non-numeric"),
    pytest.param(["unit,group,population", ",internal,10"], 2, "unit", id="empty-unit"),
    pytest.param(["unit,group,population", "U1,,10"], 2, "group", id="empty-group"),
    pytest.param(["unit,group,population", "U1,auditor,10"], 2, "group", id="unknown-group"),
    pytest.param(["unit,group,population", "U1,internal,10", "U1,internal,12"], 3, "unit",
                 id="duplicate"),
    pytest.param(["unit,group", "U1,internal"], 1, "population", id="missing-column"),
    pytest.param(["unit,group,population", "U1,internal"], 2, None, id="short-row"),
])
def test_bad_populations_raise_one_line(tmp_path, make_instrument, lines, row, column):
    path = write(tmp_path, lines, name="populations.csv")
    with pytest.raises(analysis.InputError) as caught:
        analysis.read_populations(path, instrument=make_instrument())
    assert (caught.value.row, caught.value.column) == (row, column)
    assert str(caught.value).startswith(f"{path}: row {row}")
    assert "\n" not in str(caught.value)


def test_corrections_of_a_unit_add_up(tmp_path):
    path = write(tmp_path, ["unit,points,reason", "U1,2.5,kasus korupsi",
                            "U1,1.0,pengarahan responden", "U2,4,fakta"], name="corr.csv")
    assert analysis.read_corrections(path) == {"U1": 3.5, "U2": 4.0}


@pytest.mark.parametrize(("lines", "row", "column"), [
    pytest.param(["unit,points,reason", "U1,dua,x"], 2, "points", id="non-numeric"),
    pytest.param(["unit,points,reason", "U1,inf,x"], 2, "points", id="infinite"),
    pytest.param(["unit,points,reason", ",2,x"], 2, "unit", id="empty-unit"),
    pytest.param(["unit,reason", "U1,x"], 1, "points", id="missing-column"),
    pytest.param(["unit,points,reason", "U1,-5,x"], 2, "points", id="negative"),
    pytest.param(["unit,points,reason", "U1,101,x"], 2, "points", id="above-100"),
    pytest.param(["unit,points", "U1,2"], 1, "reason", id="missing-reason-column"),
    pytest.param(["unit,points,reason", "U1,2, "], 2, "reason", id="empty-reason"),
])
def test_bad_corrections_raise_one_line(tmp_path, lines, row, column):
    path = write(tmp_path, lines, name="corrections.csv")
    with pytest.raises(analysis.InputError) as caught:
        analysis.read_corrections(path)
    assert (caught.value.row, caught.value.column) == (row, column)
    assert "\n" not in str(caught.value)
