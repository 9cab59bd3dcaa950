"""The web's two requests to the queue, each awaited on the event loop (issue 14).

    link = StaffLink(topics, publish=connection.publish)
    outcome = await link.press("3", {"action": "next", "id": "w-1a2b3c4d", "expect": "C004"})
    outcome = await link.command("close", {"counter": "3", "reason": "Istirahat"})
    link.receive(topic, payload)        # every message the web hears (on the event loop)

A press is published as the counter it belongs to, on ``counter/<id>/press`` (the broker lets
the ``web`` account do exactly that), with no response topic: the queue answers a counter's
request only under ``reply/counter-<id>/``, which the web may not read. Its acknowledgement is
the one every panel uses: the counter's retained state echoing ``request`` = the press's id,
or ``error/counter-<id>`` naming that id. A repeated id changes nothing in the queue, so a
resend (a double click, a page that lost its connection) is harmless, and two presses of one id
in flight here share one publish and one outcome.

A maintenance command goes on ``cmnd/queue/<command>`` with a ``transaction`` (the queue runs
a transaction once) and the MQTT v5 response topic ``reply/web/<transaction>``.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from mqtt.topics import Topics
from web.staff_views import Arrivals

log = logging.getLogger(__name__)

ACK_TIMEOUT_S = 4.0         # a press's acknowledgement: the queue answers in ~1 ms when up
COMMAND_TIMEOUT_S = 6.0


@dataclass
class Outcome:
    """What became of a request: ``ok`` with the counter state (or command data), a refusal
    with the queue's ``code`` and reason, or ``code == "no_ack"`` (nothing heard in time: it
    may still happen; resending the same id is safe)."""
    ok: bool
    code: str | None = None
    error: str | None = None
    state: dict[str, Any] | None = None
    data: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


class StaffLink:
    """:param publish: ``publish(topic, payload, properties=None)`` (``Connection.publish``);
    None until the role attaches its connection (requests then answer ``disconnected``)."""

    def __init__(self, topics: Topics, *, publish: Callable[..., Any] | None = None,
                 connected: Callable[[], bool] = lambda: True,
                 ack_timeout: float = ACK_TIMEOUT_S):
        self.topics = topics
        self.ack_timeout = ack_timeout
        self.publish = publish
        self.connected = connected
        self.arrivals = Arrivals()      # when each ticket was issued (the `ticket` events)
        self.presses: dict[tuple[str, str], asyncio.Future] = {}
        self.commands: dict[str, asyncio.Future] = {}
        self.sent = self.acked = self.refused = self.timeouts = 0

    # -- in (on the event loop) ---------------------------------------------------------------

    def hear(self, topic: str, payload: bytes) -> None:
        """Every message the web hears, after the page folded it in; never raises."""
        try:
            if topic == self.topics.ticket:
                self.arrivals.ticket(msgspec.json.decode(payload))
            elif self.presses or self.commands:
                self.receive(topic, payload)
        except Exception:   # a bad message must not stop the page
            log.debug("staff: ignored %s", topic, exc_info=True)

    def receive(self, topic: str, payload: bytes) -> None:
        """The acknowledgements: a counter state, a counter's error, a reply to a command."""
        if not (self.presses or self.commands):
            return
        levels = self.topics.parse(topic)
        try:
            if len(levels) == 3 and levels[0] == "counter" and levels[2] == "state":
                self._state(levels[1], payload)
            elif len(levels) == 2 and levels[0] == "error" and levels[1].startswith("counter-"):
                self._error(levels[1][len("counter-"):], payload)
            elif len(levels) == 3 and levels[:2] == ["reply", "web"]:
                self._reply(levels[2], payload)
        except (msgspec.DecodeError, ValueError, TypeError, AttributeError):
            log.debug("ignored %s: not a JSON object", topic)

    def _state(self, counter: str, payload: bytes) -> None:
        if not payload:
            return
        state = msgspec.json.decode(payload)
        rid = state.get("request") if isinstance(state, dict) else None
        future = self.presses.get((counter, rid)) if isinstance(rid, str) else None
        if future is not None and not future.done():
            self.acked += 1
            future.set_result(Outcome(True, state=state))

    def _error(self, counter: str, payload: bytes) -> None:
        body = msgspec.json.decode(payload)
        rid = body.get("id") if isinstance(body, dict) else None
        future = self.presses.get((counter, rid)) if isinstance(rid, str) else None
        if future is not None and not future.done():
            self.refused += 1
            future.set_result(Outcome(False, code=str(body.get("code") or "refused"),
                                      error=str(body.get("error") or "")[:300]))

    def _reply(self, txn: str, payload: bytes) -> None:
        future = self.commands.get(txn)
        if future is None or future.done():
            return
        body = msgspec.json.decode(payload)
        if not isinstance(body, dict):
            raise ValueError
        if body.get("ok"):
            future.set_result(Outcome(True, data=body.get("data")))
        else:
            future.set_result(Outcome(False, code=str(body.get("code") or "refused"),
                                      error=str(body.get("error") or "")[:300]))

    # -- out ----------------------------------------------------------------------------------

    async def press(self, counter: str, press: dict[str, Any],
                    timeout: float | None = None) -> Outcome:
        """Publish ``press`` as counter ``counter`` and wait for its acknowledgement."""
        timeout = self.ack_timeout if timeout is None else timeout
        key = (counter, press["id"])
        future = self.presses.get(key)
        if future is None:
            if self.publish is None or not self.connected():
                return Outcome(False, code="disconnected", error="the web is not connected "
                               "to the broker: nothing was sent")
            future = asyncio.get_running_loop().create_future()
            self.presses[key] = future
            self.sent += 1
            self.publish(self.topics.counter_press(counter), msgspec.json.encode(press))
        try:
            return await asyncio.wait_for(asyncio.shield(future), timeout)
        except TimeoutError:
            self.timeouts += 1
            return Outcome(False, code="no_ack", error="no acknowledgement from the queue yet")
        finally:
            if future.done() and self.presses.get(key) is future:
                del self.presses[key]
            elif not future.done():
                asyncio.get_running_loop().call_later(timeout, self._drop, key, future)

    def _drop(self, key, future) -> None:
        if self.presses.get(key) is future:
            del self.presses[key]
            if not future.done():
                future.cancel()

    async def command(self, command: str, args: dict[str, Any],
                      timeout: float = COMMAND_TIMEOUT_S) -> Outcome:
        """A maintenance command to the queue; its reply comes on ``reply/web/<txn>``."""
        if self.publish is None or not self.connected():
            return Outcome(False, code="disconnected", error="the web is not connected to the "
                           "broker: nothing was sent")
        txn = "w-" + uuid.uuid4().hex[:20]
        future = asyncio.get_running_loop().create_future()
        self.commands[txn] = future
        props = Properties(PacketTypes.PUBLISH)
        props.ResponseTopic = f"{self.topics.base}/reply/web/{txn}"
        props.CorrelationData = txn.encode()
        try:
            self.publish(self.topics.cmnd("queue", command),
                         msgspec.json.encode({**args, "transaction": txn}), properties=props)
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            self.timeouts += 1
            return Outcome(False, code="no_ack", error="no reply from the queue service")
        finally:
            self.commands.pop(txn, None)

    def figures(self) -> dict[str, Any]:
        return {"staff_sent": self.sent, "staff_acked": self.acked,
                "staff_refused": self.refused, "staff_timeouts": self.timeouts}
