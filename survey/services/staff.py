"""Staff accounts: creation, sign-in, and which units a person may see."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from survey.models import (
    Campaign,
    Institution,
    PasswordReset,
    Role,
    StaffUser,
    Unit,
)
from survey.models.base import utcnow

from . import audit, done


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
    actor: StaffUser | None = None,
    commit: bool = True,
) -> StaffUser:
    """Create a staff account (``commit=False``: flush only, for a caller
    that commits its own transaction).

    The account belongs to an institution: the unit's, the one named by
    ``institution_code``, or the only one there is. An administrator
    created while no institution exists (a new installation) administers
    the whole platform. Unit codes are unique within an institution;
    ``institution_code`` says which one when several use the same code.

    Raises
    ------
    StaffError
        Duplicate email, a unit manager without a unit, an unknown or
        ambiguous unit or institution, or a password shorter than 10
        characters.
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
    institution = _institution(session, institution_code)
    unit = None
    if unit_code:
        query = select(Unit).join(Unit.institution).where(Unit.code == unit_code)
        if institution is not None:
            query = query.where(Unit.institution_id == institution.id)
        units = session.scalars(query).all()
        if not units:
            where = f" in institution {institution.code!r}" if institution else ""
            raise StaffError(f"no unit with code {unit_code!r}{where}")
        if len(units) > 1:
            names = ", ".join(sorted(u.institution.code for u in units))
            raise StaffError(f"unit code {unit_code!r} exists in several institutions "
                             f"({names}); say which with --institution")
        unit = units[0]
        institution = unit.institution
    if role == Role.UNIT_MANAGER and unit is None:
        raise StaffError("a unit manager needs --unit, the code of their unit")
    if institution is None and role != Role.ADMIN:
        raise StaffError("say which institution the account belongs to with --institution "
                         "(several exist)" if _institution_count(session)
                         else "there is no institution yet: create an administrator, "
                              "who adds the institution and its offices first")
    # A unit named for another role only chose the institution.
    user = StaffUser(email=email, name=name.strip() or email, role=role,
                     unit=unit if role == Role.UNIT_MANAGER else None, institution=institution)
    user.set_password(password)
    session.add(user)
    session.flush()
    audit.record(session, "staff.create", actor=actor, target=email,
                 detail={"role": role.value}, institution_id=user.institution_id)
    done(session, commit)
    return user


def _institution_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Institution))


def _institution(session: Session, code: str | None) -> Institution | None:
    """The named institution; without a name, the only one (or None)."""
    if code:
        found = session.scalar(select(Institution).where(Institution.code == code))
        if found is None:
            raise StaffError(f"no institution with code {code!r}")
        return found
    if _institution_count(session) == 1:
        return session.scalar(select(Institution))
    return None


# Checked when the account does not exist, so that a wrong email costs as
# long as a wrong password and timing does not tell which accounts exist.
_DUMMY_HASH = generate_password_hash("no account has this password")


def authenticate(session: Session, email: str, password: str) -> StaffUser | None:
    """The active account with this email and password, or None.

    Every attempt is recorded in the audit log. How often a client may fail
    is limited by the sign-in page (per client, and per account and client),
    never by locking the account: that would let anyone lock out its owner.
    """
    email = email.strip().lower()
    user = session.scalar(select(StaffUser).where(func.lower(StaffUser.email) == email))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        valid = False
    else:
        valid = user.check_password(password) and user.active
    if not valid:
        audit.record(session, "staff.login_failed", target=email,
                     institution_id=user.institution_id if user else None)
        session.commit()
        return None
    user.last_login_at = utcnow()
    audit.record(session, "staff.login", actor=user, target=user.email)
    session.commit()
    return user


def visible_campaigns(session: Session, user: StaffUser) -> list[Campaign]:
    """Campaigns ``user`` may open, newest first: those of their own
    institution (every institution's for a platform administrator)."""
    query = select(Campaign).order_by(Campaign.opens_on.desc(), Campaign.id.desc())
    if user.institution_id is not None:
        query = query.where(Campaign.institution_id == user.institution_id)
    return list(session.scalars(query))


def visible_unit_ids(session: Session, user: StaffUser) -> set[int] | None:
    """The units whose figures ``user`` may see, within the institutions
    they may see (:func:`can_see_institution`): None means every unit of
    those; a unit manager sees their unit and the units below it."""
    if user.role != Role.UNIT_MANAGER:
        return None
    return unit_subtree(session, user.unit_id)


def can_see_institution(user: StaffUser, institution_id: int) -> bool:
    """Whether ``user`` may see anything of this institution."""
    return user.institution_id is None or user.institution_id == institution_id


def can_see_unit(session: Session, user: StaffUser, unit: Unit) -> bool:
    """Whether ``user`` may see this unit's figures."""
    if not can_see_institution(user, unit.institution_id):
        return False
    visible = visible_unit_ids(session, user)
    return visible is None or unit.id in visible


def unit_subtree(session: Session, unit_id: int) -> set[int]:
    """A unit and every unit below it."""
    allowed, frontier = {unit_id}, [unit_id]
    while frontier:
        children = session.scalars(select(Unit.id).where(Unit.parent_id.in_(frontier))).all()
        frontier = [c for c in children if c not in allowed]
        allowed.update(frontier)
    return allowed


