"""Staff sign-in and sign-out."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_user, logout_user

from survey.extensions import db, login_manager
from survey.forms.staff import LoginForm
from survey.models import StaffUser
from survey.services import staff

from . import bp
from .access import public, signed_in

login_manager.login_view = "admin.login"
login_manager.login_message = None


@login_manager.user_loader
def load_user(user_id: str) -> StaffUser | None:
    """The account of a session, unless its sessions were ended since
    (the cookie's generation is older than the account's)."""
    number, _, generation = user_id.partition(".")
    if not number.isdigit() or not generation.isdigit():
        return None
    user = db.session.get(StaffUser, int(number))
    if user is None or user.session_generation != int(generation):
        return None
    return user


@bp.route("/login", methods=["GET", "POST"])
@public
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
@signed_in
def logout():
    logout_user()
    return redirect(url_for("admin.login"), code=303)
