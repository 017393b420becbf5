"""Invitations one by one: their state, showing a link again, revoking and
reissuing, sending one again deliberately, and WhatsApp click-to-chat."""

from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from survey.extensions import db
from survey.forms.campaigns import ConfirmForm, SendForm
from survey.models import DeliveryChannel
from survey.services import invitations, sending
from survey.services import units as unit_service

from . import bp
from .access import Capability, allow, campaign_or_404, invitation_or_404, unit_or_404
from .campaigns import outreach

STATES = ("not_sent", "queued", "sent", "failed", "unknown", "answered", "replaced")


@bp.get("/campaigns/<int:campaign_id>/invitations")
@allow(Capability.MANAGE_CAMPAIGNS)
def invitation_list(campaign_id: int):
    found = campaign_or_404(campaign_id)
    unit_id = request.args.get("unit", type=int)
    if unit_id:
        unit_or_404(unit_id)
    state = request.args.get("state")
    if state not in STATES:
        state = None
    rows = invitations.listing(db.session, found, unit_id=unit_id or None, state=state)
    return render_template("admin/invitations.html", campaign=found, rows=rows,
                           units=unit_service.units_of(db.session, found.institution_id),
                           unit_id=unit_id, state=state, states=STATES, confirm=ConfirmForm(),
                           send_form=SendForm())


@bp.get("/campaigns/<int:campaign_id>/units/<int:unit_id>/whatsapp")
@allow(Capability.VIEW_INVITATION_LINKS)
def invitation_whatsapp_page(campaign_id: int, unit_id: int):
    found = campaign_or_404(campaign_id)
    unit = unit_or_404(unit_id)
    if unit.institution_id != found.institution_id:
        abort(404)
    waiting = [i for i in invitations.pending(db.session, found, unit_id=unit.id) if i.phone]
    response = make_response(render_template(
        "admin/whatsapp.html", campaign=found, unit=unit, waiting=waiting,
        confirm=ConfirmForm()))
    # The buttons post here, and the answer sends the browser on to WhatsApp.
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self' https://wa.me https://api.whatsapp.com; "
        "base-uri 'none'")
    return response


@bp.post("/invitations/<int:invitation_id>/whatsapp")
@allow(Capability.VIEW_INVITATION_LINKS)
def invitation_whatsapp(invitation_id: int):
    invitation = invitation_or_404(invitation_id)
    if not ConfirmForm().validate_on_submit() or not invitation.phone:
        abort(400)
    try:
        url = sending.click_to_chat(invitation, outreach())
        sending.record_manual(db.session, invitation, DeliveryChannel.WHATSAPP_LINK,
                              actor=current_user)
    except (sending.SendingError, invitations.InvitationError) as exc:
        flash(str(exc), "error")
        return redirect(url_for("admin.invitation_whatsapp_page",
                                campaign_id=invitation.campaign_id,
                                unit_id=invitation.unit_id), code=303)
    return redirect(url, code=303)


@bp.post("/invitations/<int:invitation_id>/link")
@allow(Capability.VIEW_INVITATION_LINKS)
def invitation_link(invitation_id: int):
    invitation = invitation_or_404(invitation_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        link = invitations.show_link(db.session, invitation, outreach(), actor=current_user)
    except invitations.InvitationError as exc:
        flash(str(exc), "error")
        return redirect(url_for("admin.invitation_list", campaign_id=invitation.campaign_id),
                        code=303)
    return render_template("admin/invitation_link.html", invitation=invitation, link=link,
                           replaced=False)


@bp.post("/invitations/<int:invitation_id>/reissue")
@allow(Capability.MANAGE_CAMPAIGNS)
def invitation_reissue(invitation_id: int):
    invitation = invitation_or_404(invitation_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        new, token = invitations.reissue(db.session, invitation, seal=outreach().seal,
                                         actor=current_user)
    except invitations.InvitationError as exc:
        flash(str(exc), "error")
        return redirect(url_for("admin.invitation_list", campaign_id=invitation.campaign_id),
                        code=303)
    return render_template("admin/invitation_link.html", invitation=new,
                           link=outreach().link(token), replaced=True)


@bp.post("/invitations/<int:invitation_id>/send")
@allow(Capability.MANAGE_CAMPAIGNS)
def invitation_send(invitation_id: int):
    invitation = invitation_or_404(invitation_id)
    form = SendForm()
    if not form.validate_on_submit() or form.channel.data not in ("email", "whatsapp_cloud"):
        abort(400)
    kind = "reminder" if invitation.sent else "invitation"
    try:
        job = sending.request(db.session, invitation.campaign, form.channel.data, kind,
                              actor=current_user, base_url=outreach().base_url,
                              invitation_ids=[invitation.id])
    except sending.SendingError as exc:
        flash(str(exc), "error")
    else:
        flash(_("The message will be sent again.") if job else
              _("This invitation cannot be sent this way (no contact, or a message is "
                "waiting already)."), "success" if job else "error")
    return redirect(url_for("admin.invitation_list", campaign_id=invitation.campaign_id),
                    code=303)
