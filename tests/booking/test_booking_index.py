"""The booking index (ticketing/booking_index.py) against a recount, and the indexed rules
against the scanning rules they replaced (kept here as the oracle).

Any sequence of bookings, cancellations, check-ins, expiries and purges, with snapshot round
trips in between, leaves the fold's index equal to a from-scratch recount of the bookings; the
decisions of ``book`` and ``expire`` equal the old scans'; and the SQLite store's replay (with
the service's scrub of purged rows) rebuilds the same bookings and index.
"""

from __future__ import annotations

import json
import tempfile
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from mqtt.store import Store
from ticketing import Rollover, apply, decide
from ticketing import events as ev
from ticketing.booking import (BOOKED, EXPIRED, Blocked, Book, BookingClosed, CancelBooking,
                               CheckIn, Duplicate, ExpireBookings, Full, NotBookable, new_code,
                               parse_rules, window)
from ticketing.booking_index import BookingIndex
from ticketing.booking_rules import _plus, book, expire
from ticketing.errors import NotAllowed, QueueError
from ticketing.model import QueueState

JKT = ZoneInfo("Asia/Jakarta")
START = datetime(2026, 12, 1, 6, 0, tzinfo=JKT).timestamp()
SERVICES = ("ktp", "kk")
NIKS = ("n1", "n2", "n3", "n4", "n5", "n6")


# -- the oracle: the scanning rules as they were before the index -----------------------------

def scan_taken(bookings, service, day, session):
    return sum(1 for b in bookings.values()
               if b.service == service and b.day == day and b.session == session)


def scan_remaining(bookings, rules, service, day):
    held = {}
    for b in bookings.values():
        if b.service == service and b.day == day:
            held[b.session] = held.get(b.session, 0) + 1
    return [{"session": s.label, "capacity": rules.per_session,
             "remaining": max(0, rules.per_session - held.get(s.label, 0))}
            for s in rules.sessions]


def scan_no_shows(bookings, nik_hash, since):
    return sorted(b.day for b in bookings.values()
                  if b.nik_hash == nik_hash and b.status == EXPIRED and b.day >= since)


def scan_book(state, cmd, now):
    rules, w = cmd.rules, cmd.window
    if not rules.enabled or cmd.service not in state.lines or w is None:
        raise NotBookable("", "")
    if rules.session(cmd.session) is None:
        raise NotBookable("", "")
    if cmd.day < cmd.today or now >= w.closes_at:
        raise BookingClosed("", "")
    if cmd.day > _plus(cmd.today, rules.days_ahead):
        raise BookingClosed("", "")
    if not cmd.open_day:
        raise BookingClosed("", "")
    if rules.no_show_limit:
        days = scan_no_shows(state.bookings, cmd.nik_hash, _plus(cmd.today, -rules.no_show_days))
        if len(days) >= rules.no_show_limit and cmd.today <= _plus(days[-1], rules.block_days):
            raise Blocked("", "")
    for b in state.bookings.values():
        if (b.nik_hash == cmd.nik_hash and b.service == cmd.service and b.day == cmd.day
                and b.status == BOOKED):
            raise Duplicate("", "")
    if scan_taken(state.bookings, cmd.service, cmd.day, cmd.session) >= rules.per_session:
        raise Full("", "")
    if cmd.code in state.bookings:
        raise NotAllowed("")
    return [ev.Booked(code=cmd.code, service=cmd.service, for_day=cmd.day, session=cmd.session,
                      start=w.start, checkin_from=w.checkin_from, checkin_until=w.checkin_until,
                      nik_hash=cmd.nik_hash, nik_last4=cmd.nik_last4,
                      keep_until=_plus(cmd.day, rules.keep_days), phone=cmd.phone,
                      request=cmd.request, outcome={"code": cmd.code, "service": cmd.service,
                                                    "day": cmd.day, "session": cmd.session,
                                                    "checkin_from": w.checkin_from,
                                                    "checkin_until": w.checkin_until,
                                                    "id": cmd.request_id})]


def scan_expire(state, cmd, now):
    expired, purged, keep = [], [], {}
    for b in state.bookings.values():
        if b.keep_until < cmd.today:
            purged.append(b.code)
        elif b.status == BOOKED and now > b.checkin_until:
            expired.append(b.code)
            longer = cmd.no_show_keep.get(b.service)
            if longer and longer > b.keep_until:
                keep[b.code] = longer
    if not expired and not purged:
        return []
    return [ev.BookingsExpired(expired=tuple(expired), purged=tuple(purged),
                               keep_until=keep or None)]


