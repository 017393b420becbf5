"""Wiring of the web layer: extensions, blueprints, error pages, security
headers and log redaction. Called once by :func:`survey.create_app`."""

from __future__ import annotations

import logging

import flask_login
from flask import Flask, abort, current_app, render_template, request
from flask.globals import request_ctx
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError
from itsdangerous import URLSafeTimedSerializer
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from . import assets
from .api import errors as api_errors
from .extensions import babel, csrf, db, limiter, login_manager
from .i18n import (
    LANGUAGE_NAMES,
    column_name,
    current_language,
    install_template_gettext,
    invitation_state,
    localized,
    problem_text,
    report_category_name,
    report_status_name,
    role_name,
    select_locale,
    status_name,
    template_error_text,
    verdict_text,
)
from .logs import guard_handlers, redact

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    logging.basicConfig(
        level=app.config["LOG_LEVEL"], format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # Alembic narrates every plugin it loads at INFO; only its problems matter.
    logging.getLogger("alembic").setLevel(
        max(logging.WARNING, logging.getLevelName(app.config["LOG_LEVEL"]))
    )
    guard_handlers()   # no token, token hash or answer in any log line

    if app.config["PROXY_COUNT"]:
        n = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)

    app.session_interface = _SessionCookies()
    db.init_app(app)
    # Before CSRF and the NUL-byte check, which are the first to read a form.
    app.before_request(_upload_limit)
    csrf.init_app(app)
    _init_limiter(app)
    babel.init_app(app, locale_selector=select_locale)
    install_template_gettext(app)
    # Not Flask-Login's context processor, which loads the account for every
    # page rendered, a respondent's too, where no template asks for it: its
    # proxy, loaded where a template uses it.
    login_manager.init_app(app, add_context_processor=False)
    app.jinja_env.globals["current_user"] = flask_login.current_user

    from .admin import bp as admin_bp
    from .api import bp as api_bp
    from .respond import bp as respond_bp

    app.register_blueprint(respond_bp)
    app.register_blueprint(admin_bp, url_prefix="/staff")
    app.register_blueprint(api_bp, url_prefix="/api/v1")

    app.jinja_env.globals.update(
        localized=localized,
        current_language=current_language,
        LANGUAGE_NAMES=LANGUAGE_NAMES,
        role_name=role_name,
        status_name=status_name,
        problem_text=problem_text,
        report_category_name=report_category_name,
        report_status_name=report_status_name,
        verdict_text=verdict_text,
        invitation_state=invitation_state,
        column_name=column_name,
        template_error_text=template_error_text,
        public_base_url=public_base_url,
    )
    app.before_request(_refuse_nul_bytes)
    if app.config["JOB_RUNNER"] == "thread":
        from .worker import start_thread

        start_thread(app)
    app.after_request(_security_headers)
    _register_error_pages(app)
    # Respondents are on slow prepaid connections: compressed pages, static
    # files cached for a year under names carrying their digest.
    assets.init_app(app)


class _SessionCookies(SecureCookieSessionInterface):
    """Flask's signed session cookie, whose serializer is made once per
    secret key rather than on every request that reads or writes a session
    (every respondent's page does; it holds the CSRF token)."""

    def __init__(self) -> None:
        self._made: tuple[tuple, URLSafeTimedSerializer | None] | None = None

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        made = self._made
        if made is None or made[0] != keys:
            made = self._made = (keys, super().get_signing_serializer(app))
        return made[1]


def _init_limiter(app: Flask) -> None:
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"] or "memory://")
    app.config.setdefault("RATELIMIT_ENABLED", app.config["RATE_LIMITS"])
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "survey")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    # If Redis is unreachable, count in memory rather than refuse respondents.
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    limiter.init_app(app)


def upload_limit(max_bytes: int):
    """A view that accepts a larger request than ``MAX_CONTENT_LENGTH`` (a
    photo): the limit is set before anything reads the form."""
    def decorate(view):
        view.max_content_length = max_bytes
        return view

    return decorate


def _upload_limit():
    view = current_app.view_functions.get(request.endpoint or "")
    limit = getattr(view, "max_content_length", None)
    if limit is not None:
        request.max_content_length = limit


def _refuse_nul_bytes():
    # No honest request holds a NUL byte; PostgreSQL refuses them in text
    # (a 500 otherwise), and they have no place in an answer or a name.
    if "\x00" in request.path or any(
            "\x00" in key or "\x00" in value
            for source in (request.args, request.form) for key, value in source.items(multi=True)):
        abort(400)


PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in (
    "accelerometer", "camera", "geolocation", "gyroscope", "magnetometer", "microphone",
    "payment", "usb"))


def _security_headers(response):
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    # Tokens live in URLs: never send the URL to another site. (Not
    # "no-referrer": over HTTPS, Flask-WTF refuses a POST without a same-origin
    # Referer, so every answer would be rejected.)
    headers.setdefault("Referrer-Policy", "same-origin")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    # The respondent pages' own stylesheet and script are inlined (one
    # request instead of three on a slow link); their digests allow exactly
    # that text, never other inline code.
    app = current_app._get_current_object()
    headers.setdefault(
        "Content-Security-Policy",
        f"default-src 'self'; img-src 'self' data:; "
        f"style-src 'self' {assets.csp_hash(app, 'css/app.css')}; "
        f"script-src 'self' {assets.csp_hash(app, 'js/questionnaire.js')}; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    )
    # No page here needs a sensor, the camera or payments: refuse them to
    # any script, ours included (photos are picked with a file input).
    headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    if response.mimetype == "text/html":
        # A shared or borrowed phone must not show someone's answers from cache.
        headers.setdefault("Cache-Control", "no-store")
    return response


def public_base_url() -> str:
    """The platform's address for absolute URLs in pages (the preview
    card's image): ``PUBLIC_BASE_URL``, or the request's own address when
    ``TRUSTED_HOSTS`` vetted its Host header; else empty (a page never
    repeats a Host header nobody vetted)."""
    base = current_app.config["PUBLIC_BASE_URL"]
    if not base and current_app.config["TRUSTED_HOSTS"]:
        base = request.host_url
    return base.rstrip("/")


def _register_error_pages(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_template("errors/csrf.html", reason=error.description), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        if request_ctx.url_adapter is None:
            # The Host header was refused (not in TRUSTED_HOSTS, or not a host
            # name at all): no URL can be built, so no page; a line of text.
            return f"{error.code} {error.name}\n", error.code, {
                "Content-Type": "text/plain; charset=utf-8"}
        if api_errors.is_api_request(request.path):  # unknown API paths, wrong methods
            return api_errors.from_http(error)
        template = {404: "errors/404.html", 410: "errors/410.html"}.get(
            error.code, "errors/http.html"
        )
        return render_template(template, error=error), error.code

    @app.errorhandler(Exception)
    def server_error(error: Exception):
        # The request's transaction may be half done: undo it before anything
        # else touches the session.
        db.session.rollback()
        log.exception("unhandled error on %s %s", request.method, redact(request.path))
        if api_errors.is_api_request(request.path):
            return api_errors.problem(500)
        return render_template("errors/500.html"), 500
