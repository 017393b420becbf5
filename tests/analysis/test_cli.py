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
    assert main(["plan", "--margin", "5", "--sd", "15", "--population", "200", "--json"]) == 0
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


# -- for people: --format table, compare's labels, plan's sentence, --help ----------


def _unit(name, index, se, df, *, status="uncertain", low=None, high=None, band=None,
          q_below=None, n=10, excluded=0):
    return {"unit": name, "index": index, "raw_index": index, "correction": 0.0, "se": se,
            "df": df, "ci_low": low, "ci_high": high, "band": band, "gap": None,
            "status": status, "p_below": None, "q_below": q_below, "n": n,
            "excluded": {"incomplete": excluded, "speeder": 0, "straightline": 0,
                         "coordinated": 0},
            "groups": {}, "dimensions": {}}


def _result(*units, warnings=()):
    return analysis.ScoreResult.from_dict({
        "instrument": {"id": "spi", "version": "2026.1"}, "target": 72,
        "units": list(units), "reliability": [], "warnings": list(warnings)})


def _table_lines(text):
    """The unit lines of a table (after the blank line that ends the header)."""
    return text.split("\n\n", 1)[1].splitlines()


@pytest.mark.parametrize(("lang", "words"), [
    ("en", ["Integrity index", "target 60.00", "unit", "index", "95% interval", "band",
            "status", "excluded", "insufficient data"]),
    ("id", ["Indeks integritas", "target 60,00", "unit", "indeks", "interval 95%",
            "kategori", "status", "dikecualikan", "data kurang"]),
])
def test_score_table_one_line_per_unit_in_both_languages(files, capsys, lang, words):
    assert main(score_args(files, "--format", "table", "--lang", lang)) == 0
    text = capsys.readouterr().out
    for word in words:
        assert word in text
    header, u1, u2 = _table_lines(text)
    assert header.split()[0] == "unit"
    assert main(score_args(files)) == 0
    unit = json.loads(capsys.readouterr().out)["units"][0]
    mark = "," if lang == "id" else "."
    shown = f"{unit['index']:.2f}".replace(".", mark)
    low, high = (f"{unit[k]:.2f}".replace(".", mark) for k in ("ci_low", "ci_high"))
    separator = "; " if lang == "id" else ", "
    assert u1.split()[:2] == ["U1", shown]
    assert f"[{low}{separator}{high}]" in u1
    assert unit["band"] in u1.split()
    assert u1.split()[-2:] == [str(unit["n"]), str(sum(unit["excluded"].values()))]
    assert u2.startswith("U2") and (" - " in u2)          # no index: dashes, last


def test_score_table_is_sorted_by_index_and_lists_warnings(capsys, tmp_path):
    from analysis._cli_text import score_table

    result = _result(
        _unit("A", 60.0, 1.0, 50, status="below", low=58.0, high=62.0, band="rentan",
              q_below=0.01),
        _unit("B", None, None, None, status="insufficient"),
        _unit("C", 80.0, 1.0, 50, status="above", low=78.0, high=82.0, band="terjaga"),
        _unit("D", 70.0, 0.8, 50, status="below", low=69.0, high=71.9949, band="rentan",
              q_below=0.2),
        warnings=["unit A: population smaller than its respondents"])
    for lang, below, footnote in [("en", "below target", "Benjamini-Hochberg"),
                                  ("id", "di bawah target", "Benjamini-Hochberg")]:
        text = score_table(result, lang)
        assert "target 72" in text
        assert "unit A: population smaller than its respondents" in text.split("\n\n")[0]
        lines = _table_lines(text)
        assert [line.split()[0] for line in lines[1:5]] == ["C", "D", "A", "B"]
        assert "71" + ("," if lang == "id" else ".") + "99]" in lines[2]   # half up
        # D is below by its own interval but not after BH: marked and explained
        assert (below + " *") in lines[2]
        assert (below + " *") not in lines[3]
        assert footnote in text and "q_below" in text