def recount(bookings) -> dict:
    """The index, counted from scratch from the bookings (independently of BookingIndex)."""
    by_nik, held, checkin, keep = {}, {}, {}, {}
    for b in bookings.values():
        by_nik.setdefault(b.nik_hash, []).append(b.code)
        key = (b.service, b.day, b.session)
        held[key] = held.get(key, 0) + 1
        if b.status == BOOKED:
            checkin.setdefault(b.checkin_until, []).append(b.code)
        keep.setdefault(b.keep_until, []).append(b.code)
    return {"by_nik": {k: sorted(v) for k, v in by_nik.items()}, "held": held,
            "checkin_due": {k: sorted(v) for k, v in checkin.items()},
            "checkin_keys": sorted(checkin),
            "keep_due": {k: sorted(v) for k, v in keep.items()}, "keep_keys": sorted(keep),
            "order": list(bookings)}


# -- the property --------------------------------------------------------------------------

def outcome_of(fn, state, cmd, now):
    try:
        return ("events", fn(state, cmd, now))
    except QueueError as e:
        return ("refused", type(e).__name__)


def pick(s: QueueState, i: int) -> str:
    """Mostly a booking the state holds (so check-ins and cancellations happen), else any."""
    held = list(s.bookings)
    return held[i % len(held)] if held and i < 35 else new_code(bytes([i] * 8))


step = st.one_of(
    st.tuples(st.just("book"), st.sampled_from(NIKS), st.sampled_from(SERVICES),
              st.sampled_from([0, 1, 1, 2, 3]), st.integers(0, 1), st.integers(0, 40)),
    st.tuples(st.just("cancel"), st.integers(0, 40), st.booleans()),
    st.tuples(st.just("checkin"), st.integers(0, 40)),
    st.tuples(st.just("expire"), st.sampled_from([False, False, True])),
    st.tuples(st.just("snapshot")),
    st.tuples(st.just("clock"), st.sampled_from(["07:45", "08:20", "09:45", "10:40", "16:00"])),
)
# mostly a few minutes between steps (a busy session), now and then most of a day (purges)
minutes = st.one_of(st.integers(0, 20), st.integers(0, 20), st.integers(60, 1440))
rules_of = st.builds(
    lambda per, keep, limit, block: parse_rules(
        {"sessions": ["08:00-10:00", "10:00-12:00"], "per_session": per, "days_ahead": 3,
         "keep_days": keep, "no_show_limit": limit, "no_show_days": 5, "block_days": block},
        "b"),
    st.integers(1, 2), st.integers(1, 2), st.integers(0, 2), st.integers(2, 6))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rules=rules_of, steps=st.lists(st.tuples(minutes, step), min_size=5, max_size=80))
def test_the_index_equals_a_recount_and_decisions_equal_the_old_scans(rules, steps):
    s = QueueState.new("2026-12-01", [(sid, sid[0].upper(), "", 3, 300.0) for sid in SERVICES],
                       [("1", "Loket 1", SERVICES)])
    now, log, n = START, [], 0
    for minutes, op in steps:
        now += minutes * 60
        if op[0] == "clock":         # on to the next hh:mm (a session's check-in window)
            local = datetime.fromtimestamp(now, JKT)
            at = datetime.combine(local.date(), time.fromisoformat(op[1]), JKT)
            now = (at if at.timestamp() > now else at + timedelta(days=1)).timestamp()
        today = datetime.fromtimestamp(now, JKT).date()
        n += 1
        if today.isoformat() > s.day:
            log += decide(s, Rollover(today.isoformat()), now).events
        kind = op[0]
        if kind == "book":
            _, nik, service, ahead, sess, code = op
            day = today + timedelta(days=ahead)
            session = rules.sessions[sess]
            cmd = Book(service, day.isoformat(), session.label, nik, nik[-1] * 4,
                       new_code(bytes([code] * 8)), request=f"web:{n}", request_id=str(n),
                       rules=rules, window=window(rules, session, day, JKT),
                       today=today.isoformat())
            decided = outcome_of(book, s, cmd, now)
            assert decided == outcome_of(scan_book, s, cmd, now)
            event(f"book: {decided[1] if decided[0] == 'refused' else 'booked'}")
        elif kind == "cancel":
            code, right = pick(s, op[1]), op[2]
            b = s.bookings.get(code)
            last4 = b.nik_last4 if b is not None and right else "0000"
            cmd = CancelBooking(code, last4, f"web:{n}")
        elif kind == "checkin":
            cmd = CheckIn(pick(s, op[1]), f"kiosk-k1:{n}")
        elif kind == "expire":
            keep = {"ktp": (today + timedelta(days=3)).isoformat()} if op[1] else {}
            cmd = ExpireBookings(today.isoformat(), keep)
            decided = outcome_of(expire, s, cmd, now)
            assert decided == outcome_of(scan_expire, s, cmd, now)
            for e in decided[1]:
                event(f"expire: {'expired' if e.expired else ''} {'purged' if e.purged else ''}")
        elif kind == "snapshot":
            s = QueueState.from_dict(json.loads(json.dumps(s.to_dict())))
            cmd = None
        else:
            cmd = None
        if cmd is not None:
            d = decide(s, cmd, now)
            log += d.events
            if kind == "checkin":
                event(f"checkin: {d.error.code if d.error else 'ticket'}")
        assert s.booking_index.as_recount() == recount(s.bookings)
        for service in SERVICES:
            for ahead in range(4):
                day = (today + timedelta(days=ahead)).isoformat()
                assert (s.booking_index.remaining(rules, service, day)
                        == scan_remaining(s.bookings, rules, service, day))
    assert_replay_rebuilds(s, log)


