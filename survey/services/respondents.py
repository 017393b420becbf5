"""A campaign's respondent list: import from a spreadsheet, phone numbers
and email addresses made uniform, and the optional random draw of a sample.

A list file has the columns ``unit, group, name, phone, email`` (Indonesian
headers ``unit, kelompok, nama, telepon, email`` too): the office code, the
respondent group, an optional name (never needed by the platform), and a
phone number and/or an email address. Phone numbers are read as Indonesian
(``0812…``, ``+62 812-…``, ``62812…``, ``(0812) …``) and stored in E.164
(``+62812…``). The whole file is checked first; nothing is imported until
every row is clean, unless the caller asks for the valid rows only.
"""

from __future__ import annotations

import math
import random
import re
import secrets
from dataclasses import dataclass

import phonenumbers
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from survey.models import Campaign, Invitation, ListEntry, StaffUser, Unit

from . import audit, done
from .spreadsheets import ImportReport, RowProblem, SpreadsheetError, read_table

COLUMNS = {
    "unit": ("kode_unit", "unit_code", "kantor", "office"),
    "group": ("kelompok", "respondent_group", "kelompok_responden"),
    "name": ("nama",),
    "phone": ("telepon", "telp", "hp", "no_hp", "whatsapp", "wa", "nomor"),
    "email": ("e_mail", "surel"),
}
#: Group names people write, besides the instrument's own keys and labels.
GROUP_ALIASES = {"eksternal": "external", "ahli": "expert", "pakar": "expert",
                 "pegawai": "internal", "pengguna_layanan": "external"}
REGION = "ID"
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]{2,}")
_MOBILE = {phonenumbers.PhoneNumberType.MOBILE,
           phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}


class ListError(ValueError):
    """A list operation that cannot be carried out (one-line message)."""


def normalise_phone(text: str) -> str:
    """A mobile number in E.164 (``+6281234567890``), read as Indonesian
    unless it starts with ``+``.

    Raises
    ------
    ValueError
        ``bad_phone`` (not a phone number) or ``not_mobile`` (a landline:
        WhatsApp needs a mobile number).
    """
    try:
        number = phonenumbers.parse(text, REGION)
    except phonenumbers.NumberParseException:
        raise ValueError("bad_phone") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("bad_phone")
    if phonenumbers.number_type(number) not in _MOBILE:
        raise ValueError("not_mobile")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(text: str) -> str:
    """The address, trimmed and in lower case.

    Raises
    ------
    ValueError
        ``bad_email``.
    """
    value = text.strip().lower()
    if len(value) > 254 or not _EMAIL.fullmatch(value):
        raise ValueError("bad_email")
    return value


@dataclass
class ListImport(ImportReport):
    """What a list import found and did."""

    imported: int = 0
    invited: int = 0


def _group_names(campaign: Campaign) -> dict[str, str]:
    instrument = campaign.instrument_version.instrument
    names: dict[str, str] = {}
    for key, group in instrument.groups.items():
        names[key.lower()] = key
        for label in (group.label or {}).values():
            names[label.strip().lower()] = key
    for alias, key in GROUP_ALIASES.items():
        if key in instrument.groups:
            names.setdefault(alias, key)
    return names


def import_list(session: Session, campaign: Campaign, data: bytes, filename: str, *,
                only_valid: bool = False, actor: StaffUser | None = None,
                commit: bool = True) -> ListImport:
    """Check the whole file, then add its people to the campaign's list:
    all of them if every row is clean, the clean rows if ``only_valid``,
    else nobody.

    Raises
    ------
    SpreadsheetError
        When the file as a whole cannot be read.
    ListError
        When the campaign is closed.
    """
    if campaign.status == "closed":
        raise ListError(_l("the campaign is closed; its list can no longer change"))
    table = read_table(data, filename, columns=COLUMNS, required=("unit", "group"))
    if not {"phone", "email"} & table.present:
        raise SpreadsheetError(_l("the header (row 1) needs a phone column, an email column or "
                               "both; expected unit, group, name, phone, email"))
    if not table.rows:
        raise SpreadsheetError(_l("the file has a header but nobody on it"))
    report = ListImport(rows=len(table.rows), ignored_columns=table.ignored_columns)
    units = {u.code: u for u in session.scalars(select(Unit).where(
        Unit.institution_id == campaign.institution_id, Unit.active.is_(True)))}
    groups = _group_names(campaign)
    taken_phones = set(session.scalars(select(ListEntry.phone).where(
        ListEntry.campaign_id == campaign.id, ListEntry.phone.is_not(None))))
    taken_emails = set(session.scalars(select(ListEntry.email).where(
        ListEntry.campaign_id == campaign.id, ListEntry.email.is_not(None))))
    in_file: dict[str, int] = {}
    entries = []
    for row in table.rows:
        cells = row.cells
        problems = []
        unit = units.get(cells["unit"])
        if not cells["unit"]:
            problems.append(RowProblem(row.number, "empty_unit", "unit"))
        elif unit is None:
            problems.append(RowProblem(row.number, "unknown_unit", "unit", cells["unit"]))
        group = groups.get(cells["group"].strip().lower())
        if group is None:
            problems.append(RowProblem(row.number, "unknown_group", "group", cells["group"]))
        phone = email = None
        if cells.get("phone"):
            try:
                phone = normalise_phone(cells["phone"])
            except ValueError as exc:
                problems.append(RowProblem(row.number, str(exc), "phone", cells["phone"]))
        if cells.get("email"):
            try:
                email = normalise_email(cells["email"])
            except ValueError as exc:
                problems.append(RowProblem(row.number, str(exc), "email", cells["email"]))
        if not cells.get("phone") and not cells.get("email"):
            problems.append(RowProblem(row.number, "no_contact", "phone"))
        name = cells.get("name") or None
        if name and len(name) > 200:
            problems.append(RowProblem(row.number, "too_long", "name", name[:40] + "…"))
        for column, value, taken in (("phone", phone, taken_phones),
                                     ("email", email, taken_emails)):
            if value is None:
                continue
            if value in taken:
                problems.append(RowProblem(row.number, "duplicate_in_campaign", column, value))
            elif (column, value) in in_file:
                problems.append(RowProblem(row.number, "duplicate_in_file", column,
                                           str(in_file[(column, value)])))
        for column, value in (("phone", phone), ("email", email)):
            if value is not None:
                in_file.setdefault((column, value), row.number)
        if problems:
            report.problems.extend(problems)
        else:
            entries.append(ListEntry(campaign_id=campaign.id, unit_id=unit.id,
                                     respondent_group=group, name=name, phone=phone,
                                     email=email, in_sample=True))
    if report.problems and not only_valid:
        return report   # nothing is written until the whole file is clean
    session.add_all(entries)
    session.flush()
    report.imported = len(entries)
    audit.record(session, "list.import", actor=actor, target=f"campaign {campaign.id}",
                 detail={"file": filename[:100], "imported": report.imported,
                         "refused_rows": len({p.row for p in report.problems})},
                 institution_id=campaign.institution_id)
    done(session, commit)
    return report


