"""Who may use which staff route, checked on the server for every request.

Every view of the staff blueprint declares its rule with :func:`allow`::

    @bp.get("/campaigns/<int:campaign_id>")
    @allow(Capability.VIEW_CAMPAIGNS)
    def campaign(campaign_id): ...

The blueprint's guard (:func:`enforce`) refuses, with 403, a request to a
view that declares no rule (deny by default), and
``tests/survey/test_access.py`` fails for such a view, so a new route cannot
be added without deciding who may use it. A rule names capabilities; a
role has a fixed set of them (:data:`ROLE_CAPABILITIES`). The person must
hold at least one of the capabilities a view names.

Objects are scoped too: :func:`campaign_or_404` and :func:`unit_or_404`
answer 404, never data, for another institution's ids, and for a unit
manager for any office outside their own office and its sub-offices.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from flask import abort, current_app, request
from flask_login import current_user

from survey.extensions import db
from survey.models import Campaign, Institution, Invitation, Role, StaffUser, Unit
from survey.services import staff

log = logging.getLogger(__name__)

View = TypeVar("View", bound=Callable)


class Capability(enum.StrEnum):
    """Something a person may do in the staff pages or the API."""

    # reading
    VIEW_MONITORING = "view_monitoring"  # response counts and rates while a campaign runs
    VIEW_RESULTS = "view_results"  # indices (small cells hidden from unit managers)
    VIEW_CAMPAIGNS = "view_campaigns"  # campaign settings, lists without personal data
    VIEW_UNITS = "view_units"
    VIEW_INSTRUMENTS = "view_instruments"
    VIEW_STAFF = "view_staff"
    VIEW_AUDIT_LOG = "view_audit_log"
    VIEW_REPORTS = "view_reports"  # citizen reports in full
    VIEW_REPORT_COUNTS = "view_report_counts"  # counts by category only
    VIEW_FREE_TEXT = "view_free_text"  # respondents' suggestions
    EXPORT_RESULTS = "export_results"  # scores as CSV, XLSX, PDF
    EXPORT_MICRODATA = "export_microdata"  # responses table for re-scoring
    VIEW_INVITATION_LINKS = "view_invitation_links"  # show a personal link again
    # changing
    MANAGE_CAMPAIGNS = "manage_campaigns"  # create, open, close, lists, invitations, sending
    MANAGE_UNITS = "manage_units"
    MANAGE_INSTRUMENTS = "manage_instruments"
    MANAGE_STAFF = "manage_staff"
    MANAGE_SETTINGS = "manage_settings"  # webhooks, platform settings
    CORRECT_RESULTS = "correct_results"  # corrections, exclusions of suspicious days
    TRIAGE_REPORTS = "triage_reports"
    MANAGE_ACTIONS = "manage_actions"  # improvement actions per dimension
    DRAW_CANDIDATES = "draw_candidates"  # counter sign-up: offer it, draw and invite candidates


# Respondents' free texts are for inspectors only (issue 9), not auditors.
_READ_ALL = frozenset(c for c in Capability if c.value.startswith(("view_", "export_"))) - {
    Capability.VIEW_INVITATION_LINKS, Capability.VIEW_FREE_TEXT}

#: What each role may do. Auditors read everything and change nothing.
ROLE_CAPABILITIES: dict[Role, frozenset[Capability]] = {
    Role.ADMIN: frozenset({
        Capability.VIEW_MONITORING, Capability.VIEW_CAMPAIGNS, Capability.VIEW_UNITS,
        Capability.VIEW_INSTRUMENTS, Capability.VIEW_STAFF, Capability.VIEW_AUDIT_LOG,
        Capability.VIEW_REPORT_COUNTS, Capability.VIEW_INVITATION_LINKS,
        Capability.MANAGE_CAMPAIGNS, Capability.MANAGE_UNITS, Capability.MANAGE_INSTRUMENTS,
        Capability.MANAGE_STAFF, Capability.MANAGE_SETTINGS, Capability.DRAW_CANDIDATES,
    }),
    Role.INSPECTOR: frozenset({
        Capability.VIEW_MONITORING, Capability.VIEW_RESULTS, Capability.VIEW_CAMPAIGNS,
        Capability.VIEW_UNITS, Capability.VIEW_INSTRUMENTS, Capability.VIEW_REPORTS,
        Capability.VIEW_REPORT_COUNTS, Capability.VIEW_FREE_TEXT, Capability.EXPORT_RESULTS,
        Capability.EXPORT_MICRODATA, Capability.CORRECT_RESULTS, Capability.TRIAGE_REPORTS,
        Capability.MANAGE_ACTIONS, Capability.DRAW_CANDIDATES,
    }),
    # Heads of office read the actions on their office page; the texts are
    # the institution's, kept by its inspectors.
    Role.UNIT_MANAGER: frozenset({
        Capability.VIEW_MONITORING, Capability.VIEW_RESULTS, Capability.VIEW_REPORT_COUNTS,
        Capability.EXPORT_RESULTS,
    }),
    Role.AUDITOR: _READ_ALL,
}


def can(user: StaffUser, capability: Capability) -> bool:
    """Whether ``user`` holds ``capability`` (templates use it to show links)."""
    return user.is_authenticated and capability in ROLE_CAPABILITIES[Role(user.role)]


@dataclass(frozen=True)
class Rule:
    """A view's access rule: ``public`` (the sign-in page), or signed-in
    staff holding one of ``capabilities`` (none named: any signed-in staff,
    for a person's own account pages)."""

    capabilities: frozenset[Capability] = frozenset()
    public: bool = False

    def permits(self, role: Role | str) -> bool:
        """Whether a signed-in person with ``role`` may use the view."""
        if self.public or not self.capabilities:
            return True
        return bool(self.capabilities & ROLE_CAPABILITIES[Role(role)])


def allow(*capabilities: Capability) -> Callable[[View], View]:
    """The view may be used by signed-in staff holding any of ``capabilities``."""
    return _mark(Rule(frozenset(capabilities)))


def signed_in(view: View) -> View:
    """The view may be used by any signed-in staff member (their own account)."""
    return _mark(Rule())(view)


def public(view: View) -> View:
    """The view may be used without signing in (sign-in, one-time links)."""
    return _mark(Rule(public=True))(view)


def _mark(rule: Rule) -> Callable[[View], View]:
    def decorate(view: View) -> View:
        view.access_rule = rule
        return view

    return decorate


def rule_of(endpoint: str | None) -> Rule | None:
    view = current_app.view_functions.get(endpoint or "")
    return getattr(view, "access_rule", None)


def enforce(unauthenticated: Callable[[], object]):
    """The guard of a blueprint: call it from ``before_request``.

    ``unauthenticated`` answers a request that needs a signed-in person and
    has none (the staff pages redirect to sign-in; the API answers 401).
    """
    rule = rule_of(request.endpoint)
    if rule is None:
        # A route nobody decided about is refused, loudly for developers.
        log.error("no access rule for endpoint %s; refused", request.endpoint)
        abort(403)
    if rule.public:
        return None
    if not current_user.is_authenticated:
        return unauthenticated()
    if not rule.permits(current_user.role):
        abort(403)
    return None


# -- objects within a person's scope -------------------------------------------


def campaign_or_404(campaign_id: int) -> Campaign:
    """The campaign, if the signed-in person may see its institution."""
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or not staff.can_see_institution(current_user, campaign.institution_id):
        abort(404)
    return campaign


def unit_or_404(unit_id: int) -> Unit:
    """The unit, if the signed-in person may see it: within their
    institution, and for a unit manager within their own office's tree."""
    unit = db.session.get(Unit, unit_id)
    if unit is None or not staff.can_see_unit(db.session, current_user, unit):
        abort(404)
    return unit


def invitation_or_404(invitation_id: int) -> Invitation:
    """The invitation, if the signed-in person may see its campaign's
    institution (and, for a unit manager, its office)."""
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or not staff.can_see_unit(db.session, current_user, invitation.unit):
        abort(404)
    return invitation


def institution_or_404(institution_id: int | None) -> Institution:
    """The person's institution; a platform administrator (who has none)
    names one (404 for an unknown id, or none named)."""
    if current_user.institution_id is not None:
        return current_user.institution
    institution = db.session.get(Institution, institution_id) if institution_id else None
    if institution is None:
        abort(404)
    return institution
