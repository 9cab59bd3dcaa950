"""The queue rules of one building, with no I/O: tickets, services, counters and calling.

    >>> state = QueueState.new(day="2026-11-28", services=..., counters=...)
    >>> events = handle(state, Take("ktp", request="k1:1", kiosk="k1"), now=...)
    >>> for e in events: apply(state, e)

``handle`` decides (it never changes the state), ``apply`` folds an event in; the queue service
stores each event before it publishes anything, and replays them after a restart.
"""

from ticketing.errors import (BadRequest, NotAllowed, QueueError, Stale, UnknownCounter,
                              UnknownService, UnknownTicket)
from ticketing.model import CounterNow, Line, QueueState, Ticket
from ticketing.rules import (Assign, Press, ResetLine, Rollover, Take, apply, handle,
                             waiting_order)
from ticketing.day import service_day

__all__ = [
    "QueueError", "BadRequest", "NotAllowed", "Stale", "UnknownCounter", "UnknownService",
    "UnknownTicket", "CounterNow", "Line", "QueueState", "Ticket", "Assign", "Press", "ResetLine",
    "Rollover", "Take", "apply", "handle", "waiting_order", "service_day",
]
