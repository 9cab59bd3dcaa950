"""The waiting-time estimate: the projection of the calling order, and the page's version of it
from retained messages alone."""

from __future__ import annotations

import msgspec
import pytest

from ticketing import Press, QueueState, Take, apply, handle, waiting_order
from ticketing.estimate import (Desk, LineLoad, NO_SHOW_S, RESIDUAL_FLOOR, loads_from_retained,
                                median_share, play, project, retained_waits, scale_to,
                                service_wait, wait_for)
from ticketing.observed import CV_PRIOR
from web_fixtures import retained_messages, sim_site, simulated_day

T0 = 1_796_000_000.0


def building(counters=(("1", ("ktp",)), ("2", ("ktp", "kk")))) -> QueueState:
    return QueueState.new("2026-11-30", [("ktp", "A", "", 3, 300.0), ("kk", "B", "", 3, 600.0)],
                          [(cid, f"Loket {cid}", svcs) for cid, svcs in counters])


def run(state: QueueState, command, now: float) -> list[dict]:
    events = handle(state, command, now)
    for e in events:
        apply(state, e)
    return events


def take(state, service, now, priority=False) -> dict:
    n = len(state.tickets) + 1
    return run(state, Take(service, f"kiosk-k1:{n}", str(n), "k1", priority), now)[-1]


def press(state, counter, action, now, **kw):
    n = state.seq + 1
    return run(state, Press(counter, action, f"counter-{counter}:{n}", str(n), **kw), now)


def test_no_open_counter_means_no_estimate():
    state = building()
    take(state, "ktp", T0)
    assert wait_for(state, "ktp", 0, now=T0) is None
    assert service_wait(state, "kk", now=T0) is None


def test_an_idle_counter_calls_the_next_ticket_at_once_and_each_after_takes_the_average():
    state = building(counters=(("1", ("ktp",)),))
    press(state, "1", "open", T0)
    for _ in range(3):
        take(state, "ktp", T0)
    # no-shows cost less than a visit: the per-ticket time is a little under the average
    step = 300.0 * (1 - 0.05) + 0.05 * NO_SHOW_S
    # ... and the visitor is told the median: a little under the mean (median_share)
    assert [wait_for(state, "ktp", k, now=T0) for k in range(4)] == pytest.approx(
        [k * step * median_share(CV_PRIOR, 1 + k) for k in range(4)], abs=0.2)


def test_a_busy_counter_is_free_when_its_visitor_is_expected_to_be_done():
    state = building(counters=(("1", ("ktp",)),))
    take(state, "ktp", T0)
    press(state, "1", "next", T0)          # A001 at the counter since T0
    take(state, "ktp", T0 + 60)
    m = median_share(CV_PRIOR, 1)
    assert wait_for(state, "ktp", 0, now=T0 + 60) == pytest.approx(240.0 * m, abs=0.1)
    # long past the average it still needs a while: service times have a long tail
    assert wait_for(state, "ktp", 0, now=T0 + 900) == pytest.approx(RESIDUAL_FLOOR * 300.0 * m,
                                                                     abs=0.1)


def test_a_shared_counter_serves_the_oldest_ticket_across_its_services():
    state = building()
    press(state, "1", "open", T0)
    press(state, "2", "open", T0)
    press(state, "1", "next", T0)           # both idle, nothing waiting
    press(state, "2", "next", T0)
    take(state, "kk", T0 + 1)               # B001 joins first ...
    take(state, "ktp", T0 + 2)              # ... then A001 and A002
    take(state, "ktp", T0 + 3)
    p = project(state, T0 + 3)
    # counter 1 (ktp only) takes A001 and counter 2 the older B001; A002 waits for counter 1
    assert p.starts["B001"] == 0.0 and p.starts["A001"] == 0.0
    assert p.starts["A002"] == pytest.approx(LineLoad(2, 300.0).per_ticket_s, abs=0.2)
    assert p.new_ticket["kk"] == pytest.approx(LineLoad(1, 600.0).per_ticket_s, abs=0.2)


