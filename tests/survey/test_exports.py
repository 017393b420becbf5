"""Downloads: score tables (CSV, XLSX) and the microdata package, from the
staff pages, with the dashboard's numbers and its small-cell rules."""

from __future__ import annotations

import csv
import io
import json
import re
import shlex
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select
from support import PASSWORD, csrf_of, sign_in

import analysis
from survey.models import (
    AuditEntry,
    Campaign,
    CampaignStatus,
    Correction,
    Response,
    StaffUser,
    Unit,
)
from survey.services import api_tokens, exports, jobs, results, staff
from survey.services.demo import seed_demo

REPO = Path(__file__).resolve().parents[2]
TOLERANCE = 1e-9


def _client(app, email, language="en"):
    client = app.test_client()
    assert sign_in(client, email).status_code == 303
    client.set_cookie("lang", language)
    return client


def _post_microdata(client, campaign_id, **form):
    page = client.get(f"/staff/campaigns/{campaign_id}/results").get_data(as_text=True)
    assert "Download microdata" in page
    return client.post(f"/staff/campaigns/{campaign_id}/results/microdata.zip",
                       data={"csrf_token": csrf_of(page), **form})


def _unzip(response, folder: Path) -> Path:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        names = archive.namelist()
        archive.extractall(folder)
    (root,) = {name.split("/")[0] for name in names}
    return folder / root


def _close(actual, expected, where):
    if expected is None:
        assert actual is None, where
    else:
        assert actual == pytest.approx(expected, abs=TOLERANCE, rel=0), where


@pytest.fixture
def demo(session, today, app):
    """The demo city with both campaigns' results computed."""
    seed_demo(session, today=today)
    with app.app_context():
        from survey.extensions import db

        assert jobs.run_pending(db.engine) == 2
    return session.scalar(select(Campaign).where(Campaign.status == CampaignStatus.OPEN))


def _account(session, role):
    user = session.scalar(select(StaffUser).where(StaffUser.role == role))
    user.set_password(PASSWORD)
    session.commit()
    return user.email


@pytest.mark.slow
def test_the_microdata_package_rescores_to_the_dashboards_numbers(app, session, demo, tmp_path):
    """Acceptance: downloaded through the staff pages, scored again with
    ``python -m analysis score`` in a subprocess, exactly as its README says:
    every index, interval and status equals the cached results (what the
    pages and the API serve) to 1e-9."""
    client = _client(app, _account(session, "inspector"))
    folder = _unzip(_post_microdata(client, demo.id), tmp_path)
    assert sorted(p.name for p in folder.iterdir()) == [
        "README.md", "corrections.csv", "instrument.yaml", "populations.csv", "responses.csv",
        "results.json"]
    readme = (folder / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```sh\n(.*?)```", readme, re.S).group(1)
    command = shlex.split(block.replace("\\\n", " "))
    assert command[:4] == ["python", "-m", "analysis", "score"]
    completed = subprocess.run([sys.executable, *command[1:]], cwd=folder,  # noqa: S603
                               capture_output=True, text=True, check=False,
                               env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert completed.returncode == 0, completed.stderr
    rescored = json.loads((folder / "rescored.json").read_text(encoding="utf-8"))

    cached = results.load(session, demo.id).score.to_dict()
    assert json.loads((folder / "results.json").read_text(encoding="utf-8")) == cached
    # the API serves the same numbers: compare the re-scored package with it
    inspector = session.scalar(select(StaffUser).where(StaffUser.role == "inspector"))
    _, token = api_tokens.create(session, inspector, "acceptance")
    served = app.test_client().get(f"/api/v1/campaigns/{demo.id}/results",
                                   headers={"Authorization": f"Bearer {token}"})
    assert served.status_code == 200, served.get_data(as_text=True)
    assert served.get_json()["units"] == cached["units"]
    cached = {**cached, "units": served.get_json()["units"]}
    assert [u["unit"] for u in rescored["units"]] == [u["unit"] for u in cached["units"]]
    assert len(cached["units"]) == 16
    for mine, theirs in zip(rescored["units"], cached["units"], strict=True):
        where = theirs["unit"]
        for key in ("index", "raw_index", "ci_low", "ci_high", "se", "gap", "p_below",
                    "q_below", "correction"):
            _close(mine[key], theirs[key], f"{where} {key}")
        for key in ("status", "band", "n", "df", "excluded"):
            assert mine[key] == theirs[key], f"{where} {key}"
        for group, values in theirs["groups"].items():
            _close(mine["groups"][group]["index"], values["index"], f"{where} {group}")
    assert rescored["target"] == cached["target"]

    # free texts were left out: no answer text of the campaign is in the package
    texts = [text for answers in session.scalars(
        select(Response.answers).where(Response.campaign_id == demo.id))
        for key, text in answers.items() if key.endswith("_COMMENT")]
    assert texts
    table = (folder / "responses.csv").read_text(encoding="utf-8")
    assert not any(text in table for text in texts if len(text) > 3)
    rows = list(csv.DictReader(io.StringIO(table)))
    assert rows[0]["response_id"] == "R000001"
    stored_ids = set(session.scalars(select(Response.id).where(Response.campaign_id == demo.id)))
    assert not stored_ids & {r["response_id"] for r in rows}
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "results.microdata"))
    assert entry is not None and entry.detail["free_text"] is False
    assert entry.target == f"campaign {demo.id}"


