"""Accessibility of the respondent pages, without a browser (issue 3, item 6):
labelled inputs, questions as fieldsets with a legend, language, landmarks,
a skip link, accessible error messages, and WCAG 2.1 AA colour contrast of
the stylesheet.

The HTML is read with the standard library's ``html.parser`` into a small
tree; the stylesheet with regular expressions (it is plain CSS, no nesting
other than one ``@media`` block).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CSS = REPO / "static" / "css" / "app.css"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}
NOT_LABELLED = {"hidden", "submit", "button", "reset", "image"}

# The small instrument's internal pages with one valid answer set, and the
# same pages with an invalid answer on each question type that can have one.
SMALL_PAGES = {
    1: {"INT_P1": "Y"},
    2: {"INT_A1": "2", "INT_A2": "1", "INT_A3": "3"},
    3: {"INT_B1": "4", "INT_B2": "9"},
    4: {"INT_M": ["a", "b"], "INT_N": "25000", "INT_T": "Terima kasih"},
}


# -- a small DOM ----------------------------------------------------------------


@dataclass(eq=False)
class Node:
    tag: str
    attrs: dict[str, str]
    parent: Node | None = None
    children: list[Node | str] = field(default_factory=list)

    def iter(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.iter()

    def find_all(self, tag: str | None = None, **attrs: str) -> list[Node]:
        return [
            node
            for node in self.iter()
            if (tag is None or node.tag == tag)
            and all(node.attrs.get(k.rstrip("_")) == v for k, v in attrs.items())
        ]

    def text(self) -> str:
        parts = [c if isinstance(c, str) else c.text() for c in self.children]
        return " ".join(" ".join(parts).split())

    def ancestors(self) -> Iterator[Node]:
        node = self.parent
        while node is not None:
            yield node
            node = node.parent

    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def element_children(self) -> list[Node]:
        return [c for c in self.children if isinstance(c, Node)]


class _TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: v or "" for k, v in attrs}, self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Node(tag, {k: v or "" for k, v in attrs}, self.current))

    def handle_endtag(self, tag):
        node = self.current
        while node is not self.root and node.tag != tag:
            node = node.parent
        if node is not self.root:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def parse(html: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


# -- pages to check ---------------------------------------------------------------


class Respondent:
    """Walks a link with the test client, keeping the CSRF token."""

    def __init__(self, client, base: str):
        self.client, self.base, self.token = client, base, None

    def get(self, path: str = "", status: int = 200) -> str:
        response = self.client.get(self.base + path)
        assert response.status_code == status, (path, response.status_code)
        html = response.get_data(as_text=True)
        found = CSRF.search(html)
        if found:
            self.token = found.group(1)
        return html

    def post(self, path: str, data: dict, status: int = 303) -> str:
        response = self.client.post(self.base + path, data={**data, "csrf_token": self.token})
        assert response.status_code == status, (path, response.status_code)
        return response.get_data(as_text=True)

    def start(self) -> None:
        self.get()
        self.post("/mulai", {})


@pytest.fixture
def small(client, factory) -> Respondent:
    campaign = factory.campaign()
    _, token = factory.invitation(campaign)
    respondent = Respondent(client, f"/r/{token}")
    respondent.start()
    return respondent


@pytest.fixture
def small_question_pages(small) -> dict[int, str]:
    """Every page of the small instrument (every question type), as shown."""
    pages = {}
    for number, answers in SMALL_PAGES.items():
        pages[number] = small.get(f"/{number}")
        if number < len(SMALL_PAGES):
            small.post(f"/{number}", {**answers, "action": "next"})
    return pages


#: Answers to the default instrument's show_if sources that show every question.
TRIGGERS = {
    "INT_PROFILE_3": "Y",
    "INT_SOS_03": "4",
    "EXT_PROFILE_2": "2",
    "EXT_PROFILE_5": "Y",
    "EXT_IT_01": "Y",
}


@pytest.fixture
def default_question_pages(client, factory) -> dict[str, str]:
    """Every page of the default instrument, personal link and open link,
    answered so that every question is shown."""
    campaign = factory.campaign(version=factory.default_version(), unit=factory.unit("U02"))
    _, token = factory.invitation(campaign)
    link = factory.open_link(campaign)
    pages = {}
    for base in (f"/r/{token}", f"/o/{link.code}"):
        respondent = Respondent(client.application.test_client(), base)
        respondent.start()
        number = 1
        while True:
            html = respondent.get(f"/{number}")
            pages[f"{base[:2]}/{number}"] = html
            if 'value="submit"' in html:
                break
            shown = {k: v for k, v in TRIGGERS.items() if f'name="{k}"' in html}
            respondent.post(f"/{number}", {**shown, "action": "next"})
            number += 1
    return pages


def _question_pages(small_question_pages, default_question_pages) -> dict[str, str]:
    pages = {f"small/{n}": html for n, html in small_question_pages.items()}
    pages.update({f"default{k}": html for k, html in default_question_pages.items()})
    return pages


# -- page structure ---------------------------------------------------------------


def _controls(root: Node) -> list[Node]:
    return [
        node
        for node in root.iter()
        if (node.tag == "input" and node.attrs.get("type", "text") not in NOT_LABELLED)
        or node.tag in ("textarea", "select")
    ]


def test_every_input_on_question_pages_has_a_label(small_question_pages, default_question_pages):
    pages = _question_pages(small_question_pages, default_question_pages)
    types = set()
    for name, html in pages.items():
        root = parse(html)
        labels = {n.attrs.get("for"): n for n in root.find_all("label")}
        controls = _controls(root)
        assert controls, name
        for control in controls:
            types.add(control.attrs.get("type", control.tag))
            wrapped = any(a.tag == "label" for a in control.ancestors())
            label = labels.get(control.attrs.get("id")) if control.attrs.get("id") else None
            assert wrapped or label is not None, f"{name}: {control.attrs} has no label"
            if label is not None:
                assert label.text(), f"{name}: empty label for {control.attrs.get('id')}"
    assert {"radio", "checkbox", "text", "textarea"} <= types  # every question type was seen


def test_element_ids_on_question_pages_are_unique(small_question_pages, default_question_pages):
    for name, html in _question_pages(small_question_pages, default_question_pages).items():
        ids = [n.attrs["id"] for n in parse(html).iter() if "id" in n.attrs]
        assert len(ids) == len(set(ids)), f"{name}: duplicate ids"


def test_every_question_is_a_fieldset_with_a_legend(small_question_pages, default_question_pages):
    for name, html in _question_pages(small_question_pages, default_question_pages).items():
        root = parse(html)
        questions = [n for n in root.iter() if "question" in n.classes()]
        assert questions, name
        for question in questions:
            assert question.tag == "fieldset", f"{name}: {question.attrs.get('id')}"
            first = question.element_children()[0]
            assert first.tag == "legend" and first.text(), f"{name}: {question.attrs.get('id')}"
        # Every answer field belongs to the fieldset of its question.
        for control in _controls(root):
            owner = next(a for a in control.ancestors() if a.tag in ("fieldset", "form"))
            assert owner.tag == "fieldset", f"{name}: {control.attrs.get('name')} is outside"
            assert owner.attrs["id"] == "q-" + control.attrs["name"]


def test_question_pages_and_buttons_name_themselves(small_question_pages, default_question_pages):
    for name, html in _question_pages(small_question_pages, default_question_pages).items():
        root = parse(html)
        assert root.find_all("title")[0].text(), name
        assert len(root.find_all("h1")) == 1, name
        for button in root.find_all("button"):
            assert button.text(), f"{name}: a button without text"
        progress = root.find_all("progress")
        assert progress and progress[0].attrs.get("max"), name


def _respondent_pages(client, factory) -> dict[str, tuple[str, int]]:
    campaign = factory.campaign()
    _, token = factory.invitation(campaign)
    _, used = factory.invitation(campaign, used=True)
    link = factory.open_link(campaign)
    respondent = Respondent(client, f"/r/{token}")
    respondent.start()
    return {
        "home": ("/", 200),
        "intro (personal)": (f"/r/{token}", 200),
        "question page": (f"/r/{token}/1", 200),
        "intro (open)": (f"/o/{link.code}", 200),
        "finished": ("/selesai", 200),
        "used link": (f"/r/{used}", 410),
        "unknown link": ("/r/no-such-link-0123456789", 404),
    }


@pytest.mark.parametrize("language", ["id", "en"])
def test_respondent_pages_declare_their_language(client, factory, language):
    client.get(f"/lang/{language}?next=/")
    for name, (url, status) in _respondent_pages(client, factory).items():
        response = client.get(url)
        assert response.status_code == status, name
        html = parse(response.get_data(as_text=True)).find_all("html")
        assert html[0].attrs.get("lang") == language, name


def test_respondent_pages_have_a_main_landmark_and_a_skip_link_to_it(client, factory):
    for name, (url, status) in _respondent_pages(client, factory).items():
        response = client.get(url)
        assert response.status_code == status, name
        root = parse(response.get_data(as_text=True))
        mains = root.find_all("main")
        assert len(mains) == 1 and mains[0].attrs.get("id"), name
        body = root.find_all("body")[0]
        first_link = next(n for n in body.iter() if n.tag == "a")
        assert first_link.attrs.get("href") == "#" + mains[0].attrs["id"], name
        assert first_link.text(), name


# -- error messages -----------------------------------------------------------------


def _check_error(root: Node, question: str, message: str) -> None:
    fieldset = root.find_all("fieldset", id=f"q-{question}")[0]
    # ARIA 1.2: aria-invalid belongs on the radiogroup or the input, not the fieldset.
    assert "aria-invalid" not in fieldset.attrs
    marked = [n for n in fieldset.iter() if n.attrs.get("aria-invalid") == "true"]
    assert marked, "no control of the question is marked invalid"
    for control in marked:
        assert control.attrs.get("role") == "radiogroup" or control.tag in ("input", "textarea")
        described = control.attrs.get("aria-describedby", "").split()
        assert described, "the error is not tied to the question"
        targets = [n for n in root.iter() if n.attrs.get("id") in described]
        assert len(targets) == len(described)
        assert any(message in t.text() for t in targets)
        assert all(fieldset in t.ancestors() for t in targets)  # shown beside the question
    summary = root.find_all(id="form-errors")[0]
    assert summary.attrs.get("role") == "alert"
    assert f"#q-{question}" in [a.attrs.get("href") for a in summary.find_all("a")]


def test_required_answer_error_is_tied_to_its_question(small):
    small.get("/1")
    small.post("/1", {**SMALL_PAGES[1], "action": "next"})
    small.get("/2")
    html = small.post("/2", {"INT_A3": "3", "action": "next"}, status=422)
    root = parse(html)
    _check_error(root, "INT_A1", "Mohon jawab pertanyaan ini.")
    valid = root.find_all("fieldset", id="q-INT_A3")[0]
    assert not [n for n in valid.iter() if "aria-invalid" in n.attrs or "aria-describedby" in n.attrs]


def test_number_error_is_tied_to_its_question(small):
    for number in (1, 2, 3):
        small.get(f"/{number}")
        small.post(f"/{number}", {**SMALL_PAGES[number], "action": "next"})
    small.get("/4")
    html = small.post("/4", {"INT_N": "banyak", "action": "submit"}, status=422)
    _check_error(parse(html), "INT_N", "Mohon isi dengan angka")


# -- colour contrast (WCAG 2.1) ---------------------------------------------------


def _rules(css: str) -> dict[str, dict[str, str]]:
    """{selector: {property: value}}, later declarations winning."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    rules: dict[str, dict[str, str]] = {}
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        declarations = {}
        for declaration in body.split(";"):
            if ":" in declaration:
                prop, value = declaration.split(":", 1)
                declarations[prop.strip().lower()] = value.strip()
        for selector in selectors.split(","):
            selector = " ".join(selector.split())
            rules.setdefault(selector, {}).update(declarations)
    return rules


