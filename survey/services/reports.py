"""Citizen reports: filing one, following it with its tracking code, and
the inspectorate's triage.

A report is anonymous. The reporter keeps a tracking code (16 Crockford
base32 characters in four groups, 80 random bits: ``7KQ4-M9XD-2HPT-W8RE``)
that is easy to read aloud and to type on a phone: no I, L, O or U, and
those letters typed by mistake are read as 1, 1, 0 and V. The database
keeps only its SHA-256. Contact details are kept only when the reporter
asks to be contacted.

Who sees a report: staff holding ``VIEW_REPORTS`` (inspectors, auditors)
of the report's institution, except staff who belong to the office the
report is about (the head of an office can be the one reported). Unit
managers hold only ``VIEW_REPORT_COUNTS`` and see counts
(:func:`counts_by_office`). Reports are never read by the scoring.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from survey.models import (
    Campaign,
    CitizenReport,
    ReportCategory,
    ReportPhoto,
    ReportStatus,
    ReportStep,
    StaffUser,
    Unit,
)

from . import audit, photos, staff
from .tokens import token_hash

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32
CODE_GROUPS, GROUP_SIZE = 4, 4
#: Letters people type for the digits and letters they resemble.
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})
MAX_DESCRIPTION = 5000
MIN_DESCRIPTION = 20
MAX_CONTACT = 200
MAX_NOTE = 2000
MAX_FORWARDED_TO = 200
#: A report about something more than this long ago is refused as a typo.
MAX_AGE_DAYS = 5 * 366
MAX_AMOUNT = 1_000_000_000_000  # a trillion rupiah

#: Triage: where a report may go from each status.
TRANSITIONS: dict[ReportStatus, tuple[ReportStatus, ...]] = {
    ReportStatus.RECEIVED: (ReportStatus.IN_REVIEW, ReportStatus.CLOSED),
    ReportStatus.IN_REVIEW: (ReportStatus.FORWARDED, ReportStatus.VERIFIED, ReportStatus.CLOSED),
    ReportStatus.FORWARDED: (ReportStatus.VERIFIED, ReportStatus.CLOSED),
    ReportStatus.VERIFIED: (ReportStatus.FORWARDED, ReportStatus.CLOSED),
    ReportStatus.CLOSED: (ReportStatus.IN_REVIEW,),  # reopened
}


class ReportError(ValueError):
    """A report or a triage step that cannot be saved; ``field`` names the
    form field, the message says what is wrong."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


# -- tracking codes -----------------------------------------------------------


def new_tracking_code() -> str:
    """A fresh code: four groups of four Crockford base32 characters."""
    chars = "".join(secrets.choice(ALPHABET) for _ in range(CODE_GROUPS * GROUP_SIZE))
    return "-".join(chars[i:i + GROUP_SIZE] for i in range(0, len(chars), GROUP_SIZE))


def normalise_code(text: str) -> str | None:
    """The code as issued, from what a person typed (any case, spaces or
    dashes anywhere, O for 0, I or L for 1, U for V), or None if it cannot
    be one."""
    raw = "".join(ch for ch in text.upper() if ch not in " -\t").translate(_LOOKALIKES)
    if len(raw) != CODE_GROUPS * GROUP_SIZE or any(ch not in ALPHABET for ch in raw):
        return None
    return "-".join(raw[i:i + GROUP_SIZE] for i in range(0, len(raw), GROUP_SIZE))


def find_by_code(session: Session, text: str) -> CitizenReport | None:
    """The report a tracking code (as typed) belongs to, or None."""
    code = normalise_code(text)
    if code is None:
        return None
    return session.scalar(select(CitizenReport)
                          .where(CitizenReport.tracking_hash == token_hash(code)))


# -- filing -------------------------------------------------------------------


@dataclass(frozen=True)
class NewReport:
    """What a citizen filled in, as read from the form."""

    unit_id: int | None
    category: str | None
    occurred_on: date | None
    amount: str  # as typed: "1.500.000", "Rp 200000", or empty
    description: str
    wants_contact: bool = False
    contact: str = ""
    photo: bytes | None = None
    campaign_id: int | None = None


def reportable_units(session: Session) -> list[Unit]:
    """The offices a citizen may report about: every active office, by
    institution and name."""
    return list(session.scalars(
        select(Unit).where(Unit.active.is_(True)).join(Unit.institution)
        .order_by(Unit.institution_id, Unit.name)))


