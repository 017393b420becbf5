"""Downloads from the results pages: score tables as CSV or XLSX, and the
microdata package (ZIP) that re-scores to the dashboard's numbers.

Scores: whoever may export results (unit managers see their offices only,
small cells hidden, as on the pages). Microdata: inspectors and auditors;
free texts only when an inspector asks for them, and every microdata
download is written to the audit log.
"""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from survey.extensions import db
from survey.i18n import current_language
from survey.services import exports, results

from . import bp
from .access import Capability, allow, campaign_or_404, can, unit_or_404
from .present import attachment, file_slug


def _stored(campaign):
    found = results.load(db.session, campaign.id)
    if found is None:
        flash(_("The results are being computed; the downloads will be ready in a moment."),
              "info")
    return found


def _scope(campaign) -> tuple[list[int] | None, str]:
    """The offices asked for (``?unit=ID``: one office's page) and a name part."""
    unit_id = request.args.get("unit", type=int)
    if unit_id is None:
        return None, ""
    unit = unit_or_404(unit_id)
    if unit.institution_id != campaign.institution_id:
        abort(404)
    return [unit.id], f"-{file_slug(unit.code, 'campaign')}"


def _back(campaign):
    unit_id = request.args.get("unit", type=int)
    if unit_id:
        return redirect(url_for("admin.office", campaign_id=campaign.id, unit_id=unit_id),
                        code=303)
    return redirect(url_for("admin.results_overview", campaign_id=campaign.id), code=303)


@bp.get("/campaigns/<int:campaign_id>/results/scores.csv")
@allow(Capability.EXPORT_RESULTS)
def download_scores_csv(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    unit_ids, suffix = _scope(campaign)
    table = request.args.get("table", "offices")
    if table not in exports.TABLES:
        abort(404)
    stored = _stored(campaign)
    if stored is None:
        return _back(campaign)
    tables = exports.score_tables(db.session, stored, current_user, unit_ids=unit_ids)
    chosen = next(t for t in tables if t.key == table)
    return attachment(exports.table_csv(chosen),
                       f"{file_slug(campaign.name, 'campaign')}{suffix}-{table}.csv", "text/csv")


@bp.get("/campaigns/<int:campaign_id>/results/scores.xlsx")
@allow(Capability.EXPORT_RESULTS)
def download_scores_xlsx(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    unit_ids, suffix = _scope(campaign)
    lang = request.args.get("lang") or current_language()
    if lang not in exports.LANGUAGES:
        lang = "id"
    stored = _stored(campaign)
    if stored is None:
        return _back(campaign)
    tables = exports.score_tables(db.session, stored, current_user, unit_ids=unit_ids)
    return attachment(
        exports.tables_xlsx(tables, lang),
        f"{file_slug(campaign.name, 'campaign')}{suffix}-scores.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.post("/campaigns/<int:campaign_id>/results/microdata.zip")
@allow(Capability.EXPORT_MICRODATA)
def download_microdata(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    free_text = request.form.get("free_text") == "1"
    if free_text and not can(current_user, Capability.VIEW_FREE_TEXT):
        abort(403)
    stored = _stored(campaign)
    if stored is None:
        return _back(campaign)
    try:
        files = exports.microdata(db.session, stored, free_text=free_text)
    except exports.StaleResults:
        db.session.rollback()
        results.request_refresh(db.session, campaign.id)
        db.session.commit()
        flash(_("New responses arrived since the results were computed. The results are "
                "being computed again; download the microdata in a moment, so that it "
                "reproduces them."), "info")
        return _back(campaign)
    exports.record_microdata(db.session, stored, actor=current_user, free_text=free_text,
                             responses=stored.responses, via="staff pages")
    db.session.commit()
    folder = f"{file_slug(campaign.name, 'campaign')}-microdata"
    return attachment(exports.zip_package(files, folder), f"{folder}.zip", "application/zip")
