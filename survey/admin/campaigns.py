"""Campaigns: create, edit while in draft, open and close; the respondent
list, the sample plan and draw, the message texts, sending and the CSV of
links. Every change goes through a service, which writes the audit log."""

from __future__ import annotations

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from survey import clock
from survey.extensions import db
from survey.forms.campaigns import (
    CampaignForm,
    ConfirmForm,
    DrawForm,
    ExportForm,
    ListImportForm,
    MessagesForm,
    PlanForm,
    SendForm,
    choices,
)
from survey.services import (
    campaigns,
    invitations,
    messages,
    monitoring,
    respondents,
    sending,
    staff,
)
from survey.services import units as unit_service
from survey.services.senders import NotConfigured, sender_for
from survey.services.spreadsheets import SpreadsheetError

from . import bp
from .access import Capability, allow, campaign_or_404, institution_or_404
from .units import institution_choices


def _today():
    return clock.today(current_app.config["TIMEZONE"])


def outreach() -> invitations.Outreach:
    """Links and messages as this request should show them."""
    return invitations.Outreach.from_config(current_app.config, request_base=request.host_url)


def _back(campaign, anchor: str = ""):
    return redirect(url_for("admin.campaign", campaign_id=campaign.id) + anchor, code=303)


@bp.get("/campaigns", endpoint="campaigns")
@allow(Capability.VIEW_CAMPAIGNS)
def campaigns_list():
    return render_template("admin/campaigns.html",
                           campaigns=staff.visible_campaigns(db.session, current_user))


def _campaign_form(campaign=None) -> CampaignForm:
    form = CampaignForm(obj=campaign if request.method == "GET" else None)
    institution_choices(form)
    form.version.choices = choices(
        [(v.id, v.label) for v in campaigns.instrument_versions(db.session)])
    if request.method == "GET":
        if campaign is not None:
            form.version.data = campaign.instrument_version_id
            form.institution.data = campaign.institution_id
        else:
            today = _today()
            form.period.data = str(today.year)
            form.opens_on.data = today
    return form


@bp.route("/campaigns/new", methods=["GET", "POST"])
@allow(Capability.MANAGE_CAMPAIGNS)
def campaign_new():
    form = _campaign_form()
    error = None
    if not form.institution.choices:
        error = _("Add an institution and import its offices first.")
    elif form.validate_on_submit():
        institution = institution_or_404(form.institution.data)
        try:
            created = campaigns.create(
                db.session, institution, name=form.name.data, period=form.period.data,
                opens_on=form.opens_on.data, closes_on=form.closes_on.data,
                target=float(form.target.data), version=_version(form.version.data),
                actor=current_user)
        except campaigns.CampaignError as exc:
            error = str(exc)
        else:
            flash(_("Campaign created as a draft. Next: import the respondent list."), "success")
            return _back(created)
    status = 422 if request.method == "POST" else 200
    return render_template("admin/campaign_form.html", form=form, campaign=None,
                           error=error), status


def _version(version_id: int):
    version = next((v for v in campaigns.instrument_versions(db.session) if v.id == version_id),
                   None)
    if version is None:
        abort(404)
    return version


@bp.get("/campaigns/<int:campaign_id>")
@allow(Capability.VIEW_CAMPAIGNS)
def campaign(campaign_id: int):
    found = campaign_or_404(campaign_id)
    background = {}
    for via, channel in (("email", "email"), ("whatsapp_cloud", "whatsapp_cloud")):
        try:
            sender_for(channel, current_app.config)
            background[via] = None
        except NotConfigured as exc:
            background[via] = str(exc)
    return render_template(
        "admin/campaign.html", campaign=found,
        summary=campaigns.overview(db.session, found),
        figures=monitoring.campaign_monitoring(db.session, found),
        groups=found.instrument_version.instrument.groups,
        jobs=sending.campaign_jobs(db.session, found),
        troubled=sending.troubled(db.session, found),
        background=background, confirm=ConfirmForm(), send_form=SendForm(),
        export_form=_export_form(found), units=unit_service.units_of(db.session,
                                                                     found.institution_id))


def _export_form(found) -> ExportForm:
    form = ExportForm()
    form.unit.choices = choices([(0, _("All offices"))] + [
        (u.id, f"{u.name} ({u.code})")
        for u in unit_service.units_of(db.session, found.institution_id) if u.active])
    return form


@bp.route("/campaigns/<int:campaign_id>/edit", methods=["GET", "POST"])
@allow(Capability.MANAGE_CAMPAIGNS)
def campaign_edit(campaign_id: int):
    found = campaign_or_404(campaign_id)
    form = _campaign_form(found)
    form.institution.choices = choices([(found.institution_id, found.institution.name)])
    error = None
    if form.validate_on_submit():
        try:
            campaigns.update(db.session, found, actor=current_user, name=form.name.data,
                             period=form.period.data, opens_on=form.opens_on.data,
                             closes_on=form.closes_on.data, target=float(form.target.data),
                             version=_version(form.version.data))
        except campaigns.CampaignError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            flash(_("Campaign saved."), "success")
            return _back(found)
    status = 422 if request.method == "POST" else 200
    return render_template("admin/campaign_form.html", form=form, campaign=found,
                           error=error), status


