"""Booking decisions at scale: the scanning rules (before) against the booking index (after).

    .venv/bin/python bench/booking_scale.py [--decisions 300] [--sizes 1000,10000,50000]

A big MPP: 203 services, four sessions a day, bookings kept for ``days_ahead + keep_days``
(7 + 7 days: past days checked in or no-shows, today and ahead booked). For each size it times,
through the real ``ticketing.decide``:

- a ``Book`` (a new NIK, a session with places left): the duplicate, quota and no-show rules;
- the expiry tick (``ExpireBookings``, every 5 s on the queue service) when nothing is due;
- one service's retained places (``remaining`` for each bookable day, as the queue service
  publishes after every booking): a scan of all bookings against the index.

"Before" swaps the scanning rules back in (the oracle of tests/booking/test_booking_index.py).
Figures on a loaded machine are a guide; the load average is printed.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "booking")]

from test_booking_index import scan_book, scan_expire, scan_remaining  # noqa: E402

from ticketing import apply, decide  # noqa: E402
from ticketing import events as ev  # noqa: E402
from ticketing import rules as core_rules  # noqa: E402
from ticketing.booking import (Book, ExpireBookings, new_code, parse_rules,  # noqa: E402
                               window)
from ticketing.booking_index import BookingIndex  # noqa: E402
from ticketing.model import QueueState  # noqa: E402

JKT = ZoneInfo("Asia/Jakarta")
TODAY = date(2026, 12, 1)
SERVICES = [f"s{i:03d}" for i in range(203)]
RULES = parse_rules({"sessions": ["08:00-10:00", "10:00-12:00", "13:00-14:30", "14:30-16:00"],
                     "per_session": 1000, "days_ahead": 7, "keep_days": 7,
                     "no_show_limit": 3, "no_show_days": 30, "block_days": 14}, "bench")
NOW = datetime.combine(TODAY, datetime.min.time().replace(hour=6), JKT).timestamp()


def digest(i: int) -> str:
    return hashlib.sha256(f"nik{i}".encode()).hexdigest()[:32]


def building(size: int, rng: random.Random) -> QueueState:
    """``size`` bookings over the kept days, folded in as the store's replay would."""
    s = QueueState.new(TODAY.isoformat(), [(sid, "A", "", 3, 300.0) for sid in SERVICES],
                       [("1", "Loket 1", tuple(SERVICES))])
    for i in range(size):
        day = TODAY + timedelta(days=rng.randint(-RULES.keep_days, RULES.days_ahead))
        session = rng.choice(RULES.sessions)
        w = window(RULES, session, day, JKT)
        code = new_code(rng.randbytes(8))
        apply(s, ev.Booked(seq=s.seq + 1, ts=NOW, day=s.day, code=code,
                           service=rng.choice(SERVICES), for_day=day.isoformat(),
                           session=session.label, start=w.start, checkin_from=w.checkin_from,
                           checkin_until=w.checkin_until, nik_hash=digest(rng.randrange(size)),
                           nik_last4="0001",
                           keep_until=(day + timedelta(days=RULES.keep_days)).isoformat()))
        if day < TODAY:           # past days: most checked in, some no-shows
            if rng.random() < 0.8:
                apply(s, ev.CheckedIn(seq=s.seq + 1, ts=NOW, day=s.day, code=code, ticket="A1"))
            else:
                apply(s, ev.BookingsExpired(seq=s.seq + 1, ts=NOW, day=s.day, expired=(code,)))
    return s


def timed(fn, n: int) -> list[float]:
    out = []
    for i in range(n):
        t0 = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - t0) * 1000)
    return sorted(out)


def pct(ms: list[float]) -> str:
    return f"p50 {statistics.median(ms):7.3f} p99 {ms[int(len(ms) * 0.99) - 1]:7.3f} ms"


def run(size: int, decisions: int, scanning: bool) -> dict[str, list[float]]:
    rng = random.Random(size)
    s = building(size, rng)
    deciders = core_rules._DECIDERS
    saved = dict(deciders)
    if scanning:
        deciders[Book], deciders[ExpireBookings] = scan_book, scan_expire
    try:
        def book(i: int) -> None:
            day = TODAY + timedelta(days=1 + i % RULES.days_ahead)
            session = RULES.sessions[i % len(RULES.sessions)]
            d = decide(s, Book(SERVICES[i % len(SERVICES)], day.isoformat(), session.label,
                               digest(10**9 + i), "0001", new_code(rng.randbytes(8)),
                               f"web:{scanning}{i}", rules=RULES,
                               window=window(RULES, session, day, JKT),
                               today=TODAY.isoformat()), NOW)
            assert d.ok, d.error

        def tick(i: int) -> None:
            assert not decide(s, ExpireBookings(TODAY.isoformat(), {}), NOW).events

        def slots(i: int) -> None:
            sid = SERVICES[i % len(SERVICES)]
            days = [(TODAY + timedelta(days=n)).isoformat() for n in range(RULES.days_ahead + 1)]
            if scanning:        # what mqtt/queue_bookings.py slots() does today
                mine = {code: b for code, b in s.bookings.items() if b.service == sid}
                for day in days:
                    scan_remaining(mine, RULES, sid, day)
            else:
                for day in days:
                    s.booking_index.remaining(RULES, sid, day)

        figures = {"book": timed(book, decisions), "tick": timed(tick, decisions),
                   "slots": timed(slots, decisions)}
    finally:
        deciders.clear()
        deciders.update(saved)
    t0 = time.perf_counter()
    BookingIndex.of(s.bookings)
    figures["rebuild"] = [(time.perf_counter() - t0) * 1000]
    return figures


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--decisions", type=int, default=300)
    ap.add_argument("--sizes", default="1000,10000,50000")
    args = ap.parse_args()
    print(f"booking_scale: 203 services, 4 sessions/day, days_ahead 7 + keep_days 7, "
          f"{args.decisions} decisions per figure, load average {os.getloadavg()[0]:.1f}")
    for size in (int(x) for x in args.sizes.split(",")):
        before, after = run(size, args.decisions, True), run(size, args.decisions, False)
        for what, label in (("book", "Book decision"), ("tick", "expiry tick, nothing due"),
                            ("slots", "one service's places, 8 days")):
            print(f"{size:>6} bookings  {label:<29} before {pct(before[what])}   "
                  f"after {pct(after[what])}")
        print(f"{size:>6} bookings  index rebuild on loading      {after['rebuild'][0]:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
