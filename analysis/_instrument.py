"""The instrument file: loading and validation (methodology v1, section 1).

One file describes one instrument set: every group's questions and the whole
scoring model. The web form and the scoring engine read the same
:class:`Instrument`, so a file that loads here renders and scores alike.

Validation collects every problem it can find, each with the key path
(``questions[3].options[1].score``) and, for YAML, the line, so an editor can
fix a file in one pass instead of one error per attempt.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "QUESTION_TYPES",
    "Band",
    "Group",
    "Instrument",
    "InstrumentError",
    "Option",
    "Problem",
    "Quality",
    "Question",
    "ShowIf",
    "load_instrument",
    "parse_instrument",
]

QUESTION_TYPES = ("choice", "multi", "number", "text")

#: Quality defaults when the ``quality`` block or one of its keys is absent.
QUALITY_DEFAULTS = {
    "min_scored_answers": 5,
    "speeder_seconds_per_item": 2.0,
    "straightline_min_items": 10,
    "coordinated_min_cluster": 5,
}

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_ID_RE = re.compile(r"^[A-Za-z0-9_]+$")
_KEY_RE = re.compile(r"^[A-Za-z0-9_-]+$")

# Keys this implementation understands at each level. Other keys are kept out
# of the model and reported as warnings: the spec lets implementations add
# optional keys, so a file written for another tool must still load.
_TOP_KEYS = {
    "id",
    "version",
    "target",
    "bands",
    "groups",
    "dimensions",
    "dimension_weights",
    "quality",
    "questions",
    "title",
    "description",
    "dimension_labels",
}
_GROUP_KEYS = {"weight", "min_n", "label"}
_BAND_KEYS = {"key", "min", "label"}
_QUESTION_KEYS = {
    "id",
    "group",
    "dimension",
    "weight",
    "type",
    "options",
    "text",
    "show_if",
    "required",
    "help",
    "min",
    "max",
    "max_length",
}
_OPTION_KEYS = {"code", "score", "label"}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an instrument file.

    Attributes
    ----------
    path : str
        Key path inside the document, e.g. ``questions[3].options[1].score``;
        empty for the document as a whole.
    message : str
        What is wrong and what is expected, in plain words.
    line : int or None
        1-based line in a YAML or JSON source, where known.
    """

    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = self.path or "(document)"
        if self.line is not None:
            where = f"line {self.line}: {where}"
        return f"{where}: {self.message}"


class InstrumentError(ValueError):
    """An instrument file that cannot be used.

    ``str(error)`` is one line naming the source, the first problem's key path
    and the number of further problems; ``problems`` lists them all.
    """

    def __init__(self, source: str, problems: list[Problem]):
        self.source = source
        self.problems = list(problems)
        first = self.problems[0] if self.problems else Problem("", "invalid instrument")
        more = len(self.problems) - 1
        tail = f" (and {more} more problem{'s' if more > 1 else ''})" if more > 0 else ""
        super().__init__(f"{source}: {first}{tail}")


@dataclass(frozen=True)
class Option:
    """One answer option of a ``choice`` or ``multi`` question.

    ``score`` is in [0, 100], or None for "don't know / not applicable",
    which counts as answered but not scored.
    """

    code: str
    score: float | None
    label: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ShowIf:
    """Skip logic: show a question only when ``question`` was answered with a
    code in ``codes``."""

    question: str
    codes: frozenset[str]


@dataclass(frozen=True)
class Question:
    """One question. Only ``choice`` questions with a ``dimension`` are scored."""

    id: str
    group: str
    type: str
    text: Mapping[str, str]
    dimension: str | None = None
    weight: float = 1.0
    options: tuple[Option, ...] = ()
    show_if: ShowIf | None = None
    required: bool = False
    help: Mapping[str, str] = field(default_factory=dict)
    min: float | None = None
    max: float | None = None
    max_length: int | None = None

    @property
    def scored(self) -> bool:
        """True when answers to this question enter the scores."""
        return self.type == "choice" and self.dimension is not None

    def option(self, code: str) -> Option | None:
        """The option with ``code``, or None."""
        for option in self.options:
            if option.code == code:
                return option
        return None


