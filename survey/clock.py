"""The platform's one clock: today's date where the campaigns are, not where
the server is, and the current instant.

A server kept in UTC would open an Indonesian survey at 07:00 WIB and date
an evening response to the next day. Every date or time the platform reads
comes from here (tests move it with ``time-machine``), so that nothing
depends on the machine's own time zone.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


def today(timezone: str) -> date:
    """The current date in ``timezone`` (an IANA name such as Asia/Jakarta)."""
    return datetime.now(ZoneInfo(timezone)).date()


def now() -> datetime:
    """The current instant, timezone-aware, in UTC."""
    return datetime.now(UTC)


def timestamp() -> float:
    """Seconds since the epoch (durations, signed first-view times)."""
    return time.time()
