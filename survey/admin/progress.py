"""Campaign monitoring per office and respondent group: listed, invited,
sent, failed, answered, response rate, progress toward the recommended
sample size and the margin of error reached (services/monitoring.py)."""

from __future__ import annotations

from flask import abort, render_template, request
from flask_login import current_user

from survey.extensions import db
from survey.services import dashboard, staff

from . import bp
from .access import Capability, allow


@bp.get("/")
@allow(Capability.VIEW_MONITORING)
def overview():
    campaigns = staff.visible_campaigns(db.session, current_user)
    if not campaigns:
        return render_template("admin/overview.html", campaigns=[], campaign=None, figures=None)
    chosen = request.args.get("campaign", type=int)
    campaign = (
        next((c for c in campaigns if c.id == chosen), campaigns[0]) if chosen else campaigns[0]
    )
    if chosen and campaign.id != chosen:
        abort(404)
    unit_ids = staff.visible_unit_ids(db.session, current_user)
    figures = dashboard.campaign_monitoring(db.session, campaign, current_user, unit_ids)
    groups = campaign.instrument_version.instrument.groups
    return render_template("admin/overview.html", campaigns=campaigns, campaign=campaign,
                           figures=figures, groups=groups)
