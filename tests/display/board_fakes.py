"""Contract-shaped messages and a publisher for the display tests (no queue service needed)."""

from __future__ import annotations

import time

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from mqtt.schemas import Call, CounterState, ServiceState, Serving, encode
from mqtt.topics import Topics

DAY = "2026-11-28"

BOARDS = """
[voice]
volume = 100

[[board]]
id = "lobby"
running_text = "Selamat datang di MPP Uji"

[[board]]
id = "capil"
agencies = ["Disdukcapil"]
layout = "portrait"
title = "Disdukcapil"

[[board]]
id = "en"
language = "en"
services = ["skck"]
flash_seconds = 1
"""


def service_state(sid: str, *, name: str = "Layanan", agency: str = "Disdukcapil",
                  prefix: str = "A", waiting: int = 0, missed=(), serving=(), seq: int = 1,
                  day: str = DAY, ts: float | None = None) -> ServiceState:
    return ServiceState(
        service=sid, name=name, agency=agency, prefix=prefix, day=day, waiting=waiting,
        waiting_tickets=[f"{prefix}{100 + i:03d}" for i in range(waiting)], priority_waiting=0,
        last_issued=None, issued=waiting, serving=[Serving(t, c, time.time()) for t, c in serving],
        missed=list(missed), counters_open=[], done=0, est_wait_s=None, avg_service_s=300.0,
        seq=seq, ts=ts or time.time())


def counter_state(cid: str, ticket: str | None, *, service: str | None = "ktp", open: bool = True,
                  seq: int = 1, since: float | None = None, name: str | None = None,
                  day: str = DAY) -> CounterState:
    return CounterState(counter=cid, name=name or f"Loket {cid}", open=open, ticket=ticket,
                        service=service if ticket else None,
                        since=(since or time.time()) if ticket else None, request=None,
                        services=[service or "ktp"], day=day, seq=seq, ts=time.time())


def call(ticket: str, counter: str, *, service: str = "ktp", seq: int = 2, kind: str = "call",
         ts: float | None = None) -> Call:
    return Call(ticket=ticket, service=service, counter=counter, counter_name=f"Loket {counter}",
                kind=kind, seq=seq, ts=time.time() if ts is None else ts)


class Publisher:
    """A plain paho client publishing contract messages to the test broker."""

    def __init__(self, port: int, site: str = "test"):
        self.topics = Topics(site)
        self.client = paho.Client(CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def send(self, topic: str, payload, *, retain: bool = False) -> None:
        data = payload if isinstance(payload, (bytes, str)) else encode(payload)
        self.client.publish(topic, data, qos=1, retain=retain).wait_for_publish(5)

    def service(self, state: ServiceState, retain: bool = True) -> None:
        self.send(self.topics.service_state(state.service), state, retain=retain)

    def counter(self, state: CounterState, retain: bool = True) -> None:
        self.send(self.topics.counter_state(state.counter), state, retain=retain)

    def call(self, c: Call) -> None:
        self.send(self.topics.call, c)

    def queue_presence(self, text: str) -> None:
        self.send(self.topics.lwt("queue"), text, retain=True)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def wait_for(condition, timeout: float = 10.0, interval: float = 0.02):
    """Poll ``condition()`` until it is truthy; returns its value or raises TimeoutError."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"condition not met in {timeout} s")
