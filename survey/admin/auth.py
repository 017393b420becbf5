"""Staff sign-in and sign-out, failed-sign-in limits, idle sessions."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable

from flask import current_app, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter, RateLimiter

from survey import clock
from survey.clients import client_key
from survey.extensions import db, limiter, login_manager
from survey.forms.staff import LoginForm
from survey.models import StaffUser
from survey.services import staff

from . import bp
from .access import public, signed_in

log = logging.getLogger(__name__)

login_manager.login_view = "admin.login"
login_manager.login_message = None

#: Failed sign-ins allowed from one client (whatever the account), and for one
#: account from one client, in a moving window. Counted in the rate-limit
#: storage (Redis when REDIS_URL is set), so every app process shares them.
#: The account itself is never locked: its owner signs in from their own
#: device whatever others try.
CLIENT_FAILURES = parse("30 per 15 minutes")
ACCOUNT_FAILURES = parse("5 per 15 minutes")
#: Counts in this process when the shared storage is unreachable.
_FALLBACK = MovingWindowRateLimiter(MemoryStorage())


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


def _failure_counters(email: str) -> list[tuple]:
    prefix, client = current_app.config.get("RATELIMIT_KEY_PREFIX", "survey"), client_key()
    account = hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()[:32]
    return [(CLIENT_FAILURES, (prefix, "signin-failed", client)),
            (ACCOUNT_FAILURES, (prefix, "signin-failed", client, account))]


def _with_storage(use: Callable[[RateLimiter], bool]) -> bool:
    try:
        return use(limiter.limiter)
    except Exception as exc:  # Redis away: count in memory, never refuse everyone
        log.warning("rate-limit storage unavailable (%s); counting in memory",
                    type(exc).__name__)
        return use(_FALLBACK)


def too_many_failures(email: str) -> bool:
    """Whether this client has failed too often, in all or for this account."""
    if not limiter.enabled:
        return False
    return not all(_with_storage(lambda s, item=item, keys=keys: s.test(item, *keys))
                   for item, keys in _failure_counters(email))


def count_failure(email: str) -> None:
    if limiter.enabled:
        for item, keys in _failure_counters(email):
            _with_storage(lambda s, item=item, keys=keys: s.hit(item, *keys))


#: Where the session keeps the time of the staff member's last request.
LAST_SEEN = "staff_seen"


def end_idle_session() -> None:
    """Sign out a staff session idle for longer than ``STAFF_IDLE_MINUTES``
    (the time of the last request is kept in the signed session cookie, so
    a copied cookie dies with it); otherwise note this request's time."""
    if not current_user.is_authenticated:
        return
    now = clock.timestamp()
    seen = session.get(LAST_SEEN)
    if not isinstance(seen, (int, float)) or (
            now - seen > current_app.config["STAFF_IDLE_MINUTES"] * 60):
        logout_user()
        session.pop(LAST_SEEN, None)
        flash(_("You were signed out after a while without activity. Please sign in again."),
              "info")
        return
    session[LAST_SEEN] = now


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    form = LoginForm()
    if form.validate_on_submit():
        if too_many_failures(form.email.data):
            # Refused before the password is even checked.
            flash(_("Too many failed attempts from this device. Please try again in "
                    "15 minutes."), "error")
            return render_template("admin/login.html", form=form), 429
        user = staff.authenticate(db.session, form.email.data, form.password.data)
        if user is None:
            count_failure(form.email.data)
        else:
            login_user(user)
            session[LAST_SEEN] = clock.timestamp()
            return redirect(url_for("admin.overview"), code=303)
        flash(_("Email or password is not correct."), "error")
    return render_template("admin/login.html", form=form)


@bp.post("/logout")
@signed_in
def logout():
    # Every session of the account ends on the server, also a copy of this
    # cookie (or one on another device).
    staff.end_sessions(db.session, current_user)
    db.session.commit()
    logout_user()
    session.pop(LAST_SEEN, None)
    return redirect(url_for("admin.login"), code=303)
