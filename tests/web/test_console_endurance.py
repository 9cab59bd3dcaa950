"""The staff path of the long-running web process: thousands of staff requests, good and
hostile, across a broker restart (common rules: "long-running processes get a test that sends
thousands of inputs, across a broker restart, and checks they still answer"). Real Mosquitto,
queue service and web process; one officer's session over keep-alive HTTP."""

from __future__ import annotations

import http.client
import json
import random

import pytest

from support.queue import QueueProcess
from support.site import write_site
from support.waiting import wait_for
from support.webprocess import start_web
from web import accounts as acc

pytestmark = pytest.mark.broker
PASSWORD = "rahasia-loket-3"
EXTRA = ('\n[web]\nmanagers = "managers.toml"\n\n[queue]\nrecall_cooldown_s = 0\n'
         'rate_per_s = 10000\nburst = 10000\n')
HOSTILE = [b'{"action": "next", "id": "w-\\u0000bad-id", "expect": null}',
           b'{"action": "close", "id": "w-hostile-01", "expect": null, "until": 1e300}',
           b'{"action": "close", "id": "w-hostile-02", "expect": "Z999", "reason": "\\u202e\\u0000"}',
           b'{"action": "call", "id": "w-hostile-03", "expect": null, "ticket": "../../etc"}',
           b'{"action": "transfer", "id": "w-hostile-04", "expect": null, "to": {"$ne": 1}}',
           b'not json at all', b'[]', b'{"action": null}', b'\xff\xfe', b'{' * 3000]


def press(conn, cookie: str, body: bytes) -> tuple[int, dict]:
    conn.request("POST", "/api/v1/counters/3/press", body=body,
                 headers={"Content-Type": "application/json", "Cookie": cookie})
    r = conn.getresponse()
    data = r.read()
    try:
        return r.status, json.loads(data)
    except ValueError:
        return r.status, {}


def test_thousands_of_staff_requests_across_a_broker_restart_leave_the_console_answering(
        tmp_path, broker):
    site = write_site(tmp_path / "site.toml", broker.port, EXTRA)
    acc.write(tmp_path / "managers.toml", None, {"sari": acc.Account(
        "sari", "officer", acc.hash_password(PASSWORD), counters=("3",))})
    queue = QueueProcess(site, tmp_path / "queue.db", broker).start()
    web = start_web(site, tmp_path)
    try:
        for _ in range(40):
            queue.take("skck", kiosk="k2")
        status, headers, _ = web.post("/manage/login", {"user": "sari", "password": PASSWORD})
        cookie = headers["Set-Cookie"].split(";", 1)[0]
        conn = http.client.HTTPConnection("127.0.0.1", web.port, timeout=10)
        rng = random.Random(14)
        bodies = [json.dumps({"action": rng.choice(["recall", "open", "next"]),
                              "id": f"w-endure-{i:05d}", "expect": "Z999"}).encode()
                  if i % 3 == 0 else rng.choice(HOSTILE) for i in range(2400)]
        # hostile-02 passes the edge (its reason cleans to ""), and the queue finds it stale
        stale = sum(1 for b in bodies if b"Z999" in b)
        statuses: dict[int, int] = {}
        for i, body in enumerate(bodies):
            if i == 1200:
                back = queue.watcher.mark()
                broker.restart()
                queue.wait_online(20, since=back)
                web.wait(lambda d: d["connected"], what="the web back on the broker")
            status, answer = press(conn, cookie, body)
            statuses[status] = statuses.get(status, 0) + 1
            assert status in (400, 404, 409, 429, 503, 504), (i, status, answer)
        # every hostile body refused at the edge (400/404); every stale press refused by the
        # queue (409), or, around the restart, not sent (503) or not acknowledged in time (504)
        assert statuses.get(400, 0) + statuses.get(404, 0) == 2400 - stale
        assert sum(statuses.get(s, 0) for s in (409, 503, 504)) == stale
        # and it still answers, and agrees with the queue
        status, answer = press(conn, cookie, json.dumps(
            {"action": "next", "id": "w-endure-last", "expect": None}).encode())
        assert status == 200, answer
        assert answer["state"]["ticket"] == "C001"
        wait_for(lambda: queue.counter_state("3").get("request") == "w-endure-last", 5,
                 what="the queue's state agrees")
        assert web.json("/healthz")["staff_acked"] >= 1
    finally:
        web.stop()
        queue.close()
