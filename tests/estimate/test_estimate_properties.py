"""Properties of the waiting-time estimate on any building the rules can reach: a wait is never
negative, never infinite, grows with the tickets ahead, shrinks as the projection ages, and is
None exactly when no counter will serve the service."""

from __future__ import annotations

import math

from hypothesis import HealthCheck, given, settings, strategies as st

from ticketing import Press, QueueError, QueueState, Take, apply, handle
from ticketing.estimate import project, wait_for, wait_from
from ticketing.observed import Observed
from ticketing.rules import waiting_order

T0 = 1_796_000_000.0
SERVICES = [("ktp", "A", "", 3, 300.0), ("kk", "B", "", 3, 480.0), ("skck", "4K", "-", 2, 120.0)]
COUNTERS = [("1", "Loket 1", ("ktp",)), ("2", "Loket 2", ("ktp", "kk")),
            ("3", "Loket 3", ("skck",)), ("4", "Loket 4", ("kk", "skck"))]
SERVICE_IDS = [s[0] for s in SERVICES]

take = st.tuples(st.just("take"), st.sampled_from(SERVICE_IDS), st.booleans())
press = st.tuples(st.just("press"), st.sampled_from([c[0] for c in COUNTERS]),
                  st.sampled_from(["open", "next", "done", "skip", "close", "close-until"]))
step = st.tuples(st.floats(0, 900), st.one_of(take, take, press))


def play_day(steps, observed: Observed | None = None) -> tuple[QueueState, float]:
    """Run ``steps`` through the real rules; ``observed`` is updated after each, as a caller
    holding it would (projecting as it goes)."""
    state = QueueState.new("2026-11-30", SERVICES, COUNTERS)
    now = T0
    for n, (gap, (kind, who, what)) in enumerate(steps):
        now += gap
        if kind == "take":
            command = Take(who, f"kiosk-k1:{n}", str(n), "k1", what)
        elif what == "close-until":
            command = Press(who, "close", f"counter-{who}:{n}", str(n), until=now + 1200)
        else:
            command = Press(who, what, f"counter-{who}:{n}", str(n))
        try:
            events = handle(state, command, now)
        except QueueError:
            continue
        for event in events:
            apply(state, event)
        if observed is not None:
            project(state, now, observed=observed)
    return state, now


def served(state: QueueState, service: str) -> bool:
    """Some counter serves ``service`` now or will from a set time."""
    return any(service in c.services and (c.open or c.closed_until is not None)
               for c in state.counters.values())


def check_waits(state: QueueState, now: float, observed: Observed | None) -> None:
    projection = project(state, now, observed=observed)
    for sid in SERVICE_IDS:
        order = waiting_order(state, sid)
        waits = [wait_for(state, sid, k, now=now, projection=projection)
                 for k in range(len(order) + 4)]
        if observed is None:
            assert (waits[0] is None) == (not served(state, sid)), (sid, waits)
        if waits[0] is None:
            assert all(w is None for w in waits)
            continue
        assert all(w is not None and math.isfinite(w) and w >= 0 for w in waits), waits
        assert waits == sorted(waits), f"{sid}: a ticket further back waits less: {waits}"
        aged = [wait_from(projection, sid, order, len(order), elapsed) for elapsed in
                (0.0, 30.0, 600.0, 10_000.0)]
        assert aged == sorted(aged, reverse=True) and aged[-1] >= 0, aged


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(step, max_size=60), st.floats(0, 3600))
def test_waits_are_finite_never_negative_and_grow_with_the_tickets_ahead(steps, later):
    state, now = play_day(steps)
    check_waits(state, now + later, None)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(step, max_size=60), st.floats(0, 3600))
def test_the_same_holds_with_the_days_figures_learned_along_the_way(steps, later):
    observed = Observed()
    state, now = play_day(steps, observed)
    check_waits(state, now + later, observed)


def test_without_any_open_counter_there_is_no_estimate_not_a_guess():
    state, now = play_day([(1.0, ("take", "ktp", False)), (1.0, ("take", "kk", True))])
    for sid in SERVICE_IDS:
        assert wait_for(state, sid, 0, now=now) is None
        assert wait_for(state, sid, 5, now=now, projection=project(state, now)) is None


def test_a_counter_closed_until_a_set_time_makes_the_wait_at_least_that_long():
    steps = [(0.0, ("press", "1", "open")), (0.0, ("press", "2", "open")),
             (0.0, ("press", "1", "close-until")), (0.0, ("press", "2", "close-until")),
             (60.0, ("take", "ktp", False))]
    state, now = play_day(steps)
    wait = wait_for(state, "ktp", 0, now=now)
    assert wait == 1200.0 - 60.0     # the end of a break is known, not shrunk to a median


def test_project_keeps_nothing_between_calls():
    """No cache inside the module: the caller holds projections (issue 11)."""
    state, now = play_day([(0.0, ("press", "1", "open")), (1.0, ("take", "ktp", False))])
    first = project(state, now)
    assert project(state, now) is not first
    apply(state, handle(state, Take("ktp", "kiosk-k1:x", "x", "k1"), now)[0])
    assert project(state, now).new_ticket != first.new_ticket
