"""Booking end to end with real parts: Mosquitto, `antrian serve`, `antrian web`. A visitor
books over HTTP, checks in at a kiosk over MQTT, and is called; no file, log or MQTT message of
the run holds the NIK."""

from __future__ import annotations

import json
import uuid
from datetime import datetime

import pytest

from booking.booking_kit import Mall

NIK = "3275014107850007"        # Bekasi, a woman born 1 July 1985
PHONE = "081377778888"


def delete(web, path: str, body: dict) -> tuple[int, dict]:
    import urllib.error
    import urllib.request
    request = urllib.request.Request(web.base + path, data=json.dumps(body).encode(),
                                     method="DELETE",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


@pytest.fixture
def mall(tmp_path):
    with Mall(tmp_path, web=True) as m:
        yield m.queue, m.web, m.session, tmp_path


def test_book_check_in_at_a_kiosk_and_be_called_without_the_nik_anywhere(mall):
    queue, web, session, tmp_path = mall
    day = queue.site.tz and datetime.now(queue.site.tz).date().isoformat()
    slots = web.wait(lambda b: b["days"] and b["days"][0]["sessions"],
                     "/api/v1/services/ktp/slots?day=" + day, what="the places of ktp")
    assert slots["days"][0]["sessions"][0]["remaining"] == 2
    assert web.get("/api/v1/services/skck/slots")[0] == 404     # Polres: no booking

    status, _, body = web.post("/api/v1/bookings", {"service": "ktp", "day": day,
                                                     "session": session, "nik": NIK,
                                                     "phone": PHONE})
    assert status == 201, body
    booking = json.loads(body)
    assert set(booking) == {"code", "service", "day", "session", "checkin_from", "checkin_until"}
    again = web.post("/api/v1/bookings", {"service": "ktp", "day": day, "session": session,
                                          "nik": NIK})
    assert again[0] == 409 and json.loads(again[2])["code"] == "duplicate"
    bad = web.post("/api/v1/bookings", {"service": "ktp", "day": day, "session": session,
                                        "nik": "9975014107850007"})
    assert bad[0] == 400 and json.loads(bad[2])["message"]["id"].startswith("Kode provinsi")
    web.wait(lambda b: b["days"][0]["sessions"][0]["remaining"] == 1,
             "/api/v1/services/ktp/slots?day=" + day, what="one place left")

    other = json.loads(web.post("/api/v1/bookings", {"service": "ktp", "day": day,
                                                     "session": session,
                                                     "nik": "3275010101900011"})[2])
    assert delete(web, f"/api/v1/bookings/{other['code']}", {"nik_last4": "9999"})[0] == 404
    full = web.post("/api/v1/bookings", {"service": "ktp", "day": day, "session": session,
                                         "nik": "3275010101900029"})
    assert full[0] == 409 and json.loads(full[2])["code"] == "full"
    status, body = delete(web, f"/api/v1/bookings/{other['code']}", {"nik_last4": "0011"})
    assert status == 200 and body["cancelled"]
    web.wait(lambda b: b["days"][0]["sessions"][0]["remaining"] == 1,
             "/api/v1/services/ktp/slots?day=" + day, what="the place freed")
    assert web.get(f"/api/v1/bookings/{booking['code']}/qr.svg")[2].startswith(b"<?xml")

    rid = f"ci-{uuid.uuid4().hex[:8]}"
    queue.watcher.publish(f"{queue.base}/kiosk/k1/checkin", {"code": booking["code"], "id": rid})
    _, ticket = queue.watcher.wait_for(
        lambda t, b: t == f"{queue.base}/ticket" and isinstance(b, dict) and b.get("id") == rid,
        what="the check-in's ticket")
    assert ticket["booking"] == booking["code"] and ticket["ticket"] == "A001"
    called = queue.press("1", "next")
    assert called["ticket"] == "A001"

    queue.stop()
    web.stop()
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.suffix == ".db" for p in files)
    for path in files:
        assert NIK.encode() not in path.read_bytes(), path
    for topic, payload, _ in queue.watcher.messages:
        assert NIK.encode() not in payload, topic
    queue_db = (tmp_path / "queue.db").read_bytes()
    wal = tmp_path / "queue.db-wal"
    assert PHONE.encode() not in queue_db + (wal.read_bytes() if wal.exists() else b"")
