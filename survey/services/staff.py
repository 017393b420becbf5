"""Staff accounts: creation, sign-in, and which units a person may see."""

from __future__ import annotations

import secrets

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from survey.models import AuditEntry, Role, StaffUser, Unit
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
) -> StaffUser:
    """Create a staff account.

    Raises
    ------
    StaffError
        Duplicate email, a unit manager without a unit, an unknown unit code,
        or a password shorter than 10 characters.
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
        unit = session.scalar(select(Unit).where(Unit.code == unit_code))
        if unit is None:
            raise StaffError(f"no unit with code {unit_code!r}")
    if role == Role.UNIT_MANAGER and unit is None:
        raise StaffError("a unit manager needs --unit, the code of their unit")
    user = StaffUser(email=email, name=name.strip() or email, role=role, unit=unit)
    user.set_password(password)
    session.add(user)
    session.add(AuditEntry(action="staff.create", target=email, detail={"role": role.value}))
    session.commit()
    return user


def authenticate(session: Session, email: str, password: str) -> StaffUser | None:
    """The active account with this email and password, or None. Records the
    sign-in in the audit log."""
    user = session.scalar(
        select(StaffUser).where(func.lower(StaffUser.email) == email.strip().lower())
    )
    if user is None or not user.active or not user.check_password(password):
        return None
    user.last_login_at = utcnow()
    session.add(AuditEntry(actor_id=user.id, action="staff.login", target=user.email))
    session.commit()
    return user


def visible_unit_ids(session: Session, user: StaffUser) -> set[int] | None:
    """The units whose figures ``user`` may see: None means every unit; a
    unit manager sees their unit and the units below it."""
    if user.role != Role.UNIT_MANAGER:
        return None
    if user.unit_id is None:
        return set()
    allowed, frontier = {user.unit_id}, [user.unit_id]
    while frontier:
        children = session.scalars(select(Unit.id).where(Unit.parent_id.in_(frontier))).all()
        frontier = [c for c in children if c not in allowed]
        allowed.update(frontier)
    return allowed
