"""Senders: email to a real SMTP server on 127.0.0.1 (read back: once each,
text and HTML), the WhatsApp Cloud API against a fake Graph API on
127.0.0.1 that checks each request's shape as Meta documents it, and a
sending job stopped halfway and run again: every message once, the one in
flight "unknown"."""

from __future__ import annotations

import datetime as dt
import email
import json
import socket
import ssl
import threading
from email import policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from aiosmtpd.controller import Controller
from sqlalchemy import select
from support import PASSWORD, csrf_of, sign_in

from survey import clock
from survey.extensions import db
from survey.models import Delivery, DeliveryStatus, Invitation, Job, JobStatus
from survey.services import jobs, monitoring, sending, staff
from survey.services.invitations import Outreach
from survey.services.senders import Message, SendError
from survey.services.senders.email import SmtpSender

BASE = "https://spi.example.go.id"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Mailbox:
    """aiosmtpd handler that keeps every message it receives."""

    def __init__(self):
        self.received: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        self.received.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted"


@pytest.fixture
def smtp_server():
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, mailbox
    controller.stop()


@pytest.fixture
def running(app, factory, session):
    """An open campaign of two offices with five invitations by email and
    phone; the app configured to send through the servers of the test."""
    app.config.update(PUBLIC_BASE_URL=BASE, SMTP_FROM="SPI Inspektorat <spi@inspektorat.example>")
    campaign = factory.campaign(unit=factory.unit("DINKES"))
    other = factory.unit("PUPR")
    made = [factory.invitation(campaign, other if n % 2 else None,
                               phone=f"+62812111100{n:02d}", email=f"pegawai{n}@kota.example")[0]
            for n in range(5)]
    return campaign, made


def run_jobs(app, session=None):
    with app.app_context():
        ran = jobs.run_pending(db.engine, config=app.config)
    if session is not None:
        session.expire_all()   # the test's own session: read what the job wrote
    return ran


# -- email -------------------------------------------------------------------


def test_email_reaches_a_real_smtp_server_once_with_text_and_html(app, session, running,
                                                                  smtp_server):
    controller, mailbox = smtp_server
    campaign, made = running
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, SMTP_TLS="off")
    job = sending.request(session, campaign, "email", "invitation", base_url=BASE)
    assert run_jobs(app, session) == 1
    assert sorted(r[0][0] for r in mailbox.received) == sorted(i.email for i in made)
    recipients, message = mailbox.received[0]
    assert message["From"] == "SPI Inspektorat <spi@inspektorat.example>"
    assert "SPI Uji" in message["Subject"] and "Inspektorat Kota Uji" in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    link = next(w for w in text.split() if w.startswith(f"{BASE}/r/"))
    assert f'<a href="{link}">' in html and f"{BASE}/cek" in text and f"{BASE}/cek" in html
    assert "anonim" in text and "Inspektorat Kota Uji" in text and "menit" in text
    assert sending.job_counts(session, job.id)["sent"] == 5
    assert all(session.get(Invitation, i.id).sent for i in made)
    # Asked again: nobody is left to invite; the same messages are not sent twice.
    assert sending.request(session, campaign, "email", "invitation", base_url=BASE) is None
    assert len(mailbox.received) == 5


def test_reminders_go_only_to_those_who_have_not_answered(app, session, running, smtp_server):
    controller, mailbox = smtp_server
    campaign, made = running
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, SMTP_TLS="off")
    sending.request(session, campaign, "email", "invitation", base_url=BASE)
    run_jobs(app, session)
    session.get(Invitation, made[0].id).used = True
    session.commit()
    mailbox.received.clear()
    sending.request(session, campaign, "email", "reminder", base_url=BASE)
    run_jobs(app, session)
    assert sorted(r[0][0] for r in mailbox.received) == sorted(i.email for i in made[1:])
    assert all("pengingat" in m.get_body(("plain",)).get_content() for _, m in mailbox.received)


