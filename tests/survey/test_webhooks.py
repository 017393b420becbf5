"""Webhooks: an administrator registers an endpoint; when a campaign's
results are refreshed, the platform posts a small event signed by the
Standard Webhooks scheme, retries after a failure, and records each
delivery. The receiver here runs on 127.0.0.1 and checks the signature the
way the specification tells receivers to (written independently of the
platform's signing code)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from sqlalchemy import select
from support import PASSWORD, csrf_of, sign_in

from survey import clock
from survey.extensions import db
from survey.models import AuditEntry, DeliveryState, Webhook, WebhookDelivery
from survey.services import jobs, results, staff, webhooks

SECRET = re.compile(r"<code>(whsec_[A-Za-z0-9+/=]+)</code>")
TOLERANCE = 5 * 60


def verify(secret: str, headers: dict[str, str], body: bytes, *, now: float) -> dict:
    """Standard Webhooks verification, as a receiver does it: the secret
    without its ``whsec_`` prefix is base64; the signed content is
    ``{webhook-id}.{webhook-timestamp}.{body}``; the header lists
    space-separated ``v1,<base64>`` signatures, one of which must match
    (compared in constant time); the timestamp must be within five minutes."""
    msg_id = headers["webhook-id"]
    timestamp = headers["webhook-timestamp"]
    if abs(now - int(timestamp)) > TOLERANCE:
        raise ValueError("timestamp outside the tolerance")
    key = base64.b64decode(secret.split("_", 1)[1])
    content = f"{msg_id}.{timestamp}.".encode() + body
    expected = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
    for candidate in headers["webhook-signature"].split(" "):
        version, _, signature = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(signature, expected):
            return json.loads(body)
    raise ValueError("no valid signature")


class Receiver:
    """An HTTP endpoint on 127.0.0.1 answering the statuses it is given,
    keeping every request's headers and body."""

    def __init__(self, statuses: list[int]):
        self.statuses = list(statuses)
        self.requests: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802  (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append(({k.lower(): v for k, v in self.headers.items()},
                                          body))
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                self.end_headers()

            def log_message(self, *args):  # keep the test output quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/spi"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    found = []

    def make(statuses):
        found.append(Receiver(statuses))
        return found[-1]

    yield make
    for r in found:
        r.close()


@pytest.fixture
def admin(session, small_city):
    return staff.create_user(session, email="admin@kota.example", name="Admin", role="admin",
                             password=PASSWORD)


def _register(client, url: str, description: str = "Dasbor Smart City"):
    page = client.get("/staff/webhooks")
    assert page.status_code == 200
    return client.post("/staff/webhooks", data={
        "csrf_token": csrf_of(page.get_data(as_text=True)), "url": url,
        "description": description})


def _run_jobs(app):
    with app.app_context():
        engine = db.engine
    return jobs.run_pending(engine, config=app.config)


def test_a_delivery_is_signed_verifiable_and_retried_after_a_500(
        app, client, session, small_city, admin, receiver):
    app.config["WEBHOOK_ALLOW_LOCAL_HTTP"] = True
    endpoint = receiver([500, 200])
    sign_in(client, "admin@kota.example")
    registered = _register(client, endpoint.url)
    assert registered.status_code == 201
    secret = SECRET.findall(registered.get_data(as_text=True))[0]
    hook = session.scalar(select(Webhook))
    assert secret.encode() not in hook.secret_sealed  # kept sealed, not in clear
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "webhook.register"))

    results.refresh(session, small_city.id)
    _run_jobs(app)
    assert len(endpoint.requests) == 1  # answered 500: retried later, not at once
    delivery = session.scalar(select(WebhookDelivery))
    session.refresh(delivery)
    assert delivery.state == DeliveryState.PENDING and delivery.attempts == 1
    assert delivery.response_status == 500

    with time_machine.travel(clock.now() + timedelta(seconds=11), tick=True):
        _run_jobs(app)
        now = time.time()
    assert len(endpoint.requests) == 2
    events = [verify(secret, headers, body, now=now) for headers, body in endpoint.requests]
    first, second = (headers for headers, _ in endpoint.requests)
    assert first["webhook-id"] == second["webhook-id"] == delivery.message_id
    assert first["content-type"] == "application/json"
    event = events[1]
    assert event["type"] == "results.refreshed"
    assert event["data"]["campaign_id"] == small_city.id
    assert event["data"]["results_url"] == f"/api/v1/campaigns/{small_city.id}/results"

    session.refresh(delivery)
    assert delivery.state == DeliveryState.DELIVERED and delivery.attempts == 2
    assert [entry["status"] for entry in delivery.log] == [500, 200]
    page = client.get("/staff/webhooks").get_data(as_text=True)
    assert delivery.message_id in page and "HTTP 200" in page


