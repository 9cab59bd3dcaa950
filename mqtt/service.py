"""The queue service: one per building; it owns tickets, services and counters.

    service = QueueService(site, Store("queue.db"))
    service.serve()            # until SIGTERM; or service.run(stop_event)

Presses, takes and console commands arrive on paho's thread and are handed to the service's own
thread through ONE inbox. There each request crosses the edge (:mod:`mqtt.queue_edge`: sender,
rate limit, validation), is put to the pure core (``ticketing.decide``), its events are
committed to SQLite, and only then are the calls, the issued tickets and the retained state
published and the MQTT messages acknowledged (manual acks: a request is PUBACKed only once its
outcome is on disk, so the broker delivers it again if the service dies first; a repeat gets
its first outcome). Sending a committed batch lives in :mod:`mqtt.queue_outbox`, console
commands in :mod:`mqtt.queue_commands`.
"""

from __future__ import annotations

import logging
import queue as stdqueue
import signal
import sys
import threading
import time
from dataclasses import replace
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from antrian import config as siteconfig
from antrian import sdnotify
from antrian.config import Site
from antrian.opening import fresh_state, published_standards, reconcile
from mqtt import schemas, views
from mqtt.client import Connection
from mqtt.maintenance import Maintenance
from mqtt.queue_bookings import QueueBookings
from mqtt.queue_commands import QueueCommands
from mqtt.queue_edge import Edge, Limits, Refused
from mqtt.queue_instance import Instance
from mqtt.queue_outbox import Outbox, QueuePublisher
from mqtt.store import Store
from mqtt.topics import Topics
from ticketing import Assign, Closed, Rollover, Take, Tick, decide, service_day
from ticketing.estimate import Projection, project, wait_from
from ticketing.observed import Observed
from ticketing.events import Called, DayRolled, LinesReset
from ticketing.fold import waiting_order
from ticketing.hours import status as opening_status

log = logging.getLogger(__name__)

BATCH = 256             # requests decided per commit under load
IDLE_TICK = 0.5         # seconds: how often an idle service checks the day and pings systemd
RULES_TICK = 5.0        # seconds: how often opening statuses and timed closures are checked
# The estimate plays the whole building forward; under load it is redone at most this often
# (and at once when counters open, close or change services), new tickets extrapolated between.
ESTIMATE_MAX_AGE = 1.0
QUIET_S = 2.0           # seconds without requests before the service counts as idle
COMPONENT = "queue"
# How long the service thread may hold the GIL while paho's network thread waits to send what
# was just published (CPython's default is 5 ms; each send may wait out one interval while the
# service plays the estimate forward right after publishing a call).
GIL_SWITCH_S = 0.001

__all__ = ["QueueService", "fresh_state", "reconcile", "Outbox"]


