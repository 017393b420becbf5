"""Staff accounts: creation, sign-in, and which units a person may see."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from survey.models import AuditEntry, Campaign, Institution, Role, StaffUser, Unit
from survey.models.base import utcnow


class StaffError(ValueError):
    """A staff account request that cannot be carried out (one-line message)."""


def generate_password() -> str:
    """A password to print once: 16 URL-safe characters (96 bits)."""
    return secrets.token_urlsafe(12)


def create_user(
    session: Session,
    *,
    email: str,
    name: str,
    role: Role | str,
    password: str,
    unit_code: str | None = None,
    institution_code: str | None = None,
) -> StaffUser:
    """Create a staff account.

    Unit codes are unique within an institution; ``institution_code`` says
    which one when several institutions use the same code.

    Raises
    ------
    StaffError
        Duplicate email, a unit manager without a unit, an unknown or
        ambiguous unit code, or a password shorter than 10 characters.
    """
    email = email.strip().lower()
    try:
        role = Role(role)
    except ValueError:
        raise StaffError(
            f"unknown role {role!r}; choose one of {', '.join(r.value for r in Role)}"
        ) from None
    if "@" not in email:
        raise StaffError(f"{email!r} is not an email address")
    if len(password) < 10:
        raise StaffError("the password must have at least 10 characters")
    if session.scalar(select(StaffUser).where(func.lower(StaffUser.email) == email)):
        raise StaffError(f"a staff account for {email} already exists")
    unit = None
    if unit_code:
        query = select(Unit).join(Unit.institution).where(Unit.code == unit_code)
        if institution_code:
            query = query.where(Institution.code == institution_code)
        units = session.scalars(query).all()
        if not units:
            where = f" in institution {institution_code!r}" if institution_code else ""
            raise StaffError(f"no unit with code {unit_code!r}{where}")
        if len(units) > 1:
            names = ", ".join(sorted(u.institution.code for u in units))
            raise StaffError(f"unit code {unit_code!r} exists in several institutions "
                             f"({names}); say which with --institution")
        unit = units[0]
    if role == Role.UNIT_MANAGER and unit is None:
        raise StaffError("a unit manager needs --unit, the code of their unit")
    user = StaffUser(email=email, name=name.strip() or email, role=role, unit=unit)
    user.set_password(password)
    session.add(user)
    session.add(AuditEntry(action="staff.create", target=email, detail={"role": role.value}))
    session.commit()
    return user


#: Failed sign-ins per account within the window before further attempts
#: are refused for the rest of it.
MAX_FAILURES = 10
FAILURE_WINDOW = timedelta(minutes=15)

# Checked when the account does not exist, so that a wrong email costs as
# long as a wrong password and timing does not tell which accounts exist.
_DUMMY_HASH = generate_password_hash("no account has this password")


class SignInLocked(Exception):
    """Too many failed sign-ins for this account; try again later."""


def authenticate(session: Session, email: str, password: str) -> StaffUser | None:
    """The active account with this email and password, or None.

    Every attempt is recorded in the audit log. After ``MAX_FAILURES`` failed
    attempts within ``FAILURE_WINDOW``, the account refuses sign-in (even with
    the right password) until the window has passed.

    Raises
    ------
    SignInLocked
        While the account is locked.
    """
    email = email.strip().lower()
    since = utcnow() - FAILURE_WINDOW
    failures = session.scalar(
        select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "staff.login_failed", AuditEntry.target == email[:200],
            AuditEntry.at >= since))
    if failures >= MAX_FAILURES:
        raise SignInLocked(email)
    user = session.scalar(select(StaffUser).where(func.lower(StaffUser.email) == email))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        valid = False
    else:
        valid = user.check_password(password) and user.active
    if not valid:
        session.add(AuditEntry(action="staff.login_failed", target=email[:200]))
        session.commit()
        return None
    user.last_login_at = utcnow()
    session.add(AuditEntry(actor_id=user.id, action="staff.login", target=user.email))
    session.commit()
    return user


def visible_campaigns(session: Session, user: StaffUser) -> list[Campaign]:
    """Campaigns ``user`` may open, newest first: a unit manager sees those
    of their own institution only; inspectorate roles see every one."""
    query = select(Campaign).order_by(Campaign.opens_on.desc(), Campaign.id.desc())
    if user.role == Role.UNIT_MANAGER:
        query = query.where(Campaign.institution_id == user.unit.institution_id)
    return list(session.scalars(query))


def visible_unit_ids(session: Session, user: StaffUser) -> set[int] | None:
    """The units whose figures ``user`` may see: None means every unit; a
    unit manager sees their unit and the units below it."""
    if user.role != Role.UNIT_MANAGER:
        return None
    allowed, frontier = {user.unit_id}, [user.unit_id]
    while frontier:
        children = session.scalars(select(Unit.id).where(Unit.parent_id.in_(frontier))).all()
        frontier = [c for c in children if c not in allowed]
        allowed.update(frontier)
    return allowed