RULES = _rules(CSS.read_text("utf-8"))
COLOUR = re.compile(r"#[0-9a-fA-F]{6}\b|#[0-9a-fA-F]{3}\b|rgba?\([^)]*\)")


def _rgba(text: str) -> tuple[float, float, float, float]:
    if text.startswith("#"):
        digits = text[1:]
        if len(digits) == 3:
            digits = "".join(c * 2 for c in digits)
        return (*(int(digits[i : i + 2], 16) for i in (0, 2, 4)), 1.0)
    parts = [p.strip() for p in text[text.index("(") + 1 : -1].split(",")]
    alpha = float(parts[3]) if len(parts) == 4 else 1.0
    return (*(float(p) for p in parts[:3]), alpha)


def colour(selector: str, prop: str, over: tuple[float, float, float] | None = None):
    """The colour ``prop`` of ``selector`` in app.css as opaque RGB (a
    translucent colour is composited over ``over``)."""
    value = RULES[selector][prop]
    found = COLOUR.search(value)
    assert found, f"{selector} {{{prop}: {value}}} has no colour"
    r, g, b, a = _rgba(found.group(0))
    if a < 1:
        assert over is not None, f"{selector} {prop} is translucent: give what it lies over"
        return tuple(a * c + (1 - a) * o for c, o in zip((r, g, b), over, strict=True))
    return (r, g, b)


