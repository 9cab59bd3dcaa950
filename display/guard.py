"""What keeps a board up whatever it is sent: bounded values, failures logged once.

    check_bounds(decode_state(payload, CounterState))   # BadMessage if a value is out of range
    failed = OnceLog(log)
    failed(("frame", "OverflowError"), "a frame failed: %r", e)   # a warning once, then debug

A board treats every message as untrusted (issue 12), even from its own queue service: a stolen
Pi on the broker can publish there too. The schema checks types; this checks sizes, so that
whatever passes can be drawn: times that ``datetime`` can hold, counts a screen can show, text
and lists of bounded length.
"""

from __future__ import annotations

import ctypes
import logging
import math
from typing import Any

import msgspec

from mqtt.schemas import BadMessage

MAX_TIME = 1e11          # s since 1970 (year 5138): datetime holds it on every platform
MAX_INT = 10**9          # counts, seqs: a board shows 4 digits, sorts by seq
MAX_TEXT = 4096          # characters of one text field (a reason, a name, a running text)
MAX_ITEMS = 5000         # items of one list (waiting tickets of a very busy day)
MAX_DEPTH = 6


def check_bounds(value: Any, where: str = "message", depth: int = 0) -> Any:
    """``value`` unchanged if every number, text and list in it is within bounds; else
    :class:`BadMessage` naming the field."""
    if depth > MAX_DEPTH:
        raise BadMessage(f"{where}: nested too deep")
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float):
        if not math.isfinite(value) or abs(value) > MAX_TIME:
            raise BadMessage(f"{where}: {value!r} is out of range")
    elif isinstance(value, int):
        if abs(value) > MAX_INT:
            raise BadMessage(f"{where}: {value} is out of range")
    elif isinstance(value, str):
        if len(value) > MAX_TEXT:
            raise BadMessage(f"{where}: text of {len(value)} characters")
    elif isinstance(value, (list, tuple)):
        if len(value) > MAX_ITEMS:
            raise BadMessage(f"{where}: {len(value)} items")
        for i, item in enumerate(value):
            check_bounds(item, f"{where}[{i}]", depth + 1)
    elif isinstance(value, dict):
        if len(value) > MAX_ITEMS:
            raise BadMessage(f"{where}: {len(value)} keys")
        for key, item in value.items():
            check_bounds(item, f"{where}.{key}", depth + 1)
    elif isinstance(value, msgspec.Struct):
        for field in value.__struct_fields__:
            check_bounds(getattr(value, field), f"{where}.{field}" if depth else field,
                         depth + 1)
    return value


class OnceLog:
    """Log a failure once per kind (then at debug level): a retained bad state arrives again
    at every reconnect, and a frame that cannot be drawn fails at every tick."""

    def __init__(self, logger: logging.Logger):
        self.logger = logger
        self.seen: set[tuple] = set()

    def __call__(self, kind: tuple, message: str, *args: Any, exc: bool = False) -> None:
        first = kind not in self.seen
        if len(self.seen) < 10_000:   # bounded: topics come from outside
            self.seen.add(kind)
        self.logger.log(logging.WARNING if first else logging.DEBUG, message, *args,
                        exc_info=exc and first)


def put(table: dict, key: str, value: Any) -> None:
    """Set or (for None) remove ``table[key]``: how a taken-back state returns."""
    if value is None:
        table.pop(key, None)
    else:
        table[key] = value


def _libc_trim():
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):   # not glibc (musl): nothing to give back this way
        return None


_TRIM = _libc_trim()


def give_back_memory() -> None:
    """Return the C heap's free pages to the kernel. Fonts, layout and the first frames leave
    5 MB behind at 4K (measured: RSS 78 -> 73 MB); glibc keeps them until asked."""
    if _TRIM is not None:
        _TRIM(0)
