"""The rules of calling: commands in, events out.

``handle(state, command, now)`` checks a command against the state and returns the events it
causes, raising a :class:`~ticketing.errors.QueueError` when the rules refuse it; it never
changes the state. ``apply(state, event)`` folds one event in. Events are plain dicts (they are
stored as JSON and replayed after a restart): ``{"type", "seq", "ts", ...}``; the last event of a
request carries ``request`` (the sender-scoped key) and ``outcome``, so a repeated request gets the
first outcome back and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from datetime import datetime

from ticketing.errors import (BadRequest, Closed, NotAllowed, Stale, UnknownCounter,
                              UnknownService, UnknownTicket)
from ticketing.hours import OpeningRules, status as opening_status
from ticketing.model import CALLED, DONE, MISSED, WAITING, CounterNow, QueueState, Ticket

# How fast today's observed service times replace the prior (exponentially weighted average).
SERVICE_TIME_WEIGHT = 0.2
# Service times outside this range are slips of a finger (next pressed twice) or a forgotten
# counter; they do not move the average.
SERVICE_TIME_RANGE = (10.0, 4 * 3600.0)
UNSET: Any = object()
ACTIONS = ("next", "recall", "skip", "call", "transfer", "open", "close")


# -- commands ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Take:
    """A visitor takes a ticket at a kiosk (``offered``: the kiosk's services, None for all)."""
    service: str
    request: str
    request_id: str = ""
    kiosk: str | None = None
    priority: bool = False
    offered: tuple[str, ...] | None = None
    # The service's opening rules and the site's local time now (None: always open).
    opening: OpeningRules | None = None
    local_time: datetime | None = None


@dataclass(frozen=True)
class Press:
    """A counter's button: next, recall, skip, call, transfer, open, close."""
    counter: str
    action: str
    request: str
    request_id: str = ""
    ticket: str | None = None
    to: str | None = None
    expect: Any = UNSET
    until: float | None = None      # close: reopen by itself at this time
    reason: str | None = None       # close: why, shown on boards ("Istirahat")


@dataclass(frozen=True)
class Tick:
    """Time passes: counters closed for a while reopen when their time is up."""


@dataclass(frozen=True)
class Rollover:
    """A new service day begins: numbering restarts, the old day's lines expire."""
    day: str


@dataclass(frozen=True)
class Assign:
    """Change which services a counter serves (a supervisor's decision, not a button)."""
    counter: str
    services: tuple[str, ...]


@dataclass(frozen=True)
class ResetLine:
    """Start a service's day over (``service`` None: every service): waiting tickets expire and
    numbering restarts. Used after a test run or a mistake at opening time."""
    service: str | None = None


# -- deciding ----------------------------------------------------------------------------------

def repeated(state: QueueState, request: str) -> dict[str, Any] | None:
    """The first outcome of a request already applied, or None."""
    return state.requests.get(request)


def handle(state: QueueState, command: Any, now: float) -> list[dict[str, Any]]:
    """The events ``command`` causes at time ``now``; raises QueueError when refused."""
    if isinstance(command, Take):
        events = _take(state, command)
    elif isinstance(command, Press):
        events = _press(state, command, now)
    elif isinstance(command, Rollover):
        events = _rollover(state, command)
    elif isinstance(command, Assign):
        events = _assign(state, command)
    elif isinstance(command, ResetLine):
        events = _reset(state, command)
    elif isinstance(command, Tick):
        events = [{"type": "opened", "counter": c.id, "scheduled": True}
                  for c in state.counters.values()
                  if not c.open and c.closed_until is not None and c.closed_until <= now]
    else:
        raise BadRequest(f"unknown command {type(command).__name__}")
    for i, event in enumerate(events, start=1):
        event["seq"] = state.seq + i
        event["ts"] = now
        event.setdefault("day", state.day)
    return events


def _take(state: QueueState, cmd: Take) -> list[dict]:
    line = state.lines.get(cmd.service)
    if line is None:
        raise UnknownService(f"unknown service {cmd.service!r}")
    if cmd.offered is not None and cmd.service not in cmd.offered:
        raise UnknownService(f"kiosk {cmd.kiosk} does not offer service {cmd.service!r}")
    if cmd.opening is not None and cmd.local_time is not None:
        # The quota counts tickets taken for this service today, not those transferred in.
        st = opening_status(cmd.opening, cmd.local_time, line.last_number)
        if not st.open:
            raise Closed(st.text_en, st.text_id, st.code)
    number = line.last_number + 1
    label = line.label(number)
    ahead = len(line.priority) if cmd.priority else line.waiting
    return [{"type": "issued", "ticket": label, "service": cmd.service, "number": number,
             "priority": cmd.priority, "kiosk": cmd.kiosk, "request": cmd.request,
             "outcome": {"ticket": label, "service": cmd.service, "priority": cmd.priority,
                         "ahead": ahead, "kiosk": cmd.kiosk, "id": cmd.request_id,
                         "day": state.day}}]


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


def _press(state: QueueState, cmd: Press, now: float) -> list[dict]:
    counter = _counter(state, cmd.counter)
    if cmd.action not in ACTIONS:
        raise BadRequest(f"unknown action {cmd.action!r}")
    if cmd.expect is not UNSET and cmd.expect != counter.ticket:
        raise Stale(f"stale press: {counter.name} holds {counter.ticket or 'no ticket'}, "
                    f"the press was for {cmd.expect or 'no ticket'}")
    current = counter.ticket
    events: list[dict] = []
    after = current

    def finish_current(kind: str = "finished") -> None:
        nonlocal after
        if current:
            events.append({"type": kind, "ticket": current, "counter": counter.id})
            after = None

    def call(label: str | None) -> None:
        nonlocal after
        if label:
            events.append({"type": "called", "ticket": label, "counter": counter.id,
                           "kind": "call"})
            after = label

    def ensure_open() -> None:
        if not counter.open:
            events.append({"type": "opened", "counter": counter.id})

    action = cmd.action
    if action == "next":
        ensure_open()
        finish_current()
        call(next_for(state, counter))
    elif action == "skip":
        if not current:
            raise NotAllowed(f"{counter.name} has no ticket to skip")
        finish_current("missed")
        call(next_for(state, counter))
    elif action == "recall":
        if not current:
            raise NotAllowed(f"{counter.name} has no ticket to recall")
        events.append({"type": "called", "ticket": current, "counter": counter.id,
                       "kind": "recall"})
    elif action == "call":
        label = (cmd.ticket or "").strip().upper()
        ticket = state.tickets.get(label)
        if ticket is None:
            raise UnknownTicket(f"no ticket {label!r} today")
        if ticket.service not in counter.services:
            raise UnknownTicket(f"{label} is for service {ticket.service!r}, "
                                f"which {counter.name} does not serve")
        if ticket.status == CALLED:
            where = state.counters[ticket.counter].name if ticket.counter else "another counter"
            raise NotAllowed(f"{label} is already being served at {where}")
        if ticket.status not in (WAITING, MISSED):
            raise NotAllowed(f"{label} is {ticket.status}; only waiting or missed tickets "
                             "can be called")
        ensure_open()
        finish_current()
        call(label)
    elif action == "transfer":
        if not current:
            raise NotAllowed(f"{counter.name} has no ticket to transfer")
        to = cmd.to or ""
        if to not in state.lines:
            raise UnknownService(f"unknown service {to!r} to transfer to")
        if to == state.tickets[current].service:
            raise NotAllowed(f"{current} is already in service {to!r}")
        events.append({"type": "transferred", "ticket": current, "counter": counter.id,
                       "to": to})
        after = None
    elif action == "open":
        if not counter.open:
            events.append({"type": "opened", "counter": counter.id})
    elif action == "close":
        if cmd.until is not None and cmd.until <= now:
            raise BadRequest("'until' is already past")
        finish_current()
        if counter.open or cmd.until is not None or cmd.reason:
            events.append({"type": "closed", "counter": counter.id, "until": cmd.until,
                           "reason": cmd.reason})
    events.append({"type": "pressed", "counter": counter.id, "action": action,
                   "request": cmd.request, "request_id": cmd.request_id,
                   "outcome": {"counter": counter.id, "action": action, "ticket": after,
                               "previous": current, "id": cmd.request_id, "day": state.day}})
    return events


def _rollover(state: QueueState, cmd: Rollover) -> list[dict]:
    if cmd.day <= state.day:
        return []
    expired = [t.label for t in state.tickets.values() if t.status in (WAITING, MISSED)]
    finished = [c.ticket for c in state.counters.values() if c.ticket]
    return [{"type": "rollover", "day": cmd.day, "previous": state.day, "expired": expired,
             "finished": finished}]


def _assign(state: QueueState, cmd: Assign) -> list[dict]:
    counter = _counter(state, cmd.counter)
    unknown = [s for s in cmd.services if s not in state.lines]
    if unknown:
        raise UnknownService(f"unknown service {unknown[0]!r}")
    if not cmd.services:
        raise BadRequest("a counter must serve at least one service")
    return [{"type": "assigned", "counter": counter.id, "services": list(cmd.services)}]


def _reset(state: QueueState, cmd: ResetLine) -> list[dict]:
    if cmd.service is not None and cmd.service not in state.lines:
        raise UnknownService(f"unknown service {cmd.service!r}")
    services = [cmd.service] if cmd.service else list(state.lines)
    gone = _reset_tickets(state, set(services))
    expired = [label for label in gone if state.tickets[label].status in (WAITING, MISSED)]
    finished = [c.ticket for c in state.counters.values() if c.ticket in gone]
    return [{"type": "reset", "services": services, "expired": expired, "finished": finished}]


def _reset_tickets(state: QueueState, services: set[str]) -> list[str]:
    """The tickets a reset of ``services`` ends: those in their lines now, and those issued by
    them and transferred elsewhere, whose numbers the restarted lines will issue again."""
    return [label for label, t in state.tickets.items()
            if t.service in services or (t.issued_service or t.service) in services]


# -- folding events in -------------------------------------------------------------------------

def apply(state: QueueState, event: dict[str, Any]) -> None:
    """Fold one event into the state (also used to replay the stored log)."""
    kind = event["type"]
    ts = event["ts"]
    if kind == "issued":
        line = state.lines[event["service"]]
        label = event["ticket"]
        line.last_number = max(line.last_number, event["number"])
        state.tickets[label] = Ticket(
            label=label, service=event["service"], number=event["number"],
            priority=event["priority"], issued_at=ts, kiosk=event.get("kiosk"),
            queued_seq=event["seq"], issued_service=event["service"])
        (line.priority if event["priority"] else line.regular).append(label)
    elif kind == "called":
        _called(state, event, ts)
    elif kind == "finished":
        _finished(state, event["ticket"], ts)
    elif kind == "missed":
        ticket = state.tickets[event["ticket"]]
        ticket.status = MISSED
        ticket.finished_at = ts
        state.lines[ticket.service].missed.append(ticket.label)
        _leave_counter(state, ticket)
    elif kind == "transferred":
        ticket = state.tickets[event["ticket"]]
        _leave_counter(state, ticket)
        ticket.transferred_from = ticket.service
        ticket.service = event["to"]
        ticket.status = WAITING
        ticket.queued_seq = event["seq"]
        line = state.lines[event["to"]]
        (line.priority if ticket.priority else line.regular).append(ticket.label)
    elif kind == "opened":
        counter = state.counters[event["counter"]]
        counter.open = True
        counter.closed_until = counter.closed_reason = None
    elif kind == "closed":
        counter = state.counters[event["counter"]]
        counter.open = False
        counter.ticket = None
        counter.since = None
        counter.closed_until = event.get("until")
        counter.closed_reason = event.get("reason")
    elif kind == "pressed":
        state.counters[event["counter"]].request = event.get("request_id") or None
    elif kind == "assigned":
        state.counters[event["counter"]].services = tuple(event["services"])
    elif kind == "rollover":
        state.day = event["day"]
        for line in state.lines.values():
            line.last_number = 0
            line.priority.clear()
            line.regular.clear()
            line.missed.clear()
            line.done = 0
        for counter in state.counters.values():
            counter.ticket = None
            counter.since = None
        state.tickets.clear()
        # Yesterday's request ids stay known for a day, so a late resend is still recognised.
        state.requests = {k: v for k, v in state.requests.items()
                          if v.get("day", "") >= event["previous"]}
    elif kind == "reset":
        services = set(event["services"])
        gone = set(_reset_tickets(state, services))
        for sid in services:
            line = state.lines[sid]
            line.last_number = 0
            line.done = 0
        for line in state.lines.values():
            for queue in (line.priority, line.regular):
                kept = [label for label in queue if label not in gone]
                queue.clear()
                queue.extend(kept)
            line.missed[:] = [label for label in line.missed if label not in gone]
        for counter in state.counters.values():
            if counter.ticket in gone:
                counter.ticket = None
                counter.since = None
        state.tickets = {k: t for k, t in state.tickets.items() if k not in gone}
        # A kiosk resending a take whose ticket the reset ended gets a new ticket, not a label
        # the restarted line may give to someone else.
        state.requests = {k: v for k, v in state.requests.items()
                          if "action" in v or v.get("ticket") not in gone}
    else:
        raise ValueError(f"unknown event type {kind!r}")
    if "request" in event and "outcome" in event:
        outcome = dict(event["outcome"], seq=event["seq"], ts=ts)
        state.requests[event["request"]] = outcome
    state.seq = max(state.seq, event["seq"])


def _called(state: QueueState, event: dict, ts: float) -> None:
    ticket = state.tickets[event["ticket"]]
    counter = state.counters[event["counter"]]
    ticket.calls += 1
    if event["kind"] == "recall":
        return
    line = state.lines[ticket.service]
    if ticket.status == WAITING:
        (line.priority if ticket.priority else line.regular).remove(ticket.label)
    elif ticket.status == MISSED:
        line.missed.remove(ticket.label)
    ticket.status = CALLED
    ticket.counter = counter.id
    ticket.called_at = ts
    ticket.finished_at = None
    if ticket.first_called_at is None:
        ticket.first_called_at = ts
    counter.ticket = ticket.label
    counter.since = ts
    counter.open = True
    counter.closed_until = counter.closed_reason = None


def _finished(state: QueueState, label: str, ts: float) -> None:
    ticket = state.tickets[label]
    ticket.status = DONE
    ticket.finished_at = ts
    line = state.lines[ticket.service]
    line.done += 1
    took = ticket.service_time
    low, high = SERVICE_TIME_RANGE
    if took is not None and low <= took <= high:
        line.avg_service_s += SERVICE_TIME_WEIGHT * (took - line.avg_service_s)
    _leave_counter(state, ticket)


def _leave_counter(state: QueueState, ticket: Ticket) -> None:
    counter = state.counters.get(ticket.counter or "")
    if counter is not None and counter.ticket == ticket.label:
        counter.ticket = None
        counter.since = None


def waiting_order(state: QueueState, service: str) -> list[str]:
    """A service's waiting tickets in the order its counters will call them."""
    line = state.lines[service]
    return [*line.priority, *line.regular]