def luminance(rgb) -> float:
    def channel(value: float) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(first, second) -> float:
    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_contrast_formula_matches_known_values():
    assert contrast((0, 0, 0), (255, 255, 255)) == pytest.approx(21)
    assert contrast((118, 118, 118), (255, 255, 255)) == pytest.approx(4.54, abs=0.01)
    assert contrast((255, 255, 255), (255, 255, 255)) == 1


PAGE = ("body", "background")
CARD = (".card", "background")
QUESTION = (".question", "background")
HEADER = ("header.site", "background")
TEXT = ("body", "color")

TEXT_PAIRS = [
    ("body text on the page", TEXT, PAGE),
    ("body text in a card", TEXT, CARD),
    ("body text in a question", TEXT, QUESTION),
    ("body text of a chosen option", TEXT, (".options input:checked + label", "background")),
    ("link on the page", ("a", "color"), PAGE),
    ("link in a card", ("a", "color"), CARD),
    ("skip link when focused", ("a", "color"), (".skip:focus", "background")),
    ("primary button", (".button.primary", "color"), (".button.primary", "background")),
    ("secondary button", (".button.secondary", "color"), (".button.secondary", "background")),
    ("site name in the header", ("header.site .brand", "color"), HEADER),
    ("language link in the header", (".lang a", "color"), HEADER),
    ("error beside a question", (".error", "color"), QUESTION),
    ("error summary heading", (".notice.error p", "color"), (".notice", "background")),
    ("error summary text", (".notice.error", "color"), (".notice", "background")),
    ("help text on the page", (".help", "color"), PAGE),
    ("help text in a question", (".help", "color"), QUESTION),
    ("'required' marker", (".question .required", "color"), QUESTION),
    ("progress text", (".progress p", "color"), PAGE),
    ("office name above the title", (".eyebrow", "color"), PAGE),
    ("footer", ("footer.site", "color"), PAGE),
]


