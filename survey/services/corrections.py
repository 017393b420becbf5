"""Corrections: points subtracted from an office's index in a campaign for
a proven corruption case or steering of respondents, with the reason on
record (methodology §4 step 5).

Every change is audit-logged and asks for the campaign's results to be
computed again. :func:`preview` tells, before saving, what the correction
would do to the office's index, band and verdict.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

import analysis
from survey.models import Campaign, Correction, StaffUser, Unit

from . import audit, results
from .dashboard import t975

MAX_REASON = 2000


class CorrectionError(ValueError):
    """A correction that cannot be saved; ``field`` names the form field."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Standing:
    """An office's index as it is, or as it would be."""

    index: float | None
    ci_low: float | None
    ci_high: float | None
    band: str | None
    status: str
    correction: float


@dataclass(frozen=True)
class Effect:
    """What a correction of ``points`` would change."""

    unit: Unit
    points: float
    now: Standing
    after: Standing | None  # None: the office has no index yet


def validate(campaign: Campaign, unit: Unit | None, points: float | None,
             reason: str) -> tuple[Unit, float, str]:
    """Check a correction's fields.

    Raises
    ------
    CorrectionError
        Naming the field: no such office in the campaign's institution,
        points outside (0, 100], or no reason.
    """
    if unit is None or unit.institution_id != campaign.institution_id:
        raise CorrectionError("unit", "choose an office of this campaign's institution")
    if points is None or not 0 < points <= 100:
        raise CorrectionError("points", "points must be more than 0 and at most 100")
    reason = (reason or "").strip()
    if not reason:
        raise CorrectionError("reason", "say why: the reason is kept on record")
    if len(reason) > MAX_REASON:
        raise CorrectionError("reason", f"at most {MAX_REASON} characters ({len(reason)} given)")
    return unit, float(points), reason


def preview(stored: results.CampaignResults | None, instrument: analysis.Instrument,
            unit: Unit, points: float) -> Effect:
    """The office's standing now and after ``points`` more, from the stored
    results: the index moves by the points (clipped to 0–100) and its
    interval with it; the band and the verdict follow. (The Benjamini–
    Hochberg q-values of all offices are recomputed when the results are.)"""
    score = stored.units.get(unit.code) if stored is not None else None
    if score is None or score.index is None:
        return Effect(unit, points, Standing(None, None, None, None, "insufficient", 0.0), None)
    now = Standing(score.index, score.ci_low, score.ci_high, score.band, results.verdict(score),
                   score.correction)
    total = score.correction + points
    index = min(100.0, max(0.0, score.raw_index - total))
    low = high = index
    if score.se is not None and score.df:
        half = t975(score.df) * score.se
        low, high = max(0.0, index - half), min(100.0, index + half)
    target = stored.target
    status = "above" if low > target else "below" if high < target else "uncertain"
    return Effect(unit, points, now,
                  Standing(index, low, high, instrument.band_for(index), status, total))


def add(session: Session, campaign: Campaign, unit: Unit | None, points: float | None,
        reason: str, *, actor: StaffUser) -> Correction:
    """Record a correction, log it and ask for the results again. Commits."""
    unit, points, reason = validate(campaign, unit, points, reason)
    correction = Correction(campaign_id=campaign.id, unit_id=unit.id, points=points,
                            reason=reason, created_by_id=actor.id)
    session.add(correction)
    session.flush()
    audit.record(session, "correction.add", actor=actor,
                 target=f"campaign {campaign.id} office {unit.code}",
                 detail={"correction": correction.id, "points": points},
                 institution_id=campaign.institution_id)
    results.request_refresh(session, campaign.id)
    session.commit()
    return correction


def remove(session: Session, correction: Correction, *, actor: StaffUser) -> None:
    """Delete a correction, log it and ask for the results again. Commits."""
    campaign, unit = correction.campaign, correction.unit
    audit.record(session, "correction.remove", actor=actor,
                 target=f"campaign {campaign.id} office {unit.code}",
                 detail={"correction": correction.id, "points": correction.points,
                         "reason": correction.reason[:200]},
                 institution_id=campaign.institution_id)
    session.delete(correction)
    results.request_refresh(session, campaign.id)
    session.commit()


def of_campaign(session: Session, campaign: Campaign) -> list[Correction]:
    """The campaign's corrections, by office and date."""
    return list(session.scalars(
        select(Correction).join(Correction.unit).where(Correction.campaign_id == campaign.id)
        .order_by(Unit.name, Correction.created_at, Correction.id)))
