"""Test helpers of the panel and kiosk tests: a stand-in queue service speaking the contract
over a real broker, a clock moved by hand, and a recording feedback. Waiting and listening are
the shared ``support.waiting.wait_for`` and ``support.mqtt.Watcher``."""

from __future__ import annotations

import json
import threading
import time

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion


class FakeQueue:
    """The contract's side of a counter and a kiosk, enough to acknowledge presses and takes:
    idempotent on ids, retained counter state echoing ``request``, ``call`` and ``ticket``
    events, ``expect`` checked (``stale``)."""

    def __init__(self, port: int, site: str = "test", *, answer: bool = True):
        self.base = f"antrian/{site}"
        self.answer = answer
        self.seen: dict[str, object] = {}
        self.calls: list[str] = []
        self.number = 0
        self.ticket: str | None = None
        self.open = True
        self.seq = 0
        self.issued = 0
        self.client = paho.Client(CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
        subscribed = threading.Event()
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe(
            [(f"{self.base}/counter/+/press", 1), (f"{self.base}/kiosk/+/take", 1)])
        self.client.on_subscribe = lambda c, u, mid, rcs, p: subscribed.set()
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        assert subscribed.wait(5), "the fake queue could not subscribe"   # SUBACK, no sleep

    def _state(self, counter, request):
        self.seq += 1
        return {"counter": counter, "name": f"Loket {counter}", "open": self.open,
                "ticket": self.ticket, "service": "ktp" if self.ticket else None, "since": None,
                "request": request, "services": ["ktp"], "day": "2026-11-28", "seq": self.seq,
                "ts": time.time()}

    def _on_message(self, client, userdata, msg):
        body = json.loads(msg.payload)
        parts = msg.topic.split("/")
        if not self.answer:
            return
        if parts[2] == "counter":
            self._press(parts[3], body)
        else:
            self._take(parts[3], body)

    def _press(self, counter, body):
        rid = body["id"]
        if rid in self.seen:
            return   # idempotent: the retained state already tells the outcome
        if "expect" in body and body["expect"] != self.ticket:
            self.seen[rid] = "stale"
            self.client.publish(f"{self.base}/error/counter-{counter}", json.dumps(
                {"ok": False, "error": f"counter holds {self.ticket}", "id": rid,
                 "code": "stale"}), qos=1)
            return
        action = body["action"]
        if action in ("next", "skip"):
            self.number += 1
            self.ticket = f"A{self.number:03d}"
            self.open = True
            self.calls.append(self.ticket)
        elif action == "recall":
            self.calls.append(self.ticket)
        elif action == "close":
            self.open, self.ticket = False, None
        elif action == "open":
            self.open = True
        self.seen[rid] = self.ticket
        self.client.publish(f"{self.base}/counter/{counter}/state",
                            json.dumps(self._state(counter, rid)), qos=1, retain=True)

    def _take(self, kiosk, body):
        rid = body["id"]
        if rid not in self.seen:
            self.issued += 1
            self.seen[rid] = {"ticket": f"A{self.issued:03d}", "service": body["service"],
                              "kiosk": kiosk, "id": rid, "priority": False,
                              "ahead": self.issued - 1, "day": "2026-11-28",
                              "issued_at": time.time(), "est_wait_s": 300.0, "seq": self.issued,
                              "ts": time.time()}
        self.client.publish(f"{self.base}/ticket", json.dumps(self.seen[rid]), qos=1)

    def close(self):
        self.client.loop_stop()
        self.client.disconnect()


class Clock:
    """A wall clock the test moves by hand (``clock.t += 5``)."""

    def __init__(self, t: float = 1_764_300_000.0):
        self.t = t

    def __call__(self):
        return self.t


class Feedback:
    """Records what a panel or kiosk shows (LED/screen mode) and signals (beeps, flashes)."""

    def __init__(self):
        self.modes, self.signals = [], []

    def show(self, mode):
        self.modes.append(mode)

    def signal(self, kind, text=""):
        self.signals.append((kind, text))

    def last(self, kind):
        return [t for k, t in self.signals if k == kind][-1]
