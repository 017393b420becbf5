"""Webhooks: the platform tells other systems (a Smart City dashboard, a
data warehouse) when a campaign's results were computed again.

An administrator registers an HTTPS endpoint (:func:`register`); it gets a
signing secret ``whsec_<base64>``, shown once. When
:func:`survey.services.results.refresh` stores new results it calls
:func:`results_refreshed`, which records one :class:`WebhookDelivery` per
active endpoint of the campaign's institution and queues a job
(``webhook.deliver``) for each, in the same transaction.

Deliveries follow the Standard Webhooks specification: the body is a small
JSON event ``{"type", "timestamp", "data"}``; the headers ``webhook-id``
(the same on every retry, the receiver's idempotency key),
``webhook-timestamp`` (Unix seconds of this attempt) and
``webhook-signature`` (``v1,`` + base64 of HMAC-SHA256 over
``id.timestamp.body`` keyed with the secret's decoded bytes). A delivery
that fails (a network error, or any status but 2xx) is retried with the job
queue's backoff (10 s, 1 min, 5 min, 30 min); each attempt is recorded and
shown to administrators. A worker that dies mid-post may send an event
twice, with the same ``webhook-id``, which is why receivers deduplicate.

The event carries no personal data and no scores: the receiver fetches the
numbers through the API with a token of its own (``data.results_url``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import secrets
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from survey import clock
from survey.models import (
    Campaign,
    DeliveryState,
    StaffUser,
    Webhook,
    WebhookDelivery,
)
from survey.models.base import random_id

from . import audit, done, jobs
from .tokens import LinkSeal

JOB_KIND = "webhook.deliver"
EVENT_RESULTS_REFRESHED = "results.refreshed"
SECRET_PREFIX = "whsec_"  # noqa: S105  (the format's marker, not a secret)
#: Seconds to wait for an endpoint's answer.
TIMEOUT = 10.0
#: Attempts per delivery (the job queue's backoff between them).
MAX_ATTEMPTS = 5
_SEAL_PURPOSE = b"integrity-survey webhook secrets v1"


class WebhookError(ValueError):
    """A webhook request that cannot be carried out (one-line message)."""


# -- signing (Standard Webhooks) -------------------------------------------------


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode("ascii")


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header value: ``v1,<base64 HMAC-SHA256>``."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = message_id.encode("utf-8") + b"." + str(timestamp).encode("ascii") + b"." + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def _seal(secret_key: str) -> LinkSeal:
    return LinkSeal(secret_key, purpose=_SEAL_PURPOSE)


def _associated(webhook_id: int) -> str:
    return f"webhook:{webhook_id}"


# -- registering ------------------------------------------------------------------


def check_url(url: str, *, allow_local_http: bool = False) -> str:
    """The endpoint address, if acceptable: https:// with a host name (or a
    public address), no user name or password in it; http://127.0.0.1 only
    when ``allow_local_http`` (tests, a receiver on the same machine).

    Raises
    ------
    WebhookError
        What is wrong with it.
    """
    url = (url or "").strip()
    if not url:
        raise WebhookError("give the endpoint's address (https://...)")
    if len(url) > 500:
        raise WebhookError("the address has more than 500 characters")
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError:
        raise WebhookError("this is not a web address") from None
    if parts.username or parts.password:
        raise WebhookError("the address must not contain a user name or password")
    if not host:
        raise WebhookError("the address has no host name")
    if parts.scheme == "http" and allow_local_http and host == "127.0.0.1":
        return url
    if parts.scheme != "https":
        raise WebhookError("the address must start with https://")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if host == "localhost" or host.endswith(".localhost"):
            raise WebhookError("the address must be reachable from outside this "
                               "machine") from None
        return url
    if not address.is_global:
        raise WebhookError("the address is in a private or local network")
    return url


def register(session: Session, actor: StaffUser, url: str, description: str = "", *,
             secret_key: str, allow_local_http: bool = False,
             commit: bool = True) -> tuple[Webhook, str]:
    """Register an endpoint for the events of ``actor``'s institution (every
    institution's, for a platform administrator). Returns the webhook and
    its signing secret, to show once. Audited.

    Raises
    ------
    WebhookError
        The address is not acceptable, or the description too long.
    """
    url = check_url(url, allow_local_http=allow_local_http)
    description = " ".join((description or "").split())
    if len(description) > 200:
        raise WebhookError("the description has more than 200 characters")
    secret = new_secret()
    webhook = Webhook(institution_id=actor.institution_id, url=url, description=description,
                      secret_sealed=b"", created_by_id=actor.id)
    session.add(webhook)
    session.flush()
    webhook.secret_sealed = _seal(secret_key).seal(secret, _associated(webhook.id))
    audit.record(session, "webhook.register", actor=actor, target=f"webhook {webhook.id}",
                 detail={"url": url, "description": description})
    done(session, commit)
    return webhook, secret


def _webhook_of(session: Session, actor: StaffUser, webhook_id: int) -> Webhook:
    webhook = session.get(Webhook, webhook_id)
    if webhook is None or (actor.institution_id is not None
                           and webhook.institution_id != actor.institution_id):
        raise WebhookError("no such webhook")
    return webhook


def deactivate(session: Session, actor: StaffUser, webhook_id: int, *,
               commit: bool = True) -> Webhook:
    """Stop sending events to an endpoint (its deliveries stay on record).
    Audited.

    Raises
    ------
    WebhookError
        No such webhook within ``actor``'s institution.
    """
    webhook = _webhook_of(session, actor, webhook_id)
    if webhook.active:
        webhook.active = False
        audit.record(session, "webhook.deactivate", actor=actor,
                     target=f"webhook {webhook.id}", detail={"url": webhook.url})
    done(session, commit)
    return webhook


def webhooks_of(session: Session, user: StaffUser) -> list[Webhook]:
    """The webhooks ``user`` may manage, newest first."""
    query = select(Webhook).order_by(Webhook.created_at.desc(), Webhook.id.desc())
    if user.institution_id is not None:
        query = query.where(Webhook.institution_id == user.institution_id)
    return list(session.scalars(query))


def recent_deliveries(session: Session, user: StaffUser,
                      limit: int = 50) -> list[WebhookDelivery]:
    """The latest deliveries to ``user``'s webhooks, newest first."""
    query = (select(WebhookDelivery).join(WebhookDelivery.webhook)
             .order_by(WebhookDelivery.id.desc()).limit(limit))
    if user.institution_id is not None:
        query = query.where(Webhook.institution_id == user.institution_id)
    return list(session.scalars(query))