def _self_signed(tmp_path):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    import ipaddress

    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_email_uses_starttls_and_signs_in(tmp_path):
    cert, key = _self_signed(tmp_path)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    mailbox = Mailbox()
    logins = []

    def authenticate(server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult

        logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"rahasia")

    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port(),
                            tls_context=server_tls, require_starttls=True,
                            authenticator=authenticate, auth_require_tls=True)
    controller.start()
    try:
        client_tls = ssl.create_default_context(cafile=str(cert))
        sender = SmtpSender(host="127.0.0.1", port=controller.port, username="spi",
                            password="rahasia", sender="spi@inspektorat.example",
                            tls="starttls", context=client_tls)
        message = Message(phone=None, email="rina@kota.example", text=f"Halo {BASE}/r/abc",
                          subject="SPI", link=f"{BASE}/r/abc", office="Dinkes", campaign="SPI",
                          closing_date="1 Desember 2026", check_page=f"{BASE}/cek")
        provider_id = sender.send(message)
        sender.close()
    finally:
        controller.stop()
    assert logins == [(b"spi", b"rahasia")]
    assert len(mailbox.received) == 1 and provider_id.startswith("<")
    assert mailbox.received[0][1]["Message-ID"] == provider_id


def test_a_refused_address_is_a_permanent_failure(smtp_server):
    controller, mailbox = smtp_server

    async def refuse(server, session, envelope, address, options):
        return "550 5.1.1 No such user"

    mailbox.handle_RCPT = refuse
    sender = SmtpSender(host="127.0.0.1", port=controller.port, username="", password="",
                        sender="spi@inspektorat.example", tls="off")
    message = Message(phone=None, email="nobody@kota.example", text="x https://a/r/b",
                      subject="s", link="https://a/r/b", office="o", campaign="c",
                      closing_date="d", check_page="https://a/cek")
    with pytest.raises(SendError) as raised:
        sender.send(message)
    sender.close()
    assert raised.value.permanent and "550" in raised.value.reason


# -- WhatsApp Business Cloud API ---------------------------------------------------


class FakeGraphApi:
    """A Graph API stand-in on 127.0.0.1: records each request and answers
    from a script of (status, body, headers), then 200 with a message id."""

    def __init__(self):
        self.requests: list[dict] = []
        self.script: list[tuple[int, dict, dict]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length))
                fake.requests.append({"path": self.path, "headers": dict(self.headers),
                                      "body": body})
                status, answer, headers = (fake.script.pop(0) if fake.script else
                                           (200, {"messaging_product": "whatsapp",
                                                  "contacts": [{"input": body["to"],
                                                                "wa_id": body["to"]}],
                                                  "messages": [{"id": f"wamid.{len(fake.requests)}"}]},
                                            {}))
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/v21.0"

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def graph_api(app):
    fake = FakeGraphApi()
    app.config.update(WHATSAPP_API_URL=fake.url, WHATSAPP_ACCESS_TOKEN="EAAG-test-token",
                      WHATSAPP_PHONE_NUMBER_ID="106540352242922",
                      WHATSAPP_TEMPLATE="undangan_spi", WHATSAPP_TEMPLATE_LANGUAGE="id")
    yield fake
    fake.close()


def test_cloud_api_requests_have_the_documented_shape(app, session, running, graph_api):
    campaign, made = running
    sending.request(session, campaign, "whatsapp_cloud", "invitation", base_url=BASE)
    run_jobs(app, session)
    assert len(graph_api.requests) == 5
    for request, invitation in zip(graph_api.requests,
                                   sorted(made, key=lambda i: (i.unit_id, i.id)), strict=True):
        assert request["path"] == "/v21.0/106540352242922/messages"
        assert request["headers"]["Authorization"] == "Bearer EAAG-test-token"
        assert request["headers"]["Content-Type"] == "application/json"
        body = request["body"]
        assert set(body) == {"messaging_product", "recipient_type", "to", "type", "template"}
        assert body["messaging_product"] == "whatsapp" and body["type"] == "template"
        assert body["to"] == invitation.phone.lstrip("+")
        template = body["template"]
        assert template["name"] == "undangan_spi" and template["language"] == {"code": "id"}
        (component,) = template["components"]
        assert component["type"] == "body"
        texts = [p["text"] for p in component["parameters"]]
        assert all(p["type"] == "text" for p in component["parameters"])
        assert texts[0] == invitation.unit.name and texts[1] == "SPI Uji"
        assert texts[3].startswith(f"{BASE}/r/") and texts[4] == f"{BASE}/cek"
    ids = set(session.scalars(select(Delivery.provider_id)))
    assert ids == {f"wamid.{n}" for n in range(1, 6)}


