"""What the day has shown so far (``ticketing.observed``): service times, no-show skips, idle
pickups, priority arrivals and late openings, learned from the queue state as it changes."""

from __future__ import annotations

import pytest

from ticketing import Press, QueueState, ResetLine, Take, apply, handle
from ticketing.estimate import project, wait_for
from ticketing.observed import (LATE_PRIOR_S, LATE_WEIGHT, PRIOR_WEIGHT, RESIDUAL_FLOOR,
                                STALL_PRIOR_S, WINDOW, Observed, ServiceTimes)

T0 = 1_796_000_000.0


class Day:
    """A small building driven through the real rules, with one ``Observed`` watching."""

    def __init__(self, counters=(("1", ("ktp",)), ("2", ("ktp",)), ("3", ("kk",)))):
        self.state = QueueState.new("2026-11-30", [("ktp", "A", "", 3, 300.0),
                                                   ("kk", "B", "", 3, 600.0)],
                                    [(cid, f"Loket {cid}", svcs) for cid, svcs in counters])
        self.seen = Observed()
        self.n = 0
        self.now = T0

    def at(self, seconds: float, command) -> None:
        self.now = T0 + seconds
        self.n += 1
        for event in handle(self.state, command, self.now):
            apply(self.state, event)
        self.seen.update(self.state, self.now)

    def take(self, seconds: float, service: str, priority: bool = False) -> None:
        self.at(seconds, Take(service, f"kiosk-k1:{self.n}", str(self.n), "k1", priority))

    def press(self, seconds: float, counter: str, action: str, **kw) -> None:
        self.at(seconds, Press(counter, action, f"counter-{counter}:{self.n}", str(self.n),
                               **kw))

    def visit(self, start: float, counter: str, service: str, took: float) -> None:
        """One visitor of ``service`` taken at ``start``, called at once, done ``took`` later."""
        self.take(start, service)
        self.press(start, counter, "next")
        self.press(start + took, counter, "next")      # done: nothing else waits


def test_without_visitors_the_tomls_prior_holds():
    seen = Observed().update(Day().state)
    assert seen.service_s("ktp", prior=300.0) == 300.0
    assert seen.skip_s("ktp") == 60.0
    assert seen.priority_rate("ktp", T0) == 0.0


def test_the_days_visitors_replace_the_prior_quickly():
    day = Day()
    day.press(0, "1", "open")
    day.visit(0, "1", "ktp", 600.0)
    assert day.seen.service_s("ktp", prior=300.0) == pytest.approx(
        (600.0 + PRIOR_WEIGHT * 300.0) / (1 + PRIOR_WEIGHT))
    for i in range(1, 20):
        day.visit(1000.0 * i, "1", "ktp", 600.0)
    assert day.seen.service_s("ktp", prior=300.0) == pytest.approx(
        (20 * 600.0 + PRIOR_WEIGHT * 300.0) / (20 + PRIOR_WEIGHT))


def test_one_visitor_who_takes_an_hour_moves_the_figure_by_a_share_not_a_fifth():
    day = Day()
    day.press(0, "1", "open")
    for i in range(20):
        day.visit(1000.0 * i, "1", "ktp", 300.0)
    day.visit(30_000.0, "1", "ktp", 3600.0)
    # the line's own running average moves by a fifth of the difference (660 s) ...
    assert day.state.lines["ktp"].avg_service_s == pytest.approx(300 + 0.2 * 3300, rel=0.01)
    # ... the day's mean by a 21st of it
    assert day.seen.service_s("ktp", prior=300.0) == pytest.approx(300 + 3300 / 22, rel=0.01)


def test_only_the_last_visitors_count_and_slips_do_not():
    times = ServiceTimes()
    for _ in range(WINDOW):
        times.add(900.0)
    for _ in range(WINDOW):
        times.add(300.0)
    assert times.spread() == (300.0, 0.0)
    day = Day()
    day.press(0, "1", "open")
    day.visit(0, "1", "ktp", 2.0)                 # "done" pressed twice: not a visit
    assert day.seen.service_s("ktp", prior=300.0) == 300.0


def test_a_long_visit_on_a_heavy_tailed_day_is_expected_to_run_on():
    day = Day()
    day.press(0, "1", "open")
    for i in range(30):                          # most visits are short, a few very long
        day.visit(5000.0 * i, "1", "ktp", 3000.0 if i % 10 == 0 else 120.0)
    mean = day.seen.service_s("ktp", prior=300.0)
    rule = max(mean - 200.0, RESIDUAL_FLOOR * mean)
    # 200 s in, this visitor is one of the long ones: the day says much more than the rule
    assert day.seen.remaining_s("ktp", spent=200.0, mean=mean) > 2 * rule
    # a service the day knows nothing of keeps the rule of thumb
    assert day.seen.remaining_s("kk", spent=100.0, mean=600.0) == 500.0


def test_the_wait_for_a_no_show_is_learned_from_the_skips():
    day = Day()
    day.press(0, "1", "open")
    for i in range(20):
        day.take(100.0 * i, "ktp")
        day.press(100.0 * i, "1", "next")
        day.press(100.0 * i + 15.0, "1", "skip")
    assert day.seen.skip_s("ktp") == pytest.approx((20 * 15.0 + 5 * 60.0) / 25)


