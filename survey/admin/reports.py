"""Citizen reports for the inspectorate: the list, one report with its
steps, the triage form, the photo. Heads of office see counts only.

Who reads what is decided in :mod:`survey.services.reports`: a report is
never shown to staff of the office it is about, and is 404 for them.
"""

from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from survey.extensions import db
from survey.models import ReportStatus
from survey.services import reports

from . import bp
from .access import Capability, allow, can


def _report_or_404(report_id: int):
    report = reports.report_for(db.session, current_user, report_id)
    if report is None:
        abort(404)
    return report


def _status_filter() -> ReportStatus | None:
    try:
        return ReportStatus(request.args.get("status", ""))
    except ValueError:
        return None


@bp.get("/reports")
@allow(Capability.VIEW_REPORTS, Capability.VIEW_REPORT_COUNTS)
def reports_page():
    if not can(current_user, Capability.VIEW_REPORTS):
        return _counts_page()
    status = _status_filter()
    page = request.args.get("page", "1")
    rows, pages = reports.visible_reports(db.session, current_user, status=status,
                                          page=int(page) if page.isdigit() else 1)
    return render_template("admin/reports.html", rows=rows, pages=pages,
                           page=min(int(page) if page.isdigit() else 1, pages),
                           status=status, statuses=list(ReportStatus))


def _counts_page():
    """Counts per office and category, within the person's offices."""
    return render_template("admin/report_counts.html",
                           rows=reports.counts_for(db.session, current_user))


@bp.get("/reports/<int:report_id>")
@allow(Capability.VIEW_REPORTS)
def report_page(report_id: int):
    report = _report_or_404(report_id)
    return render_template("admin/report.html", report=report,
                           next_statuses=reports.TRANSITIONS[report.status], errors={},
                           form={})


@bp.post("/reports/<int:report_id>/status")
@allow(Capability.TRIAGE_REPORTS)
def report_triage(report_id: int):
    report = _report_or_404(report_id)
    form = request.form
    try:
        reports.change_status(db.session, report, form.get("status", ""),
                              note=form.get("note", ""), public_reply=form.get("reply", ""),
                              forwarded_to=form.get("forwarded_to", ""), actor=current_user)
    except reports.ReportError as error:
        db.session.rollback()
        report = _report_or_404(report_id)
        return render_template("admin/report.html", report=report,
                               next_statuses=reports.TRANSITIONS[report.status],
                               errors={error.field: str(error)}, form=form), 400
    flash(_("The report's status is saved."), "success")
    return redirect(url_for("admin.report_page", report_id=report.id), code=303)


@bp.get("/reports/<int:report_id>/photo")
@allow(Capability.VIEW_REPORTS)
def report_photo(report_id: int):
    report = _report_or_404(report_id)
    if report.photo is None:
        abort(404)
    response = make_response(report.photo.data)
    response.headers["Content-Type"] = report.photo.media_type
    response.headers["Content-Disposition"] = f'inline; filename="laporan-{report.id}"'
    response.headers["Cache-Control"] = "no-store"
    return response
