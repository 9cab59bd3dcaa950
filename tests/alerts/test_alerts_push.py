"""Near-turn alerts end to end: the real queue service, broker and ``antrian web`` process,
a local push service that checks VAPID and decrypts like a browser's, and a local WhatsApp/SMS
gateway. A visitor holding the slip asks to be told when one is ahead; the server tells them
once near and once called, by push and by text, and forgets them when the ticket is done."""

from __future__ import annotations

import json
import sqlite3
import time

import pytest

from support.waiting import wait_for
from support.webprocess import start_web
from web.push import Vapid

from alerts.mocks import MockGateway, MockPushService, Subscriber

pytestmark = [pytest.mark.broker, pytest.mark.slow]

PHONE = "0812-3456-7890"
DIGITS = ("81234567890", "0812-3456-7890", "3456")


@pytest.fixture
def push():
    with MockPushService() as p:
        yield p


@pytest.fixture
def gateway():
    with MockGateway() as g:
        yield g


@pytest.fixture
def alerts_site(tmp_path, site_file, push, gateway):
    (tmp_path / "vapid.pem").write_bytes(Vapid.generate().pem())
    (tmp_path / "gateway.token").write_text(gateway.token + "\n")
    with site_file.open("a") as f:
        f.write(f"""
[notify]
vapid_key = "vapid.pem"
vapid_subject = "mailto:admin@mpp.example.go.id"
gateway_url = "{gateway.base}/send"
gateway_token_file = "gateway.token"
test_push_origins = ["{push.base}"]
per_minute = 60
""")
    return site_file


def rows(tmp_path) -> list[tuple]:
    db = sqlite3.connect(tmp_path / "alerts.db")
    try:
        return db.execute("SELECT ticket, near_sent, called_sent FROM subscription").fetchall()
    finally:
        db.close()


def subscribe(web, slip, **extra):
    body = {"ticket": slip["ticket"], "day": slip["day"], "key": slip["key"], "ahead": 1,
            "minutes": None, **extra}
    status, _, answer = web.post("/api/v1/alerts", body)
    return status, json.loads(answer)


def test_a_visitor_is_pushed_and_texted_once_near_once_called_and_forgotten_when_done(
        queue_service, alerts_site, tmp_path, push, gateway):
    slips = [queue_service.take("ktp") for _ in range(4)]
    web = start_web(alerts_site, tmp_path)
    try:
        config = web.json("/api/v1/alerts")
        assert config["push"] and config["phone"] and config["vapid_public"]
        browser = Subscriber(push, "a004")
        status, answer = subscribe(web, slips[3], push=browser.json(), phone=PHONE)
        assert status == 201 and answer["push"] and answer["phone"], answer
        assert rows(tmp_path) == [("A004", 0, 0)]

        queue_service.press("1", "next")             # A001 → Loket 1: A004 has 2 ahead
        queue_service.press("2", "next")             # A002 → Loket 2: 1 ahead, near
        near = push.wait_for(lambda m: m["payload"]["kind"] == "near", what="the near push")
        assert near["payload"]["ticket"] == "A004" and near["urgency"] == "high"
        assert near["payload"]["body"].startswith("Nomor A004: 1 orang lagi di depan Anda")
        assert near["payload"]["url"].startswith(f"/t/A004?d={slips[3]['day']}&k=")
        text = gateway.wait_for(lambda m: "A004" in m["text"], what="the near text")
        assert text["to"] == "6281234567890"
        assert "http://antrian.test/t/A004?d=" in text["text"]
        assert push.vapid_key == config["vapid_public"]

        queue_service.press("1", "next")             # A003 → Loket 1: A004 is next, told once
        queue_service.press("2", "next")             # A004 → Loket 2: called
        called = push.wait_for(lambda m: m["payload"]["kind"] == "called", what="called push")
        assert called["payload"]["body"] == "Nomor A004 dipanggil! Silakan menuju Loket 2."
        gateway.wait_for(lambda m: "dipanggil" in m["text"], what="the called text")
        assert [m["payload"]["kind"] for m in push.received] == ["near", "called"]
        assert push.rejected == []

        queue_service.press("2", "next")             # A004 served: the subscription goes
        wait_for(lambda: rows(tmp_path) == [], 10, "the subscription deleted when done")
        health = web.json("/healthz")
        assert health["push_sent"] == 2 and health["texts_sent"] == 2, health
    finally:
        web.stop()
    # the number is nowhere in clear: not in the web's log, nor its files
    for f in tmp_path.iterdir():
        if f.is_file() and f.suffix in (".log", ".db", ".db-wal", ".toml"):
            data = f.read_bytes()
            assert not any(d.encode() in data for d in DIGITS[:2]), f


