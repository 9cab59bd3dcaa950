"""What visitors may see, built from the site's retained MQTT state (pure: no I/O, no clock).

    public = PublicState(site)
    public.receive("antrian/bogor/service/ktp/state", payload)   # from the MQTT thread's hand-off
    update = public.rebuild(now)          # the changes since the last rebuild, ready to stream
    public.document                       # the services document (dict), as /api/v1/services
    status, body = public.ticket("a16", day=None, now=now)    # answered by web.ticket_lookup

Only public facts leave here: services, ticket numbers, counters and their names, estimates. The
retained messages hold nothing personal (no names, no NIK), and the kiosk that printed a ticket or
whether it is a priority ticket is not passed on either.
"""

from __future__ import annotations

import logging
import math
from collections import deque
from typing import Any

import msgspec

from antrian.config import Site
from mqtt import schemas
from mqtt.consumer import Stamp, supersedes
from mqtt.topics import Topics
from ticketing.day import service_day
from ticketing.estimate import retained_waits
from web.snapshot import Snapshot, TicketInfo, Update, visible
from web.ticket_lookup import TICKET, normalise, ticket_status  # noqa: F401  (TICKET: web.survey)

log = logging.getLogger(__name__)

RECENT_CALLS = 10
TRANSIT_S = 3.0         # s: how long a ticket between two services' states keeps its status


