"""The API's endpoints: read-only JSON, each with its access rule."""

from __future__ import annotations

from flask import jsonify, request
from flask_login import current_user

from survey.admin.access import Capability, allow, campaign_or_404, public, unit_or_404
from survey.extensions import db
from survey.services import api_documents, results
from survey.services.api_documents import MAX_PER_PAGE, Paging

from . import bp
from .errors import ApiError
from .openapi import document

#: Ids beyond this are not ids of ours (and would overflow the database's integers).
MAX_ID = 2**31 - 1
MAX_PAGE = 1_000_000


def _int_arg(name: str, default: int | None, low: int, high: int) -> int | None:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, "bad_parameter", f"{name} must be a whole number",
                       parameter=name) from None
    if not low <= value <= high:
        raise ApiError(400, "bad_parameter", f"{name} must be from {low} to {high}",
                       parameter=name)
    return value


def _accept(*names: str) -> None:
    """Refuse query parameters the endpoint does not know (a typo such as
    ``?per-page=10`` must not be silently ignored)."""
    for name in request.args:
        if name not in names:
            known = ", ".join(names) if names else "none"
            raise ApiError(400, "unknown_parameter",
                           f"unknown query parameter {name!r} (this endpoint takes: {known})",
                           parameter=name)


def _paging() -> Paging:
    _accept("page", "per_page")
    return Paging(_int_arg("page", 1, 1, MAX_PAGE),
                  _int_arg("per_page", api_documents.PER_PAGE, 1, MAX_PER_PAGE))


def _campaign(campaign_id: int):
    if campaign_id > MAX_ID:
        raise ApiError(404, "not_found", "no such campaign (or not within your scope)")
    return campaign_or_404(campaign_id)


def _unit(unit_id: int):
    if unit_id > MAX_ID:
        raise ApiError(404, "not_found", "no such office (or not within your scope)")
    return unit_or_404(unit_id)


@bp.get("/openapi.json")
@public
def openapi():
    return jsonify(document())


_READ_CAMPAIGNS = (Capability.VIEW_CAMPAIGNS, Capability.VIEW_RESULTS,
                   Capability.VIEW_MONITORING)


@bp.get("/campaigns")
@allow(*_READ_CAMPAIGNS)
def campaigns():
    return jsonify(api_documents.campaigns(db.session, current_user, _paging()))


@bp.get("/campaigns/<int:campaign_id>")
@allow(*_READ_CAMPAIGNS)
def campaign(campaign_id: int):
    _accept()
    return jsonify(api_documents.campaign_document(_campaign(campaign_id)))


@bp.get("/campaigns/<int:campaign_id>/results")
@allow(Capability.VIEW_RESULTS)
def campaign_results(campaign_id: int):
    _accept()
    found = _campaign(campaign_id)
    state = results.status(db.session, found.id)
    if state.results is None:
        raise ApiError(404, "results_not_ready",
                       "the results are being computed; ask again in a minute")
    return jsonify(api_documents.results_document(db.session, state.results, current_user))


@bp.get("/campaigns/<int:campaign_id>/monitoring")
@allow(Capability.VIEW_MONITORING)
def campaign_monitoring(campaign_id: int):
    found = _campaign(campaign_id)
    return jsonify(api_documents.monitoring_document(db.session, found, current_user,
                                                     _paging()))


@bp.get("/campaigns/<int:campaign_id>/reports")
@allow(Capability.VIEW_REPORT_COUNTS, Capability.VIEW_REPORTS)
def campaign_reports(campaign_id: int):
    _accept("unit_id")
    found = _campaign(campaign_id)
    unit_id = _int_arg("unit_id", None, 1, MAX_ID)
    unit = None
    if unit_id is not None:
        unit = _unit(unit_id)
        if unit.institution_id != found.institution_id:
            raise ApiError(404, "not_found", "no such office in this campaign's institution")
    return jsonify(api_documents.report_counts_document(db.session, found, current_user, unit))


_READ_OFFICES = (Capability.VIEW_UNITS, Capability.VIEW_RESULTS, Capability.VIEW_MONITORING)


@bp.get("/offices")
@allow(*_READ_OFFICES)
def offices():
    return jsonify(api_documents.offices(db.session, current_user, _paging()))


@bp.get("/offices/<int:unit_id>")
@allow(*_READ_OFFICES)
def office(unit_id: int):
    _accept()
    return jsonify(api_documents.office_document(_unit(unit_id)))
