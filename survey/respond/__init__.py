"""Public blueprint: the home page, personal and open links, citizen
reports, the language switch. No login; every page speaks Indonesian first."""

from flask import Blueprint

bp = Blueprint("respond", __name__, template_folder=None)

from . import check, reports, signup, views  # noqa: E402,F401  (registers the routes)
