"""WhatsApp click-to-chat: a staff member opens ``https://wa.me/<digits>?text=...``
on a phone or WhatsApp Web, WhatsApp opens with the message ready, and they
press send. Needs no account or approval, only someone's time; the platform
records the message as sent when the button is used."""

from __future__ import annotations

from survey.models import DeliveryChannel

from ..messages import whatsapp_url

channel = DeliveryChannel.WHATSAPP_LINK

__all__ = ["channel", "whatsapp_url"]