class QueueService:
    """The building's queue on MQTT.

    :param site: the loaded site TOML.
    :param store: the SQLite store (its state is loaded at once).
    :param connection: the broker connection (default: the queue's persistent, manual-ack
        :class:`~mqtt.client.Connection`); tests pass a fake with the same face.
    :param clock: seconds since the epoch (tests pass a fixed or fast clock).
    :param ticket_secret: the secret signing each ticket's key (default: the site's).
    :param limits: the ``[queue]`` limits (default: from the site TOML).
    """

    def __init__(self, site: Site, store: Store, *, connection: Connection | None = None,
                 clock: Callable[[], float] = time.time, health_interval: float = 60.0,
                 ticket_secret: bytes | None = None, limits: Limits | None = None):
        self.site = site
        self.key_error: str | None = None
        self.topics = Topics(site.site)
        self.store = store
        self.clock = clock
        self.edge = Edge(site, self.topics, limits=limits)
        self.standards = published_standards(site)
        self.secret = ticket_secret if ticket_secret is not None else self._ticket_secret(site)
        self._next_rules_tick = 0.0
        self._last_busy = 0.0
        self._projection: Projection | None = None
        # The day's figures the estimate learns from, held all day so a projection reads only
        # the tickets not yet settled (14 ms -> 4 ms on a 10,000-ticket day).
        self._observed = Observed()
        self._projected_at = 0.0
        today = service_day(clock(), site.tz, site.reset_at)
        self.state = store.load(lambda: fresh_state(site, today))
        for change in reconcile(self.state, site):
            log.info("config: %s", change)
        self.recent = views.RecentCalls(self.state, (
            e for e in store.events(day=self.state.day) if isinstance(e, Called)))
        self.instance = Instance(site.site)
        self.open_for_test_until: float | None = None
        self.inbox: stdqueue.Queue = stdqueue.Queue()
        self.conn = connection or Connection(site, COMPONENT, persistent=True, manual_ack=True)
        self.conn.on_message = self._receive
        self.conn.subscriptions += [self.topics.counter_press(), self.topics.kiosk_take(),
                                    self.topics.instance(COMPONENT)]
        self.conn.on_connect(self._connected)
        self.maintenance = Maintenance(self.conn, health=self.health, interval=health_interval,
                                       on_reload=lambda: self.submit(self.commands.reload))
        self.commands = QueueCommands(self)
        self.bookings = QueueBookings(self)
        self.publisher = QueuePublisher(self)
        self.conn.subscriptions += self.bookings.subscriptions
        self._rate: deque[tuple[float, int]] = deque()
        self._ready = False

    def _ticket_secret(self, site: Site) -> bytes | None:
        """The site's ticket secret; without one the queue still issues tickets (a building
        must not stop for the survey), but says so loudly in the log and its health."""
        try:
            return siteconfig.ticket_secret(site)
        except siteconfig.ConfigError as e:
            self.key_error = f"tickets carry no key: {e}"
            log.error("%s", self.key_error)
            return None

    # -- the loop -----------------------------------------------------------------------------

    def serve(self) -> int:
        """Run until SIGTERM or SIGINT; returns the exit status."""
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        self.run(stop)
        return 0

    def run(self, stop: threading.Event) -> None:
        sys.setswitchinterval(min(sys.getswitchinterval(), GIL_SWITCH_S))
        watchdog = sdnotify.Watchdog()
        self.maintenance.start()
        self.conn.start()
        log.info("queue service %s for %s: %d services, %d counters, day %s, seq %d",
                 self.instance.id, self.site.site, len(self.state.lines),
                 len(self.state.counters), self.state.day, self.state.seq)
        try:
            while not stop.is_set():
                batch = []
                try:
                    batch.append(self.inbox.get(timeout=IDLE_TICK))
                    while len(batch) < BATCH:
                        batch.append(self.inbox.get_nowait())
                except stdqueue.Empty:
                    pass
                self.step(batch)
                watchdog.tick()
        finally:
            sdnotify.stopping()
            self.maintenance.stop()
            self.store.close(self.state)
            self.conn.stop()
            log.info("queue service stopped at seq %d", self.state.seq)

    def step(self, batch: list[tuple]) -> None:
        """Decide a batch, commit it, then answer, publish and acknowledge."""
        out = Outbox()
        now = self.clock()
        self._roll_day(now, out)
        if now >= self._next_rules_tick:
            self._next_rules_tick = now + RULES_TICK
            self._tick_rules(now, out)
        republish = False
        for item in batch:
            kind = item[0]
            if kind == "msg":
                self._request(item[1], item[2], item[3], now, out)
            elif kind == "republish":
                republish = True
            elif kind == "cmd":
                self._command(item[1], item[2], now, out)
        if batch:
            self._last_busy = now
        # A snapshot (tens of ms on a busy day) waits for a quiet moment, not just a pause
        # between two requests of a steady stream.
        self.store.commit(self.state, idle=self.inbox.empty() and now - self._last_busy > QUIET_S)
        for future, result, error in out.settle:
            future.set_exception(error) if error is not None else future.set_result(result)
        if republish:
            out.touched.services.update(self.state.lines)
            out.touched.counters.update(self.state.counters)
            self.bookings.publish_all(now, out)
        self.publisher.publish(out, now, republish)
        if republish and not self._ready:
            self._ready = True
            sdnotify.ready(f"serving {len(self.state.lines)} services, day {self.state.day}")

    # -- requests -----------------------------------------------------------------------------

    def _receive(self, topic: str, payload: bytes, message: Any) -> None:
        """paho's thread: hand over, nothing else."""
        self.inbox.put(("msg", topic, payload, message))

    def _request(self, topic: str, payload: bytes, message: Any, now: float, out: Outbox) -> None:
        out.acks.append(message)      # whatever it is, it is handled once this batch is on disk
        if topic == self.topics.instance(COMPONENT):
            self.instance.seen(payload, bool(getattr(message, "retain", False)))
            return
        if self.bookings.handles(topic):
            return self.bookings.request(topic, payload, message, now, out)
        try:
            source, command, rid = self.edge.request(topic, payload, now)
        except Refused as e:
            return self._refuse(out, e.source, message, e.code, e.reason, e.rid)
        if isinstance(command, Take) and self.open_for_test_until is not None:
            if now < self.open_for_test_until:
                command = replace(command, opening=None)
            else:
                self.open_for_test_until = None
        decision = decide(self.state, command, now)
        if decision.repeated:
            log.info("%s: repeated request %s; answering as before", source, rid)
        elif isinstance(decision.error, Closed):
            # A take the opening rules refuse: tell the visitor why, in both languages.
            e = decision.error
            out.touched.services.add(command.service)
            return self._refuse(out, source, message, e.code, str(e), rid,
                                {"id": e.text_id, "en": str(e), "reason": e.reason})
        elif decision.error is not None:
            e = decision.error
            return self._refuse(out, source, message, e.code, str(e), rid)
        self.committed(decision.events, out)
        self._answer(command, source, decision.outcome, message, out)

    def committed(self, events: tuple, out: Outbox) -> None:
        """Store events already applied to the state, and note what they change."""
        if not events:
            return
        self.store.append(events)
        self._count(len(events))
        for event in events:
            out.touched.add(self.state, event)
            if isinstance(event, Called):
                # built now: a transfer later in the batch must not change what was called
                message = self.recent.add(self.state, event)
                if message is not None:
                    out.messages.append((self.topics.call, schemas.encode(message), False))
            elif isinstance(event, (DayRolled, LinesReset)):
                self.recent.prune(self.state)
        if out.touched.reshaped:
            self._projection = None

    def _answer(self, command: Any, source: str, outcome: dict, message: Any,
                out: Outbox) -> None:
        if isinstance(command, Take):
            out.tickets.append((outcome, message, source))
            return
        out.touched.counters.add(command.counter)
        if self.edge.reply_to(message, source):
            out.replies.append((message, schemas.encode(
                {"ok": True, "id": command.request_id, "data": outcome})))

    def _refuse(self, out: Outbox, source: str, message: Any, code: str, reason: str,
                rid: str | None, text: dict | None = None) -> None:
        if not source:       # not one of this site's devices: nobody to tell
            self.edge.throttled.warning(f"junk:{code}", "ignored: %s", reason)
            return
        log.info("%s: refused %s: %s", source, rid, reason)
        body = schemas.encode(schemas.Error(error=reason, id=rid, code=code, message=text))
        out.messages.append((self.topics.error(source), body, False))
        if self.edge.reply_to(message, source):
            out.replies.append((message, body))

    def _connected(self) -> None:
        """paho's thread, at every (re)connect: say who runs the queue, then republish."""
        self.conn.publish(self.topics.instance(COMPONENT), self.instance.announcement(),
                          retain=True)
        self.inbox.put(("republish",))

    # -- the day ------------------------------------------------------------------------------

    def _roll_day(self, now: float, out: Outbox) -> None:
        day = service_day(now, self.site.tz, self.site.reset_at)
        if day <= self.state.day:
            return
        log.info("new service day %s (was %s)", day, self.state.day)
        self.committed(decide(self.state, Rollover(day), now).events, out)
        # A supervisor's assignment lasts for the day; tomorrow the TOML's applies again.
        for c in self.site.counters.values():
            if self.state.counters[c.id].services != c.services:
                self.committed(decide(self.state, Assign(c.id, c.services), now).events, out)

    def estimate(self, sid: str, ahead: int, now: float) -> float | None:
        """Seconds until the ticket with ``ahead`` tickets before it in ``sid`` is called."""
        if self._projection is None or now - self._projected_at > ESTIMATE_MAX_AGE:
            self._projection = project(self.state, now, observed=self._observed)
            self._projected_at = now
        return wait_from(self._projection, sid, waiting_order(self.state, sid), ahead,
                         now - self._projected_at)

    def status_of(self, sid: str, now: float) -> dict | None:
        """The service's opening status now (None where the TOML sets no rules)."""
        rules = self.edge.rules.get(sid)
        if rules is None or rules.unrestricted:
            return None
        line = self.state.lines[sid]
        st = opening_status(rules, self.edge.local(now), line.last_number - line.booked)
        return st.as_dict()

    def _tick_rules(self, now: float, out: Outbox) -> None:
        """Reopen counters whose closing time is up; republish services whose status changed
        (opening, a break starting, the last-ticket cutoff) so boards and kiosks follow."""
        self.committed(decide(self.state, Tick(), now).events, out)
        self.bookings.tick(now, out)
        for sid in self.state.lines:
            rules = self.edge.rules.get(sid)
            if rules is not None and not rules.unrestricted:
                if self.publisher.statuses.get(sid) != self.status_of(sid, now):
                    out.touched.services.add(sid)

    # -- console commands: run on the service thread ---------------------------------------------

    def submit(self, fn: Callable[[float, Outbox], Any], timeout: float = 10.0) -> Any:
        """Run ``fn(now, out)`` on the service thread and wait until its batch is on disk."""
        future: Future = Future()
        self.inbox.put(("cmd", fn, future))
        return future.result(timeout)

    def _command(self, fn: Callable, future: Future, now: float, out: Outbox) -> None:
        try:
            out.settle.append((future, fn(now, out), None))
        except Exception as e:
            out.settle.append((future, None, e))

    def health(self) -> dict:
        lines = self.state.lines.values()
        figures = {"day": self.state.day, "seq": self.state.seq,
                   "tickets_today": sum(line.last_number for line in lines),
                   "waiting": sum(line.waiting for line in lines),
                   "counters_open": sum(1 for c in self.state.counters.values() if c.open),
                   "events_per_s": self.events_per_second(),
                   "inbox": self.inbox.qsize()}
        if self.key_error:
            figures["error"] = self.key_error
        figures.update(self.instance.health())
        if self.open_for_test_until is not None and self.open_for_test_until > self.clock():
            figures["open_for_test_until"] = self.open_for_test_until
        return figures

    def _count(self, n: int) -> None:
        now = time.monotonic()
        self._rate.append((now, n))
        while self._rate and now - self._rate[0][0] > 60:
            self._rate.popleft()

    def events_per_second(self) -> float:
        if not self._rate:
            return 0.0
        return round(sum(n for _, n in self._rate) / 60.0, 2)