def test_a_429_is_retried_then_succeeds(app, session, running, graph_api):
    campaign, made = running
    graph_api.script = [(429, {"error": {"message": "(#130429) Rate limit hit", "code": 130429,
                                         "type": "OAuthException"}}, {"Retry-After": "0"}),
                        (503, {"error": {"message": "Service temporarily unavailable",
                                         "code": 2}}, {"Retry-After": "0"})]
    sending.request(session, campaign, "whatsapp_cloud", "invitation", base_url=BASE,
                    invitation_ids=[made[0].id])
    run_jobs(app, session)
    assert len(graph_api.requests) == 3
    assert graph_api.requests[0]["body"] == graph_api.requests[2]["body"]
    delivery = session.scalar(select(Delivery))
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 1
    assert session.get(Invitation, made[0].id).sent


def test_a_permanent_failure_is_recorded_on_the_invitation_and_shown(app, client, session,
                                                                     running, graph_api):
    campaign, made = running
    graph_api.script = [(400, {"error": {
        "message": "(#131026) Message Undeliverable.", "type": "OAuthException",
        "code": 131026, "error_data": {"messaging_product": "whatsapp",
                                       "details": "Message Undeliverable."},
        "fbtrace_id": "Az8or2yhqkZfEZ-_4Qn_Bam"}}, {})]
    sending.request(session, campaign, "whatsapp_cloud", "invitation", base_url=BASE,
                    invitation_ids=[made[0].id])
    run_jobs(app, session)
    assert len(graph_api.requests) == 1   # a 400 is not tried again
    delivery = session.scalar(select(Delivery))
    assert delivery.status == DeliveryStatus.FAILED and "131026" in delivery.error
    assert not session.get(Invitation, made[0].id).sent
    figures = monitoring.campaign_monitoring(session, campaign)
    assert figures.total("failed") == 1

    staff.create_user(session, email="admin@kota.example", name="Admin", role="admin",
                      password=PASSWORD)
    sign_in(client, "admin@kota.example")
    page = client.get(f"/staff/campaigns/{campaign.id}/invitations?state=failed").get_data(
        as_text=True)
    assert made[0].phone in page and "131026" in page and "gagal" in page
    overview = client.get(f"/staff/campaigns/{campaign.id}").get_data(as_text=True)
    assert "Pesan yang gagal" in overview


def test_without_settings_the_cloud_api_is_a_dry_run(app, running):
    from survey.services.senders import NotConfigured, sender_for

    with pytest.raises(NotConfigured, match="WHATSAPP_ACCESS_TOKEN"):
        sender_for("whatsapp_cloud", app.config)
    dry = sender_for("whatsapp_cloud", app.config, dry_run=True)
    message = Message(phone="+6281211110000", email=None, text="t", subject="s",
                      link=f"{BASE}/r/x", office="o", campaign="c", closing_date="d",
                      check_page=f"{BASE}/cek")
    assert dry.send(message) == "dry-run"


# -- a restart halfway ------------------------------------------------------------------


class Killed(BaseException):
    """The worker process dies (not an error a handler could catch)."""


