"""A simulated MPP day with bookings and walk-ins, through the real pure core (``decide``).

    .venv/bin/python bench/booking_day.py [--days 20] [--seed 1] [--no-show 0.15]

One service with three counters, 08:00-15:00, service times exponential (mean 6 min). Walk-ins
arrive all day (Poisson, 5 % priority); three sessions (08-10, 10-12, 12-14) take 15 online
bookings each, and each booked visitor arrives between 30 min before and 25 min after the
session's start; ``--no-show`` of them never come (their bookings expire). Each day is played
twice with the same visitors, arrivals and service times:

- **booking**: booked visitors check in and join at their session start's place
  (ticketing.booking), ahead of walk-ins who came after it, behind priority tickets;
- **no booking**: the same visitors just take a ticket when they arrive.

It prints waits (from ticket to first call) per group, p50 / p90 / max in minutes, how many
walk-ins were served before closing, and the no-shows expired. Deterministic: the figures do not
depend on the machine's load.
"""

from __future__ import annotations

import argparse
import heapq
import random
import statistics
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ticketing import Press, Take, decide
from ticketing.booking import Book, CheckIn, ExpireBookings, parse_rules, window
from ticketing.model import Action, QueueState

TZ = ZoneInfo("Asia/Jakarta")
DAY = date(2026, 12, 1)
COUNTERS = ("1", "2", "3")
RULES = parse_rules({"sessions": ["08:00-10:00", "10:00-12:00", "12:00-14:00"],
                     "per_session": 15, "checkin_after_minutes": 30}, "booking")


def at(h: float) -> float:
    return datetime.combine(DAY, time(0), TZ).timestamp() + h * 3600


def visitors(rng: random.Random, no_show: float, walk_ins_per_hour: float) -> list[tuple]:
    """(arrival, kind, session or None, service seconds); kind walk, priority, booked, no_show."""
    out = []
    t = at(7.75)
    while True:
        t += rng.expovariate(walk_ins_per_hour / 3600)
        if t > at(14.5):
            break
        kind = "priority" if rng.random() < 0.05 else "walk"
        out.append((t, kind, None, rng.expovariate(1 / 360)))
    for s in RULES.sessions:
        start = datetime.combine(DAY, s.start, TZ).timestamp()
        for _ in range(RULES.per_session):
            arrival = start + rng.uniform(-30 * 60, 25 * 60)
            kind = "no_show" if rng.random() < no_show else "booked"
            out.append((arrival, kind, s.label, rng.expovariate(1 / 360)))
    return sorted(out)


def play(people: list[tuple], with_booking: bool) -> dict[str, list[float]]:
    state = QueueState.new(DAY.isoformat(), [("ktp", "A", "", 3, 360.0)],
                           [(c, f"Loket {c}", ("ktp",)) for c in COUNTERS])
    codes: dict[int, str] = {}
    if with_booking:
        for i, (_, kind, session, _) in enumerate(people):
            if session is None:
                continue
            w = window(RULES, RULES.session(session), DAY, TZ)
            code = f"{i:08d}".translate(str.maketrans("01", "AB"))
            d = decide(state, Book("ktp", DAY.isoformat(), session, f"{i:032x}", "0001", code,
                                   f"web:{i}", rules=RULES, window=w,
                                   today=(DAY - timedelta(days=1)).isoformat()), at(-10))
            assert d.ok, d.error
            codes[i] = code
    service_s: dict[str, float] = {}
    kinds: dict[str, str] = {}
    session_of: dict[str, float] = {}
    starts = {s.label: datetime.combine(DAY, s.start, TZ).timestamp() for s in RULES.sessions}
    clock = [(t, "arrive", i) for i, (t, kind, _, _) in enumerate(people) if kind != "no_show"]
    heapq.heapify(clock)
    idle = set(COUNTERS)
    n = 0
    while clock:
        now, what, who = heapq.heappop(clock)
        if now > at(15) and what == "arrive":
            continue
        n += 1
        if what == "arrive":
            _, kind, session, seconds = people[who]
            if with_booking and session is not None:
                d = decide(state, CheckIn(codes[who], f"k:{n}", kiosk="k1"), now)
            else:
                d = decide(state, Take("ktp", request=f"k:{n}", kiosk="k1",
                                       priority=kind == "priority"), now)
            if not d.ok:
                continue
            label = d.outcome["ticket"]
            service_s[label], kinds[label] = seconds, ("booked" if session else kind)
            if session:
                session_of[label] = starts[session]
            free = sorted(idle)
        else:
            free = [who]
        for counter in free:
            if now > at(15.5):
                break
            d = decide(state, Press(counter, Action.NEXT, request=f"c:{n}:{counter}"), now)
            label = d.outcome["ticket"] if d.ok else None
            if label:
                idle.discard(counter)
                heapq.heappush(clock, (now + service_s[label], "free", counter))
            else:
                idle.add(counter)
    expired = decide(state, ExpireBookings(DAY.isoformat()), at(23)).events
    waits: dict[str, list[float]] = {"walk": [], "priority": [], "booked": [], "unserved": [],
                                     "booked_from_start": []}
    for label, t in state.tickets.items():
        if t.first_called_at is None:
            waits["unserved"].append(0.0)
            continue
        waits[kinds[label]].append((t.first_called_at - t.issued_at) / 60)
        if kinds[label] == "booked":
            start = t.booked_for if t.booked_for is not None else session_of[label]
            waits["booked_from_start"].append(
                max(0.0, t.first_called_at - max(t.issued_at, start)) / 60)
    waits["expired"] = [0.0] * (len(expired[0].expired) if expired else 0)
    return waits