def test_the_slip_is_needed_and_a_done_or_foreign_ticket_is_refused(
        queue_service, alerts_site, tmp_path, push):
    slips = [queue_service.take("ktp") for _ in range(2)]
    web = start_web(alerts_site, tmp_path)
    try:
        browser = Subscriber(push, "x")
        status, answer = subscribe(web, {**slips[1], "key": "A" * 12}, push=browser.json())
        assert status == 403 and answer["code"] == "wrong_key"
        assert "karcis" in answer["message"]["id"]
        status, answer = subscribe(web, {**slips[1], "day": "2020-01-01"}, push=browser.json())
        assert status in (403, 410)
        status, answer = subscribe(web, slips[1], push={**browser.json(),
                                                        "endpoint": "https://10.0.0.1/x"})
        assert status == 400 and answer["code"] == "bad_endpoint"
        status, answer = subscribe(web, slips[1], phone="+1 555 0100")
        assert status == 400 and answer["code"] == "bad_phone"
        status, _, raw = web.post("/api/v1/alerts", b"{" + b" " * 4000 + b"}")
        assert status == 413
        status, _, raw = web.post("/api/v1/alerts", {"ticket": "A001"},
                                  headers={"Origin": "https://evil.example"})
        assert status == 403 and json.loads(raw)["code"] == "cross_origin"
        queue_service.press("1", "next")
        queue_service.press("1", "next")             # A001 done, A002 called
        web.wait(lambda t: t["status"] == "done", "/api/v1/tickets/A001", what="A001 done")
        status, answer = subscribe(web, slips[0], push=browser.json())
        assert status == 409 and answer["code"] == "done"
        assert rows(tmp_path) == []
        # A002 (being called) is told once, however often its visitor asks again; a flood
        # from one address is refused after the burst
        statuses = [subscribe(web, slips[1], push=browser.json())[0] for _ in range(20)]
        assert 429 in statuses and rows(tmp_path) == [("A002", 1, 1)]
        # every answer came after its check (the request is its own barrier): told once
        health = web.json("/healthz")
        assert health["alerts_called_sent"] == 1 and health["alerts_near_sent"] == 0, health
        wait_for(lambda: len(push.received) == 1, 10, "the one push")
        assert push.received[0]["payload"]["kind"] == "called"
    finally:
        web.stop()


def test_a_gone_browser_is_forgotten_and_a_hanging_gateway_never_slows_the_page(
        queue_service, alerts_site, tmp_path, push, gateway):
    slips = [queue_service.take("ktp") for _ in range(3)]
    gateway.mode = "hang"
    web = start_web(alerts_site, tmp_path)
    try:
        gone = Subscriber(push, "gone", status=410)  # the visitor unsubscribed in the browser
        status, _ = subscribe(web, slips[2], push=gone.json(), phone=PHONE, ahead=5)
        assert status == 201
        # already near (2 ahead ≤ 5): told at once; the push service says 410, the gateway hangs
        wait_for(lambda: rows(tmp_path) == [("A003", 1, 0)], 10, "told at once")
        wait_for(lambda: web.json("/healthz")["push_gone"] == 1, 10, "the 410 seen")
        started = time.monotonic()
        for _ in range(50):
            assert web.get("/api/v1/services")[0] == 200
        assert time.monotonic() - started < 5, "the page waited for the gateway"
        assert web.json("/healthz")["texts_sent"] == 0
        # the browser's push is forgotten; the phone's part stays (its text may still go)
        db = sqlite3.connect(tmp_path / "alerts.db")
        assert db.execute("SELECT endpoint IS NULL, phone IS NOT NULL FROM subscription"
                          ).fetchall() == [(1, 1)]
        db.close()
    finally:
        web.stop()