def parse_amount(text: str) -> int | None:
    """Rupiah as people write them: ``Rp 1.500.000``, ``1500000``,
    ``1,500,000`` (thousands separators; no decimals). Empty: None.

    Raises
    ------
    ReportError
        Not a whole number of rupiah, or more than a trillion.
    """
    raw = text.strip().lower().removeprefix("rp").strip().rstrip(",-").strip()
    if not raw:
        return None
    digits = raw.replace(".", "").replace(",", "").replace(" ", "")
    if not digits.isdigit() or not digits.isascii():
        raise ReportError("amount", _l("Write the amount in rupiah as a number, e.g. 150000 "
                                       "or 150.000, or leave it empty."))
    value = int(digits)
    if value > MAX_AMOUNT:
        raise ReportError("amount", _l("The amount is more than a trillion rupiah; check it."))
    return value


def validate(session: Session, new: NewReport, *, today: date
             ) -> tuple[Unit, ReportCategory, int | None, str | None]:
    """Check a new report; the office, category, amount and contact to keep.

    Raises
    ------
    ReportError
        For the first field that is wrong.
    """
    unit = session.get(Unit, new.unit_id) if new.unit_id else None
    if unit is None or not unit.active:
        raise ReportError("unit", _l("Choose the office the report is about."))
    try:
        category = ReportCategory(new.category or "")
    except ValueError:
        raise ReportError("category", _l("Choose what happened.")) from None
    if new.occurred_on is None:
        raise ReportError("occurred_on", _l("Give the date it happened (an estimate is fine)."))
    if new.occurred_on > today:
        raise ReportError("occurred_on", _l("The date is in the future."))
    if new.occurred_on < today - timedelta(days=MAX_AGE_DAYS):
        raise ReportError("occurred_on", _l("The date is more than five years ago; check it."))
    amount = parse_amount(new.amount)
    description = new.description.strip()
    if len(description) < MIN_DESCRIPTION:
        raise ReportError("description", _l("Describe what happened in at least 20 characters: "
                                            "who, where, what was asked."))
    if len(description) > MAX_DESCRIPTION:
        raise ReportError("description", _l("The description is longer than 5000 characters."))
    contact = None
    if new.wants_contact:
        contact = new.contact.strip()
        if not contact:
            raise ReportError("contact", _l("Give a phone number or email address to be "
                                            "contacted at, or untick the box."))
        if len(contact) > MAX_CONTACT:
            raise ReportError("contact", _l("The contact details are longer than 200 "
                                            "characters."))
    return unit, category, amount, contact


def file_report(session: Session, new: NewReport, *, today: date) -> tuple[CitizenReport, str]:
    """Store a report; returns it and its tracking code (shown once).

    The photo, if any, is re-encoded without metadata
    (:func:`survey.services.photos.clean`) before anything is stored.

    Raises
    ------
    ReportError
        A field is wrong (the photo's field is ``photo``); nothing is stored.
    """
    unit, category, amount, contact = validate(session, new, today=today)
    photo = None
    if new.photo:
        try:
            photo = photos.clean(new.photo)
        except photos.PhotoError as error:
            raise ReportError("photo", str(error)) from None
    campaign = session.get(Campaign, new.campaign_id) if new.campaign_id else None
    if campaign is not None and campaign.institution_id != unit.institution_id:
        campaign = None
    code = new_tracking_code()
    report = CitizenReport(
        tracking_hash=token_hash(code), unit=unit, campaign=campaign, category=category,
        description=new.description.strip(), occurred_on=new.occurred_on,
        amount_requested=amount, wants_contact=contact is not None, contact=contact,
        status=ReportStatus.RECEIVED, received_on=today)
    if photo is not None:
        report.photo = ReportPhoto(media_type=photo.media_type, width=photo.width,
                                   height=photo.height, data=photo.data)
    session.add(report)
    session.commit()
    return report, code


# -- reading, for staff --------------------------------------------------------


def _visible(user: StaffUser):
    """The reports ``user`` may read, as a query: their institution's (every
    one for a platform administrator), never those about their own office."""
    query = select(CitizenReport).join(CitizenReport.unit)
    if user.institution_id is not None:
        query = query.where(Unit.institution_id == user.institution_id)
    if user.unit_id is not None:
        query = query.where(CitizenReport.unit_id != user.unit_id)
    return query


def visible_reports(session: Session, user: StaffUser, *, status: ReportStatus | None = None,
                    unit_id: int | None = None, page: int = 1, per_page: int = 50
                    ) -> tuple[list[CitizenReport], int]:
    """A page of the reports ``user`` may read, newest first, and the number
    of pages; optionally of one status or one office."""
    query = _visible(user)
    if status is not None:
        query = query.where(CitizenReport.status == status)
    if unit_id is not None:
        query = query.where(CitizenReport.unit_id == unit_id)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    rows = session.scalars(query.order_by(CitizenReport.received_on.desc(),
                                          CitizenReport.id.desc())
                           .offset((page - 1) * per_page).limit(per_page))
    return list(rows), pages


