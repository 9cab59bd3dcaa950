"""The queue service: one per building; it owns tickets, services and counters.

    service = QueueService(site, Store("queue.db"))
    service.run(stop_event)

Presses and takes arrive on paho's thread and are handed to the service's own thread, which
decides with the pure rules (``ticketing``), commits the events to SQLite, and only then
publishes the calls, the issued tickets and the retained state, and acknowledges the MQTT
messages (manual acks: a request is PUBACKed only once its outcome is on disk, so the broker
delivers it again if the service dies first).
"""

from __future__ import annotations

import logging
import queue as stdqueue
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from antrian import config as siteconfig
from antrian import sdnotify
from antrian.config import Site
from mqtt import schemas, views
from mqtt.client import Connection
from mqtt.maintenance import CommandError, Maintenance
from mqtt.store import Store
from mqtt.topics import Topics
from antrian.opening import opening_rules, standards
from ticketing import (Assign, Closed, Press, QueueError, QueueState, ResetLine, Rollover, Take,
                       Tick, apply, handle, service_day, waiting_order)
from ticketing.estimate import Projection, project, wait_from
from ticketing.hours import status as opening_status
from ticketing.rules import UNSET, repeated
from ticketing.stats import day_stats

log = logging.getLogger(__name__)

BATCH = 256             # requests decided per commit under load
IDLE_TICK = 0.5         # seconds: how often an idle service checks the day and pings systemd
RULES_TICK = 5.0        # seconds: how often opening statuses and timed closures are checked
# The estimate plays the whole building forward; under load it is redone at most this often
# (and at once when counters open, close or change services), new tickets extrapolated between.
ESTIMATE_MAX_AGE = 1.0
QUIET_S = 2.0           # seconds without requests before the service counts as idle
RESHAPING = {"opened", "closed", "assigned", "rollover", "reset", "transferred"}
COMPONENT = "queue"


def fresh_state(site: Site, day: str) -> QueueState:
    return QueueState.new(
        day,
        [(s.id, s.prefix, s.separator, s.width, s.average_minutes * 60)
         for s in site.services.values()],
        [(c.id, c.name, c.services) for c in site.counters.values()])


def reconcile(state: QueueState, site: Site) -> list[str]:
    """Bring a stored state in line with the TOML (services or counters added, names changed);
    returns what changed. Lines of services no longer in the TOML stay until the day ends."""
    changes = []
    base = fresh_state(site, state.day)
    for sid, line in base.lines.items():
        old = state.lines.get(sid)
        if old is None:
            state.lines[sid] = line
            changes.append(f"service {sid} added")
        elif (old.prefix, old.separator, old.width) != (line.prefix, line.separator, line.width):
            if old.last_number == 0:
                old.prefix, old.separator, old.width = line.prefix, line.separator, line.width
            else:
                changes.append(f"service {sid}: new ticket format from tomorrow")
    for cid, counter in base.counters.items():
        old = state.counters.get(cid)
        if old is None:
            state.counters[cid] = counter
            changes.append(f"counter {cid} added")
        else:
            old.name = counter.name
    return changes


@dataclass
class Outbox:
    """What one batch publishes once its events are committed."""
    messages: list[tuple[str, bytes, bool]] = field(default_factory=list)
    # Takes answered in this batch: their ticket messages are built after the batch, so the
    # building is played forward (the estimate) once per batch, not once per take.
    tickets: list[tuple[dict, Any]] = field(default_factory=list)
    replies: list[tuple[Any, bytes]] = field(default_factory=list)
    services: set[str] = field(default_factory=set)
    counters: set[str] = field(default_factory=set)
    acks: list[Any] = field(default_factory=list)


