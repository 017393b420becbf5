"""``survey export`` and ``survey report``: the downloads and PDF reports
from the command line, in-process on the test database."""

from __future__ import annotations

import csv
import json
import subprocess

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from support import run_survey

import analysis
from survey.admin.present import two_decimals
from survey.models import AuditEntry
from survey.services import results


@pytest.fixture
def survey(app, database_url, tmp_path, monkeypatch, capsys):
    """``survey(*args)`` -> (exit code, stdout, stderr), in this process."""
    for name, value in {"DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path),
                        "SECRET_KEY": app.config["SECRET_KEY"],
                        "JOB_RUNNER": "external"}.items():
        monkeypatch.setenv(name, value)

    def run(*args: str):
        return run_survey(capsys, *args)

    return run


def test_export_csv_and_xlsx(survey, session, small_city, tmp_path):
    stored = results.load(session, small_city.id)
    code, out, err = survey("export", "--campaign", str(small_city.id), "--out",
                            str(tmp_path / "csv"))
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "csv").iterdir()) == [
        "dimensions.csv", "groups.csv", "offices.csv"]
    with (tmp_path / "csv" / "offices.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["unit_code"]: float(r["index"]) for r in rows} == {
        code: unit.index for code, unit in stored.units.items()}
    code, out, err = survey("export", "--campaign", str(small_city.id), "--out",
                            str(tmp_path / "x"), "--format", "xlsx", "--lang", "en")
    assert code == 0, err
    workbook = load_workbook(tmp_path / "x" / "scores.xlsx")
    assert workbook.sheetnames == ["Offices", "Office x group", "Office x dimension"]
    assert workbook["Offices"]["A1"].value == "Office code"


def test_export_microdata_rescores_and_is_audit_logged(survey, session, small_city, tmp_path,
                                                       capsys):
    folder = tmp_path / "micro"
    code, out, err = survey("export", "--campaign", str(small_city.id), "--out", str(folder),
                            "--format", "microdata")
    assert code == 0, err
    assert sorted(p.name for p in folder.iterdir()) == [
        "README.md", "corrections.csv", "instrument.yaml", "populations.csv", "responses.csv",
        "results.json"]
    assert analysis.main(["score", "--instrument", str(folder / "instrument.yaml"),
                          "--responses", str(folder / "responses.csv"),
                          "--populations", str(folder / "populations.csv"),
                          "--corrections", str(folder / "corrections.csv"),
                          "--target", repr(float(small_city.target))]) == 0
    rescored = json.loads(capsys.readouterr().out)
    cached = results.load(session, small_city.id).score.to_dict()
    for mine, theirs in zip(rescored["units"], cached["units"], strict=True):
        for key in ("index", "ci_low", "ci_high"):
            assert mine[key] == pytest.approx(theirs[key], abs=1e-9, rel=0)
        assert mine["status"] == theirs["status"]
    session.expire_all()
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "results.microdata"))
    assert entry is not None and entry.detail["via"] == "command line"
    assert "Saran nomor" not in (folder / "responses.csv").read_text(encoding="utf-8")


@pytest.mark.parametrize("unit", [None, "A"])
def test_report_writes_a_pdf(survey, session, small_city, tmp_path, unit):
    out = tmp_path / "report.pdf"
    args = ["report", "--campaign", str(small_city.id), "--out", str(out), "--lang", "en"]
    if unit:
        args += ["--unit", unit]
    code, stdout, err = survey(*args)
    assert code == 0, err
    assert out.read_bytes().startswith(b"%PDF-")
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True,  # noqa: S607
                          text=True, check=True).stdout
    score = results.load(session, small_city.id).units["A"]
    assert f"{two_decimals(score.index)}" in text
    assert "Kantor A" in text
    # the command line sees everything: the small office A1 too
    if unit is None:
        assert "Kantor A1" in text and "n < 5" not in text


@pytest.mark.parametrize(("args", "message"), [
    (["export", "--campaign", "999", "--out", "x"], "no campaign with id 999"),
    (["report", "--campaign", "{c}", "--unit", "NOPE", "--out", "r.pdf"],
     "no office with code 'NOPE'"),
    (["export", "--campaign", "{c}", "--out", "x", "--format", "pdf"], "Invalid value"),
])
def test_bad_input_ends_with_one_line(survey, small_city, tmp_path, monkeypatch, args,
                                      message):
    monkeypatch.chdir(tmp_path)
    code, out, err = survey(*[a.replace("{c}", str(small_city.id)) for a in args])
    assert code == 2
    assert message in err and err.count("\n") == 1


def test_help_has_examples(survey):
    for command in ("export", "report"):
        code, out, err = survey(command, "--help")
        assert code == 0
        assert "Example: survey " + command in out