def test_a_job_stopped_halfway_sends_every_message_exactly_once(app, session, running,
                                                                smtp_server, monkeypatch):
    controller, mailbox = smtp_server
    campaign, made = running
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, SMTP_TLS="off")
    job = sending.request(session, campaign, "email", "invitation", base_url=BASE)

    real_send = SmtpSender.send

    def dies_after_the_third(self, message):
        provider_id = real_send(self, message)   # the server has it...
        if len(mailbox.received) == 3:
            raise Killed()                       # ...but the worker dies before recording it
        return provider_id

    monkeypatch.setattr(SmtpSender, "send", dies_after_the_third)
    with pytest.raises(Killed):
        run_jobs(app, session)
    session.expire_all()
    monkeypatch.setattr(SmtpSender, "send", real_send)
    states = [d.status for d in session.scalars(select(Delivery).order_by(Delivery.id))]
    assert states == ["sent", "sent", "sending", "queued", "queued"]
    assert session.get(Job, job.id).status == JobStatus.RUNNING

    # Nobody takes the job while its lease lasts; after it, another worker does.
    assert run_jobs(app, session) == 0
    with time_machine.travel(clock.now() + jobs.LEASE + dt.timedelta(seconds=1), tick=False):
        assert run_jobs(app, session) == 1
    states = [d.status for d in session.scalars(select(Delivery).order_by(Delivery.id))]
    assert states == ["sent", "sent", "unknown", "sent", "sent"]
    received = sorted(r[0][0] for r in mailbox.received)
    assert received == sorted(i.email for i in made)   # each exactly once
    assert session.get(Job, job.id).status == JobStatus.DONE
    unknown = session.scalar(select(Delivery).where(Delivery.status == "unknown"))
    assert "may or may not have arrived" in unknown.error
    assert [d.id for d in sending.troubled(session, campaign)] == [unknown.id]

    # Staff see it and may send it again, deliberately: one more message, to that person.
    staff.create_user(session, email="admin@kota.example", name="Admin", role="admin",
                      password=PASSWORD)
    client = app.test_client()
    sign_in(client, "admin@kota.example")
    page = client.get(f"/staff/campaigns/{campaign.id}/invitations?state=unknown").get_data(
        as_text=True)
    assert "nasib tidak diketahui" in page and "Kirim ulang dengan sengaja" in page
    response = client.post(f"/staff/invitations/{unknown.invitation_id}/send",
                           data={"channel": "email", "kind": "x", "csrf_token": csrf_of(page)})
    assert response.status_code == 303
    run_jobs(app, session)
    again = session.get(Invitation, unknown.invitation_id).email
    assert [r[0][0] for r in mailbox.received].count(again) == 2
    assert len(mailbox.received) == 6


def test_click_to_chat_opens_whatsapp_with_the_message_and_marks_it_sent(app, client, session,
                                                                          running):
    campaign, made = running
    staff.create_user(session, email="admin@kota.example", name="Admin", role="admin",
                      password=PASSWORD)
    sign_in(client, "admin@kota.example")
    page = client.get(f"/staff/campaigns/{campaign.id}/units/{made[0].unit_id}/whatsapp")
    assert "form-action 'self' https://wa.me" in page.headers["Content-Security-Policy"]
    html = page.get_data(as_text=True)
    response = client.post(f"/staff/invitations/{made[0].id}/whatsapp",
                           data={"csrf_token": csrf_of(html)})
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location.startswith("https://wa.me/6281211110000?text=")
    from urllib.parse import parse_qs, urlsplit

    text = parse_qs(urlsplit(location).query)["text"][0]
    assert f"{BASE}/r/" in text and f"{BASE}/cek" in text
    session.expire_all()
    assert session.get(Invitation, made[0].id).sent
    delivery = session.scalar(select(Delivery))
    assert (delivery.channel, delivery.kind, delivery.status) == ("whatsapp_link", "invitation",
                                                                  "sent")
    # The next time, the button sends a reminder.
    response = client.post(f"/staff/invitations/{made[0].id}/whatsapp",
                           data={"csrf_token": csrf_of(html)})
    text = parse_qs(urlsplit(response.headers["Location"]).query)["text"][0]
    assert "pengingat" in text


def test_the_delivery_table_holds_no_message_text_and_no_link_to_responses(session):
    from sqlalchemy import inspect

    schema = inspect(session.get_bind())
    columns = {c["name"] for c in schema.get_columns("delivery")}
    assert not columns & {"text", "message", "body", "link", "token"}
    assert {fk["referred_table"] for fk in schema.get_foreign_keys("delivery")} == {
        "invitation", "job"}


def test_outreach_needs_an_address_for_links(app):
    app.config["PUBLIC_BASE_URL"] = ""
    from survey.services.invitations import InvitationError

    with pytest.raises(InvitationError, match="PUBLIC_BASE_URL"):
        Outreach.from_config(app.config)
    assert Outreach.from_config(app.config, request_base="http://localhost/").base_url == \
        "http://localhost"
