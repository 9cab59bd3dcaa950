"""The queue rules of one building, with no I/O: tickets, services, counters and calling.

    >>> state = QueueState.new(day="2026-11-28", services=..., counters=...)
    >>> events = handle(state, Take("ktp", request="kiosk-k1:1", kiosk="k1"), now=...)
    >>> for e in events: apply(state, e)

``handle`` decides (it never changes the state), ``apply`` folds an event in; the queue service
stores each event before it publishes anything, and replays them after a restart.
"""

from ticketing.day import service_day
from ticketing.errors import (BadRequest, Closed, NotAllowed, QueueError, Stale, UnknownCounter,
                              UnknownService, UnknownTicket)
from ticketing.model import CounterNow, Line, QueueState, Ticket
from ticketing.rules import (Assign, Press, ResetLine, Rollover, Take, Tick, apply, handle,
                             waiting_order)

__all__ = [
    "QueueError", "BadRequest", "Closed", "NotAllowed", "Stale", "UnknownCounter",
    "UnknownService", "UnknownTicket", "CounterNow", "Line", "QueueState", "Ticket", "Assign",
    "Press", "ResetLine", "Rollover", "Take", "Tick", "apply", "handle", "waiting_order",
    "service_day",
]
