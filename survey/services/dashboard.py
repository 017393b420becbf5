"""What one person may see of a campaign's results.

:mod:`survey.services.results` keeps the numbers; this module cuts them to
a person's scope (a unit manager: their office and the offices below it)
and hides small cells from unit managers: any figure that rests on fewer
than :data:`SMALL_CELL` respondents is replaced by ``hidden`` and its value
dropped, so that no template, chart or download can show it by mistake.
Pages, charts (:mod:`survey.charts`) and downloads all take these views.
"""

from __future__ import annotations

import math
import random
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

from scipy import stats
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import analysis
from survey.models import Campaign, ReportCategory, Response, Role, StaffUser, Unit

from . import monitoring, reports
from .results import CampaignResults, change_verdict, verdict

#: Fewer respondents than this and a figure is not shown to unit managers,
#: and free-text suggestions of a group are shown to nobody.
SMALL_CELL = 5
#: Offices per page of the overview.
PAGE_SIZE = 50


def hides_small_cells(user: StaffUser) -> bool:
    """Unit managers never see a figure resting on fewer than 5 respondents."""
    return user.role == Role.UNIT_MANAGER


@dataclass(frozen=True)
class Estimate:
    """One displayed figure with its interval and the respondents it rests on.

    ``hidden``: it rests on fewer than :data:`SMALL_CELL` respondents and
    the viewer may not see it; value and interval are then None."""

    value: float | None
    low: float | None = None
    high: float | None = None
    n: int = 0
    hidden: bool = False

    @property
    def shown(self) -> bool:
        return self.value is not None and not self.hidden


def estimate(value: float | None, low: float | None, high: float | None, n: int,
             hide: bool) -> Estimate:
    if hide and n < SMALL_CELL:
        return Estimate(None, None, None, n, True)
    return Estimate(value, low, high, n, False)


def interval(value: float | None, se: float | None, df: float | None) -> tuple:
    """A 95% t interval clipped to [0, 100] (for group and dimension scores,
    which the engine reports with an SE only)."""
    if value is None or se is None or not df or df < 1:
        return None, None
    half = t975(df) * se
    return max(0.0, value - half), min(100.0, value + half)


@lru_cache(maxsize=4096)
def t975(df: float) -> float:
    """t(0.975, df), cached: pages ask for the same few df again and again."""
    return float(stats.t.ppf(0.975, df))


@dataclass(frozen=True)
class Count:
    """A count of respondents: hidden from unit managers when 1 to 4."""

    value: int | None
    hidden: bool = False


def count(value: int, hide: bool) -> Count:
    if hide and 0 < value < SMALL_CELL:
        return Count(None, True)
    return Count(value)


@dataclass(frozen=True)
class Change:
    """The change of an office's index against the previous campaign."""

    value: float | None
    low: float | None
    high: float | None
    q_value: float | None
    verdict: str | None  # increase, decrease, no_clear_change, insufficient, only_*
    previous: float | None
    hidden: bool = False


@dataclass(frozen=True)
class OfficeRow:
    """One office of the overview."""

    unit_id: int
    code: str
    name: str
    parent_id: int | None
    index: Estimate
    band: str | None
    verdict: str  # above, below, uncertain, insufficient, hidden
    q_below: float | None
    correction: float
    stored: int
    invited: int
    answered: int
    excluded: Count
    change: Change | None
    dimensions: dict[str, Estimate] = field(default_factory=dict)

    @property
    def response_rate(self) -> float | None:
        return self.answered / self.invited if self.invited else None


@dataclass(frozen=True)
class OfficeRef:
    """What the overview needs of an office."""

    id: int
    code: str
    name: str
    parent_id: int | None


