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