def test_free_text_only_when_an_inspector_asks_and_never_for_a_small_group(
        app, session, small_city, tmp_path):
    inspector = _client(app, "inspektur@kota.example")
    folder = _unzip(_post_microdata(inspector, small_city.id, free_text="1"), tmp_path / "a")
    rows = list(csv.DictReader(io.StringIO(
        (folder / "responses.csv").read_text(encoding="utf-8"))))
    by_unit = {}
    for row in rows:
        by_unit.setdefault(row["unit"], []).append(row["INT_T"])
    assert sorted(t for t in by_unit["B"] if t) == sorted(
        f"Saran nomor {i} dari B" for i in range(7))
    # A1 has 4 internal responses: its texts are tokens, whoever asks
    assert all(re.fullmatch(r"\[\d+\]", t) for t in by_unit["A1"])
    assert session.scalar(select(AuditEntry).where(
        AuditEntry.action == "results.microdata_free_text")) is not None

    # without asking: tokens everywhere, equal texts keep equal tokens
    folder = _unzip(_post_microdata(inspector, small_city.id), tmp_path / "b")
    table = (folder / "responses.csv").read_text(encoding="utf-8")
    assert "Saran nomor" not in table

    # an auditor may download microdata but not the free texts
    staff.create_user(session, email="audit@kota.example", name="Audit", role="auditor",
                      password=PASSWORD)
    auditor = _client(app, "audit@kota.example")
    page = auditor.get(f"/staff/campaigns/{small_city.id}/results").get_data(as_text=True)
    assert "Download microdata" in page and 'name="free_text"' not in page
    assert _post_microdata(auditor, small_city.id, free_text="1").status_code == 403
    _unzip(_post_microdata(auditor, small_city.id), tmp_path / "c")


