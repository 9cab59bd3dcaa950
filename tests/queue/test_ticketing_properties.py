"""Properties of the queue rules over random days: takes, every button on every counter, resent
requests, stale presses, supervisors' assignments, resets and new days.

After every step: no ticket is lost or in two places, none is called twice unless recalled, each
``next`` calls the ticket that waited longest (priority first), seq strictly increases, the state
survives JSON, and the event log replayed on a fresh state gives the very same state (what the
durable store relies on after a restart).
"""

from __future__ import annotations

import json

from ticketing.events import to_dict
from collections import Counter as Tally
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ticketing import (Assign, Press, QueueError, QueueState, ResetLine, Rollover, Stale, Take,
                       Tick, apply, handle)
from ticketing.model import CALLED, DONE, MISSED, WAITING
from ticketing.rules import ACTIONS, UNSET, repeated

DAY = "2026-11-28"
T0 = 1_795_830_000.0
# width 1 for skck so numbers outgrow their width ("4K-9", "4K-10") within one example
SERVICES = [("ktp", "A", "", 3, 300.0), ("kk", "B", "", 3, 300.0), ("skck", "4K", "-", 1, 600.0)]
SERVICE_IDS = [s[0] for s in SERVICES]
COUNTERS = [("1", "Loket 1", ("ktp", "kk")), ("2", "Loket 2", ("ktp",)),
            ("3", "Loket 3", ("kk", "skck")), ("4", "Loket 4", ("skck",))]
COUNTER_IDS = [c[0] for c in COUNTERS]
KIOSKS = ["k1", "k2"]

PROPERTY_SETTINGS = settings(max_examples=300, deadline=None, derandomize=True, database=None,
                             suppress_health_check=[HealthCheck.too_slow])

# -- random days -----------------------------------------------------------------------------------

takes = st.tuples(st.just("take"), st.sampled_from(SERVICE_IDS * 4 + ["sim"]),
                  st.sampled_from([False] * 3 + [True]),
                  st.sampled_from(KIOSKS), st.sampled_from([False] * 9 + [True]))
presses = st.tuples(
    st.just("press"),
    st.sampled_from(COUNTER_IDS * 2 + ["busy"] * 6 + ["99"]),  # busy: one holding a ticket
    # every action, next most often as at a real counter, and one the rules do not know
    st.sampled_from(("next",) * 6 + ("skip", "skip", "call", "call", "transfer", "transfer")
                    + ACTIONS + ("nxt",)),
    st.integers(0, 1000),                                  # which ticket (call), resolved later
    st.sampled_from(["other"] * 6 + SERVICE_IDS + ["sim", None]),  # to (transfer)
    st.sampled_from(["unset"] * 4 + ["right"] * 3 + ["none", "some"]),   # expect
    st.sampled_from([None] * 4 + [-60, 0, 300, 1800]),     # close: until, seconds from now
    st.sampled_from([None, None, "Istirahat"]),             # close: reason
)
resends = st.tuples(st.just("resend"), st.integers(0, 10_000))
rollovers = st.tuples(st.just("rollover"), st.integers(0, 2))
assigns = st.tuples(st.just("assign"), st.sampled_from(COUNTER_IDS + ["99"]),
                    st.lists(st.sampled_from(SERVICE_IDS + ["sim"]), max_size=3))
resets = st.tuples(st.just("reset"), st.sampled_from([None, *SERVICE_IDS]))
ticks = st.tuples(st.just("tick"))
KINDS = {"take": takes, "press": presses, "resend": resends, "rollover": rollovers,
         "assign": assigns, "reset": resets, "tick": ticks}
# mostly takes and presses, as in a real day (one_of would weigh the six kinds alike)
kinds = st.sampled_from(["take"] * 7 + ["press"] * 12
                        + ["resend", "rollover", "assign", "reset", "tick"])
steps = st.tuples(st.integers(0, 900),                     # seconds since the previous step
                  kinds.flatmap(KINDS.__getitem__))


