"""Static files for slow prepaid connections: compressed, cached for a year
under names that carry a digest of their content, and the respondent pages'
own stylesheet and script inlined.

- ``url_for('static', filename='css/app.css')`` gives
  ``/static/css/app.<digest>.css``; a request for that name is answered with
  ``Cache-Control: public, max-age=31536000, immutable``, so a browser never
  asks again, and a new version of the file has a new name. A request for
  the plain name (or an outdated digest) still gets the current file, with
  ``no-cache``.
- HTML, CSS, JavaScript and SVG are compressed (zstd, Brotli or gzip,
  whichever the client accepts) by Flask-Compress, on the development server
  and the embedded default as behind gunicorn.
- :func:`inline` puts a file's text into the page (the respondent pages'
  stylesheet and script: on a 400 ms link each extra request costs more than
  the 3 KB they weigh compressed); :func:`csp_hash` gives their SHA-256
  digests for the Content-Security-Policy, which allows exactly those texts
  and no other inline code.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from functools import lru_cache

from flask import Flask, current_app
from flask_compress import Compress
from markupsafe import Markup

YEAR = 365 * 86400
DIGEST_LENGTH = 10
#: name.<10 hex digits>.ext, as url_for writes it
_HASHED = re.compile(r"^(?P<stem>.+)\.(?P<digest>[0-9a-f]{10})(?P<ext>\.[A-Za-z0-9]+)$")
#: files inlined into pages; the CSP allows their exact text
INLINED = ("css/app.css", "js/questionnaire.js")

compress = Compress()


def init_app(app: Flask) -> None:
    # Not application/json: the REST API's clients are servers on good links,
    # and its contract tests read bodies as sent.
    app.config.setdefault("COMPRESS_MIMETYPES", [
        "text/html", "text/css", "text/javascript", "application/javascript",
        "image/svg+xml", "text/plain",
    ])
    # Respondents' phones accept gzip at least; the order is the server's preference.
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    compress.init_app(app)
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = YEAR
    app.view_functions["static"] = _static_view(app)
    app.jinja_env.globals["inline"] = inline

    @app.url_defaults
    def _hashed_static_name(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "filename" in values:
            values["filename"] = hashed_name(app, values["filename"])


def hashed_name(app: Flask, filename: str) -> str:
    """``css/app.css`` -> ``css/app.<digest of its content>.css``."""
    digest = file_digest(os.path.join(app.static_folder, filename))
    if digest is None:
        return filename
    stem, dot, ext = filename.rpartition(".")
    if not dot or "/" in ext:
        return f"{filename}.{digest}"
    return f"{stem}.{digest}.{ext}"


def _static_view(app: Flask):
    def static(filename: str):
        plain, digest = _unhash(filename)
        response = app.send_static_file(plain)
        # Read the file now (and close it): Flask-Compress then compresses
        # the whole body, instead of wrapping the open file in a stream it
        # would never close.
        response.direct_passthrough = False
        response.make_sequence()
        current = file_digest(os.path.join(app.static_folder, plain))
        if digest is not None and digest == current:
            response.cache_control.public = True
            response.cache_control.max_age = YEAR
            response.cache_control.immutable = True
        else:
            # An unversioned (or outdated) name: the content may change.
            response.cache_control.max_age = None
            response.cache_control.public = False
            response.cache_control.no_cache = True
            response.expires = None
        return response

    return static


def _unhash(filename: str) -> tuple[str, str | None]:
    match = _HASHED.match(filename)
    if match:
        return match["stem"] + match["ext"], match["digest"]
    stem, dot, digest = filename.rpartition(".")
    if dot and re.fullmatch(r"[0-9a-f]{10}", digest):
        return stem, digest   # a file without an extension
    return filename, None


def file_digest(path: str) -> str | None:
    """The first 10 hex digits of the SHA-256 of the file, or None if absent."""
    try:
        return _read(path, os.stat(path).st_mtime_ns)[0]
    except OSError:
        return None


@lru_cache(maxsize=256)
def _read(path: str, _mtime_ns: int) -> tuple[str, str, bytes]:
    with open(path, "rb") as handle:
        data = handle.read()
    sha = hashlib.sha256(data)
    return sha.hexdigest()[:DIGEST_LENGTH], base64.b64encode(sha.digest()).decode(), data


def inline(filename: str) -> Markup:
    """The text of a static file, for a <style> or <script> element.

    Only files in :data:`INLINED` (our own, whose digests the CSP carries)."""
    if filename not in INLINED:
        raise ValueError(f"{filename} is not one of the inlined files")
    path = os.path.join(current_app.static_folder, filename)
    return _inline_text(path, os.stat(path).st_mtime_ns)


@lru_cache(maxsize=len(INLINED) * 4)
def _inline_text(path: str, mtime_ns: int) -> Markup:
    # Decoded once per version of the file, not on every page.
    return Markup(_read(path, mtime_ns)[2].decode("utf-8"))  # noqa: S704 - our own file, never user text


def csp_hash(app: Flask, filename: str) -> str:
    """The CSP source ('sha256-...') that allows the inlined file's text."""
    path = os.path.join(app.static_folder, filename)
    return f"'sha256-{_read(path, os.stat(path).st_mtime_ns)[1]}'"
