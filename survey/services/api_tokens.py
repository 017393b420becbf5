"""Personal API tokens: created and revoked by their owner, shown once,
stored as a SHA-256 only.

A token acts as its owner with the role and office the owner had when it
was created. If the owner's role or office changes later, or the account is
deactivated, the token is refused (never silently widened or narrowed): the
owner creates a new one. Creating and revoking are written to the audit log.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from survey import clock
from survey.models import ApiToken, StaffUser

from . import audit, done
from .tokens import token_hash

#: Every token starts so, which lets secret scanners and people recognise it.
TOKEN_PREFIX = "spi_"  # noqa: S105  (a marker, not a secret)
#: Live tokens one person may hold at a time.
MAX_TOKENS = 20
MAX_NAME = 100
#: ``last_used_at`` is written at most this often (not on every request).
USE_RESOLUTION = timedelta(minutes=5)


class TokenError(ValueError):
    """A token request that cannot be carried out (one-line message)."""


def create(session: Session, user: StaffUser, name: str, *,
           commit: bool = True) -> tuple[ApiToken, str]:
    """A new token for ``user``: the stored row and the token itself (to
    show once; it cannot be recovered).

    Raises
    ------
    TokenError
        An empty or too long name, or too many live tokens.
    """
    name = " ".join((name or "").split())
    if not name:
        raise TokenError("give the token a name (what it is for)")
    if len(name) > MAX_NAME:
        raise TokenError(f"the name has more than {MAX_NAME} characters")
    live = session.scalar(select(func.count()).select_from(ApiToken).where(
        ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)))
    if live >= MAX_TOKENS:
        raise TokenError(f"at most {MAX_TOKENS} live tokens; revoke one first")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=name, token_hash=token_hash(token),
                   prefix=token[:len(TOKEN_PREFIX) + 6], role=user.role, unit_id=user.unit_id)
    session.add(row)
    session.flush()
    audit.record(session, "api_token.create", actor=user, target=f"api token {row.id}",
                 detail={"name": name, "role": str(user.role)})
    done(session, commit)
    return row, token


def revoke(session: Session, user: StaffUser, token_id: int, *, commit: bool = True) -> ApiToken:
    """Revoke one of ``user``'s own tokens (revoking twice changes nothing).

    Raises
    ------
    TokenError
        No such token of ``user``'s.
    """
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        raise TokenError("no such token")
    if row.revoked_at is None:
        row.revoked_at = clock.now()
        audit.record(session, "api_token.revoke", actor=user, target=f"api token {row.id}",
                     detail={"name": row.name})
    done(session, commit)
    return row


def tokens_of(session: Session, user: StaffUser) -> list[ApiToken]:
    """``user``'s tokens, newest first, revoked ones too."""
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                                .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def authenticate(session: Session, token: str) -> StaffUser | None:
    """The staff account a token acts for, or None: unknown, revoked, the
    account deactivated, or its role or office changed since. Notes when
    the token was used (commits)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(token)))
    if row is None or row.revoked_at is not None:
        return None
    user = session.get(StaffUser, row.user_id)
    if user is None or not user.active or user.role != row.role or user.unit_id != row.unit_id:
        return None
    now = clock.now()
    if row.last_used_at is None or now - row.last_used_at > USE_RESOLUTION:
        row.last_used_at = now
        session.commit()
    return user