class World:
    """The state under test, its replica fed from the JSON event log, and what has been seen."""

    def __init__(self):
        self.state = QueueState.new(DAY, SERVICES, COUNTERS)
        self.replica = QueueState.new(DAY, SERVICES, COUNTERS)
        self.data = self.state.to_dict()   # as of the last step, to show a refusal changed nothing
        self.now = T0
        self.log: list[str] = []
        self.sent: list[tuple[object, str]] = []     # requests applied: (command, day)
        self.first_outcome: dict[str, dict] = {}
        self.ended_by_reset: set[str] = set()   # takes whose ticket a reset ended
        self.n = 0
        self.kinds: Tally[str] = Tally()
        self.stale = 0

    # -- building commands --------------------------------------------------------------------

    def command(self, step: tuple):
        kind = step[0]
        self.n += 1
        if kind == "take":
            _, service, priority, kiosk, limited = step
            return Take(service, request=f"kiosk-{kiosk}:t{self.n}", request_id=f"t{self.n}",
                        kiosk=kiosk, priority=priority,
                        offered=("skck",) if limited else None)
        if kind == "press":
            _, counter, action, pick, to, expect, until, reason = step
            if counter == "busy":
                busy = [c.id for c in self.state.counters.values() if c.ticket] or COUNTER_IDS
                counter = busy[pick % len(busy)]
            holds = self.state.counters[counter].ticket if counter in self.state.counters else None
            if to == "other":   # a service other than the current ticket's, as a clerk would
                now_in = self.state.tickets[holds].service if holds else None
                to = [s for s in SERVICE_IDS if s != now_in][pick % 2]
            labels = sorted(self.state.tickets)
            ticket = labels[pick % len(labels)] if labels and pick % 7 else f"Z{pick}"
            expect = {"unset": UNSET, "right": holds, "none": None,
                      "some": labels[pick % len(labels)] if labels else "A001"}[expect]
            return Press(counter, action, request=f"counter-{counter}:p{self.n}",
                         request_id=f"p{self.n}", ticket=ticket, to=to, expect=expect,
                         until=None if until is None else self.now + until, reason=reason)
        if kind == "resend":
            return self.sent[step[1] % len(self.sent)][0] if self.sent else None
        if kind == "rollover":
            day = date.fromisoformat(self.state.day) + timedelta(days=step[1])
            return Rollover(day.isoformat())
        if kind == "assign":
            return Assign(step[1], tuple(step[2]))
        if kind == "tick":
            return Tick()
        return ResetLine(step[1])

    # -- one step -----------------------------------------------------------------------------

    def step(self, after: int, step: tuple) -> None:
        self.now += after
        command = self.command(step)
        if command is None:
            return
        request = getattr(command, "request", None)
        if request is not None and repeated(self.state, request) is not None:
            # the service answers a repeat from memory: the first outcome, nothing decided
            assert repeated(self.state, request) == self.first_outcome[request]
            return
        if step[0] == "resend" and request not in self.ended_by_reset:
            # forgotten: only requests of days before yesterday may be forgotten, and takes
            # whose ticket a reset ended
            day = next(d for c, d in self.sent if c is command)
            assert day < (date.fromisoformat(self.state.day) - timedelta(days=1)).isoformat()
        try:
            events = handle(self.state, command, self.now)
        except QueueError as refused:
            assert self.state.to_dict() == self.data, "a refusal changed the state"
            self.check_refusal(command, refused)
            return
        assert [e["seq"] for e in events] == list(range(self.state.seq + 1,
                                                        self.state.seq + 1 + len(events)))
        if isinstance(command, Press):
            self.check_press_choice(command, events)
        for event in events:
            self.check_event(event)
            kind = getattr(event, "kind", None)
            self.kinds[event.type + ("-" + kind if kind else "")] += 1
            labels_before = {label: t.status for label, t in self.state.tickets.items()}
            was_open = {cid: c.open for cid, c in self.state.counters.items()}
            apply(self.state, event)
            if event["type"] == "reset":
                self.ended_by_reset |= {r for r, o in self.first_outcome.items()
                                        if "action" not in o and r not in self.state.requests}
            self.check_nothing_lost(event, labels_before, was_open)
            stored = json.dumps(to_dict(event))
            self.log.append(stored)
            apply(self.replica, json.loads(stored))
        if isinstance(command, Tick):
            assert not [c.id for c in self.state.counters.values() if not c.open
                        and c.closed_until is not None and c.closed_until <= self.now]
            assert all(e["type"] == "opened" for e in events)
        if request is not None:
            outcome = self.state.requests[request]
            assert outcome["seq"] == events[-1]["seq"]
            self.first_outcome[request] = outcome
            self.sent.append((command, self.state.day))
            if isinstance(command, Press) and command.counter in self.state.counters:
                assert outcome["ticket"] == self.state.counters[command.counter].ticket
        self.check_state()

    # -- the checks ----------------------------------------------------------------------------

    def check_refusal(self, command, refused: QueueError) -> None:
        if isinstance(command, Press) and command.counter in self.state.counters \
                and command.action in ACTIONS and command.expect is not UNSET:
            holds = self.state.counters[command.counter].ticket
            assert (command.expect != holds) == isinstance(refused, Stale)
            self.stale += isinstance(refused, Stale)

    def waiting_key(self, label: str) -> tuple[int, int]:
        t = self.state.tickets[label]
        return (0 if t.priority else 1, t.queued_seq)

    def check_press_choice(self, press: Press, events: list[dict]) -> None:
        """``next`` and ``skip`` call the waiting ticket with no older one of equal or higher rank
        in the counter's services; found from the tickets, not from the lines' deques."""
        if press.action not in ("next", "skip"):
            return
        counter = self.state.counters[press.counter]
        waiting = [label for label, t in self.state.tickets.items()
                   if t.status == WAITING and t.service in counter.services]
        called = [e["ticket"] for e in events if e["type"] == "called"]
        if not waiting:
            assert called == []
            return
        assert len(called) == 1
        assert self.waiting_key(called[0]) == min(self.waiting_key(w) for w in waiting)

    def check_event(self, event: dict) -> None:
        tickets = self.state.tickets
        if event["type"] == "issued":
            assert event["ticket"] not in tickets, f"label {event['ticket']} issued twice"
        elif event["type"] == "called":
            ticket = tickets[event["ticket"]]
            if event["kind"] == "call":
                assert ticket.status in (WAITING, MISSED), f"{ticket.label} called twice"
            else:
                assert ticket.status == CALLED and ticket.counter == event["counter"]
                assert self.state.counters[event["counter"]].ticket == ticket.label

    def check_nothing_lost(self, event: dict, before: dict[str, str],
                           was_open: dict[str, bool]) -> None:
        """Tickets leave the state only at a new day or a reset, and only the ones it lists as
        expired (waiting or missed) or finished (at a counter), or ones already done."""
        after = set(self.state.tickets)
        gone = set(before) - after
        if event["type"] not in ("rollover", "reset"):
            assert not gone, f"tickets vanished: {gone}"
            return
        expired, finished = set(event["expired"]), set(event["finished"])
        assert all(before[label] in (WAITING, MISSED) for label in expired)
        assert all(before[label] == CALLED for label in finished)
        assert not (expired | finished) & after, "an expired ticket is still there"
        unaccounted = {label for label in gone - expired - finished if before[label] != DONE}
        assert not unaccounted, f"tickets vanished: {unaccounted}"
        if event["type"] == "rollover":
            assert not after, "yesterday's tickets outlived the new day"
            assert {cid: c.open for cid, c in self.state.counters.items()} == was_open

    def check_state(self) -> None:
        state = self.state
        places: Tally[str] = Tally()
        for sid, line in state.lines.items():
            for label in line.priority:
                places[label] += 1
                t = state.tickets[label]
                assert t.status == WAITING and t.service == sid and t.priority
            for label in line.regular:
                places[label] += 1
                t = state.tickets[label]
                assert t.status == WAITING and t.service == sid and not t.priority
            for label in line.missed:
                places[label] += 1
                t = state.tickets[label]
                assert t.status == MISSED and t.service == sid
            # first come, first served within a line
            for queue in (line.priority, line.regular):
                seqs = [state.tickets[label].queued_seq for label in queue]
                assert seqs == sorted(seqs)
        for cid, counter in state.counters.items():
            if counter.ticket is not None:
                places[counter.ticket] += 1
                t = state.tickets[counter.ticket]
                assert t.status == CALLED and t.counter == cid
                assert counter.open, "a closed counter holds a ticket"
            if counter.open:
                assert counter.closed_until is None and counter.closed_reason is None
        for label, t in state.tickets.items():
            expected = 0 if t.status == DONE else 1
            assert places[label] == expected, f"{label} ({t.status}) is in {places[label]} places"
            assert t.label == label
        assert set(places) <= set(state.tickets)
        for sid, line in state.lines.items():
            issued = [t.number for t in state.tickets.values() if t.issued_service == sid]
            assert all(n <= line.last_number for n in issued)
        # The replica is the previous step's snapshot (through JSON) with this step's events
        # (through JSON) applied: what a restart of the store rebuilds.
        data = state.to_dict()
        assert self.replica.to_dict() == data
        self.replica = QueueState.from_dict(json.loads(json.dumps(data)))
        assert self.replica.to_dict() == data
        self.data = data

    def check_replay(self) -> None:
        fresh = QueueState.new(DAY, SERVICES, COUNTERS)
        seqs = []
        for line in self.log:
            event = json.loads(line)
            seqs.append(event["seq"])
            apply(fresh, event)
        assert seqs == sorted(set(seqs))
        assert fresh.to_dict() == self.state.to_dict()


