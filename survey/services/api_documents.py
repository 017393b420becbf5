"""What the REST API (/api/v1) returns, cut to one person's scope.

Every document is built from the same services the staff pages use: the
campaigns and offices a person may see (:mod:`survey.services.staff`), the
stored results (:mod:`survey.services.results`), monitoring
(:mod:`survey.services.monitoring`) and citizen report counts
(:func:`survey.services.dashboard.report_counts`).

A unit manager sees only their office and the offices below it, and the
small-cell rule of the dashboard applies: any figure resting on fewer than
:data:`~survey.services.dashboard.SMALL_CELL` respondents is null (with
``status`` "hidden" for an office's index), and what is computed over the
whole institution (its mean, reliability, warnings) is left out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import analysis
from survey.models import Campaign, ReportCategory, StaffUser, Unit

from . import dashboard, staff
from .dashboard import SMALL_CELL, hides_small_cells
from .results import CampaignResults, change_verdict, verdict

#: Items per page unless the caller asks otherwise, and the most allowed.
PER_PAGE = 50
MAX_PER_PAGE = 200


@dataclass(frozen=True)
class Paging:
    page: int = 1
    per_page: int = PER_PAGE

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


def _page(items: list[dict], total: int, paging: Paging) -> dict[str, Any]:
    return {"items": items, "page": paging.page, "per_page": paging.per_page,
            "total": total, "pages": max(1, math.ceil(total / paging.per_page))}


# -- campaigns and offices --------------------------------------------------------


def campaign_document(campaign: Campaign) -> dict[str, Any]:
    version = campaign.instrument_version
    return {
        "id": campaign.id, "name": campaign.name, "period": campaign.period,
        "status": str(campaign.status), "opens_on": campaign.opens_on.isoformat(),
        "closes_on": campaign.closes_on.isoformat(), "target": campaign.target,
        "institution": {"id": campaign.institution.id, "code": campaign.institution.code,
                        "name": campaign.institution.name},
        "instrument": {"id": version.instrument_key, "version": version.version,
                       "version_id": version.id},
    }


def campaigns(session: Session, user: StaffUser, paging: Paging) -> dict[str, Any]:
    """The campaigns ``user`` may see, newest first."""
    found = staff.visible_campaigns(session, user)
    chosen = found[paging.offset: paging.offset + paging.per_page]
    return _page([campaign_document(c) for c in chosen], len(found), paging)


def office_document(unit: Unit) -> dict[str, Any]:
    return {"id": unit.id, "code": unit.code, "name": unit.name, "parent_id": unit.parent_id,
            "active": unit.active, "institution_id": unit.institution_id,
            "populations": {p.respondent_group: p.population for p in unit.populations}}


def offices(session: Session, user: StaffUser, paging: Paging) -> dict[str, Any]:
    """The offices ``user`` may see (a unit manager: their office and the
    offices below it), by institution and code."""
    query = select(Unit)
    if user.institution_id is not None:
        query = query.where(Unit.institution_id == user.institution_id)
    visible = staff.visible_unit_ids(session, user)
    if visible is not None:
        query = query.where(Unit.id.in_(visible))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.scalars(query.order_by(Unit.institution_id, Unit.code, Unit.id)
                           .offset(paging.offset).limit(paging.per_page))
    return _page([office_document(u) for u in rows], total, paging)


# -- results ----------------------------------------------------------------------

_INDEX_FIELDS = ("index", "raw_index", "se", "df", "ci_low", "ci_high", "band", "gap",
                 "p_below", "q_below")


def _small(n: int | None) -> bool:
    return n is not None and 0 < n < SMALL_CELL


def _hide_counts(counts: dict[str, int]) -> dict[str, int | None]:
    return {k: None if _small(v) else v for k, v in counts.items()}


def _unit_for(unit: analysis.UnitScore, hide: bool) -> dict[str, Any]:
    """The section 5 object of one office, with small cells nulled."""
    document = unit.to_dict()
    if not hide:
        return document
    document["excluded"] = _hide_counts(document["excluded"])
    if unit.n < SMALL_CELL:
        document.update(dict.fromkeys(_INDEX_FIELDS))
        document["status"] = "hidden" if unit.n else document["status"]
        document["n"] = None if unit.n else 0
        document["dimensions"] = {}
    for key, group in unit.groups.items():
        shown = document["groups"][key]
        if _small(group.n):
            shown.update(n=None, index=None, se=None, dimensions={})
            continue
        for dim_key, dim in group.dimensions.items():
            if _small(dim.n):
                shown["dimensions"][dim_key] = {"n": None, "score": None, "se": None}
    for dim_key in list(document["dimensions"]):
        n = sum(g.dimensions[dim_key].n for g in unit.groups.values()
                if g.eligible and dim_key in g.dimensions)
        if n < SMALL_CELL:
            document["dimensions"][dim_key] = {"score": None, "se": None}
    return document


def _change_for(results: CampaignResults, code: str, hide: bool) -> dict[str, Any] | None:
    raw = results.changes.get(code)
    if raw is None:
        return None
    unit = results.units.get(code)
    if hide and ((unit.n if unit else 0) < SMALL_CELL
                 or results.previous_n.get(code, 0) < SMALL_CELL):
        return {"hidden": True, "verdict": None, **dict.fromkeys(
            ("previous_index", "current_index", "change", "ci_low", "ci_high", "q_value"))}
    return {"hidden": False, "verdict": change_verdict(raw), "previous_index": raw.previous_index,
            "current_index": raw.current_index, "change": raw.change, "ci_low": raw.ci_low,
            "ci_high": raw.ci_high, "q_value": raw.q_value}


def results_document(session: Session, results: CampaignResults,
                     user: StaffUser) -> dict[str, Any]:
    """A campaign's results for ``user``: the results JSON of methodology
    section 5 (``instrument``, ``target``, ``units``, ``reliability``,
    ``warnings``; numbers unrounded) and the dashboard's extras: the
    campaign, when the numbers were computed, the institution's mean index,
    and per office its id, name, verdict (after Benjamini–Hochberg),
    stored responses and invitations per group, corrections and change
    against the previous campaign."""
    hide = hides_small_cells(user)
    visible = staff.visible_unit_ids(session, user)
    names = dict(session.execute(select(Unit.code, Unit.name).where(
        Unit.id.in_(list(results.unit_ids.values())))).all())
    codes = [code for code, unit_id in results.unit_ids.items()
             if visible is None or unit_id in visible]
    section5 = results.score.to_dict()
    units = [_unit_for(u, hide) for u in results.score.units if u.unit in codes]
    extras = {}
    for code in sorted(codes):
        unit = results.units.get(code)
        small = hide and unit is not None and unit.n < SMALL_CELL
        if unit is None:
            shown_verdict = "insufficient"
        else:
            shown_verdict = "hidden" if small and unit.n else verdict(unit)
        extras[code] = {
            "unit_id": results.unit_ids[code], "name": names.get(code, code),
            "verdict": shown_verdict,
            "stored": (_hide_counts if hide else dict)(results.stored.get(code, {})),
            "invitations": {g: {"invited": v[0], "answered": None if hide and _small(v[1])
                                else v[1]}
                            for g, v in results.invitations.get(code, {}).items()},
            "corrections": results.corrections.get(code, []),
            "change": _change_for(results, code, hide),
        }
    institution = None
    if visible is None:
        mean = results.institution
        institution = {**mean.to_dict(), "verdict": verdict(mean)}
    return {
        "campaign": {"id": results.campaign_id, "name": results.campaign_name,
                     "period": results.period, "target": results.target},
        "computed_at": results.computed_at.isoformat(),
        "responses": results.responses if visible is None else None,
        "instrument": section5["instrument"],
        "target": section5["target"],
        "units": units,
        "reliability": section5["reliability"] if visible is None else [],
        "warnings": section5["warnings"] if visible is None else [],
        "institution": institution,
        "offices": extras,
        "previous": results.previous,
    }


# -- monitoring and citizen reports -----------------------------------------------


def monitoring_document(session: Session, campaign: Campaign, user: StaffUser,
                        paging: Paging) -> dict[str, Any]:
    """Monitoring of a running campaign: per office and group, listed,
    invited, sent, failed, answered, the recommended size and the margin
    reached (offices paged), and stored responses per day (a unit manager
    sees a group with 1 to 4 answered, and a day of 1 to 4 responses, as
null, as on the staff pages)."""
    visible = staff.visible_unit_ids(session, user)
    figures = dashboard.campaign_monitoring(session, campaign, user, visible)
    chosen = figures.units[paging.offset: paging.offset + paging.per_page]
    items = [{
        "unit_id": row.unit.id, "code": row.unit.code, "name": row.unit.name,
        "behind": row.behind,
        "groups": {g.group: {
            "hidden": g.hidden,
            "listed": g.listed, "in_sample": g.in_sample, "invited": g.invited, "sent": g.sent,
            "failed": g.failed, "answered": g.answered, "population": g.population,
            "recommended": g.recommended, "to_invite": g.to_invite,
            "margin_reached": g.margin_reached, "response_rate": g.response_rate,
        } for g in row.groups.values()},
    } for row in chosen]
    days = dashboard.responses_per_day(session, campaign, visible, user)
    document = _page(items, len(figures.units), paging)
    document.update({
        "campaign_id": campaign.id,
        "plan": {"margin": figures.plan.margin, "sd": figures.plan.sd,
                 "response_rate": figures.plan.response_rate},
        # Totals of answers would give a hidden cell back: then none is shown.
        "totals": {name: None if figures.hidden and name == "answered" else figures.total(name)
                   for name in ("listed", "invited", "sent", "failed", "answered")},
        "response_rate": figures.response_rate,
        "days": [{"day": d.day.isoformat(), "responses": d.responses.value} for d in days],
    })
    return document


def report_counts_document(session: Session, campaign: Campaign, user: StaffUser,
                           unit: Unit | None = None) -> dict[str, Any]:
    """Citizen reports per category during the campaign about the offices
    ``user`` may see (or about ``unit`` only). Counts, never contents."""
    if unit is not None:
        unit_ids = [unit.id]
    else:
        visible = staff.visible_unit_ids(session, user)
        query = select(Unit.id).where(Unit.institution_id == campaign.institution_id)
        if visible is not None:
            query = query.where(Unit.id.in_(visible))
        unit_ids = list(session.scalars(query))
    counts = dashboard.report_counts(session, campaign.id, unit_ids)
    categories = {c.value: counts.get(c.value, 0) for c in ReportCategory}
    return {"campaign_id": campaign.id, "unit_id": unit.id if unit else None,
            "categories": categories, "total": sum(categories.values())}
