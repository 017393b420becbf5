"""/d/<code>: a citizen at an office's counter signs up with a WhatsApp
number to be invited to the survey with a personal link, when the
inspectorate offers sign-up at that office (services/signups.py).

Rate limited per client like starting an open questionnaire; a honeypot
field; the same thank-you page whether or not the number had signed up
before, so the page cannot be used to learn who signed up."""

from __future__ import annotations

from flask import abort, current_app, render_template, request
from sqlalchemy import select

from survey import clock
from survey.extensions import db, limiter
from survey.models import OpenLink
from survey.services import responding, signups

from . import bp
from .views import _LINK_CODE, HONEYPOT


def _link(code: str) -> OpenLink:
    if not _LINK_CODE.fullmatch(code):
        abort(404)
    link = db.session.scalar(select(OpenLink).where(OpenLink.code == code))
    if link is None or not link.active or not link.signup:
        abort(404)
    # A closed or not yet open campaign says so, as its questionnaire does.
    responding.resolve_open_link(db.session, code,
                                 today=clock.today(current_app.config["TIMEZONE"]))
    return link


@bp.route("/d/<code>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["OPEN_LINK_START_LIMIT"], methods=["POST"])
def signup(code: str):
    link = _link(code)
    errors: dict[str, str] = {}
    if request.method == "POST":
        if request.form.get(HONEYPOT):
            return render_template("respond/signup_done.html", link=link)
        try:
            signups.sign_up(db.session, link, request.form.get("phone", ""),
                            consent=request.form.get("consent") == "yes",
                            secret=current_app.config["SECRET_KEY"],
                            today=clock.today(current_app.config["TIMEZONE"]))
        except signups.SignupError as error:
            errors[error.field] = str(error)
        else:
            return render_template("respond/signup_done.html", link=link)
    return render_template("respond/signup.html", link=link, errors=errors,
                           form=request.form), 422 if errors else 200