class PublicState:
    """The site as the public sees it; fed with retained messages, rebuilt on demand."""

    def __init__(self, site: Site, *, component: str = "web"):
        self.site = site
        self.topics = Topics(site.site)
        # The barrier: this process's own presence, published right after it subscribes (by
        # mqtt.client.Connection) and delivered live (not retained) after every retained
        # message the broker held for those subscriptions (one client's messages keep order).
        self.barrier_topic = self.topics.lwt(component)
        self.synced = False
        self.snapshot = Snapshot()
        self.stamps: dict[str, Stamp] = {}                # topic -> (day, seq) held
        self.services: dict[str, dict[str, Any]] = {}     # decoded service/<id>/state
        self.counters: dict[str, dict[str, Any]] = {}     # decoded counter/<id>/state
        self.queue_online: bool | None = None
        self.connected = False                             # this process to the broker
        self.message: dict[str, Any] | None = None
        self.calls: deque[dict[str, Any]] = deque(maxlen=RECENT_CALLS)
        self.version = 0
        self.public: dict[str, dict[str, Any]] = {}       # service id -> public dict
        self._index: dict[str, TicketInfo] = {}
        self._transit: dict[str, tuple[TicketInfo, float]] = {}   # label -> (last seen, since)
        self._done_seen: dict[str, tuple[str, int]] = {}          # sid -> (day, done)
        self._snapshot_stale = False
        self.status: dict[str, Any] = {}
        self.names: dict[str, str] = {}
        self.document: dict[str, Any] = {}
        self._dirty: set[str] = set()                      # services whose public view may change
        self._pending_calls: list[dict[str, Any]] = []
        self._message_dirty = False
        self._bad = 0
        self.survey = True      # the SKM survey is on (the page offers "Nilai layanan kami")

    # -- input -------------------------------------------------------------------------------

    def receive(self, topic: str, payload: bytes, *, retained: bool = False) -> bool:
        """Fold in one MQTT message; returns whether anything visible may have changed.

        :param retained: the broker delivered it from its store on subscribing (the freshness
            rule, ``mqtt.consumer.supersedes``, lets such a message win)."""
        if topic == self.barrier_topic:
            if retained or payload.strip() != b"online" or self.synced:
                return False
            self.synced = True
            return True
        levels = self.topics.parse(topic)
        try:
            if len(levels) == 3 and levels[0] == "service" and levels[2] == "state":
                return self._service(topic, levels[1], payload, retained)
            if len(levels) == 3 and levels[0] == "counter" and levels[2] == "state":
                return self._counter(topic, levels[1], payload, retained)
            if levels == ["call"]:
                return self._call(payload)
            if levels == ["tele", "queue", "lwt"]:
                word = payload.strip()
                if word not in (b"online", b"offline"):
                    raise schemas.BadMessage(f"presence {word[:20]!r} is neither online nor "
                                             "offline")
                online = word == b"online"
                if online and self.queue_online is False:
                    # A restarted queue service republishes everything; its store may be new,
                    # so what it sends now wins even with a lower seq.
                    self.stamps.clear()
                changed = online != self.queue_online
                self.queue_online = online
                return changed
            if levels == ["message"]:
                return self._message(payload)
        except schemas.BadMessage as e:
            self._bad += 1
            if self._bad <= 20 or self._bad % 1000 == 0:
                log.warning("ignored %s: %s (%d ignored so far)", topic, e, self._bad)
        return False

    def set_connected(self, connected: bool) -> None:
        if connected != self.connected:
            self.connected = connected

    def _fresh(self, topic: str, state: dict[str, Any], retained: bool) -> bool:
        """The one freshness rule (mqtt.consumer): whether ``state`` replaces what is held."""
        if not supersedes(self.stamps.get(topic), state["day"], state["seq"], retained=retained):
            return False
        self.stamps[topic] = (state["day"], state["seq"])
        return True

    def _service(self, topic: str, sid: str, payload: bytes, retained: bool) -> bool:
        if not payload:
            self.stamps.pop(topic, None)
            if self.services.pop(sid, None) is not None:
                self._dirty.add(sid)
                return True
            return False
        state = msgspec.to_builtins(schemas.decode_state(payload, schemas.ServiceState))
        if state["service"] != sid:
            raise schemas.BadMessage(f"service {state['service']!r} on the topic of {sid!r}")
        if not self._fresh(topic, state, retained):
            return False
        self.services[sid] = state
        self._dirty.add(sid)
        return True

    def _counter(self, topic: str, cid: str, payload: bytes, retained: bool) -> bool:
        if not payload:
            self.stamps.pop(topic, None)
            old = self.counters.pop(cid, None)
            self._dirty.update(old["services"] if old else ())
            return old is not None
        state = msgspec.to_builtins(schemas.decode_state(payload, schemas.CounterState))
        if not self._fresh(topic, state, retained):
            return False
        held = self.counters.get(cid)
        self.counters[cid] = state
        # its name and whether it is open show in every service it serves, before and after
        self._dirty.update(state["services"])
        self._dirty.update(held["services"] if held else ())
        return True

    def _call(self, payload: bytes) -> bool:
        call = msgspec.to_builtins(schemas.decode_state(payload, schemas.Call))
        public = {k: call[k] for k in ("ticket", "service", "counter", "counter_name", "kind",
                                       "seq", "ts")}
        self.calls.appendleft(public)
        self._pending_calls.append(public)
        return True

    def _message(self, payload: bytes) -> bool:
        if not payload:
            self.message = None
        else:
            try:
                body = msgspec.json.decode(payload)
            except msgspec.DecodeError as e:
                raise schemas.BadMessage(f"message is not JSON: {e}") from None
            text = body.get("text") if isinstance(body, dict) else None
            if not isinstance(text, str):
                raise schemas.BadMessage("message without text")
            ts = body.get("ts")
            self.message = {"text": visible(text)[:500],
                            "ts": ts if isinstance(ts, (int, float)) and math.isfinite(ts) else None}
        self._message_dirty = True
        return True

    # -- building ----------------------------------------------------------------------------

    def service_ids(self) -> list[str]:
        """The TOML's services in its order, then any the queue publishes that it lacks."""
        return list(self.site.services) + [s for s in self.services if s not in self.site.services]

    def counter_names(self) -> dict[str, str]:
        """Every counter's name by id: the TOML's, then any the queue publishes."""
        ids = list(self.site.counters) + [c for c in self.counters if c not in self.site.counters]
        return {cid: self.counter_name(cid) for cid in ids}

    def counter_name(self, cid: str) -> str:
        c = self.counters.get(cid)
        if c:
            return c["name"]
        known = self.site.counters.get(cid)
        return known.name if known else f"Loket {cid}"

    def _public_service(self, sid: str, waits: list[float] | None) -> dict[str, Any]:
        svc = self.site.services.get(sid)
        s = self.services.get(sid)
        if s is None:
            return {"id": sid, "name": svc.name, "agency": svc.agency, "prefix": svc.prefix,
                    "known": False, "waiting": 0, "serving": [], "missed": [],
                    "counters_open": [], "est_wait_s": None, "last_issued": None, "issued": 0,
                    "done": 0, "day": None, "ts": None, "status": None, "standard": None}
        est = waits[-1] if waits else None
        return {
            "id": sid, "name": s["name"], "agency": s["agency"], "prefix": s["prefix"],
            "known": True, "waiting": len(s["waiting_tickets"]),
            # counters by id: their names are in the document's "counters" (smaller JSON)
            "serving": [{"ticket": x["ticket"], "counter": x["counter"]} for x in s["serving"]],
            "missed": list(s["missed"]),
            "counters_open": list(s["counters_open"]),
            "est_wait_s": None if est is None else round(est),
            "last_issued": s["last_issued"], "issued": s["issued"], "done": s["done"],
            "day": s["day"], "ts": s["ts"], "status": s.get("status"),
            "standard": s.get("standard")}

    def today(self, now: float) -> str:
        return service_day(now, self.site.tz, self.site.reset_at)

    def rebuild(self, now: float) -> Update | None:
        """Recompute what changed since the last call; None when nothing visible did."""
        frames: list[tuple[str, bytes]] = []
        if any(now - since > TRANSIT_S for _, since in self._transit.values()):
            self._dirty.add("")           # a ticket held in transit is due to be let go
        if self._dirty or self.version == 0:
            frames += self._rebuild_services(now)
        if self.snapshot.synced != self.synced or self._snapshot_stale:
            self._take_snapshot()
        names = self.counter_names()
        if names != self.names:
            self.names = names
            frames.append(("counters", msgspec.json.encode(names)))
        status = self._status(now)
        if status != self.status:
            self.status = status
            frames.append(("status", msgspec.json.encode(status)))
        if self._message_dirty:
            self._message_dirty = False
            frames.append(("message", msgspec.json.encode(self.message or {"text": ""})))
        for call in self._pending_calls:
            frames.append(("call", msgspec.json.encode(call)))
        self._pending_calls.clear()
        if not frames and self.version:
            return None
        self.version += 1
        self.document = {
            "site": self.site.site, "title": self.site.title, "timezone": self.site.timezone,
            "version": self.version, **self.status, "message": self.message,
            "survey": self.survey,
            "counters": self.names,
            "agencies": list(dict.fromkeys(p["agency"] for p in self.public.values())),
            "services": [self.public[s] for s in self.service_ids() if s in self.public],
            "recent_calls": list(self.calls)}
        return Update(self.version, frames)

    def _rebuild_services(self, now: float) -> list[tuple[str, bytes]]:
        frames = []
        waits = retained_waits(self.services, self.counters, now) if self.services else {}
        index: dict[str, TicketInfo] = {}
        for sid in self.service_ids():
            public = self._public_service(sid, waits.get(sid))
            if self.public.get(sid) != public:
                self.public[sid] = public
                frames.append(("service", msgspec.json.encode(public)))
            s = self.services.get(sid)
            if s is None:
                continue
            mine = waits.get(sid)
            for k, label in enumerate(s["waiting_tickets"]):
                index[label] = TicketInfo("waiting", sid, k, mine[k] if mine else None)
            for x in s["serving"]:
                index[x["ticket"]] = TicketInfo("called", sid, counter=x["counter"])
            for label in s["missed"]:
                index.setdefault(label, TicketInfo("missed", sid))
        self._carry_transit(index, now)
        for sid in list(self.public):
            if sid not in self.site.services and sid not in self.services:
                del self.public[sid]
                frames.append(("removed", msgspec.json.encode({"id": sid})))
        self._index = index
        self._snapshot_stale = True
        self._dirty.clear()
        return frames

    def _carry_transit(self, index: dict[str, TicketInfo], now: float) -> None:
        """A ticket transferred from one service to another leaves the first one's state before
        it shows in the second's (two messages). In between it is in no list, and a ticket in no
        list reads as ``done``. So a waiting or called ticket that vanished from a service whose
        count served (``done``) did not grow by as many keeps its last status until it shows up
        again, or for ``TRANSIT_S`` at most: the page may be a moment late, never wrong."""
        done_now = {sid: (s["day"], s["done"]) for sid, s in self.services.items()}
        vanished: dict[str, list[str]] = {}
        for label, info in self._index.items():
            if label not in index and info.status in ("waiting", "called"):
                vanished.setdefault(info.service, []).append(label)
        for sid, labels in vanished.items():
            before, after = self._done_seen.get(sid), done_now.get(sid)
            if before is None or after is None or before[0] != after[0]:
                continue                  # a new day, or the service gone: nothing in transit
            if len(labels) > after[1] - before[1]:
                for label in labels:
                    self._transit.setdefault(label, (self._index[label], now))
        for label, (info, since) in list(self._transit.items()):
            if label in index or now - since > TRANSIT_S:
                del self._transit[label]
            else:
                index[label] = info
        self._done_seen = done_now

    def _take_snapshot(self) -> None:
        """One consistent view for lookups: the index and the counts issued, from the same
        services' states (built in the same step, on the same thread)."""
        self.snapshot = Snapshot(self.synced, self._index, {
            sid: (s["day"], s["issued"]) for sid, s in self.services.items()})
        self._snapshot_stale = False

    @property
    def index(self) -> dict[str, TicketInfo]:
        return self.snapshot.index

    def _status(self, now: float) -> dict[str, Any]:
        days = {s["day"] for s in self.services.values()}
        today = self.today(now)
        updated = max((s["ts"] for s in self.services.values()), default=None)
        stale_day = bool(days) and max(days) < today
        reasons = [r for r, bad in (("disconnected", not self.connected),
                                    ("queue_offline", self.queue_online is False),
                                    ("old_day", stale_day),
                                    ("no_data", self.synced and not self.services),
                                    ("loading", not self.synced)) if bad]
        return {"day": max(days) if days else today, "online": self.queue_online,
                "connected": self.connected, "stale": bool(reasons), "stale_reasons": reasons,
                "updated": updated}

    # -- tickets: web.ticket_lookup ------------------------------------------------------------

    def normalise(self, raw: str) -> str | None:
        """The ticket label a visitor means (``a16`` → ``A016``), or None when it cannot be one."""
        return normalise(self, raw)

    def ticket(self, raw: str, day: str | None, now: float) -> tuple[int, dict[str, Any]]:
        """The HTTP status and body of ``/api/v1/tickets/<raw>`` (503 until synced)."""
        return ticket_status(self, raw, day, now)
