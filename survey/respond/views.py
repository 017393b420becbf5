"""Respondent pages: personal links (/r/<token>), open links (/o/<code>).

GET never writes: WhatsApp's preview fetcher and repeated taps open these
URLs. Every write is a POST with a CSRF token, answered with a 303.
"""

from __future__ import annotations

import re
import secrets
from datetime import date, timedelta
from functools import partial

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
from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer
from markupsafe import Markup
from sqlalchemy import select

from survey import clock
from survey.database import statement_by_statement
from survey.extensions import db, limiter
from survey.i18n import COOKIE, LANGUAGES, current_language
from survey.models import Campaign, CampaignStatus, OpenLink, Unit
from survey.questionnaire import (
    Tampered,
    applicable_pages,
    expected_pages,
    first_open_of,
    first_open_page,
    is_shown,
    read_page,
)
from survey.services import responding
from survey.services.responding import LinkProblem, Progress

from . import bp

ACTIONS = ("next", "back", "submit")
STARTED_MAX_AGE = 7 * 86400  # a signed first-view time older than this is ignored
#: A field no person sees or fills (hidden by the style sheet); a program
#: filling every field does, and its response is dropped without a word.
HONEYPOT = "website"
#: The signed cookie listing the (campaign, office) pairs this browser has
#: answered through an open link.
ANSWERED_COOKIE = "answered"
SECONDS_PER_QUESTION = 18  # typical reading-and-tapping time on a phone, for the estimate


def _today() -> date:
    return clock.today(current_app.config["TIMEZONE"])


# -- link resolution -------------------------------------------------------


class _Respondent:
    """The link in the URL, resolved, with the secret its answers are kept
    under (the token itself, or a random value in the session for open links)."""

    def __init__(self, kind: str, code: str):
        self.kind, self.code = kind, code
        # A page reads in one query and saves in one statement: no
        # transaction around them (sending the answers has its own).
        statement_by_statement(db.session)
        if kind == "r":
            self.secret = code
            self.link = responding.resolve_invitation(db.session, code, today=_today())
        else:
            self.secret = session.get("open", {}).get(code)
            self.link = responding.resolve_open_link(db.session, code, today=_today(),
                                                     secret=self.secret)

    @property
    def progress(self) -> Progress | None:
        """The answers saved so far (read with the link)."""
        return self.link.progress

    def key(self):
        """The secret's key as resolving the link derived it, or the secret
        itself when it is new (deriving the key costs)."""
        return self.link.sealed or self.secret

    def url(self, endpoint: str, **values) -> str:
        return url_for(f"respond.{endpoint}", kind=self.kind, code=self.code, **values)

    def new_open_secret(self) -> str:
        self.link.sealed = None   # the old secret's key, if any, no longer applies
        self.secret = secrets.token_urlsafe(32)
        session.permanent = True
        session["open"] = {**session.get("open", {}), self.code: self.secret}
        return self.secret

    def save(self, progress: Progress) -> bool:
        """Save the answers so far; False if they vanished (already sent)."""
        return responding.save_progress(db.session, self.link, self.key(), progress,
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


# -- open-link defences ------------------------------------------------------
# Rate limits per client (survey/clients.py: a keyed hash, never the address),
# one finished response per browser, a single-use start time bound to the
# browser's session, and a honeypot field. Personal links need none of them:
# each one is answered once.


def _open_link() -> bool:
    return (request.view_args or {}).get("kind") == "o"


def _is_open_submit() -> bool:
    """A tap on "send" of an open questionnaire. Every such tap counts
    against the limit when it arrives (one atomic step in Redis), so
    concurrent sends from one client cannot slip past it together."""
    return _open_link() and request.method == "POST" and request.form.get("action") == "submit"


def _answered_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="answered")


def _answered() -> dict[str, str]:
    """``"campaign:unit"`` -> the campaign's closing date, from the cookie."""
    try:
        value = _answered_serializer().loads(request.cookies.get(ANSWERED_COOKIE, ""))
    except BadSignature:
        return {}
    return value if isinstance(value, dict) else {}


def _answered_key(link) -> str:
    return f"{link.campaign.id}:{link.unit.id}"


def _answered_here(respondent: _Respondent) -> bool:
    return (respondent.kind == "o" and current_app.config["OPEN_LINK_ONCE_PER_BROWSER"]
            and _answered_key(respondent.link) in _answered())


def _refuse_second_answer(respondent: _Respondent):
    """The honest page for a browser that has already sent its answers for
    this office in this campaign."""
    return render_template("respond/answered_here.html", link=respondent.link,
                           code=respondent.code), 409