def office_row(results: CampaignResults, unit: Unit | OfficeRef, hide: bool, *,
               intervals: bool = True) -> OfficeRow:
    """The office's figures for a viewer; ``intervals=False`` leaves out the
    dimension scores' intervals (the overview shows none)."""
    code = unit.code
    score = results.units.get(code)
    stored = sum(results.stored.get(code, {}).values())
    invited = sum(v[0] for v in results.invitations.get(code, {}).values())
    answered = sum(v[1] for v in results.invitations.get(code, {}).values())
    if score is None:
        return OfficeRow(unit.id, code, unit.name, unit.parent_id, Estimate(None), None,
                         "insufficient", None, 0.0, stored, invited, answered, Count(0), None)
    index = estimate(score.index, score.ci_low, score.ci_high, score.n, hide)
    dims = {}
    for key, dim in score.dimensions.items():
        # Only a viewer with small cells hidden needs the count behind each score.
        n = sum(g.dimensions[key].n for g in score.groups.values()
                if g.eligible and key in g.dimensions) if hide else SMALL_CELL
        low, high = interval(dim.score, dim.se, score.df) if intervals else (None, None)
        dims[key] = estimate(dim.score, low, high, n, hide)
    change = None
    raw = results.changes.get(code)
    if raw is not None:
        small = hide and (score.n < SMALL_CELL
                          or results.previous_n.get(code, 0) < SMALL_CELL)
        change = Change(None, None, None, None, None, None, True) if small else Change(
            raw.change, raw.ci_low, raw.ci_high, raw.q_value, change_verdict(raw),
            raw.previous_index)
    return OfficeRow(
        unit.id, code, unit.name, unit.parent_id, index,
        None if index.hidden else score.band,
        "hidden" if index.hidden else verdict(score),
        None if index.hidden else score.q_below, score.correction, stored, invited,
        answered, count(score.excluded.total, hide), change, dims)


# -- the overview -----------------------------------------------------------------


@dataclass(frozen=True)
class Overview:
    results: CampaignResults
    rows: list[OfficeRow]  # this page's, sorted
    total: int  # offices after filters
    page: int
    pages: int
    verdicts: dict[str, int]  # verdict -> offices (after the parent filter)
    institution: Estimate | None  # None: not for this viewer
    institution_verdict: str | None
    selection: Estimate | None  # mean of the offices under the chosen parent
    selection_verdict: str | None
    dimension_means: dict[str, float | None]  # mean over shown offices
    parents: list[OfficeRef]  # offices that have sub-offices, for the filter
    stored: int
    excluded: Count
    invited: int
    answered: int
    reports: dict[str, int]  # category -> citizen reports about the offices shown
    #: Same key, same rows and page: what a view may cache its rendering under
    #: (results computed, viewer kind, offices with their names, filters, page).
    key: tuple = ()
    page_size: int = PAGE_SIZE


def report_counts(session: Session, campaign_id: int, unit_ids: Iterable[int]) -> dict[str, int]:
    """Citizen reports per category about these offices, received between
    the campaign's opening and its closing (counted by
    :func:`survey.services.reports.counts_by_office`), in the order of
    :class:`~survey.models.ReportCategory`.

    Many offices are counted over the whole institution and added up here:
    an ``IN`` of hundreds of office ids cost more than the overview's table."""
    campaign = session.get(Campaign, campaign_id)
    wanted = set(unit_ids)
    by_office = reports.counts_by_office(
        session, wanted if len(wanted) <= 50 else None,
        institution_id=campaign.institution_id, since=campaign.opens_on,
        until=campaign.closes_on)
    counts = dict.fromkeys((c.value for c in ReportCategory), 0)
    for unit_id, categories in by_office.items():
        if unit_id in wanted:
            for category, n in categories.items():
                counts[category] = counts.get(category, 0) + n
    return {k: n for k, n in counts.items() if n}


def _sort_key(row: OfficeRow):
    return (row.index.value is None, -(row.index.value or 0.0), row.name)