def _confirmed() -> bool:
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    return True


@bp.post("/campaigns/<int:campaign_id>/open")
@allow(Capability.MANAGE_CAMPAIGNS)
def campaign_open(campaign_id: int):
    found = campaign_or_404(campaign_id)
    _confirmed()
    try:
        campaigns.open_campaign(db.session, found, today=_today(), actor=current_user)
    except campaigns.CampaignError as exc:
        flash(str(exc), "error")
    else:
        flash(_("The campaign is open."), "success")
    return _back(found)


@bp.post("/campaigns/<int:campaign_id>/close")
@allow(Capability.MANAGE_CAMPAIGNS)
def campaign_close(campaign_id: int):
    found = campaign_or_404(campaign_id)
    _confirmed()
    try:
        stored = campaigns.close_campaign(db.session, found, actor=current_user)
    except campaigns.CampaignError as exc:
        flash(str(exc), "error")
    else:
        flash(_("The campaign is closed; %(n)d held-back responses were stored.", n=stored),
              "success")
    return _back(found)


@bp.post("/campaigns/<int:campaign_id>/open-links")
@allow(Capability.MANAGE_CAMPAIGNS)
def campaign_open_links(campaign_id: int):
    found = campaign_or_404(campaign_id)
    _confirmed()
    try:
        made = campaigns.ensure_open_links(db.session, found, actor=current_user)
    except campaigns.CampaignError as exc:
        flash(str(exc), "error")
    else:
        flash(_("Open links created: %(n)d.", n=made), "success")
    return _back(found)


@bp.route("/campaigns/<int:campaign_id>/list", methods=["GET", "POST"])
@allow(Capability.MANAGE_CAMPAIGNS)
def campaign_list_import(campaign_id: int):
    found = campaign_or_404(campaign_id)
    form = ListImportForm()
    report = error = None
    if form.validate_on_submit():
        upload = form.file.data
        try:
            report = respondents.import_list(
                db.session, found, upload.read(), upload.filename or "upload",
                only_valid=form.only_valid.data, actor=current_user, commit=False)
            if report.imported and form.invite.data:
                report.invited = invitations.invite_listed(
                    db.session, found, seal=outreach().seal, actor=current_user, commit=False)
            db.session.commit()
        except (SpreadsheetError, respondents.ListError, invitations.InvitationError) as exc:
            db.session.rollback()
            error = str(exc)
        else:
            if report.imported:
                flash(_("Imported %(n)d people; invitations created: %(invited)d.",
                        n=report.imported, invited=report.invited), "success")
                if report.ok:
                    return _back(found)
    status = 422 if request.method == "POST" and (error or not report or not report.ok) else 200
    return render_template("admin/list_import.html", campaign=found, form=form, report=report,
                           error=error, groups=found.instrument_version.instrument.groups), status


@bp.post("/campaigns/<int:campaign_id>/invite")
@allow(Capability.MANAGE_CAMPAIGNS)
def campaign_invite(campaign_id: int):
    found = campaign_or_404(campaign_id)
    _confirmed()
    try:
        made = invitations.invite_listed(db.session, found, seal=outreach().seal,
                                         actor=current_user)
    except invitations.InvitationError as exc:
        flash(str(exc), "error")
    else:
        flash(_("Invitations created: %(n)d.", n=made), "success")
    return _back(found)


