"""What keeps a long-running board process well: failures logged once, memory given back.

    failed = OnceLog(log)
    failed(("frame", "OverflowError"), "a frame failed: %r", e)   # a warning once, then debug
    give_back_memory()                                            # free heap pages to the kernel

(The values a message brings are made showable in one place, :mod:`display.clean`.)
"""

from __future__ import annotations

import ctypes
import logging
from typing import Any



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