def overview(session: Session, results: CampaignResults, user: StaffUser,
             visible: set[int] | None, *, parent: Unit | None = None,
             verdict_filter: str | None = None, page: int = 1) -> Overview:
    """The overview of a campaign for ``user``: offices within ``visible``
    (None: all), under ``parent`` if given, sorted by index (highest first,
    offices without an index last), :data:`PAGE_SIZE` per page."""
    hide = hides_small_cells(user)
    # Plain rows, not ORM objects: the overview reads every office each time.
    units = [OfficeRef(*row) for row in session.execute(
        select(Unit.id, Unit.code, Unit.name, Unit.parent_id)
        .where(Unit.institution_id == session.get(Campaign, results.campaign_id).institution_id)
        .order_by(Unit.name))]
    if visible is not None:
        units = [u for u in units if u.id in visible]
    has_children = {u.parent_id for u in units if u.parent_id is not None}
    parents = [u for u in units if u.id in has_children]
    if parent is not None:
        subtree = _subtree(units, parent.id)
        units = [u for u in units if u.id in subtree]
    key = _rows_key(results, units, hide)
    offices = _offices(key, results, units, hide)
    rows = offices.rows
    chosen = [r for r in rows if not verdict_filter or r.verdict == verdict_filter]
    pages = max(1, math.ceil(len(chosen) / PAGE_SIZE))
    page = min(max(1, page), pages)

    institution = institution_verdict = None
    if visible is None:
        mean = results.institution
        institution = estimate(mean.index, mean.ci_low, mean.ci_high, mean.n, hide)
        institution_verdict = mean.status
    selection = selection_verdict = None
    if parent is not None:
        mean = analysis.mean_index(results.score, [r.code for r in rows])
        selection = estimate(mean.index, mean.ci_low, mean.ci_high, mean.n, hide)
        selection_verdict = "hidden" if selection.hidden else mean.status

    return Overview(
        results, chosen[(page - 1) * PAGE_SIZE: page * PAGE_SIZE], len(chosen), page, pages,
        offices.verdicts, institution, institution_verdict, selection, selection_verdict,
        offices.dimension_means, parents, offices.stored, count(offices.excluded, hide),
        offices.invited, offices.answered,
        report_counts(session, results.campaign_id, [r.unit_id for r in rows]),
        (*key, parent.id if parent is not None else None, verdict_filter, page))


@dataclass(frozen=True)
class _Offices:
    """The offices' rows, sorted, and what the overview adds up over them."""

    rows: list[OfficeRow]
    verdicts: dict[str, int]
    dimension_means: dict[str, float | None]
    stored: int
    excluded: int
    invited: int
    answered: int


_ROWS: OrderedDict[tuple, _Offices] = OrderedDict()
_ROWS_LOCK = threading.Lock()


def _rows_key(results: CampaignResults, units: list[OfficeRef], hide: bool) -> tuple:
    return (results.campaign_id, results.computed_at, hide,
            hash(tuple((u.id, u.code, u.name, u.parent_id) for u in units)))


def _offices(key: tuple, results: CampaignResults, units: list[OfficeRef],
             hide: bool) -> _Offices:
    """The offices' rows, sorted, and their sums; kept in memory per stored
    result, viewer kind and offices (names included), since hundreds of rows
    are the same for every request until the next refresh."""
    with _ROWS_LOCK:
        found = _ROWS.get(key)
    if found is not None:
        return found
    rows = [office_row(results, u, hide, intervals=False) for u in units
            if u.code in results.units or u.code in results.stored
            or u.code in results.invitations]
    rows.sort(key=_sort_key)
    verdicts: dict[str, int] = {}
    for row in rows:
        verdicts[row.verdict] = verdicts.get(row.verdict, 0) + 1
    dimension_means = {}
    for dimension in _dimensions(results):
        values = [r.dimensions[dimension].value for r in rows
                  if dimension in r.dimensions and r.dimensions[dimension].shown]
        dimension_means[dimension] = sum(values) / len(values) if values else None
    found = _Offices(
        rows, verdicts, dimension_means, sum(r.stored for r in rows),
        sum(results.units[r.code].excluded.total for r in rows if r.code in results.units),
        sum(r.invited for r in rows), sum(r.answered for r in rows))
    with _ROWS_LOCK:
        _ROWS[key] = found
        while len(_ROWS) > 32:
            _ROWS.popitem(last=False)
    return found


