"""Respondent pages: personal links (/r/<token>), open links (/o/<code>).

GET never writes: WhatsApp's preview fetcher and repeated taps open these
URLs. Every write is a POST with a CSRF token, answered with a 303.
"""

from __future__ import annotations

import re
import secrets
from datetime import date

from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select

from survey import clock
from survey.extensions import db
from survey.i18n import COOKIE, LANGUAGES
from survey.models import Campaign, CampaignStatus, OpenLink, Unit
from survey.questionnaire import (
    Tampered,
    applicable_pages,
    expected_pages,
    first_open_page,
    is_shown,
    read_page,
)
from survey.services import responding
from survey.services.responding import LinkProblem, Progress

from . import bp

ACTIONS = ("next", "back", "submit")
STARTED_MAX_AGE = 7 * 86400  # a signed first-view time older than this is ignored
SECONDS_PER_QUESTION = 18  # typical reading-and-tapping time on a phone, for the estimate


def _today() -> date:
    return clock.today(current_app.config["TIMEZONE"])


# -- link resolution -------------------------------------------------------


class _Respondent:
    """The link in the URL, resolved, with the secret its answers are kept
    under (the token itself, or a random value in the session for open links)."""

    def __init__(self, kind: str, code: str):
        self.kind, self.code = kind, code
        if kind == "r":
            self.link = responding.resolve_invitation(db.session, code, today=_today())
            self.secret = code
        else:
            self.link = responding.resolve_open_link(db.session, code, today=_today())
            self.secret = session.get("open", {}).get(code)

    def url(self, endpoint: str, **values) -> str:
        return url_for(f"respond.{endpoint}", kind=self.kind, code=self.code, **values)

    def new_open_secret(self) -> str:
        self.secret = secrets.token_urlsafe(32)
        session.permanent = True
        session["open"] = {**session.get("open", {}), self.code: self.secret}
        return self.secret

    def save(self, progress: Progress) -> bool:
        """Save the answers so far; False if they vanished (already sent)."""
        return responding.save_progress(db.session, self.link, self.secret, progress,
                                        today=_today(),
                                        keep_days=current_app.config["PARTIAL_ANSWER_DAYS"])

    def forget_open_secret(self) -> None:
        if self.kind == "o":
            remaining = dict(session.get("open", {}))
            remaining.pop(self.code, None)
            session["open"] = remaining


_LINK_CODE = re.compile(r"[A-Za-z0-9_-]{4,64}")


def _resolve(kind: str, code: str) -> _Respondent:
    if not _LINK_CODE.fullmatch(code):
        abort(404)   # not a code we ever issue; the database need not be asked
    return _Respondent(kind, code)


@bp.errorhandler(LinkProblem)
def link_problem(problem: LinkProblem):
    if problem.reason == "used" and request.method == "POST":
        # A second tap on "send" (or a retry) after the first one went
        # through: reassure, do not alarm with "was it you?".
        return _already_sent()
    return render_template("respond/link_problem.html", problem=problem), problem.status


def _already_sent():
    """The reassuring page for answers that were sent before this request."""
    return render_template("respond/already.html"), 410


# A path on this site: no scheme, no host, no backslash, no control or space
# characters (browsers drop tabs and newlines, turning "/\t/evil" into "//evil").
_LOCAL_PATH = re.compile(r"/(?![/\\])[A-Za-z0-9/_.~%?=&+-]*")


def _local_path(target: str) -> str:
    """``target`` if it is a path on this site, else the home page."""
    return target if _LOCAL_PATH.fullmatch(target) else "/"


def _started_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="first-view")


# -- pages -----------------------------------------------------------------


@bp.get("/")
def home():
    today = _today()
    campaigns = db.session.scalars(
        select(Campaign)
        .where(
            Campaign.status == CampaignStatus.OPEN,
            Campaign.opens_on <= today,
            Campaign.closes_on >= today,
        )
        .order_by(Campaign.opens_on.desc())
    ).all()
    links = {
        c.id: db.session.scalars(
            select(OpenLink)
            .where(OpenLink.campaign_id == c.id, OpenLink.active.is_(True))
            .join(OpenLink.unit)
            .order_by(Unit.name)
        ).all()
        for c in campaigns
    }
    return render_template("respond/home.html", campaigns=campaigns, links=links)


