"""One way to wait in a test: on a condition, with a deadline, never a bare sleep."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

# Slower machines (the arm64 proof runs every program under qemu-user) stretch every deadline.
TIMEOUT_SCALE = max(1.0, float(os.environ.get("ANTRIAN_TEST_TIMEOUT_SCALE", "1") or 1))


def wait_for(condition: Callable[[], T], timeout: float = 5.0, what: str = "condition",
             interval: float = 0.01) -> T:
    """The first truthy value ``condition()`` returns within ``timeout`` seconds.

        wait_for(lambda: board.model.counters.get("1"), what="counter 1 on the board")

    Raises AssertionError naming ``what`` when the time is up.
    """
    timeout *= TIMEOUT_SCALE
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.1f} s waiting for {what}")
        time.sleep(interval)
