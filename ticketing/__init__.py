"""The queue rules of one building, with no I/O: tickets, services, counters and calling.

    >>> state = QueueState.new(day="2026-11-28", services=..., counters=...)
    >>> decision = decide(state, Take("ktp", request="kiosk-k1:1", kiosk="k1"), now=...)
    >>> decision.outcome["ticket"]

``decide`` is repeated -> ``handle`` (decides, never changes the state) -> ``apply`` (folds an
event in). Events are frozen dataclasses (:mod:`ticketing.events`); the queue service stores
each before it publishes anything, and replays them after a restart.
"""

from ticketing import events
from ticketing.commands import Assign, Press, ResetLine, Rollover, Take, Tick
from ticketing.day import service_day
from ticketing.errors import (BadRequest, Closed, NotAllowed, QueueError, Stale, TooSoon,
                              UnknownCounter, UnknownService, UnknownTicket)
from ticketing.fold import apply, waiting_order
from ticketing.model import Action, CounterNow, Line, QueueState, Status, Ticket
from ticketing.rules import handle
from ticketing.service import Decision, Touched, decide

__all__ = [
    "QueueError", "BadRequest", "Closed", "NotAllowed", "Stale", "TooSoon", "UnknownCounter",
    "UnknownService", "UnknownTicket", "Action", "Status", "CounterNow", "Line", "QueueState",
    "Ticket", "Assign", "Press", "ResetLine", "Rollover", "Take", "Tick", "apply", "handle",
    "decide", "Decision", "Touched", "events", "waiting_order", "service_day",
]