def report_for(session: Session, user: StaffUser, report_id: int) -> CitizenReport | None:
    """The report, if ``user`` may read it (else None: answer 404)."""
    return session.scalar(_visible(user).where(CitizenReport.id == report_id))


def counts_by_office(session: Session, unit_ids: Iterable[int] | None = None, *,
                     institution_id: int | None = None, since: date | None = None,
                     until: date | None = None) -> dict[int, dict[str, int]]:
    """How many reports each office received, by category:
    ``{unit_id: {category: n}}`` (offices without reports are absent).

    Narrowed to ``unit_ids``, to one institution, and to reports received
    from ``since`` to ``until`` (inclusive) when given. Counts only: safe
    to show to a head of office about their own office.
    """
    query = (select(CitizenReport.unit_id, CitizenReport.category, func.count())
             .group_by(CitizenReport.unit_id, CitizenReport.category))
    if unit_ids is not None:
        query = query.where(CitizenReport.unit_id.in_(list(unit_ids)))
    if institution_id is not None:
        query = query.join(CitizenReport.unit).where(Unit.institution_id == institution_id)
    if since is not None:
        query = query.where(CitizenReport.received_on >= since)
    if until is not None:
        query = query.where(CitizenReport.received_on <= until)
    counts: dict[int, dict[str, int]] = {}
    for unit_id, category, n in session.execute(query):
        counts.setdefault(unit_id, {})[str(getattr(category, "value", category))] = n
    return counts


def counts_for(session: Session, user: StaffUser) -> list[tuple[Unit, dict[str, int]]]:
    """Counts per office and category within the offices ``user`` may see
    (a head of office: their office and those below it), by office name."""
    counts = counts_by_office(session, staff.visible_unit_ids(session, user),
                              institution_id=user.institution_id)
    units = session.scalars(select(Unit).where(Unit.id.in_(list(counts))).order_by(Unit.name))
    return [(unit, counts[unit.id]) for unit in units]


# -- triage ----------------------------------------------------------------------


def change_status(session: Session, report: CitizenReport, to: ReportStatus | str, *,
                  note: str, actor: StaffUser, public_reply: str = "",
                  forwarded_to: str = "") -> ReportStep:
    """Move a report one triage step, with the inspector's note (kept
    internal), an optional public reply (shown to the reporter from now on)
    and, when forwarding, the body it goes to. Audit-logged.

    Raises
    ------
    ReportError
        A step the report's status does not allow, no note, or forwarding
        without saying to whom.
    """
    try:
        to = ReportStatus(to)
    except ValueError:
        raise ReportError("status", _l("Choose the next status.")) from None
    if to not in TRANSITIONS[report.status]:
        raise ReportError("status", _l("This step is not possible from the report's "
                                       "current status."))
    note, public_reply, forwarded_to = note.strip(), public_reply.strip(), forwarded_to.strip()
    if not note:
        raise ReportError("note", _l("Write a note on what was done or decided."))
    if len(note) > MAX_NOTE or len(public_reply) > MAX_NOTE:
        raise ReportError("note", _l("A note or reply is longer than 2000 characters."))
    if to == ReportStatus.FORWARDED and not forwarded_to:
        raise ReportError("forwarded_to", _l("Say to whom the report is forwarded."))
    if len(forwarded_to) > MAX_FORWARDED_TO:
        raise ReportError("forwarded_to", _l("The name is longer than 200 characters."))
    step = ReportStep(report=report, from_status=report.status, to_status=to, note=note,
                      public_reply=public_reply or None,
                      forwarded_to=forwarded_to if to == ReportStatus.FORWARDED else None,
                      actor_id=actor.id)
    session.add(step)
    report.status = to
    if to == ReportStatus.FORWARDED:
        report.forwarded_to = forwarded_to
    if public_reply:
        report.status_note = public_reply
    detail = {"from": step.from_status.value, "to": to.value}
    if step.forwarded_to:
        detail["forwarded_to"] = step.forwarded_to
    # The note and the report's content stay out of the log: administrators
    # read the log, and only inspectors may read reports.
    audit.record(session, "report.status", actor=actor, target=f"report {report.id}",
                 detail=detail, institution_id=report.unit.institution_id)
    session.commit()
    return step
