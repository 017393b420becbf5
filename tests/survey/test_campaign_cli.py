"""The campaign use cases from the command line, run in-process on the
test database (SQLite or PostgreSQL): each command works, has --help, and
ends bad input with one line and exit code 2."""

from __future__ import annotations

import csv

import pytest
from sqlalchemy import func, select
from support import run_survey

from survey.models import Campaign, Invitation, ListEntry, Unit

OFFICES = "code,name,parent_code,population_internal\nDINKES,Dinas Kesehatan,,40\n" \
          "RSUD,RSUD Harapan Jaya,DINKES,120\n"
PEOPLE = "unit,group,phone,email\nDINKES,internal,0812-1111-0001,\n" \
         "RSUD,internal,,rsud@kota.example\nRSUD,internal,0812-1111-0003,\n"


@pytest.fixture
def survey(app, database_url, tmp_path, monkeypatch, capsys):
    """``survey(*args)`` runs the command in this process against the
    test database; returns (exit code, stdout, stderr)."""
    environment = {"DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path),
                   "SECRET_KEY": app.config["SECRET_KEY"], "JOB_RUNNER": "external",
                   "PUBLIC_BASE_URL": "https://spi.example.go.id"}
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    def run(*args: str):
        return run_survey(capsys, *args)

    return run


def write(tmp_path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_a_campaign_from_the_command_line(survey, session, tmp_path, today):
    code, out, _ = survey("units", "import", write(tmp_path, "kantor.csv", OFFICES),
                          "--institution", "KHJ", "--institution-name", "Kota Harapan Jaya")
    assert code == 0 and "2 offices added" in out
    closes = today.replace(year=today.year + 1).isoformat()
    code, out, err = survey("campaign", "create", "--institution", "KHJ", "--name",
                            "SPI KHJ", "--opens", today.isoformat(), "--closes", closes)
    assert code == 0, err
    campaign_id = session.scalar(select(Campaign.id))
    code, out, err = survey("campaign", "open", str(campaign_id))
    assert code == 2 and err.count("\n") == 1 and "nobody can answer yet" in err

    code, out, err = survey("invitations", "import", "--campaign", str(campaign_id),
                            write(tmp_path, "daftar.csv", PEOPLE))
    assert code == 0, err
    assert "Imported 3 people" in out and "created 3 invitations" in out
    assert survey("campaign", "open", str(campaign_id))[0] == 0

    code, out, _ = survey("campaign", "list")
    assert code == 0
    assert out.splitlines() == [f"{campaign_id}\tSPI KHJ\topen\t{today.isoformat()}\t{closes}"]

    exported = tmp_path / "links.csv"
    code, out, err = survey("invitations", "export", "--campaign", str(campaign_id), "--unit",
                            "RSUD", "--out", str(exported))
    assert code == 0 and "Wrote 2 invitations" in out, err
    with open(exported, encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["unit"] for r in rows} == {"RSUD"}
    assert all(r["link"].startswith("https://spi.example.go.id/r/") for r in rows)

    code, out, _ = survey("invitations", "send", "--campaign", str(campaign_id), "--via",
                          "email", "--dry-run")
    assert code == 0 and "would send 0 invitations" in out   # all exported: counted as sent
    code, out, _ = survey("invitations", "remind", "--campaign", str(campaign_id), "--via",
                          "whatsapp-cloud", "--dry-run")
    assert code == 0 and "would send 1 reminders" in out and "/r/<link>" in out

    link = rows[0]["link"]
    assert survey("check", f"Undangan survei: {link} terima kasih")[0] == 0
    assert survey("check", link.replace("spi.example.go.id", "spi.examp1e.go.id"))[0] == 1

    code, out, _ = survey("campaign", "close", str(campaign_id))
    assert code == 0 and "is closed" in out
    assert survey("check", link)[0] == 1
    assert session.scalar(select(func.count()).select_from(Invitation)) == 3
    assert session.scalar(select(func.count()).select_from(ListEntry)) == 3
    assert session.scalar(select(Unit.name).where(Unit.code == "RSUD")) == "RSUD Harapan Jaya"


COMMANDS = [
    ["units", "import"], ["campaign", "create"], ["campaign", "open"], ["campaign", "close"],
    ["campaign", "list"], ["invitations", "import"], ["invitations", "export"],
    ["invitations", "send"], ["invitations", "remind"], ["check"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help(survey, command):
    code, out, _ = survey(*command, "--help")
    assert code == 0 and out.startswith(f"Usage: survey {' '.join(command)}")


@pytest.mark.parametrize(("args", "says"), [
    (["units", "import", "/no/such/file.csv", "--institution", "KHJ"], "No such file"),
    (["units", "import", "kantor.csv"], "Missing option '--institution'"),
    (["campaign", "create", "--institution", "NOPE", "--name", "x", "--opens", "2026-01-01",
      "--closes", "2026-02-01"], "no institution with code 'NOPE'"),
    (["campaign", "create", "--institution", "KHJ", "--name", "x", "--opens", "1 Jan",
      "--closes", "2026-02-01"], "expected a date as YYYY-MM-DD"),
    (["campaign", "open", "999"], "no campaign with id 999"),
    (["campaign", "open", "abc"], "'abc' is not a valid integer"),
    (["campaign", "close", "999"], "no campaign with id 999"),
    (["campaign", "list", "--institution", "NOPE"], "no institution with code 'NOPE'"),
    (["invitations", "import", "--campaign", "999", "daftar.csv"], "no campaign with id 999"),
    (["invitations", "export", "--campaign", "999", "--out", "x.csv"], "no campaign"),
    (["invitations", "send", "--campaign", "1", "--via", "sms"], "'sms' is not one of"),
    (["invitations", "remind", "--campaign", "999", "--via", "email"], "no campaign"),
    (["check", "   "], "nothing to check"),
    (["check"], "Missing argument 'TEXT_OR_LINK'"),
])
def test_bad_input_is_one_line_and_exit_code_2(survey, tmp_path, monkeypatch, args, says):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "kantor.csv").write_text(OFFICES)
    (tmp_path / "daftar.csv").write_text(PEOPLE)
    survey("units", "import", "kantor.csv", "--institution", "KHJ")
    code, out, err = survey(*args)
    assert code == 2, (out, err)
    assert err.count("\n") == 1 and err.startswith("survey: error: ") and says in err, err
    assert "Traceback" not in err


def test_a_list_with_bad_rows_lists_them_and_imports_nothing(survey, session, tmp_path):
    survey("units", "import", write(tmp_path, "kantor.csv", OFFICES), "--institution", "KHJ")
    survey("campaign", "create", "--institution", "KHJ", "--name", "SPI", "--opens",
           "2026-01-01", "--closes", "2026-12-31")
    campaign_id = str(session.scalar(select(Campaign.id)))
    bad = write(tmp_path, "daftar.csv", PEOPLE + "NOPE,internal,0812-1111-0009,\n"
                "RSUD,internal,12345,\n")
    code, _, err = survey("invitations", "import", "--campaign", campaign_id, bad)
    assert code == 2
    lines = err.splitlines()
    assert lines[:2] == ["  row 5: no active office has the code NOPE",
                         "  row 6: 12345 is not a phone number"]
    assert lines[-1].startswith("survey: error: ") and "2 rows refused" in lines[-1]
    assert session.scalar(select(func.count()).select_from(ListEntry)) == 0
    code, out, _ = survey("invitations", "import", "--campaign", campaign_id, bad, "--only-valid")
    assert code == 0 and "Imported 3 people (2 rows refused)" in out