class QueueService:
    """:param clock: seconds since the epoch (tests pass a fixed or fast clock)."""

    def __init__(self, site: Site, store: Store, *, clock: Callable[[], float] = time.time,
                 health_interval: float = 60.0):
        self.site = site
        self.topics = Topics(site.site)
        self.store = store
        self.clock = clock
        self.rules = opening_rules(site)
        self.standards = {sid: s.as_dict() for sid, s in standards(site).items()
                          if s != type(s)()}
        self._statuses: dict[str, dict] = {}
        self._next_rules_tick = 0.0
        self._last_busy = 0.0
        self._projection: Projection | None = None
        self._projected_at = 0.0
        today = service_day(clock(), site.tz, site.reset_at)
        self.state = store.load(lambda: fresh_state(site, today))
        for change in reconcile(self.state, site):
            log.info("config: %s", change)
        self.inbox: stdqueue.Queue = stdqueue.Queue()
        self.conn = Connection(site, COMPONENT, persistent=True, manual_ack=True,
                               on_message=self._receive,
                               subscriptions=[self.topics.counter_press(), self.topics.kiosk_take()])
        self.conn.on_connect(lambda: self.inbox.put(("republish",)))
        self.maintenance = Maintenance(self.conn, health=self.health, interval=health_interval,
                                       on_reload=lambda: self.submit(self._reload))
        self._register_commands()
        self._rate: deque[tuple[float, int]] = deque()
        self._ready = False
        self.started = time.time()

    # -- the loop -----------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        watchdog = sdnotify.Watchdog()
        self.maintenance.start()
        self.conn.start()
        log.info("queue service for %s: %d services, %d counters, day %s, seq %d",
                 self.site.site, len(self.state.lines), len(self.state.counters), self.state.day,
                 self.state.seq)
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
        """Decide a batch, commit it, then publish and acknowledge."""
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
        if republish:
            out.services.update(self.state.lines)
            out.counters.update(self.state.counters)
        self._publish(out, now)
        if republish and not self._ready:
            self._ready = True
            sdnotify.ready(f"serving {len(self.state.lines)} services, day {self.state.day}")

    # -- requests -----------------------------------------------------------------------------

    def _receive(self, topic: str, payload: bytes, message: Any) -> None:
        """paho's thread: hand over, nothing else."""
        self.inbox.put(("msg", topic, payload, message))

    def _request(self, topic: str, payload: bytes, message: Any, now: float, out: Outbox) -> None:
        out.acks.append(message)
        levels = self.topics.parse(topic)
        if len(levels) != 3 or levels[2] not in ("press", "take"):
            log.warning("ignored message on %s", topic)
            return
        kind, ident, verb = levels
        source = f"{kind}-{ident}"
        press = verb == "press"
        if ident not in (self.site.counters if press else self.site.kiosks):
            return self._refuse(out, source, message,
                                "unknown_counter" if press else "unknown_service",
                                f"unknown {kind} {ident!r}", schemas.request_id_of(payload))
        try:
            body = schemas.decode_press(payload) if press else schemas.decode_take(payload)
        except schemas.BadMessage as e:
            return self._refuse(out, source, message, "bad_request", str(e),
                                schemas.request_id_of(payload))
        command = (self._press_command(source, ident, body, now) if press
                   else self._take_command(source, ident, body, now))
        self._decide(command, source, body.id, message, now, out)

    def _press_command(self, source: str, counter: str, press: schemas.Press, now: float) -> Press:
        if press.ts is not None and now - press.ts > 5:
            log.info("%s: press %s arrived %.0f s after it was made", source, press.id,
                     now - press.ts)
        return Press(counter=counter, action=press.action, request=f"{source}:{press.id}",
                     request_id=press.id, ticket=press.ticket, to=press.to,
                     until=press.until, reason=press.reason,
                     expect=UNSET if press.expect is schemas.msgspec.UNSET else press.expect)

    def _take_command(self, source: str, kiosk: str, take: schemas.Take, now: float) -> Take:
        rules = self.rules.get(take.service)
        return Take(service=take.service, request=f"{source}:{take.id}", request_id=take.id,
                    kiosk=kiosk, priority=take.priority,
                    offered=self.site.kiosks[kiosk].services,
                    opening=None if rules is None or rules.unrestricted else rules,
                    local_time=self._local(now))

    def _decide(self, command: Any, source: str, rid: str, message: Any, now: float,
                out: Outbox) -> None:
        first = repeated(self.state, command.request)
        if first is not None:
            log.info("%s: repeated request %s; answering as before", source, rid)
            self._answer(command, first, message, out)
            return
        try:
            events = handle(self.state, command, now)
        except Closed as e:
            # A take the opening rules refuse: tell the visitor why, in both languages.
            out.services.add(command.service)
            return self._refuse(out, source, message, e.code, str(e), rid,
                                {"id": e.text_id, "en": str(e), "reason": e.reason})
        except QueueError as e:
            return self._refuse(out, source, message, e.code, str(e), rid)
        self._commit_events(events, out)
        self._answer(command, self.state.requests[command.request], message, out)

    def _commit_events(self, events: list[dict], out: Outbox) -> None:
        for event in events:
            apply(self.state, event)
        self.store.append(events)
        self._count(len(events))
        for event in events:
            kind = event["type"]
            if kind == "called":
                out.messages.append((self.topics.call,
                                     schemas.encode(views.call(self.state, event)), False))
            if "counter" in event:
                out.counters.add(event["counter"])
            if "ticket" in event and event["ticket"] in self.state.tickets:
                out.services.add(self.state.tickets[event["ticket"]].service)
            if kind == "transferred":
                out.services.add(event["to"])
            if kind in ("opened", "closed", "assigned"):
                # open counters change every estimate of the services they serve
                out.services.update(self.state.counters[event["counter"]].services)
            if kind in ("rollover", "reset"):
                out.services.update(self.state.lines)
                out.counters.update(self.state.counters)
            if kind in RESHAPING:
                self._projection = None

    def _answer(self, command: Any, outcome: dict, message: Any, out: Outbox) -> None:
        if isinstance(command, Take):
            out.tickets.append((outcome, message))
            return
        out.counters.add(command.counter)
        body = schemas.encode({"ok": True, "id": command.request_id, "data": outcome})
        if message is not None:
            out.replies.append((message, body))

    def _refuse(self, out: Outbox, source: str, message: Any, code: str, reason: str,
                rid: str | None, text: dict | None = None) -> None:
        log.info("%s: refused %s: %s", source, rid, reason)
        body = schemas.encode(schemas.Error(error=reason, id=rid, code=code, message=text))
        out.messages.append((self.topics.error(source), body, False))
        if message is not None:
            out.replies.append((message, body))

    # -- the day ------------------------------------------------------------------------------

    def _roll_day(self, now: float, out: Outbox) -> None:
        day = service_day(now, self.site.tz, self.site.reset_at)
        if day <= self.state.day:
            return
        log.info("new service day %s (was %s)", day, self.state.day)
        events = handle(self.state, Rollover(day), now)
        self._commit_events(events, out)
        # A supervisor's assignment lasts for the day; tomorrow the TOML's applies again.
        for c in self.site.counters.values():
            if self.state.counters[c.id].services != c.services:
                self._commit_events(handle(self.state, Assign(c.id, c.services), now), out)

    def _local(self, now: float):
        from datetime import datetime
        return datetime.fromtimestamp(now, self.site.tz).replace(tzinfo=None)

    def estimate(self, sid: str, ahead: int, now: float) -> float | None:
        """Seconds until the ticket with ``ahead`` tickets before it in ``sid`` is called."""
        if self._projection is None or now - self._projected_at > ESTIMATE_MAX_AGE:
            self._projection = project(self.state, now)
            self._projected_at = now
        return wait_from(self._projection, sid, waiting_order(self.state, sid), ahead,
                         now - self._projected_at)

    def status_of(self, sid: str, now: float) -> dict | None:
        """The service's opening status now (None where the TOML sets no rules)."""
        rules = self.rules.get(sid)
        if rules is None or rules.unrestricted:
            return None
        return opening_status(rules, self._local(now), self.state.lines[sid].last_number).as_dict()

    def _tick_rules(self, now: float, out: Outbox) -> None:
        """Reopen counters whose closing time is up; republish services whose status changed
        (opening, a break starting, the last-ticket cutoff) so boards and kiosks follow."""
        self._commit_events(handle(self.state, Tick(), now), out)
        for sid in self.state.lines:
            if sid in self.rules and not self.rules[sid].unrestricted:
                st = self.status_of(sid, now)
                if self._statuses.get(sid) != st:
                    out.services.add(sid)

    # -- publishing ---------------------------------------------------------------------------

    def _publish(self, out: Outbox, now: float) -> None:
        if not self.conn.connected.is_set() and not out.acks:
            return  # nothing can go out; a reconnect republishes everything
        for outcome, message in out.tickets:
            sid = outcome["service"]
            wait = self.estimate(sid, outcome["ahead"], now) if sid in self.state.lines else None
            body = schemas.encode(views.ticket_issued(outcome, wait))
            self.conn.publish(self.topics.ticket, body)
            if message is not None:
                self.conn.reply(message, body)
        for topic, body, retain in out.messages:
            self.conn.publish(topic, body, retain=retain)
        for sid in out.services:
            if sid in self.site.services:
                st = self._statuses[sid] = self.status_of(sid, now)
                wait = self.estimate(sid, self.state.lines[sid].waiting, now)
                view = views.service_state(self.site, self.state, sid, now, wait, status=st,
                                           standard=self.standards.get(sid))
                self.conn.publish(self.topics.service_state(sid), schemas.encode(view),
                                  retain=True)
        for cid in out.counters:
            if cid in self.site.counters:
                self.conn.publish(self.topics.counter_state(cid),
                                  schemas.encode(views.counter_state(self.state, cid, now)),
                                  retain=True)
        for message, body in out.replies:
            self.conn.reply(message, body)
        for message in out.acks:
            self.conn.ack(message)

    # -- maintenance --------------------------------------------------------------------------

    def submit(self, fn: Callable[[float, Outbox], Any], timeout: float = 10.0) -> Any:
        """Run ``fn(now, out)`` on the service thread (from a maintenance command) and wait."""
        future: Future = Future()
        self.inbox.put(("cmd", fn, future))
        return future.result(timeout)

    def _command(self, fn: Callable, future: Future, now: float, out: Outbox) -> None:
        try:
            future.set_result(fn(now, out))
        except Exception as e:
            future.set_exception(e)

    def _run_rule(self, command: Any, now: float, out: Outbox) -> list[dict]:
        try:
            events = handle(self.state, command, now)
        except QueueError as e:
            raise CommandError(str(e)) from None
        self._commit_events(events, out)
        return events

    def _register_commands(self) -> None:
        m = self.maintenance

        @m.command("reset")
        def reset(args: dict) -> dict:
            if args.get("confirm") is not True:
                raise CommandError('reset erases the day\'s line: send {"confirm": true}')
            service = args.get("service")
            if service is not None and not isinstance(service, str):
                raise CommandError("service must be a service id")
            events = self.submit(lambda now, out: self._run_rule(ResetLine(service), now, out))
            return {"reset": service or "all", "expired": len(events[0]["expired"])}

        @m.command("assign")
        def assign(args: dict) -> dict:
            counter, services = args.get("counter"), args.get("services")
            if not isinstance(counter, str) or not isinstance(services, list) \
                    or not all(isinstance(s, str) for s in services):
                raise CommandError('expected {"counter": "3", "services": ["ktp", "kk"]}')
            self.submit(lambda now, out: self._run_rule(Assign(counter, tuple(services)), now, out))
            return {"counter": counter, "services": services}

        def open_close(action: str) -> Callable[[dict], dict]:
            def run(args: dict) -> dict:
                counter = args.get("counter")
                if not isinstance(counter, str):
                    raise CommandError('expected {"counter": "3"}')
                until, reason = args.get("until"), args.get("reason")
                if action == "close" and until is not None:
                    until = self._until(until)
                if reason is not None and (not isinstance(reason, str) or len(reason) > 100):
                    raise CommandError("reason must be a short text (at most 100 characters)")
                rid = f"ops-{uuid.uuid4().hex[:12]}"
                press = Press(counter, action, f"ops:{rid}", request_id=rid, until=until,
                              reason=reason)
                self.submit(lambda now, out: self._run_rule(press, now, out))
                return {"counter": counter, "open": action == "open"}
            return run

        m.command("open")(open_close("open"))
        m.command("close")(open_close("close"))

        @m.command("message")
        def message(args: dict) -> dict:
            text = args.get("text", "")
            if not isinstance(text, str) or len(text) > 500:
                raise CommandError("text must be a string of at most 500 characters")
            body = schemas.encode({"text": text, "ts": time.time()}) if text else b""
            self.conn.publish(self.topics.message, body, retain=True)
            return {"text": text}

        @m.command("stats")
        def stats(args: dict) -> dict:
            agencies = {s.id: s.agency for s in self.site.services.values()}
            targets = {sid: s["duration_minutes"] for sid, s in self.standards.items()
                       if s.get("duration_minutes")}
            return self.submit(lambda now, out: day_stats(self.state, agencies, now, targets))

    def _until(self, value: Any) -> float:
        """A closing time: "13:00" (today, local time) or seconds since the epoch."""
        from datetime import datetime, time as dtime
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                hh, mm = value.split(":")
                local = datetime.combine(datetime.now(self.site.tz).date(),
                                         dtime(int(hh), int(mm)), self.site.tz)
                return local.timestamp()
            except ValueError:
                pass
        raise CommandError('until must be "HH:MM" or a Unix time')

    def _reload(self, now: float, out: Outbox) -> dict:
        try:
            site = siteconfig.load(self.site.path)
        except siteconfig.ConfigError as e:
            raise CommandError(f"config not reloaded: {e}") from None
        removed = set(self.site.services) - set(site.services)
        if removed:
            raise CommandError(f"config not reloaded: services removed ({', '.join(sorted(removed))});"
                               " restart the queue service after the day ends")
        try:
            rules, stds = opening_rules(site), standards(site)
        except siteconfig.ConfigError as e:
            raise CommandError(f"config not reloaded: {e}") from None
        self.site = site
        self.rules = rules
        self.standards = {sid: s.as_dict() for sid, s in stds.items() if s != type(s)()}
        changes = reconcile(self.state, site)
        out.services.update(self.state.lines)
        out.counters.update(self.state.counters)
        return {"changes": changes}

    def health(self) -> dict:
        lines = self.state.lines.values()
        return {"day": self.state.day, "seq": self.state.seq,
                "tickets_today": sum(l.last_number for l in lines),
                "waiting": sum(l.waiting for l in lines),
                "counters_open": sum(1 for c in self.state.counters.values() if c.open),
                "events_per_s": self.events_per_second(),
                "inbox": self.inbox.qsize()}

    def _count(self, n: int) -> None:
        now = time.monotonic()
        self._rate.append((now, n))
        while self._rate and now - self._rate[0][0] > 60:
            self._rate.popleft()

    def events_per_second(self) -> float:
        if not self._rate:
            return 0.0
        return round(sum(n for _, n in self._rate) / 60.0, 2)