# -- events and deliveries --------------------------------------------------------


def results_refreshed(session: Session, campaign: Campaign, *, computed_at,
                      responses: int) -> list[WebhookDelivery]:
    """Queue the event "results refreshed" for every active endpoint of the
    campaign's institution (in the caller's transaction; flushes)."""
    hooks = session.scalars(select(Webhook).where(
        Webhook.active.is_(True),
        (Webhook.institution_id == campaign.institution_id)
        | Webhook.institution_id.is_(None)))
    now = clock.now()
    event = {
        "type": EVENT_RESULTS_REFRESHED,
        "timestamp": now.isoformat(),
        "data": {"campaign_id": campaign.id, "campaign_name": campaign.name,
                 "period": campaign.period, "institution": campaign.institution.code,
                 "computed_at": computed_at.isoformat(), "responses": responses,
                 "results_url": f"/api/v1/campaigns/{campaign.id}/results"},
    }
    deliveries = []
    for hook in hooks:
        delivery = WebhookDelivery(webhook_id=hook.id, message_id="msg_" + random_id(),
                                   event_type=EVENT_RESULTS_REFRESHED, payload=event, log=[],
                                   state=DeliveryState.PENDING, attempts=0)
        session.add(delivery)
        session.flush()
        jobs.enqueue(session, JOB_KIND, {"delivery_id": delivery.id},
                     max_attempts=MAX_ATTEMPTS)
        deliveries.append(delivery)
    return deliveries


def body_of(delivery: WebhookDelivery) -> bytes:
    """The exact bytes posted (and signed)."""
    return json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False,
                      sort_keys=True).encode("utf-8")


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    response = httpx.post(url, content=body, headers=headers, timeout=TIMEOUT,
                          follow_redirects=False)
    return response.status_code


@jobs.handler(JOB_KIND)
def _deliver_job(session: Session, payload: dict, context: jobs.JobContext) -> dict[str, Any]:
    delivery = session.get(WebhookDelivery, int(payload["delivery_id"]))
    if delivery is None or delivery.state == DeliveryState.DELIVERED:
        return {"skipped": True}
    webhook = delivery.webhook
    if not webhook.active:
        delivery.state = DeliveryState.FAILED
        delivery.last_error = "the webhook was deactivated"
        session.commit()
        return {"skipped": True}
    secret_key = context.config.get("SECRET_KEY")
    secret = _seal(secret_key).open(webhook.secret_sealed, _associated(webhook.id)) \
        if secret_key else None
    if secret is None:
        raise RuntimeError("the webhook's secret cannot be opened with this SECRET_KEY")
    now = clock.now()
    timestamp = int(now.timestamp())
    body = body_of(delivery)
    headers = {"content-type": "application/json", "user-agent": "integrity-survey-webhooks",
               "webhook-id": delivery.message_id, "webhook-timestamp": str(timestamp),
               "webhook-signature": sign(secret, delivery.message_id, timestamp, body)}
    status = error = None
    try:
        status = _post(webhook.url, body, headers)
        if not 200 <= status < 300:
            error = f"the endpoint answered HTTP {status}"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: could not reach the endpoint"
    delivery.attempts += 1
    delivery.log = [*delivery.log, {"at": now.isoformat(), "status": status, "error": error}]
    delivery.response_status = status
    delivery.last_error = error
    if error is None:
        delivery.state = DeliveryState.DELIVERED
        delivery.delivered_at = now
    elif context.attempt >= MAX_ATTEMPTS:
        delivery.state = DeliveryState.FAILED
    session.commit()
    if error is not None:
        raise RuntimeError(error)  # the job queue retries with backoff
    return {"delivery_id": delivery.id, "status": status}
