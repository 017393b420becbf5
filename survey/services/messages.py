"""The texts of invitations and reminders: defaults, per-campaign texts in
Bahasa Indonesia and English, placeholders, and WhatsApp click-to-chat
links.

A text may use these placeholders, in braces: ``{office}``, ``{campaign}``,
``{link}`` (the personal link; required), ``{closing_date}``,
``{inspectorate}``, ``{contact}``, ``{check_page}`` (the page that tells a
genuine message from a fake, /cek) and ``{minutes}``. The defaults name the
inspectorate, say how long answering takes, that it is anonymous, and how
to check that the message is genuine.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import date
from urllib.parse import quote

from babel.dates import format_date

from survey.models import Campaign

PLACEHOLDERS = ("office", "campaign", "link", "closing_date", "inspectorate", "contact",
                "check_page", "minutes")
LANGUAGES = ("id", "en")
KINDS = ("invitation", "reminder", "subject")
MAX_LENGTH = 1000  # WhatsApp shows longer texts folded; an SMS-style brevity reads best

DEFAULTS: dict[str, dict[str, str]] = {
    "id": {
        "invitation": (
            "Yth. Bapak/Ibu di {office},\n\n"
            "{inspectorate} mengundang Anda mengisi {campaign}, survei penilaian integritas "
            "(SPI) tentang pelayanan dan pencegahan korupsi di kantor Anda. Pengisian sekitar "
            "{minutes} menit. Jawaban Anda anonim: tidak dapat dikaitkan dengan nama, nomor, "
            "atau tautan ini, bahkan oleh admin.\n\n"
            "Tautan pribadi Anda (jangan dibagikan; berlaku sampai {closing_date}):\n{link}\n\n"
            "Ragu pesan ini asli? Periksa di {check_page} atau hubungi {contact}."
        ),
        "reminder": (
            "Yth. Bapak/Ibu di {office}, ini pengingat dari {inspectorate}: {campaign} "
            "ditutup pada {closing_date}. Jika belum sempat, isilah sekitar {minutes} menit "
            "melalui tautan pribadi Anda (jawaban anonim):\n{link}\n\n"
            "Jika sudah mengisi, abaikan pesan ini dan terima kasih. Ragu pesan ini asli? "
            "Periksa di {check_page} atau hubungi {contact}."
        ),
        "subject": "{campaign}: undangan survei integritas dari {inspectorate}",
    },
    "en": {
        "invitation": (
            "Dear colleague at {office},\n\n"
            "{inspectorate} invites you to answer {campaign}, an integrity assessment survey "
            "(SPI) about services and corruption prevention in your office. It takes about "
            "{minutes} minutes. Your answers are anonymous: they cannot be tied to your name, "
            "your number or this link, not even by the administrator.\n\n"
            "Your personal link (do not share it; open until {closing_date}):\n{link}\n\n"
            "Not sure this message is genuine? Check it at {check_page} or contact {contact}."
        ),
        "reminder": (
            "Dear colleague at {office}, a reminder from {inspectorate}: {campaign} closes on "
            "{closing_date}. If you have not answered yet, it takes about {minutes} minutes "
            "through your personal link (answers are anonymous):\n{link}\n\n"
            "If you have answered, please ignore this message, and thank you. Not sure this "
            "message is genuine? Check it at {check_page} or contact {contact}."
        ),
        "subject": "{campaign}: integrity survey invitation from {inspectorate}",
    },
}


class TemplateError(ValueError):
    """A message text that cannot be used: ``code`` says why (unknown
    placeholder, no link, unbalanced braces, too long)."""

    def __init__(self, code: str, value: str | None = None):
        super().__init__(f"{code}: {value}" if value else code)
        self.code = code
        self.value = value


def check_template(text: str, *, kind: str) -> None:
    """Raise :class:`TemplateError` unless ``text`` can be used as ``kind``."""
    if not text.strip():
        raise TemplateError("empty")
    if len(text) > MAX_LENGTH:
        raise TemplateError("too_long", str(MAX_LENGTH))
    try:
        fields = [name for _, name, spec, conversion in string.Formatter().parse(text)
                  if name is not None]
    except ValueError:
        raise TemplateError("braces") from None
    for name in fields:
        if name not in PLACEHOLDERS:
            raise TemplateError("unknown_placeholder", "{" + name + "}")
    if kind != "subject" and "link" not in fields:
        raise TemplateError("no_link", "{link}")


def language_of(campaign: Campaign) -> str:
    """The language the campaign's messages go out in."""
    language = (campaign.messages or {}).get("language")
    return language if language in LANGUAGES else "id"


def text_of(campaign: Campaign, kind: str, language: str | None = None) -> str:
    """The campaign's text of ``kind`` in ``language``, else the default."""
    language = language or language_of(campaign)
    own = (campaign.messages or {}).get(language, {}).get(kind)
    return own or DEFAULTS[language][kind]


def is_default(campaign: Campaign, kind: str, language: str) -> bool:
    return not (campaign.messages or {}).get(language, {}).get(kind)


@dataclass(frozen=True)
class Sender:
    """Who sends: the inspectorate's name and contact, and the address of
    the check page. Built from the settings (:func:`sender_of`)."""

    inspectorate: str
    contact: str
    check_page: str


def fill(text: str, *, campaign: Campaign, office: str, link: str, minutes: int,
         sender: Sender, language: str) -> str:
    """``text`` with its placeholders filled in."""
    values = {
        "office": office,
        "campaign": campaign.name,
        "link": link,
        "closing_date": format_closing_date(campaign.closes_on, language),
        "inspectorate": sender.inspectorate or campaign.institution.name,
        "contact": sender.contact or sender.check_page,
        "check_page": sender.check_page,
        "minutes": str(minutes),
    }
    return text.format_map(values)


def format_closing_date(day: date, language: str) -> str:
    return format_date(day, format="long", locale="id_ID" if language == "id" else "en_GB")


def whatsapp_url(phone: str, text: str) -> str:
    """A click-to-chat link that opens WhatsApp with ``text`` ready to send
    to ``phone`` (E.164): https://wa.me/<digits>?text=<text>."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    return f"https://wa.me/{digits}?text={quote(text, safe='')}"
