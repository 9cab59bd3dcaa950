"""The rules of calling: commands in, events out.

``handle(state, command, now)`` checks a command against the state and returns the events it
causes (frozen dataclasses, :mod:`ticketing.events`), raising a
:class:`~ticketing.errors.QueueError` when the rules refuse it; it never changes the state.
``apply(state, event)`` (:mod:`ticketing.fold`) folds one event in. The last event of a request
carries ``request`` (the sender-scoped key) and ``outcome``, so a repeated request gets the first
outcome back and changes nothing. :func:`ticketing.service.decide` does all three steps.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from ticketing import events as ev
from ticketing.commands import (RECALL_COOLDOWN_S, UNSET, Assign, Press, ResetLine, Rollover,
                                Take, Tick)
from ticketing.errors import (BadRequest, Closed, NotAllowed, Stale, TooSoon, UnknownCounter,
                              UnknownService, UnknownTicket)
from ticketing.booking_rules import DECIDERS as BOOKING_DECIDERS
from ticketing.fold import (SERVICE_TIME_RANGE, SERVICE_TIME_WEIGHT, apply, reset_tickets,
                            waiting_order)
from ticketing.hours import status as opening_status
from ticketing.model import CALLED, MISSED, WAITING, Action, CounterNow, QueueState

ACTIONS = tuple(Action)  # kept for older imports: the one list is ticketing.model.Action

__all__ = ["handle", "apply", "repeated", "next_for", "waiting_order", "ACTIONS", "UNSET",
           "RECALL_COOLDOWN_S", "SERVICE_TIME_RANGE", "SERVICE_TIME_WEIGHT", "Take", "Press",
           "Tick", "Rollover", "Assign", "ResetLine"]


def repeated(state: QueueState, request: str | None) -> dict[str, Any] | None:
    """The first outcome of a request already applied, or None."""
    return state.requests.get(request) if request else None


def handle(state: QueueState, command: Any, now: float) -> list[ev.Event]:
    """The events ``command`` causes at time ``now``; raises QueueError when refused."""
    decide = _DECIDERS.get(type(command))
    if decide is None:
        raise BadRequest(f"unknown command {type(command).__name__}")
    events = decide(state, command, now)
    return [dataclasses.replace(e, seq=state.seq + i, ts=now, day=e.day or state.day)
            for i, e in enumerate(events, start=1)]


def _take(state: QueueState, cmd: Take, now: float) -> list[ev.Event]:
    line = state.lines.get(cmd.service)
    if line is None:
        raise UnknownService(f"unknown service {cmd.service!r}")
    if cmd.offered is not None and cmd.service not in cmd.offered:
        raise UnknownService(f"kiosk {cmd.kiosk} does not offer service {cmd.service!r}")
    if cmd.opening is not None and cmd.local_time is not None:
        # The quota counts tickets taken for this service today, not those transferred in.
        st = opening_status(cmd.opening, cmd.local_time, line.last_number - line.booked)
        if not st.open:
            raise Closed(st.text_en, st.text_id, st.code)
    number = line.last_number + 1
    label = line.label(number)
    ahead = len(line.priority) if cmd.priority else line.waiting
    return [ev.Issued(ticket=label, service=cmd.service, number=number, priority=cmd.priority,
                      kiosk=cmd.kiosk, request=cmd.request,
                      outcome={"ticket": label, "service": cmd.service, "priority": cmd.priority,
                               "ahead": ahead, "kiosk": cmd.kiosk, "id": cmd.request_id,
                               "day": state.day})]


def _counter(state: QueueState, counter_id: str) -> CounterNow:
    counter = state.counters.get(counter_id)
    if counter is None:
        raise UnknownCounter(f"unknown counter {counter_id!r}")
    return counter


def next_for(state: QueueState, counter: CounterNow) -> str | None:
    """The ticket ``next`` would call: priority first, then the longest in line, across the
    counter's services."""
    best: tuple[int, int, str] | None = None
    for sid in counter.services:
        line = state.lines.get(sid)
        if line is None:
            continue
        for rank, queue in ((0, line.priority), (1, line.regular)):
            if queue:
                key = (rank, state.tickets[queue[0]].queued_seq, queue[0])
                if best is None or key < best:
                    best = key
    return best[2] if best else None


# -- a counter's press ----------------------------------------------------------------------

class _Desk:
    """One press being decided: the events so far and what the counter holds after them."""

    def __init__(self, state: QueueState, counter: CounterNow, cmd: Press, now: float):
        self.state, self.counter, self.cmd, self.now = state, counter, cmd, now
        self.current = counter.ticket
        self.after = counter.ticket
        self.events: list[ev.Event] = []

    def ensure_open(self) -> None:
        if not self.counter.open:
            self.events.append(ev.Opened(counter=self.counter.id))

    def finish_current(self, kind: type[ev.Event] = ev.Finished) -> None:
        if self.current:
            self.events.append(kind(ticket=self.current, counter=self.counter.id))
            self.after = None

    def call(self, label: str | None) -> None:
        if label:
            self.events.append(ev.Called(ticket=label, counter=self.counter.id, kind="call"))
            self.after = label

    def holding(self, verb: str) -> str:
        if not self.current:
            raise NotAllowed(f"{self.counter.name} has no ticket to {verb}")
        return self.current


def _next(d: _Desk) -> None:
    d.ensure_open()
    d.finish_current()
    d.call(next_for(d.state, d.counter))


def _skip(d: _Desk) -> None:
    d.holding("skip")
    d.finish_current(ev.Missed)
    d.call(next_for(d.state, d.counter))