@bp.get("/lang/<code>")
def set_language(code: str):
    response = redirect(_local_path(request.args.get("next", "/")), code=303)
    if code in LANGUAGES:
        response.set_cookie(
            COOKIE,
            code,
            max_age=365 * 86400,
            samesite="Lax",
            secure=current_app.config["SESSION_COOKIE_SECURE"],
            httponly=True,
        )
    return response


@bp.get("/<any(r, o):kind>/<code>")
def intro(kind: str, code: str):
    respondent = _resolve(kind, code)
    progress = (
        responding.load_progress(db.session, respondent.secret) if respondent.secret else None
    )
    resume_at = (first_open_page(respondent.link.pages, progress.done, progress.answers)
                 if progress else None)
    started = _started_serializer().dumps(clock.timestamp())
    questions = sum(len(p.questions) for p in respondent.link.pages)
    minutes = max(3, round(questions * SECONDS_PER_QUESTION / 60))
    seen = progress or Progress()
    return render_template(
        "respond/intro.html",
        respondent=respondent,
        link=respondent.link,
        resume_at=resume_at,
        started=started,
        minutes=minutes,
        page_count=len(expected_pages(respondent.link.pages, seen.answers, seen.done)),
    )


@bp.post("/<any(r, o):kind>/<code>/mulai")
def start(kind: str, code: str):
    respondent = _resolve(kind, code)
    secret = respondent.secret
    progress = responding.load_progress(db.session, secret) if secret else None
    if progress is None:
        try:
            started = float(
                _started_serializer().loads(
                    request.form.get("started", ""), max_age=STARTED_MAX_AGE
                )
            )
        except (BadSignature, TypeError, ValueError):
            started = clock.timestamp()
        if respondent.kind == "o":
            respondent.new_open_secret()
        progress = Progress(started=min(started, clock.timestamp()))
        respondent.save(progress)
    page = first_open_page(respondent.link.pages, progress.done, progress.answers)
    return redirect(respondent.url("page", number=page), code=303)


def _may_open(pages, progress: Progress, number: int) -> tuple[bool, int]:
    """Whether page ``number`` applies and has been reached, and the page
    the respondent should be on."""
    numbers = [p.number for p in applicable_pages(pages, progress.answers)]
    reachable = first_open_page(pages, progress.done, progress.answers)
    return (number in numbers and (number <= reachable or number in progress.done)), reachable


