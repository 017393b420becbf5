"""Staff blueprint (/staff): the inspectorate, unit managers and auditors.

Every route except sign-in requires a signed-in, active account; what a
person sees is limited to their units on the server (services.staff).
"""

from flask import Blueprint

bp = Blueprint("admin", __name__)

from . import views  # noqa: E402,F401  (registers the routes)
