"""Page weight of the respondent pages: what a first visit downloads.

    .venv/bin/python benchmarks/page_weight.py

Builds the application on a temporary SQLite database with the default
instrument (``spi-standard``), one campaign for one office, a personal link
for the internal and the expert group and an open link (external group).
Then, with the Flask test client (no network), it walks each link like a
respondent: the intro page, Start, every question page in turn. Earlier
answers are chosen so that every ``show_if`` question appears (the heaviest
form of each page). Each question page is measured twice: on the first
visit (nothing answered on it yet) and on a return visit with every
question on it answered.

For each page it counts, as a first visit with an empty cache would fetch
them once:

- the HTML document;
- every same-origin resource the document makes the browser fetch:
  ``<link rel=stylesheet>``, ``<link rel=icon>`` (browsers fetch the
  favicon), ``<script src>``, ``<img src>`` and ``url()`` references in the
  stylesheets;
- the response headers the application sends with each of them (the status
  line and headers as the application sets them; a server or proxy adds a
  few more, e.g. ``Date`` and ``Server``, about 60 bytes per response).

Two totals are printed: **raw** (bodies as sent by the application to a
client that does not ask for compression; a phone's browser asks, and gets
Brotli or gzip: issue 12) and **gzip** (the bodies gzip-compressed at
level 6, what a compressing proxy would send; headers counted raw). The
acceptance (issue 3) is at most 60 KB = 61,440 bytes transferred; PASS/FAIL
is judged on the raw total, the larger of the two.

It also checks that no page references another origin (a CDN) or a web font,
and exits with status 1 on any FAIL or such reference.
"""

from __future__ import annotations

import gzip
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask import Flask  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

import analysis  # noqa: E402
from survey import clock, create_app  # noqa: E402
from survey.database import upgrade  # noqa: E402
from survey.extensions import db  # noqa: E402
from survey.models import (  # noqa: E402
    Campaign,
    CampaignStatus,
    Institution,
    OpenLink,
    Unit,
)
from survey.questionnaire import build_pages, is_shown  # noqa: E402
from survey.services import invitations, responding  # noqa: E402
from survey.services.instruments import default_instrument_text, register_instrument  # noqa: E402
from survey.services.tokens import new_code  # noqa: E402

