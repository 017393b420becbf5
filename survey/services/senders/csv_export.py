"""A CSV file for blast tools: one row per invitation that may still be
answered, with the office, group, phone, email, link, a click-to-chat URL
and the whole message. The file holds personal links: whoever has it can
answer in those people's names. Hand it over as carefully as the list."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from survey.models import DeliveryChannel

channel = DeliveryChannel.CSV
HEADER = ("unit", "group", "phone", "email", "link", "whatsapp_url", "message")


def write(rows: Iterable[dict[str, str]]) -> str:
    """The CSV text (UTF-8 with a BOM, so that Excel shows Indonesian text
    right; every field quoted, so that numbers keep their leading +)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow([_safe(row.get(column) or "") for column in HEADER])
    return out.getvalue()


def _safe(value: str) -> str:
    # A cell starting with = + - @ is a formula to a spreadsheet program;
    # a phone number's + is the only one expected, and it stays quoted text.
    if value[:1] in ("=", "-", "@") or (value[:1] == "+" and not value[1:].isdigit()):
        return "'" + value
    return value