def _dimensions(results: CampaignResults) -> list[str]:
    seen: dict[str, None] = {}
    for unit in results.score.units:
        for key in unit.dimensions:
            seen.setdefault(key, None)
    return list(seen)


def _subtree(units: Iterable[OfficeRef], root: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for unit in units:
        if unit.parent_id is not None:
            children.setdefault(unit.parent_id, []).append(unit.id)
    found, frontier = {root}, [root]
    while frontier:
        frontier = [c for p in frontier for c in children.get(p, []) if c not in found]
        found.update(frontier)
    return found


# -- the office page --------------------------------------------------------------


@dataclass(frozen=True)
class GroupView:
    key: str
    n: Count
    population: float | None
    eligible: bool
    index: Estimate
    stored: int
    invited: int
    answered: int


@dataclass(frozen=True)
class TrendPoint:
    campaign_id: int
    name: str
    period: str
    target: float
    index: Estimate
    band: str | None
    current: bool


@dataclass(frozen=True)
class Weakness:
    dimension: str
    score: Estimate
    action: str  # the institution's text, or the platform's default


@dataclass(frozen=True)
class OfficePage:
    results: CampaignResults
    unit: Unit
    row: OfficeRow
    groups: list[GroupView]
    # dimension -> group -> Estimate, in the instrument's order
    by_group: dict[str, dict[str, Estimate]]
    weakest: list[Weakness]
    excluded: dict[str, Count]
    corrections: list[dict]
    trend: list[TrendPoint]
    reliability: tuple[analysis.Reliability, ...]
    reports: dict[str, int]  # category -> citizen reports about the office


def office_page(session: Session, results: CampaignResults, unit: Unit, user: StaffUser,
                history: list[CampaignResults], instrument: analysis.Instrument,
                actions: dict[str, str]) -> OfficePage:
    """The office page of ``unit`` for ``user`` (who may see the unit);
    ``actions`` are the improvement actions to suggest, per dimension."""
    hide = hides_small_cells(user)
    row = office_row(results, unit, hide)
    score = results.units.get(unit.code)
    groups, by_group = [], {}
    excluded = {rule: Count(0) for rule in analysis.EXCLUSION_RULES}
    if score is not None:
        for key, group in score.groups.items():
            low, high = interval(group.index, group.se, group.n - 1)
            counts = results.invitations.get(unit.code, {}).get(key, [0, 0])
            groups.append(GroupView(
                key, count(group.n, hide), group.population, group.eligible,
                estimate(group.index, low, high, group.n, hide),
                results.stored.get(unit.code, {}).get(key, 0), counts[0], counts[1]))
            for dim_key, dim in group.dimensions.items():
                low, high = interval(dim.score, dim.se, group.n - 1)
                by_group.setdefault(dim_key, {})[key] = estimate(dim.score, low, high, dim.n,
                                                                 hide)
        excluded = {rule: count(value, hide)
                    for rule, value in score.excluded.to_dict().items()}
    by_group = {k: by_group[k] for k in instrument.dimensions if k in by_group}
    shown = sorted(((k, e) for k, e in row.dimensions.items() if e.shown),
                   key=lambda item: item[1].value)
    weakest = [Weakness(k, e, actions.get(k, "")) for k, e in shown[:3]]
    trend = []
    for past in history:
        unit_score = past.units.get(unit.code)
        if unit_score is None:
            continue
        shown_index = estimate(unit_score.index, unit_score.ci_low, unit_score.ci_high,
                               unit_score.n, hide)
        trend.append(TrendPoint(past.campaign_id, past.campaign_name, past.period, past.target,
                                shown_index, None if shown_index.hidden else unit_score.band,
                                past.campaign_id == results.campaign_id))
    return OfficePage(results, unit, row, groups, by_group, weakest, excluded,
                      results.corrections.get(unit.code, []), trend,
                      results.score.reliability,
                      report_counts(session, results.campaign_id, [unit.id]))


def suggestions(session: Session, results: CampaignResults, unit: Unit,
                instrument: analysis.Instrument, *, rng: random.Random | None = None
                ) -> dict[str, list[str] | None]:
    """The free-text suggestions ("masukan dan saran") of the office's
    respondents, per group, in random order. A group with fewer than
    :data:`SMALL_CELL` stored responses gives None: its texts are never
    shown, whoever asks. For inspectors only (the view's rule)."""
    rng = rng or random.SystemRandom()
    found: dict[str, list[str] | None] = {}
    for group in instrument.groups:
        ids = [q.id for q in instrument.questions_of(group) if q.type == "text"]
        if not ids:
            continue
        if results.stored.get(unit.code, {}).get(group, 0) < SMALL_CELL:
            found[group] = None
            continue
        texts = []
        for answers in session.scalars(
                select(Response.answers).where(Response.campaign_id == results.campaign_id,
                                               Response.unit_id == unit.id,
                                               Response.respondent_group == group)):
            texts.extend(answers[q] for q in ids if answers.get(q, "").strip())
        rng.shuffle(texts)
        found[group] = texts
    return found


# -- monitoring -------------------------------------------------------------------


@dataclass(frozen=True)
class Day:
    day: date
    responses: Count


def responses_per_day(session: Session, campaign: Campaign, visible: set[int] | None,
                      user: StaffUser) -> list[Day]:
    """Stored responses per submission day for the offices ``user`` sees
    (None: all), from the campaign's opening to today or its closing. A
    response keeps its date only, never a time; a unit manager sees a day
    with 1 to 4 responses as "n < 5"."""
    query = (select(Response.submitted_on, func.count())
             .where(Response.campaign_id == campaign.id).group_by(Response.submitted_on))
    if visible is not None:
        query = query.where(Response.unit_id.in_(visible))
    counts = dict(session.execute(query).all())
    if not counts:
        return []
    hide = hides_small_cells(user)
    first, last = min(min(counts), campaign.opens_on), max(counts)
    days = []
    current = first
    while current <= last:
        days.append(Day(current, count(counts.get(current, 0), hide)))
        current += timedelta(days=1)
    return days


@dataclass(frozen=True)
class MonitoringPage:
    figures: monitoring.CampaignMonitoring  # every visible office (totals)
    rows: list[monitoring.UnitMonitoring]  # this page's offices
    behind_only: bool
    total: int  # offices after the filter
    page: int
    pages: int
    page_size: int = PAGE_SIZE


def campaign_monitoring(session: Session, campaign: Campaign, user: StaffUser,
                        visible: set[int] | None) -> monitoring.CampaignMonitoring:
    """Invitations and answers per office and group for ``user``: offices
    within ``visible`` (None: all); a unit manager sees a group with 1 to 4
    answered as "n < 5", with no response rate, progress or margin."""
    figures = monitoring.campaign_monitoring(session, campaign, visible)
    if hides_small_cells(user):
        monitoring.hide_small_cells(figures, SMALL_CELL)
    return figures


def monitoring_page(session: Session, campaign: Campaign, user: StaffUser,
                    visible: set[int] | None, *, behind_only: bool = False,
                    page: int = 1) -> MonitoringPage:
    """One page of :data:`PAGE_SIZE` offices of the monitoring table, in
    office-code order, only those behind their recommended size if asked."""
    figures = campaign_monitoring(session, campaign, user, visible)
    chosen = [u for u in figures.units if u.behind or not behind_only]
    pages = max(1, math.ceil(len(chosen) / PAGE_SIZE))
    page = min(max(1, page), pages)
    return MonitoringPage(figures, chosen[(page - 1) * PAGE_SIZE: page * PAGE_SIZE],
                          behind_only, len(chosen), page, pages)
