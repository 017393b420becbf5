"""Compression and caching (issue 12, build 5): pages compressed when the
client accepts it, static files cached for a year under names carrying a
digest of their content, the respondent pages' stylesheet and script inlined
under a Content-Security-Policy that allows exactly their text."""

from __future__ import annotations

import base64
import gzip
import hashlib
import re
from pathlib import Path

import brotli
import pytest
from support import Browser

from survey.assets import INLINED

REPO = Path(__file__).resolve().parents[2]
STATIC = REPO / "static"


@pytest.fixture
def personal(client, factory):
    invitation, token = factory.invitation(factory.campaign())
    return Browser(client, f"/r/{token}")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:10]


def test_html_is_compressed_with_gzip_when_accepted(personal):
    plain = personal.client.get(personal.base)
    packed = personal.client.get(personal.base, headers={"Accept-Encoding": "gzip"})
    assert plain.headers.get("Content-Encoding") is None
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    body = gzip.decompress(packed.get_data())
    assert b"<h1>" in body and len(packed.get_data()) < len(body) / 2
    # still a page nobody's browser keeps
    assert packed.headers["Cache-Control"] == "no-store"


def test_html_is_compressed_with_brotli_when_accepted(personal):
    packed = personal.client.get(personal.base, headers={"Accept-Encoding": "gzip, br"})
    assert packed.headers["Content-Encoding"] == "br"
    assert b"<h1>" in brotli.decompress(packed.get_data())


def test_static_urls_carry_the_digest_of_the_file(app):
    with app.test_request_context():
        from flask import url_for

        url = url_for("static", filename="css/app.css")
        image = url_for("static", filename="img/og-card.png")
    assert url == f"/static/css/app.{_digest(STATIC / 'css' / 'app.css')}.css"
    assert image == f"/static/img/og-card.{_digest(STATIC / 'img' / 'og-card.png')}.png"


def test_a_digest_name_is_cached_for_a_year_and_immutable(client, app):
    digest = _digest(STATIC / "css" / "app.css")
    with client.get(f"/static/css/app.{digest}.css") as response:
        assert response.status_code == 200
        assert response.get_data() == (STATIC / "css" / "app.css").read_bytes()
        cache = response.headers["Cache-Control"]
    assert "max-age=31536000" in cache and "immutable" in cache and "public" in cache


@pytest.mark.parametrize("name", ["css/app.css", "css/app.0123456789.css"])
def test_a_plain_or_outdated_name_still_works_but_is_revalidated(client, name):
    with client.get(f"/static/{name}") as response:
        assert response.status_code == 200
        assert response.get_data() == (STATIC / "css" / "app.css").read_bytes()
        cache = response.headers["Cache-Control"]
    assert "no-cache" in cache and "immutable" not in cache and "max-age=31536000" not in cache


def test_static_text_files_are_compressed_too(client):
    digest = _digest(STATIC / "css" / "app.css")
    with client.get(f"/static/css/app.{digest}.css",
                    headers={"Accept-Encoding": "br"}) as response:
        assert response.headers["Content-Encoding"] == "br"
        assert brotli.decompress(response.get_data()) == (
            STATIC / "css" / "app.css").read_bytes()


def test_unknown_static_file_is_404(client):
    with client.get("/static/css/nothing.0123456789.css") as response:
        assert response.status_code == 404


def _csp_hash(path: Path) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(path.read_bytes()).digest()).decode() + "'"


def test_respondent_pages_inline_their_stylesheet_and_script_allowed_by_digest(personal):
    personal.start()
    response = personal.get("/1")
    page = response.get_data(as_text=True)
    css = (STATIC / "css" / "app.css").read_text()
    script = (STATIC / "js" / "questionnaire.js").read_text()
    assert f"<style>{css}</style>" in page
    assert f"<script>{script}</script>" in page
    assert 'rel="stylesheet"' not in page and "<script src" not in page
    policy = response.headers["Content-Security-Policy"]
    style_src = re.search(r"style-src ([^;]+);", policy).group(1).split()
    script_src = re.search(r"script-src ([^;]+);", policy).group(1).split()
    assert style_src == ["'self'", _csp_hash(STATIC / "css" / "app.css")]
    assert script_src == ["'self'", _csp_hash(STATIC / "js" / "questionnaire.js")]
    assert "'unsafe-inline'" not in policy


def test_staff_pages_link_the_cached_stylesheet(client):
    page = client.get("/staff/login").get_data(as_text=True)
    assert re.search(r'<link rel="stylesheet" href="/static/css/app\.[0-9a-f]{10}\.css">', page)
    assert "<style>" not in page


def test_only_our_own_files_are_inlined(app):
    from survey.assets import inline

    with app.test_request_context(), pytest.raises(ValueError, match="not one of"):
        inline("vendor/plotly-basic.min.js")


def test_the_inlined_files_are_plain_ascii():
    """They are in every respondent page. One character outside ASCII (a
    "≥" in a comment did it) makes Python keep the whole page at two bytes
    per character and encode it character by character: 2.5% of a page's CPU
    (benchmarks/load.py)."""
    for name in INLINED:
        text = (STATIC / name).read_text(encoding="utf-8")
        outside = sorted({ch for ch in text if not ch.isascii()})
        assert not outside, f"{name} has {outside}: write them as escapes or in words"
