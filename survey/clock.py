"""Today's date where the campaigns are, not where the server is.

A server kept in UTC would open an Indonesian survey at 07:00 WIB and date
an evening response to the next day.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo


def today(timezone: str) -> date:
    """The current date in ``timezone`` (an IANA name such as Asia/Jakarta)."""
    return datetime.now(ZoneInfo(timezone)).date()