def test_the_package_with_free_text_and_corrections_still_rescores(
        app, session, small_city, tmp_path, capsys):
    b = session.scalar(select(Unit).where(Unit.code == "B"))
    session.add(Correction(campaign_id=small_city.id, unit_id=b.id, points=2.5,
                           reason="=Putusan pengadilan"))
    session.add(Correction(campaign_id=small_city.id, unit_id=b.id, points=1.25,
                           reason="Kasus kedua"))
    session.commit()
    results.refresh(session, small_city.id)
    inspector = _client(app, "inspektur@kota.example")
    folder = _unzip(_post_microdata(inspector, small_city.id, free_text="1"), tmp_path)
    assert analysis.main([
        "score", "--instrument", str(folder / "instrument.yaml"),
        "--responses", str(folder / "responses.csv"),
        "--populations", str(folder / "populations.csv"),
        "--corrections", str(folder / "corrections.csv"),
        "--target", repr(float(small_city.target))]) == 0
    rescored = json.loads(capsys.readouterr().out)
    cached = results.load(session, small_city.id).score.to_dict()
    assert (folder / "corrections.csv").read_text(encoding="utf-8").splitlines()[1:] == [
        "B,2.5,'=Putusan pengadilan", "B,1.25,Kasus kedua"]
    assert next(u for u in rescored["units"] if u["unit"] == "B")["correction"] == 3.75
    for mine, theirs in zip(rescored["units"], cached["units"], strict=True):
        for key in ("index", "ci_low", "ci_high"):
            _close(mine[key], theirs[key], f"{theirs['unit']} {key}")
        assert mine["status"] == theirs["status"]


def test_a_unit_manager_gets_no_microdata_and_no_download_form(app, session, small_city):
    head = _client(app, "kepala@kota.example")
    page = head.get(f"/staff/campaigns/{small_city.id}/results").get_data(as_text=True)
    assert "Download microdata" not in page
    assert "scores.xlsx" in page
    token = csrf_of(page)
    response = head.post(f"/staff/campaigns/{small_city.id}/results/microdata.zip",
                         data={"csrf_token": token})
    assert response.status_code == 403


def test_microdata_waits_for_results_that_match_the_stored_responses(
        app, session, small_city):
    unit = session.scalar(select(Unit).where(Unit.code == "B"))
    answers = {"INT_A1": "2", "INT_B1": "3"}
    instrument = small_city.instrument_version.instrument
    session.add(Response(campaign_id=small_city.id, unit_id=unit.id,
                         respondent_group="internal",
                         instrument_version_id=small_city.instrument_version_id,
                         answers=answers,
                         cells=analysis.encode_answers(instrument, "internal", answers),
                         duration_s=200, channel="invited", submitted_on=small_city.opens_on))
    session.commit()
    inspector = _client(app, "inspektur@kota.example")
    response = _post_microdata(inspector, small_city.id)
    assert response.status_code == 303
    page = inspector.get(response.headers["Location"]).get_data(as_text=True)
    assert "New responses arrived" in page
    assert session.scalar(select(AuditEntry).where(
        AuditEntry.action.startswith("results.microdata"))) is None
    results.refresh(session, small_city.id)
    assert _post_microdata(inspector, small_city.id).status_code == 200


# -- score tables ---------------------------------------------------------------------


def _csv_rows(response):
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_score_csvs_hold_the_dashboards_numbers(app, session, small_city):
    inspector = _client(app, "inspektur@kota.example")
    stored = results.load(session, small_city.id)
    base = f"/staff/campaigns/{small_city.id}/results/scores.csv"
    offices = _csv_rows(inspector.get(base + "?table=offices"))
    assert [r["unit_code"] for r in offices][:3] == sorted(
        stored.units, key=lambda c: -(stored.units[c].index or -1))[:3]
    for row in offices:
        unit = stored.units[row["unit_code"]]
        assert float(row["index"]) == unit.index
        assert (float(row["ci_low"]), float(row["ci_high"])) == (unit.ci_low, unit.ci_high)
        assert row["band"] == unit.band
        assert row["status"] == results.verdict(unit)
        assert int(row["n"]) == unit.n
        assert int(row["excluded"]) == unit.excluded.total
    groups = _csv_rows(inspector.get(base + "?table=groups"))
    a_internal = next(r for r in groups if (r["unit_code"], r["group"]) == ("A", "internal"))
    assert float(a_internal["index"]) == stored.units["A"].groups["internal"].index
    assert a_internal["eligible"] == "true"
    dimensions = _csv_rows(inspector.get(base + "?table=dimensions"))
    across = next(r for r in dimensions if (r["unit_code"], r["dimension"], r["group"])
                  == ("A", "alpha", "all"))
    assert float(across["score"]) == stored.units["A"].dimensions["alpha"].score
    assert inspector.get(base + "?table=nope").status_code == 404


