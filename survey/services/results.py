"""A campaign's results: computed once, stored, and read by every reader.

:func:`refresh` scores a campaign's stored responses with
:func:`analysis.score` (through :mod:`survey.services.scoring`), adds what
the dashboard needs beside the scores (the institution's mean index, the
change against the previous campaign of the same institution, stored
responses and invitations per office and group, the corrections used) and
keeps it in the ``campaign_result`` table as one :class:`CampaignResults`
document. Pages, downloads, the API and PDF reports all read that one
object with :func:`load`, which keeps the decoded object in memory until the
stored one changes (keyed by ``computed_at``).

A refresh runs in the background (job kind ``results.refresh``): it is
asked for with :func:`request_refresh` in the transaction of whatever
changed the inputs, namely a batch of responses mixed into the response
table (:func:`survey.services.responding.mix_pending`), a correction saved
or removed (:mod:`survey.services.corrections`), and an exclusion of
responses changed (call :func:`request_refresh` from there).

Nothing here knows who is looking: :mod:`survey.services.views` turns the
object into what one person may see (small cells hidden from unit managers).
"""

from __future__ import annotations

import json
import logging
import threading
import time
import zlib
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

import numpy as np
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

import analysis
from survey import clock
from survey.database import read_only
from survey.models import (
    Campaign,
    CampaignResult,
    Correction,
    Invitation,
    Job,
    JobStatus,
    Unit,
)

from . import jobs, webhooks
from .scoring import score_campaign_table

log = logging.getLogger(__name__)

JOB_KIND = "results.refresh"
#: Version of the stored document's layout; a stored document of another
#: version is recomputed rather than misread.
PAYLOAD_VERSION = 1
#: Significance level of the verdicts shown (after Benjamini–Hochberg).
ALPHA = 0.05