LIMIT = 60 * 1024  # bytes: "at most 60 KB transferred" (issue 3, item 6)
GZIP_LEVEL = 6
GROUPS = ("internal", "external", "expert")
FONT_FILE = re.compile(r"\.(woff2?|ttf|otf|eot)([?#].*)?$", re.IGNORECASE)
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")\s]+)['"]?\s*\)""", re.IGNORECASE)
CSS_IMPORT = re.compile(r"""@import\s+(?:url\()?\s*['"]?([^'")\s;]+)""", re.IGNORECASE)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
STARTED = re.compile(r'name="started" value="([^"]+)"')
#: rel values of <link> that make a browser fetch the target on page load
FETCHED_RELS = {
    "stylesheet",
    "icon",
    "shortcut",
    "apple-touch-icon",
    "preload",
    "modulepreload",
    "manifest",
    "prefetch",
}


# -- what a page references -------------------------------------------------


class _References(HTMLParser):
    """Collects the URLs a document makes the browser fetch."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.urls: list[tuple[str, str]] = []  # (kind, url)
        self.inline_css: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        attr = {k: v or "" for k, v in attrs}
        if tag == "link" and FETCHED_RELS & set(attr.get("rel", "").lower().split()):
            self.urls.append(("link:" + attr.get("rel", "").lower(), attr.get("href", "")))
        elif tag in ("script", "img", "iframe", "embed", "audio", "video", "source", "track"):
            if attr.get("src"):
                self.urls.append((tag, attr["src"]))
            for candidate in attr.get("srcset", "").split(","):
                if candidate.strip():
                    self.urls.append((tag, candidate.split()[0]))
            if tag == "video" and attr.get("poster"):
                self.urls.append((tag, attr["poster"]))
        elif tag == "object" and attr.get("data"):
            self.urls.append((tag, attr["data"]))
        elif tag == "input" and attr.get("type", "").lower() == "image" and attr.get("src"):
            self.urls.append((tag, attr["src"]))
        if "style" in attr:
            self.inline_css.append(attr["style"])
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.inline_css.append(data)


def references(html: str) -> tuple[list[tuple[str, str]], list[str]]:
    """(kind, URL) of every resource the document loads, and its inline CSS."""
    parser = _References()
    parser.feed(html)
    parser.close()
    return parser.urls, parser.inline_css


def css_references(css: str) -> list[str]:
    """URLs a stylesheet loads (``url()`` and ``@import``)."""
    return CSS_URL.findall(css) + CSS_IMPORT.findall(css)


def remote_or_font_problems(page_url: str, urls: list[str], css: list[str]) -> list[str]:
    """Why the page breaks the "no CDN, no web font" rule; empty when it does not."""
    problems = []
    for url in urls:
        parts = urlsplit(urljoin("http://localhost" + page_url, url))
        if parts.netloc != "localhost" or url.startswith("//"):
            problems.append(f"{page_url}: loads {url} from another origin")
        if FONT_FILE.search(parts.path):
            problems.append(f"{page_url}: loads the font file {url}")
    for text in css:
        if "@font-face" in text.lower():
            problems.append(f"{page_url}: a stylesheet declares @font-face")
    return problems


# -- measuring --------------------------------------------------------------


def header_bytes(response) -> int:
    """Status line and headers as the application sends them."""
    lines = [f"HTTP/1.1 {response.status}"] + [f"{k}: {v}" for k, v in response.headers.items()]
    return sum(len(line.encode("latin-1")) + 2 for line in lines) + 2


def gzipped(body: bytes) -> int:
    return len(gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0))


@dataclass
class Weight:
    """One page as a first visit downloads it."""

    group: str
    label: str  # "intro", or "<n> <page key>"
    visit: str  # "first" or "answered"
    url: str
    html: int = 0
    html_gzip: int = 0
    assets: dict[str, int] = field(default_factory=dict)  # path -> raw bytes
    assets_gzip: int = 0
    headers: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def raw(self) -> int:
        return self.html + sum(self.assets.values()) + self.headers

    @property
    def compressed(self) -> int:
        return self.html_gzip + self.assets_gzip + self.headers

    @property
    def passes(self) -> bool:
        return self.raw <= LIMIT and not self.problems


def measure(client, url: str, *, group: str, label: str, visit: str) -> tuple[Weight, str]:
    """Fetch ``url`` and everything it references; returns the weight and the HTML."""
    response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}, not 200")
    body = response.get_data()
    html = body.decode("utf-8")
    weight = Weight(
        group,
        label,
        visit,
        url,
        html=len(body),
        html_gzip=gzipped(body),
        headers=header_bytes(response),
    )
    if response.headers.get("Content-Encoding"):
        weight.problems.append(f"{url}: unexpected Content-Encoding, the raw count is wrong")
    found, css = references(html)
    urls = [u for _kind, u in found]
    pending = list(urls)
    seen: set[str] = set()
    while pending:  # stylesheets may reference more
        url_ref = pending.pop(0)
        parts = urlsplit(urljoin("http://localhost" + url, url_ref))
        if parts.netloc != "localhost" or parts.path in seen:
            continue
        seen.add(parts.path)
        asset = client.get(parts.path + (f"?{parts.query}" if parts.query else ""))
        data = asset.get_data()
        asset.close()
        if asset.status_code != 200:
            weight.problems.append(f"{url}: {url_ref} answered {asset.status_code}")
            continue
        weight.assets[parts.path] = len(data)
        weight.assets_gzip += gzipped(data)
        weight.headers += header_bytes(asset)
        if parts.path.endswith(".css"):
            text = data.decode("utf-8")
            css.append(text)
            more = css_references(text)
            urls += more
            pending += more
    response.close()
    weight.problems += remote_or_font_problems(url, urls, css)
    return weight, html


# -- the survey to measure ----------------------------------------------------


def build_app(folder: Path) -> Flask:
    """The application on a new SQLite database in ``folder``, schema migrated."""
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{folder / 'page-weight.db'}",
            "INSTANCE_PATH": str(folder / "instance"),
            "SECRET_KEY": "page-weight-benchmark-only",
        }
    )
    with app.app_context():
        upgrade(db.engine)
    return app


def create_links(app: Flask) -> dict[str, str]:
    """A campaign with the default instrument and one link per group:
    {group: path of its intro page}. Office names are long real ones, so that
    the pages are measured at their heaviest."""
    with app.app_context():
        engine = db.engine
    today = clock.today(app.config["TIMEZONE"])
    with Session(engine, expire_on_commit=False) as session:
        version = register_instrument(session, default_instrument_text(), source="default")
        institution = Institution(code="KHJ-PW", name="Pemerintah Kota Harapan Jaya")
        unit = Unit(
            institution=institution,
            code="DPMPTSP",
            name="Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu",
        )
        campaign = Campaign(
            institution=institution,
            name="Survei Penilaian Integritas Kota Harapan Jaya 2026",
            period=str(today.year),
            target=72,
            opens_on=today - timedelta(days=10),
            closes_on=today + timedelta(days=30),
            status=CampaignStatus.OPEN,
            instrument_version=version,
        )
        session.add(campaign)
        session.flush()
        links = {}
        for group in ("internal", "expert"):
            (_, token), = invitations.issue(session, campaign, [invitations.Invitee(
                unit.id, group, phone="+6281200000000")], seal=None)
            links[group] = f"/r/{token}"
        code = new_code()
        session.add(OpenLink(campaign=campaign, unit=unit, code=code))
        links["external"] = f"/o/{code}"
        session.commit()
    return {group: links[group] for group in GROUPS}


def full_answers(instrument: analysis.Instrument, group: str) -> dict[str, str | list[str]]:
    """An answer to every question of ``group``, chosen so that every
    ``show_if`` question is shown: multi questions get every option."""
    questions = instrument.questions_of(group)
    wanted: dict[str, set[str]] = {}
    for question in questions:
        if question.show_if:
            codes = wanted.setdefault(question.show_if.question, set(question.show_if.codes))
            codes &= question.show_if.codes
    answers: dict[str, str | list[str]] = {}
    cells: dict[str, str] = {}
    for question in questions:
        if not is_shown(question, cells):
            raise RuntimeError(f"{question.id} stays hidden whatever is answered")
        if question.type == "choice":
            codes = [o.code for o in question.options]
            value = sorted(wanted[question.id])[0] if question.id in wanted else codes[0]
            answers[question.id] = cells[question.id] = value
        elif question.type == "multi":
            answers[question.id] = [o.code for o in question.options]
            cells[question.id] = ";".join(answers[question.id])
        elif question.type == "number":
            value = str(int(question.max if question.max is not None else 150000))
            answers[question.id] = cells[question.id] = value
        else:
            answers[question.id] = cells[question.id] = "Pelayanan cepat dan petugas ramah."
    return answers


def walk(app: Flask, base: str, group: str) -> list[Weight]:
    """The intro and every question page of one link, each on its first visit
    and again with its questions answered."""
    client = app.test_client()
    intro, html = measure(client, base, group=group, label="intro", visit="first")
    weights = [intro]
    started = STARTED.search(html).group(1)
    response = client.post(
        f"{base}/mulai", data={"csrf_token": CSRF.search(html).group(1), "started": started}
    )
    if response.status_code != 303:
        raise RuntimeError(f"Start on {base} answered {response.status_code}")
    resolve = (
        responding.resolve_open_link if base.startswith("/o/") else responding.resolve_invitation
    )
    today = clock.today(app.config["TIMEZONE"])
    with app.app_context():
        instrument = resolve(db.session, base.rsplit("/", 1)[1], today=today).instrument
    pages = build_pages(instrument, group)
    answers = full_answers(instrument, group)
    for page in pages:
        label = f"{page.number} {page.key}"
        weight, html = measure(
            client, f"{base}/{page.number}", group=group, label=label, visit="first"
        )
        weights.append(weight)
        data: dict[str, str | list[str]] = {
            q.id: answers[q.id] for q in page.questions if q.id in answers
        }
        # "back" saves the page without sending the questionnaire on the last one.
        data["action"] = "next" if page.number < len(pages) else "back"
        data["csrf_token"] = CSRF.search(html).group(1)
        response = client.post(f"{base}/{page.number}", data=data)
        if response.status_code != 303:
            raise RuntimeError(f"POST {base}/{page.number} answered {response.status_code}")
    for page in pages:
        weight, _ = measure(
            client,
            f"{base}/{page.number}",
            group=group,
            label=f"{page.number} {page.key}",
            visit="answered",
        )
        weights.append(weight)
    return weights


def measure_all(app: Flask) -> list[Weight]:
    """Every respondent page of every group (see the module docstring)."""
    weights = []
    for group, base in create_links(app).items():
        weights += walk(app, base, group)
    return weights


def first_question_page(weights: list[Weight]) -> Weight:
    """The internal questionnaire's first question page on its first visit."""
    return next(
        w
        for w in weights
        if w.group == "internal" and w.label.startswith("1 ") and w.visit == "first"
    )


def heaviest_page(weights: list[Weight]) -> Weight:
    """The heaviest question page (not the intro) of any group or visit."""
    return max((w for w in weights if w.label != "intro"), key=lambda w: w.raw)


# -- report -------------------------------------------------------------------


def _kib(n: int) -> str:
    return f"{n:,} B ({n / 1024:.1f} KiB)"


def _verdict(weight: Weight) -> str:
    return "PASS" if weight.passes else "FAIL"


def report(weights: list[Weight]) -> str:
    lines = []
    assets = {}
    for weight in weights:
        assets.update(weight.assets)
    lines.append("Assets referenced (each counted once per page, as on a first visit):")
    for path, size in sorted(assets.items()):
        lines.append(f"  {path:<32} {size:>7,} B")
    lines.append("")
    head = (
        f"{'group':<9} {'page':<21} {'visit':<9} {'html':>7} {'assets':>7} {'headers':>7} "
        f"{'raw':>7} {'gzip':>7}  verdict"
    )
    lines.append(head)
    lines.append("-" * len(head))
    for w in weights:
        lines.append(
            f"{w.group:<9} {w.label:<21} {w.visit:<9} {w.html:>7,} {sum(w.assets.values()):>7,} "
            f"{w.headers:>7,} {w.raw:>7,} {w.compressed:>7,}  {_verdict(w)}"
        )
    lines.append("")
    lines.append(
        f"Limit: {LIMIT:,} B (60 KB) transferred. 'raw' is what the application sends "
        "(it does not compress); 'gzip' is what a compressing proxy would send."
    )
    intro = next(w for w in weights if w.group == "internal" and w.label == "intro")
    first = first_question_page(weights)
    heavy = heaviest_page(weights)
    for title, w in (
        ("Intro page", intro),
        ("First question page", first),
        ("Heaviest page", heavy),
    ):
        kind = "open link" if w.url.startswith("/o/") else "personal link"
        lines.append(
            f"{title}: {w.group} group, {kind}, page {w.label!r}, {w.visit} visit: "
            f"raw {_kib(w.raw)}, gzip {_kib(w.compressed)} -> {_verdict(w)}"
        )
    problems = [p for w in weights for p in w.problems]
    lines.append("No other origin, no web font: " + ("yes" if not problems else "NO"))
    lines += [f"  {p}" for p in problems]
    failed = [w for w in weights if not w.passes]
    lines.append(
        f"All {len(weights)} pages within {LIMIT:,} B raw: "
        + ("PASS" if not failed else f"FAIL ({len(failed)} over)")
    )
    return "\n".join(lines)


def main() -> int:
    begun = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="page-weight-") as folder:
        app = build_app(Path(folder))
        weights = measure_all(app)
        with app.app_context():
            db.engine.dispose()
    print(report(weights))
    print(f"({time.perf_counter() - begun:.1f} s)")
    return 0 if all(w.passes for w in weights) else 1


if __name__ == "__main__":
    sys.exit(main())
