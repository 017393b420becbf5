"""Results pages: a campaign's overview, an office's page, the improvement
actions, and asking for the results to be computed again."""

from __future__ import annotations

import threading
from collections import OrderedDict
from types import SimpleNamespace

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from survey import charts
from survey.extensions import db
from survey.i18n import current_language
from survey.services import actions, dashboard, results, staff

from . import bp, surges
from .access import Capability, allow, campaign_or_404, can, unit_or_404
from .present import Labels, index2, verdict_name

VERDICTS = ("below", "uncertain", "above", "insufficient")


@bp.get("/results")
@allow(Capability.VIEW_RESULTS)
def results_home():
    """The newest campaign's results (the first thing an analyst opens)."""
    campaigns = staff.visible_campaigns(db.session, current_user)
    if not campaigns:
        return render_template("admin/results_none.html")
    return redirect(url_for("admin.results_overview", campaign_id=campaigns[0].id), code=303)


def _labels(campaign) -> Labels:
    return Labels(campaign.instrument_version.instrument)


@bp.get("/campaigns/<int:campaign_id>/results")
@allow(Capability.VIEW_RESULTS)
def results_overview(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    state = results.status(db.session, campaign.id)
    campaigns = staff.visible_campaigns(db.session, current_user)
    labels = _labels(campaign)
    if state.results is None:
        return render_template("admin/results_overview.html", campaign=campaign,
                               campaigns=campaigns, state=state, view=None, labels=labels)
    parent = None
    if request.args.get("parent"):
        parent = unit_or_404(request.args.get("parent", type=int) or 0)
        if parent.institution_id != campaign.institution_id:
            abort(404)
    verdict = request.args.get("verdict")
    verdict = verdict if verdict in VERDICTS else None
    view = dashboard.overview(
        db.session, state.results, current_user,
        staff.visible_unit_ids(db.session, current_user), parent=parent,
        verdict_filter=verdict, page=request.args.get("page", 1, type=int))
    shown = _overview_parts(view, campaign=campaign, labels=labels, parent=parent,
                            verdict=verdict)
    return render_template("admin/results_overview.html", campaign=campaign,
                           campaigns=campaigns, state=state, view=view, labels=labels,
                           parent=parent, verdict=verdict, figure=shown.figure,
                           verdicts=VERDICTS, tables=shown)


#: The overview's chart and rendered tables: (view key, language) -> the chart's
#: figure and the tables' HTML. They are the same for every request until the
#: results are computed again, and rendering 50 rows of a dozen figures twice
#: was most of the page's server time.
_TABLES: OrderedDict[tuple, SimpleNamespace] = OrderedDict()
_TABLES_LOCK = threading.Lock()
_TABLES_KEPT = 32


def _overview_parts(view: dashboard.Overview, **context) -> SimpleNamespace:
    """``figure`` (the offices' bar chart), ``offices`` and ``heat`` (HTML)."""
    key = (*view.key, context["campaign"].target, current_language())
    with _TABLES_LOCK:
        found = _TABLES.get(key)
    if found is not None:
        return found
    campaign, labels = context["campaign"], context["labels"]
    # Markup: the output of an autoescaping template, every text in it escaped.
    found = SimpleNamespace(figure=charts.office_bars(
        view.rows, target=campaign.target, bands=labels.bands, band_label=labels.band,
        verdict_label=verdict_name,
        target_label=_("target %(target)s", target=index2(campaign.target)),
        axis_title=_("Index (0–100), %(level)s interval", level="95%"), fmt=index2), **{
        part: Markup(render_template(  # noqa: S704
            "admin/_overview_tables.html", part=part, view=view, **context))
        for part in ("offices", "heat")})
    with _TABLES_LOCK:
        _TABLES[key] = found
        while len(_TABLES) > _TABLES_KEPT:
            _TABLES.popitem(last=False)
    return found


@bp.get("/campaigns/<int:campaign_id>/units/<int:unit_id>")
@allow(Capability.VIEW_RESULTS)
def office(campaign_id: int, unit_id: int):
    campaign = campaign_or_404(campaign_id)
    unit = unit_or_404(unit_id)
    if unit.institution_id != campaign.institution_id:
        abort(404)
    state = results.status(db.session, campaign.id)
    labels = _labels(campaign)
    if state.results is None:
        return render_template("admin/office.html", campaign=campaign, unit=unit, state=state,
                               view=None, labels=labels)
    instrument = campaign.instrument_version.instrument
    texts = {k: _localized_default(k) for k in instrument.dimensions}
    texts.update(actions.actions_of(db.session, unit.institution_id))
    view = dashboard.office_page(
        db.session, state.results, unit, current_user,
        results.history(db.session, campaign.institution_id), instrument, texts)
    suggestions = None
    if can(current_user, Capability.VIEW_FREE_TEXT):
        suggestions = dashboard.suggestions(db.session, state.results, unit, instrument)
    target_label = _("target")
    group_figure = charts.group_dimensions(
        view.by_group, groups=list(instrument.groups), group_label=labels.group,
        dimension_label=labels.dimension, target=campaign.target, target_label=target_label,
        axis_title=_("Score (0–100), %(level)s interval", level="95%"), fmt=index2)
    trend_figure = charts.trend(view.trend, target_label=target_label,
                                axis_title=_("Integrity index"), fmt=index2)
    return render_template("admin/office.html", campaign=campaign, unit=unit, state=state,
                           view=view, labels=labels, suggestions=suggestions,
                           group_figure=group_figure, trend_figure=trend_figure,
                           groups=list(instrument.groups))


def _localized_default(dimension: str) -> str:
    from survey.i18n import localized

    return localized(actions.DEFAULT_ACTIONS.get(dimension), "")


@bp.post("/campaigns/<int:campaign_id>/results/refresh")
@allow(Capability.CORRECT_RESULTS, Capability.MANAGE_CAMPAIGNS)
def refresh_results(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    results.request_refresh(db.session, campaign.id)
    db.session.commit()
    flash(_("The results will be computed again in a moment."), "info")
    return redirect(url_for("admin.results_overview", campaign_id=campaign.id), code=303)


@bp.get("/actions")
@allow(Capability.MANAGE_ACTIONS, Capability.VIEW_RESULTS)
def improvement_actions():
    return _actions_page()


def _actions_page(errors: dict | None = None, status: int = 200):
    institution_id = current_user.institution_id
    campaigns = staff.visible_campaigns(db.session, current_user)
    if institution_id is None or not campaigns:
        return render_template("admin/actions.html", dimensions=[], texts={}, defaults={},
                               labels=None, errors={}), status
    instrument = campaigns[0].instrument_version.instrument
    texts = actions.actions_of(db.session, institution_id)
    if errors:
        texts.update({k: request.form.get(f"action-{k}", "") for k in instrument.dimensions})
    defaults = {k: _localized_default(k) for k in instrument.dimensions}
    return render_template("admin/actions.html", dimensions=instrument.dimensions, texts=texts,
                           defaults=defaults, labels=_labels(campaigns[0]),
                           errors=errors or {}), status


@bp.post("/actions")
@allow(Capability.MANAGE_ACTIONS)
def save_improvement_actions():
    institution_id = current_user.institution_id
    campaigns = staff.visible_campaigns(db.session, current_user)
    if institution_id is None or not campaigns:
        abort(404)
    dimensions = campaigns[0].instrument_version.instrument.dimensions
    texts = {k: request.form.get(f"action-{k}", "") for k in dimensions}
    try:
        changed = actions.save_actions(db.session, institution_id, texts,
                                       dimensions=dimensions, actor=current_user)
    except actions.ActionError as error:
        db.session.rollback()
        key = str(error).split(":", 1)[0]
        return _actions_page({key: _("At most %(n)s characters.", n=actions.MAX_LENGTH)}, 400)
    flash(_("Saved: %(n)s dimension(s) changed.", n=len(changed)), "info")
    return redirect(url_for("admin.improvement_actions"), code=303)


@bp.get("/campaigns/<int:campaign_id>/monitoring")
@allow(Capability.VIEW_MONITORING)
def monitoring(campaign_id: int):
    """While a campaign runs: responses per day, and per office and group
    the response rate, the progress toward the recommended size of the
    sample plan and the margin of error reached so far; for inspectors the
    surge alarms (admin/surges.py)."""
    campaign = campaign_or_404(campaign_id)
    visible = staff.visible_unit_ids(db.session, current_user)
    days = dashboard.responses_per_day(db.session, campaign, visible, current_user)
    figure = charts.responses_per_day(days, axis_title=_("Responses stored"))
    view = dashboard.monitoring_page(db.session, campaign, current_user, visible,
                                     behind_only=request.args.get("behind") == "1",
                                     page=request.args.get("page", 1, type=int))
    return render_template("admin/monitoring.html", campaign=campaign, days=days,
                           figure=figure, view=view, figures=view.figures,
                           groups=campaign.instrument_version.instrument.groups,
                           campaigns=staff.visible_campaigns(db.session, current_user),
                           surge=surges.panel(campaign))
