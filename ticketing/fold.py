"""Folding events into the state: ``apply(state, event)``, one small function per event type.

The same ``apply`` serves the queue service (after deciding), the store's replay after a
restart, the daily report and the simulation. It accepts the events ``handle`` returns and the
stored rows of any version (``{"type": ...}`` dicts), which it reads through
:func:`ticketing.events.from_dict`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from ticketing import events as ev
from ticketing.booking import CHECKED_IN, EXPIRED, Booking
from ticketing.model import CALLED, DONE, MISSED, WAITING, QueueState, Ticket

# How fast today's observed service times replace the prior (exponentially weighted average).
SERVICE_TIME_WEIGHT = 0.2
# Service times outside this range are slips of a finger (next pressed twice) or a forgotten
# counter; they do not move the average.
SERVICE_TIME_RANGE = (10.0, 4 * 3600.0)

E = TypeVar("E", bound=ev.Event)
_FOLDS: dict[type[ev.Event], Callable[[QueueState, Any], None]] = {}


def folds(kind: type[E]) -> Callable[[Callable[[QueueState, E], None]], Callable]:
    def register(fn: Callable[[QueueState, E], None]) -> Callable:
        _FOLDS[kind] = fn
        return fn
    return register


def apply(state: QueueState, event: ev.Event | dict[str, Any]) -> None:
    """Fold one event in (also used to replay the stored log)."""
    event = ev.event_of(event)
    _FOLDS[type(event)](state, event)
    request, outcome = getattr(event, "request", None), getattr(event, "outcome", None)
    if request and outcome is not None:
        state.requests[request] = dict(outcome, seq=event.seq, ts=event.ts)
    state.seq = max(state.seq, event.seq)


def waiting_order(state: QueueState, service: str) -> list[str]:
    """A service's waiting tickets in the order its counters will call them."""
    line = state.lines[service]
    return [*line.priority, *line.regular]


def reset_tickets(state: QueueState, services: set[str]) -> list[str]:
    """The tickets a reset of ``services`` ends: those in their lines now, and those issued by
    them and transferred elsewhere, whose numbers the restarted lines will issue again."""
    return [label for label, t in state.tickets.items()
            if t.service in services or (t.issued_service or t.service) in services]


@folds(ev.Issued)
def _issued(state: QueueState, e: ev.Issued) -> None:
    line = state.lines[e.service]
    line.last_number = max(line.last_number, e.number)
    state.tickets[e.ticket] = Ticket(
        label=e.ticket, service=e.service, number=e.number, priority=e.priority,
        issued_at=e.ts, kiosk=e.kiosk, queued_seq=e.seq, issued_service=e.service,
        booking=e.booking, booked_for=e.place)
    if e.booking is not None and e.place is not None and not e.priority:
        _place_booked(state, line, state.tickets[e.ticket])
        return
    (line.priority if e.priority else line.regular).append(e.ticket)


def _place_booked(state: QueueState, line: Any, ticket: Ticket) -> None:
    """A checked-in booking joins before the first ticket that joined after its session began
    (ticketing.booking); it takes that ticket's turn in the calling order across services."""
    from ticketing.booking_rules import place_index
    i = place_index(state, line, ticket.booked_for)
    if i < len(line.regular):
        ticket.queued_seq = state.tickets[line.regular[i]].queued_seq
    line.regular.insert(i, ticket.label)
    line.booked += 1


@folds(ev.Called)
def _called(state: QueueState, e: ev.Called) -> None:
    ticket = state.tickets[e.ticket]
    counter = state.counters[e.counter]
    ticket.calls += 1
    counter.last_call_at = e.ts
    if e.kind == "recall":
        return
    line = state.lines[ticket.service]
    if ticket.status == WAITING:
        (line.priority if ticket.priority else line.regular).remove(ticket.label)
    elif ticket.status == MISSED:
        line.missed.remove(ticket.label)
    ticket.status = CALLED
    ticket.counter = counter.id
    ticket.called_at = e.ts
    ticket.finished_at = None
    if ticket.first_called_at is None:
        ticket.first_called_at = e.ts
    counter.ticket = ticket.label
    counter.since = e.ts
    counter.open = True
    counter.closed_until = counter.closed_reason = None


@folds(ev.Finished)
def _finished(state: QueueState, e: ev.Finished) -> None:
    ticket = state.tickets[e.ticket]
    ticket.status = DONE
    ticket.finished_at = e.ts
    line = state.lines[ticket.service]
    line.done += 1
    took = ticket.service_time
    low, high = SERVICE_TIME_RANGE
    if took is not None and low <= took <= high:
        line.avg_service_s += SERVICE_TIME_WEIGHT * (took - line.avg_service_s)
    _leave_counter(state, ticket)


