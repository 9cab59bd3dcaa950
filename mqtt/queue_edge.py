"""The queue service's edge: who sent a request, may they, and what domain command it becomes.

    edge = Edge(site, topics, limits=Limits.of(site))
    source, command = edge.request(topic, payload, now)      # raises Refused

Everything a counter or kiosk sends crosses here once: the topic names the sender (the broker's
ACL lets ``counter-3`` publish only on ``counter/3/press``), a per-sender rate limit applies,
:mod:`mqtt.schemas` and :mod:`mqtt.validate` bound every value, and a refusal carries the
contract's error code. Replies go only to the sender's own ``reply/<sender>/...`` subtree.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from antrian.config import ConfigError, Site, need
from antrian.opening import opening_rules
from mqtt import schemas, validate
from mqtt.maintenance import Throttled
from mqtt.topics import Topics
from ticketing import Press, Take
from ticketing.commands import RECALL_COOLDOWN_S, UNSET

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limits:
    """``[queue]`` in the site TOML: the recall cooldown and each sender's rate limit (its keys
    are checked at load by antrian.sections.QUEUE; here only their values)."""
    recall_cooldown_s: float = RECALL_COOLDOWN_S
    rate_per_s: float = 5.0       # a person presses or takes at most a few times a second
    burst: int = 30

    @classmethod
    def of(cls, site: Site) -> "Limits":
        raw = getattr(site, "raw", None)
        table = raw.get("queue") if isinstance(raw, dict) else None
        if table is None:
            return cls()
        table = need(raw, "queue", dict, "queue")
        limits = cls(
            recall_cooldown_s=float(need(table, "recall_cooldown_s", (int, float), "queue",
                                         RECALL_COOLDOWN_S)),
            rate_per_s=float(need(table, "rate_per_s", (int, float), "queue", cls.rate_per_s)),
            burst=int(need(table, "burst", int, "queue", cls.burst)))
        if not 0 <= limits.recall_cooldown_s <= 600:
            raise ConfigError("queue.recall_cooldown_s: must be 0..600 s")
        if not 0 < limits.rate_per_s <= 100_000 or not 1 <= limits.burst <= 1_000_000:
            raise ConfigError("queue.rate_per_s: 0..100000 and queue.burst: 1..1000000")
        return limits


class Refused(Exception):
    """A request refused at the edge: nothing changed; ``source`` is told why."""

    def __init__(self, source: str, code: str, reason: str, rid: str | None):
        super().__init__(reason)
        self.source, self.code, self.reason, self.rid = source, code, reason, rid


class RateLimit:
    """A token bucket per sender: ``burst`` at once, then ``rate`` a second."""

    def __init__(self, rate: float, burst: int):
        self.rate, self.burst = rate, burst
        self._buckets: dict[str, tuple[float, float]] = {}

    def allow(self, source: str, now: float) -> bool:
        if len(self._buckets) > 10_000:   # senders are the TOML's devices: this is junk
            self._buckets.clear()
        tokens, at = self._buckets.get(source, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + max(0.0, now - at) * self.rate)
        if tokens < 1.0:
            self._buckets[source] = (tokens, now)
            return False
        self._buckets[source] = (tokens - 1.0, now)
        return True


class Edge:
    """Turns requests into domain commands for one site (see the module's docstring)."""

    def __init__(self, site: Site, topics: Topics, *, limits: Limits | None = None):
        self.topics = topics
        self.throttled = Throttled(log)
        self.configure(site, limits)

    def configure(self, site: Site, limits: Limits | None = None) -> None:
        """Take a (re)loaded site; raises ConfigError and changes nothing when it is wrong."""
        rules = opening_rules(site)
        limits = limits or Limits.of(site)
        self.site, self.rules, self.limits = site, rules, limits
        self.rate = RateLimit(limits.rate_per_s, limits.burst)

    def request(self, topic: str, payload: bytes, now: float) -> tuple[str, Any, str]:
        """(sender, domain command, request id) for a press or a take; raises Refused."""
        levels = self.topics.parse(topic)
        if len(levels) != 3 or levels[2] not in ("press", "take"):
            raise Refused("", "bad_request", f"not a request topic: {topic[:100]}", None)
        kind, ident, verb = levels
        press = verb == "press"
        if not validate.SERVICE_ID.match(ident):   # ids are a-z 0-9 -: no error topic for junk
            raise Refused("", "bad_request", f"not a {kind} id: {ident[:40]!r}", None)
        source = f"{kind}-{ident}"
        if not self.rate.allow(source, now):
            raise Refused(source, "rate_limited", f"{source} sends too fast; slow down",
                          schemas.request_id_of(payload))
        known = self.site.counters if press else self.site.kiosks
        if ident not in known:
            raise Refused(source, "unknown_counter" if press else "unknown_service",
                          f"unknown {kind} {ident!r}", schemas.request_id_of(payload))
        try:
            body = schemas.decode_press(payload) if press else schemas.decode_take(payload)
            if press:
                return source, self._press(source, ident, body, now), body.id
            return source, self._take(source, ident, body, now), body.id
        except (schemas.BadMessage, validate.Invalid) as e:
            raise Refused(source, "bad_request", str(e), schemas.request_id_of(payload)) from None

    def _press(self, source: str, counter: str, press: schemas.PressRequest,
               now: float) -> Press:
        if press.ts is not None and now - press.ts > 5:
            log.info("%s: press %s arrived %.0f s after it was made", source, press.id,
                     now - press.ts)
        until = press.until
        if until is not None:
            until = validate.until(until, now)
        return Press(counter=counter, action=press.action, request=f"{source}:{press.id}",
                     request_id=press.id, ticket=press.ticket, to=press.to,
                     until=until, reason=press.reason,
                     expect=UNSET if press.expect is schemas.msgspec.UNSET else press.expect,
                     recall_cooldown=self.limits.recall_cooldown_s)

    def _take(self, source: str, kiosk: str, take: schemas.TakeRequest, now: float) -> Take:
        rules = self.rules.get(take.service)
        return Take(service=take.service, request=f"{source}:{take.id}", request_id=take.id,
                    kiosk=kiosk, priority=take.priority,
                    offered=self.site.kiosks[kiosk].services,
                    opening=None if rules is None or rules.unrestricted else rules,
                    local_time=self.local(now))

    def local(self, now: float) -> datetime:
        return datetime.fromtimestamp(now, self.site.tz).replace(tzinfo=None)

    def reply_to(self, message: Any, source: str) -> bool:
        """Whether ``message``'s response topic is ``source``'s own reply subtree; any other
        is ignored and logged (at most once a minute per sender)."""
        props = getattr(message, "properties", None)
        topic = getattr(props, "ResponseTopic", None) if props is not None else None
        if not topic:
            return False
        if source and self.topics.reply_owner(topic) == source:
            return True
        self.throttled.warning(f"reply:{source}", "%s: ignored response topic %r (only %s)",
                               source or "?", str(topic)[:100], self.topics.reply(source or "?"))
        return False
