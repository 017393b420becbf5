"""Staff blueprint (/staff): the inspectorate, unit managers and auditors.

One module per area of work (sign-in, campaign progress, ...). Every view
declares who may use it (``access.allow``); the guard below refuses the
rest, and scopes objects to the person's institution and offices on the
server (``access.campaign_or_404``, ``access.unit_or_404``).
"""

from flask import Blueprint

from survey.extensions import login_manager

from . import access

bp = Blueprint("admin", __name__)


@bp.before_request
def _guard():
    from .auth import end_idle_session

    end_idle_session()
    return access.enforce(login_manager.unauthorized)


# Template globals, not a context processor: the same objects on every
# page, so nothing to call for each one rendered.
bp.add_app_template_global(access.can, "can")
bp.add_app_template_global(access.Capability, "Capability")


from . import (  # noqa: E402,F401  (registers the routes)
    audit,
    auth,
    campaigns,
    candidates,
    corrections,
    downloads,
    instruments,
    integrations,
    invitations,
    posters,
    present,
    printouts,
    progress,
    reports,
    results,
    surges,
    units,
    users,
)
