"""The consumer side of the contract (docs/mqtt-api.md): what every board, panel, page and
console needs to read the queue's messages, and to ask it something, the same way.

    held = {}
    if supersedes(held.get(topic), state.day, state.seq, retained=message.retain):
        held[topic] = (state.day, state.seq)

    with Requester(Connection(site, "ctl", presence=False, credentials=ops)).start(5) as ask:
        reply = ask.request(topics.cmnd("queue", "status"), {}, timeout=5)

- one rule for freshness, so a board, the page and a panel never disagree on which state is
  current (:func:`supersedes`), and what a stamp or a ticket label can be at all
  (:func:`plausible_stamp`, ``TICKET_LABEL``);
- every message is untrusted: text made showable on any screen, terminal or printer
  (:func:`clean_text`), and a bad message skipped and said once (:class:`BadMessages`);
- the reply topics are ``mqtt.topics.Topics.reply`` (where an account reads its answers) and
  ``Topics.reply_owner`` (which response topics anyone may be answered on);
- one request/reply client (:class:`Requester`) for the command line, the console and the web.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
from typing import Any

from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from mqtt import validate

log = logging.getLogger(__name__)

Stamp = tuple[str, int]      # (service day "YYYY-MM-DD", seq)


def supersedes(held: Stamp | None, day: str, seq: int, *, retained: bool = False) -> bool:
    """Whether a message stamped ``(day, seq)`` replaces the one ``held`` for its topic.

    - nothing held: it does;
    - a retained message (delivered on subscribing) does: it is what the broker holds now, even
      with a lower seq (a queue service restarted on a fresh database counts from 1 again);
    - a later service day does, an earlier one does not;
    - on the same day, a seq at least as high does (equal: the same state published again).
    """
    if held is None or retained:
        return True
    held_day, held_seq = held
    if day != held_day:
        return day > held_day
    return seq >= held_seq


# -- untrusted messages (issue 12) ------------------------------------------------------------

# What a ticket label looks like on any consumer: "A012", "4K-010", "1A.7" (the service's prefix,
# separator and number); anything else in a ticket field is not a ticket.
TICKET_LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,19}\Z")
SERVICE_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}\Z")
MAX_SEQ = 2**53          # a seq above this was never counted by a queue service


def plausible_stamp(day: Any, seq: Any) -> bool:
    """Whether ``(day, seq)`` can be a queue service's stamp: a service day and a sequence
    number it could have reached (a forged stamp would otherwise outrank every real state)."""
    return (isinstance(day, str) and bool(SERVICE_DAY.match(day)) and isinstance(seq, int)
            and not isinstance(seq, bool) and 0 <= seq <= MAX_SEQ)


def clean_text(text: Any, limit: int = 200) -> str:
    r"""``text`` as something any screen, terminal or printer can show: the queue edge's rule
    (``mqtt.validate.clean_text``: no control, format or unassigned characters, so no NUL, no
    ESC of an ESC/POS or terminal sequence, no bidi override; whitespace folded), for any value
    a message may hold, at most ``limit`` characters.

    >>> clean_text("A\x1b@001\u202e\n ok")
    'A@001 ok'
    """
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    return validate.clean_text(text[:limit * 4], limit)


class BadMessages:
    """Skips a message a consumer cannot use, and says so once per topic (then once every
    ``every`` more), so a flood of garbage cannot flood the log; ``count`` is a health figure.

        bad = BadMessages(log)
        try:
            state = schemas.decode_state(payload, schemas.CounterState)
        except schemas.BadMessage as e:
            bad.skip(topic, e)
    """

    def __init__(self, logger: logging.Logger | None = None, *, every: int = 1000,
                 max_topics: int = 1000):
        self.log = logger or log
        self.every = every
        self.max_topics = max_topics
        self.count = 0
        self._per_topic: dict[str, int] = {}

    def skip(self, topic: str, error: Any) -> None:
        self.count += 1
        key = topic[:200]
        seen = self._per_topic.get(key, 0)
        if key in self._per_topic or len(self._per_topic) < self.max_topics:
            self._per_topic[key] = seen + 1
        if seen == 0:
            self.log.error("ignoring a bad message on %s: %s (kept the last good state; "
                           "further bad messages there are counted)", key,
                           clean_text(str(error), 300))
        elif (seen + 1) % self.every == 0:
            self.log.error("%d bad messages on %s so far (%d in all)", seen + 1, key, self.count)


# -- one request, one reply ------------------------------------------------------------------------

class RequestError(RuntimeError):
    """A request got no answer; the text says why in words a technician can act on."""


class LoginRefused(RequestError):
    """The broker refused this client's account (wrong or missing password)."""


class BrokerUnreachable(RequestError, ConnectionError):
    """No broker answered at the configured host:port."""


class NoAnswer(RequestError, TimeoutError):
    """The request went out but nothing answered it in time."""


def connect(conn: Any, timeout: float) -> None:
    """Start ``conn`` and wait until the broker has confirmed its subscriptions (SUBACK).

    Raises :class:`LoginRefused` as soon as the broker refuses the account (no point waiting
    for a retry), :class:`BrokerUnreachable` when nothing answered at host:port in ``timeout``.
    """
    conn.start()
    try:
        _wait_subscribed(conn, time.monotonic() + timeout, timeout)
    except RequestError:
        conn.stop()
        raise


