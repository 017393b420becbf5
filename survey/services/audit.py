"""The audit log: who did what, and when, to which object.

Every change a staff member makes goes through :func:`record`, inside the
use case's own transaction (it flushes, never commits), so an action and
its log entry are stored together or not at all. Nothing a respondent or a
citizen does is ever recorded here.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from survey.models import AuditEntry, StaffUser


def record(
    session: Session,
    action: str,
    *,
    actor: StaffUser | None = None,
    target: str | None = None,
    detail: dict[str, Any] | None = None,
    institution_id: int | None = None,
) -> AuditEntry:
    """Add an entry: ``action`` is a dotted name ("campaign.open"), ``target``
    a short readable reference ("campaign 7", an email), ``detail`` a small
    JSON object (never a secret, a token or an answer).

    The entry belongs to ``institution_id``, by default the actor's.
    """
    if institution_id is None and actor is not None:
        institution_id = actor.institution_id
    entry = AuditEntry(
        actor_id=actor.id if actor is not None else None,
        action=action,
        target=None if target is None else target[:200],
        detail=detail,
        institution_id=institution_id,
    )
    session.add(entry)
    session.flush()
    return entry


def entries(session, user: StaffUser, *, action: str | None = None, page: int = 1,
            per_page: int = 100) -> tuple[list[AuditEntry], int]:
    """A page of the audit log as ``user`` may read it (their institution's
    entries; every entry for a platform administrator), newest first, and
    the number of pages. ``action`` keeps entries whose action starts with it."""
    from sqlalchemy import func, select

    query = select(AuditEntry)
    if user.institution_id is not None:
        query = query.where(AuditEntry.institution_id == user.institution_id)
    if action:
        query = query.where(AuditEntry.action.startswith(action, autoescape=True))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    rows = session.scalars(query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
                           .offset((page - 1) * per_page).limit(per_page))
    return list(rows), pages
