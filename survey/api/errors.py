"""JSON errors of the API, one shape for every failure::

    {"error": {"status": 404, "code": "not_found", "message": "...",
               "parameter": "page"}}

``status`` repeats the HTTP status, ``code`` is stable and meant for
programs, ``message`` for people (English), ``parameter`` (only when a
query parameter is wrong) names it.
"""

from __future__ import annotations

from flask import Response, jsonify
from werkzeug.exceptions import HTTPException, MethodNotAllowed

CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
         405: "method_not_allowed", 413: "too_large", 429: "rate_limited",
         500: "server_error"}

MESSAGES = {
    401: "send a personal API token: Authorization: Bearer <token>",
    403: "your role may not use this endpoint",
    404: "not found (or not within your scope)",
    405: "this endpoint only answers GET",
    429: "too many requests with this token; slow down and try again",
    500: "the server failed; the error is logged",
}


class ApiError(Exception):
    """An error the API answers with, carrying its stable code."""

    def __init__(self, status: int, code: str, message: str, *, parameter: str | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.parameter = status, code, message, parameter


def problem(status: int, code: str | None = None, message: str | None = None, *,
            parameter: str | None = None) -> Response:
    body = {"status": status, "code": code or CODES.get(status, "error"),
            "message": message or MESSAGES.get(status, "request refused")}
    if parameter is not None:
        body["parameter"] = parameter
    response = jsonify({"error": body})
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def from_api_error(error: ApiError) -> Response:
    return problem(error.status, error.code, error.message, parameter=error.parameter)


def from_http(error: HTTPException) -> Response:
    status = error.code or 500
    response = problem(status)
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    if status == 429 and error.response is not None:  # Flask-Limiter's Retry-After
        for name in ("Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining",
                     "X-RateLimit-Reset"):
            if name in error.response.headers:
                response.headers[name] = error.response.headers[name]
    return response


def is_api_request(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")
