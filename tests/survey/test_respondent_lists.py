"""Respondent lists: phone numbers made uniform, every bad row reported
with its spreadsheet row number, nothing imported until the file is clean
(unless only the valid rows are wanted), the random draw reproducible."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from survey.models import Invitation, ListEntry
from survey.services import invitations, monitoring, respondents
from survey.services.spreadsheets import SpreadsheetError


@pytest.mark.parametrize(("written", "e164"), [
    ("0812-3456-7890", "+6281234567890"),
    ("+62 812-3456-7890", "+6281234567890"),
    ("6281234567890", "+6281234567890"),
    ("(0812) 3456 7890", "+6281234567890"),
    ("0812 3456 7890", "+6281234567890"),
    ("0812.3456.7890", "+6281234567890"),
    ("+6281234567890", "+6281234567890"),
    ("62 812 3456 7890", "+6281234567890"),
    ("+62 (812) 3456-7890", "+6281234567890"),
    ("812 3456 7890", "+6281234567890"),
    ("08123456789", "+628123456789"),
    ("0811 123 456", "+62811123456"),
    ("0852-1234-567", "+628521234567"),
    ("０８１２３４５６７８９０", "+6281234567890"),   # typed with a full-width keyboard
    (" 0812-3456-7890 ", "+6281234567890"),
])
def test_indonesian_phone_forms_become_e164(written, e164):
    assert respondents.normalise_phone(written) == e164


@pytest.mark.parametrize(("written", "reason"), [
    ("12345", "bad_phone"),
    ("0812345", "bad_phone"),
    ("0813 1234 5678 90", "bad_phone"),
    ("08", "bad_phone"),
    ("nomor saya", "bad_phone"),
    ("021-5551234", "not_mobile"),          # a Jakarta landline: no WhatsApp
    ("+62 21 5551234", "not_mobile"),
])
def test_invalid_phone_numbers_are_refused(written, reason):
    with pytest.raises(ValueError, match=reason):
        respondents.normalise_phone(written)


def xlsx(rows):
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows):
    return "\n".join(",".join("" if v is None else str(v) for v in row) for row in rows
                     ).encode("utf-8")


@pytest.fixture
def campaign(factory):
    office = factory.unit("DINKES")
    factory.unit("PUPR")
    return factory.campaign(unit=office)


BAD = [
    ["unit", "kelompok", "nama", "telepon", "email"],
    ["DINKES", "internal", "Rina", "0812-1111-0001", ""],      # 2 fine
    ["NOPE", "internal", "", "0812-1111-0002", ""],            # 3 unknown unit
    ["DINKES", "tamu", "", "0812-1111-0003", ""],              # 4 unknown group
    ["DINKES", "internal", "", "12345", ""],                   # 5 bad phone
    ["DINKES", "internal", "", "", "bukan-email"],             # 6 bad email
    ["DINKES", "internal", "", "", ""],                        # 7 no contact
    ["PUPR", "internal", "", "+62 812-1111-0001", ""],         # 8 same phone as row 2
    ["PUPR", "internal", "", "0812-9999-0000", ""],            # 9 already on the list
    ["", "internal", "", "0812-1111-0004", ""],                # 10 empty unit
]
EXPECTED = [(3, "unknown_unit", "unit"), (4, "unknown_group", "group"),
            (5, "bad_phone", "phone"), (6, "bad_email", "email"), (7, "no_contact", "phone"),
            (8, "duplicate_in_file", "phone"), (9, "duplicate_in_campaign", "phone"),
            (10, "empty_unit", "unit")]


@pytest.fixture
def listed_before(session, campaign):
    report = respondents.import_list(session, campaign, csv_bytes(
        [["unit", "group", "phone"], ["PUPR", "internal", "081299990000"]]), "first.csv")
    assert report.ok
    return report


@pytest.mark.parametrize("make", [csv_bytes, xlsx], ids=["csv", "xlsx"])
def test_every_bad_row_is_reported_and_nothing_is_imported(session, campaign, listed_before,
                                                           make):
    report = respondents.import_list(session, campaign, make(BAD), "daftar")
    assert [(p.row, p.code, p.column) for p in report.problems] == EXPECTED
    assert report.imported == 0
    assert session.scalar(select(func.count()).select_from(ListEntry)) == 1   # the earlier one


@pytest.mark.parametrize("make", [csv_bytes, xlsx], ids=["csv", "xlsx"])
def test_only_valid_rows_imports_the_clean_rows(session, campaign, listed_before, make):
    report = respondents.import_list(session, campaign, make(BAD), "daftar", only_valid=True)
    assert report.imported == 1 and len(report.problems) == len(EXPECTED)
    entry = session.scalar(select(ListEntry).where(ListEntry.name == "Rina"))
    assert entry.phone == "+6281211110001" and entry.respondent_group == "internal"


def test_english_headers_group_labels_and_numbers_typed_into_excel_cells(session, campaign):
    rows = [["Unit", "Group", "Name", "Phone", "Email"],
            ["DINKES", "Internal", None, 6281211110007, None],   # a number cell
            ["DINKES", "eksternal", None, None, "Warga@Contoh.Example"]]
    report = respondents.import_list(session, campaign, xlsx(rows), "list.xlsx")
    assert report.ok, report.problems
    found = {e.respondent_group: e for e in session.scalars(select(ListEntry))}
    assert found["internal"].phone == "+6281211110007"
    assert found["external"].email == "warga@contoh.example"


def test_a_list_without_a_contact_column_is_refused_as_a_whole(session, campaign):
    with pytest.raises(SpreadsheetError, match="phone column"):
        respondents.import_list(session, campaign, b"unit,group,name\nDINKES,internal,Rina\n",
                                "daftar.csv")


def test_the_draw_is_reproducible_from_its_seed_and_keeps_the_planned_size(
        session, factory, campaign):
    rows = [["unit", "group", "phone"]] + [
        ["DINKES", "internal", f"0812{n:08d}"] for n in range(40)]
    respondents.import_list(session, campaign, csv_bytes(rows), "daftar.csv")
    figures = monitoring.campaign_monitoring(session, campaign)
    sizes = monitoring.sample_sizes(figures)
    dinkes = next(u for u in figures.units if u.unit.code == "DINKES").groups["internal"]
    assert sizes == {(dinkes_id := next(u.unit.id for u in figures.units
                                        if u.unit.code == "DINKES"), "internal"):
                     dinkes.to_invite}
    assert 0 < dinkes.to_invite < 40

    def drawn():
        return sorted(session.scalars(select(ListEntry.phone).where(
            ListEntry.in_sample.is_(True))))

    seed = respondents.draw_sample(session, campaign, {(dinkes_id, "internal"): 10}, seed=77)
    first = drawn()
    assert seed == 77 and len(first) == 10 and campaign.sample_seed == 77
    respondents.draw_sample(session, campaign, {(dinkes_id, "internal"): 10}, seed=78)
    assert drawn() != first
    respondents.draw_sample(session, campaign, {(dinkes_id, "internal"): 10}, seed=77)
    assert drawn() == first

    made = invitations.invite_listed(session, campaign, seal=factory.seal)
    assert made == 10
    assert sorted(session.scalars(select(Invitation.phone))) == first
    with pytest.raises(respondents.ListError, match="invitations exist"):
        respondents.draw_sample(session, campaign, {}, seed=1)
