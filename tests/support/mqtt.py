"""One MQTT watcher for every test: records what the broker delivers, waits on it, and proves
absence with a barrier rather than a sleep.

    w = Watcher(broker.port)
    w.publish("antrian/test/kiosk/k1/take", {"service": "ktp", "id": "r1"})
    topic, body = w.wait_for(lambda t, b: t.endswith("/ticket"), what="the ticket")
    w.barrier()          # everything the broker had for us before this point has arrived
"""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from support.waiting import TIMEOUT_SCALE


def nodelay(client) -> None:
    """paho leaves Nagle's algorithm on; a test client must not add 20-40 ms per message."""
    sock = client.socket()
    if sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def decode(payload: bytes):
    try:
        return json.loads(payload) if payload else None
    except ValueError:
        return payload


class Watcher:
    """A plain paho client for tests: records every message on ``topics``."""

    def __init__(self, port: int, topics=("antrian/#",), *, username: str | None = None,
                 password: str | None = None, client_id: str | None = None):
        self.messages: list[tuple[str, bytes, bool]] = []
        self.cond = threading.Condition()
        self._barrier_topic = f"test/barrier/{uuid.uuid4().hex[:10]}"
        self.client = paho.Client(CallbackAPIVersion.VERSION2,
                                  client_id=client_id or f"watch-{uuid.uuid4().hex[:8]}",
                                  protocol=paho.MQTTv5)
        if username:
            self.client.username_pw_set(username, password)
        subscribed = threading.Event()
        self._topics = [(t, 1) for t in topics]

        def on_connect(c, u, f, rc, p):
            nodelay(c)
            c.subscribe(self._topics + [(self._barrier_topic, 1)])

        def on_subscribe(c, u, mid, rcs, p):
            subscribed.set()

        def on_message(c, u, m):
            with self.cond:
                self.messages.append((m.topic, m.payload, m.retain))
                self.cond.notify_all()

        self.client.on_connect = on_connect
        self.client.on_subscribe = on_subscribe
        self.client.on_message = on_message
        self.client.connect("127.0.0.1", port, keepalive=10)
        self.client.loop_start()
        assert subscribed.wait(5), "watcher could not connect and subscribe"

    def publish(self, topic: str, payload, qos: int = 1, retain: bool = False, properties=None):
        if isinstance(payload, (dict, list)):
            payload = json.dumps(payload)
        info = self.client.publish(topic, payload, qos=qos, retain=retain, properties=properties)
        info.wait_for_publish(timeout=5)
        return info

    def mark(self) -> int:
        """A place in the record: pass it to ``wait_for(since=...)`` to see only what came after."""
        with self.cond:
            return len(self.messages)

    def wait_for(self, predicate, timeout: float = 5.0, what: str = "message", since: int = 0):
        """The first recorded (topic, json-or-bytes) after ``since`` for which
        ``predicate(topic, body)`` is true."""
        timeout *= TIMEOUT_SCALE
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for topic, payload, _ in self.messages[since:]:
                    body = decode(payload)
                    if predicate(topic, body):
                        return topic, body
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out waiting for {what}")
                self.cond.wait(left)

    def barrier(self, timeout: float = 5.0) -> None:
        """Publish a marker to ourselves and wait for it: every message the broker was holding
        for this client before now has then been recorded (the broker keeps one client's
        messages in order). To prove a *service* sent nothing, send it a request and wait for
        its answer instead: that is the service's own barrier."""
        # Not JSON, so wait_for hands it back as bytes (a bare hex token could even parse as
        # a number): compare bytes.
        token = f"barrier-{uuid.uuid4().hex}".encode()
        start = self.mark()
        self.publish(self._barrier_topic, token)
        self.wait_for(lambda t, b: t == self._barrier_topic and b == token, timeout,
                      what="the barrier", since=start)

    def bodies(self, topic_suffix: str, since: int = 0) -> list:
        with self.cond:
            return [decode(p) for t, p, _ in self.messages[since:] if t.endswith(topic_suffix)]

    def close(self):
        self.client.loop_stop()
        self.client.disconnect()