@bp.route("/<any(r, o):kind>/<code>/<int:number>", methods=["GET", "POST"])
def page(kind: str, code: str, number: int):
    respondent = _resolve(kind, code)
    link = respondent.link
    progress = (
        responding.load_progress(db.session, respondent.secret) if respondent.secret else None
    )
    if progress is None:
        if request.method == "POST" and respondent.kind == "o" and respondent.secret:
            # The saved answers are gone: this browser already submitted them
            # (a double tap), or they expired.
            return _already_sent()
        return redirect(respondent.url("intro"), code=303)
    pages = link.pages
    allowed, reachable = _may_open(pages, progress, number)
    if not allowed:
        if request.method == "POST" or not 1 <= number <= len(pages):
            abort(400 if request.method == "POST" else 404, description="page")
        return redirect(respondent.url("page", number=reachable), code=303)
    current = pages[number - 1]

    if request.method == "GET":
        return _render_page(respondent, current, progress, errors={})

    action = request.form.get("action", "next")
    if action not in ACTIONS:
        abort(400, description="action")
    try:
        result = read_page(
            current, request.form, progress.answers, pages=pages, check_required=action != "back"
        )
    except Tampered:
        abort(400, description="answer")
    if result.errors and action != "back":
        merged = {**progress.answers, **result.answers}
        shown = Progress(merged, progress.done, progress.started)
        return _render_page(
            respondent, current, shown, errors=result.errors, submitted=request.form
        ), 422

    own = {q.id for q in current.questions}
    progress.answers = {k: v for k, v in progress.answers.items() if k not in own}
    progress.answers.update(result.answers)
    # This page's answers may show or hide later pages: navigate by the
    # pages that apply now.
    numbers = [p.number for p in applicable_pages(pages, progress.answers)]
    later = [n for n in numbers if n > number]
    if action == "submit" and later:
        action = "next"   # this page's answers opened more questions: show them first
    if action != "submit":
        if action == "next":
            progress.done.add(number)
        if not respondent.save(progress):
            return _already_sent()
        earlier = [n for n in numbers if n < number]
        if action == "next":
            target = later[0] if later else number   # now the last page: it offers "send"
        else:
            target = earlier[-1] if earlier else number
        return redirect(respondent.url("page", number=target), code=303)

    progress.done.add(number)
    try:
        outcome = responding.submit(db.session, link, respondent.secret, progress,
                                    today=_today(), batch=current_app.config["ANONYMITY_BATCH"])
    except responding.InvalidResponse as invalid:
        # Answers saved earlier no longer pass (the instrument's rules caught
        # something the pages did not): reopen the first page needing attention.
        first_bad = next((p.number for p in pages
                          if any(q.id in invalid.errors for q in p.questions)), 1)
        progress.done = {n for n in progress.done if n < first_bad}
        if not respondent.save(progress):
            return _already_sent()
        flash(_("Your answers were not sent yet: please check this page, then continue."),
              "error")
        return redirect(respondent.url("page", number=first_bad), code=303)
    if not outcome.stored:
        return _already_sent()
    respondent.forget_open_secret()
    return redirect(url_for("respond.finished"), code=303)


@bp.post("/<any(r, o):kind>/<code>/<int:number>/simpan")
def draft(kind: str, code: str, number: int):
    """The page's answers as they are now, saved without moving on (the
    page's script sends them as they change): nothing tapped or typed is
    lost when the browser closes before "next", the connection drops for a
    while, or the language is switched. Kept exactly as "next" keeps them
    (sealed under the link's secret, see docs/threat-model.md); the page is
    not marked done and no required answer is asked for yet. Answers the
    page would refuse (a half-typed number) keep their earlier value.

    204 when saved; 410 when there is nothing to save into (already sent,
    or expired); 400 for a page not reached or an answer no page offers."""
    respondent = _resolve(kind, code)
    progress = (
        responding.load_progress(db.session, respondent.secret) if respondent.secret else None
    )
    if progress is None:
        return _bare(410)
    pages = respondent.link.pages
    if not _may_open(pages, progress, number)[0]:
        abort(400, description="page")
    current = pages[number - 1]
    try:
        result = read_page(current, request.form, progress.answers, pages=pages,
                           check_required=False)
    except Tampered:
        abort(400, description="answer")
    own = {q.id for q in current.questions} - set(result.errors)
    progress.answers = {k: v for k, v in progress.answers.items() if k not in own}
    progress.answers.update(result.answers)
    if not respondent.save(progress):
        return _bare(410)
    return _bare(204)


def _bare(status: int):
    response = make_response("", status)
    response.mimetype = "text/plain"
    return response


def _render_page(respondent: _Respondent, current, progress: Progress, *, errors, submitted=None):
    answers = progress.answers
    numbers = [p.number for p in expected_pages(respondent.link.pages, answers, progress.done)]
    return render_template(
        "respond/page.html",
        respondent=respondent,
        link=respondent.link,
        page=current,
        position=numbers.index(current.number) + 1,
        total=len(numbers),
        answers=answers,
        errors=errors,
        visible={q.id: is_shown(q, answers) for q in current.questions},
        submitted=submitted,
    )


@bp.get("/selesai")
def finished():
    return render_template("respond/finished.html")


@bp.get("/healthz")
def health():
    db.session.execute(select(1))
    response = make_response("ok\n")
    response.mimetype = "text/plain"
    return response