@dataclass(frozen=True)
class Group:
    """A respondent group with its weight in the unit index and its minimum
    number of included respondents."""

    key: str
    weight: float
    min_n: int
    label: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Band:
    """A verdict band: applies from ``min`` up to the next band's ``min``."""

    key: str
    min: float
    label: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Quality:
    """Screening thresholds; None switches a rule off."""

    min_scored_answers: int | None = 5
    speeder_seconds_per_item: float | None = 2.0
    straightline_min_items: int | None = 10
    coordinated_min_cluster: int | None = 5


@dataclass(frozen=True)
class Instrument:
    """A validated instrument set.

    Attributes
    ----------
    id, version : str
        Identify the set; results cite both.
    target : float
        Default target index (a campaign may set its own).
    bands : tuple of Band
        Ascending by ``min``; the first starts at 0.
    groups : dict of str to Group
        In file order.
    dimensions : tuple of str
        In file order.
    dimension_weights : dict of str to dict of str to float
        ``dimension_weights[group][dimension]``; a missing entry weighs 1.
    quality : Quality
    questions : tuple of Question
        In file order; a group's questions keep their relative order.
    checksum : str
        SHA-256 of the source bytes, hex.
    warnings : tuple of str
        Keys this implementation ignored, and similar notes.
    """

    id: str
    version: str
    target: float
    bands: tuple[Band, ...]
    groups: Mapping[str, Group]
    dimensions: tuple[str, ...]
    dimension_weights: Mapping[str, Mapping[str, float]]
    quality: Quality
    questions: tuple[Question, ...]
    checksum: str = ""
    title: Mapping[str, str] = field(default_factory=dict)
    description: Mapping[str, str] = field(default_factory=dict)
    dimension_labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def questions_of(self, group: str) -> tuple[Question, ...]:
        """The group's questions in file order."""
        return tuple(q for q in self.questions if q.group == group)

    def question(self, question_id: str) -> Question:
        """The question with this id (KeyError if none)."""
        for q in self.questions:
            if q.id == question_id:
                return q
        raise KeyError(question_id)

    def dimension_weight(self, group: str, dimension: str) -> float:
        """ω for (group, dimension); 1 when the file gives none."""
        return self.dimension_weights.get(group, {}).get(dimension, 1.0)

    def band_for(self, score: float | None) -> str | None:
        """The key of the last band whose ``min`` ≤ ``score`` rounded to two
        decimals, the value people see (methodology v1.1, rule 10): a shown
        73.00 is never below a band starting at 73, so 72.995 is *waspada*
        and 72.9949 *rentan*.

        The rounding is half up from the number's shortest decimal form
        (``repr``), not from its binary value, which for 72.995 is a hair
        below it.
        """
        if score is None or math.isnan(score):
            return None
        shown = shown_value(score)
        key = None
        for band in self.bands:
            if Decimal(repr(float(band.min))) <= shown:
                key = band.key
        return key


def shown_value(score: float) -> Decimal:
    """``score`` as presentation shows it: rounded half up to two decimals
    from its shortest decimal form (methodology v1.1, rule 10)."""
    return Decimal(repr(float(score))).quantize(_HUNDREDTH, rounding=ROUND_HALF_UP)


_HUNDREDTH = Decimal("0.01")


