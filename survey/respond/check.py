"""/cek: "is this message genuine?" Anyone pastes a WhatsApp message or a
link and learns whether it leads to this platform, to which open campaign
and office, and which numbers and addresses the inspectorate sends from.

Public, no sign-in; rate limited per client (a keyed hash, never the
address); it reads and never writes, and a used and an unused personal link
get the same answer. The text arrives by POST (with a CSRF token), never in
the URL, so that a pasted link never reaches an access log.
"""

from __future__ import annotations

from flask import current_app, render_template, request

from survey import clock
from survey.extensions import db, limiter
from survey.forms.campaigns import CheckForm
from survey.services import verification
from survey.web import public_base_url

from . import bp

#: A person checks a message or two; a script guessing tokens is slowed down.
CHECK_LIMIT = "20 per minute;200 per day"


def _official_host() -> str:
    return verification.host_of(current_app.config["PUBLIC_BASE_URL"] or request.host_url)


@bp.route("/cek", methods=["GET", "POST"])
@limiter.limit(CHECK_LIMIT, methods=["POST"])
def check():
    form = CheckForm()
    result = error = None
    if form.validate_on_submit():
        try:
            result = verification.check(
                db.session, form.text.data, official_host=_official_host(),
                today=clock.today(current_app.config["TIMEZONE"]))
        except ValueError as exc:
            error = str(exc)
        db.session.rollback()   # it only read; end the transaction
        form.text.data = ""     # a pasted personal link is not sent back in the page
    status = 422 if request.method == "POST" and (error or form.errors) else 200
    return render_template(
        "respond/check.html", form=form, result=result, error=error,
        official=public_base_url(),   # shown only when vetted, never a raw Host header
        senders=current_app.config["OFFICIAL_SENDERS"],
        inspectorate=current_app.config["INSPECTORATE_NAME"],
        contact=current_app.config["INSPECTORATE_CONTACT"]), status
