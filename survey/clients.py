"""Who is asking, without knowing who: a key for a client, for rate limits.

The key is an HMAC of the client's address under a key derived from
``SECRET_KEY`` and today's date (in ``TIMEZONE``), so it changes every day
and cannot be turned back into an address, or matched across days, by
anyone without the secret key. Raw IP addresses are never stored or logged
by the platform: only this key reaches the rate-limit storage (memory or
Redis).
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app, request

from survey import clock


@lru_cache(maxsize=8)
def _daily_key(secret: str, day: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=day.encode("ascii"),
                info=b"integrity-survey client key v1").derive(secret.encode("utf-8"))


def client_key(address: str | None = None) -> str:
    """The client's key for today (the request's address by default; with
    ``PROXY_COUNT`` set, the address the trusted proxy saw)."""
    address = address if address is not None else (request.remote_addr or "unknown")
    day = clock.today(current_app.config["TIMEZONE"]).isoformat()
    key = _daily_key(current_app.config["SECRET_KEY"], day)
    return hmac.new(key, address.encode("utf-8"), hashlib.sha256).hexdigest()[:32]
