"""Staff pages: sign in and out, campaign progress per unit."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from survey.extensions import db, login_manager
from survey.forms.staff import LoginForm
from survey.models import StaffUser
from survey.services import progress, staff

from . import bp

login_manager.login_view = "admin.login"
login_manager.login_message = None


@login_manager.user_loader
def load_user(user_id: str) -> StaffUser | None:
    if not user_id.isdigit():
        return None
    return db.session.get(StaffUser, int(user_id))


@bp.before_request
def require_login():
    # One guard for the whole blueprint instead of a decorator per view.
    if request.endpoint in ("admin.login",):
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = staff.authenticate(db.session, form.email.data, form.password.data)
        except staff.SignInLocked:
            flash(_("Too many failed attempts for this account. Please try again in "
                    "15 minutes."), "error")
            return render_template("admin/login.html", form=form), 429
        if user is not None:
            login_user(user)
            return redirect(url_for("admin.overview"), code=303)
        flash(_("Email or password is not correct."), "error")
    return render_template("admin/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    return redirect(url_for("admin.login"), code=303)


@bp.get("/")
def overview():
    campaigns = staff.visible_campaigns(db.session, current_user)
    if not campaigns:
        return render_template("admin/overview.html", campaigns=[], campaign=None, rows=[])
    chosen = request.args.get("campaign", type=int)
    campaign = (
        next((c for c in campaigns if c.id == chosen), campaigns[0]) if chosen else campaigns[0]
    )
    if chosen and campaign.id != chosen:
        abort(404)
    unit_ids = staff.visible_unit_ids(db.session, current_user)
    rows = progress.campaign_progress(db.session, campaign, unit_ids)
    groups = campaign.instrument_version.instrument.groups
    return render_template(
        "admin/overview.html", campaigns=campaigns, campaign=campaign, rows=rows, groups=groups
    )