@dataclass(frozen=True)
class CampaignResults:
    """Everything the results pages, downloads and reports show of one campaign.

    Attributes
    ----------
    campaign_id, campaign_name, period, target
        The campaign scored, and the target it is judged against.
    instrument_version_id, instrument_label
        The instrument version scored against.
    computed_at : datetime
        When the numbers were computed (UTC).
    responses : int
        Stored responses read, before screening.
    seconds : float
        How long computing took.
    score : analysis.ScoreResult
        The engine's result; units are labelled by unit code.
    institution : analysis.UnitsMean
        The institution's index: the mean of its offices' indices.
    unit_ids : dict
        Unit code -> ``Unit.id`` for every office of the institution.
    stored : dict
        Unit code -> group -> stored responses (before screening).
    invitations : dict
        Unit code -> group -> [invited, answered].
    corrections : dict
        Unit code -> list of {"points", "reason"} applied.
    previous : dict or None
        {"campaign_id", "name", "period"} of the campaign compared with.
    comparison : analysis.Comparison or None
        Change of each office's index against ``previous``.
    previous_n : dict
        Unit code -> included respondents in the previous campaign.
    """

    campaign_id: int
    campaign_name: str
    period: str
    target: float
    instrument_version_id: int
    instrument_label: str
    computed_at: datetime
    responses: int
    seconds: float
    score: analysis.ScoreResult
    institution: analysis.UnitsMean
    unit_ids: dict[str, int] = field(default_factory=dict)
    stored: dict[str, dict[str, int]] = field(default_factory=dict)
    invitations: dict[str, dict[str, list[int]]] = field(default_factory=dict)
    corrections: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    previous: dict[str, Any] | None = None
    comparison: analysis.Comparison | None = None
    previous_n: dict[str, int] = field(default_factory=dict)

    @cached_property
    def units(self) -> dict[str, analysis.UnitScore]:
        """Unit code -> the engine's result for that office."""
        return {unit.unit: unit for unit in self.score.units}

    @cached_property
    def changes(self) -> dict[str, analysis.UnitChange]:
        """Unit code -> change against the previous campaign."""
        return {c.unit: c for c in self.comparison.units} if self.comparison else {}

    @cached_property
    def codes_by_id(self) -> dict[int, str]:
        return {unit_id: code for code, unit_id in self.unit_ids.items()}

    @property
    def excluded(self) -> analysis.Exclusions:
        """Responses set aside by screening, over all offices."""
        totals = [0, 0, 0, 0]
        for unit in self.score.units:
            for i, value in enumerate(unit.excluded.to_dict().values()):
                totals[i] += value
        return analysis.Exclusions(*totals)

    def to_payload(self) -> dict[str, Any]:
        """The JSON document stored (and given to downloads and the API)."""
        return {
            "payload_version": PAYLOAD_VERSION,
            "campaign": {"id": self.campaign_id, "name": self.campaign_name,
                         "period": self.period, "target": self.target},
            "instrument": {"version_id": self.instrument_version_id,
                           "label": self.instrument_label},
            "computed_at": self.computed_at.isoformat(),
            "responses": self.responses,
            "seconds": self.seconds,
            "score": self.score.to_dict(),
            "institution": self.institution.to_dict(),
            "unit_ids": self.unit_ids,
            "stored": self.stored,
            "invitations": self.invitations,
            "corrections": self.corrections,
            "previous": self.previous,
            "comparison": self.comparison.to_dict() if self.comparison else None,
            "previous_n": self.previous_n,
        }

    @classmethod
    def from_payload(cls, doc: dict[str, Any]) -> CampaignResults:
        comparison = None
        if doc["comparison"] is not None:
            c = doc["comparison"]
            comparison = analysis.Comparison(
                previous=c["previous"], current=c["current"],
                units=tuple(analysis.UnitChange(**u) for u in c["units"]),
                warnings=tuple(c["warnings"]))
        return cls(
            campaign_id=doc["campaign"]["id"], campaign_name=doc["campaign"]["name"],
            period=doc["campaign"]["period"], target=doc["campaign"]["target"],
            instrument_version_id=doc["instrument"]["version_id"],
            instrument_label=doc["instrument"]["label"],
            computed_at=datetime.fromisoformat(doc["computed_at"]),
            responses=doc["responses"], seconds=doc["seconds"],
            score=analysis.ScoreResult.from_dict(doc["score"]),
            institution=analysis.UnitsMean(**doc["institution"]),
            unit_ids=doc["unit_ids"], stored=doc["stored"], invitations=doc["invitations"],
            corrections=doc["corrections"], previous=doc["previous"], comparison=comparison,
            previous_n=doc["previous_n"],
        )


def encode(results: CampaignResults) -> bytes:
    """The stored form: compact JSON, zlib-compressed."""
    text = json.dumps(results.to_payload(), separators=(",", ":"), allow_nan=False)
    return zlib.compress(text.encode("utf-8"), 6)


def decode(payload: bytes) -> CampaignResults:
    """The stored form read back.

    Raises
    ------
    ValueError
        The document is damaged or of another layout.
    """
    try:
        document = json.loads(zlib.decompress(payload))
    except zlib.error as error:
        raise ValueError(f"stored results cannot be decompressed: {error}") from None
    if document.get("payload_version") != PAYLOAD_VERSION:
        raise ValueError("stored results have another layout")
    return CampaignResults.from_payload(document)


# -- computing --------------------------------------------------------------------


