"""The decoded responses table: the scoring engine's input.

Responses are held per respondent group, because each group answers its own
questions. A group's answers are one integer matrix, ``cells``, with a column
per question of the group in instrument order:

- ``0``: blank (not answered or not shown);
- a ``choice`` question: ``1 + index`` of the chosen option in the
  question's ``options``;
- any other question (``multi``, ``number``, ``text``): a positive 31-bit
  digest of the cell's text, so that equal texts give equal cells.

Only equality of non-choice cells matters to the method (the coordinated
rule compares cells as strings), so a digest serves; two different texts
share a digest with probability 2**-31.

The same encoding is stored beside each response in the database, so reading
a million responses for scoring is one ``frombuffer`` instead of a million
JSON parses (see ``benchmarks/load_responses.py``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ._instrument import Instrument, Question

__all__ = [
    "CELL_DTYPE",
    "GroupResponses",
    "ResponseTable",
    "cells_from_bytes",
    "encode_answers",
    "encode_cell",
]

#: Storage dtype of one cell: little-endian 32-bit integer.
CELL_DTYPE = np.dtype("<i4")


def encode_cell(question: Question, value: str | None) -> int:
    """The integer cell for one answer given as its CSV text.

    Raises
    ------
    ValueError
        When a ``choice`` value is not one of the question's option codes.
    """
    if value is None or value == "":
        return 0
    if question.type == "choice":
        for i, option in enumerate(question.options):
            if option.code == value:
                return i + 1
        raise ValueError(f"{value!r} is not an option of {question.id}")
    digest = hashlib.blake2b(value.encode("utf-8"), digest_size=4).digest()
    return int.from_bytes(digest, "little") % 0x7FFFFFFE + 1


def encode_answers(instrument: Instrument, group: str, answers: Mapping[str, str]) -> bytes:
    """The stored cell encoding of one response: its group's questions in
    instrument order, :data:`CELL_DTYPE` each.

    ``answers`` maps question id to the cell text (a ``multi`` answer is its
    codes joined by ``;``); missing ids are blank.
    """
    questions = instrument.questions_of(group)
    cells = np.fromiter(
        (encode_cell(q, answers.get(q.id)) for q in questions),
        dtype=CELL_DTYPE,
        count=len(questions),
    )
    return cells.tobytes()


def cells_from_bytes(blobs: Sequence[bytes], n_questions: int) -> np.ndarray:
    """Stack stored cell encodings into an ``(n, n_questions)`` matrix."""
    if not blobs:
        return np.zeros((0, n_questions), dtype=CELL_DTYPE)
    flat = np.frombuffer(b"".join(blobs), dtype=CELL_DTYPE)
    if flat.size != len(blobs) * n_questions:
        raise ValueError("stored cells do not match the instrument's question count")
    return flat.reshape(len(blobs), n_questions)


@dataclass(frozen=True)
class GroupResponses:
    """One respondent group's responses.

    Attributes
    ----------
    group : str
        The group key.
    question_ids : tuple of str
        The group's questions in instrument order: the columns of ``cells``.
    unit : ndarray of int32, shape (n,)
        Index into :attr:`ResponseTable.units`.
    duration_s : ndarray of float64, shape (n,)
        Seconds from first page to submit; NaN where unknown.
    weight : ndarray of float64, shape (n,)
        Respondent weight v_r > 0 (1 where the source has none).
    cells : ndarray of int32, shape (n, len(question_ids))
        Encoded answers, see the module documentation.
    response_id : ndarray of object, shape (n,), or None
        Identifiers, where the source has them (a CSV does; the database
        loader leaves them out because scoring never needs them).
    """

    group: str
    question_ids: tuple[str, ...]
    unit: np.ndarray
    duration_s: np.ndarray
    weight: np.ndarray
    cells: np.ndarray
    response_id: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = self.unit.shape[0]
        if self.cells.shape != (n, len(self.question_ids)):
            raise ValueError(
                f"group {self.group}: cells shape {self.cells.shape} does not match "
                f"{n} responses x {len(self.question_ids)} questions"
            )
        for name in ("duration_s", "weight"):
            if getattr(self, name).shape != (n,):
                raise ValueError(f"group {self.group}: {name} must have one value per response")

    @property
    def n(self) -> int:
        """Number of responses."""
        return int(self.unit.shape[0])


@dataclass(frozen=True)
class ResponseTable:
    """All responses to score, decoded.

    Attributes
    ----------
    units : tuple of str
        Unit labels, sorted; ``GroupResponses.unit`` indexes into it.
    groups : dict of str to GroupResponses
        One entry per instrument group that has responses.
    """

    units: tuple[str, ...]
    groups: Mapping[str, GroupResponses]

    @property
    def n(self) -> int:
        """Total number of responses."""
        return sum(block.n for block in self.groups.values())