def _wait_subscribed(conn: Any, deadline: float, timeout: float) -> None:
    # paho retries every 1-5 s; each outcome (refused, unreachable) is known at once.
    while not conn.subscribed.wait(0.02):
        if conn.refused:
            raise LoginRefused(f"the broker at {conn.address} refused the login of "
                               f"{conn.username or conn.account}: {conn.refused}")
        if time.monotonic() >= deadline:
            if conn.unreachable:
                raise BrokerUnreachable(f"cannot reach the broker at {conn.address}: "
                                        f"{conn.unreachable}")
            raise BrokerUnreachable(f"no answer from the broker at {conn.address} in "
                                    f"{timeout:g} s")


class Requester:
    """Requests over MQTT v5: a response topic under this account's own ``reply/`` subtree, a
    correlation id per request, and the answer matched on it.

        conn = Connection(site, "ctl", presence=False, credentials=ops)
        with Requester(conn).start(timeout=5) as ask:     # waits for the SUBACK
            reply = ask.request(topics.cmnd("queue", "status"), {}, timeout=5)

    The reply subscription is part of the connection's own subscriptions, so the request is
    published only once the broker has confirmed it (paho's ``on_subscribe``): an answer can
    never arrive before anyone listens for it. No sleeps.

    :param conn: a :class:`mqtt.client.Connection`, not started; its ``on_message`` is taken
        over (``on_other`` gets what is not a reply).
    :param on_other: ``on_other(topic, payload, message)`` for the connection's other
        subscriptions (presence, state), from paho's thread.
    """

    def __init__(self, conn: Any, *, on_other=None):
        self.conn = conn
        account = conn.username or conn.component
        self.topic = conn.topics.reply(account, f"{conn.component}-{uuid.uuid4().hex[:12]}")
        conn.subscriptions.append(self.topic)
        self.on_other = on_other
        self._answers: dict[bytes, bytes] = {}
        self._waiting: set[bytes] = set()
        self._also: dict[bytes, Any] = {}
        self._cond = threading.Condition()
        conn.on_message = self._on_message

    def _on_message(self, topic: str, payload: bytes, message: Any) -> None:
        if topic == self.topic:
            corr = getattr(getattr(message, "properties", None), "CorrelationData", None)
            if corr:
                self._answer(bytes(corr), payload)
            return
        for corr, also in list(self._also.items()):
            try:
                if also(topic, payload):
                    self._answer(corr, payload)
            except Exception:        # a predicate must never break paho's thread
                log.exception("matching %s failed", topic)
        if self.on_other is not None:
            self.on_other(topic, payload, message)

    def _answer(self, corr: bytes, payload: bytes) -> None:
        with self._cond:
            if corr in self._waiting:
                self._answers[corr] = payload
                self._cond.notify_all()

    def start(self, timeout: float) -> "Requester":
        """Connect and wait until the reply subscription is confirmed (see :func:`connect`)."""
        connect(self.conn, timeout)
        return self

    def request(self, topic: str, body: dict | bytes, timeout: float, *,
                what: str = "the request", also=None, respond: bool = True) -> bytes:
        """Publish ``body`` to ``topic`` as a request; the raw reply. Raises :class:`NoAnswer`.

        ``also(topic, payload) -> bool``: an answer that may come on another subscribed topic of
        the contract instead (a command's ``stat/`` echo of its transaction, where the broker
        does not let the component publish on our reply topic). ``respond=False``: no response
        topic at all, the answer is the one ``also`` finds (the queue answers a take or a press
        only on its sender's own reply tree, so `antrian take` reads the ticket event instead).
        """
        corr = uuid.uuid4().hex.encode()
        props = None
        if respond:
            props = Properties(PacketTypes.PUBLISH)
            props.ResponseTopic = self.topic
            props.CorrelationData = corr
        payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        with self._cond:
            self._waiting.add(corr)
            if also is not None:
                self._also[corr] = also
        try:
            self.conn.publish(topic, payload, properties=props)
            deadline = time.monotonic() + timeout
            with self._cond:
                while corr not in self._answers:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise NoAnswer(f"no answer to {what} in {timeout:g} s")
                    self._cond.wait(left)
                return self._answers.pop(corr)
        finally:
            with self._cond:
                self._waiting.discard(corr)
                self._also.pop(corr, None)
                self._answers.pop(corr, None)

    def barrier(self, timeout: float = 3.0) -> bool:
        """Send a marker to our own reply topic and wait for it: every message the broker held
        for this client before (retained presence and state, say) has then arrived, since the
        broker delivers one client's messages in order. False when the marker did not come back
        (an account that may not publish there): the caller goes on without the guarantee."""
        try:
            self.request(self.topic, b"", timeout, what="our own marker")
            return True
        except NoAnswer:
            log.debug("barrier on %s did not come back", self.topic)
            return False

    def close(self) -> None:
        self.conn.stop()

    def __enter__(self) -> "Requester":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
