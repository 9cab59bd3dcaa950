"""What one batch of the queue service publishes, and sending it once the batch is on disk.

    out = Outbox()                          # filled while the batch is decided and committed
    service.publisher.publish(out, now)     # then: tickets, calls, states, replies, acks

The order is the point: the issued tickets, then the calls and refusals, then counter states
before service states (a board holds a call's frame until its counter's state arrives, and the
service states need the estimate), the recent calls, the replies, and the MQTT acknowledgements
last: a request is PUBACKed only once its outcome is committed and published.
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mqtt import schemas, views
from ticketing import Touched
from ticketing.keys import ticket_key

if TYPE_CHECKING:
    from mqtt.service import QueueService


@dataclass
class Outbox:
    """What one batch publishes once its events are committed."""
    messages: list[tuple[str, bytes, bool]] = field(default_factory=list)
    # Takes answered in this batch: their ticket messages are built after the batch, so the
    # building is played forward (the estimate) once per batch, not once per take.
    tickets: list[tuple[dict, Any, str]] = field(default_factory=list)
    replies: list[tuple[Any, bytes]] = field(default_factory=list)
    touched: Touched = field(default_factory=Touched)
    acks: list[Any] = field(default_factory=list)
    # console commands run in this batch: answered once the batch is on disk
    settle: list[tuple[Future, Any, BaseException | None]] = field(default_factory=list)


class QueuePublisher:
    """Sends a committed batch's :class:`Outbox` on the service's connection.

    :param service: the :class:`~mqtt.service.QueueService` (its connection, topics, state,
        ticket secret, estimate and opening statuses)."""

    def __init__(self, service: "QueueService"):
        self.service = service
        # each service's opening status as last published (the rules tick compares with it)
        self.statuses: dict[str, dict | None] = {}

    def publish(self, out: Outbox, now: float, republish: bool = False) -> None:
        s = self.service
        if not s.conn.connected.is_set() and not out.acks:
            return  # nothing can go out; a reconnect republishes everything
        for outcome, message, source in out.tickets:
            sid = outcome["service"]
            wait = s.estimate(sid, outcome["ahead"], now) if sid in s.state.lines else None
            key = (ticket_key(s.secret, s.site.site, outcome["day"], outcome["ticket"])
                   if s.secret else None)
            body = schemas.encode(views.ticket_issued(outcome, wait, key))
            s.conn.publish(s.topics.ticket, body)
            if s.edge.reply_to(message, source):
                s.conn.reply(message, body)
        for topic, body, retain in out.messages:
            s.conn.publish(topic, body, retain=retain)
        self.publish_state(out.touched, now)
        if out.touched.calls or republish or out.touched.reshaped:
            s.conn.publish(s.topics.recent_calls, schemas.encode(s.recent.message(s.state)),
                           retain=True)
        for message, body in out.replies:
            s.conn.reply(message, body)
        for message in out.acks:
            s.conn.ack(message)

    def publish_state(self, touched: Touched, now: float) -> None:
        s = self.service
        # Counter states first: they need no estimate, and a board holds a call's frame until
        # the called counter's state arrives (display/board.py COALESCE_S). Playing the building
        # forward (the estimate, ~5 ms here, more on a Pi) before them made every call wait for
        # it, and holding the GIL then also kept paho's thread from sending the call itself.
        for cid in touched.counters:
            if cid in s.site.counters and cid in s.state.counters:
                s.conn.publish(s.topics.counter_state(cid),
                               schemas.encode(views.counter_state(s.state, cid, now)),
                               retain=True)
        for sid in touched.services:
            if sid in s.site.services and sid in s.state.lines:
                st = self.statuses[sid] = s.status_of(sid, now)
                wait = s.estimate(sid, s.state.lines[sid].waiting, now)
                view = views.service_state(s.site, s.state, sid, now, wait, status=st,
                                           standard=s.standards.get(sid))
                s.conn.publish(s.topics.service_state(sid), schemas.encode(view), retain=True)