def _remember_answered(response, link) -> None:
    """Add this campaign and office to the browser's signed cookie, kept
    until the last campaign in it closes (then it has no use)."""
    today = _today()
    kept = {key: closes for key, closes in _answered().items()
            if isinstance(closes, str) and closes >= today.isoformat()}
    kept[_answered_key(link)] = link.campaign.closes_on.isoformat()
    last = max(date.fromisoformat(closes) for closes in kept.values())
    response.set_cookie(ANSWERED_COOKIE, _answered_serializer().dumps(kept),
                        max_age=((last - today).days + 1) * 86400, samesite="Lax",
                        secure=current_app.config["SESSION_COOKIE_SECURE"], httponly=True)


def _first_view_stamp() -> str:
    """A signed first-view time whose random nonce is also kept in this
    browser's session: the stamp starts a questionnaire in this browser
    only, and once (:func:`_started_from`)."""
    nonce = secrets.token_urlsafe(16)
    session["first_view"] = nonce
    return _started_serializer().dumps({"t": clock.timestamp(), "n": nonce})


def _started_from(stamp: str) -> float:
    """When answering began: the stamp's time if the stamp is genuine,
    recent, made for this browser's session and not used before; else now.
    A forged or replayed stamp is refused, so it cannot lengthen a duration
    (screening sets aside answers given too fast)."""
    now = clock.timestamp()
    nonce = session.pop("first_view", None)
    try:
        value = _started_serializer().loads(stamp, max_age=STARTED_MAX_AGE)
        started, stamped_nonce = float(value["t"]), value["n"]
    except (BadSignature, TypeError, ValueError, KeyError):
        return now
    if not nonce or stamped_nonce != nonce:
        return now
    expires_on = _today() + timedelta(days=STARTED_MAX_AGE // 86400 + 1)
    if not responding.claim_start(db.session, nonce, expires_on=expires_on):
        return now
    return min(started, now)


@bp.errorhandler(LinkProblem)
def link_problem(problem: LinkProblem):
    if problem.reason == "used" and request.method == "POST":
        # A second tap on "send" (or a retry) after the first one went
        # through: reassure, do not alarm with "was it you?".
        return _already_sent()
    return render_template("respond/link_problem.html", problem=problem), problem.status


@bp.errorhandler(429)
def too_many(_error):
    return render_template("respond/too_many.html"), 429


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
    if _answered_here(respondent):
        return _refuse_second_answer(respondent)
    progress = respondent.progress
    resume_at = (first_open_page(respondent.link.pages, progress.done, progress.answers)
                 if progress else None)
    started = None if resume_at else _first_view_stamp()
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
@limiter.limit(lambda: current_app.config["OPEN_LINK_START_LIMIT"],
               exempt_when=lambda: not _open_link())
def start(kind: str, code: str):
    respondent = _resolve(kind, code)
    if _answered_here(respondent):
        return _refuse_second_answer(respondent)
    progress = respondent.progress
    if progress is None:
        started = _started_from(request.form.get("started", ""))
        if respondent.kind == "o":
            respondent.new_open_secret()
        progress = Progress(started=started)
        respondent.save(progress)
    page = first_open_page(respondent.link.pages, progress.done, progress.answers)
    return redirect(respondent.url("page", number=page), code=303)


def _may_open(pages, progress: Progress, number: int) -> tuple[bool, int]:
    """Whether page ``number`` applies and has been reached, and the page
    the respondent should be on."""
    visible = applicable_pages(pages, progress.answers)
    numbers = [p.number for p in visible]
    reachable = first_open_of(visible, progress.done)
    return (number in numbers and (number <= reachable or number in progress.done)), reachable


@bp.route("/<any(r, o):kind>/<code>/<int:number>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["OPEN_LINK_SUBMIT_LIMIT"],
               exempt_when=lambda: not _is_open_submit())
def page(kind: str, code: str, number: int):
    respondent = _resolve(kind, code)
    link = respondent.link
    if _answered_here(respondent):
        # A second tap on "send" that arrives after the first one's answer is
        # reassured; anything else is the honest refusal.
        return _already_sent() if request.method == "POST" else _refuse_second_answer(respondent)
    if respondent.kind == "o" and request.method == "POST" and request.form.get(HONEYPOT):
        # Filled by a program, not a person: drop the answers, say thank you.
        if respondent.secret:
            responding.discard_progress(db.session, respondent.key())
        respondent.forget_open_secret()
        return redirect(_finished_url(respondent), code=303)
    progress = respondent.progress
    if progress is None:
        if request.method == "POST" and (
                (respondent.kind == "o" and respondent.secret)
                or responding.answered(db.session, link)):
            # The saved answers are gone: this browser already submitted them
            # (a double tap whose first tap went through after this one
            # found the link unused), or they expired.
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
    db.session.close()   # sending is atomic: a transaction of its own
    try:
        outcome = responding.submit(db.session, link, respondent.key(), progress,
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
    response = redirect(_finished_url(respondent), code=303)
    if respondent.kind == "o":
        _remember_answered(response, link)
    return response


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
    progress = respondent.progress
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


#: Question blocks as a person first sees them (nothing chosen, no error),
#: by question, language and whether a script shows them: the same HTML for
#: everyone, so rendered once per process, not on every page. An entry keeps
#: its question (so the id is not reused while it lives) and the template
#: module it came from (a reloaded or another app's template renders anew).
_FRESH_BLOCKS: dict[tuple[int, str, bool], tuple[object, object, Markup]] = {}
_FRESH_BLOCKS_MAX = 4096


def _question_block(module, question, value: str, error: str | None,
                    conditional: bool) -> Markup:
    """One question's block: the ``question_block`` macro of ``module``
    (respond/_questions.html, which needs only globals)."""
    if value or error:
        return module.question_block(question, value, error, conditional)
    key = (id(question), current_language(), bool(conditional))
    found = _FRESH_BLOCKS.get(key)
    if found is None or found[0] is not question or found[1] is not module:
        if len(_FRESH_BLOCKS) >= _FRESH_BLOCKS_MAX:
            _FRESH_BLOCKS.clear()   # instruments replaced many times over: start again
        found = _FRESH_BLOCKS[key] = (
            question, module, module.question_block(question, value, error, conditional))
    return found[2]


def _render_page(respondent: _Respondent, current, progress: Progress, *, errors, submitted=None):
    answers = progress.answers
    numbers = [p.number for p in expected_pages(respondent.link.pages, answers, progress.done)]
    last = numbers.index(current.number) + 1 == len(numbers)
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
        report_note=(respondent.kind == "o" and _report_note(current, respondent.link.pages)),
        unanswered=_unanswered(respondent.link.pages, answers, numbers, current) if last else [],
        question_block=partial(
            _question_block, current_app.jinja_env.get_template("respond/_questions.html").module),
    )


def _finished_url(respondent: _Respondent) -> str:
    # Citizens (open links) are offered the report page; staff are not.
    if respondent.kind == "o":
        session["citizen_finished"] = respondent.code   # offers /lapor for this office
    return url_for("respond.finished")


def _unanswered(pages, answers, numbers, current) -> list[tuple[int, int, object]]:
    """For the last step: the other pages with a question shown but not
    answered, as (position in the progress line, how many, page)."""
    found = []
    for page in applicable_pages(pages, answers):
        if page is current or page.number not in numbers:
            continue
        missing = sum(1 for q in page.questions if is_shown(q, answers) and not answers.get(q.id))
        if missing:
            found.append((numbers.index(page.number) + 1, missing, page))
    return found


@bp.get("/selesai")
def finished():
    return render_template("respond/finished.html",
                           citizen=session.pop("citizen_finished", False))


#: The questions about bribes are those of this dimension (integrity in
#: doing the job) and the follow-ups that depend on them.
BRIBE_DIMENSION = "integritas_tugas"


def _report_note(current, pages) -> bool:
    """Whether a citizen's page ends with the link to the report page: the
    last page of the bribe questions, and the last page of their follow-ups."""
    bribe_ids = {q.id for p in pages if p.key == BRIBE_DIMENSION for q in p.questions}
    follow_ups = [p for p in pages if any(
        q.show_if is not None and q.show_if.question in bribe_ids and p.key != BRIBE_DIMENSION
        for q in p.questions)]
    if current.key == BRIBE_DIMENSION and current.part == current.parts:
        return True
    return bool(follow_ups) and current is follow_ups[-1]


def report_url(code: str | None = None) -> str:
    """The citizens' report page (/lapor); with an open link's ``code``, it
    opens with that link's office and campaign chosen (the citizen came from
    that office's poster)."""
    chosen = isinstance(code, str) and _LINK_CODE.fullmatch(code)
    return url_for("respond.report_form", **({"o": code} if chosen else {}))


bp.add_app_template_global(report_url)


@bp.get("/healthz")
def health():
    db.session.execute(select(1))
    response = make_response("ok\n")
    response.mimetype = "text/plain"
    return response