def load_instrument(path: str | Path) -> Instrument:
    """Load and validate an instrument file; ``.json`` is JSON, else YAML.

    Raises
    ------
    InstrumentError
        With every problem found, each naming its key path.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InstrumentError(
            str(path), [Problem("", f"cannot read file: {exc.strerror}")]
        ) from None
    fmt = "json" if path.suffix.lower() == ".json" else "yaml"
    return parse_instrument(data, source=str(path), format=fmt)


def parse_instrument(
    data: bytes | str, *, source: str = "<instrument>", format: str = "yaml"
) -> Instrument:
    """Parse and validate instrument text (``format`` is ``"yaml"`` or ``"json"``).

    The checksum is computed over the UTF-8 bytes exactly as given.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InstrumentError(source, [Problem("", f"not UTF-8 text (byte {exc.start})")]) from None
    lines: _LineIndex
    if format == "json":
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InstrumentError(
                source, [Problem("", f"not valid JSON: {exc.msg}", exc.lineno)]
            ) from None
        lines = _LineIndex(None)
    elif format == "yaml":
        # One pass: compose the node tree (kept for line numbers), then build
        # the document from it. The C loader is used where PyYAML has it.
        loader = _YAML_LOADER(text)
        try:
            node = loader.get_single_node()
            document = loader.construct_document(node) if node is not None else None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else None
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise InstrumentError(
                source, [Problem("", f"not valid YAML: {problem}", line)]
            ) from None
        finally:
            loader.dispose()
        lines = _LineIndex(node)
    else:
        raise ValueError(f"unknown format {format!r}; expected 'yaml' or 'json'")
    checker = _Checker(lines)
    instrument = checker.instrument(document)
    if checker.problems or instrument is None:
        raise InstrumentError(source, checker.problems or [Problem("", "invalid instrument")])
    return _replace_checksum(instrument, hashlib.sha256(raw).hexdigest(), tuple(checker.warnings))


def _replace_checksum(
    instrument: Instrument, checksum: str, warnings: tuple[str, ...]
) -> Instrument:
    from dataclasses import replace

    return replace(instrument, checksum=checksum, warnings=warnings)


class _LineIndex:
    """Finds the source line of a key path in a composed YAML node tree."""

    def __init__(self, root: yaml.Node | None):
        self.root = root

    def line(self, parts: tuple[str | int, ...]) -> int | None:
        node = self.root
        if node is None:
            return None
        for part in parts:
            if isinstance(node, yaml.MappingNode) and isinstance(part, str):
                for key_node, value_node in node.value:
                    if key_node.value == part:
                        node = value_node
                        break
                else:
                    break
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
                if 0 <= part < len(node.value):
                    node = node.value[part]
                else:
                    break
            else:
                break
        return node.start_mark.line + 1


def _format_path(parts: tuple[str | int, ...]) -> str:
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


