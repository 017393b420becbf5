"""/lapor: citizens report a bribe, an illegal levy, a broker or another
abuse at an office, anonymously, and follow it with a tracking code.

No sign-in. Filing is rate limited per client (a keyed hash, never the
address) and has a honeypot field: a form that fills it is thanked and
dropped. The tracking code is shown once, after a redirect (a reload does
not file the report twice), and is then the only way to the report's status
at /lapor/<code>; the code in that path is masked in the logs like a
personal link's token.
"""

from __future__ import annotations

from datetime import date

from flask import (
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge

from survey import clock
from survey.extensions import db, limiter
from survey.models import OpenLink, ReportCategory
from survey.services import photos, reports
from survey.web import upload_limit

from . import bp

#: A person files a report or two; a script flooding the inspectorate is stopped.
REPORT_LIMIT = "5 per hour;20 per day"
#: Looking a report up: a person checks now and then; guessing codes is slowed down.
LOOKUP_LIMIT = "30 per minute;300 per day"
#: The field no person sees or fills (hidden from sight and from screen readers).
HONEYPOT = "website"
_SENT = "report_code"


def _today() -> date:
    return clock.today(current_app.config["TIMEZONE"])


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def _int(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() and len(text) < 12 else None


def _preset() -> dict[str, str]:
    """The office (and campaign) a link to /lapor names: ``?o=<open link
    code>`` from the questionnaire, or ``?kantor=<office id>``."""
    code = request.args.get("o", "")
    if code and len(code) <= 64:
        link = db.session.scalar(select(OpenLink).where(OpenLink.code == code))
        if link is not None:
            return {"unit": str(link.unit_id), "campaign": str(link.campaign_id)}
    unit = _int(request.args.get("kantor"))
    return {"unit": str(unit)} if unit else {}


def _form_page(form: dict, *, errors: dict | None = None, status: int = 200):
    return render_template(
        "respond/report.html", form=form, errors=errors or {},
        units=reports.reportable_units(db.session), categories=list(ReportCategory),
        today=_today(), max_mb=photos.MAX_BYTES // (1024 * 1024), honeypot=HONEYPOT), status


@bp.get("/lapor")
def report_form():
    return _form_page(_preset())


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error):
    if request.endpoint == "respond.report_file":
        return _form_page({}, errors={"photo": _("The photo is larger than 5 MB. Your report "
                                                 "was not sent: go back and choose a "
                                                 "smaller photo.")}, status=413)
    return render_template("errors/http.html", error=error), 413


@bp.post("/lapor")
@upload_limit(photos.MAX_BYTES + 512 * 1024)   # a photo may be 5 MB
@limiter.limit(REPORT_LIMIT)
def report_file():
    form = request.form
    upload = request.files.get("photo")
    if form.get(HONEYPOT):
        # Only robots fill the invisible field: thank them, store nothing.
        session[_SENT] = reports.new_tracking_code()
        return redirect(url_for("respond.report_sent"), code=303)
    new = reports.NewReport(
        unit_id=_int(form.get("unit")), category=form.get("category"),
        occurred_on=_date(form.get("occurred_on", "")), amount=form.get("amount", ""),
        description=form.get("description", ""), wants_contact=form.get("wants_contact") == "yes",
        contact=form.get("contact", ""),
        photo=upload.read(photos.MAX_BYTES + 1) if upload and upload.filename else None,
        campaign_id=_int(form.get("campaign")))
    try:
        _report, code = reports.file_report(db.session, new, today=_today())
    except reports.ReportError as error:
        db.session.rollback()
        return _form_page(form, errors={error.field: str(error)}, status=422)
    session[_SENT] = code
    return redirect(url_for("respond.report_sent"), code=303)


@bp.get("/lapor/terkirim")
def report_sent():
    code = session.pop(_SENT, None)
    if code is None:
        # Shown once: a reload or a shared address does not show it again.
        return redirect(url_for("respond.report_form"), code=303)
    return render_template("respond/report_sent.html", code=code)


@bp.post("/lapor/lacak")
@limiter.limit(LOOKUP_LIMIT)
def report_lookup():
    """The code as typed, sent by POST so that it is not in an address until
    it is a valid one."""
    code = reports.normalise_code(request.form.get("code", ""))
    if code is None:
        return render_template("respond/report_status.html", report=None, code=None,
                               typed=request.form.get("code", "")[:40],
                               error=_("A tracking code has 16 letters and digits, such as "
                                       "7KQ4-M9XD-2HPT-W8RE.")), 422
    return redirect(url_for("respond.report_status", code=code), code=303)


@bp.get("/lapor/<code>")
@limiter.limit(LOOKUP_LIMIT)
def report_status(code: str):
    if len(code) > 40:
        abort(404)
    report = reports.find_by_code(db.session, code)
    if report is None:
        return render_template("respond/report_status.html", report=None, code=None,
                               typed=code,
                               error=_("No report has this code. Check each character; the "
                                       "code has 16 letters and digits.")), 404
    return render_template("respond/report_status.html", report=report,
                           code=reports.normalise_code(code), error=None, typed="")
