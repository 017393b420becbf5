"""Fixtures and small factories for the scoring engine's tests.

``make_instrument`` builds a small instrument whose numbers are easy to work
by hand; ``make_table`` turns a list of responses written as dicts into the
engine's ResponseTable, the same way the web application encodes answers.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import analysis

REPO = Path(__file__).resolve().parents[2]
REFERENCES = Path(__file__).resolve().parent / "references"
#: Where the shared validation cases may be: SPI_VALIDATION_DIR, the shared
#: folder beside the checkout, or this workplace's fixed shared folder (a CI
#: checkout may live elsewhere).
VALIDATION_CANDIDATES = [Path(p) for p in (os.environ.get("SPI_VALIDATION_DIR"),) if p] + [
    REPO.parent / "shared" / "validation", Path("/work/shared/validation")]

FIVE_POINT = [{"code": "1", "score": 0}, {"code": "2", "score": 25}, {"code": "3", "score": 50},
              {"code": "4", "score": 75}, {"code": "5", "score": 100},
              {"code": "9", "score": None}]

#: The hand instrument: two groups, two dimensions, options 1..5 scoring
#: 0, 25, 50, 75, 100 and 9 = don't know. Internal: I1 (d1, weight 1),
#: I2 (d1, weight 3), I3 (d2), plus an unscored profile question and a text
#: note. External: E1 (d1), E2 (d2). Screening is off unless a test says.
HAND_INSTRUMENT: dict[str, Any] = {
    "id": "hand", "version": "1", "target": 60,
    "bands": [{"key": "rentan", "min": 0}, {"key": "waspada", "min": 50},
              {"key": "terjaga", "min": 70}],
    "groups": {"internal": {"weight": 0.6, "min_n": 2}, "external": {"weight": 0.4, "min_n": 2}},
    "dimensions": ["d1", "d2"],
    "quality": {"min_scored_answers": None, "speeder_seconds_per_item": None,
                "straightline_min_items": None, "coordinated_min_cluster": None},
    "questions": [
        {"id": "I_PROFILE", "group": "internal", "type": "choice", "text": {"en": "p"},
         "options": [{"code": "a", "score": None}, {"code": "b", "score": None}]},
        {"id": "I1", "group": "internal", "dimension": "d1", "weight": 1, "type": "choice",
         "options": FIVE_POINT, "text": {"en": "i1"}},
        {"id": "I2", "group": "internal", "dimension": "d1", "weight": 3, "type": "choice",
         "options": FIVE_POINT, "text": {"en": "i2"}},
        {"id": "I3", "group": "internal", "dimension": "d2", "type": "choice",
         "options": FIVE_POINT, "text": {"en": "i3"}},
        {"id": "I_NOTE", "group": "internal", "type": "text", "text": {"en": "note"}},
        {"id": "E1", "group": "external", "dimension": "d1", "type": "choice",
         "options": FIVE_POINT, "text": {"en": "e1"}},
        {"id": "E2", "group": "external", "dimension": "d2", "type": "choice",
         "options": FIVE_POINT, "text": {"en": "e2"}},
    ],
}


def _merge(base: dict[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in changes.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


@pytest.fixture
def make_instrument() -> Callable[..., analysis.Instrument]:
    """``make_instrument(quality={...}, groups={...}, ...)``: the hand
    instrument with some keys replaced (mappings are merged)."""
    def make(**changes: Any) -> analysis.Instrument:
        document = _merge(HAND_INSTRUMENT, changes)
        return analysis.parse_instrument(json.dumps(document), format="json")
    return make


@pytest.fixture
def hand_document() -> dict[str, Any]:
    """A fresh copy of the hand instrument's document, to change and pass to
    ``make_instrument(**changes)``."""
    return copy.deepcopy(HAND_INSTRUMENT)


def build_table(instrument: analysis.Instrument,
                responses: Iterable[Mapping[str, Any]]) -> analysis.ResponseTable:
    """A ResponseTable from dicts ``{unit, group, answers: {qid: text},
    duration (optional), weight (optional)}``, encoded as the web app does."""
    responses = list(responses)
    units = tuple(sorted({r["unit"] for r in responses}))
    position = {u: i for i, u in enumerate(units)}
    groups = {}
    for group in instrument.groups:
        mine = [r for r in responses if r["group"] == group]
        if not mine:
            continue
        ids = tuple(q.id for q in instrument.questions_of(group))
        blobs = [analysis.encode_answers(instrument, group, r.get("answers", {})) for r in mine]
        groups[group] = analysis.GroupResponses(
            group=group, question_ids=ids,
            unit=np.array([position[r["unit"]] for r in mine], dtype=np.int32),
            duration_s=np.array([r.get("duration", np.nan) for r in mine], dtype=np.float64),
            weight=np.array([r.get("weight", 1.0) for r in mine], dtype=np.float64),
            cells=analysis.cells_from_bytes(blobs, len(ids)).copy(),
        )
    return analysis.ResponseTable(units=units, groups=groups)


@pytest.fixture
def make_table() -> Callable[..., analysis.ResponseTable]:
    """``make_table(instrument, responses)``, see :func:`build_table`."""
    return build_table


def _respondent(unit: str, group: str, weight: float = 1.0, duration: float = np.nan,
                **answers: str) -> dict[str, Any]:
    return {"unit": unit, "group": group, "weight": weight, "duration": duration,
            "answers": answers}


@pytest.fixture
def respondent() -> Callable[..., dict[str, Any]]:
    """``respondent("U1", "internal", weight=1, duration=nan, I1="5", I2="3")``:
    one response for ``make_table``."""
    return _respondent


@pytest.fixture
def case_one() -> Path:
    """The shared validation case 1 (skips when the folder is absent)."""
    for base in VALIDATION_CANDIDATES:
        if (base / "case-1").is_dir():
            return base / "case-1"
    pytest.skip("validation case not available: none of "
                f"{', '.join(str(b) for b in VALIDATION_CANDIDATES)} holds case-1 "
                "(set SPI_VALIDATION_DIR)")