def line(name: str, values: list[float]) -> str:
    name = {"booked_from_start": "booked, from max(arrival, session start)"}.get(name, name)
    if not values:
        return f"  {name:<9} n=0"
    q = statistics.quantiles(values, n=10) if len(values) > 1 else values * 9
    return (f"  {name:<9} n={len(values):<5} p50 {statistics.median(values):5.1f}  "
            f"p90 {q[8]:5.1f}  max {max(values):5.1f} min")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--days", type=int, default=20)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--no-show", type=float, default=0.15)
    p.add_argument("--walk-ins-per-hour", type=float, default=21.0)
    args = p.parse_args()
    totals = {True: {}, False: {}}
    for d in range(args.days):
        people = visitors(random.Random(args.seed + d), args.no_show, args.walk_ins_per_hour)
        for mode in (True, False):
            for k, v in play(people, mode).items():
                totals[mode].setdefault(k, []).extend(v)
    print(f"{args.days} simulated days, 3 counters, mean service 6 min, "
          f"{args.walk_ins_per_hour:.0f} walk-ins/h, 3 sessions x {RULES.per_session} bookings, "
          f"no-shows {args.no_show:.0%}")
    for mode, name in ((True, "booking (check-in joins at the session start)"),
                       (False, "no booking (the same people take a ticket on arrival)")):
        print(name + ":  waits from ticket to first call")
        for k in ("booked", "booked_from_start", "walk", "priority"):
            print(line(k, totals[mode].get(k, [])))
        print(f"  unserved at closing: {len(totals[mode]['unserved'])}, "
              f"bookings expired (no-shows): {len(totals[mode]['expired'])}")
    for held in (1_000, 10_000, 50_000):
        print(f"decide(Book) with {held} bookings held: {cost_of_a_booking(held):.2f} ms "
              "(timed: depends on the machine's load)")


def cost_of_a_booking(held: int) -> float:
    """Milliseconds ``decide(Book)`` takes with ``held`` bookings in the state (it scans them
    for the NIK's other booking and the session's places)."""
    import time as clock
    from dataclasses import replace
    rules = replace(parse_rules({"sessions": ["08:00-10:00"], "days_ahead": 30}, "b"),
                    per_session=held + 100)
    state = QueueState.new(DAY.isoformat(), [("ktp", "A", "", 3, 360.0)], [])
    w = window(rules, rules.sessions[0], DAY, TZ)
    today = (DAY - timedelta(days=1)).isoformat()
    for i in range(held):
        decide(state, Book("ktp", DAY.isoformat(), "08:00-10:00", f"{i:032x}", "0001",
                           f"C{i:07d}", f"w:{i}", rules=rules, window=w, today=today), at(-10))
    started = clock.perf_counter()
    for i in range(100):
        decide(state, Book("ktp", DAY.isoformat(), "08:00-10:00", f"x{i:031x}", "0001",
                           f"D{i:07d}", f"x:{i}", rules=rules, window=w, today=today), at(-10))
    return (clock.perf_counter() - started) * 10


if __name__ == "__main__":
    main()
