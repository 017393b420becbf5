"""An institution's offices: import from a spreadsheet, edit one by one.

An import file has the columns ``code, name, parent_code`` (Indonesian
headers ``kode, nama, kode_induk`` too) and optionally one population
column per respondent group (``population_internal``,
``populasi_external``...): how many people the office has in that group,
the N of the finite population correction. Offices already there (by
code) are updated, new ones added; offices missing from the file are left
as they are. The whole file is checked first; nothing is written unless
every row is clean.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey.models import Institution, StaffUser, Unit, UnitPopulation

from . import audit, done
from .spreadsheets import ImportReport, RowProblem, SpreadsheetError, read_table

COLUMNS = {
    "code": ("kode", "kode_unit", "unit_code"),
    "name": ("nama", "nama_unit", "unit_name"),
    "parent_code": ("parent", "kode_induk", "induk"),
}
_POPULATION = re.compile(r"(?:population|populasi)_([a-z][a-z0-9_]{0,39})")
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")


class UnitError(ValueError):
    """A change to offices that cannot be made (one-line message)."""


@dataclass
class UnitImport(ImportReport):
    """What an import of offices found and did."""

    created: int = 0
    updated: int = 0


@dataclass(frozen=True)
class _Spec:
    row: int
    code: str
    name: str
    parent_code: str | None
    populations: dict[str, int]


def institution(session: Session, code: str, *, name: str | None = None,
                actor: StaffUser | None = None, commit: bool = True) -> Institution:
    """The institution with ``code``, created (named ``name``, else the
    code) if it does not exist."""
    code = code.strip()
    if not _CODE.fullmatch(code):
        raise UnitError(_l("%(code)s is not an institution code (letters, digits, . _ -; "
                           "at most 40)", code=code))
    found = session.scalar(select(Institution).where(Institution.code == code))
    if found is not None:
        return found
    found = Institution(code=code, name=(name or code).strip()[:200])
    session.add(found)
    session.flush()
    audit.record(session, "institution.create", actor=actor, target=f"institution {code}",
                 institution_id=found.id)
    done(session, commit)
    return found


def import_units(session: Session, target: Institution, data: bytes, filename: str, *,
                 actor: StaffUser | None = None, commit: bool = True) -> UnitImport:
    """Check the whole file, then (only if every row is clean) create and
    update the institution's offices. See the module docstring.

    Raises
    ------
    SpreadsheetError
        When the file as a whole cannot be read.
    """
    table = read_table(data, filename, columns=COLUMNS, required=("code", "name"),
                       extra=_POPULATION)
    report = UnitImport(rows=len(table.rows), ignored_columns=table.ignored_columns)
    existing = {u.code: u for u in session.scalars(
        select(Unit).where(Unit.institution_id == target.id))}
    specs = _check_rows(table.rows, existing, report.problems)
    if not specs and not report.problems:
        raise SpreadsheetError(_l("the file has a header but no office"))
    if report.problems:
        return report   # nothing is written until the whole file is clean

    by_code = dict(existing)
    for spec in specs:
        unit = by_code.get(spec.code)
        if unit is None:
            unit = Unit(institution=target, code=spec.code, name=spec.name)
            session.add(unit)
            by_code[spec.code] = unit
            report.created += 1
        else:
            unit.name = spec.name
            report.updated += 1
    for spec in specs:
        unit = by_code[spec.code]
        unit.parent = by_code[spec.parent_code] if spec.parent_code else None
        _set_populations(unit, spec.populations)
    session.flush()
    audit.record(session, "units.import", actor=actor, target=f"institution {target.code}",
                 detail={"file": filename[:100], "created": report.created,
                         "updated": report.updated}, institution_id=target.id)
    done(session, commit)
    return report


def _check_rows(rows, existing: dict[str, Unit], problems: list[RowProblem]) -> list[_Spec]:
    specs: list[_Spec] = []
    seen: dict[str, int] = {}
    for row in rows:
        cells = row.cells
        code, name = cells["code"], cells["name"]
        parent = cells.get("parent_code", "") or None
        bad = len(problems)
        if not code:
            problems.append(RowProblem(row.number, "empty_code", "code"))
        elif not _CODE.fullmatch(code):
            problems.append(RowProblem(row.number, "bad_code", "code", code))
        elif code in seen:
            problems.append(RowProblem(row.number, "duplicate_code", "code", code))
        if not name:
            problems.append(RowProblem(row.number, "empty_name", "name"))
        elif len(name) > 200:
            problems.append(RowProblem(row.number, "too_long", "name", name[:40] + "…"))
        populations = {}
        for column, value in cells.items():
            found = _POPULATION.fullmatch(column)
            if not found or value == "":
                continue
            try:
                number = int(value)
            except ValueError:
                number = 0
            if number < 1:
                problems.append(RowProblem(row.number, "bad_population", column, value))
            else:
                populations[found.group(1)] = number
        if code and code not in seen:
            seen[code] = row.number
        if len(problems) == bad:
            specs.append(_Spec(row.number, code, name, parent, populations))

    known = set(existing) | set(seen)
    parents = {code: (u.parent.code if u.parent else None) for code, u in existing.items()}
    for spec in specs:
        parents[spec.code] = spec.parent_code
    clean = []
    for spec in specs:
        if spec.parent_code and spec.parent_code not in known:
            problems.append(RowProblem(spec.row, "unknown_parent", "parent_code",
                                       spec.parent_code))
        elif spec.parent_code and _in_cycle(spec.code, parents):
            problems.append(RowProblem(spec.row, "cycle", "parent_code", spec.parent_code))
        else:
            clean.append(spec)
    problems.sort(key=lambda p: p.row)
    return clean


def _in_cycle(code: str, parents: dict[str, str | None]) -> bool:
    """Whether following parents from ``code`` comes back to it."""
    seen = set()
    current = parents.get(code)
    while current is not None and current not in seen:
        if current == code:
            return True
        seen.add(current)
        current = parents.get(current)
    return False


def _set_populations(unit: Unit, populations: dict[str, int]) -> None:
    current = {p.respondent_group: p for p in unit.populations}
    for group, number in populations.items():
        if group in current:
            current[group].population = number
        else:
            unit.populations.append(UnitPopulation(respondent_group=group, population=number))


def update_unit(session: Session, unit: Unit, *, name: str, parent: Unit | None,
                active: bool, populations: dict[str, int | None],
                actor: StaffUser | None = None, commit: bool = True) -> Unit:
    """Change one office: its name, parent, whether it is surveyed, and its
    populations (None removes a group's figure).

    Raises
    ------
    UnitError
        An empty name, a parent of another institution, or a parent that is
        the office itself or below it.
    """
    name = name.strip()
    if not name:
        raise UnitError(_l("the name is empty"))
    if parent is not None:
        if parent.institution_id != unit.institution_id:
            raise UnitError(_l("the parent office belongs to another institution"))
        walker: Unit | None = parent
        while walker is not None:
            if walker.id == unit.id:
                raise UnitError(_l("an office cannot be placed under itself or its sub-offices"))
            walker = walker.parent
    for group, number in populations.items():
        if number is not None and number < 1:
            raise UnitError(_l("the population of %(group)s must be a whole number of at "
                               "least 1", group=group))
    before = {"name": unit.name, "parent": unit.parent.code if unit.parent else None,
              "active": unit.active}
    unit.name = name[:200]
    unit.parent = parent
    unit.active = active
    _set_populations(unit, {g: n for g, n in populations.items() if n is not None})
    for row in list(unit.populations):
        if row.respondent_group in populations and populations[row.respondent_group] is None:
            unit.populations.remove(row)
    session.flush()
    audit.record(session, "unit.update", actor=actor, target=f"unit {unit.code}",
                 detail={"before": before, "after": {
                     "name": unit.name, "parent": parent.code if parent else None,
                     "active": active}}, institution_id=unit.institution_id)
    done(session, commit)
    return unit


def units_of(session: Session, institution_id: int) -> list[Unit]:
    """The institution's offices, each after its parent (a tree in reading
    order), siblings by code."""
    units = list(session.scalars(select(Unit).where(Unit.institution_id == institution_id)
                                 .order_by(Unit.code)))
    children: dict[int | None, list[Unit]] = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit)
    ordered: list[Unit] = []

    def walk(parent_id):
        for unit in children.get(parent_id, []):
            ordered.append(unit)
            walk(unit.id)

    walk(None)
    return ordered


def depth(unit: Unit) -> int:
    level, walker = 0, unit.parent
    while walker is not None:
        level, walker = level + 1, walker.parent
    return level


def institutions(session: Session) -> list[Institution]:
    return list(session.scalars(select(Institution).order_by(Institution.name)))


#: Respondent groups offered for populations when an office has none yet.
STANDARD_GROUPS = ("internal", "external", "expert")


def population_groups(unit: Unit) -> list[str]:
    return list(dict.fromkeys([*STANDARD_GROUPS, *(p.respondent_group for p in unit.populations)]))
