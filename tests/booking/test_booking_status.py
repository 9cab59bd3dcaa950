"""What became of a booking (``booking/status``), asked by the web for the booking page: booked,
checked in with its ticket, cancelled, expired; a code that is not a booking, or no longer one,
answered alike; nothing personal in any answer."""

from __future__ import annotations

from datetime import datetime

import pytest

from booking.booking_kit import B, NIK, PHONE, Building

PUBLIC = {"code", "service", "day", "session", "status", "start", "checkin_from",
          "checkin_until"}


@pytest.fixture
def building(tmp_path):
    return Building(tmp_path)


def _unknown(answer: dict) -> dict:
    return {k: v for k, v in answer.items() if k != "id"}


def test_a_booking_reads_booked_with_its_window_and_nothing_personal(building):
    booked = building.book(phone=PHONE)["data"]
    answer = building.status(booked["code"])
    assert answer["ok"]
    data = answer["data"]
    assert set(data) == PUBLIC
    assert data["status"] == "booked"
    assert {k: data[k] for k in ("code", "service", "day", "session", "checkin_from",
                                 "checkin_until")} == \
        {k: booked[k] for k in ("code", "service", "day", "session", "checkin_from",
                                "checkin_until")}
    text = str(answer)
    assert NIK[-4:] not in text and PHONE not in text and "nik" not in text


def test_a_checked_in_booking_names_its_ticket(building):
    code = building.book()["data"]["code"]
    building.at(datetime(2026, 12, 1, 8, 0))
    ticket = building.checkin(code)["ticket"]
    data = building.status(code.lower())["data"]          # typed loosely, like at the kiosk
    assert data["status"] == "checked_in" and data["ticket"] == ticket == "A001"
    assert set(data) == PUBLIC | {"ticket"}


def test_a_booking_past_its_window_reads_expired_even_before_the_tick(building):
    code = building.book()["data"]["code"]
    building.at(datetime(2026, 12, 1, 8, 31))            # check-in closed at 08:30
    assert building.status(code)["data"]["status"] == "expired"


def test_a_cancelled_booking_reads_cancelled_across_a_restart_until_it_would_be_purged(tmp_path):
    building = Building(tmp_path)
    code = building.book()["data"]["code"]
    assert building.cancel(code, NIK[-4:])["ok"]
    assert building.status(code)["data"]["status"] == "cancelled"
    again = Building(tmp_path)                            # the same log, a new service
    data = again.status(code)["data"]
    assert data["status"] == "cancelled" and data["checkin_from"] is not None
    again.at(datetime(2026, 12, 9, 9, 0))                 # keep_days (7) after its day
    never = again.status("ZZZZZZZZ")
    assert _unknown(again.status(code)) == _unknown(never)


def test_unknown_malformed_and_purged_codes_get_one_quiet_answer(building):
    code = building.book()["data"]["code"]
    sent = len(building.conn.sent)
    never, malformed = building.status("ZZZZZZZZ"), building.status("not a code!")
    assert never["code"] == "unknown" and not never["ok"]
    assert never["message"] == {"id": "Pemesanan tidak ditemukan", "en": "no such booking"}
    assert _unknown(malformed) == _unknown(never)
    # a wrong guess is no error for the building to hear: nothing published, only the reply
    assert building.conn.sent[sent:] == []
    building.at(datetime(2026, 12, 9, 9, 0))              # past keep_days: purged by the tick
    building.service.step([])
    assert code not in building.service.state.bookings
    assert _unknown(building.status(code)) == _unknown(never)


def test_a_status_request_with_unknown_fields_is_refused(building):
    building.send("booking/status", {"id": "x1", "code": "ZZZZZZZZ", "nik": NIK},
                  response=f"{B}/reply/web/x1")
    topic, body = building.conn.replied[-1]
    assert topic == f"{B}/reply/web/x1" and body["code"] == "bad_request"


def test_a_thousand_hostile_status_questions_store_nothing_and_publish_nothing(building):
    import os
    import sqlite3

    code = building.book()["data"]["code"]
    seq = building.service.state.seq
    sent = len(building.conn.sent)
    junk = [{"id": f"j{i}", "code": os.urandom(6).hex()[:8].upper()} for i in range(900)]
    junk += [{"id": "j-big", "code": "A" * 65}, {"id": "j-type", "code": 12345678},
             {"id": "", "code": code}, {"code": code}, b"\xff\xfe", b"[]", b"{" * 2000]
    for body in junk:
        building.send("booking/status", body, response=f"{B}/reply/web/junk")
    answers = [body for topic, body in building.conn.replied if topic == f"{B}/reply/web/junk"]
    assert answers and all(not a["ok"] for a in answers)
    assert {a["code"] for a in answers} <= {"unknown", "bad_request"}
    assert building.service.state.seq == seq
    # the 900 misses published nothing; only the 7 malformed ones were refused on error/web
    published = building.conn.sent[sent:]
    assert {t for t, _ in published} <= {f"{B}/error/web"} and len(published) <= 7
    db = sqlite3.connect(building.db)
    assert db.execute("SELECT max(seq) FROM events").fetchone()[0] == seq
    # and the real booking still reads as it was
    assert building.status(code)["data"]["status"] == "booked"
