"""Attacks on booking through the locked-down broker (generated accounts and ACL) and the real
`antrian serve`: only the web may book, a stolen kiosk cannot guess its way into tickets, and
thousands of junk booking requests (book, cancel, status, a kiosk's check-in) across a broker
restart change nothing while the service keeps answering."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta

import pytest

from antrian import config
from conftest import B, wait_ready
from maint_kit import ServeProcess, write_locked_site
from support.broker import Mosquitto, free_port
from test_queue_attacks import ask, kiosk_pi, rid
from ticketing.booking import booking_secret, nik_digest

pytestmark = [pytest.mark.broker, pytest.mark.slow]

BOOKING = """
[booking]
per_session = 3
days_ahead = 7
sessions = ["08:00-10:00", "10:00-12:00"]
"""


@pytest.fixture
def mall(tmp_path):
    site = write_locked_site(tmp_path, free_port(), extra=BOOKING)
    broker = Mosquitto(tmp_path, port=site.port, config=site.conf).start()
    watcher = site.client("ops", topics=[f"{B}/#"])
    queue = ServeProcess(site.site_file, tmp_path / "queue.db", site.port, watcher).start()
    wait_ready(watcher)
    secret = booking_secret(config.ticket_secret(config.load(site.site_file)))
    yield site, broker, queue, secret
    queue.stop()
    watcher.close()
    broker.stop()


def tomorrow(site_file) -> str:
    site = config.load(site_file)
    return (datetime.now(site.tz).date() + timedelta(days=1)).isoformat()


def booking(secret: bytes, day: str, nik: str = "3201234501900001") -> dict:
    return {"id": rid(), "service": "ktp", "day": day, "session": "08:00-10:00",
            "nik_hash": nik_digest(secret, nik), "nik_last4": nik[-4:]}


def web_book(site, body, op: str = "book") -> dict:
    web = site.client("web", topics=[f"{B}/reply/web/#"])
    try:
        web.publish(f"{B}/booking/{op}", body,
                    response_topic=f"{B}/reply/web/booking/{body['id']}"
                    if isinstance(body, dict) else f"{B}/reply/web/booking/x")
        _, answer = web.wait_for(lambda t, b: t.startswith(f"{B}/reply/web/"), timeout=10,
                                 what=f"the {op} answer")
        return answer
    finally:
        web.close()


def test_only_the_web_account_may_book_a_stolen_kiosk_or_board_cannot(mall):
    site, _, queue, secret = mall
    day = tomorrow(site.site_file)
    for name in ("kiosk-k1", "board-lobby", "counter-1"):
        thief = site.client(name, topics=[])
        try:
            thief.publish(f"{B}/booking/book", booking(secret, day, "3201234501900009"))
        finally:
            thief.close()
    mark = len(queue.watcher.messages)
    answer = web_book(site, booking(secret, day))          # the barrier: answered after those
    assert answer["ok"]
    slots = queue.watcher.wait_for(lambda t, b: t == f"{B}/booking/ktp/slots", what="slots",
                                   since=mark)[1]
    first = next(d for d in slots["days"] if d["day"] == day)
    assert [s["remaining"] for s in first["sessions"]] == [2, 3]     # only the web's booking


def test_a_stolen_kiosk_guessing_codes_is_slowed_and_gets_no_ticket(mall):
    site, _, queue, secret = mall
    kiosk = kiosk_pi(site, "k1")
    rng = random.Random(7)
    alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    try:
        answers = [ask(kiosk, f"{B}/kiosk/k1/checkin",
                       {"code": "".join(rng.choice(alphabet) for _ in range(8)), "id": rid()})[1]
                   for _ in range(60)]
    finally:
        kiosk.close()
    codes = {a.get("code") for a in answers}
    assert codes <= {"unknown", "rate_limited"} and "rate_limited" in codes
    assert not any("ticket" in a for a in answers)


def test_thousands_of_junk_booking_requests_across_a_broker_restart_change_nothing(mall):
    site, broker, queue, secret = mall
    day = tomorrow(site.site_file)
    rng = random.Random(3)
    junk = [b"", b"{", b"[" * 3000, b"\xff", json.dumps({"id": "x", "nik": "3201234501900001"}),
            json.dumps({**booking(secret, day), "nik": "3201234501900001"}),
            json.dumps({**booking(secret, day), "nik_hash": "zz"}),
            json.dumps({**booking(secret, day), "session": "\u202e08:00-10:00"}),
            json.dumps({**booking(secret, "2026-02-30"), "service": "ktp"}),
            json.dumps({"id": "c", "code": "A" * 64, "nik_last4": "12"})]
    # The fixture's watcher hears booking/# and so the junk (its JSON parser cannot read 3000
    # nested brackets): this one hears only what the test waits for.
    junk += [json.dumps({"id": "s", "code": "ZZZZ2222"}), json.dumps({"code": ["x"]}),
             json.dumps({"id": "s" * 5000, "code": "\u0000" * 8})]
    watch = site.client("ops", topics=[f"{B}/booking/+/slots", f"{B}/service/ktp/state"])
    web = site.client("web", topics=[])
    kiosk = site.client("kiosk-k1", topics=[])
    try:
        for i in range(3000):
            payload = rng.choice(junk) if i % 3 else bytes(rng.getrandbits(8)
                                                           for _ in range(rng.randint(0, 200)))
            if i % 4 == 3:
                kiosk.send(f"{B}/kiosk/k1/checkin", payload)
            else:
                web.send(f"{B}/booking/{('book', 'cancel', 'status')[i % 4]}", payload)
            if i == 1500:
                broker.restart()
                wait_ready(watch, since=len(watch.messages))
    finally:
        web.close()
        kiosk.close()
    mark = len(watch.messages)
    answer = web_book(site, booking(secret, day, "3201234501900002"))
    assert answer["ok"], answer
    slots = watch.wait_for(
        lambda t, b: t == f"{B}/booking/ktp/slots" and isinstance(b, dict)
        and any(s["remaining"] == 2 for d in b["days"] if d["day"] == day
                for s in d["sessions"]), timeout=10, what="one booking taken", since=mark)[1]
    assert slots["service"] == "ktp"
    watch.close()
    # the booking page's question and the kiosk's check-in are still answered
    status = web_book(site, {"id": rid(), "code": answer["data"]["code"]}, "status")
    assert status["ok"] and status["data"]["status"] == "booked", status
    kiosk = kiosk_pi(site, "k1")
    try:
        _, refused = ask(kiosk, f"{B}/kiosk/k1/checkin", {"code": "ZZZZ2222", "id": rid()},
                         what="the kiosk's check-in answered after the junk")
    finally:
        kiosk.close()
    assert refused.get("code") in ("unknown", "rate_limited"), refused
