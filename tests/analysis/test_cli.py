"""``python -m analysis``: score, compare and plan."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

import analysis
from analysis import main

REPO = Path(__file__).resolve().parents[2]
HEADER = "response_id,unit,group,duration_s,weight,I_PROFILE,I1,I2,I3,I_NOTE,E1,E2"
ROWS = [
    "r1,U1,internal,300,1,a,5,3,4,,,",
    "r2,U1,internal,300,3,b,1,5,2,,,",
    "r3,U1,external,300,1,,,,,,4,4",
    "r4,U1,external,300,1,,,,,,2,3",
    "r5,U2,internal,300,1,a,5,5,5,,,",
]


@pytest.fixture
def files(tmp_path, hand_document):
    """An instrument, responses, populations and corrections in tmp_path."""
    (tmp_path / "instrument.json").write_text(json.dumps(hand_document), encoding="utf-8")
    (tmp_path / "responses.csv").write_text("\n".join([HEADER, *ROWS]) + "\n", encoding="utf-8")
    (tmp_path / "populations.csv").write_text("unit,group,population\nU1,internal,8\n",
                                              encoding="utf-8")
    (tmp_path / "corrections.csv").write_text("unit,points,reason\nU1,2.5,kasus\n",
                                              encoding="utf-8")
    return tmp_path


def score_args(folder: Path, *extra: str) -> list[str]:
    return ["score", "--instrument", str(folder / "instrument.json"),
            "--responses", str(folder / "responses.csv"), *extra]


def test_score_writes_the_results_json_to_stdout(files, capsys):
    assert main(score_args(files)) == 0
    document = json.loads(capsys.readouterr().out)
    assert [u["unit"] for u in document["units"]] == ["U1", "U2"]
    assert document["instrument"] == {"id": "hand", "version": "1"}
    assert document["target"] == 60
    # the hand-worked unit of test_estimates: I = 55.3125
    assert document["units"][0]["raw_index"] == 55.3125


def test_score_uses_populations_corrections_and_target(files, capsys):
    code = main(score_args(files, "--populations", str(files / "populations.csv"),
                           "--corrections", str(files / "corrections.csv"), "--target", "72"))
    assert code == 0
    document = json.loads(capsys.readouterr().out)
    unit = document["units"][0]
    assert document["target"] == 72
    assert unit["correction"] == 2.5
    assert unit["index"] == 55.3125 - 2.5
    assert unit["groups"]["internal"]["population"] == 8


def test_score_out_writes_the_file_and_nothing_to_stdout(files, capsys):
    out = files / "result.json"
    assert main(score_args(files, "--out", str(out))) == 0
    assert capsys.readouterr().out == ""
    assert json.loads(out.read_text(encoding="utf-8"))["units"][1]["status"] == "insufficient"
    assert [p.name for p in files.iterdir() if p.name.startswith(".")] == []


def test_score_csv_has_one_row_per_unit(files, capsys):
    assert main(score_args(files, "--format", "csv")) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["unit"] for r in rows] == ["U1", "U2"]
    assert float(rows[0]["raw_index"]) == 55.3125
    assert rows[0]["internal_eligible"] == "true"
    assert rows[1]["index"] == ""          # insufficient: null is an empty cell
    assert rows[1]["status"] == "insufficient"
    assert {"d1_score", "d2_se", "excluded_coordinated", "external_n"} <= set(rows[0])


BAD = [
    pytest.param(["r1,U1,auditor,300,1,a,5,3,4,,,"], "row 2, column 'group'",
                 id="unknown-group"),
    pytest.param(["r1,U1,internal,300,1,a,7,3,4,,,"], "row 2, column 'I1'",
                 id="code-not-option"),
    pytest.param(["r1,U1,internal,300,0,a,5,3,4,,,"], "row 2, column 'weight'",
                 id="non-positive-weight"),
    pytest.param([*ROWS, "r2,U1,internal,300,1,a,5,3,4,,,"], "row 7, column 'response_id'",
                 id="duplicate-response-id"),
]


@pytest.mark.parametrize(("rows", "where"), BAD)
def test_bad_responses_exit_2_with_one_line_and_write_nothing(files, capsys, rows, where):
    (files / "responses.csv").write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    out = files / "result.json"
    assert main(score_args(files, "--out", str(out))) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert captured.err.startswith(f"{files / 'responses.csv'}: {where}:")
    assert not out.exists()
    assert sorted(p.name for p in files.iterdir()) == ["corrections.csv", "instrument.json",
                                                       "populations.csv", "responses.csv"]


def test_unknown_question_column_exits_2(files, capsys):
    (files / "responses.csv").write_text(HEADER + ",I99\n", encoding="utf-8")
    assert main(score_args(files)) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{files / 'responses.csv'}: row 1, column 'I99': unknown question")
    assert err.count("\n") == 1


@pytest.mark.parametrize(("name", "content", "flag", "where"), [
    pytest.param("populations.csv", "unit,group,population\nU1,internal,-4\n", "--populations",
                 "row 2, column 'population'", id="bad-population"),
    pytest.param("populations.csv", "unit,group,population\nU1,auditor,4\n", "--populations",
                 "row 2, column 'group'", id="population-of-unknown-group"),
    pytest.param("corrections.csv", "unit,points,reason\nU1,lots,x\n", "--corrections",
                 "row 2, column 'points'", id="bad-correction"),
])
def test_bad_side_files_exit_2(files, capsys, name, content, flag, where):
    (files / name).write_text(content, encoding="utf-8")
    assert main(score_args(files, flag, str(files / name))) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{files / name}: {where}:")
    assert err.count("\n") == 1


def test_bad_instrument_exits_2_with_its_one_line_message(files, capsys):
    (files / "instrument.json").write_text('{"id": "x"}', encoding="utf-8")
    out = files / "result.json"
    assert main(score_args(files, "--out", str(out))) == 2
    err = capsys.readouterr().err
    assert err.startswith(str(files / "instrument.json"))
    assert err.count("\n") == 1
    assert not out.exists()


def test_missing_responses_file_exits_2(files, capsys):
    (files / "responses.csv").unlink()
    assert main(score_args(files)) == 2
    assert "cannot read file" in capsys.readouterr().err


def test_failed_run_leaves_an_existing_out_file_untouched(files, capsys):
    out = files / "result.json"
    out.write_text("previous result", encoding="utf-8")
    (files / "responses.csv").write_text(HEADER + "\nr1,U1,auditor,1,1,,,,,,,\n",
                                         encoding="utf-8")
    assert main(score_args(files, "--out", str(out))) == 2
    assert out.read_text(encoding="utf-8") == "previous result"


def test_python_dash_m_analysis_runs(files):
    # our own interpreter on our own files
    completed = subprocess.run([sys.executable, "-m", "analysis", *score_args(files)],  # noqa: S603
                               capture_output=True, text=True, check=False, cwd=REPO)
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["units"][0]["unit"] == "U1"


def test_python_dash_m_analysis_exits_2_on_bad_input(files):
    (files / "responses.csv").write_text(HEADER + "\nr1,,internal,1,1,,,,,,,\n",
                                         encoding="utf-8")
    completed = subprocess.run([sys.executable, "-m", "analysis", *score_args(files)],  # noqa: S603
                               capture_output=True, text=True, check=False, cwd=REPO)
    assert completed.returncode == 2
    assert completed.stdout == ""
    assert completed.stderr == f"{files / 'responses.csv'}: row 2, column 'unit': unit is empty\n"


# -- compare and plan ---------------------------------------------------------------


def test_compare_reads_two_results_and_reports_changes(files, capsys):
    first, second = files / "first.json", files / "second.json"
    assert main(score_args(files, "--out", str(first))) == 0
    assert main(score_args(files, "--corrections", str(files / "corrections.csv"),
                           "--out", str(second))) == 0
    assert main(["compare", str(first), str(second)]) == 0
    document = json.loads(capsys.readouterr().out)
    u1, u2 = document["units"]
    assert u1["change"] == -2.5              # only the correction changed
    assert u2["status"] == "insufficient"


def test_compare_csv_has_one_row_per_unit(files, capsys):
    first = files / "first.json"
    assert main(score_args(files, "--out", str(first))) == 0
    assert main(["compare", str(first), str(first), "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["unit"] for r in rows] == ["U1", "U2"]
    assert rows[0]["status"] == "no_clear_change"


def test_compare_rejects_a_file_that_is_not_a_result(files, capsys):
    first = files / "first.json"
    assert main(score_args(files, "--out", str(first))) == 0
    broken = files / "broken.json"
    broken.write_text('{"units": []}', encoding="utf-8")
    assert main(["compare", str(first), str(broken)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{broken}: not a results document: instrument: missing")
    assert err.count("\n") == 1
    broken.write_text("{", encoding="utf-8")
    assert main(["compare", str(first), str(broken)]) == 2
    assert "not valid JSON" in capsys.readouterr().err


def test_plan_prints_respondents_needed(capsys):
    assert main(["plan", "--margin", "5", "--sd", "15", "--population", "200"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["respondents"] == analysis.required_sample_size(200, margin=5, sd=15)
    assert document["margin"] <= 5


def test_plan_rejects_impossible_settings(capsys):
    assert main(["plan", "--margin", "0", "--sd", "15"]) == 2
    assert capsys.readouterr().err.startswith("plan: margin must be")


def test_target_must_be_a_finite_number(files, capsys):
    with pytest.raises(SystemExit) as caught:
        main(score_args(files, "--target", "nan"))
    assert caught.value.code == 2