@pytest.mark.parametrize(("pair", "fg", "bg"), TEXT_PAIRS, ids=[p[0] for p in TEXT_PAIRS])
def test_text_contrast_is_at_least_4_5_to_1(pair, fg, bg):
    background = colour(*bg)
    ratio = contrast(colour(*fg, over=background), background)
    assert ratio >= 4.5, f"{pair}: {ratio:.2f}:1"


def test_current_language_marker_contrast_is_at_least_4_5_to_1():
    header = colour(*HEADER)
    marker = colour(".lang span", "background", over=header)
    ratio = contrast(colour(".lang span", "color"), marker)
    assert ratio >= 4.5, f"{ratio:.2f}:1"


NON_TEXT_PAIRS = [
    ("text field border", ("input.number", "border"), QUESTION),
    ("chosen option border", (".options input:checked + label", "border-color"), QUESTION),
    ("question with an error, border", (".has-error", "border-color"), PAGE),
    ("focus ring in the header", ("header.site :focus-visible", "outline-color"), HEADER),
    ("focus ring on the page", ("a:focus-visible", "outline"), PAGE),
    ("focus ring in a card", ("a:focus-visible", "outline"), CARD),
    ("focus ring around an option", (".options input:focus-visible + label", "outline"), QUESTION),
]


@pytest.mark.parametrize(
    ("pair", "fg", "bg"),
    NON_TEXT_PAIRS,
    ids=[p[0] for p in NON_TEXT_PAIRS],
)
def test_control_boundaries_and_focus_ring_contrast_is_at_least_3_to_1(pair, fg, bg):
    background = colour(*bg)
    ratio = contrast(colour(*fg, over=background), background)
    assert ratio >= 3, f"{pair}: {ratio:.2f}:1"


def test_stylesheet_uses_no_web_font_and_no_remote_resource():
    css = CSS.read_text("utf-8")
    assert "@font-face" not in css and "@import" not in css
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", css)