def compute(session: Session, campaign: Campaign) -> CampaignResults:
    """Score ``campaign`` now and gather the dashboard's extras (nothing stored)."""
    started = time.perf_counter()
    score, table = score_campaign_table(session, campaign)
    units = session.execute(
        select(Unit.code, Unit.id).where(Unit.institution_id == campaign.institution_id)).all()
    unit_ids = {code: unit_id for code, unit_id in units}

    stored: dict[str, dict[str, int]] = {}
    for group, block in table.groups.items():
        counts = np.bincount(block.unit, minlength=len(table.units))
        for position in np.flatnonzero(counts):
            stored.setdefault(table.units[position], {})[group] = int(counts[position])

    code_of = {unit_id: code for code, unit_id in unit_ids.items()}
    invitations: dict[str, dict[str, list[int]]] = {}
    for unit_id, group, invited, used in session.execute(
            select(Invitation.unit_id, Invitation.respondent_group, func.count(),
                   func.sum(case((Invitation.used.is_(True), 1), else_=0)))
            .where(Invitation.campaign_id == campaign.id)
            .group_by(Invitation.unit_id, Invitation.respondent_group)):
        invitations.setdefault(code_of[unit_id], {})[group] = [int(invited), int(used or 0)]

    corrections: dict[str, list[dict[str, Any]]] = {}
    for code, points, reason in session.execute(
            select(Unit.code, Correction.points, Correction.reason).join(Correction.unit)
            .where(Correction.campaign_id == campaign.id).order_by(Correction.id)):
        if code in stored:  # the engine applies corrections to offices with responses
            corrections.setdefault(code, []).append({"points": points, "reason": reason})

    previous_campaign = previous_of(session, campaign)
    previous = comparison = None
    previous_n: dict[str, int] = {}
    if previous_campaign is not None:
        earlier = _score_of(session, previous_campaign)
        comparison = analysis.compare_results(earlier, score)
        previous = {"campaign_id": previous_campaign.id, "name": previous_campaign.name,
                    "period": previous_campaign.period}
        previous_n = {unit.unit: unit.n for unit in earlier.units}

    return CampaignResults(
        campaign_id=campaign.id, campaign_name=campaign.name, period=campaign.period,
        target=campaign.target, instrument_version_id=campaign.instrument_version_id,
        instrument_label=campaign.instrument_version.label, computed_at=clock.now(),
        responses=table.n, seconds=time.perf_counter() - started, score=score,
        institution=analysis.mean_index(score), unit_ids=unit_ids, stored=stored,
        invitations=invitations, corrections=corrections, previous=previous,
        comparison=comparison, previous_n=previous_n,
    )


def previous_of(session: Session, campaign: Campaign) -> Campaign | None:
    """The institution's campaign that opened last before this one."""
    return session.scalar(
        select(Campaign).where(Campaign.institution_id == campaign.institution_id,
                               Campaign.id != campaign.id,
                               Campaign.opens_on < campaign.opens_on)
        .order_by(Campaign.opens_on.desc(), Campaign.id.desc()).limit(1))


def _score_of(session: Session, campaign: Campaign) -> analysis.ScoreResult:
    """A campaign's scores: from its stored results when there are some."""
    row = session.get(CampaignResult, campaign.id)
    if row is not None:
        try:
            return _cached(row).score
        except (KeyError, TypeError, ValueError):
            log.warning("stored results of campaign %s unreadable; scoring again", campaign.id)
    return score_campaign_table(session, campaign)[0]


def refresh(session: Session, campaign_id: int) -> CampaignResult | None:
    """Compute and store the campaign's results, replacing what was stored.
    Commits. Returns None when the campaign no longer exists.

    The scoring reads in a transaction of its own that writes nothing
    (:func:`survey.database.read_only`): on SQLite, respondents keep
    submitting while a big campaign is scored; only the storing of the
    results takes the write lock, briefly."""
    with read_only(session):
        campaign = session.get(Campaign, campaign_id)
        if campaign is None:
            return None
        results = compute(session, campaign)
    row = session.get(CampaignResult, campaign_id) or CampaignResult(campaign_id=campaign_id)
    row.instrument_version_id = results.instrument_version_id
    row.computed_at = results.computed_at
    row.responses = results.responses
    row.correction_points = float(sum(p["points"] for items in results.corrections.values()
                                      for p in items))
    row.seconds = results.seconds
    row.payload = encode(results)
    session.add(row)
    # Other systems hear of it (signed events, delivered in the background).
    webhooks.results_refreshed(session, campaign, computed_at=results.computed_at,
                               responses=results.responses)
    session.commit()
    return row


@jobs.handler(JOB_KIND)
def _refresh_job(session: Session, payload: dict, context: jobs.JobContext) -> dict:
    row = refresh(session, int(payload["campaign_id"]))
    if row is None:
        return {"campaign_id": payload["campaign_id"], "missing": True}
    return {"campaign_id": row.campaign_id, "responses": row.responses,
            "seconds": round(row.seconds, 3)}


def job_key(campaign_id: int) -> str:
    return f"results:campaign:{campaign_id}"


