"""Invitations by email over SMTP: a plain-text part and an HTML part,
over TLS (STARTTLS or implicit TLS) unless the server is on the same machine.

One connection serves a whole sending job; it is opened on the first
message and reopened once if the server dropped it.
"""

from __future__ import annotations

import html
import smtplib
import ssl
from collections.abc import Mapping
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr
from typing import Any

from flask_babel import lazy_gettext as _l

from survey.models import DeliveryChannel

from . import Message, NotConfigured, SendError

TIMEOUT = 30  # seconds per SMTP command


class SmtpSender:
    channel = DeliveryChannel.EMAIL

    def __init__(self, *, host: str, port: int, username: str, password: str, sender: str,
                 tls: str, dry_run: bool = False, context: ssl.SSLContext | None = None):
        self.host, self.port = host, port
        self.username, self._password = username, password
        self.sender, self.tls, self.dry_run = sender, tls, dry_run
        self._context = context or ssl.create_default_context()
        self._connection: smtplib.SMTP | None = None

    @classmethod
    def from_config(cls, config: Mapping[str, Any], *, dry_run: bool = False) -> SmtpSender:
        missing = [name for name in ("SMTP_HOST", "SMTP_FROM") if not config[name]]
        if missing and not dry_run:
            raise NotConfigured(_l("email is not set up: set %(settings)s",
                                   settings=" and ".join(missing)))
        return cls(host=config["SMTP_HOST"], port=config["SMTP_PORT"],
                   username=config["SMTP_USERNAME"], password=config["SMTP_PASSWORD"],
                   sender=config["SMTP_FROM"], tls=config["SMTP_TLS"], dry_run=dry_run)

    def can_reach(self, message: Message) -> bool:
        return bool(message.email)

    def build(self, message: Message) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self.sender or "spi@localhost"
        mail["To"] = message.email
        mail["Subject"] = message.subject
        domain = parseaddr(self.sender)[1].rpartition("@")[2] or "localhost"
        mail["Message-ID"] = make_msgid(domain=domain)
        mail.set_content(message.text)
        mail.add_alternative(_html(message), subtype="html")
        return mail

    def send(self, message: Message) -> str:
        if not message.email:
            raise SendError("no email address", permanent=True)
        try:
            Address(addr_spec=message.email)
        except (ValueError, IndexError):
            raise SendError(f"not an email address: {message.email}", permanent=True) from None
        mail = self.build(message)
        if self.dry_run:
            return mail["Message-ID"]
        for attempt in (1, 2):
            try:
                refused = self._connect().send_message(mail)
                break
            except smtplib.SMTPServerDisconnected:
                self.close()
                if attempt == 2:
                    raise SendError("the mail server closed the connection", permanent=False) \
                        from None
            except smtplib.SMTPRecipientsRefused as exc:
                code, text = next(iter(exc.recipients.values()))
                raise SendError(f"the mail server refused the address ({code} "
                                f"{_text(text)})", permanent=500 <= code < 600) from None
            except smtplib.SMTPResponseException as exc:
                raise SendError(f"the mail server answered {exc.smtp_code} "
                                f"{_text(exc.smtp_error)}",
                                permanent=500 <= exc.smtp_code < 600) from None
            except (OSError, smtplib.SMTPException) as exc:
                self.close()
                raise SendError(f"cannot reach the mail server ({type(exc).__name__})",
                                permanent=False) from None
        if refused:
            raise SendError("the mail server refused the address", permanent=True)
        return mail["Message-ID"]

    def _connect(self) -> smtplib.SMTP:
        if self._connection is not None:
            return self._connection
        if self.tls == "ssl":
            connection = smtplib.SMTP_SSL(self.host, self.port, timeout=TIMEOUT,
                                          context=self._context)
        else:
            connection = smtplib.SMTP(self.host, self.port, timeout=TIMEOUT)
            if self.tls == "starttls":
                connection.starttls(context=self._context)
        if self.username:
            connection.login(self.username, self._password)
        self._connection = connection
        return connection

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.quit()
            except (OSError, smtplib.SMTPException):
                connection.close()


def _text(raw: bytes | str) -> str:
    return (raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw))[:200]


def _html(message: Message) -> str:
    """The message as HTML: its paragraphs, the link as a button-like link."""
    paragraphs = []
    for block in message.text.split("\n\n"):
        escaped = html.escape(block).replace("\n", "<br>\n")
        escaped = escaped.replace(html.escape(message.link),
                                  f'<a href="{html.escape(message.link)}">'
                                  f"{html.escape(message.link)}</a>")
        escaped = escaped.replace(html.escape(message.check_page),
                                  f'<a href="{html.escape(message.check_page)}">'
                                  f"{html.escape(message.check_page)}</a>", 1) \
            if message.check_page not in message.link else escaped
        paragraphs.append(f"<p>{escaped}</p>")
    return ("<!doctype html>\n<html><body style=\"font-family:sans-serif;font-size:16px;"
            "line-height:1.5\">\n" + "\n".join(paragraphs) + "\n</body></html>\n")
