"""One way to wait in a test: on a condition, with a deadline, never a bare sleep."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(condition: Callable[[], T], timeout: float = 5.0, what: str = "condition",
             interval: float = 0.01) -> T:
    """The first truthy value ``condition()`` returns within ``timeout`` seconds.

        wait_for(lambda: board.model.counters.get("1"), what="counter 1 on the board")

    Raises AssertionError naming ``what`` when the time is up.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.1f} s waiting for {what}")
        time.sleep(interval)
