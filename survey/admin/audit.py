"""The audit log: who did what, and when, to which object (read-only)."""

from __future__ import annotations

from flask import render_template, request
from flask_login import current_user

from survey.extensions import db
from survey.services import audit

from . import bp
from .access import Capability, allow


@bp.get("/audit")
@allow(Capability.VIEW_AUDIT_LOG)
def audit_log():
    action = (request.args.get("action") or "").strip()[:80] or None
    rows, pages = audit.entries(db.session, current_user, action=action,
                                page=request.args.get("page", 1, type=int))
    return render_template("admin/audit.html", rows=rows, pages=pages, action=action,
                           page=min(max(1, request.args.get("page", 1, type=int)), pages))