def test_an_idle_counter_is_expected_to_take_as_long_as_it_did_today_to_call():
    day = Day()
    day.press(0, "1", "open")
    for i in range(5):
        day.take(1000.0 * i, "ktp")
        day.press(1000.0 * i + 20.0, "1", "next")
        day.press(1000.0 * i + 300.0, "1", "next")
    assert day.seen.pickup_s() == 20.0
    day.take(9000.0, "ktp")
    projection = project(day.state, day.now, observed=day.seen)
    assert wait_for(day.state, "ktp", 0, now=day.now, projection=projection) == 20.0


def test_a_burst_of_priority_visitors_moves_the_share_not_the_whole_rate():
    day = Day()
    day.press(0, "1", "open")
    for i in range(100):
        day.take(10.0 * i, "ktp")
    assert day.seen.priority_rate("ktp", day.now) == 0.0    # none came today: none expected
    for i in range(30):
        day.take(1000.0 + i, "ktp", priority=True)
    share = (30 + 0.05 * 20) / (130 + 20)
    assert day.seen.priority_rate("ktp", day.now) == pytest.approx(share * 130 / 1800)


def test_counters_late_in_the_morning_are_expected_from_the_days_own_delays():
    day = Day()
    day.take(0, "ktp")                           # watched before any counter opened
    day.press(600, "1", "open")
    assert day.seen.opens_at("2", T0 + 700) == T0 + 600 + LATE_PRIOR_S
    assert day.seen.opens_at("1", T0 + 700) is None          # open already
    day.press(600 + 1200, "2", "open")                        # 20 minutes late
    delay = (1200 + LATE_WEIGHT * LATE_PRIOR_S) / (1 + LATE_WEIGHT)
    assert day.seen.opens_at("3", T0 + 1900) == pytest.approx(T0 + 600 + delay)
    # the estimate counts counter 3 from then for a B ticket
    day.take(1900, "kk")
    wait = wait_for(day.state, "kk", 0, now=day.now,
                    projection=project(day.state, day.now, observed=day.seen))
    assert wait == pytest.approx(600 + delay - 1900, abs=0.1)


def test_a_reading_started_mid_day_guesses_no_late_counter():
    day = Day()
    day.take(0, "ktp")
    day.press(600, "1", "open")
    fresh = Observed().update(day.state, day.now)
    assert fresh.opens_at("2", day.now) is None
    assert wait_for(day.state, "kk", 0, now=day.now) is None   # no counter 3: no guess


def test_reading_as_the_day_goes_learns_what_one_reading_at_the_end_does():
    day = Day()
    day.press(0, "1", "open")
    day.press(0, "3", "open")
    for i in range(40):
        service, counter = ("ktp", "1") if i % 3 else ("kk", "3")
        day.take(500.0 * i, service)
        day.press(500.0 * i + 5, counter, "next")
        day.press(500.0 * i + 60 + 7 * i, counter, "skip" if i % 7 == 0 else "next")
    once = Observed().update(day.state, day.now)
    for sid, prior in (("ktp", 300.0), ("kk", 600.0)):
        assert once.service_s(sid, prior) == pytest.approx(day.seen.service_s(sid, prior))
        assert once.skip_s(sid) == pytest.approx(day.seen.skip_s(sid))


def test_a_new_day_starts_afresh():
    day = Day()
    day.press(0, "1", "open")
    day.visit(0, "1", "ktp", 900.0)
    assert day.seen.service_s("ktp", 300.0) != 300.0
    tomorrow = QueueState.new("2026-12-01", [("ktp", "A", "", 3, 300.0)],
                              [("1", "Loket 1", ("ktp",))])
    day.seen.update(tomorrow, T0 + 86_400)
    assert day.seen.service_s("ktp", 300.0) == 300.0 and day.seen.first_open is None


def test_a_line_reset_starts_the_reading_afresh_even_if_as_many_tickets_follow_it():
    day = Day()
    day.press(0, "1", "open")
    day.visit(0, "1", "ktp", 900.0)                  # A001 done in 900 s
    seen = day.seen                                   # from here, read only at the end
    day.seen = Observed()
    day.at(1000, ResetLine("ktp"))
    day.visit(2000, "1", "ktp", 450.0)               # A001 again, a new visitor
    day.take(3000, "kk")
    seen.update(day.state, day.now)
    assert seen.service_s("ktp", 300.0) == pytest.approx((450.0 + 300.0) / 2)
    assert seen.seen == len(day.state.tickets)


def test_an_open_counter_that_calls_nothing_while_tickets_wait_is_not_counted_as_free():
    day = Day(counters=(("1", ("ktp",)),))
    day.press(0, "1", "open")
    day.take(10, "ktp")
    early = project(day.state, T0 + 60, observed=day.seen)
    assert wait_for(day.state, "ktp", 0, now=T0 + 60, projection=early) == 0.0
    day.seen.update(day.state, T0 + 310)              # five minutes on, still nothing called
    later = project(day.state, T0 + 310, observed=day.seen)
    assert day.seen.back_in("1", T0 + 310) == STALL_PRIOR_S - 300.0
    assert wait_for(day.state, "ktp", 0, now=T0 + 310, projection=later) == STALL_PRIOR_S - 300
    day.press(400, "1", "next")                       # staff are back
    assert day.seen.back_in("1", T0 + 400) is None