def request_refresh(session: Session, campaign_id: int) -> Job:
    """Ask for the campaign's results to be computed again, in the caller's
    transaction (flushes, never commits). Asking while a refresh waits adds
    nothing. Call it whenever a campaign's responses, corrections or
    exclusions change."""
    return jobs.enqueue(session, JOB_KIND, {"campaign_id": campaign_id},
                        unique_key=job_key(campaign_id))


# -- reading ----------------------------------------------------------------------


@dataclass(frozen=True)
class Status:
    """What a page says about the numbers it shows."""

    results: CampaignResults | None
    refreshing: bool  # a refresh is queued or running
    failed: str | None  # the last refresh failed (its error), none since


_CACHE: OrderedDict[tuple[int, datetime], CampaignResults] = OrderedDict()
_CACHE_SIZE = 16
_LOCK = threading.Lock()


def _cached(row: CampaignResult) -> CampaignResults:
    key = (row.campaign_id, row.computed_at)
    with _LOCK:
        found = _CACHE.get(key)
        if found is not None:
            _CACHE.move_to_end(key)
            return found
    results = decode(row.payload)
    with _LOCK:
        _CACHE[key] = results
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return results


def load(session: Session, campaign_id: int) -> CampaignResults | None:
    """The stored results of a campaign, or None if none were computed yet.

    Only ``computed_at`` is read while the decoded object in memory is
    current; the payload is read and decoded once per refresh."""
    computed_at = session.scalar(select(CampaignResult.computed_at)
                                 .where(CampaignResult.campaign_id == campaign_id))
    if computed_at is None:
        return None
    with _LOCK:
        found = _CACHE.get((campaign_id, computed_at))
    if found is not None:
        return found
    try:
        return _cached(session.get(CampaignResult, campaign_id))
    except (KeyError, TypeError, ValueError):
        log.warning("stored results of campaign %s unreadable", campaign_id)
        return None


def status(session: Session, campaign_id: int, *, ask: bool = True) -> Status:
    """The stored results and whether a refresh is under way.

    With ``ask``, a campaign without stored results gets a refresh queued,
    so a page never stays empty for want of someone asking (the job's
    unique key keeps this to one)."""
    results = load(session, campaign_id)
    job = session.scalar(select(Job).where(Job.unique_key == job_key(campaign_id))
                         .order_by(Job.id.desc()).limit(1))
    refreshing = job is not None and job.status in (JobStatus.QUEUED, JobStatus.RUNNING)
    failed = job.last_error if job is not None and job.status == JobStatus.FAILED else None
    if results is None and not refreshing and ask:
        request_refresh(session, campaign_id)
        session.commit()
        refreshing = True
    return Status(results, refreshing, failed)


def history(session: Session, institution_id: int) -> list[CampaignResults]:
    """Stored results of every campaign of the institution, oldest first."""
    rows = session.scalars(
        select(CampaignResult).join(Campaign, Campaign.id == CampaignResult.campaign_id)
        .where(Campaign.institution_id == institution_id)
        .order_by(Campaign.opens_on, Campaign.id))
    found = []
    for row in rows:
        try:
            found.append(_cached(row))
        except (KeyError, TypeError, ValueError):
            log.warning("stored results of campaign %s unreadable", row.campaign_id)
    return found


def verdict(unit: analysis.UnitScore | analysis.UnitsMean) -> str:
    """The verdict shown for an index: the engine's status, except that
    "below" needs its Benjamini–Hochberg adjusted q-value under
    :data:`ALPHA` too (many offices are tested at once), else it reads
    "cannot tell yet" (``uncertain``)."""
    q_below = getattr(unit, "q_below", None)
    if unit.status == "below" and q_below is not None and q_below >= ALPHA:
        return "uncertain"
    return unit.status


def change_verdict(change: analysis.UnitChange | None) -> str | None:
    """A change is called one only when significant after the false
    discovery correction (q < :data:`ALPHA`)."""
    if change is None:
        return None
    if change.status in ("increase", "decrease") and (change.q_value is None
                                                      or change.q_value >= ALPHA):
        return "no_clear_change"
    return change.status
