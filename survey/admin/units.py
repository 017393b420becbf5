"""Offices: the institution's tree of units, imported from a spreadsheet
and edited one by one (administrators); an institution for a new city."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import IntegerField
from wtforms.validators import NumberRange, Optional

from survey.extensions import db
from survey.forms.campaigns import InstitutionForm, UnitForm, UnitImportForm, choices
from survey.services import units as unit_service
from survey.services.spreadsheets import SpreadsheetError

from . import bp
from .access import Capability, allow, institution_or_404, unit_or_404


def institution_choices(form) -> None:
    """The institutions a form may name: the person's own, or (a platform
    administrator) every one."""
    if current_user.institution_id is not None:
        pairs = [(current_user.institution.id, current_user.institution.name)]
    else:
        pairs = [(i.id, f"{i.name} ({i.code})") for i in unit_service.institutions(db.session)]
    form.institution.choices = choices(pairs)


def _page(import_form=None, report=None, error=None, status=200):
    chosen = request.args.get("institution", type=int)
    institutions = ([] if current_user.institution_id is not None
                    else unit_service.institutions(db.session))
    if current_user.institution_id is None and chosen is None and institutions:
        chosen = institutions[0].id
    institution = (institution_or_404(chosen)
                   if current_user.institution_id is not None or chosen else None)
    import_form = import_form or UnitImportForm()
    institution_choices(import_form)
    if institution is not None and request.method == "GET":
        import_form.institution.data = institution.id
    return render_template(
        "admin/units.html", institution=institution, institutions=institutions,
        units=unit_service.units_of(db.session, institution.id) if institution else [],
        depth=unit_service.depth, import_form=import_form, report=report, error=error,
        institution_form=InstitutionForm(prefix="new")), status


@bp.get("/units")
@allow(Capability.VIEW_UNITS)
def units():
    return _page()


@bp.post("/units/import")
@allow(Capability.MANAGE_UNITS)
def unit_import():
    form = UnitImportForm()
    institution_choices(form)
    if not form.validate_on_submit():
        return _page(form, status=422)
    institution = institution_or_404(form.institution.data)
    upload = form.file.data
    try:
        report = unit_service.import_units(db.session, institution, upload.read(),
                                           upload.filename or "upload", actor=current_user)
    except SpreadsheetError as exc:
        return _page(form, error=str(exc), status=422)
    if not report.ok:
        return _page(form, report=report, status=422)
    flash(_("%(created)d offices added and %(updated)d updated.", created=report.created,
            updated=report.updated), "success")
    return redirect(url_for("admin.units", institution=institution.id), code=303)


@bp.post("/institutions")
@allow(Capability.MANAGE_UNITS)
def institution_create():
    if current_user.institution_id is not None:
        flash(_("Only the platform's administrator adds institutions."), "error")
        return redirect(url_for("admin.units"), code=303)
    form = InstitutionForm(prefix="new")
    if not form.validate_on_submit():
        return _page(status=422)
    try:
        found = unit_service.institution(db.session, form.code.data, name=form.name.data,
                                         actor=current_user)
    except unit_service.UnitError as exc:
        return _page(error=str(exc), status=422)
    flash(_("Institution %(name)s is ready: import its offices.", name=found.name), "success")
    return redirect(url_for("admin.units", institution=found.id), code=303)


def _unit_form(unit):
    class Form(UnitForm):
        pass

    groups = unit_service.population_groups(unit)
    for group in groups:
        setattr(Form, f"population_{group}", IntegerField(
            _("Population: %(group)s", group=group),
            validators=[Optional(), NumberRange(min=1)]))
    form = Form(obj=None if request.method == "POST" else unit)
    others = [u for u in unit_service.units_of(db.session, unit.institution_id) if u.id != unit.id]
    form.parent.choices = choices([(0, _("(none: a top-level office)"))] + [
        (u.id, f"{'— ' * unit_service.depth(u)}{u.name} ({u.code})") for u in others])
    if request.method == "GET":
        form.parent.data = unit.parent_id or 0
        for group in groups:
            getattr(form, f"population_{group}").data = unit.population(group)
    return form, groups


@bp.route("/units/<int:unit_id>", methods=["GET", "POST"])
@allow(Capability.MANAGE_UNITS)
def unit_edit(unit_id: int):
    unit = unit_or_404(unit_id)
    form, groups = _unit_form(unit)
    error = None
    if form.validate_on_submit():
        parent = unit_or_404(form.parent.data) if form.parent.data else None
        try:
            unit_service.update_unit(
                db.session, unit, name=form.name.data, parent=parent, active=form.active.data,
                populations={g: getattr(form, f"population_{g}").data for g in groups},
                actor=current_user)
        except unit_service.UnitError as exc:
            error = str(exc)
        else:
            flash(_("Office %(code)s saved.", code=unit.code), "success")
            return redirect(url_for("admin.units", institution=unit.institution_id), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("admin/unit_edit.html", unit=unit, form=form, groups=groups,
                           error=error), status
