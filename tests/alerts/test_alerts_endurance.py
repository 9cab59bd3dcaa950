"""The alerts' edge on the long-running web process: two thousand hostile requests from many
addresses, a restart of the web and of the broker in between, and the one real subscription is
still kept and told (common rules: long-running processes get thousands of inputs, across a
broker restart)."""

from __future__ import annotations

import json
import random
import sqlite3

import pytest

from support.webprocess import start_web
from web.push import Vapid

from alerts.mocks import MockPushService, Subscriber

pytestmark = [pytest.mark.broker, pytest.mark.slow]


def hostile(rng: random.Random, slip: dict, good_push: dict) -> bytes:
    pick = rng.randrange(9)
    body = {"ticket": slip["ticket"], "day": slip["day"], "key": slip["key"], "ahead": 1,
            "push": good_push}
    if pick == 0:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200)))
    if pick == 1:
        body["key"] = "".join(rng.choice("ABCdef0123_-") for _ in range(12))
    elif pick == 2:
        body["push"] = {**good_push, "endpoint": rng.choice([
            "https://10.0.0.1/x", "http://fcm.googleapis.com/x", "https://localhost/x",
            "file:///etc/passwd", "https://fcm.googleapis.com.evil/x", "x" * 2000])}
    elif pick == 3:
        body["ahead"] = rng.choice([-1, 10**9, 2.5, "2", None, True, []])
    elif pick == 4:
        body["phone"] = rng.choice(["0812", "+1 555 0100", "\u202e0812345678", "x" * 50, 8123])
    elif pick == 5:
        body["ticket"] = rng.choice(["Z999", "A" * 40, "", "../../etc", "A001\x00", 7])
    elif pick == 6:
        body["day"] = rng.choice(["2020-01-01", "9999-99-99", "", None])
    elif pick == 7:
        body["push"] = {**good_push, "keys": {"p256dh": "AAAA", "auth": "BBBB"}}
    else:
        return b"{" + b'"a": 1,' * 400 + b"}"
    return json.dumps(body).encode()


def test_two_thousand_hostile_requests_and_two_restarts_keep_the_one_real_subscription(
        broker, queue_service, site_file, tmp_path):
    rng = random.Random(15)
    (tmp_path / "vapid.pem").write_bytes(Vapid.generate().pem())
    with MockPushService() as push:
        with site_file.open("a") as f:
            f.write(f'\n[web]\ntrusted_proxies = ["127.0.0.1"]\n\n[notify]\n'
                    f'vapid_key = "vapid.pem"\ntest_push_origins = ["{push.base}"]\n')
        slips = [queue_service.take("ktp") for _ in range(4)]
        browser = Subscriber(push, "real")
        web = start_web(site_file, tmp_path)
        try:
            status, _, raw = web.post("/api/v1/alerts", {
                "ticket": "A004", "day": slips[3]["day"], "key": slips[3]["key"], "ahead": 1,
                "push": browser.json()})
            assert status == 201, raw
            statuses: dict[int, int] = {}
            for i in range(2000):
                if i == 1000:                   # the web restarts: the subscription is kept
                    web.stop()
                    web.start()
                if i == 1500:                   # and the broker: the web reconnects
                    broker.restart()
                address = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}"
                target = slips[rng.randrange(4)]
                status, _, _ = web.post("/api/v1/alerts", hostile(rng, target, browser.json()),
                                        headers={"X-Forwarded-For": address})
                statuses[status] = statuses.get(status, 0) + 1
            assert set(statuses) <= {400, 403, 404, 413, 429}, statuses
            db = sqlite3.connect(tmp_path / "alerts.db")
            assert db.execute("SELECT ticket FROM subscription").fetchall() == [("A004",)]
            db.close()
            web.wait(lambda d: d["connected"] and not d["stale"], what="web back after restart")
            queue_service.press("1", "next")
            queue_service.press("2", "next")    # A004: one ahead
            near = push.wait_for(lambda m: m["path"] == "/push/real", timeout=15,
                                 what="the near push after the restarts")
            assert near["payload"]["ticket"] == "A004" and near["payload"]["kind"] == "near"
            assert web.json("/healthz")["alerts_refused"] >= 1000    # counted since the restart
        finally:
            web.stop()
