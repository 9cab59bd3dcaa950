"""The maintenance face every component shares (Tasmota style): commands, replies, health.

    maint = Maintenance(conn, health=lambda: {"frames": board.frames})
    @maint.command("identify")
    def identify(args):
        board.flash_id()
        return {"flashing": True}
    maint.start()   # before conn.start(): it adds its subscription

- ``cmnd/<component>/<command>`` with a JSON object (or nothing) runs the command; the answer goes
  to ``stat/<component>/<command>`` as ``{"ok": true, "data": ...}`` or ``{"ok": false, "error":
  ...}``, echoing ``transaction``, and to the MQTT v5 response topic when there is one and it is
  a reply topic (``antrian/<site>/reply/<account>/...``: the only place a requester may read)
  or under the component's own ``stat/<component>/`` tree; any other response topic is ignored
  and logged, at most once a minute.
- Every command message is acknowledged once it has been answered (with manual acks, as the
  queue service connects, an unacknowledged command would fill the broker's in-flight window
  and make the component deaf), including those refused or dropped.
- A command registered with ``transactional=True`` is called as ``handler(args, transaction)``
  with the request's validated ``transaction`` id (or None), so the role can store its outcome
  and answer a redelivery without running it again.
- ``tele/<component>/state`` every ``interval`` seconds: version, uptime, CPU temperature,
  memory, plus the role's own figures from ``health()``.
- Built in: ``status`` (the same figures, now), ``help`` (the commands and what they do),
  ``reload`` (when the role gives ``on_reload``). Command names are case-insensitive, as in
  Tasmota: ``cmnd/queue/Status`` runs ``status``.

The health interval is the role's default; the site TOML's ``[maintenance] health_interval``
and then ``$ANTRIAN_HEALTH_INTERVAL`` override it. Health is also published right after every
(re)connect, so a console started later sees every component within seconds.

Commands run one at a time on a worker thread, never on paho's network thread.
"""

from __future__ import annotations

import json
import logging
import os
import queue as stdqueue
import resource
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from antrian import __version__
from antrian.config import ConfigError, need
from mqtt import validate
from mqtt.client import Connection

log = logging.getLogger(__name__)

MAX_COMMAND_PAYLOAD = 64 * 1024
INTERVAL_ENV = "ANTRIAN_HEALTH_INTERVAL"
Handler = Callable[[dict], Any]


class CommandError(ValueError):
    """A command's arguments are wrong or it cannot run now; the text goes to the reply."""


class Throttled:
    """Log a warning at most once a ``period`` per key: a flood of bad messages must not fill
    the SD card with the same line."""

    def __init__(self, logger: logging.Logger, period: float = 60.0):
        self.log = logger
        self.period = period
        self._last: dict[str, float] = {}

    def warning(self, key: str, msg: str, *args: Any) -> None:
        now = time.monotonic()
        if now - self._last.get(key, -self.period) >= self.period:
            if len(self._last) > 1000:
                self._last.clear()
            self._last[key] = now
            self.log.warning(msg, *args)


def cpu_temperature() -> float | None:
    """The SoC temperature on a Pi (°C), None where the machine does not expose it."""
    try:
        return int(Path("/sys/class/thermal/thermal_zone0/temp").read_text()) / 1000
    except (OSError, ValueError):
        return None


def memory_available_mb() -> float | None:
    """Memory the Pi can still give (MemAvailable), None where /proc/meminfo is missing."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except (OSError, ValueError, IndexError):
        pass
    return None


def load_average() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def health_interval(site: Any, default: float) -> float:
    """The seconds between health reports: ``$ANTRIAN_HEALTH_INTERVAL``, else the site TOML's
    ``[maintenance] health_interval``, else the role's ``default``."""
    interval = default
    raw = getattr(site, "raw", None)
    if isinstance(raw, dict) and "maintenance" in raw:
        table = need(raw, "maintenance", dict, "maintenance")
        interval = float(need(table, "health_interval", (int, float), "maintenance", default))
        if not 1 <= interval <= 3600:
            raise ConfigError("maintenance.health_interval: must be 1..3600 s")
    env = os.environ.get(INTERVAL_ENV)
    if env:
        try:
            value = float(env)
            if not 0.1 <= value <= 3600:
                raise ValueError
            interval = value
        except ValueError:
            log.warning("%s=%r is not a number of seconds (0.1..3600); using %g s",
                        INTERVAL_ENV, env, interval)
    return interval


