"""Campaign progress: invitations, responses and response rates per unit."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from survey.models import Campaign, Invitation, Response, Unit


@dataclass
class UnitProgress:
    """Counts for one unit, by respondent group."""

    unit: Unit
    invited: dict[str, int] = field(default_factory=dict)
    used: dict[str, int] = field(default_factory=dict)
    responses: dict[str, int] = field(default_factory=dict)

    @property
    def total_invited(self) -> int:
        return sum(self.invited.values())

    @property
    def total_used(self) -> int:
        return sum(self.used.values())

    @property
    def total_responses(self) -> int:
        return sum(self.responses.values())

    @property
    def response_rate(self) -> float | None:
        """Share of invitations answered, or None without invitations."""
        return self.total_used / self.total_invited if self.total_invited else None


def campaign_progress(
    session: Session, campaign: Campaign, unit_ids: set[int] | None = None
) -> list[UnitProgress]:
    """Per-unit counts for ``campaign``, limited to ``unit_ids`` (None: all)."""
    units = (
        select(Unit)
        .where(Unit.institution_id == campaign.institution_id, Unit.active.is_(True))
        .order_by(Unit.code)
    )
    if unit_ids is not None:
        units = units.where(Unit.id.in_(unit_ids))
    rows = {unit.id: UnitProgress(unit) for unit in session.scalars(units)}

    for unit_id, group, total, used in session.execute(
        select(
            Invitation.unit_id,
            Invitation.respondent_group,
            func.count(),
            func.sum(case((Invitation.used.is_(True), 1), else_=0)),
        )
        .where(Invitation.campaign_id == campaign.id)
        .group_by(Invitation.unit_id, Invitation.respondent_group)
    ):
        if unit_id in rows:
            rows[unit_id].invited[group] = total
            rows[unit_id].used[group] = int(used or 0)
    for unit_id, group, total in session.execute(
        select(Response.unit_id, Response.respondent_group, func.count())
        .where(Response.campaign_id == campaign.id)
        .group_by(Response.unit_id, Response.respondent_group)
    ):
        if unit_id in rows:
            rows[unit_id].responses[group] = total
    return list(rows.values())
