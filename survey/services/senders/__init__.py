"""The ways a message leaves the platform, behind one interface.

- :mod:`.whatsapp_cloud`: the WhatsApp Business Cloud API (an approved
  template message, the link as a parameter), sent by a background job;
- :mod:`.email`: email over SMTP (text and HTML), sent by a background job;
- :mod:`.whatsapp_link`: click-to-chat links (``https://wa.me/...``) a staff
  member opens on their own phone, one by one;
- :mod:`.csv_export`: a CSV file for a blast tool.

The first two implement :class:`Sender`; :func:`sender_for` builds one from
the settings. Every sender raises :class:`SendError` for a message the
provider refused, saying whether trying again may help.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from survey.models import DeliveryChannel


@dataclass(frozen=True)
class Message:
    """One message to one person."""

    phone: str | None
    email: str | None
    text: str
    subject: str
    link: str
    office: str
    campaign: str
    closing_date: str
    check_page: str


class SendError(Exception):
    """The provider did not accept the message. ``permanent``: trying again
    will not help (a bad number, a refused template); else it may (a rate
    limit, a server error, a network failure)."""

    def __init__(self, reason: str, *, permanent: bool):
        super().__init__(reason)
        self.reason = reason[:500]
        self.permanent = permanent


class NotConfigured(Exception):
    """The settings this sender needs are missing (one line naming them)."""


class Sender(Protocol):
    channel: DeliveryChannel

    def can_reach(self, message: Message) -> bool:
        """Whether the message has the contact this sender needs."""

    def send(self, message: Message) -> str:
        """Deliver the message to the provider; return the provider's id of it.

        Raises SendError."""


def sender_for(channel: DeliveryChannel | str, config: Mapping[str, Any], *,
               dry_run: bool = False) -> Sender:
    """The sender of ``channel`` configured from the settings.

    Raises
    ------
    NotConfigured
        When a setting it needs is missing (unless ``dry_run``).
    ValueError
        For a channel that is not sent in the background.
    """
    channel = DeliveryChannel(channel)
    if channel == DeliveryChannel.EMAIL:
        from .email import SmtpSender

        return SmtpSender.from_config(config, dry_run=dry_run)
    if channel == DeliveryChannel.WHATSAPP_CLOUD:
        from .whatsapp_cloud import CloudApiSender

        return CloudApiSender.from_config(config, dry_run=dry_run)
    raise ValueError(f"{channel.value} messages are not sent in the background")


#: Channels that background jobs send through, with their command-line names.
BACKGROUND = {"whatsapp-cloud": DeliveryChannel.WHATSAPP_CLOUD, "email": DeliveryChannel.EMAIL}
