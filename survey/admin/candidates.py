"""Counter sign-up per office: offer it at an office's open link, see the
candidates waiting, draw some and invite them with personal links
(services/signups.py), and close the draw (the rest lose their number)."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from survey.extensions import db
from survey.models import OpenLink, Unit
from survey.services import signups, staff
from survey.services.tokens import LinkSeal

from . import bp
from .access import Capability, allow, campaign_or_404


def _links(campaign) -> list[OpenLink]:
    return list(db.session.scalars(
        select(OpenLink).join(OpenLink.unit).where(OpenLink.campaign_id == campaign.id)
        .order_by(Unit.name)))


def _link_of(campaign) -> OpenLink:
    link = None
    if request.form.get("link", "").isdigit():
        link = db.session.get(OpenLink, int(request.form["link"]))
    if link is None or link.campaign_id != campaign.id:
        abort(404)
    return link


@bp.get("/campaigns/<int:campaign_id>/candidates")
@allow(Capability.DRAW_CANDIDATES)
def candidates_page(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    return render_template("admin/candidates.html", campaign=campaign, links=_links(campaign),
                           counts=signups.counts(db.session, campaign),
                           campaigns=staff.visible_campaigns(db.session, current_user))


@bp.post("/campaigns/<int:campaign_id>/candidates/signup")
@allow(Capability.DRAW_CANDIDATES)
def candidates_signup(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    link = _link_of(campaign)
    signups.set_signup(db.session, link, request.form.get("enabled") == "yes", actor=current_user)
    flash(_("Sign-up at %(unit)s: %(state)s.", unit=link.unit.name,
            state=_("offered") if link.signup else _("not offered")), "info")
    return redirect(url_for("admin.candidates_page", campaign_id=campaign.id), code=303)


@bp.post("/campaigns/<int:campaign_id>/candidates/draw")
@allow(Capability.DRAW_CANDIDATES)
def candidates_draw(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    link = _link_of(campaign)
    count = request.form.get("count", type=int) or 0
    try:
        made = signups.draw(db.session, campaign, link.unit_id, count,
                            seal=LinkSeal(current_app.config["SECRET_KEY"]), actor=current_user)
    except signups.SignupError:
        db.session.rollback()
        flash(_("Give how many candidates to draw: a whole number of at least 1."), "error")
    else:
        flash(_("%(n)s candidate(s) drawn and invited; send their invitations from the "
                "invitations page.", n=len(made)), "info")
    return redirect(url_for("admin.candidates_page", campaign_id=campaign.id), code=303)


@bp.post("/campaigns/<int:campaign_id>/candidates/close")
@allow(Capability.DRAW_CANDIDATES)
def candidates_close(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    forgotten = signups.close_draw(db.session, campaign, actor=current_user)
    flash(_("The draw is closed: %(n)s waiting number(s) deleted.", n=forgotten), "info")
    return redirect(url_for("admin.candidates_page", campaign_id=campaign.id), code=303)
