"""Link secrets: invitation tokens, their hashes, and the sealing of
unfinished answers.

A personal link carries a random token (192 bits). The database keeps only
its SHA-256, so a copy of the database cannot be used to answer in someone's
name. Unfinished answers are stored under a *different* digest of the same
secret and encrypted with a key derived from it: without the link, neither
the invitation a partial answer belongs to nor its content can be learnt.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

TOKEN_BYTES = 24


def new_token() -> str:
    """A fresh link token: 192 random bits, URL-safe (32 characters)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """What the invitation stores instead of the token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_code(nbytes: int = 6) -> str:
    """A short random code (open links, tracking codes)."""
    return secrets.token_urlsafe(nbytes)


class SealedKey:
    """Where and how the unfinished answers of one link secret are kept."""

    __slots__ = ("key_id", "_key")

    def __init__(self, secret: str):
        material = HKDF(
            algorithm=hashes.SHA256(),
            length=64,
            salt=None,
            info=b"integrity-survey partial answers v1",
        ).derive(secret.encode("utf-8"))
        self.key_id = material[:32].hex()
        self._key = material[32:]

    def seal(self, payload: dict) -> bytes:
        nonce = os.urandom(12)
        plain = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode("utf-8")
        return nonce + AESGCM(self._key).encrypt(nonce, plain, self.key_id.encode("ascii"))

    def open(self, blob: bytes) -> dict | None:
        """The payload, or None if the blob was not sealed with this key."""
        try:
            plain = AESGCM(self._key).decrypt(blob[:12], blob[12:], self.key_id.encode("ascii"))
        except (InvalidTag, ValueError):
            return None
        return json.loads(plain)


_LINK_PURPOSE = b"integrity-survey invitation links v1"


class LinkSeal:
    """Seals invitation tokens so that staff allowed to can show a link
    again, while a copy of the database alone cannot.

    AES-GCM under a key derived (HKDF-SHA256) from ``SECRET_KEY``, which is
    never stored in the database. The token's hash is the associated data,
    so a sealed token moved to another invitation does not open.
    """

    __slots__ = ("_aead",)

    def __init__(self, secret_key: str, *, purpose: bytes = _LINK_PURPOSE):
        # ``purpose`` separates keys: webhook secrets are sealed under another.
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                   info=purpose).derive(secret_key.encode("utf-8"))
        self._aead = AESGCM(key)

    def seal(self, token: str, digest: str) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, token.encode("utf-8"), digest.encode("ascii"))

    def open(self, blob: bytes | None, digest: str) -> str | None:
        """The token, or None (nothing sealed, another key, or tampered)."""
        if not blob:
            return None
        try:
            return self._aead.decrypt(blob[:12], blob[12:], digest.encode("ascii")).decode("utf-8")
        except (InvalidTag, ValueError):
            return None
