"""Triage of citizen reports (issue 8, item 5): who sees a report, and every
status change in the audit log."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import select
from support import PASSWORD, csrf_of, sign_in

from survey.models import (
    AuditEntry,
    CitizenReport,
    Institution,
    ReportStatus,
    ReportStep,
    StaffUser,
)
from survey.services import reports, staff

pytestmark = pytest.mark.security

SECRET_TEXT = "Kepala kantor meminta setoran"


@pytest.fixture
def city(session, factory, today):
    """Office A (with sub-office A1) and office B of one city, an office of
    another city; a report about each; accounts for A's head, an inspector,
    an auditor who works at office A, and the other city's inspector."""
    a = factory.unit("A")
    a1 = factory.unit("A1", parent=a)
    b = factory.unit("B")
    other_city = factory.unit("Z", institution=Institution(code="LAIN", name="Kota Lain"))
    filed = {}
    for unit, category in ((a, "bribe"), (a1, "levy"), (b, "broker"), (other_city, "other")):
        photo = io.BytesIO()
        Image.new("RGB", (40, 30), (1, 2, 3)).save(photo, format="PNG")
        report, code = reports.file_report(session, reports.NewReport(
            unit_id=unit.id, category=category, occurred_on=today - timedelta(days=1),
            amount="500.000", description=f"{SECRET_TEXT} di {unit.code} sebesar Rp500.000.",
            photo=photo.getvalue()), today=today)
        filed[unit.code] = (report, code)
    for email, role, unit in (("kepala-a@kota.example", "unit_manager", "A"),
                              ("inspektur@kota.example", "inspector", None),
                              ("auditor-a@kota.example", "auditor", "A")):
        staff.create_user(session, email=email, name=email.split("@")[0], role=role,
                          password=PASSWORD, unit_code=unit, institution_code="TEST")
    staff.create_user(session, email="inspektur@lain.example", name="Lain", role="inspector",
                      password=PASSWORD, institution_code="LAIN")
    return filed


def signed_in(app, email):
    client = app.test_client()
    assert sign_in(client, email).status_code == 303
    return client


def test_a_head_of_office_sees_counts_and_never_a_report_about_their_office(app, city):
    head = signed_in(app, "kepala-a@kota.example")
    page = head.get("/staff/reports")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert SECRET_TEXT not in html
    # Counts for their office and its sub-office; nothing of office B.
    assert "Kantor A" in html and "Kantor A1" in html and "Kantor B" not in html
    assert "Suap: 1" in html and "Pungutan liar (pungli): 1" in html
    for code in ("A", "A1", "B"):
        report, _ = city[code]
        for path in (f"/staff/reports/{report.id}", f"/staff/reports/{report.id}/photo"):
            response = head.get(path)
            assert response.status_code == 403, path
            assert SECRET_TEXT not in response.get_data(as_text=True)
        token = csrf_of(head.get("/staff/account").get_data(as_text=True))
        assert head.post(f"/staff/reports/{report.id}/status", data={
            "csrf_token": token, "status": "closed", "note": "x"}).status_code == 403


def test_only_a_head_of_office_works_at_an_office_so_an_auditor_reads_every_report(
        app, session, city):
    # Only a head of office is tied to an office (issue 11, hole 10): an
    # auditor named with an office gets none, and reads the institution's
    # reports; the head of office is kept from their own (test above).
    account = session.scalar(select(StaffUser).where(StaffUser.email == "auditor-a@kota.example"))
    assert account.unit_id is None
    auditor = signed_in(app, "auditor-a@kota.example")
    listing = auditor.get("/staff/reports").get_data(as_text=True)
    for code in ("A", "B"):
        report, _ = city[code]
        assert f"/staff/reports/{report.id}\"" in listing
        assert SECRET_TEXT in auditor.get(f"/staff/reports/{report.id}").get_data(as_text=True)
    foreign, _ = city["Z"]
    assert auditor.get(f"/staff/reports/{foreign.id}").status_code == 404


def test_an_inspector_sees_every_report_of_their_institution_and_none_of_another(app, city):
    inspector = signed_in(app, "inspektur@kota.example")
    listing = inspector.get("/staff/reports").get_data(as_text=True)
    for code in ("A", "A1", "B"):
        report, _ = city[code]
        assert f"/staff/reports/{report.id}\"" in listing
        page = inspector.get(f"/staff/reports/{report.id}").get_data(as_text=True)
        assert f"{SECRET_TEXT} di {code} " in page
        photo = inspector.get(f"/staff/reports/{report.id}/photo")
        assert photo.status_code == 200 and photo.mimetype == "image/png"
        assert photo.headers["Cache-Control"] == "no-store"
    foreign, _ = city["Z"]
    assert f"/staff/reports/{foreign.id}\"" not in listing
    assert inspector.get(f"/staff/reports/{foreign.id}").status_code == 404
    other = signed_in(app, "inspektur@lain.example")
    assert other.get(f"/staff/reports/{city['A'][0].id}").status_code == 404