def institution_units(session: Session, institution_id: int) -> list[Unit]:
    """The institution's active offices, by name."""
    return list(session.scalars(select(Unit).where(Unit.institution_id == institution_id,
                                                   Unit.active.is_(True))
                                .order_by(Unit.name)))


# -- accounts: passwords, one-time links, sessions -------------------------------

#: How long a one-time link to set a password stays valid.
RESET_VALID = timedelta(hours=72)
MIN_PASSWORD = 10
#: A password hash no password matches (werkzeug refuses it): the account
#: can be used only after its one-time link sets a password.
NO_PASSWORD = "!"  # noqa: S105


def end_sessions(session: Session, user: StaffUser) -> None:
    """End every signed-in session of ``user`` (on every device): their
    session cookies carry a generation number that no longer matches.
    Flushes; the caller commits."""
    user.session_generation = (user.session_generation or 0) + 1
    session.flush()


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise StaffError(f"the password must have at least {MIN_PASSWORD} characters")
    if len(password) > 200:
        raise StaffError("the password must have at most 200 characters")


def _issue_reset(session: Session, user: StaffUser, actor: StaffUser | None) -> str:
    """A new one-time link token for ``user`` (earlier unused ones stop
    working). Only its SHA-256 is stored. Flushes."""
    now = utcnow()
    for earlier in session.scalars(select(PasswordReset).where(
            PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))):
        earlier.used_at = now
    token = secrets.token_urlsafe(32)
    session.add(PasswordReset(user_id=user.id, token_hash=_digest(token), created_at=now,
                              expires_at=now + RESET_VALID))
    session.flush()
    audit.record(session, "staff.reset_link", actor=actor, target=user.email,
                 institution_id=user.institution_id)
    return token


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def invite_user(session: Session, *, email: str, name: str, role: Role | str,
                unit_code: str | None, institution_code: str | None,
                actor: StaffUser) -> tuple[StaffUser, str]:
    """Create an account without a password and a one-time link with which
    the person sets one. Returns the account and the link's token, to be
    shown once to the administrator (never sent by email with a password).
    Commits.

    Raises
    ------
    StaffError
        As :func:`create_user`.
    """
    user = create_user(session, email=email, name=name, role=role,
                       password=generate_password() + generate_password(),
                       unit_code=unit_code, institution_code=institution_code, actor=actor,
                       commit=False)
    user.password_hash = NO_PASSWORD
    token = _issue_reset(session, user, actor)
    session.commit()
    return user, token


def reset_password(session: Session, user: StaffUser, *, actor: StaffUser) -> str:
    """Replace the account's password by a one-time link: the old password
    stops working and every session ends. Returns the token. Commits."""
    user.password_hash = NO_PASSWORD
    end_sessions(session, user)
    token = _issue_reset(session, user, actor)
    session.commit()
    return token


def reset_of(session: Session, token: str) -> PasswordReset | None:
    """The one-time link's record while it can still be used, else None."""
    reset = session.scalar(select(PasswordReset).where(PasswordReset.token_hash == _digest(token)))
    if reset is None or reset.used_at is not None or reset.expires_at < utcnow():
        return None
    user = session.get(StaffUser, reset.user_id)
    return reset if user is not None and user.active else None


def use_reset(session: Session, token: str, password: str) -> StaffUser:
    """Set a new password with a one-time link; the link is spent and every
    session of the account ends. Commits.

    Raises
    ------
    StaffError
        The link is unknown, used or expired, or the password too short.
    """
    reset = reset_of(session, token)
    if reset is None:
        raise StaffError("this link is not valid any more: ask an administrator for a new one")
    _check_password(password)
    user = session.get(StaffUser, reset.user_id)
    user.set_password(password)
    reset.used_at = utcnow()
    end_sessions(session, user)
    audit.record(session, "staff.password_set", actor=user, target=user.email)
    session.commit()
    return user


def change_password(session: Session, user: StaffUser, current: str, new: str) -> None:
    """A person changes their own password; their other sessions end.
    Commits.

    Raises
    ------
    StaffError
        The current password is wrong, or the new one too short.
    """
    if not user.check_password(current):
        raise StaffError("the current password is not correct")
    _check_password(new)
    user.set_password(new)
    end_sessions(session, user)
    audit.record(session, "staff.password_change", actor=user, target=user.email)
    session.commit()


def set_active(session: Session, user: StaffUser, active: bool, *, actor: StaffUser) -> None:
    """Deactivate (every session ends, sign-in refused) or reactivate an
    account. Commits.

    Raises
    ------
    StaffError
        An administrator deactivating their own account.
    """
    if not active and user.id == actor.id:
        raise StaffError("you cannot deactivate your own account")
    if user.active == active:
        return
    user.active = active
    if not active:
        end_sessions(session, user)
    audit.record(session, "staff.activate" if active else "staff.deactivate", actor=actor,
                 target=user.email, institution_id=user.institution_id)
    session.commit()


def visible_staff(session: Session, user: StaffUser) -> list[StaffUser]:
    """The accounts ``user`` may see: their institution's (all for a
    platform administrator), by name."""
    query = select(StaffUser).order_by(StaffUser.active.desc(), StaffUser.name)
    if user.institution_id is not None:
        query = query.where(StaffUser.institution_id == user.institution_id)
    return list(session.scalars(query))
