"""``GET /api/v1/bookings/<code>`` with real parts (Mosquitto, `antrian serve`, `antrian web`):
the booking page's question "what became of my booking?", answered by the queue service over
MQTT. Booked, then checked in with the ticket and the slip's key; cancelled; one 404 for
anything else; no personal data; never cached; rate limited per address."""

from __future__ import annotations

import json
import uuid

import pytest

from booking.booking_kit import Mall, dev_secret
from booking.test_booking_live import delete
from ticketing.keys import ticket_key

pytestmark = pytest.mark.broker

NIK, OTHER = "3275014107850007", "3275010101900011"
PHONE = "081377778888"


def status(web, code: str) -> tuple[int, dict, dict]:
    code_, headers, body = web.get(f"/api/v1/bookings/{code}")
    return code_, headers, json.loads(body)


def test_the_booking_page_learns_its_ticket_and_nothing_else(tmp_path):
    with Mall(tmp_path, web=True) as mall:
        web, queue = mall.web, mall.queue
        book = {"service": "ktp", "day": mall.today, "session": mall.session}
        mine = json.loads(web.post("/api/v1/bookings", {**book, "nik": NIK, "phone": PHONE})[2])
        other = json.loads(web.post("/api/v1/bookings", {**book, "nik": OTHER})[2])

        code, headers, body = status(web, mine["code"])
        assert code == 200 and headers["Cache-Control"] == "no-store"
        assert body == {**{k: mine[k] for k in ("code", "service", "day", "session",
                                                "checkin_from", "checkin_until")},
                        "status": "booked", "start": body["start"]}
        assert NIK[-4:] not in json.dumps(body) and PHONE not in json.dumps(body)
        # typed loosely, as on a slip read aloud: the same booking
        loose = mine["code"].lower()[:4] + "-" + mine["code"].lower()[4:]
        assert status(web, loose)[2]["code"] == mine["code"]

        assert delete(web, f"/api/v1/bookings/{other['code']}", {"nik_last4": OTHER[-4:]})[0] == 200
        assert status(web, other["code"])[2]["status"] == "cancelled"

        rid = f"ci-{uuid.uuid4().hex[:8]}"
        queue.watcher.publish(f"{queue.base}/kiosk/k1/checkin", {"code": mine["code"], "id": rid})
        _, ticket = queue.watcher.wait_for(
            lambda t, b: t == f"{queue.base}/ticket" and isinstance(b, dict) and b.get("id") == rid,
            what="the check-in's ticket")
        code, _, body = status(web, mine["code"])
        key = ticket_key(dev_secret("test"), "test", mall.today, ticket["ticket"])
        assert (body["status"], body["ticket"], body["key"]) == ("checked_in", ticket["ticket"], key)
        assert body["key"] == ticket["key"]            # what the slip's QR code carries
        assert body["ticket_url"] == f"/t/{ticket['ticket']}?d={mall.today}&k={key}"

        # never booked, not a code at all, or too long: one answer, the same words
        refusals = [status(web, c) for c in ("ZZZZZZZZ", "hello", "A" * 64)]
        assert {r[0] for r in refusals} == {404}
        assert len({json.dumps(r[2], sort_keys=True) for r in refusals}) == 1
        assert refusals[0][2]["message"]["id"].startswith("Pemesanan tidak ditemukan")
        assert refusals[0][1]["Cache-Control"] == "no-store"

        # no MQTT message carried the NIK's digits or the phone back to the web
        for topic, payload, _ in queue.watcher.messages:
            if "/reply/web/" in topic and b"status" in payload:
                assert PHONE.encode() not in payload and b"nik" not in payload, topic

        # 30 reads a minute per address (7 made above): then 429, said in both languages
        answers = [web.get("/api/v1/bookings/ZZZZZZZZ")[0] for _ in range(30)]
        assert answers[-1] == 429 and 404 in answers
        limited = json.loads(web.get(f"/api/v1/bookings/{mine['code']}")[2])
        assert limited["code"] == "rate_limited" and limited["message"]["en"]