@folds(ev.Missed)
def _missed(state: QueueState, e: ev.Missed) -> None:
    ticket = state.tickets[e.ticket]
    ticket.status = MISSED
    ticket.finished_at = e.ts
    state.lines[ticket.service].missed.append(ticket.label)
    _leave_counter(state, ticket)


@folds(ev.Transferred)
def _transferred(state: QueueState, e: ev.Transferred) -> None:
    ticket = state.tickets[e.ticket]
    _leave_counter(state, ticket)
    ticket.transferred_from = ticket.service
    ticket.service = e.to
    ticket.status = WAITING
    ticket.queued_seq = e.seq
    line = state.lines[e.to]
    (line.priority if ticket.priority else line.regular).append(ticket.label)


@folds(ev.Opened)
def _opened(state: QueueState, e: ev.Opened) -> None:
    counter = state.counters[e.counter]
    counter.open = True
    counter.closed_until = counter.closed_reason = None


@folds(ev.Closed)
def _closed(state: QueueState, e: ev.Closed) -> None:
    counter = state.counters[e.counter]
    counter.open = False
    counter.ticket = None
    counter.since = None
    counter.closed_until = e.until
    counter.closed_reason = e.reason


@folds(ev.Pressed)
def _pressed(state: QueueState, e: ev.Pressed) -> None:
    state.counters[e.counter].request = e.request_id or None


@folds(ev.Assigned)
def _assigned(state: QueueState, e: ev.Assigned) -> None:
    state.counters[e.counter].services = tuple(e.services)


@folds(ev.DayRolled)
def _rolled(state: QueueState, e: ev.DayRolled) -> None:
    state.day = e.day
    for line in state.lines.values():
        line.last_number = 0
        line.priority.clear()
        line.regular.clear()
        line.missed.clear()
        line.done = 0
        line.booked = 0
    for counter in state.counters.values():
        counter.ticket = None
        counter.since = None
    state.tickets.clear()
    # Yesterday's request ids stay known for a day, so a late resend is still recognised.
    state.requests = {k: v for k, v in state.requests.items()
                      if v.get("day", "") >= e.previous}


@folds(ev.LinesReset)
def _reset(state: QueueState, e: ev.LinesReset) -> None:
    services = set(e.services)
    gone = set(reset_tickets(state, services))
    for sid in services:
        line = state.lines[sid]
        line.last_number = 0
        line.done = 0
        line.booked = 0
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


# The bookings' folds keep state.booking_index in step (ticketing.booking_index): the rules
# read it instead of scanning every booking.

@folds(ev.Booked)
def _booked(state: QueueState, e: ev.Booked) -> None:
    old = state.bookings.get(e.code)
    if old is not None:
        state.booking_index.remove(old, replaced=True)
    b = state.bookings[e.code] = Booking(
        code=e.code, service=e.service, day=e.for_day, session=e.session, start=e.start,
        checkin_from=e.checkin_from, checkin_until=e.checkin_until, nik_hash=e.nik_hash,
        nik_last4=e.nik_last4, keep_until=e.keep_until, phone=e.phone, booked_at=e.ts)
    state.booking_index.add(b)


@folds(ev.BookingCancelled)
def _booking_cancelled(state: QueueState, e: ev.BookingCancelled) -> None:
    b = state.bookings.pop(e.code, None)
    if b is not None:
        state.booking_index.remove(b)


@folds(ev.CheckedIn)
def _checked_in(state: QueueState, e: ev.CheckedIn) -> None:
    b = state.bookings.get(e.code)
    if b is not None:
        old = b.status
        b.status, b.ticket, b.phone = CHECKED_IN, e.ticket, None
        state.booking_index.changed(b, old, b.keep_until)


@folds(ev.BookingsExpired)
def _bookings_expired(state: QueueState, e: ev.BookingsExpired) -> None:
    keep = e.keep_until or {}
    for code in e.expired:
        b = state.bookings.get(code)
        if b is not None:
            old_status, old_keep = b.status, b.keep_until
            b.status, b.phone = EXPIRED, None
            b.keep_until = max(b.keep_until, keep.get(code, ""))
            state.booking_index.changed(b, old_status, old_keep)
    for code in e.purged:
        b = state.bookings.pop(code, None)
        if b is not None:
            state.booking_index.remove(b)


def _leave_counter(state: QueueState, ticket: Ticket) -> None:
    counter = state.counters.get(ticket.counter or "")
    if counter is not None and counter.ticket == ticket.label:
        counter.ticket = None
        counter.since = None


assert set(_FOLDS) == set(ev.EVENT_TYPES.values()), "every event type folds"