@bp.route("/campaigns/<int:campaign_id>/plan", methods=["GET", "POST"])
@allow(Capability.MANAGE_CAMPAIGNS)
def campaign_plan(campaign_id: int):
    found = campaign_or_404(campaign_id)
    plan = monitoring.Plan.of(found)
    form = PlanForm(data=None if request.method == "POST" else {
        "margin": plan.margin, "sd": plan.sd, "response_rate": round(plan.response_rate * 100)})
    error = None
    if form.validate_on_submit():
        try:
            campaigns.set_plan(db.session, found, margin=float(form.margin.data),
                               sd=float(form.sd.data),
                               response_rate=form.response_rate.data / 100, actor=current_user)
        except campaigns.CampaignError as exc:
            error = str(exc)
        else:
            flash(_("Sample plan saved."), "success")
            return redirect(url_for("admin.campaign_plan", campaign_id=found.id), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template(
        "admin/plan.html", campaign=found, form=form, error=error,
        figures=monitoring.campaign_monitoring(db.session, found),
        groups=found.instrument_version.instrument.groups,
        summary=campaigns.overview(db.session, found), draw_form=DrawForm(),
        confirm=ConfirmForm()), status


@bp.post("/campaigns/<int:campaign_id>/draw")
@allow(Capability.MANAGE_CAMPAIGNS)
def campaign_draw(campaign_id: int):
    found = campaign_or_404(campaign_id)
    form = DrawForm()
    if not form.validate_on_submit():
        flash(_("The seed must be a whole number from 0 to 2147483647."), "error")
    else:
        sizes = monitoring.sample_sizes(monitoring.campaign_monitoring(db.session, found))
        try:
            seed = respondents.draw_sample(db.session, found, sizes, seed=form.seed.data,
                                           actor=current_user)
        except respondents.ListError as exc:
            flash(str(exc), "error")
        else:
            flash(_("Sample drawn with seed %(seed)d.", seed=seed), "success")
    return redirect(url_for("admin.campaign_plan", campaign_id=found.id), code=303)


@bp.post("/campaigns/<int:campaign_id>/undraw")
@allow(Capability.MANAGE_CAMPAIGNS)
def campaign_undraw(campaign_id: int):
    found = campaign_or_404(campaign_id)
    _confirmed()
    try:
        respondents.undo_draw(db.session, found, actor=current_user)
    except respondents.ListError as exc:
        flash(str(exc), "error")
    else:
        flash(_("Everybody on the list is in the sample again."), "success")
    return redirect(url_for("admin.campaign_plan", campaign_id=found.id), code=303)


@bp.route("/campaigns/<int:campaign_id>/messages", methods=["GET", "POST"])
@allow(Capability.MANAGE_CAMPAIGNS)
def campaign_messages(campaign_id: int):
    found = campaign_or_404(campaign_id)
    form = MessagesForm()
    if request.method == "GET":
        form.language.data = messages.language_of(found)
        for language in messages.LANGUAGES:
            for kind in messages.KINDS:
                getattr(form, f"{language}_{kind}").data = messages.text_of(found, kind,
                                                                            language)
    error = None
    if form.validate_on_submit():
        texts = {language: {kind: getattr(form, f"{language}_{kind}").data
                            for kind in messages.KINDS} for language in messages.LANGUAGES}
        try:
            campaigns.set_messages(db.session, found, language=form.language.data, texts=texts,
                                   actor=current_user)
        except messages.TemplateError as exc:
            db.session.rollback()
            error = exc
        else:
            flash(_("Message texts saved."), "success")
            return redirect(url_for("admin.campaign_messages", campaign_id=found.id), code=303)
    preview = None
    if request.method == "GET":
        sample = outreach()
        preview = messages.fill(
            messages.text_of(found, "invitation"), campaign=found,
            office=_("Example Office"), link=sample.link("CONTOH-TAUTAN-PRIBADI"),
            minutes=invitations.estimated_minutes(found, "internal"), sender=sample.sender,
            language=messages.language_of(found))
    status = 422 if request.method == "POST" else 200
    return render_template("admin/messages.html", campaign=found, form=form, error=error,
                           preview=preview, placeholders=messages.PLACEHOLDERS), status


@bp.post("/campaigns/<int:campaign_id>/send")
@allow(Capability.MANAGE_CAMPAIGNS)
def campaign_send(campaign_id: int):
    found = campaign_or_404(campaign_id)
    form = SendForm()
    if not form.validate_on_submit() or form.channel.data not in ("email", "whatsapp_cloud") \
            or form.kind.data not in ("invitation", "reminder"):
        abort(400)
    try:
        sender_for(form.channel.data, current_app.config)
        job = sending.request(db.session, found, form.channel.data, form.kind.data,
                              actor=current_user, base_url=outreach().base_url)
    except (NotConfigured, sending.SendingError) as exc:
        flash(str(exc), "error")
    else:
        if job is None:
            flash(_("Nobody to send to: every invitation with this contact was sent, "
                    "answered or is waiting already."), "success")
        else:
            flash(_("Sending has started in the background; progress shows below."), "success")
    return _back(found, "#sending")


@bp.post("/campaigns/<int:campaign_id>/export")
@allow(Capability.VIEW_INVITATION_LINKS)
def campaign_export(campaign_id: int):
    found = campaign_or_404(campaign_id)
    form = _export_form(found)
    if not form.validate_on_submit():
        abort(400)
    try:
        text, count = sending.export_csv(db.session, found, outreach(),
                                         unit_id=form.unit.data or None, actor=current_user)
    except sending.SendingError as exc:
        flash(str(exc), "error")
        return _back(found)
    name = f"undangan-{found.id}{'-' + str(form.unit.data) if form.unit.data else ''}.csv"
    return Response(text.encode("utf-8"), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "Cache-Control": "no-store"})
