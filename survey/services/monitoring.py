"""Monitoring a running campaign, per office and respondent group: who is
listed, invited, sent a message (or not reached), who answered, the
response rate, the recommended sample size and the progress toward it, and
the margin of error reached so far.

This is what the inspectorate watches while a campaign runs (which offices
lag behind their sample, who still needs a reminder). The dashboard reads
:func:`campaign_monitoring`; nothing here writes.

"Answered" counts used invitations and, for open links (citizens), the
responses received, held back or stored. The platform knows whether an
invitation was used, never when or with which answers.

Sizes come from :func:`analysis.required_sample_size` for the campaign's
plan (margin of error, standard deviation of respondent scores; defaults
below) and the office's population of the group (else the number listed);
the margin reached from :func:`analysis.margin_of_error`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

import analysis
from survey.models import (
    Campaign,
    Channel,
    Delivery,
    DeliveryStatus,
    Invitation,
    ListEntry,
    PendingResponse,
    Response,
    Unit,
)

from .respondents import invite_count

#: Plan defaults: a margin of error of 5 index points, respondent scores
#: spread with a standard deviation of 15 points (SPI-style group indices
#: typically have 12 to 20), and 60% of the invited answering.
DEFAULT_MARGIN = 5.0
DEFAULT_SD = 15.0
DEFAULT_RESPONSE_RATE = 0.6


@dataclass(frozen=True)
class Plan:
    margin: float
    sd: float
    response_rate: float

    @classmethod
    def of(cls, campaign: Campaign) -> Plan:
        return cls(campaign.plan_margin or DEFAULT_MARGIN, campaign.plan_sd or DEFAULT_SD,
                   campaign.plan_response_rate or DEFAULT_RESPONSE_RATE)


@dataclass
class GroupMonitoring:
    """One respondent group of one office."""

    group: str
    listed: int = 0
    in_sample: int = 0  # listed and kept by the random draw (all, without a draw)
    invited: int = 0  # invitations not revoked
    sent: int = 0  # invitations whose message went out (by any channel)
    failed: int = 0  # not sent, and a message failed or its fate is unknown
    answered_invited: int | None = 0  # used invitations
    answered: int | None = 0  # used invitations, plus open-link responses
    population: int | None = None  # the office's N for this group, if known
    recommended: int | None = None  # respondents needed for the plan's margin
    to_invite: int | None = None  # people to invite for that, at the expected response rate
    margin_reached: float | None = None  # half-width of the 95% interval with those answers
    #: 1 to 4 answered and a viewer who may not see it (see :func:`hide_small_cells`):
    #: answered, response rate, progress and margin reached are then None.
    hidden: bool = False

    @property
    def response_rate(self) -> float | None:
        """Share of invitations answered (None without invitations)."""
        if self.hidden or not self.invited:
            return None
        return self.answered_invited / self.invited

    @property
    def progress(self) -> float | None:
        """Answered as a share of the recommended size (may pass 1)."""
        if self.hidden or not self.recommended:
            return None
        return self.answered / self.recommended


@dataclass
class UnitMonitoring:
    unit: Unit
    groups: dict[str, GroupMonitoring] = field(default_factory=dict)

    def total(self, name: str) -> int:
        return sum(getattr(g, name) or 0 for g in self.groups.values())

    @property
    def hidden(self) -> bool:
        """Some group's answers are hidden: the office's totals would tell them."""
        return any(g.hidden for g in self.groups.values())

    @property
    def behind(self) -> bool:
        """Some group with a recommended size has less than half of it (a
        hidden group has fewer than 5, which counts as behind when 5 is
        less than half of its recommended size)."""
        return any(g.recommended and (g.answered if g.answered is not None else 0)
                   < g.recommended / 2 for g in self.groups.values())


@dataclass
class CampaignMonitoring:
    campaign: Campaign
    plan: Plan
    groups: tuple[str, ...]
    units: list[UnitMonitoring]

    def total(self, name: str) -> int:
        return sum(u.total(name) for u in self.units)

    @property
    def hidden(self) -> bool:
        """Some cell is hidden: totals of answers would tell it, so none is shown."""
        return any(u.hidden for u in self.units)

    @property
    def response_rate(self) -> float | None:
        invited = self.total("invited")
        if self.hidden or not invited:
            return None
        return self.total("answered_invited") / invited

    @property
    def behind(self) -> int:
        """Offices behind their recommended size."""
        return sum(1 for u in self.units if u.behind)


def campaign_monitoring(session: Session, campaign: Campaign,
                        unit_ids: set[int] | None = None) -> CampaignMonitoring:
    """The figures of every active office of the campaign's institution (or
    of ``unit_ids`` only), for every respondent group of its instrument."""
    plan = Plan.of(campaign)
    groups = tuple(campaign.instrument_version.instrument.groups)
    query = (select(Unit).where(Unit.institution_id == campaign.institution_id,
                                Unit.active.is_(True)).order_by(Unit.code))
    if unit_ids is not None:
        query = query.where(Unit.id.in_(unit_ids))
    rows = {u.id: UnitMonitoring(u, {g: GroupMonitoring(g, population=u.population(g))
                                     for g in groups})
            for u in session.scalars(query)}

    def cells(statement):
        for unit_id, group, *values in session.execute(statement):
            if unit_id in rows and group in rows[unit_id].groups:
                yield rows[unit_id].groups[group], values

    for cell, (listed, in_sample) in cells(
            select(ListEntry.unit_id, ListEntry.respondent_group, func.count(),
                   func.sum(case((ListEntry.in_sample.is_(True), 1), else_=0)))
            .where(ListEntry.campaign_id == campaign.id)
            .group_by(ListEntry.unit_id, ListEntry.respondent_group)):
        cell.listed, cell.in_sample = listed, int(in_sample or 0)

    live = (Invitation.campaign_id == campaign.id) & Invitation.revoked.is_(False)
    for cell, (invited, sent, used) in cells(
            select(Invitation.unit_id, Invitation.respondent_group, func.count(),
                   func.sum(case((Invitation.sent.is_(True), 1), else_=0)),
                   func.sum(case((Invitation.used.is_(True), 1), else_=0)))
            .where(live).group_by(Invitation.unit_id, Invitation.respondent_group)):
        cell.invited, cell.sent = invited, int(sent or 0)
        cell.answered_invited = int(used or 0)

    troubled = (select(Delivery.invitation_id).where(
        Delivery.status.in_((DeliveryStatus.FAILED, DeliveryStatus.UNKNOWN))))
    for cell, (failed,) in cells(
            select(Invitation.unit_id, Invitation.respondent_group, func.count())
            .where(live, Invitation.sent.is_(False), Invitation.used.is_(False),
                   Invitation.id.in_(troubled))
            .group_by(Invitation.unit_id, Invitation.respondent_group)):
        cell.failed = failed

    for model in (Response, PendingResponse):
        for cell, (count,) in cells(
                select(model.unit_id, model.respondent_group, func.count())
                .where(model.campaign_id == campaign.id, model.channel == Channel.OPEN)
                .group_by(model.unit_id, model.respondent_group)):
            cell.answered += count

    for row in rows.values():
        for cell in row.groups.values():
            cell.answered += cell.answered_invited
            frame = cell.population or cell.listed or None
            if frame is None:
                continue
            cell.recommended = analysis.required_sample_size(frame, margin=plan.margin,
                                                             sd=plan.sd)
            if cell.listed:
                cell.to_invite = invite_count(cell.recommended, plan.response_rate, cell.listed)
            if cell.answered >= 2:
                cell.margin_reached = analysis.margin_of_error(
                    min(cell.answered, frame), population=frame, sd=plan.sd)
    return CampaignMonitoring(campaign, plan, groups, list(rows.values()))


def hide_small_cells(monitoring: CampaignMonitoring, smallest: int) -> CampaignMonitoring:
    """Drop the answers of every group with 1 to ``smallest - 1`` answered
    (for unit managers, who never see a figure resting on fewer than 5
    respondents): its answered counts, response rate, progress and margin
    reached are gone, not merely not displayed. Invitations listed, sent
    and failed stay (they count people invited, not respondents)."""
    for row in monitoring.units:
        for cell in row.groups.values():
            if 0 < cell.answered < smallest:
                cell.hidden = True
                cell.answered = cell.answered_invited = None
                cell.margin_reached = None
    return monitoring


def sample_sizes(monitoring: CampaignMonitoring) -> dict[tuple[int, str], int]:
    """People to draw per (office id, group) for the plan: the input of
    :func:`survey.services.respondents.draw_sample`."""
    return {(u.unit.id, g.group): g.to_invite for u in monitoring.units
            for g in u.groups.values() if g.to_invite is not None and g.listed}