class _Checker:
    """Walks a parsed document, building the model and collecting problems."""

    def __init__(self, lines: _LineIndex):
        self.lines = lines
        self.problems: list[Problem] = []
        self.warnings: list[str] = []

    # -- reporting ---------------------------------------------------------

    def fail(self, parts: tuple[str | int, ...], message: str, suffix: str = "") -> None:
        path = _format_path(parts) + suffix
        self.problems.append(Problem(path, message, self.lines.line(parts)))

    def unknown_keys(self, parts: tuple[str | int, ...], mapping: Mapping, known: set[str]) -> None:
        for key in mapping:
            if key not in known:
                where = _format_path((*parts, str(key)))
                self.warnings.append(f"{where}: unknown key, ignored")

    # -- typed getters -----------------------------------------------------

    def mapping(self, parts, value, *, what="a mapping (key: value pairs)") -> Mapping | None:
        if not isinstance(value, Mapping):
            self.fail(parts, f"must be {what}, got {_kind(value)}")
            return None
        return value

    def text_map(self, parts, value, *, required: bool) -> dict[str, str]:
        """A translated text: {language: text}, e.g. {id: ..., en: ...}."""
        if value is None:
            if required:
                self.fail(parts, "required key missing; give the text as {id: ..., en: ...}")
            return {}
        if isinstance(value, str):
            if not value.strip():
                self.fail(parts, "must not be empty")
                return {}
            return {"id": value}
        if not isinstance(value, Mapping) or not value:
            self.fail(
                parts,
                f"must be a mapping of language to text, e.g. {{id: ..., en: ...}}, "
                f"got {_kind(value)}",
            )
            return {}
        out = {}
        for lang, text in value.items():
            if not isinstance(lang, str) or not isinstance(text, str) or not text.strip():
                hint = (
                    ' (YAML reads yes/no/on/off as true/false: quote it, "Yes")'
                    if isinstance(text, bool)
                    else ""
                )
                self.fail((*parts, str(lang)), f"must be a non-empty text, got {_kind(text)}{hint}")
                continue
            out[lang] = text
        return out

    # -- the document ------------------------------------------------------

    def instrument(self, doc: Any) -> Instrument | None:
        if not isinstance(doc, Mapping):
            self.fail(
                (),
                f"the file must hold a mapping with keys id, version, groups, "
                f"dimensions and questions; got {_kind(doc)}",
            )
            return None
        self.unknown_keys((), doc, _TOP_KEYS)
        for key in ("id", "version", "bands", "groups", "dimensions", "questions"):
            if key not in doc:
                self.fail((key,), "required key missing")

        ident = doc.get("id")
        if "id" in doc and (not isinstance(ident, str) or not ident.strip()):
            self.fail(("id",), f"must be a non-empty string, got {_kind(ident)}")
        version = doc.get("version")
        if "version" in doc and not isinstance(version, str):
            hint = ' (quote it: version: "2026.1")' if _is_number(version) else ""
            self.fail(("version",), f"must be a string{hint}, got {_kind(version)}")
        target = doc.get("target", 72)
        if not _is_number(target) or not 0 <= target <= 100:
            self.fail(("target",), f"must be a number from 0 to 100, got {target!r}")
            target = 72

        bands = self.bands(doc.get("bands")) if "bands" in doc else ()
        groups = self.groups(doc.get("groups")) if "groups" in doc else {}
        dimensions = self.dimensions(doc.get("dimensions")) if "dimensions" in doc else ()
        dimension_weights = self.dimension_weights(doc.get("dimension_weights"), groups, dimensions)
        quality = self.quality(doc.get("quality"))
        # Questions are checked against every declared group and dimension, even
        # one whose own entry is broken, so one mistake is reported once.
        declared_groups = set(doc["groups"]) if isinstance(doc.get("groups"), Mapping) else set()
        declared_dims = (
            {d for d in doc["dimensions"] if isinstance(d, str)}
            if isinstance(doc.get("dimensions"), list)
            else set()
        )
        questions = (
            self.questions(
                doc.get("questions"), declared_groups | set(groups), declared_dims | set(dimensions)
            )
            if "questions" in doc
            else ()
        )
        title = self.text_map(("title",), doc.get("title"), required=False)
        description = self.text_map(("description",), doc.get("description"), required=False)
        labels = self.dimension_labels(doc.get("dimension_labels"), dimensions)

        for key in groups:
            if not any(q.group == key and q.scored for q in questions):
                self.warnings.append(
                    f"groups.{key}: no scored question; the group never gets an index"
                )

        if self.problems:
            return None
        return Instrument(
            id=ident,
            version=version,
            target=float(target),
            bands=bands,
            groups=groups,
            dimensions=dimensions,
            dimension_weights=dimension_weights,
            quality=quality,
            questions=questions,
            title=title,
            description=description,
            dimension_labels=labels,
        )

    def bands(self, value) -> tuple[Band, ...]:
        parts = ("bands",)
        if not isinstance(value, list) or not value:
            self.fail(parts, f"must be a non-empty list of {{key, min}}, got {_kind(value)}")
            return ()
        bands: list[Band] = []
        seen: set[str] = set()
        for i, item in enumerate(value):
            here = (*parts, i)
            entry = self.mapping(here, item)
            if entry is None:
                continue
            self.unknown_keys(here, entry, _BAND_KEYS)
            key, minimum = entry.get("key"), entry.get("min")
            ok = True
            if not isinstance(key, str) or not _KEY_RE.match(key):
                self.fail((*here, "key"), f"must be a name of letters, digits, - or _, got {key!r}")
                ok = False
            elif key in seen:
                self.fail((*here, "key"), f"duplicate band key {key!r}")
                ok = False
            if not _is_number(minimum) or not 0 <= minimum <= 100:
                self.fail((*here, "min"), f"must be a number from 0 to 100, got {minimum!r}")
                ok = False
            if not ok:
                continue
            seen.add(key)
            if not bands and minimum != 0:
                self.fail((*here, "min"), f"the first band must start at 0, got {minimum!r}")
            if bands and minimum <= bands[-1].min:
                self.fail(
                    (*here, "min"),
                    f"bands must ascend by min: {minimum!r} is not above "
                    f"{bands[-1].min!r} of band {bands[-1].key!r}",
                )
            label = self.text_map((*here, "label"), entry.get("label"), required=False)
            bands.append(Band(key, float(minimum), label))
        return tuple(bands)

    def groups(self, value) -> dict[str, Group]:
        parts = ("groups",)
        entries = self.mapping(parts, value)
        if entries is None:
            return {}
        if not entries:
            self.fail(parts, "must name at least one respondent group")
        groups: dict[str, Group] = {}
        for key, spec in entries.items():
            here = (*parts, str(key))
            if not isinstance(key, str) or not _KEY_RE.match(key):
                self.fail(here, "a group key must be a name of letters, digits, - or _")
                continue
            spec = self.mapping(here, spec)
            if spec is None:
                continue
            self.unknown_keys(here, spec, _GROUP_KEYS)
            weight, min_n = spec.get("weight"), spec.get("min_n")
            ok = True
            if not _is_number(weight) or weight <= 0:
                self.fail((*here, "weight"), f"must be a number above 0, got {weight!r}")
                ok = False
            if isinstance(min_n, bool) or not isinstance(min_n, int) or min_n < 2:
                self.fail((*here, "min_n"), f"must be a whole number of at least 2, got {min_n!r}")
                ok = False
            if ok:
                label = self.text_map((*here, "label"), spec.get("label"), required=False)
                groups[key] = Group(key, float(weight), int(min_n), label)
        return groups

    def dimensions(self, value) -> tuple[str, ...]:
        parts = ("dimensions",)
        if not isinstance(value, list) or not value:
            self.fail(parts, f"must be a non-empty list of dimension names, got {_kind(value)}")
            return ()
        out: list[str] = []
        for i, name in enumerate(value):
            if not isinstance(name, str) or not _KEY_RE.match(name):
                self.fail((*parts, i), f"must be a name of letters, digits, - or _, got {name!r}")
            elif name in out:
                self.fail((*parts, i), f"duplicate dimension {name!r}")
            else:
                out.append(name)
        return tuple(out)

    def dimension_weights(self, value, groups, dimensions) -> dict[str, dict[str, float]]:
        parts = ("dimension_weights",)
        if value is None:
            return {}
        entries = self.mapping(parts, value)
        if entries is None:
            return {}
        out: dict[str, dict[str, float]] = {}
        for group, weights in entries.items():
            here = (*parts, str(group))
            if group not in groups:
                self.fail(
                    here, f"unknown group {group!r}; groups are {', '.join(groups) or 'none'}"
                )
                continue
            weights = self.mapping(here, weights)
            if weights is None:
                continue
            for dim, weight in weights.items():
                if dim not in dimensions:
                    self.fail((*here, str(dim)), f"unknown dimension {dim!r}")
                elif not _is_number(weight) or weight <= 0:
                    self.fail((*here, str(dim)), f"must be a number above 0, got {weight!r}")
                else:
                    out.setdefault(group, {})[dim] = float(weight)
        return out

    def quality(self, value) -> Quality:
        parts = ("quality",)
        if value is None:
            return Quality()
        entries = self.mapping(parts, value)
        if entries is None:
            return Quality()
        self.unknown_keys(parts, entries, set(QUALITY_DEFAULTS))
        settings: dict[str, float | int | None] = {}
        for key, default in QUALITY_DEFAULTS.items():
            raw = entries.get(key, default)
            if raw is None or raw == 0:
                settings[key] = None
                continue
            whole = isinstance(default, int)
            if not _is_number(raw) or raw < 0 or (whole and raw != int(raw)):
                kind = "a whole number" if whole else "a number"
                self.fail(
                    (*parts, key),
                    f"must be {kind} of at least 0, or null to switch the rule off, got {raw!r}",
                )
                continue
            settings[key] = int(raw) if whole else float(raw)
        return Quality(**settings)

    def dimension_labels(self, value, dimensions) -> dict[str, dict[str, str]]:
        if value is None:
            return {}
        entries = self.mapping(("dimension_labels",), value)
        if entries is None:
            return {}
        out = {}
        for dim, label in entries.items():
            if dim not in dimensions:
                self.fail(("dimension_labels", str(dim)), f"unknown dimension {dim!r}")
                continue
            out[dim] = self.text_map(("dimension_labels", str(dim)), label, required=True)
        return out

    def questions(self, value, groups, dimensions) -> tuple[Question, ...]:
        parts = ("questions",)
        if not isinstance(value, list) or not value:
            self.fail(parts, f"must be a non-empty list of questions, got {_kind(value)}")
            return ()
        questions: list[Question] = []
        index: dict[str, Question] = {}
        for i, item in enumerate(value):
            here = (*parts, i)
            entry = self.mapping(here, item)
            if entry is None:
                continue
            question = self.question(here, entry, groups, dimensions, index)
            if question is not None:
                questions.append(question)
                index[question.id] = question
        return tuple(questions)

    def question(self, here, entry, groups, dimensions, earlier) -> Question | None:
        before = len(self.problems)
        self.unknown_keys(here, entry, _QUESTION_KEYS)
        qid = entry.get("id")
        if not isinstance(qid, str) or not _ID_RE.match(qid):
            self.fail((*here, "id"), f"must be letters, digits and _ only, got {qid!r}")
            qid = None
        elif qid in earlier:
            self.fail((*here, "id"), f"duplicate question id {qid!r}")
        label = f" (question {qid})" if qid else ""

        def fail(key, message):
            self.fail((*here, *key), message + label)

        group = entry.get("group")
        if not isinstance(group, str) or group not in groups:
            fail(
                ("group",),
                f"unknown group {group!r}; groups are {', '.join(sorted(groups)) or 'none'}",
            )
        qtype = entry.get("type", "choice")
        if qtype not in QUESTION_TYPES:
            fail(("type",), f"must be one of {', '.join(QUESTION_TYPES)}, got {qtype!r}")
        dimension = entry.get("dimension")
        if dimension is not None and (
            not isinstance(dimension, str) or dimension not in dimensions
        ):
            fail(("dimension",), f"unknown dimension {dimension!r}")
        weight = entry.get("weight", 1)
        if not _is_number(weight) or weight <= 0:
            fail(("weight",), f"must be a number above 0, got {weight!r}")
        required = entry.get("required", False)
        if not isinstance(required, bool):
            fail(("required",), f"must be true or false, got {required!r}")

        options: tuple[Option, ...] = ()
        if qtype in ("choice", "multi"):
            options = self.options((*here, "options"), entry.get("options"), label)
        elif entry.get("options") is not None:
            fail(("options",), f"only choice and multi questions have options, this is {qtype!r}")

        text = self.text_map((*here, "text"), entry.get("text"), required=True)
        help_text = self.text_map((*here, "help"), entry.get("help"), required=False)
        show_if = self.show_if((*here, "show_if"), entry.get("show_if"), group, earlier, label)

        bounds = {}
        for key in ("min", "max"):
            raw = entry.get(key)
            if raw is not None:
                if qtype != "number":
                    fail((key,), f"only number questions have {key}")
                elif not _is_number(raw):
                    fail((key,), f"must be a number, got {raw!r}")
                else:
                    bounds[key] = float(raw)
        if "min" in bounds and "max" in bounds and bounds["min"] > bounds["max"]:
            fail(("max",), f"must not be below min ({bounds['min']:g})")
        max_length = entry.get("max_length")
        if max_length is not None and (
            qtype != "text"
            or isinstance(max_length, bool)
            or not isinstance(max_length, int)
            or max_length < 1
        ):
            fail(("max_length",), "only text questions have max_length, a whole number above 0")

        if len(self.problems) > before or qid is None:
            return None
        return Question(
            id=qid,
            group=group,
            type=qtype,
            text=text,
            dimension=dimension,
            weight=float(weight),
            options=options,
            show_if=show_if,
            required=required,
            help=help_text,
            min=bounds.get("min"),
            max=bounds.get("max"),
            max_length=max_length,
        )

    def options(self, parts, value, label) -> tuple[Option, ...]:
        if not isinstance(value, list) or not value:
            self.fail(
                parts,
                f"a choice or multi question needs a non-empty list of options, got {_kind(value)}",
                label,
            )
            return ()
        options: list[Option] = []
        seen: set[str] = set()
        for i, item in enumerate(value):
            here = (*parts, i)
            entry = self.mapping(here, item)
            if entry is None:
                continue
            self.unknown_keys(here, entry, _OPTION_KEYS)
            code = entry.get("code")
            if isinstance(code, int) and not isinstance(code, bool):
                code = str(code)  # YAML reads an unquoted 1 as a number; the cell holds "1"
            if not isinstance(code, str) or not code or code != code.strip() or ";" in code:
                self.fail(
                    (*here, "code"),
                    f"must be a non-empty text without spaces at the ends "
                    f"or ';', got {entry.get('code')!r}",
                    label,
                )
                continue
            if code in seen:
                self.fail((*here, "code"), f"duplicate option code {code!r}", label)
                continue
            seen.add(code)
            if "score" not in entry:
                self.fail((*here, "score"), "required key missing; use null for don't know", label)
                continue
            score = entry["score"]
            if score is not None and (not _is_number(score) or not 0 <= score <= 100):
                self.fail(
                    (*here, "score"),
                    f"must be a number from 0 to 100, or null, got {score!r}",
                    label,
                )
                continue
            text = self.text_map((*here, "label"), entry.get("label"), required=False)
            options.append(Option(code, None if score is None else float(score), text))
        return tuple(options)

    def show_if(self, parts, value, group, earlier, label) -> ShowIf | None:
        if value is None:
            return None
        entry = self.mapping(parts, value, what="a mapping {question: ID, in: [codes]}")
        if entry is None:
            return None
        source, codes = entry.get("question"), entry.get("in")
        extra = set(entry) - {"question", "in"}
        if extra:
            self.fail(
                parts,
                f"unknown condition key(s) {', '.join(sorted(map(str, extra)))}; "
                f"the form is {{question: ID, in: [codes]}}",
                label,
            )
            return None
        if not isinstance(source, str) or source not in earlier:
            self.fail(
                (*parts, "question"),
                f"must name an earlier question of the same group, got {source!r}",
                label,
            )
            return None
        target = earlier[source]
        if target.group != group:
            self.fail(
                (*parts, "question"),
                f"{source} belongs to group {target.group!r}, not {group!r}",
                label,
            )
            return None
        if not isinstance(codes, list) or not codes:
            self.fail(
                (*parts, "in"),
                f"must be a non-empty list of option codes, got {_kind(codes)}",
                label,
            )
            return None
        wanted = {str(c) if isinstance(c, int) and not isinstance(c, bool) else c for c in codes}
        valid = {o.code for o in target.options}
        unknown = [c for c in wanted if c not in valid]
        if unknown:
            self.fail(
                (*parts, "in"),
                f"{', '.join(map(repr, unknown))} is not an option code of {source}",
                label,
            )
            return None
        return ShowIf(source, frozenset(wanted))


def _kind(value: Any) -> str:
    """Names a YAML/JSON value's type the way a file editor thinks of it."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"true/false ({value})"
    if isinstance(value, int | float):
        return f"a number ({value!r})"
    if isinstance(value, str):
        return f"a text ({value!r})" if len(value) < 40 else "a text"
    if isinstance(value, list):
        return "a list" if value else "an empty list"
    if isinstance(value, Mapping):
        return "a mapping"
    return type(value).__name__
