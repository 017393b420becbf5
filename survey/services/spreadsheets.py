"""Reading an uploaded spreadsheet (CSV or XLSX) into numbered rows.

Offices and respondent lists arrive as the spreadsheets people keep: CSV
saved by Excel (comma or semicolon separated, UTF-8 or Windows-1252) or an
XLSX workbook (its first sheet, read with openpyxl in read-only mode). Row
numbers are those a spreadsheet program shows: the header is row 1.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

#: A larger file is refused as a whole, before any row is checked.
MAX_ROWS = 50_000


class SpreadsheetError(ValueError):
    """The file as a whole cannot be read (one line: what is wrong)."""


@dataclass(frozen=True)
class Row:
    """One data row: its number as a spreadsheet shows it, and its cells by
    canonical column name (stripped text; empty cells are "")."""

    number: int
    cells: dict[str, str]


@dataclass
class Table:
    rows: list[Row]
    present: set[str] = field(default_factory=set)  # canonical names of the columns found
    ignored_columns: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    """What an import of a spreadsheet found and did: the refused rows, and
    counts the importer fills in."""

    problems: list[RowProblem] = field(default_factory=list)
    rows: int = 0
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class RowProblem:
    """Why one row cannot be imported: a code (:func:`survey.i18n.problem_text`
    words it), the column, and the value at fault."""

    row: int
    code: str
    column: str | None = None
    value: str | None = None


def _header_key(text: str) -> str:
    return re.sub(r"[\s\-]+", "_", text.strip().lstrip("\ufeff").lower())


def read_table(data: bytes, filename: str, *, columns: Mapping[str, Iterable[str]],
               required: Iterable[str], extra: re.Pattern[str] | None = None) -> Table:
    """The rows of an uploaded file.

    ``columns`` maps each canonical column name to the headers accepted for
    it (English and Indonesian); ``extra`` matches further headers kept
    under their own (normalised) name, such as ``population_internal``.
    Other columns are ignored and listed in :attr:`Table.ignored_columns`.

    Raises
    ------
    SpreadsheetError
        Not CSV or XLSX, unreadable, no header, a required column missing,
        or more than :data:`MAX_ROWS` rows.
    """
    if not data:
        raise SpreadsheetError(_l("the file is empty"))
    is_xlsx = data[:4] == b"PK\x03\x04" or filename.lower().endswith((".xlsx", ".xlsm"))
    records = _xlsx_records(data) if is_xlsx else _csv_records(data)
    try:
        header = next(records)
    except StopIteration:
        raise SpreadsheetError(_l("the file has no header row")) from None
    aliases = {_header_key(alias): name for name, names in columns.items()
               for alias in (name, *names)}
    positions: dict[str, int] = {}
    ignored = []
    for index, title in enumerate(header):
        key = _header_key(title)
        if not key:
            continue
        name = aliases.get(key) or (key if extra is not None and extra.fullmatch(key) else None)
        if name is None:
            ignored.append(title.strip())
        elif name in positions:
            raise SpreadsheetError(_l("column %(column)s appears twice in the header",
                                      column=title.strip()))
        else:
            positions[name] = index
    missing = [name for name in required if name not in positions]
    if missing:
        raise SpreadsheetError(_l("the header (row 1) lacks %(missing)s; expected the columns "
                                  "%(expected)s", missing=", ".join(missing),
                                  expected=", ".join(columns)))
    rows = []
    for number, record in enumerate(records, start=2):
        if not any(cell.strip() for cell in record):
            continue
        if len(rows) >= MAX_ROWS:
            raise SpreadsheetError(_l("the file has more than %(rows)s rows; split it",
                                      rows=f"{MAX_ROWS:,}"))
        rows.append(Row(number, {name: (record[i].strip() if i < len(record) else "")
                                 for name, i in positions.items()}))
    return Table(rows, set(positions), ignored)


def _csv_records(data: bytes):
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # cp1252 decodes nearly anything; this is for the few bytes it does not
        raise SpreadsheetError(_l("the file is neither CSV (UTF-8 or Windows-1252) nor XLSX"))
    if "\x00" in text:
        raise SpreadsheetError(_l("the file is neither CSV nor XLSX (it holds binary data)"))
    first = text.split("\n", 1)[0]
    # Excel in Indonesian saves CSV with semicolons (the comma is the decimal mark).
    delimiter = max((",", ";", "\t"), key=first.count)
    try:
        yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    except csv.Error as exc:
        raise SpreadsheetError(_l("the CSV file cannot be read: %(reason)s",
                                  reason=str(exc))) from None


def _xlsx_records(data: bytes):
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise SpreadsheetError(_l("the file cannot be read as XLSX (%(reason)s); save it as "
                                  ".xlsx or .csv", reason=type(exc).__name__)) from None
    try:
        sheet = workbook.worksheets[0]
        for values in sheet.iter_rows(values_only=True):
            yield [_cell_text(v) for v in values]
    finally:
        workbook.close()


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))   # a phone number or a count typed into a number cell
    return str(value)
