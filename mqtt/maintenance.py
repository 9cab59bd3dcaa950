"""The maintenance face every component shares (Tasmota style): commands, replies, health.

    maint = Maintenance(conn, health=lambda: {"frames": board.frames})
    @maint.command("identify")
    def identify(args):
        board.flash_id()
        return {"flashing": True}
    maint.start()   # before conn.start(): it adds its subscription

- ``cmnd/<component>/<command>`` with a JSON object (or nothing) runs the command; the answer goes
  to ``stat/<component>/<command>`` as ``{"ok": true, "data": ...}`` or ``{"ok": false, "error":
  ...}``, echoing ``transaction``, and to the MQTT v5 response topic when there is one.
- ``tele/<component>/state`` every ``interval`` seconds: version, uptime, CPU temperature,
  memory, plus the role's own figures from ``health()``.
- Built in: ``status`` (the same figures, now), ``reload`` (when the role gives ``on_reload``).

Commands run one at a time on a worker thread, never on paho's network thread.
"""

from __future__ import annotations

import json
import logging
import os
import queue as stdqueue
import resource
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from antrian import __version__
from mqtt.client import Connection

log = logging.getLogger(__name__)

MAX_COMMAND_PAYLOAD = 64 * 1024
Handler = Callable[[dict], Any]


class CommandError(ValueError):
    """A command's arguments are wrong or it cannot run now; the text goes to the reply."""


def cpu_temperature() -> float | None:
    """The SoC temperature on a Pi (°C), None where the machine does not expose it."""
    try:
        return int(Path("/sys/class/thermal/thermal_zone0/temp").read_text()) / 1000
    except (OSError, ValueError):
        return None


def memory_rss_mb() -> float:
    try:
        with open(f"/proc/{os.getpid()}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Maintenance:
    def __init__(self, conn: Connection, *, health: Callable[[], dict] = dict,
                 interval: float = 60.0, on_reload: Callable[[], Any] | None = None):
        self.conn = conn
        self.component = conn.component
        self.health = health
        self.interval = interval
        self.started = time.time()
        self.commands: dict[str, Handler] = {"status": lambda args: self.status()}
        if on_reload:
            self.commands["reload"] = lambda args: on_reload()
        self._inbox: stdqueue.Queue = stdqueue.Queue(maxsize=1000)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def command(self, name: str) -> Callable[[Handler], Handler]:
        """Register ``handler(args) -> data`` for ``cmnd/<component>/<name>``."""
        def register(handler: Handler) -> Handler:
            self.commands[name] = handler
            return handler
        return register

    # -- figures -------------------------------------------------------------------------------

    def status(self) -> dict:
        figures = {
            "component": self.component,
            "version": __version__,
            "uptime_s": round(time.time() - self.started, 1),
            "cpu_temp_c": cpu_temperature(),
            "memory_mb": round(memory_rss_mb(), 1),
            "connected": self.conn.connected.is_set(),
            "ts": time.time(),
        }
        try:
            figures.update(self.health())
        except Exception as e:  # a broken figure must not hide the others
            log.exception("health figures failed")
            figures["health_error"] = str(e)
        return figures

    def publish_health(self) -> None:
        self.conn.publish(self.conn.topics.tele_state(self.component),
                          json.dumps(self.status(), default=str).encode())

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        """Subscribe (at every connect) and start the command worker and the health timer."""
        self.conn.subscriptions.append(self.conn.topics.cmnd(self.component, "+"))
        previous = self.conn.on_message
        prefix = self.conn.topics.cmnd(self.component, "")

        def route(topic: str, payload: bytes, message: Any) -> None:
            if topic.startswith(prefix):
                try:
                    self._inbox.put_nowait((topic[len(prefix):], payload, message))
                except stdqueue.Full:
                    log.warning("maintenance inbox full; dropped %s", topic)
            elif previous:
                previous(topic, payload, message)

        self.conn.on_message = route
        for target, name in ((self._work, "commands"), (self._tick, "health")):
            t = threading.Thread(target=target, name=f"maint-{name}", daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self) -> None:
        self._stop.set()
        self._inbox.put(None)

    def _tick(self) -> None:
        while not self._stop.wait(self.interval):
            if self.conn.connected.is_set():
                try:
                    self.publish_health()
                except Exception:
                    log.exception("health report failed")

    def _work(self) -> None:
        while not self._stop.is_set():
            item = self._inbox.get()
            if item is None:
                return
            name, payload, message = item
            reply = self.run(name, payload)
            body = json.dumps(reply, default=str).encode()
            try:
                self.conn.publish(self.conn.topics.stat(self.component, name or "_"), body)
                self.conn.reply(message, body)
            except Exception:
                log.exception("reply to %s failed", name)

    def run(self, name: str, payload: bytes) -> dict:
        """Run one command from its raw payload; always returns the reply object."""
        transaction = None
        try:
            if len(payload) > MAX_COMMAND_PAYLOAD:
                raise CommandError(f"payload too large ({len(payload)} bytes)")
            try:
                args = json.loads(payload) if payload.strip() else {}
            except (ValueError, UnicodeDecodeError) as e:
                raise CommandError(f"payload is not JSON: {e}") from None
            if not isinstance(args, dict):
                raise CommandError("payload must be a JSON object")
            transaction = args.pop("transaction", None)
            if transaction is not None and not isinstance(transaction, (str, int)):
                transaction = None
                raise CommandError("transaction must be a string or a number")
            handler = self.commands.get(name)
            if handler is None:
                raise CommandError(f"unknown command {name!r}; known: {', '.join(sorted(self.commands))}")
            reply = {"ok": True, "data": handler(args)}
        except CommandError as e:
            reply = {"ok": False, "error": str(e)}
        except Exception as e:
            log.exception("command %s failed", name)
            reply = {"ok": False, "error": f"{name} failed: {e}"}
        if transaction is not None:
            reply["transaction"] = transaction
        log.info("command %s -> %s", name, "ok" if reply["ok"] else reply["error"])
        return reply