def test_compare_table_names_a_direction_only_after_bh(files, capsys, tmp_path):
    previous = _result(_unit("A", 50.0, 1.5, 200), _unit("B", 60.0, 2.0, 200),
                       _unit("C", 70.0, 2.0, 200))
    current = _result(_unit("A", 55.0, 1.5, 200), _unit("B", 60.5, 2.0, 200),
                      _unit("C", 70.1, 2.0, 200))
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    first.write_text(previous.to_json(), encoding="utf-8")
    second.write_text(current.to_json(), encoding="utf-8")
    assert main(["compare", str(first), str(second)]) == 0
    a = json.loads(capsys.readouterr().out)["units"][0]
    assert a["ci_low"] > 0 and a["p_value"] < 0.05 <= a["q_value"]
    assert a["status"] == "no_clear_change"
    for lang, calm, rise in [("en", "no clear change", "increase"),
                             ("id", "tidak jelas berubah", "naik")]:
        assert main(["compare", str(first), str(second), "--format", "table",
                     "--lang", lang]) == 0
        text = capsys.readouterr().out
        line = _table_lines(text)[1]
        assert line.startswith("A") and line.endswith(calm)
        assert rise not in "\n".join(_table_lines(text))
        assert "+5" + ("," if lang == "id" else ".") + "00" in line
    # alone, the same change is named
    first.write_text(_result(_unit("A", 50.0, 1.5, 200)).to_json(), encoding="utf-8")
    second.write_text(_result(_unit("A", 55.0, 1.5, 200)).to_json(), encoding="utf-8")
    assert main(["compare", str(first), str(second), "--format", "table", "--lang", "id"]) == 0
    assert _table_lines(capsys.readouterr().out)[1].endswith("naik")


@pytest.mark.parametrize(("lang", "expected"), [
    ("en", "32 respondents give a 95% interval of at most +/-{m} points "
           "(sd 15, population 200).\n"),
    ("id", "32 responden memberi interval 95% paling lebar +/-{m} poin "
           "(simpangan baku 15, populasi 200).\n"),
])
def test_plan_prints_a_sentence_by_default(capsys, lang, expected):
    assert main(["plan", "--margin", "5", "--sd", "15", "--population", "200",
                 "--lang", lang]) == 0
    margin = analysis.margin_of_error(32, population=200, sd=15)
    shown = f"{margin:.2f}".replace(".", "," if lang == "id" else ".")
    assert capsys.readouterr().out == expected.format(m=shown)


@pytest.mark.parametrize("rate", ["0.6", "60%"])
def test_plan_allows_for_an_expected_response_rate(capsys, rate):
    assert main(["plan", "--margin", "5", "--sd", "15", "--population", "200",
                 "--response-rate", rate, "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["respondents"] == 32
    assert document["response_rate"] == 0.6
    assert document["invitations"] == 54          # ceil(32 / 0.6)
    assert main(["plan", "--margin", "5", "--sd", "15", "--population", "200",
                 "--response-rate", rate, "--lang", "en"]) == 0
    assert capsys.readouterr().out.startswith(
        "Invite 54 people to get 32 respondents at a response rate of 60%")
    assert main(["plan", "--margin", "5", "--sd", "15", "--population", "200",
                 "--response-rate", rate, "--lang", "id"]) == 0
    assert capsys.readouterr().out.startswith(
        "Undang 54 orang untuk mendapat 32 responden pada tingkat respons 60%")


def test_plan_with_too_few_people_says_invite_everyone(capsys):
    assert main(["plan", "--margin", "5", "--sd", "15", "--population", "30",
                 "--response-rate", "50%", "--lang", "en"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("Invite all 30 people: at a response rate of 50% about 15 answer")
    margin = analysis.margin_of_error(15, population=30, sd=15)
    assert f"+/-{margin:.2f} points" in text


@pytest.mark.parametrize("rate", ["0", "1.5", "120%", "lots"])
def test_plan_refuses_a_rate_that_is_not_one(capsys, rate):
    with pytest.raises(SystemExit) as caught:
        main(["plan", "--margin", "5", "--sd", "15", "--response-rate", rate])
    assert caught.value.code == 2
    assert "--response-rate" in capsys.readouterr().err


@pytest.mark.parametrize(("command", "needles"), [
    ([], ["example:", "python -m analysis score"]),
    (["score"], ["example:", "responses", "response_id, unit, group, duration_s",
                 "populations", "unit, group, population", "corrections",
                 "unit, points, reason", "instrument", "--format table"]),
    (["compare"], ["example:", "results documents (JSON)", "Benjamini-Hochberg"]),
    (["plan"], ["examples:", "--response-rate", "--json", "standard deviation"]),
])
def test_every_help_has_an_example_and_describes_the_files(capsys, command, needles):
    with pytest.raises(SystemExit) as caught:
        main([*command, "--help"])
    assert caught.value.code == 0
    text = capsys.readouterr().out
    for needle in needles:
        assert needle in text
