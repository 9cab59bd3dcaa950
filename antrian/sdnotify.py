"""systemd's notify protocol in a few lines of stdlib: READY, WATCHDOG, STATUS, STOPPING.

    sdnotify.ready("connected, 40 services")
    while running:
        ...
        sdnotify.watchdog()       # from the main loop, so a frozen loop stops the pings

Outside systemd (no ``NOTIFY_SOCKET``) every call does nothing and returns False.
"""

from __future__ import annotations

import os
import socket
import time


def notify(message: str) -> bool:
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):  # abstract namespace socket
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as s:
            s.connect(address)
            s.sendall(message.encode())
        return True
    except OSError:
        return False


def _one_line(text: str) -> str:
    # A newline would start another field: "x\nREADY=1" must not read as READY.
    return " ".join(text.splitlines())


def ready(status: str | None = None) -> bool:
    return notify("READY=1" + (f"\nSTATUS={_one_line(status)}" if status else ""))


def status(text: str) -> bool:
    return notify(f"STATUS={_one_line(text)}")


def stopping() -> bool:
    return notify("STOPPING=1")


def watchdog_interval() -> float | None:
    """Seconds between pings systemd expects (half of WatchdogSec), or None when not watched."""
    usec = os.environ.get("WATCHDOG_USEC")
    pid = os.environ.get("WATCHDOG_PID")
    if not usec or (pid and pid != str(os.getpid())):
        return None
    try:
        return int(usec) / 2e6
    except ValueError:
        return None


class Watchdog:
    """Rate-limited pings: call :meth:`tick` as often as the loop turns."""

    def __init__(self, interval: float | None = None):
        self.interval = interval if interval is not None else (watchdog_interval() or 5.0)
        self._last = 0.0

    def tick(self) -> None:
        now = time.monotonic()
        if now - self._last >= min(self.interval, 5.0):
            self._last = now
            notify("WATCHDOG=1")