def test_a_unit_manager_downloads_only_their_offices_with_small_cells_hidden(
        app, session, small_city):
    head = _client(app, "kepala@kota.example")
    stored = results.load(session, small_city.id)
    base = f"/staff/campaigns/{small_city.id}/results/scores"
    offices = _csv_rows(head.get(base + ".csv?table=offices"))
    assert sorted(r["unit_code"] for r in offices) == ["A", "A1"]
    a1 = next(r for r in offices if r["unit_code"] == "A1")
    assert (a1["index"], a1["ci_low"], a1["ci_high"], a1["status"], a1["n"]) == (
        "n < 5",) * 5
    a1_score = stored.units["A1"]
    for table in ("groups", "dimensions"):
        body = head.get(f"{base}.csv?table={table}").get_data(as_text=True)
        assert "B," not in body
        for row in csv.DictReader(io.StringIO(body)):
            if row["unit_code"] == "A1":
                assert set(row.values()) & {"n < 5"}
                assert row.get("index", row.get("score")) == "n < 5"
    workbook = _workbook(head.get(base + ".xlsx?lang=en"))
    values = [c.value for sheet in workbook for r in sheet.iter_rows() for c in r]
    assert not {a1_score.ci_low, a1_score.ci_high, a1_score.se} & set(values)
    assert "B" not in values
    a1_row = next(r for r in workbook["Offices"].iter_rows(values_only=True) if r[0] == "A1")
    assert a1_row[2:5] == ("n < 5",) * 3
    # another office's page download is not found
    b = session.scalar(select(Unit).where(Unit.code == "B"))
    assert head.get(f"{base}.csv?unit={b.id}").status_code == 404
    assert head.get(f"{base}.xlsx?unit={b.id}").status_code == 404


def _workbook(response):
    from openpyxl import load_workbook

    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    return load_workbook(io.BytesIO(response.data))


@pytest.mark.parametrize(("lang", "sheets", "header"), [
    ("id", ["Unit", "Unit x kelompok", "Unit x dimensi"], "Batas bawah interval 95%"),
    ("en", ["Offices", "Office x group", "Office x dimension"], "95% interval, low"),
])
def test_xlsx_has_a_sheet_per_table_readable_headers_and_frozen_header_rows(
        app, session, small_city, lang, sheets, header):
    inspector = _client(app, "inspektur@kota.example")
    stored = results.load(session, small_city.id)
    workbook = _workbook(inspector.get(
        f"/staff/campaigns/{small_city.id}/results/scores.xlsx?lang={lang}"))
    assert workbook.sheetnames == sheets
    for sheet in workbook:
        assert sheet.freeze_panes == "A2"
        assert all(cell.font.bold for cell in sheet[1])
    offices = workbook[sheets[0]]
    titles = [c.value for c in offices[1]]
    assert header in titles
    first = dict(zip(titles, [c.value for c in offices[2]], strict=True))
    code = first[titles[0]]
    assert first[titles[2]] == stored.units[code].index        # unrounded number
    assert offices.cell(2, 3).number_format == "0.00"


def test_office_page_offers_its_own_downloads(app, session, small_city):
    inspector = _client(app, "inspektur@kota.example")
    a = session.scalar(select(Unit).where(Unit.code == "A"))
    page = inspector.get(f"/staff/campaigns/{small_city.id}/units/{a.id}").get_data(
        as_text=True)
    assert f"scores.xlsx?unit={a.id}" in page
    rows = _csv_rows(inspector.get(
        f"/staff/campaigns/{small_city.id}/results/scores.csv?unit={a.id}&table=groups"))
    assert {r["unit_code"] for r in rows} == {"A"}


