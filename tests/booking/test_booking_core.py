"""The pure core of booking: quotas, duplicates, NIK checks, check-in windows, place in line."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from ticketing import Take, decide
from ticketing.booking import (BadNik, Book, BookingClosed, CancelBooking, CheckIn, Duplicate,
                               Expired, ExpireBookings, Full, TooEarly, UnknownBooking, Used,
                               check_nik, clean_code, new_code, parse_rules, window)
from ticketing.model import QueueState

JKT = ZoneInfo("Asia/Jakarta")
RULES = parse_rules({"sessions": ["08:00-10:00", "10:00-12:00"], "per_session": 2}, "booking")
DAY = "2026-12-01"
NIK = "3201234501900001"


def at(h, m=0, day=DAY):
    return datetime.combine(date.fromisoformat(day), datetime.min.time().replace(hour=h, minute=m),
                            JKT).timestamp()


def state(day="2026-11-30"):
    return QueueState.new(day, [("ktp", "A", "", 3, 300.0)], [("1", "Loket 1", ("ktp",))])


def book(s, nik_hash="h1", session="08:00-10:00", code=None, now=None, day=DAY, last4="0001",
         rules=RULES, today="2026-11-30"):
    book.n = getattr(book, "n", 0) + 1
    sess = rules.session(session)
    w = window(rules, sess, date.fromisoformat(day), JKT) if sess else None
    cmd = Book("ktp", day, session, nik_hash, last4, code or new_code(bytes([book.n] * 8 + [1])),
               request=f"web:{book.n}", request_id=str(book.n), rules=rules, window=w,
               today=today)
    return decide(s, cmd, now if now is not None else at(9, day="2026-11-30"))


def test_the_last_place_is_taken_and_the_one_after_it_is_refused_full():
    s = state()
    assert book(s, "h1").ok and book(s, "h2").ok
    d = book(s, "h3")
    assert isinstance(d.error, Full) and d.error.status == 409
    assert book(s, "h3", session="10:00-12:00").ok      # another session has its own places


def test_a_cancellation_frees_the_place():
    s = state()
    first = book(s, "h1").outcome["code"]
    book(s, "h2")
    assert isinstance(book(s, "h3").error, Full)
    assert isinstance(decide(s, CancelBooking(first, "9999", "web:x"), 0).error, UnknownBooking)
    assert decide(s, CancelBooking(first, "0001", "web:c"), 0).ok
    assert book(s, "h3").ok


def test_a_second_active_booking_of_the_same_nik_service_and_day_is_refused():
    s = state()
    assert book(s, "same").ok
    d = book(s, "same", session="10:00-12:00")
    assert isinstance(d.error, Duplicate) and d.error.status == 409
    assert book(s, "same", day="2026-12-02").ok          # another day is fine


def test_booking_for_a_past_or_closing_session_is_gone_410():
    s = state()
    d = book(s, now=at(7, 30), today=DAY)                # closes 60 min before 08:00
    assert isinstance(d.error, BookingClosed) and d.error.status == 410
    assert isinstance(book(s, day="2026-11-29").error, BookingClosed)
    assert isinstance(book(s, day="2026-12-30").error, BookingClosed)   # beyond days_ahead


@pytest.mark.parametrize("nik, why", [
    ("320123450190000", "16"), ("99012345019000001"[:16], "provinsi"),
    ("3200234501900001", "kabupaten"), ("3201233201900001", "Tanggal"),
    ("3201237201900001", "Tanggal"), ("3201234501900000", "urut"), ("32012345019OOOO1", "16")])
def test_implausible_niks_are_refused_with_a_reason_in_indonesian(nik, why):
    with pytest.raises(BadNik) as e:
        check_nik(nik)
    assert why in e.value.text_id or why in str(e.value)


def test_a_womans_birth_day_plus_40_is_a_valid_nik():
    assert check_nik("3201234501900001") and check_nik("3201236501900001")   # 25 Jan, woman
    assert check_nik("3201 2345 0190 0001") == NIK


def test_codes_read_from_a_qr_or_typed_with_dashes_are_the_same():
    code = new_code(bytes(range(8)))
    assert clean_code(f"ANTRIAN:BK:{code}") == code == clean_code(code[:4] + "-" + code[4:].lower())
    assert clean_code("0O1I0O1I") is None and clean_code("x" * 100) is None


def checkin(s, code, now, last4=None):
    return decide(s, CheckIn(code, f"kiosk-k1:{now}", str(now), kiosk="k1", nik_last4=last4), now)


def test_check_in_windows_too_early_used_expired_unknown():
    s = state(DAY)
    code = book(s, today=DAY, now=at(6)).outcome["code"]
    assert isinstance(checkin(s, code, at(7)).error, TooEarly)
    assert isinstance(checkin(s, "ZZZZZZZZ", at(8)).error, UnknownBooking)
    assert isinstance(checkin(s, code, at(8), last4="1234").error, UnknownBooking)
    d = checkin(s, code, at(8), last4="0001")
    assert d.ok and d.outcome["booking"] == code
    assert isinstance(checkin(s, code, at(8, 1)).error, Used)
    late = book(s, "h2", today=DAY, now=at(6)).outcome["code"]
    assert isinstance(checkin(s, late, at(8, 31)).error, Expired)


def test_too_early_says_when_check_in_opens_that_day_or_on_a_later_one():
    s = state(DAY)
    code = book(s, today=DAY, now=at(6), session="10:00-12:00").outcome["code"]
    early = checkin(s, code, at(7)).error        # opens 30 min before 10:00
    assert early.text_id == "Belum waktunya lapor. Lapor mulai pukul 09.30"
    assert str(early) == "check-in has not opened yet: it opens at 09:30"
    tomorrow = book(s, "h2", day="2026-12-02", today=DAY, now=at(6)).outcome["code"]
    assert checkin(s, tomorrow, at(7)).error.text_id == (
        "Belum waktunya lapor. Lapor mulai Rabu, 2 Desember 2026 pukul 07.30")


def walk_in(s, now, priority=False):
    return decide(s, Take("ktp", request=f"kiosk-k1:w{now}", kiosk="k1", priority=priority), now)


def test_a_booked_visitor_goes_ahead_of_walk_ins_who_came_after_the_session_start_only():
    s = state(DAY)
    code = book(s, today=DAY, now=at(6)).outcome["code"]
    early = walk_in(s, at(7, 50)).outcome["ticket"]
    late = walk_in(s, at(8, 5)).outcome["ticket"]
    prio = walk_in(s, at(8, 10), priority=True).outcome["ticket"]
    d = checkin(s, code, at(8, 20))
    mine = d.outcome["ticket"]
    assert d.outcome["ahead"] == 2                        # the priority ticket and the early one
    assert [*s.lines["ktp"].priority, *s.lines["ktp"].regular] == [prio, early, mine, late]


def test_walk_in_quota_does_not_count_checked_in_bookings():
    s = state(DAY)
    code = book(s, today=DAY, now=at(6)).outcome["code"]
    checkin(s, code, at(8))
    assert s.lines["ktp"].last_number == 1 and s.lines["ktp"].booked == 1


def test_bookings_not_checked_in_expire_and_are_purged_after_keep_days():
    s = state(DAY)
    code = book(s, today=DAY, now=at(6), rules=parse_rules(
        {"sessions": ["08:00-10:00"], "per_session": 2, "keep_days": 1}, "b")).outcome["code"]
    assert decide(s, ExpireBookings(DAY), at(8, 29)).events == ()
    d = decide(s, ExpireBookings(DAY), at(8, 31))
    assert d.events[0].expired == (code,) and s.bookings[code].status == "expired"
    decide(s, ExpireBookings("2026-12-03"), at(8, 31, "2026-12-03"))
    assert code not in s.bookings


def test_three_no_shows_block_booking_for_a_while():
    rules = parse_rules({"sessions": ["08:00-10:00"], "per_session": 5, "no_show_limit": 2,
                         "block_days": 10}, "b")
    s = state("2026-11-20")
    for day in ("2026-11-21", "2026-11-22"):
        book(s, "nik", day=day, rules=rules, today="2026-11-20", now=at(6, day="2026-11-20"))
    decide(s, ExpireBookings("2026-11-23", {"ktp": "2026-12-30"}), at(9, day="2026-11-23"))
    d = book(s, "nik", rules=rules, today="2026-11-30")
    assert d.error is not None and d.error.code == "blocked"
    assert book(s, "other", rules=rules, today="2026-11-30").ok


def test_state_with_bookings_survives_a_snapshot_round_trip():
    s = state()
    book(s)
    again = QueueState.from_dict(s.to_dict())
    assert again.bookings == s.bookings


def test_every_booking_event_goes_through_its_stored_json_shape_unchanged():
    import json

    from ticketing.events import (Booked, BookingCancelled, BookingsExpired, CheckedIn,
                                  from_dict, to_dict)
    s = state(DAY)
    events = []
    for nik, session in (("a", "08:00-10:00"), ("b", "08:00-10:00"), ("c", "10:00-12:00")):
        events += book(s, nik, session=session, today=DAY, now=at(6)).events
    events += decide(s, CancelBooking(events[0].code, "0001", "web:c"), at(6)).events
    events += checkin(s, events[1].code, at(8)).events
    events += decide(s, ExpireBookings(DAY, {"ktp": "2027-01-01"}), at(11)).events
    assert {type(e) for e in events} >= {Booked, BookingCancelled, CheckedIn, BookingsExpired}
    for event in events:
        row = json.loads(json.dumps(to_dict(event)))
        assert from_dict(row) == event
