"""Offices from a spreadsheet: every bad row reported with the row number a
spreadsheet shows (header = row 1) and its reason; nothing written until
the whole file is clean; CSV and XLSX alike."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from survey.models import AuditEntry, Institution, Unit
from survey.services import units
from survey.services.spreadsheets import SpreadsheetError


def xlsx(rows: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows: list[list]) -> bytes:
    return "\n".join(",".join("" if v is None else str(v) for v in row)
                     for row in rows).encode("utf-8")


BAD = [
    ["code", "name", "parent_code", "population_internal"],
    ["DINKES", "Dinas Kesehatan", "", 40],          # 2: fine
    ["", "Tanpa Kode", "", ""],                      # 3: empty code
    ["DINKES", "Dinas Kesehatan Lagi", "", ""],      # 4: duplicate code
    ["PUPR", "", "", ""],                            # 5: empty name
    ["RSUD", "RSUD", "NOPE", ""],                    # 6: unknown parent
    ["A", "Kantor A", "B", ""],                      # 7: cycle A -> B -> A
    ["B", "Kantor B", "A", ""],                      # 8: cycle
    ["DISHUB", "Dinas Perhubungan", "", "-3"],       # 9: population not positive
    ["DISDIK", "Dinas Pendidikan", "", "banyak"],    # 10: population not a number
]
EXPECTED = [(3, "empty_code"), (4, "duplicate_code"), (5, "empty_name"),
            (6, "unknown_parent"), (7, "cycle"), (8, "cycle"), (9, "bad_population"),
            (10, "bad_population")]


@pytest.fixture
def city(session):
    found = units.institution(session, "KHJ", name="Kota Harapan Jaya")
    return found


@pytest.mark.parametrize("make", [csv_bytes, xlsx], ids=["csv", "xlsx"])
def test_every_bad_row_is_reported_with_its_row_number_and_nothing_is_written(
        session, city, make):
    report = units.import_units(session, city, make(BAD), "kantor." + make.__name__[:4])
    assert [(p.row, p.code) for p in report.problems] == EXPECTED
    assert session.scalar(select(func.count()).select_from(Unit)) == 0
    assert not session.scalar(select(func.count()).select_from(AuditEntry)
                              .where(AuditEntry.action == "units.import"))


def test_problems_are_worded_in_indonesian_with_the_value(app, city, session):
    from survey.i18n import problem_text

    report = units.import_units(session, city, csv_bytes(BAD), "kantor.csv")
    with app.test_request_context():
        words = [problem_text(p) for p in report.problems]
    assert words[3] == "kantor induk NOPE tidak ada dalam berkas maupun daftar kantor"
    assert "-3" in words[6] and "bilangan bulat" in words[6]


@pytest.mark.parametrize("make", [csv_bytes, xlsx], ids=["csv", "xlsx"])
def test_a_clean_file_creates_the_tree_and_populations(session, city, make):
    rows = [["kode", "nama", "kode_induk", "populasi_internal", "population_external"],
            ["DINKES", "Dinas Kesehatan", None, 180, 9000],
            ["RSUD", "RSUD Harapan Jaya", "DINKES", 420, None],
            ["PKM", "Puskesmas Mawar", "RSUD", None, None]]
    report = units.import_units(session, city, make(rows), "kantor")
    assert report.ok and (report.created, report.updated) == (3, 0)
    found = {u.code: u for u in session.scalars(select(Unit))}
    assert found["PKM"].parent.parent.code == "DINKES"
    assert found["RSUD"].population("internal") == 420
    assert found["DINKES"].population("external") == 9000
    assert found["RSUD"].population("external") is None


def test_a_second_import_updates_by_code_and_may_point_at_existing_parents(session, city):
    units.import_units(session, city, csv_bytes([["code", "name", "parent_code"],
                                                 ["DINKES", "Dinkes", ""]]), "a.csv")
    report = units.import_units(session, city, csv_bytes([
        ["code", "name", "parent_code"], ["DINKES", "Dinas Kesehatan", ""],
        ["RSUD", "RSUD", "DINKES"]]), "b.csv")
    assert (report.created, report.updated) == (1, 1)
    names = dict(session.execute(select(Unit.code, Unit.name)).all())
    assert names == {"DINKES": "Dinas Kesehatan", "RSUD": "RSUD"}


def test_a_cycle_through_offices_already_stored_is_refused(session, city):
    units.import_units(session, city, csv_bytes([["code", "name", "parent_code"],
                                                 ["A", "A", ""], ["B", "B", "A"]]), "a.csv")
    report = units.import_units(session, city, csv_bytes([["code", "name", "parent_code"],
                                                          ["A", "A", "B"]]), "b.csv")
    assert [(p.row, p.code) for p in report.problems] == [(2, "cycle")]
    assert session.scalar(select(Unit).where(Unit.code == "A")).parent is None


@pytest.mark.parametrize(("data", "says"), [
    (b"", "empty"),
    (b"nama,kode_induk\nDinas,\n", "lacks code"),
    (b"code,name\n", "no office"),
    (b"PK\x03\x04not really a workbook", "XLSX"),
])
def test_a_file_that_cannot_be_read_is_refused_as_a_whole(session, city, data, says):
    with pytest.raises(SpreadsheetError, match=says):
        units.import_units(session, city, data, "kantor.csv")


def test_semicolon_csv_from_indonesian_excel_is_read(session, city):
    data = "kode;nama;kode_induk\r\nDINKES;Dinas Kesehatan;\r\n".encode("cp1252")
    assert units.import_units(session, city, data, "kantor.csv").created == 1


def test_editing_an_office_refuses_a_loop_and_writes_the_audit_log(session, city):
    units.import_units(session, city, csv_bytes([["code", "name", "parent_code"],
                                                 ["A", "A", ""], ["B", "B", "A"]]), "a.csv")
    a, b = (session.scalar(select(Unit).where(Unit.code == c)) for c in "AB")
    with pytest.raises(units.UnitError, match="under itself"):
        units.update_unit(session, a, name="A", parent=b, active=True, populations={})
    session.rollback()
    units.update_unit(session, b, name="Kantor B", parent=None, active=False,
                      populations={"internal": 12})
    assert (b.name, b.parent, b.active, b.population("internal")) == ("Kantor B", None, False, 12)
    assert session.scalar(select(AuditEntry.target).where(AuditEntry.action == "unit.update")) \
        == "unit B"
    assert session.scalar(select(Institution.code)) == "KHJ"