def _step(client, report_id, **fields):
    token = csrf_of(client.get(f"/staff/reports/{report_id}").get_data(as_text=True))
    return client.post(f"/staff/reports/{report_id}/status", data={"csrf_token": token,
                                                                  **fields})


def test_every_status_change_is_audit_logged_and_the_citizen_sees_the_reply(
        app, client, session, city):
    inspector = signed_in(app, "inspektur@kota.example")
    report, code = city["B"]
    walk = [
        {"status": "in_review", "note": "Dicek ke lokasi minggu ini."},
        {"status": "forwarded", "note": "Bukan kewenangan kami.", "forwarded_to": "Ombudsman RI",
         "reply": "Laporan Anda kami teruskan ke Ombudsman RI."},
        {"status": "verified", "note": "Ombudsman mengonfirmasi."},
        {"status": "closed", "note": "Selesai.", "reply": "Terima kasih, kasus telah ditindak."},
    ]
    for fields in walk:
        response = _step(inspector, report.id, **fields)
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
    entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "report.status")
                              .order_by(AuditEntry.id)).all()
    assert [(e.detail["from"], e.detail["to"]) for e in entries] == [
        ("received", "in_review"), ("in_review", "forwarded"), ("forwarded", "verified"),
        ("verified", "closed")]
    assert {e.target for e in entries} == {f"report {report.id}"}
    assert entries[1].detail["forwarded_to"] == "Ombudsman RI"
    inspector_id = session.scalar(select(AuditEntry.actor_id).where(
        AuditEntry.action == "staff.login").order_by(AuditEntry.id.desc()).limit(1))
    assert {e.actor_id for e in entries} == {inspector_id}
    # The internal note never reaches the log (administrators read it).
    assert all("note" not in e.detail and "Dicek" not in str(e.detail) for e in entries)
    steps = session.scalars(select(ReportStep).where(ReportStep.report_id == report.id)
                            .order_by(ReportStep.id)).all()
    assert [s.note for s in steps] == [f["note"] for f in walk]

    public = client.get(f"/lapor/{code}").get_data(as_text=True)
    assert "Terima kasih, kasus telah ditindak." in public
    assert "Laporan Anda kami teruskan ke Ombudsman RI." in public
    assert "Dicek ke lokasi" not in public and "Bukan kewenangan" not in public
    assert re.search(r'id="report-status">\s*Selesai', public)


@pytest.mark.parametrize(("fields", "field"), [
    ({"status": "verified", "note": "langsung"}, "status"),   # received -> verified: no
    ({"status": "in_review", "note": "  "}, "note"),
    ({"status": "nonsense", "note": "x"}, "status"),
])
def test_a_step_the_rules_do_not_allow_is_refused_and_not_logged(app, session, city, fields,
                                                                 field):
    inspector = signed_in(app, "inspektur@kota.example")
    report, _ = city["B"]
    response = _step(inspector, report.id, **fields)
    assert response.status_code == 400
    assert 'role="alert"' in response.get_data(as_text=True)
    assert session.scalar(select(CitizenReport.status).where(
        CitizenReport.id == report.id)) == ReportStatus.RECEIVED
    assert not session.scalars(select(AuditEntry).where(
        AuditEntry.action == "report.status")).all()


def test_forwarding_says_to_whom(app, session, city):
    inspector = signed_in(app, "inspektur@kota.example")
    report, _ = city["B"]
    assert _step(inspector, report.id, status="in_review", note="ok").status_code == 303
    response = _step(inspector, report.id, status="forwarded", note="ke luar")
    assert response.status_code == 400
    assert session.scalar(select(CitizenReport.status).where(
        CitizenReport.id == report.id)) == ReportStatus.IN_REVIEW


def test_an_auditor_reads_but_cannot_triage(app, session, city):
    auditor = signed_in(app, "auditor-a@kota.example")
    report, _ = city["B"]
    token = csrf_of(auditor.get("/staff/account").get_data(as_text=True))
    assert auditor.post(f"/staff/reports/{report.id}/status", data={
        "csrf_token": token, "status": "in_review", "note": "x"}).status_code == 403


def test_counts_by_office_count_reports_per_category(session, factory, city, today):
    a = city["A"][0].unit_id
    counts = reports.counts_by_office(session, [a, city["B"][0].unit_id])
    assert counts == {a: {"bribe": 1}, city["B"][0].unit_id: {"broker": 1}}
    institution = session.get(Institution, session.get(type(city["A"][0].unit), a).institution_id)
    whole = reports.counts_by_office(session, institution_id=institution.id)
    assert sum(sum(c.values()) for c in whole.values()) == 3
    assert reports.counts_by_office(session, [a], since=today + timedelta(days=1)) == {}
