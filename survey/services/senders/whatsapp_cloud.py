"""Invitations through the WhatsApp Business Cloud API (Meta Graph API).

Business-initiated WhatsApp messages must use a template that Meta has
approved. The platform sends ``WHATSAPP_TEMPLATE`` in
``WHATSAPP_TEMPLATE_LANGUAGE`` with five body parameters, in this order:
{{1}} the office, {{2}} the campaign, {{3}} the closing date, {{4}} the
personal link, {{5}} the page that tells a genuine message from a fake
(README, "Sending invitations", has a template text to submit).

The request, as Meta documents it::

    POST {WHATSAPP_API_URL}/{WHATSAPP_PHONE_NUMBER_ID}/messages
    Authorization: Bearer {WHATSAPP_ACCESS_TOKEN}
    {"messaging_product": "whatsapp", "recipient_type": "individual",
     "to": "6281...", "type": "template",
     "template": {"name": ..., "language": {"code": "id"},
                  "components": [{"type": "body", "parameters": [
                      {"type": "text", "text": ...}, ...]}]}}

answered with ``{"messages": [{"id": "wamid..."}]}``. A 429 (rate limit) or
a 5xx answer is tried again after a growing wait (``Retry-After`` is
honoured); other errors (a number not on WhatsApp, a template not
approved, an expired token) are permanent and recorded on the invitation.
Without an access token, phone number id and template it is a dry run.

httpx, not requests: explicit timeouts on every call, and one connection
pool reused for a whole sending job.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx
from flask_babel import lazy_gettext as _l

from survey.models import DeliveryChannel

from . import Message, NotConfigured, SendError

#: Waits before the 2nd, 3rd and 4th try of a message (seconds).
BACKOFF = (2.0, 8.0, 30.0)
MAX_WAIT = 60.0  # longest Retry-After honoured
TIMEOUT = httpx.Timeout(20.0, connect=10.0)


class CloudApiSender:
    channel = DeliveryChannel.WHATSAPP_CLOUD

    def __init__(self, *, api_url: str, token: str, phone_number_id: str, template: str,
                 language: str, dry_run: bool = False, backoff: tuple[float, ...] = BACKOFF,
                 sleep: Callable[[float], None] = time.sleep):
        self.api_url, self.phone_number_id = api_url.rstrip("/"), phone_number_id
        self.template, self.language = template, language
        self.dry_run, self.backoff, self._sleep = dry_run, backoff, sleep
        self._token = token
        self._client: httpx.Client | None = None

    @classmethod
    def from_config(cls, config: Mapping[str, Any], *, dry_run: bool = False) -> CloudApiSender:
        missing = [name for name in ("WHATSAPP_ACCESS_TOKEN", "WHATSAPP_PHONE_NUMBER_ID",
                                     "WHATSAPP_TEMPLATE") if not config[name]]
        if missing and not dry_run:
            raise NotConfigured(_l("the WhatsApp Cloud API is not set up (a dry run only): "
                                   "set %(settings)s", settings=", ".join(missing)))
        return cls(api_url=config["WHATSAPP_API_URL"], token=config["WHATSAPP_ACCESS_TOKEN"],
                   phone_number_id=config["WHATSAPP_PHONE_NUMBER_ID"],
                   template=config["WHATSAPP_TEMPLATE"],
                   language=config["WHATSAPP_TEMPLATE_LANGUAGE"], dry_run=dry_run or bool(missing))

    def can_reach(self, message: Message) -> bool:
        return bool(message.phone)

    def payload(self, message: Message) -> dict:
        texts = (message.office, message.campaign, message.closing_date, message.link,
                 message.check_page)
        return {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": (message.phone or "").lstrip("+"),
            "type": "template",
            "template": {
                "name": self.template,
                "language": {"code": self.language},
                "components": [{"type": "body", "parameters": [
                    {"type": "text", "text": text} for text in texts]}],
            },
        }

    def send(self, message: Message) -> str:
        if not message.phone:
            raise SendError("no phone number", permanent=True)
        body = self.payload(message)
        if self.dry_run:
            return "dry-run"
        url = f"{self.api_url}/{self.phone_number_id}/messages"
        for attempt in range(len(self.backoff) + 1):
            try:
                answer = self._http().post(url, json=body)
            except httpx.HTTPError as exc:
                reason, wait = f"cannot reach the Cloud API ({type(exc).__name__})", None
            else:
                if answer.status_code < 300:
                    return _message_id(answer)
                reason = _error(answer)
                if answer.status_code != 429 and answer.status_code < 500:
                    raise SendError(reason, permanent=True)
                wait = _retry_after(answer)
            if attempt == len(self.backoff):
                raise SendError(f"{reason}; gave up after {attempt + 1} tries", permanent=False)
            self._sleep(min(MAX_WAIT, wait if wait is not None else self.backoff[attempt]))
        raise AssertionError("unreachable")

    def _http(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(
                timeout=TIMEOUT, headers={"Authorization": f"Bearer {self._token}"})
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


def _message_id(answer: httpx.Response) -> str:
    try:
        return str(answer.json()["messages"][0]["id"])[:200]
    except (ValueError, KeyError, IndexError, TypeError):
        return "accepted"


def _error(answer: httpx.Response) -> str:
    """HTTP status, Meta's error code and message (never the request)."""
    try:
        error = answer.json()["error"]
        details = (error.get("error_data") or {}).get("details")
        text = f"{error.get('code')}: {error.get('message')}" + (f" ({details})" if details
                                                                 else "")
    except (ValueError, KeyError, TypeError, AttributeError):
        text = answer.reason_phrase
    return f"HTTP {answer.status_code}, {text}"[:500]


def _retry_after(answer: httpx.Response) -> float | None:
    try:
        return max(0.0, float(answer.headers.get("Retry-After", "")))
    except ValueError:
        return None
