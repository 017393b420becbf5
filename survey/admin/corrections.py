"""Corrections per office: list, preview of the effect, save, remove."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from survey.extensions import db
from survey.models import Correction, Unit
from survey.services import corrections, results, staff

from . import bp
from .access import Capability, allow, campaign_or_404
from .present import Labels

MESSAGES = {
    "unit": lambda: _("Choose an office of this campaign's institution."),
    "points": lambda: _("Points must be more than 0 and at most 100."),
    "reason": lambda: _("Say why, in at most 2000 characters: the reason is kept on record."),
}


def _units(campaign) -> list[Unit]:
    return staff.institution_units(db.session, campaign.institution_id)


def _form(campaign):
    """The submitted office, points and reason (points accept 2,5 and 2.5)."""
    unit = None
    if request.form.get("unit", "").isdigit():
        unit = db.session.get(Unit, int(request.form["unit"]))
    try:
        points = float(request.form.get("points", "").strip().replace(",", "."))
    except ValueError:
        points = None
    return unit, points, request.form.get("reason", "")


def _page(campaign, *, errors=None, effect=None, status=200):
    state = results.status(db.session, campaign.id, ask=False)
    return render_template(
        "admin/corrections.html", campaign=campaign, units=_units(campaign),
        corrections=corrections.of_campaign(db.session, campaign), errors=errors or {},
        effect=effect, state=state, labels=Labels(campaign.instrument_version.instrument),
        form=request.form), status


@bp.get("/campaigns/<int:campaign_id>/corrections")
@allow(Capability.CORRECT_RESULTS, Capability.VIEW_AUDIT_LOG)
def corrections_page(campaign_id: int):
    return _page(campaign_or_404(campaign_id))


@bp.post("/campaigns/<int:campaign_id>/corrections")
@allow(Capability.CORRECT_RESULTS)
def add_correction(campaign_id: int):
    """Without ``confirm``: show the effect and ask to confirm; with it: save."""
    campaign = campaign_or_404(campaign_id)
    unit, points, reason = _form(campaign)
    try:
        unit, points, reason = corrections.validate(campaign, unit, points, reason)
    except corrections.CorrectionError as error:
        return _page(campaign, errors={error.field: MESSAGES[error.field]()}, status=400)
    if request.form.get("confirm") != "yes":
        effect = corrections.preview(results.load(db.session, campaign.id),
                                     campaign.instrument_version.instrument, unit, points)
        return _page(campaign, effect=effect)
    corrections.add(db.session, campaign, unit, points, reason, actor=current_user)
    flash(_("Correction saved. The results are being computed again."), "info")
    return redirect(url_for("admin.corrections_page", campaign_id=campaign.id), code=303)


@bp.post("/campaigns/<int:campaign_id>/corrections/<int:correction_id>/delete")
@allow(Capability.CORRECT_RESULTS)
def remove_correction(campaign_id: int, correction_id: int):
    campaign = campaign_or_404(campaign_id)
    correction = db.session.get(Correction, correction_id)
    if correction is None or correction.campaign_id != campaign.id:
        abort(404)
    corrections.remove(db.session, correction, actor=current_user)
    flash(_("Correction removed. The results are being computed again."), "info")
    return redirect(url_for("admin.corrections_page", campaign_id=campaign.id), code=303)
