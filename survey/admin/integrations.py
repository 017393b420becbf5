"""Personal API tokens (every staff member, for their own account) and
webhooks (administrators): the staff side of the REST API and its events."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from survey.extensions import db
from survey.services import api_tokens, webhooks

from . import bp
from .access import Capability, allow, signed_in


def _token_message(error: api_tokens.TokenError) -> str:
    text = str(error)
    if "give the token a name" in text:
        return _("Give the token a name: what or who will use it.")
    if "more than" in text:
        return _("The name may have at most %(n)s characters.", n=api_tokens.MAX_NAME)
    if "live tokens" in text:
        return _("You have %(n)s tokens already: revoke one first.", n=api_tokens.MAX_TOKENS)
    return _("No such token.")


def _tokens_page(*, created=None, error=None, status=200):
    return render_template("admin/tokens.html",
                           tokens=api_tokens.tokens_of(db.session, current_user),
                           created=created, error=error, name=request.form.get("name", "")
                           ), status


@bp.get("/account/tokens")
@signed_in
def api_tokens_page():
    return _tokens_page()


@bp.post("/account/tokens")
@signed_in
def create_api_token():
    try:
        row, token = api_tokens.create(db.session, current_user, request.form.get("name", ""))
    except api_tokens.TokenError as error:
        db.session.rollback()
        return _tokens_page(error=_token_message(error), status=400)
    # Shown on this page only (never in a redirect or a flash message).
    return _tokens_page(created={"row": row, "token": token}, status=201)


@bp.post("/account/tokens/revoke")
@signed_in
def revoke_api_token():
    token_id = request.form.get("token_id", type=int)
    if token_id is None:
        abort(404)
    try:
        row = api_tokens.revoke(db.session, current_user, token_id)
    except api_tokens.TokenError:
        db.session.rollback()
        abort(404)
    flash(_("Token “%(name)s” revoked: it no longer works.", name=row.name), "info")
    return redirect(url_for("admin.api_tokens_page"), code=303)


# -- webhooks -----------------------------------------------------------------------


def _webhook_message(error: webhooks.WebhookError) -> str:
    text = str(error)
    known = (
        ("give the endpoint", _("Give the endpoint's address (https://…).")),
        ("must start with https", _("The address must start with https://.")),
        ("user name or password", _("The address must not contain a user name or "
                                    "password.")),
        ("private or local", _("The address is in a private or local network; the "
                               "endpoint must be reachable on the internet.")),
        ("reachable from outside", _("The address is in a private or local network; the "
                                     "endpoint must be reachable on the internet.")),
        ("more than 500", _("The address may have at most 500 characters.")),
        ("description has more", _("The description may have at most 200 characters.")),
    )
    for marker, message in known:
        if marker in text:
            return message
    return _("This is not a web address.")


def _webhooks_page(*, created=None, error=None, status=200):
    return render_template("admin/webhooks.html",
                           hooks=webhooks.webhooks_of(db.session, current_user),
                           deliveries=webhooks.recent_deliveries(db.session, current_user),
                           created=created, error=error, form=request.form), status


@bp.get("/webhooks")
@allow(Capability.MANAGE_SETTINGS)
def webhooks_page():
    return _webhooks_page()


@bp.post("/webhooks")
@allow(Capability.MANAGE_SETTINGS)
def register_webhook():
    try:
        hook, secret = webhooks.register(
            db.session, current_user, request.form.get("url", ""),
            request.form.get("description", ""), secret_key=current_app.config["SECRET_KEY"],
            allow_local_http=current_app.config["WEBHOOK_ALLOW_LOCAL_HTTP"])
    except webhooks.WebhookError as error:
        db.session.rollback()
        return _webhooks_page(error=_webhook_message(error), status=400)
    return _webhooks_page(created={"hook": hook, "secret": secret}, status=201)


@bp.post("/webhooks/deactivate")
@allow(Capability.MANAGE_SETTINGS)
def deactivate_webhook():
    webhook_id = request.form.get("webhook_id", type=int)
    if webhook_id is None:
        abort(404)
    try:
        hook = webhooks.deactivate(db.session, current_user, webhook_id)
    except webhooks.WebhookError:
        db.session.rollback()
        abort(404)
    flash(_("Webhook %(url)s stopped: no more events are sent to it.", url=hook.url), "info")
    return redirect(url_for("admin.webhooks_page"), code=303)
