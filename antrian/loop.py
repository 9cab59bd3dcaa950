"""One thread owns a panel's or kiosk's state; everything else posts work to it.

    loop = Loop()
    conn.on_message = lambda t, p, m: loop.post(handle, t, p)   # from paho's thread
    loop.call(panel.health, timeout=2)                          # from a maintenance command
    loop.run(deadline=panel.next_deadline, tick=panel.tick)     # on the main thread

Posting never blocks and never raises into the poster's thread (paho's, gpiozero's); an
exception in posted work is logged and the loop goes on.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

log = logging.getLogger(__name__)


class Loop:
    """A work queue run by one thread, with a wake-up at the earliest deadline it is given."""

    def __init__(self, *, monotonic: Callable[[], float] = time.monotonic, max_wait: float = 0.5):
        self.monotonic = monotonic
        self.max_wait = max_wait
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._stop = threading.Event()
        self.thread: threading.Thread | None = None

    def post(self, fn: Callable[..., Any], *args: Any) -> None:
        self._queue.put((fn, args, None))

    def call(self, fn: Callable[..., Any], *args: Any, timeout: float = 5.0) -> Any:
        """Run ``fn`` on the loop thread and return its result (or raise its exception)."""
        if threading.current_thread() is self.thread:
            return fn(*args)
        future: Future = Future()
        self._queue.put((fn, args, future))
        return future.result(timeout)

    def stop(self) -> None:
        self._stop.set()
        self._queue.put((lambda: None, (), None))

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def run(self, *, deadline: Callable[[], float | None] = lambda: None,
            tick: Callable[[], None] = lambda: None) -> None:
        """Until :meth:`stop`: run posted work; call ``tick()`` when ``deadline()`` (monotonic)
        has passed, and at least every ``max_wait`` seconds (watchdog, timers)."""
        self.thread = threading.current_thread()
        while not self._stop.is_set():
            due = deadline()
            now = self.monotonic()
            wait = self.max_wait if due is None else min(self.max_wait, max(0.0, due - now))
            try:
                item = self._queue.get(timeout=wait) if wait > 0 else self._queue.get_nowait()
            except queue.Empty:
                item = None
            if item is not None:
                self._run(*item)
                # Drain what is already there before ticking: a burst is handled in order.
                while True:
                    try:
                        self._run(*self._queue.get_nowait())
                    except queue.Empty:
                        break
            try:
                tick()
            except Exception:
                log.exception("loop tick failed")

    def _run(self, fn: Callable[..., Any], args: tuple, future: Future | None) -> None:
        try:
            result = fn(*args)
        except Exception as e:
            if future is not None:
                future.set_exception(e)
            else:
                log.exception("loop work %s failed", getattr(fn, "__name__", fn))
            return
        if future is not None:
            future.set_result(result)
