"""Surges of open-link responses, and setting such days aside from scoring.

An office's open link (and its QR code) can be answered by anyone, so one
person or a paid group can answer many times in a day despite the rate
limits (many phones, many addresses). :func:`find` flags an office whose
open-link responses of one day jump far above its own usual day: more than
``factor`` times the median of the ``baseline_days`` days before (days
without responses count as 0, so a first busy day is measured against a
quiet office), and at least ``minimum``. Responses still waiting in the
mixing pool count too, so a surge shows the same day.

An inspector who judges a surge to be stuffing sets that office's open-link
responses of those days aside (:func:`exclude`), with a reason: the
responses stay stored, scoring skips them (survey/services/scoring.py),
and the campaign's results are computed again. Both that and undoing it
(:func:`restore`) are audit-logged. Invited responses are never touched:
a surge is about the open link only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import median

from sqlalchemy import func, select, union_all
from sqlalchemy.orm import Session

from survey.models import (
    Campaign,
    Channel,
    OpenLinkExclusion,
    PendingResponse,
    Response,
    StaffUser,
    Unit,
)

from . import audit, results

#: Days before a day that make an office's usual level.
BASELINE_DAYS = 14
MAX_REASON = 2000
#: At most this many days are set aside at once (a campaign's surge lasts days, not months).
MAX_DAYS = 31


class ExclusionError(ValueError):
    """An exclusion that cannot be saved; ``field`` names the form field."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Surge:
    """One office's day of open-link responses far above its usual level."""

    unit_id: int
    unit_code: str
    unit_name: str
    day: date
    responses: int
    usual: float  # the median of the days before
    excluded: bool  # already set aside from scoring

    @property
    def ratio(self) -> float:
        return self.responses / max(self.usual, 1.0)


def open_link_counts(session: Session, campaign_id: int,
                     unit_ids: Iterable[int] | None = None) -> dict[int, dict[date, int]]:
    """Open-link responses per office and day (stored and still in the pool)."""
    parts = []
    for table in (Response, PendingResponse):
        query = (select(table.unit_id.label("unit_id"), table.submitted_on.label("day"))
                 .where(table.campaign_id == campaign_id, table.channel == Channel.OPEN))
        if unit_ids is not None:
            query = query.where(table.unit_id.in_(list(unit_ids)))
        parts.append(query)
    rows = union_all(*parts).subquery()
    counts: dict[int, dict[date, int]] = defaultdict(dict)
    for unit_id, day, n in session.execute(
            select(rows.c.unit_id, rows.c.day, func.count()).group_by(rows.c.unit_id, rows.c.day)):
        counts[unit_id][day] = n
    return counts


def find(session: Session, campaign: Campaign, *, factor: float, minimum: int,
         unit_ids: Iterable[int] | None = None, baseline_days: int = BASELINE_DAYS
         ) -> list[Surge]:
    """The campaign's surges, newest day first, then by office name."""
    counts = open_link_counts(session, campaign.id, unit_ids)
    if not counts:
        return []
    excluded = excluded_days(session, campaign.id)
    units = {u.id: u for u in session.scalars(select(Unit).where(Unit.id.in_(list(counts))))}
    found = []
    for unit_id, per_day in counts.items():
        for day, n in per_day.items():
            if n < minimum:
                continue
            before = [per_day.get(day - timedelta(days=k), 0)
                      for k in range(1, baseline_days + 1)]
            usual = float(median(before))
            if n > factor * max(usual, 1.0):
                unit = units[unit_id]
                found.append(Surge(unit_id, unit.code, unit.name, day, n, usual,
                                   (unit_id, day) in excluded))
    found.sort(key=lambda s: (-s.day.toordinal(), s.unit_name))
    return found


def excluded_days(session: Session, campaign_id: int) -> set[tuple[int, date]]:
    return set(session.execute(
        select(OpenLinkExclusion.unit_id, OpenLinkExclusion.day)
        .where(OpenLinkExclusion.campaign_id == campaign_id)).all())


def of_campaign(session: Session, campaign: Campaign) -> list[OpenLinkExclusion]:
    """The campaign's exclusions, newest day first."""
    return list(session.scalars(
        select(OpenLinkExclusion).join(OpenLinkExclusion.unit)
        .where(OpenLinkExclusion.campaign_id == campaign.id)
        .order_by(OpenLinkExclusion.day.desc(), Unit.name)))


def validate(campaign: Campaign, unit: Unit | None, days: list[date] | None,
             reason: str) -> tuple[Unit, list[date], str]:
    """Check an exclusion's fields.

    Raises
    ------
    ExclusionError
        Naming the field: no such office in the campaign's institution, no
        day or a day outside the campaign, or no reason.
    """
    if unit is None or unit.institution_id != campaign.institution_id:
        raise ExclusionError("unit", "choose an office of this campaign's institution")
    if not days:
        raise ExclusionError("days", "give at least one day")
    days = sorted(set(days))
    if len(days) > MAX_DAYS:
        raise ExclusionError("days", f"at most {MAX_DAYS} days at once ({len(days)} given)")
    outside = [d for d in days if not campaign.opens_on <= d <= campaign.closes_on]
    if outside:
        raise ExclusionError("days", f"{outside[0].isoformat()} is not a day of the campaign "
                                     f"({campaign.opens_on} to {campaign.closes_on})")
    reason = (reason or "").strip()
    if not reason:
        raise ExclusionError("reason", "say why: the reason is kept on record")
    if len(reason) > MAX_REASON:
        raise ExclusionError("reason", f"at most {MAX_REASON} characters ({len(reason)} given)")
    return unit, days, reason


def exclude(session: Session, campaign: Campaign, unit: Unit | None, days: list[date] | None,
            reason: str, *, actor: StaffUser) -> list[OpenLinkExclusion]:
    """Set the office's open-link responses of ``days`` aside from scoring,
    log it and ask for the results again. Days already set aside are kept
    as they are. Commits; returns the new exclusions."""
    unit, days, reason = validate(campaign, unit, days, reason)
    already = {d for u, d in excluded_days(session, campaign.id) if u == unit.id}
    made = [OpenLinkExclusion(campaign_id=campaign.id, unit_id=unit.id, day=day, reason=reason,
                              created_by_id=actor.id)
            for day in days if day not in already]
    if not made:
        session.rollback()
        return []
    session.add_all(made)
    session.flush()
    audit.record(session, "open_link.exclude", actor=actor,
                 target=f"campaign {campaign.id} office {unit.code}",
                 detail={"days": [d.isoformat() for d in days if d not in already],
                         "reason": reason[:200]},
                 institution_id=campaign.institution_id)
    results.request_refresh(session, campaign.id)
    session.commit()
    return made


def restore(session: Session, exclusion: OpenLinkExclusion, *, actor: StaffUser) -> None:
    """Count the day's open-link responses again; logged, results asked
    for again. Commits."""
    campaign, unit = exclusion.campaign, exclusion.unit
    audit.record(session, "open_link.restore", actor=actor,
                 target=f"campaign {campaign.id} office {unit.code}",
                 detail={"day": exclusion.day.isoformat(), "reason": exclusion.reason[:200]},
                 institution_id=campaign.institution_id)
    session.delete(exclusion)
    results.request_refresh(session, campaign.id)
    session.commit()