def _recall(d: _Desk) -> None:
    label = d.holding("recall")
    last = d.counter.last_call_at
    if last is not None and d.now - last < d.cmd.recall_cooldown:
        raise TooSoon(f"{label} was called {d.now - last:.0f} s ago; recall again after "
                      f"{d.cmd.recall_cooldown:.0f} s")
    d.events.append(ev.Called(ticket=label, counter=d.counter.id, kind="recall"))


def _call(d: _Desk) -> None:
    label = (d.cmd.ticket or "").strip().upper()
    ticket = d.state.tickets.get(label)
    if ticket is None:
        raise UnknownTicket(f"no ticket {label!r} today")
    if ticket.service not in d.counter.services:
        raise UnknownTicket(f"{label} is for service {ticket.service!r}, "
                            f"which {d.counter.name} does not serve")
    if ticket.status == CALLED:
        where = (d.state.counters[ticket.counter].name if ticket.counter in d.state.counters
                 else "another counter")
        raise NotAllowed(f"{label} is already being served at {where}")
    if ticket.status not in (WAITING, MISSED):
        raise NotAllowed(f"{label} is {ticket.status}; only waiting or missed tickets "
                         "can be called")
    d.ensure_open()
    d.finish_current()
    d.call(label)


def _transfer(d: _Desk) -> None:
    label = d.holding("transfer")
    to = d.cmd.to or ""
    if to not in d.state.lines:
        raise UnknownService(f"unknown service {to!r} to transfer to")
    if to == d.state.tickets[label].service:
        raise NotAllowed(f"{label} is already in service {to!r}")
    d.events.append(ev.Transferred(ticket=label, counter=d.counter.id, to=to))
    d.after = None


def _open(d: _Desk) -> None:
    if not d.counter.open:
        d.events.append(ev.Opened(counter=d.counter.id))


def _close(d: _Desk) -> None:
    if d.cmd.until is not None and d.cmd.until <= d.now:
        raise BadRequest("'until' is already past")
    d.finish_current()
    if d.counter.open or d.cmd.until is not None or d.cmd.reason:
        d.events.append(ev.Closed(counter=d.counter.id, until=d.cmd.until, reason=d.cmd.reason))


_ACTIONS: dict[Action, Callable[[_Desk], None]] = {
    Action.NEXT: _next, Action.SKIP: _skip, Action.RECALL: _recall, Action.CALL: _call,
    Action.TRANSFER: _transfer, Action.OPEN: _open, Action.CLOSE: _close}


def _press(state: QueueState, cmd: Press, now: float) -> list[ev.Event]:
    counter = _counter(state, cmd.counter)
    try:
        action = Action(cmd.action)
    except ValueError:
        raise BadRequest(f"unknown action {cmd.action!r}") from None
    if cmd.expect is not UNSET and cmd.expect != counter.ticket:
        raise Stale(f"stale press: {counter.name} holds {counter.ticket or 'no ticket'}, "
                    f"the press was for {cmd.expect or 'no ticket'}")
    desk = _Desk(state, counter, cmd, now)
    _ACTIONS[action](desk)
    desk.events.append(ev.Pressed(
        counter=counter.id, action=str(action), request=cmd.request, request_id=cmd.request_id,
        outcome={"counter": counter.id, "action": str(action), "ticket": desk.after,
                 "previous": desk.current, "id": cmd.request_id, "day": state.day}))
    return desk.events


# -- the day and the supervisor ----------------------------------------------------------------

def _tick(state: QueueState, cmd: Tick, now: float) -> list[ev.Event]:
    return [ev.Opened(counter=c.id, scheduled=True) for c in state.counters.values()
            if not c.open and c.closed_until is not None and c.closed_until <= now]


def _rollover(state: QueueState, cmd: Rollover, now: float) -> list[ev.Event]:
    if cmd.day <= state.day:
        return []
    expired = tuple(t.label for t in state.tickets.values() if t.status in (WAITING, MISSED))
    finished = tuple(c.ticket for c in state.counters.values() if c.ticket)
    return [ev.DayRolled(day=cmd.day, previous=state.day, expired=expired, finished=finished)]


def _assign(state: QueueState, cmd: Assign, now: float) -> list[ev.Event]:
    counter = _counter(state, cmd.counter)
    unknown = [s for s in cmd.services if s not in state.lines]
    if unknown:
        raise UnknownService(f"unknown service {unknown[0]!r}")
    if not cmd.services:
        raise BadRequest("a counter must serve at least one service")
    outcome = ({"counter": counter.id, "services": list(cmd.services), "day": state.day}
               if cmd.request else None)
    return [ev.Assigned(counter=counter.id, services=tuple(cmd.services), request=cmd.request,
                        outcome=outcome)]


def _reset(state: QueueState, cmd: ResetLine, now: float) -> list[ev.Event]:
    if cmd.service is not None and cmd.service not in state.lines:
        raise UnknownService(f"unknown service {cmd.service!r}")
    services = (cmd.service,) if cmd.service else tuple(state.lines)
    gone = reset_tickets(state, set(services))
    expired = tuple(label for label in gone if state.tickets[label].status in (WAITING, MISSED))
    finished = tuple(c.ticket for c in state.counters.values() if c.ticket in gone)
    outcome = ({"reset": cmd.service or "all", "expired": len(expired), "day": state.day}
               if cmd.request else None)
    return [ev.LinesReset(services=services, expired=expired, finished=finished,
                          request=cmd.request, outcome=outcome)]


_DECIDERS: dict[type, Callable[[QueueState, Any, float], list[ev.Event]]] = {
    Take: _take, Press: _press, Tick: _tick, Rollover: _rollover, Assign: _assign,
    ResetLine: _reset, **BOOKING_DECIDERS}