def test_priority_tickets_are_estimated_before_the_regular_ones():
    state = building(counters=(("1", ("ktp",)),))
    press(state, "1", "open", T0)
    press(state, "1", "next", T0)
    take(state, "ktp", T0)
    issued = take(state, "ktp", T0 + 1, priority=True)
    assert issued["outcome"]["ahead"] == 0
    assert waiting_order(state, "ktp")[0] == issued["ticket"]
    assert wait_for(state, "ktp", 0, now=T0 + 1) < wait_for(state, "ktp", 1, now=T0 + 1)


def test_a_counter_closed_for_a_break_counts_again_from_its_return():
    state = building(counters=(("1", ("ktp",)),))
    press(state, "1", "open", T0)
    press(state, "1", "close", T0, until=T0 + 3600)
    take(state, "ktp", T0 + 600)
    assert wait_for(state, "ktp", 0, now=T0 + 600) == pytest.approx(3000.0)


def test_play_is_plain_list_scheduling():
    lines = {"ktp": LineLoad(waiting=2, avg_service_s=300.0, done=1000, missed=0)}
    p = play({"ktp": [(1, 1, "A001"), (1, 2, "A002")]}, lines,
             [Desk(("ktp",)), Desk(("ktp",), "ktp", busy_since=0.0)], now=100.0)
    per = lines["ktp"].per_ticket_s
    assert p.starts == {"A001": 0.0, "A002": pytest.approx(200.0)}
    assert p.new_ticket["ktp"] == pytest.approx(min(per, 200.0 + per), abs=0.1)


def test_todays_no_shows_shorten_the_time_a_ticket_ahead_costs():
    reliable = LineLoad(5, 300.0, done=200, missed=0)
    flaky = LineLoad(5, 300.0, done=100, missed=100)
    assert flaky.per_ticket_s < reliable.per_ticket_s < 300.0


def test_scale_to_keeps_the_shape_and_matches_the_published_figure():
    assert scale_to([0.0, 300.0, 600.0], 900.0) == [0.0, 450.0, 900.0]
    assert scale_to([0.0, 0.0, 0.0], 600.0) == [0.0, 300.0, 600.0]
    assert scale_to([10.0, 20.0], None) == [10.0, 20.0]


def test_the_page_estimate_from_retained_messages_agrees_with_the_queue_service():
    plan, result = simulated_day()
    site = sim_site(plan)
    now = plan.at(10.5)
    state = result.state_at(now)
    services, counters = {}, {}
    for topic, payload in retained_messages(site, state, now):
        parts = topic.split("/")
        if parts[2] == "service":
            services[parts[3]] = msgspec.json.decode(payload)
        elif parts[2] == "counter":
            counters[parts[3]] = msgspec.json.decode(payload)
    waits = retained_waits(services, counters, now)
    busy = [sid for sid, s in services.items() if s["waiting"] >= 3]
    assert busy, "the simulated morning should have lines"
    for sid in busy:
        mine = waits[sid]
        assert len(mine) == services[sid]["waiting"] + 1
        assert mine == sorted(mine), "later tickets never wait less"
        assert mine[-1] == pytest.approx(services[sid]["est_wait_s"], abs=0.5)
    lines, desks = loads_from_retained(services, counters)
    assert len(desks) == sum(1 for c in state.counters.values()
                             if c.open or c.closed_until is not None)


def test_a_counter_whose_state_has_not_arrived_counts_for_the_service_naming_it():
    services = {"ktp": {"waiting_tickets": ["A001"], "avg_service_s": 300.0, "done": 0,
                        "missed": [], "counters_open": ["9"], "est_wait_s": None}}
    lines, desks = loads_from_retained(services, {})
    assert desks == [Desk(("ktp",))]
    assert retained_waits(services, {}, 0.0)["ktp"][0] == 0.0