CASES: Tally[str] = Tally()


@PROPERTY_SETTINGS
@given(st.lists(steps, min_size=20, max_size=60))
def test_random_days_keep_every_rule_of_the_queue(day):
    world = World()
    for after, step in day:
        world.step(after, step)
    world.check_replay()
    CASES["examples"] += 1
    CASES["steps"] += len(day)
    CASES["events"] += len(world.log)
    CASES["stale presses"] += world.stale
    CASES.update(world.kinds)


@settings(PROPERTY_SETTINGS, max_examples=100)
@given(st.lists(st.tuples(st.sampled_from(SERVICE_IDS), st.booleans()), min_size=1,
                max_size=40),
       st.lists(st.sampled_from(COUNTER_IDS), min_size=1, max_size=60))
def test_a_busy_morning_serves_everyone_first_come_first_served_priority_first(takes, nexts):
    """Takes first, then only ``next``: the calls per counter follow the line order, and once
    every counter has pressed ``next`` enough, every ticket is done or being served."""
    world = World()
    for service, priority in takes:
        world.step(1, ("take", service, priority, "k1", False))
    for counter in nexts:
        world.step(30, ("press", counter, "next", 0, None, "right", None, None))
    while True:
        for counter in COUNTER_IDS:
            world.step(30, ("press", counter, "next", 0, None, "unset", None, None))
        if not any(line.waiting for line in world.state.lines.values()):
            break
    state = world.state
    assert all(t.status in (DONE, CALLED) for t in state.tickets.values())
    assert all(line.waiting == 0 for line in state.lines.values())
    assert state.counters["1"].open and state.counters["4"].open
    world.check_replay()
