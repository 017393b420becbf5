"""Instrument versions: the list, a preview of the questionnaire in both
languages, and uploading a new version with the validator's report."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

import analysis
from survey.extensions import db
from survey.questionnaire import build_pages
from survey.services import instruments

from . import bp
from .access import Capability, allow


def _list_page(*, problems=None, source=None, status=200):
    return render_template("admin/instruments.html",
                           versions=instruments.visible_versions(db.session, current_user),
                           problems=problems, source=source), status


@bp.get("/instruments")
@allow(Capability.VIEW_INSTRUMENTS)
def instruments_page():
    return _list_page()


@bp.post("/instruments")
@allow(Capability.MANAGE_INSTRUMENTS)
def upload_instrument():
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _list_page(problems=[analysis.Problem("", _("Choose a file to upload."))],
                          status=400)
    name = upload.filename[-120:]
    fmt = "json" if name.lower().endswith(".json") else "yaml"
    try:
        content = upload.read().decode("utf-8")
    except UnicodeDecodeError:
        return _list_page(problems=[analysis.Problem("", _("The file is not UTF-8 text."))],
                          source=name, status=400)
    try:
        version = instruments.register_instrument(db.session, content, fmt=fmt, source=name,
                                                  actor=current_user)
    except analysis.InstrumentError as error:
        db.session.rollback()
        return _list_page(problems=error.problems, source=name, status=400)
    flash(_("Instrument %(label)s is stored and can be pinned by a campaign.",
            label=version.label), "info")
    return redirect(url_for("admin.instrument", version_id=version.id), code=303)


@bp.get("/instruments/<int:version_id>")
@allow(Capability.VIEW_INSTRUMENTS)
def instrument(version_id: int):
    found = {v.id: v for v, _count in instruments.visible_versions(db.session, current_user)}
    version = found.get(version_id)
    if version is None:
        abort(404)
    parsed = version.instrument
    groups = [(key, build_pages(parsed, key)) for key in parsed.groups]
    return render_template("admin/instrument.html", version=version, instrument=parsed,
                           groups=groups)