# -- formula injection ----------------------------------------------------------------

LEADING = ["=", "+", "-", "@", "\t", "\r"]


@pytest.mark.security
@pytest.mark.parametrize("char", LEADING, ids=["equals", "plus", "minus", "at", "tab", "cr"])
def test_a_formula_in_a_cell_is_neutralised_in_csv_and_xlsx(app, session, small_city, char):
    hostile = f"{char}HYPERLINK(\"http://evil.example\",\"x\")"
    unit = session.scalar(select(Unit).where(Unit.code == "B"))
    unit.name = hostile
    session.commit()
    inspector = _client(app, "inspektur@kota.example")
    base = f"/staff/campaigns/{small_city.id}/results/scores"
    rows = _csv_rows(inspector.get(base + ".csv?table=offices"))
    assert next(r for r in rows if r["unit_code"] == "B")["unit_name"] == "'" + hostile
    workbook = _workbook(inspector.get(base + ".xlsx?lang=en"))
    found = [(sheet.title, c) for sheet in workbook for r in sheet.iter_rows() for c in r
             if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert {title for title, _ in found} == set(workbook.sheetnames)
    for _, cell in found:
        # (XML reads a carriage return back as a line feed)
        assert cell.value in ("'" + hostile, "'" + hostile.replace("\r", "\n"))
        assert cell.data_type == "s"


@pytest.mark.parametrize("char", LEADING, ids=["equals", "plus", "minus", "at", "tab", "cr"])
def test_neutralise_prefixes_each_leading_character(char):
    assert exports.neutralise(f"{char}1+1") == f"'{char}1+1"
    assert exports.neutralise(f"a{char}b") == f"a{char}b"


def test_neutralise_leaves_plain_numbers_and_other_values():
    for value in ("-3.5", "+2", "-1e3", 4.5, None, "", "Dinas"):
        assert exports.neutralise(value) == value
    assert exports.neutralise("-2+3") == "'-2+3"


def test_open_link_days_set_aside_are_left_out_as_scoring_leaves_them_out(
        app, session, small_city, tmp_path, capsys):
    from survey.models import OpenLinkExclusion

    b = session.scalar(select(Unit).where(Unit.code == "B"))
    instrument = small_city.instrument_version.instrument
    for i in range(6):
        answers = {"INT_A1": "4", "INT_A3": "4", "INT_B1": "4", "INT_B2": str(1 + i % 4)}
        session.add(Response(campaign_id=small_city.id, unit_id=b.id, respondent_group="internal",
                             instrument_version_id=small_city.instrument_version_id,
                             answers=answers,
                             cells=analysis.encode_answers(instrument, "internal", answers),
                             duration_s=200, channel="open", submitted_on=small_city.opens_on))
    session.add(OpenLinkExclusion(campaign_id=small_city.id, unit_id=b.id,
                                  day=small_city.opens_on, reason="surge from one source"))
    session.commit()
    results.refresh(session, small_city.id)
    folder = _unzip(_post_microdata(_client(app, "inspektur@kota.example"), small_city.id),
                    tmp_path)
    rows = list(csv.DictReader(io.StringIO(
        (folder / "responses.csv").read_text(encoding="utf-8"))))
    assert sum(r["unit"] == "B" for r in rows) == 7          # the 6 set aside are not there
    assert analysis.main(["score", "--instrument", str(folder / "instrument.yaml"),
                          "--responses", str(folder / "responses.csv"),
                          "--populations", str(folder / "populations.csv"),
                          "--target", repr(float(small_city.target))]) == 0
    rescored = json.loads(capsys.readouterr().out)
    cached = results.load(session, small_city.id).score.to_dict()
    for mine, theirs in zip(rescored["units"], cached["units"], strict=True):
        _close(mine["index"], theirs["index"], theirs["unit"])
