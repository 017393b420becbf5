"""REST API blueprint (/api/v1): JSON for programs, with personal tokens.

A request carries ``Authorization: Bearer <token>`` (a personal API token,
:mod:`survey.services.api_tokens`); the token acts as its owner, so the
staff pages' access rules apply unchanged: every view declares its rule
with :func:`survey.admin.access.allow`, the guard refuses the rest, and
objects are scoped with ``campaign_or_404`` / ``unit_or_404``. A session
cookie never authenticates here (the API is CSRF-exempt for that reason).

Requests are rate limited per token (``API_RATE_LIMIT``). Errors are JSON
of one shape (:mod:`survey.api.errors`). The contract is the OpenAPI 3.1
document at ``/api/v1/openapi.json`` (:mod:`survey.api.openapi`), read by
people at ``/static/api/index.html``.
"""

from __future__ import annotations

from flask import Blueprint, current_app, g, request
from flask_login import AnonymousUserMixin
from werkzeug.exceptions import HTTPException

from survey.admin import access
from survey.clients import client_key
from survey.extensions import csrf, db, limiter
from survey.services import api_tokens
from survey.services.tokens import token_hash

from .errors import ApiError, from_api_error, from_http, problem

bp = Blueprint("api", __name__)
csrf.exempt(bp)


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _rate_key() -> str:
    """Per token (its digest, never the token), else per client."""
    token = bearer_token()
    if token:
        return "api-token:" + token_hash(token)[:32]
    return "api-client:" + client_key()


limiter.limit(lambda: current_app.config["API_RATE_LIMIT"], key_func=_rate_key)(bp)


@bp.before_request
def _guard():
    token = bearer_token()
    user = api_tokens.authenticate(db.session, token) if token else None
    g.api_token_given = token is not None
    # Flask-Login's current_user reads g._login_user: set it here so the
    # session cookie is never consulted and access.* see the token's owner.
    g._login_user = user if user is not None else AnonymousUserMixin()
    return access.enforce(_unauthenticated)


def _unauthenticated():
    if g.get("api_token_given"):
        return problem(401, "invalid_token",
                       "the token is unknown, revoked, or no longer matches its owner's "
                       "role or office; create a new one in the staff pages")
    return problem(401, "missing_token")


@bp.errorhandler(ApiError)
def _api_error(error: ApiError):
    return from_api_error(error)


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    return from_http(error)


@bp.after_request
def _no_store(response):
    response.headers.setdefault("Cache-Control", "no-store")
    return response


from . import views  # noqa: E402,F401  (registers the routes)
