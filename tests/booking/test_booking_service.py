"""Bookings through the queue service: requests from the web, check-ins from kiosks, the
retained places, and what is kept of a visitor."""

from __future__ import annotations

import sqlite3
from datetime import datetime

import pytest

from booking.booking_kit import NIK, PHONE, B, Building


@pytest.fixture
def building(tmp_path):
    return Building(tmp_path)


def test_a_booking_answers_with_its_code_and_window_and_the_places_go_down(building):
    assert building.remaining() == 2
    answer = building.book(phone=PHONE)
    assert answer["ok"] and len(answer["data"]["code"]) == 8
    data = answer["data"]
    assert (data["service"], data["day"], data["session"]) == ("ktp", "2026-12-01", "08:00-10:00")
    assert data["checkin_from"] < data["checkin_until"]
    assert building.remaining() == 1


def test_the_last_place_then_full_then_a_cancellation_frees_it(building):
    first = building.book(nik="3201234501900001")["data"]["code"]
    assert building.book(nik="3201234501900002")["ok"]
    full = building.book(nik="3201234501900003")
    assert full["code"] == "full" and full["message"]["id"] == "Kuota sesi ini sudah habis"
    assert building.remaining() == 0
    assert building.cancel(first, "0000")["code"] == "unknown"
    assert building.cancel(first, "0001")["ok"]
    assert building.remaining() == 1
    assert building.book(nik="3201234501900003")["ok"]


def test_online_places_and_walk_in_quota_are_apart(tmp_path):
    b = Building(tmp_path, quota=2)
    first = b.book()["data"]["code"]
    second = b.book(nik="3201234501900002")["data"]["code"]
    b.at(datetime(2026, 12, 1, 8, 0))
    assert b.checkin(first)["ticket"] == "A001"
    # the checked-in booking did not use a walk-in's place: two walk-ins still get tickets
    for i in range(2):
        b.send("kiosk/k1/take", {"service": "ktp", "id": f"w{i}"})
    b.send("kiosk/k1/take", {"service": "ktp", "id": "w3"})
    errors = [body for topic, body in b.conn.sent if topic == f"{B}/error/kiosk-k1"]
    assert len(errors) == 1 and errors[0]["message"]["reason"] == "quota"
    # and walk-ins who used up their quota did not take the online place
    assert b.checkin(second)["booking"] == second


def test_a_second_booking_of_the_same_nik_for_the_service_and_day_is_refused(building):
    assert building.book()["ok"]
    again = building.book(session="10:00-12:00")
    assert again["code"] == "duplicate" and "NIK" in again["message"]["id"]
    assert building.book(day="2026-12-02")["ok"]


def test_booking_a_sunday_or_a_past_day_is_refused_as_closed(building):
    assert building.book(day="2026-12-06")["code"] == "closed"        # Sunday: closed
    assert building.book(day="2026-11-29")["code"] == "closed"
    sunday = next(d for d in building.slots()["days"] if d["day"] == "2026-12-06")
    assert not sunday["open"] and sunday["sessions"] == []


def test_check_in_errors_on_the_kiosks_error_topic_then_a_ticket_with_the_booking(building):
    code = building.book()["data"]["code"]
    assert building.checkin("ZZZZZZZZ")["code"] == "unknown"
    assert building.checkin(code)["code"] == "too_early"
    building.at(datetime(2026, 12, 1, 7, 45))
    assert building.checkin(code, nik_last4="9999")["code"] == "unknown"
    ticket = building.checkin(f"ANTRIAN:BK:{code}")
    assert ticket["booking"] == code and ticket["kiosk"] == "k1" and ticket["key"]
    assert building.checkin(code)["code"] == "used"
    late = building.book(day="2026-12-01", session="10:00-12:00", nik="3201234501900009")
    building.at(datetime(2026, 12, 1, 10, 31))
    assert building.checkin(late["data"]["code"])["code"] == "expired"


def test_a_no_show_expires_by_itself_and_bookings_are_purged_with_their_nik_digest(building):
    code = building.book(phone=PHONE)["data"]["code"]
    building.at(datetime(2026, 12, 1, 8, 31))
    building.service.step([])
    assert building.service.state.bookings[code].status == "expired"
    assert building.service.state.bookings[code].phone is None
    building.at(datetime(2026, 12, 9, 8, 0))
    building.service.step([])
    assert code not in building.service.state.bookings
    rows = sqlite3.connect(building.db).execute(
        "SELECT data FROM events WHERE type = 'booked'").fetchall()
    assert rows and all("nik_hash" not in r[0] and PHONE not in r[0] for r in rows)


def test_a_cancelled_booking_leaves_no_phone_nor_nik_digest_in_the_log(building):
    kept = building.book(phone=PHONE)["data"]["code"]
    gone = building.book(nik="3201234501900002", phone="081299998888")["data"]["code"]
    assert building.cancel(gone, "0002")["ok"]
    rows = dict(sqlite3.connect(building.db).execute(
        "SELECT json_extract(data, '$.code'), data FROM events WHERE type = 'booked'"))
    assert "081299998888" not in rows[gone] and "nik_hash" not in rows[gone] \
        and "nik_last4" not in rows[gone]
    # the other visitor's booking keeps what its check-in and its limits need
    assert '"nik_hash"' in rows[kept] and PHONE in rows[kept]
    assert building.status(gone)["data"]["status"] == "cancelled"


def test_no_file_or_message_of_a_booking_day_holds_the_nik_nor_an_ended_bookings_phone(building):
    code = building.book(phone=PHONE)["data"]["code"]
    building.book(nik="3201234501900002", phone="081299998888")
    building.at(datetime(2026, 12, 1, 8, 0))
    building.checkin(code)
    building.service.store.close(building.service.state)
    blob = building.db.read_bytes()
    wal = building.db.with_name("q.db-wal")
    blob += wal.read_bytes() if wal.exists() else b""
    messages = repr(building.conn.sent + building.conn.replied)
    assert NIK.encode() not in blob and NIK not in messages
    assert PHONE.encode() not in blob     # checked in: the phone is gone from log and snapshot


def test_a_repeated_booking_request_gets_its_first_code_and_takes_one_place(building):
    body = {"id": "same", "service": "ktp", "day": "2026-12-01", "session": "08:00-10:00",
            **__import__("booking.booking_kit", fromlist=["nik_fields"]).nik_fields()}
    building.send("booking/book", body, response=f"{B}/reply/web/1")
    building.send("booking/book", body, response=f"{B}/reply/web/2")
    first, second = building.conn.replied[-2][1], building.conn.replied[-1][1]
    assert first["data"]["code"] == second["data"]["code"] and building.remaining() == 1


@pytest.mark.parametrize("body", [
    b"\xff", b"{}", b'{"id": "x", "service": "ktp", "day": "2026-12-01", "session": "08:00-10:00",'
    b' "nik": "3201234501900001", "nik_hash": "0", "nik_last4": "0001"}',
    b'{"id": "x", "service": "KTP!", "day": "2026-13-45", "session": "8-10",'
    b' "nik_hash": "00000000000000000000000000000000", "nik_last4": "0001"}'])
def test_junk_booking_requests_are_refused_and_change_nothing(building, body):
    before = building.service.state.seq
    building.send("booking/book", body, response=f"{B}/reply/web/j")
    assert building.conn.replied[-1][1]["ok"] is False
    assert building.service.state.seq == before
