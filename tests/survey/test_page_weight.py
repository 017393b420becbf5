"""The questionnaire stays light: at most 60 KB transferred per page, no CDN,
no web font (issue 3, item 6).

The measurement is the one of ``benchmarks/page_weight.py`` (imported, not
rewritten): the HTML plus every stylesheet, script, image and icon it makes a
browser fetch, with the response headers, uncompressed. It is deterministic
(byte counts, not timings).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BENCHMARK = REPO / "benchmarks" / "page_weight.py"


def _load_benchmark():
    spec = importlib.util.spec_from_file_location("page_weight", BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("page_weight", module)
    spec.loader.exec_module(module)
    return module


page_weight = _load_benchmark()
LIMIT = 61_440


@pytest.fixture
def weights(app):
    """Every respondent page of every group, measured on the suite's database."""
    return page_weight.measure_all(app)


def test_a_page_one_byte_over_sixty_kilobytes_fails_the_benchmark():
    def page(html: int, css: int) -> page_weight.Weight:
        return page_weight.Weight("internal", "1 profile", "first", "/r/x/1", html=html,
                                  assets={"/static/css/app.css": css}, headers=400)

    at_limit, over = page(LIMIT - 10_400, 10_000), page(LIMIT - 10_399, 10_000)
    assert at_limit.raw == LIMIT and at_limit.passes
    assert over.raw == LIMIT + 1 and not over.passes
    assert not page_weight.Weight("internal", "intro", "first", "/r/x", html=100,
                                  problems=["a font file"]).passes


def test_first_question_page_weighs_at_most_60_kb_uncompressed(weights):
    first = page_weight.first_question_page(weights)
    assert first.url.endswith("/1") and first.assets, first
    # The stylesheet and the script come inside the page (issue 12): counted in its HTML.
    own = sum((REPO / "static" / f).stat().st_size for f in ("css/app.css", "js/questionnaire.js"))
    assert first.html > own
    assert first.raw <= LIMIT, page_weight.report(weights)


def test_heaviest_page_weighs_at_most_60_kb_uncompressed(weights):
    heaviest = page_weight.heaviest_page(weights)
    assert all(w.raw <= heaviest.raw for w in weights if w.label != "intro")
    assert heaviest.raw <= LIMIT, page_weight.report(weights)


def test_every_group_has_its_pages_measured(weights):
    groups = {(w.group, w.visit) for w in weights if w.label != "intro"}
    assert groups == {
        (g, v) for g in ("internal", "external", "expert") for v in ("first", "answered")
    }
    assert sum(1 for w in weights if w.label == "intro") == 3


def test_no_page_references_another_origin_or_a_font(weights):
    assert [p for w in weights for p in w.problems] == []


@pytest.mark.parametrize(
    ("html", "css", "expected"),
    [
        ('<link rel="stylesheet" href="https://cdn.example/x.css">', "", "another origin"),
        ('<script src="//cdn.example/x.js"></script>', "", "another origin"),
        ('<link rel="preload" href="/static/f.woff2" as="font">', "", "font file"),
        (
            '<img src="/static/a.png" style="background:url(https://x.example/b.png)">',
            "",
            "another origin",
        ),
        ("", "@font-face { font-family: X; src: url(/static/x.ttf); }", "@font-face"),
    ],
)
def test_remote_and_font_references_are_detected(html, css, expected):
    urls, inline = page_weight.references(html)
    found = [u for _kind, u in urls] + [
        u for text in inline + [css] for u in page_weight.css_references(text)
    ]
    problems = page_weight.remote_or_font_problems("/r/x/1", found, inline + [css])
    assert any(expected in p for p in problems), problems
