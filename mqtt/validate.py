"""The queue's trust boundary: every value that comes in becomes a bounded, typed value here.

    >>> clean_text("Istirahat\\x00\\u202e siang", 100)
    'Istirahat siang'
    >>> request_id("c3-17")
    'c3-17'

MQTT requests (``mqtt.schemas`` decodes their shape) and maintenance commands both pass through
these functions once, at the edge; the pure core then trusts what it is given. A refusal raises
:class:`Invalid` (a ``ValueError``), whose text is fit for the error topic, and changes nothing.
What passes is always something every consumer (boards, panels, page) can show: finite numbers,
short text without control, format or unassigned characters.
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Any

REQUEST_ID = re.compile(r"^[A-Za-z0-9._:~-]{1,64}$")
SERVICE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")          # antrian.config.ID
TICKET = re.compile(r"^[A-Z0-9][A-Z0-9.-]{0,15}$")
TRANSACTION = re.compile(r"^[A-Za-z0-9._:~-]{1,64}$")
# Unicode categories never shown: controls (NUL, ESC...), format (bidi overrides, zero-width),
# surrogates, private use and unassigned code points.
HIDDEN = {"Cc", "Cf", "Cs", "Co", "Cn"}
REASON_CHARS = 100
MESSAGE_CHARS = 500
# A timed closure ends within a day: boards and panels show the time, and a value far in the
# future (1e300) must never reach them.
MAX_AHEAD_S = 24 * 3600.0


class Invalid(ValueError):
    """A value that does not cross the boundary; the text says which and why."""


def clean_text(value: Any, cap: int, what: str = "text") -> str:
    """``value`` without hidden characters, whitespace runs folded, at most ``cap`` characters."""
    if not isinstance(value, str):
        raise Invalid(f"{what} must be a text")
    shown = "".join(" " if ch in "\t\n\r" or unicodedata.category(ch) in ("Zl", "Zp") else ch
                    for ch in value
                    if ch in "\t\n\r" or unicodedata.category(ch) not in HIDDEN)
    return " ".join(shown.split())[:cap]


def optional_text(value: Any, cap: int, what: str) -> str | None:
    """Like :func:`clean_text`; None (and a text that cleans to nothing) is None."""
    if value is None:
        return None
    return clean_text(value, cap, what) or None


def request_id(value: Any, what: str = "id") -> str:
    if not isinstance(value, str) or not REQUEST_ID.match(value):
        raise Invalid(f"{what} must be 1-64 characters of A-Z a-z 0-9 . _ : ~ -")
    return value


def transaction(value: Any) -> str | None:
    """A console command's transaction id (numbers are taken as their text), or None."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise Invalid("transaction must be a string or a number")
    text = str(value)
    if not TRANSACTION.match(text):
        raise Invalid("transaction must be 1-64 characters of A-Z a-z 0-9 . _ : ~ -")
    return text


def service_id(value: Any, what: str = "service") -> str:
    if not isinstance(value, str) or not SERVICE_ID.match(value):
        raise Invalid(f"{what} must be a service id (a-z, 0-9, -)")
    return value


def ticket_label(value: Any, what: str = "ticket") -> str:
    text = value.strip().upper() if isinstance(value, str) else None
    if not text or not TICKET.match(text):
        raise Invalid(f"{what} must be a ticket number such as A012 or 4K-10")
    return text


def finite(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not math.isfinite(float(value)):
        raise Invalid(f"{what} must be a finite number")
    return float(value)


def until(value: Any, now: float) -> float:
    """A closure's end: finite, in the future, and at most 24 h ahead (any time in the rest of
    the service day is)."""
    ts = finite(value, "until")
    if ts <= now:
        raise Invalid("'until' is already past")
    if ts > now + MAX_AHEAD_S:
        raise Invalid("'until' must be within the service day (at most 24 h ahead)")
    return ts
