"""The web process is a long-running one: thousands of inputs, good and hostile, across a broker
restart, and it still answers and agrees with the queue (common rules; issue 12: "consumers
never die on data")."""

from __future__ import annotations

import json
import random

import pytest

from support.mqtt import Watcher
from support.webprocess import start_web

pytestmark = [pytest.mark.broker, pytest.mark.slow]

HOSTILE = [b"", b"\x00", b"not json", b"[]", b"{}", b"null", b'{"service": "ktp"}',
           json.dumps({"text": "\u202e\u0000" * 400}).encode(), b"{" * 5000,
           json.dumps({"service": "ktp", "seq": 1e308, "day": "9999-99-99"}).encode(),
           json.dumps({"ticket": "A001", "counter": None, "ts": float("inf")},
                      allow_nan=True).encode(), b"\xff\xfe" * 100]


def hostile_burst(client: Watcher, base: str, rng: random.Random, n: int) -> None:
    topics = [f"{base}/service/zz/state", f"{base}/counter/9/state", f"{base}/call",
              f"{base}/message", f"{base}/service/ktp/state", f"{base}/tele/queue/lwt"]
    for _ in range(n):
        topic = rng.choice(topics)
        payload = rng.choice(HOSTILE)
        if topic.endswith("/lwt"):
            payload = rng.choice([b"online", b"\x00", b"maybe"])
        if topic.endswith("ktp/state") and not payload:
            payload = b"{}"       # an empty retained state is the queue's own word: not forged
        client.client.publish(topic, payload, qos=0)


def queues_own_state(queue_service) -> dict:
    """The last state of ktp the queue itself published: this test's hostile publisher also
    writes forged bodies on the same topic, which the watcher records too."""
    return next(b for b in reversed(queue_service.watcher.bodies("/service/ktp/state"))
                if isinstance(b, dict) and isinstance(b.get("waiting_tickets"), list)
                and "issued" in b)


def agrees(web, queue_service) -> bool:
    mine = queues_own_state(queue_service)
    doc = web.json("/api/v1/services")
    ktp = next(s for s in doc["services"] if s["id"] == "ktp")
    return (ktp["waiting"] == len(mine["waiting_tickets"]) and ktp["issued"] == mine["issued"]
            and doc["connected"] and doc["online"])


def test_thousands_of_inputs_across_a_broker_restart_leave_the_page_answering(
        broker, queue_service, site_file, tmp_path):
    rng = random.Random(12)
    base = queue_service.base
    web = start_web(site_file, tmp_path)
    # hostile messages from a client of their own (it subscribes to nothing it would not need)
    attacker = Watcher(broker.port, topics=("attacker/none",))
    try:
        for phase in range(2):
            for i in range(100):                   # 2 × (100 takes + 2,000 hostile messages)
                queue_service.take("ktp")
                hostile_burst(attacker, base, rng, 20)
                if i % 25 == 24:
                    queue_service.press("1", "next")
            web.wait(lambda _: agrees(web, queue_service), timeout=15,
                     what=f"the page agreeing with the queue (phase {phase})")
            if phase == 0:
                start = queue_service.watcher.mark()
                broker.restart()
                queue_service.watcher.wait_for(
                    lambda t, b: t == f"{base}/tele/queue/lwt" and b == b"online", timeout=20,
                    what="the queue back online", since=start)
        health = web.json("/healthz")
        assert health["ok"] and health["synced"]
        last = queues_own_state(queue_service)["waiting_tickets"][-1]
        assert web.json(f"/api/v1/tickets/{last}")["status"] == "waiting"
        assert web.proc.poll() is None
    finally:
        attacker.close()
        web.stop()
