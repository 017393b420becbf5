"""Reading the interchange CSV files (methodology v1, section 2).

Every problem is an :class:`InputError` whose text is one line naming the
file, the row (the header is row 1, as in a spreadsheet) and the column, so
that the command line can print it as it is. Nothing is scored from a file
with an error: the readers stop at the first one.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ._instrument import Instrument, Question
from ._table import CELL_DTYPE, GroupResponses, ResponseTable, encode_cell

__all__ = ["InputError", "read_corrections", "read_populations", "read_responses"]

_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_REQUIRED = ("response_id", "unit", "group", "duration_s")


class InputError(ValueError):
    """A responses, populations or corrections file that cannot be used.

    ``str(error)`` is one line: ``FILE: row R, column C: what is wrong``
    (row and column where they apply).

    Attributes
    ----------
    source : str
        The file as named by the caller.
    row : int or None
        Row number, the header being row 1.
    column : str or None
        Column name.
    message : str
        What is wrong, in plain words.
    """

    def __init__(self, source: str, message: str, *, row: int | None = None,
                 column: str | None = None):
        self.source = source
        self.row = row
        self.column = column
        self.message = message
        where = []
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column!r}")
        location = f" {', '.join(where)}:" if where else ""
        # one line whatever the cell held
        super().__init__(f"{source}:{location} {message}".replace("\n", " ").replace("\r", " "))


def _records(path: str | Path) -> tuple[str, list[str], list[tuple[int, list[str]]]]:
    """The header and the non-empty records of a CSV file, with row numbers."""
    source = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(source, f"cannot read file: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8-sig")  # a spreadsheet's byte-order mark is harmless
    except UnicodeDecodeError as exc:
        row = data[: exc.start].count(b"\n") + 1
        raise InputError(source, f"not UTF-8 text (byte {exc.start}); save the file as "
                                 f"UTF-8", row=row) from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[tuple[int, list[str]]] = []
    try:
        for number, record in enumerate(reader, start=1):
            if record and any(field != "" for field in record):
                rows.append((number, record))
            elif number == 1:
                raise InputError(source, "the first row must be the header", row=1)
    except csv.Error as exc:
        raise InputError(source, f"not valid CSV: {exc}", row=reader.line_num) from None
    if not rows:
        raise InputError(source, "empty file; expected a header row")
    _, header = rows[0]
    header = [name.strip() for name in header]
    seen: set[str] = set()
    for name in header:
        if name == "":
            raise InputError(source, "a header cell is empty", row=1)
        if name in seen:
            raise InputError(source, "column appears twice in the header", row=1, column=name)
        seen.add(name)
    return source, header, rows[1:]


def _number(text: str) -> float | None:
    """A decimal number, or None when ``text`` is not one."""
    text = text.strip()
    if not _DECIMAL.match(text):
        return None
    return float(text)


def _fields(source: str, header: list[str], row: int, record: list[str]) -> None:
    if len(record) != len(header):
        raise InputError(source, f"has {len(record)} fields, the header has {len(header)}",
                         row=row)


def _encoder(source: str, question: Question) -> Callable[[str, int], int]:
    """A function (cell text, row) -> cell code, raising InputError."""
    if question.type == "choice":
        codes = {option.code: i + 1 for i, option in enumerate(question.options)}
        listing = ", ".join(o.code for o in question.options)

        def choice(value: str, row: int) -> int:
            try:
                return codes[value]
            except KeyError:
                raise InputError(source, f"{value!r} is not an option of {question.id} "
                                         f"(options: {listing})", row=row,
                                 column=question.id) from None
        return choice
    if question.type == "multi":
        valid = {option.code for option in question.options}
        listing = ", ".join(o.code for o in question.options)

        def multi(value: str, row: int) -> int:
            for code in value.split(";"):
                if code not in valid:
                    raise InputError(source, f"{code!r} is not an option of {question.id} "
                                             f"(options: {listing}; several are separated "
                                             f"by ';')", row=row, column=question.id)
            return encode_cell(question, value)
        return multi
    if question.type == "number":
        def number(value: str, row: int) -> int:
            if _number(value) is None:
                raise InputError(source, f"{value!r} is not a decimal number", row=row,
                                 column=question.id)
            return encode_cell(question, value)
        return number
    return lambda value, row: encode_cell(question, value)


def read_responses(path: str | Path, instrument: Instrument) -> ResponseTable:
    """Read a responses CSV into the engine's :class:`ResponseTable`.

    The header is ``response_id, unit, group, duration_s, [weight,]``
    followed by question ids (any of the instrument's, in any order; a
    question without a column is blank throughout). Identifiers (unit,
    group, header names) are taken without surrounding spaces; answer cells
    exactly as written.

    Parameters
    ----------
    path : str or Path
    instrument : Instrument

    Returns
    -------
    ResponseTable
        Units sorted; each group's rows in file order, with ``response_id``.

    Raises
    ------
    InputError
        At the first problem: unreadable or non-UTF-8 file, a required column
        missing, an unknown question column, an empty unit, an unknown group,
        a duration that is not a number ≥ 0, a weight that is not a number
        above 0, an answer that is not an option of its question (or not a
        number for a number question), an answer to another group's
        question, a duplicate ``response_id``.
    """
    source, header, rows = _records(path)
    for name in _REQUIRED:
        if name not in header:
            raise InputError(source, f"required column missing (the header needs "
                                     f"{', '.join(_REQUIRED)})", row=1, column=name)
    known = {q.id: q for q in instrument.questions}
    question_columns = [name for name in header if name not in _REQUIRED and name != "weight"]
    for name in question_columns:
        if name not in known:
            raise InputError(source, f"unknown question column: no question {name} in "
                                     f"instrument {instrument.id} {instrument.version}",
                             row=1, column=name)
    at = {name: i for i, name in enumerate(header)}
    i_id, i_unit, i_group, i_duration = (at[name] for name in _REQUIRED)
    i_weight = at.get("weight")

    # per group: the columns it may fill (position in the row -> position in
    # its cells and encoder) and the columns that must stay blank
    plan = {}
    for group in instrument.groups:
        ids = [q.id for q in instrument.questions_of(group)]
        slot = {qid: j for j, qid in enumerate(ids)}
        own = [(at[name], slot[name], _encoder(source, known[name]))
               for name in question_columns if known[name].group == group]
        foreign = [(at[name], name) for name in question_columns if known[name].group != group]
        plan[group] = (tuple(ids), own, foreign)

    collected: dict[str, dict[str, list]] = {
        group: {"unit": [], "duration": [], "weight": [], "cells": [], "id": []}
        for group in instrument.groups
    }
    first_seen: dict[str, int] = {}
    for row, record in rows:
        _fields(source, header, row, record)
        response_id = record[i_id].strip()
        if not response_id:
            raise InputError(source, "response_id is empty", row=row, column="response_id")
        if response_id in first_seen:
            raise InputError(source, f"duplicate response_id {response_id!r} (first in row "
                                     f"{first_seen[response_id]})", row=row, column="response_id")
        first_seen[response_id] = row
        unit = record[i_unit].strip()
        if not unit:
            raise InputError(source, "unit is empty", row=row, column="unit")
        group = record[i_group].strip()
        if group not in plan:
            raise InputError(source, f"unknown group {group!r}; groups are "
                                     f"{', '.join(instrument.groups)}", row=row, column="group")
        duration_text = record[i_duration].strip()
        if duration_text == "":
            duration = math.nan
        else:
            value = _number(duration_text)
            if value is None or not math.isfinite(value) or value < 0:
                raise InputError(source, f"duration_s must be blank or a number of seconds "
                                         f"≥ 0, got {record[i_duration]!r}", row=row,
                                 column="duration_s")
            duration = value
        weight = 1.0
        if i_weight is not None:
            value = _number(record[i_weight])
            if value is None or not math.isfinite(value) or value <= 0:
                raise InputError(source, f"weight must be a number above 0, got "
                                         f"{record[i_weight]!r}", row=row, column="weight")
            weight = value
        ids, own, foreign = plan[group]
        for position, name in foreign:
            if record[position] != "":
                raise InputError(source, f"{name} is a question of group "
                                         f"{known[name].group}, but this response is of "
                                         f"group {group}", row=row, column=name)
        cells = [0] * len(ids)
        for position, slot, encode in own:
            value = record[position]
            if value != "":
                cells[slot] = encode(value, row)
        bucket = collected[group]
        bucket["unit"].append(unit)
        bucket["duration"].append(duration)
        bucket["weight"].append(weight)
        bucket["cells"].append(cells)
        bucket["id"].append(response_id)

    units = tuple(sorted({u for bucket in collected.values() for u in bucket["unit"]}))
    index = {u: i for i, u in enumerate(units)}
    groups = {}
    for group, bucket in collected.items():
        if not bucket["unit"]:
            continue
        ids = plan[group][0]
        groups[group] = GroupResponses(
            group=group, question_ids=ids,
            unit=np.array([index[u] for u in bucket["unit"]], dtype=np.int32),
            duration_s=np.array(bucket["duration"], dtype=np.float64),
            weight=np.array(bucket["weight"], dtype=np.float64),
            # (rows, questions) even when the group has no question (v1.1:
            # allowed, its respondents are incomplete): -1 cannot be inferred
            cells=np.array(bucket["cells"], dtype=CELL_DTYPE).reshape(len(bucket["unit"]),
                                                                      len(ids)),
            response_id=np.array(bucket["id"], dtype=object),
        )
    return ResponseTable(units=units, groups=groups)


def _columns(source: str, header: list[str], required: tuple[str, ...]) -> dict[str, int]:
    for name in required:
        if name not in header:
            raise InputError(source, f"required column missing (the header needs "
                                     f"{', '.join(required)})", row=1, column=name)
    return {name: i for i, name in enumerate(header)}


def read_populations(path: str | Path, *,
                     instrument: Instrument | None = None) -> dict[tuple[str, str], float]:
    """Read ``unit, group, population`` rows (population sizes N).

    Parameters
    ----------
    path : str or Path
    instrument : Instrument, optional
        When given, a group that is not one of its groups is an error.

    Returns
    -------
    dict of (unit, group) to float

    Raises
    ------
    InputError
        Unreadable or non-UTF-8 file, a required column missing, an empty
        unit or group, an unknown group, a population that is not a number
        above 0, or the same (unit, group) twice.
    """
    source, header, rows = _records(path)
    at = _columns(source, header, ("unit", "group", "population"))
    out: dict[tuple[str, str], float] = {}
    first: dict[tuple[str, str], int] = {}
    for row, record in rows:
        _fields(source, header, row, record)
        unit, group = record[at["unit"]].strip(), record[at["group"]].strip()
        if not unit:
            raise InputError(source, "unit is empty", row=row, column="unit")
        if not group:
            raise InputError(source, "group is empty", row=row, column="group")
        if instrument is not None and group not in instrument.groups:
            raise InputError(source, f"unknown group {group!r}; groups are "
                                     f"{', '.join(instrument.groups)}", row=row, column="group")
        value = _number(record[at["population"]])
        if value is None or not math.isfinite(value) or value <= 0:
            raise InputError(source, f"population must be a number above 0, got "
                                     f"{record[at['population']]!r}", row=row,
                             column="population")
        if (unit, group) in first:
            raise InputError(source, f"unit {unit} group {group} appears twice (first in row "
                                     f"{first[(unit, group)]})", row=row, column="unit")
        first[(unit, group)] = row
        out[(unit, group)] = value
    return out


def read_corrections(path: str | Path) -> dict[str, float]:
    """Read ``unit, points, reason`` rows; several rows of a unit add up.

    A correction subtracts points for proven facts (methodology v1, §4
    step 5), so points are between 0 and 100, and every row says why: the
    same rules the platform's database enforces, so that a file and the
    platform cannot score the same campaign differently.

    Returns
    -------
    dict of unit to float
        Summed correction points C per unit.

    Raises
    ------
    InputError
        Unreadable or non-UTF-8 file, a required column (unit, points,
        reason) missing, an empty unit or reason, points that are not a
        number from 0 to 100.
    """
    source, header, rows = _records(path)
    at = _columns(source, header, ("unit", "points", "reason"))
    out: dict[str, float] = {}
    for row, record in rows:
        _fields(source, header, row, record)
        unit = record[at["unit"]].strip()
        if not unit:
            raise InputError(source, "unit is empty", row=row, column="unit")
        value = _number(record[at["points"]])
        if value is None or not math.isfinite(value) or not 0 <= value <= 100:
            raise InputError(source, f"points must be a number from 0 to 100, got "
                                     f"{record[at['points']]!r}", row=row, column="points")
        if not record[at["reason"]].strip():
            raise InputError(source, "reason is empty: say why the points are subtracted",
                             row=row, column="reason")
        out[unit] = out.get(unit, 0.0) + value
    return out