def assert_replay_rebuilds(live: QueueState, log: list[ev.Event]) -> None:
    """The store's replay (snapshot half way, the service's scrub of purged rows) rebuilds
    the same bookings and the same index."""
    fresh = lambda: QueueState.new("2026-12-01", [(sid, sid[0].upper(), "", 3, 300.0)  # noqa: E731
                                                  for sid in SERVICES],
                                   [("1", "Loket 1", SERVICES)])
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "q.db", synchronous="OFF")
        half, mid = len(log) // 2, fresh()
        for e in log[:half]:
            apply(mid, e)
        store.append(log[:half])
        store.snapshot(mid)
        store.append(log[half:])
        store.commit()
        purged = [(c, e.seq) for e in log if isinstance(e, ev.BookingsExpired)
                  for c in e.purged]
        for code, seq in purged:    # as mqtt/queue_bookings.py scrubs the log (codes recur
            # here, drawn from 41: only rows before the purge are the purged booking's)
            store.db.execute("UPDATE events SET data = json_remove(data, '$.phone', "
                             "'$.nik_hash', '$.nik_last4') WHERE type = 'booked' "
                             "AND json_extract(data, '$.code') = ? AND seq < ?", (code, seq))
        again = store.load(fresh)
        store.close()
    assert again.bookings == live.bookings
    assert again.booking_index.as_recount() == live.booking_index.as_recount()


# -- examples --------------------------------------------------------------------------------

def test_the_rules_tick_finds_nothing_due_without_looking_at_the_bookings():
    rules = parse_rules({"sessions": ["08:00-10:00"], "per_session": 100}, "b")
    s = QueueState.new("2026-12-01", [("ktp", "A", "", 3, 300.0)], [("1", "Loket 1", ("ktp",))])
    day = date(2026, 12, 2)
    for i in range(50):
        assert decide(s, Book("ktp", day.isoformat(), "08:00-10:00", f"n{i}", "0001",
                              new_code(bytes([i % 32, i // 32, 2, 3, 4, 5, 6, 7])), f"web:{i}",
                              rules=rules, window=window(rules, rules.sessions[0], day, JKT),
                              today="2026-12-01"), START).ok
    s.bookings.clear()          # were the tick to scan, it would find nothing at all
    until = window(rules, rules.sessions[0], day, JKT).checkin_until
    assert s.booking_index.due("2026-12-02", until) == ([], [])
    purged, expired = s.booking_index.due("2026-12-02", until + 1)
    assert purged == [] and len(expired) == 50


def test_a_snapshot_holds_no_index_and_loading_rebuilds_it():
    rules = parse_rules({"sessions": ["08:00-10:00"], "per_session": 3}, "b")
    s = QueueState.new("2026-12-01", [("ktp", "A", "", 3, 300.0)], [("1", "Loket 1", ("ktp",))])
    day = date(2026, 12, 2)
    decide(s, Book("ktp", day.isoformat(), "08:00-10:00", "n1", "0001", new_code(bytes(8)),
                   "web:1", rules=rules, window=window(rules, rules.sessions[0], day, JKT),
                   today="2026-12-01"), START)
    data = s.to_dict()
    assert "booking_index" not in data and "n1" not in json.dumps(data["lines"])
    again = QueueState.from_dict(data)
    assert again.booking_index.taken("ktp", "2026-12-02", "08:00-10:00") == 1
    assert again.booking_index.as_recount() == s.booking_index.as_recount()
    assert isinstance(BookingIndex.of(again.bookings), BookingIndex)
