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


def server_aead(secret_key: str, purpose: bytes) -> AESGCM:
    """AES-GCM under a key derived (HKDF-SHA256) from ``SECRET_KEY`` for one
    ``purpose``: the key is never stored in the database, so a copy of the
    database alone opens nothing sealed with it."""
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
               info=purpose).derive(secret_key.encode("utf-8"))
    return AESGCM(key)


class LinkSeal:
    """Seals invitation tokens so that staff allowed to can show a link
    again, while a copy of the database alone cannot.

    AES-GCM under a key derived from ``SECRET_KEY`` (:func:`server_aead`).
    The token's hash is the associated data, so a sealed token moved to
    another invitation does not open.
    """

    __slots__ = ("_aead",)

    def __init__(self, secret_key: str, *, purpose: bytes = _LINK_PURPOSE):
        # ``purpose`` separates keys: webhook secrets are sealed under another.
        self._aead = server_aead(secret_key, purpose)

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


class PendingSeal:
    """Seals a submitted response while it waits in the mixing pool.

    A reader of the database alone (a dump, a replica, a backup, a read-only
    account) sees which office and group a pending row belongs to, never its
    answers, date or duration. The pending row shares its transaction with
    the invitation it used, so in clear it would tell who answered what
    until the batch is mixed.

    AES-GCM under a key derived from ``SECRET_KEY`` (:func:`server_aead`),
    with the row's campaign, office, group and instrument version as
    associated data, so a sealed content moved to another stratum does not
    open. The plaintext is padded to a power of two (at least 4 KiB), so the
    size of a sealed row does not tell which stored response it became.
    """

    __slots__ = ("_aead",)
    MIN_SIZE = 4096

    def __init__(self, secret_key: str):
        self._aead = server_aead(secret_key, b"integrity-survey pending responses v1")

    @classmethod
    def _padded(cls, plain: bytes) -> bytes:
        size = cls.MIN_SIZE
        while size < len(plain) + 1:
            size *= 2
        # JSON never contains a raw NUL: the content ends at the first one.
        return plain + b"\0" * (size - len(plain))

    def seal(self, content: dict, context: str) -> bytes:
        nonce = os.urandom(12)
        plain = json.dumps(content, separators=(",", ":"), sort_keys=True).encode("utf-8")
        return nonce + self._aead.encrypt(nonce, self._padded(plain), context.encode("utf-8"))

    def open(self, blob: bytes, context: str) -> dict:
        """The content.

        Raises
        ------
        ValueError
            When the blob was sealed under another SECRET_KEY or for another
            stratum, or was changed.
        """
        try:
            plain = self._aead.decrypt(blob[:12], blob[12:], context.encode("utf-8"))
        except (InvalidTag, ValueError):
            raise ValueError("a pending response does not open with this SECRET_KEY "
                             "(was the key changed while responses were waiting?)") from None
        return json.loads(plain.split(b"\0", 1)[0])