# -- the random draw ------------------------------------------------------------


def draw_sample(session: Session, campaign: Campaign, sizes: dict[tuple[int, str], int], *,
                seed: int | None = None, actor: StaffUser | None = None,
                commit: bool = True) -> int:
    """Draw, per office and group, ``sizes[(unit_id, group)]`` people at
    random from the list; the others get no invitation. Reproducible: the
    same list and ``seed`` give the same people (each stratum is drawn with
    its own generator, seeded with the seed and the stratum, from the list
    sorted by phone and email). The seed is kept on the campaign and shown.

    Strata not in ``sizes`` keep everybody. Returns the seed.

    Raises
    ------
    ListError
        When invitations exist already (draw before inviting) or the list is
        empty.
    """
    if session.scalar(select(func.count()).select_from(Invitation)
                      .where(Invitation.campaign_id == campaign.id)):
        raise ListError(_l("invitations exist already; a sample is drawn before inviting"))
    entries = list(session.scalars(select(ListEntry).where(
        ListEntry.campaign_id == campaign.id)))
    if not entries:
        raise ListError(_l("the list is empty; import it first"))
    seed = secrets.randbelow(2**31) if seed is None else int(seed)
    codes = dict(session.execute(select(Unit.id, Unit.code).where(
        Unit.institution_id == campaign.institution_id)).all())
    strata: dict[tuple[int, str], list[ListEntry]] = {}
    for entry in entries:
        strata.setdefault((entry.unit_id, entry.respondent_group), []).append(entry)
    chosen_total = 0
    for key, people in strata.items():
        people.sort(key=lambda e: (e.phone or "", e.email or ""))
        size = sizes.get(key)
        if size is None or size >= len(people):
            chosen = set(map(id, people))
        else:
            generator = random.Random(f"{seed}/{codes[key[0]]}/{key[1]}")  # noqa: S311 - a
            # reproducible sample, not a secret
            chosen = set(map(id, generator.sample(people, max(0, size))))
        for entry in people:
            entry.in_sample = id(entry) in chosen
        chosen_total += len(chosen)
    campaign.sample_seed = seed
    session.flush()
    audit.record(session, "list.draw", actor=actor, target=f"campaign {campaign.id}",
                 detail={"seed": seed, "drawn": chosen_total, "listed": len(entries)},
                 institution_id=campaign.institution_id)
    done(session, commit)
    return seed


def undo_draw(session: Session, campaign: Campaign, *, actor: StaffUser | None = None,
              commit: bool = True) -> None:
    """Put everybody back in the sample (before inviting)."""
    if session.scalar(select(func.count()).select_from(Invitation)
                      .where(Invitation.campaign_id == campaign.id)):
        raise ListError(_l("invitations exist already; the sample can no longer change"))
    for entry in session.scalars(select(ListEntry).where(ListEntry.campaign_id == campaign.id)):
        entry.in_sample = True
    campaign.sample_seed = None
    session.flush()
    audit.record(session, "list.undraw", actor=actor, target=f"campaign {campaign.id}",
                 institution_id=campaign.institution_id)
    done(session, commit)


def invite_count(recommended: int, response_rate: float, listed: int) -> int:
    """How many to invite for ``recommended`` answers at ``response_rate``,
    at most everybody listed."""
    return min(listed, math.ceil(recommended / response_rate)) if response_rate > 0 else listed
