"""A ticket's key: the short secret printed in its QR code, proof that someone holds the slip.

    >>> ticket_key(b"k" * 32, "bogor", "2026-11-30", "A012")
    'Xc7...'

An HMAC of site, day and ticket under the site's ticket secret, so the queue service can give it
out and the web can check it without either storing a key per ticket. 12 base64url characters
carry 72 bits: guessing one needs about 2^71 tries, against a survey rate limit of a few a minute.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

KEY_CHARS = 12


def ticket_key(secret: bytes, site: str, day: str, ticket: str) -> str:
    mac = hmac.new(secret, f"{site}\x1f{day}\x1f{ticket}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode()[:KEY_CHARS]


def key_matches(secret: bytes, site: str, day: str, ticket: str, key: str) -> bool:
    return hmac.compare_digest(ticket_key(secret, site, day, ticket), key)