def test_the_receivers_check_refuses_a_forged_or_stale_message(small_city):
    secret = webhooks.new_secret()
    body = b'{"type":"results.refreshed"}'
    stamp = int(time.time())
    headers = {"webhook-id": "msg_1", "webhook-timestamp": str(stamp),
               "webhook-signature": webhooks.sign(secret, "msg_1", stamp, body)}
    assert verify(secret, headers, body, now=stamp)["type"] == "results.refreshed"
    with pytest.raises(ValueError, match="signature"):
        verify(secret, headers, body.replace(b"results", b"resultz"), now=stamp)
    with pytest.raises(ValueError, match="signature"):
        verify(webhooks.new_secret(), headers, body, now=stamp)
    with pytest.raises(ValueError, match="tolerance"):
        verify(secret, headers, body, now=stamp + 3600)


def test_a_delivery_gives_up_after_its_attempts_and_says_so(app, session, small_city, admin,
                                                            receiver):
    endpoint = receiver([500] * webhooks.MAX_ATTEMPTS)
    webhooks.register(session, admin, endpoint.url, secret_key=app.config["SECRET_KEY"],
                      allow_local_http=True)
    results.refresh(session, small_city.id)
    moment = clock.now()
    for _ in range(webhooks.MAX_ATTEMPTS):
        with time_machine.travel(moment, tick=False):
            _run_jobs(app)
        moment += timedelta(hours=3)
    delivery = session.scalar(select(WebhookDelivery))
    session.refresh(delivery)
    assert len(endpoint.requests) == webhooks.MAX_ATTEMPTS
    assert delivery.state == DeliveryState.FAILED
    assert delivery.last_error == "the endpoint answered HTTP 500"


@pytest.mark.security
@pytest.mark.parametrize(("url", "message"), [
    ("http://example.org/hook", "must start with https://"),
    ("http://127.0.0.1:9/hook", "must start with https://"),  # not allowed in this app
    ("https://10.1.2.3/hook", "private or local network"),
    ("https://localhost/hook", "private or local network"),
    ("https://user:pw@example.org/hook", "user name or password"),
    ("https://", "not a web address"),
    ("", "Give the endpoint"),
])
def test_only_public_https_endpoints_are_accepted(client, session, small_city, admin, url,
                                                  message):
    sign_in(client, "admin@kota.example")
    client.get("/staff/webhooks")  # language cookie unset: the default language
    client.set_cookie("lang", "en")
    response = _register(client, url)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert session.scalar(select(Webhook)) is None


@pytest.mark.security
def test_heads_of_office_and_inspectors_cannot_register_webhooks(client, small_city):
    for email in ("kepala@kota.example", "inspektur@kota.example"):
        fresh = client.application.test_client()
        sign_in(fresh, email)
        assert fresh.get("/staff/webhooks").status_code == 403


def test_a_stopped_webhook_gets_no_more_events(app, session, small_city, admin, receiver):
    endpoint = receiver([])
    hook, _ = webhooks.register(session, admin, endpoint.url,
                                secret_key=app.config["SECRET_KEY"], allow_local_http=True)
    webhooks.deactivate(session, admin, hook.id)
    results.refresh(session, small_city.id)
    _run_jobs(app)
    assert endpoint.requests == []
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "webhook.deactivate"))
