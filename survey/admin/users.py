"""Staff accounts: administrators create, deactivate and reset them (with a
one-time link, never a password by email); everyone changes their own
password; a one-time link sets a password."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from survey.extensions import db
from survey.models import Institution, Role, StaffUser, Unit
from survey.services import staff

from . import bp
from .access import Capability, allow, public, signed_in


def _message(error: staff.StaffError) -> str:
    """The service's one-line reason, in the reader's language."""
    text = str(error)
    known = (
        ("at least", lambda: _("The password must have at least %(n)s characters.",
                               n=staff.MIN_PASSWORD)),
        ("at most 200", lambda: _("The password must have at most 200 characters.")),
        ("current password", lambda: _("The current password is not correct.")),
        ("not valid any more", lambda: _("This link is not valid any more: ask an "
                                         "administrator for a new one.")),
        ("already exists", lambda: _("An account with this email address already exists.")),
        ("is not an email", lambda: _("This is not an email address.")),
        ("unit manager needs", lambda: _("A head of office needs an office.")),
        ("own account", lambda: _("You cannot deactivate your own account.")),
        ("unknown role", lambda: _("Choose a role.")),
    )
    for marker, message in known:
        if marker in text:
            return message()
    return text


def _user_or_404(user_id: int) -> StaffUser:
    user = db.session.get(StaffUser, user_id)
    if user is None or (current_user.institution_id is not None
                        and user.institution_id != current_user.institution_id):
        abort(404)
    return user


def _choices():
    institutions = ([current_user.institution] if current_user.institution_id is not None
                    else list(db.session.scalars(select(Institution).order_by(Institution.name))))
    units = list(db.session.scalars(select(Unit).where(
        Unit.institution_id.in_([i.id for i in institutions])).order_by(Unit.name)))
    return institutions, units


def _users_page(*, errors=None, link=None, status=200):
    institutions, units = _choices()
    return render_template("admin/users.html", users=staff.visible_staff(db.session, current_user),
                           roles=list(Role), institutions=institutions, units=units,
                           errors=errors or {}, link=link, form=request.form), status


def _link(token: str) -> str:
    return url_for("admin.reset", reset_token=token, _external=True)


@bp.get("/users")
@allow(Capability.VIEW_STAFF, Capability.MANAGE_STAFF)
def users():
    return _users_page()


@bp.post("/users")
@allow(Capability.MANAGE_STAFF)
def create_staff_user():
    institutions, units = _choices()
    unit = next((u for u in units if str(u.id) == request.form.get("unit")), None)
    institution = next((i for i in institutions if str(i.id) == request.form.get("institution")),
                       institutions[0] if len(institutions) == 1 else None)
    if unit is not None:
        institution = unit.institution
    role = request.form.get("role", "")
    if institution is None and role != Role.ADMIN:
        return _users_page(errors={"institution": _("Choose the institution.")}, status=400)
    try:
        user, token = staff.invite_user(
            db.session, email=request.form.get("email", ""), name=request.form.get("name", ""),
            role=role, unit_code=unit.code if unit else None,
            institution_code=institution.code if institution else None, actor=current_user)
    except staff.StaffError as error:
        db.session.rollback()
        return _users_page(errors={"form": _message(error)}, status=400)
    return _users_page(link={"user": user, "url": _link(token), "created": True})


@bp.post("/users/<int:user_id>/reset")
@allow(Capability.MANAGE_STAFF)
def reset_staff_user(user_id: int):
    user = _user_or_404(user_id)
    token = staff.reset_password(db.session, user, actor=current_user)
    return _users_page(link={"user": user, "url": _link(token), "created": False})


@bp.post("/users/<int:user_id>/active")
@allow(Capability.MANAGE_STAFF)
def set_staff_user_active(user_id: int):
    user = _user_or_404(user_id)
    try:
        staff.set_active(db.session, user, request.form.get("active") == "yes",
                         actor=current_user)
    except staff.StaffError as error:
        db.session.rollback()
        return _users_page(errors={"form": _message(error)}, status=400)
    flash(_("Saved."), "info")
    return redirect(url_for("admin.users"), code=303)


@bp.route("/account", methods=["GET", "POST"])
@signed_in
def account():
    error = None
    if request.method == "POST":
        try:
            staff.change_password(db.session, current_user, request.form.get("current", ""),
                                  request.form.get("new", ""))
        except staff.StaffError as problem:
            db.session.rollback()
            error = _message(problem)
        else:
            # This session stays: sign in again under the new generation.
            login_user(current_user._get_current_object())
            flash(_("Your password was changed. Every other session of your account has "
                    "ended."), "info")
            return redirect(url_for("admin.account"), code=303)
    return render_template("admin/account.html", error=error), 400 if error else 200


@bp.route("/reset/<reset_token>", methods=["GET", "POST"])
@public
def reset(reset_token: str):
    if staff.reset_of(db.session, reset_token) is None:
        return render_template("admin/reset.html", valid=False, error=None), 404
    error = None
    if request.method == "POST":
        try:
            staff.use_reset(db.session, reset_token, request.form.get("new", ""))
        except staff.StaffError as problem:
            db.session.rollback()
            error = _message(problem)
        else:
            logout_user()
            flash(_("Your password is set. Sign in with it."), "info")
            return redirect(url_for("admin.login"), code=303)
    return render_template("admin/reset.html", valid=True, error=error), 400 if error else 200
