"""Surge alarms (on the monitoring page and a page of their own), and
setting an office's open-link responses of given days aside from scoring
(services/surges.py).

Inspectors see the alarms and act on them; auditors see them and the
exclusions; unit managers see neither (an alarm names an office's day,
and acting on it is the inspectorate's call)."""

from __future__ import annotations

from datetime import date, timedelta

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from survey.extensions import db
from survey.models import OpenLinkExclusion, Unit
from survey.services import staff, surges

from . import bp
from .access import Capability, allow, campaign_or_404, can

MESSAGES = {
    "unit": lambda: _("Choose an office of this campaign's institution."),
    "days": lambda: _("Give the first and last day, both within the campaign, at most 31 days."),
    "reason": lambda: _("Say why, in at most 2000 characters: the reason is kept on record."),
}


def panel(campaign) -> dict | None:
    """What the monitoring page's surge section shows to the person, or
    None when they may not see it."""
    if not (can(current_user, Capability.CORRECT_RESULTS)
            or can(current_user, Capability.VIEW_AUDIT_LOG)):
        return None
    config = current_app.config
    return {
        "surges": surges.find(db.session, campaign, factor=config["SURGE_FACTOR"],
                              minimum=config["SURGE_MINIMUM"]),
        "exclusions": surges.of_campaign(db.session, campaign),
        "may_exclude": can(current_user, Capability.CORRECT_RESULTS),
        "factor": config["SURGE_FACTOR"],
        "minimum": config["SURGE_MINIMUM"],
    }


def _page(campaign, *, errors: dict | None = None, form=None, status: int = 200):
    return render_template(
        "admin/surges.html", campaign=campaign, surge=panel(campaign),
        units=staff.institution_units(db.session, campaign.institution_id),
        errors=errors or {}, form=form if form is not None else request.args,
        campaigns=staff.visible_campaigns(db.session, current_user)), status


@bp.get("/campaigns/<int:campaign_id>/surges")
@allow(Capability.CORRECT_RESULTS, Capability.VIEW_AUDIT_LOG)
def surges_page(campaign_id: int):
    """The alarms, the days set aside and (for inspectors) the form to set
    an office's open-link responses of given days aside; ``unit`` and
    ``first`` in the query fill the form from an alarm."""
    return _page(campaign_or_404(campaign_id))


def _days() -> list[date] | None:
    """The days from the form: ``first`` to ``last`` (ISO dates; ``last``
    may be left empty for one day)."""
    try:
        first = date.fromisoformat(request.form.get("first", "").strip())
        last_text = request.form.get("last", "").strip()
        last = date.fromisoformat(last_text) if last_text else first
    except ValueError:
        return None
    if last < first or (last - first).days >= surges.MAX_DAYS:
        return None
    return [first + timedelta(days=k) for k in range((last - first).days + 1)]


@bp.post("/campaigns/<int:campaign_id>/surges/exclude")
@allow(Capability.CORRECT_RESULTS)
def exclude_open_link_days(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    unit = None
    if request.form.get("unit", "").isdigit():
        unit = db.session.get(Unit, int(request.form["unit"]))
    try:
        made = surges.exclude(db.session, campaign, unit, _days(), request.form.get("reason", ""),
                              actor=current_user)
    except surges.ExclusionError as error:
        db.session.rollback()
        return _page(campaign, errors={error.field: MESSAGES[error.field]()}, form=request.form,
                     status=400)
    if made:
        flash(_("%(n)s day(s) of open-link responses set aside. The results are being computed "
                "again.", n=len(made)), "info")
    else:
        flash(_("These days were already set aside."), "info")
    return redirect(url_for("admin.surges_page", campaign_id=campaign.id), code=303)


@bp.post("/campaigns/<int:campaign_id>/surges/restore")
@allow(Capability.CORRECT_RESULTS)
def restore_open_link_day(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    exclusion = None
    if request.form.get("exclusion", "").isdigit():
        exclusion = db.session.get(OpenLinkExclusion, int(request.form["exclusion"]))
    if exclusion is None or exclusion.campaign_id != campaign.id:
        abort(404)
    surges.restore(db.session, exclusion, actor=current_user)
    flash(_("The day's open-link responses count again. The results are being computed again."),
          "info")
    return redirect(url_for("admin.surges_page", campaign_id=campaign.id), code=303)