def memory_rss_mb() -> float:
    try:
        with open(f"/proc/{os.getpid()}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Maintenance:
    """The maintenance face of one component.

    :param conn: the component's :class:`Connection` (not started yet).
    :param health: the role's own figures for ``status`` and ``tele/<component>/state``.
    :param interval: the role's default seconds between health reports (see
        :func:`health_interval` for what overrides it).
    :param on_reload: re-read the configuration; enables the ``reload`` command.
    """

    def __init__(self, conn: Connection, *, health: Callable[[], dict] = dict,
                 interval: float = 60.0, on_reload: Callable[[], Any] | None = None):
        self.conn = conn
        self.component = conn.component
        self.health = health
        self.interval = health_interval(getattr(conn, "site", None), interval)
        self.started = time.time()
        self.commands: dict[str, Handler] = {}
        self._transactional: set[str] = set()
        self._throttled = Throttled(log)
        self.command("status")(self._status_command)
        self.command("help")(self._help_command)
        if on_reload:
            def reload(args: dict) -> Any:
                """Re-read the site configuration."""
                return on_reload()
            self.command("reload")(reload)
        self._inbox: stdqueue.Queue = stdqueue.Queue(maxsize=1000)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []

    def command(self, name: str, *, transactional: bool = False
                ) -> Callable[[Handler], Handler]:
        """Register ``handler(args) -> data`` for ``cmnd/<component>/<name>``; the first line of
        the handler's docstring is what ``help`` says about it. ``transactional``: called as
        ``handler(args, transaction)``."""
        def register(handler: Handler) -> Handler:
            self.commands[name.lower()] = handler
            if transactional:
                self._transactional.add(name.lower())
            else:
                self._transactional.discard(name.lower())
            return handler
        return register

    def _status_command(self, args: dict) -> dict:
        """Version, uptime, temperature, memory and the role's own figures, now."""
        return self.status()

    def _help_command(self, args: dict) -> dict:
        """The commands of this component and what each does."""
        return {name: (handler.__doc__ or "").strip().split("\n")[0] or name
                for name, handler in sorted(self.commands.items())}

    # -- figures -------------------------------------------------------------------------------

    def status(self) -> dict:
        figures = {
            "component": self.component,
            "version": __version__,
            "uptime_s": round(time.time() - self.started, 1),
            "host": socket.gethostname(),
            "cpu_temp_c": cpu_temperature(),
            "memory_mb": round(memory_rss_mb(), 1),
            "mem_available_mb": memory_available_mb(),
            "load_1m": load_average(),
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
                    self._throttled.warning("full", "maintenance inbox full; dropped %s", topic)
                    self._ack(message)   # dropped is handled: never hold the window
            elif previous:
                previous(topic, payload, message)

        self.conn.on_message = route
        # A console started after this component sees it without waiting a whole interval.
        hook = getattr(self.conn, "on_connect", None)
        if callable(hook):
            hook(self._wake.set)
        for target, name in ((self._work, "commands"), (self._tick, "health")):
            t = threading.Thread(target=target, name=f"maint-{name}", daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        try:
            self._inbox.put_nowait(None)
        except stdqueue.Full:
            pass  # the worker sees _stop after the command it is running

    def _tick(self) -> None:
        next_at = time.monotonic() + self.interval
        while not self._stop.is_set():
            woken = self._wake.wait(max(0.0, next_at - time.monotonic()))
            if self._stop.is_set():
                return
            if woken:
                self._wake.clear()
                # woken from on_connect, which marks the connection up once its hooks ran
                self.conn.connected.wait(2)
            if self.conn.connected.is_set():
                try:
                    self.publish_health()
                except Exception:
                    log.exception("health report failed")
            next_at = time.monotonic() + self.interval

    def _work(self) -> None:
        while not self._stop.is_set():
            item = self._inbox.get()
            if item is None:
                return
            name, payload, message = item
            try:
                self._answer(name, payload, message)
            except Exception:  # this thread must survive anything a command does
                log.exception("reply to %s failed", name)
            finally:
                self._ack(message)

    def _ack(self, message: Any) -> None:
        ack = getattr(self.conn, "ack", None)
        if ack is not None and message is not None:
            try:
                ack(message)
            except Exception:
                log.exception("acknowledging a command failed")

    def _answer(self, name: str, payload: bytes, message: Any) -> None:
        reply = self.run(name, payload)
        try:
            body = json.dumps(reply, default=str).encode()
        except (TypeError, ValueError) as e:  # a handler returned data JSON cannot hold
            body = json.dumps({"ok": False, "error": f"{name} returned an unusable reply: {e}",
                               **({"transaction": reply["transaction"]}
                                  if "transaction" in reply else {})}).encode()
        safe_name = name if validate.REQUEST_ID.match(name or "") else "_"
        stat = self.conn.topics.stat(self.component, safe_name)
        self.conn.publish(stat, body)
        props = getattr(message, "properties", None)
        response = getattr(props, "ResponseTopic", None)
        if not response or response == stat:  # mosquitto_rr -e <the stat topic>: already there
            return
        own = self.conn.topics.stat(self.component, "")  # its own stat tree harms nobody
        if self.conn.topics.reply_owner(response) is None and not (
                response.startswith(own) and "+" not in response and "#" not in response):
            self._throttled.warning("reply", "%s: ignored response topic %r (not under "
                                    "reply/<account>/)", self.component, response[:100])
            return
        self.conn.reply(message, body)

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
            try:
                tid = validate.transaction(transaction)
            except validate.Invalid as e:
                transaction = None
                raise CommandError(str(e)) from None
            handler = self.commands.get(name.lower())
            if handler is None:
                shown = validate.clean_text(name, 40)
                raise CommandError(f"unknown command {shown!r}; known: {', '.join(sorted(self.commands))}")
            data = (handler(args, tid) if name.lower() in self._transactional
                    else handler(args))
            reply = {"ok": True, "data": data}
        except CommandError as e:
            reply = {"ok": False, "error": str(e)}
        except Exception as e:
            log.exception("command %s failed", name)
            reply = {"ok": False, "error": f"{name} failed: {e}"}
        if transaction is not None:
            reply["transaction"] = transaction
        log.info("command %s -> %s", validate.clean_text(name, 40),
                 "ok" if reply["ok"] else reply["error"])
        return reply
