"""The queue rules of one building, with no I/O: tickets, services, counters and calling.

    >>> state = QueueState.new(day="2026-11-28", services=..., counters=...)
    >>> decision = decide(state, Take("ktp", request="kiosk-k1:1", kiosk="k1"), now=...)
    >>> decision.outcome["ticket"]

``decide`` is repeated -> ``handle`` (decides, never changes the state) -> ``apply`` (folds an
event in). Events are frozen dataclasses (:mod:`ticketing.events`); the queue service stores
each before it publishes anything, and replays them after a restart.
"""

import importlib

# Re-exported lazily (PEP 562): ``from ticketing.model import Action`` in a board or a kiosk
# loads that module alone, not the rules and their hundred dataclasses (6 MB of generated
# methods that only the queue service runs).
_EXPORTS = {
    "events": None,
    "Assign": "commands", "Press": "commands", "ResetLine": "commands", "Rollover": "commands",
    "Take": "commands", "Tick": "commands",
    "service_day": "day",
    "BadRequest": "errors", "Closed": "errors", "NotAllowed": "errors", "QueueError": "errors",
    "Stale": "errors", "TooSoon": "errors", "UnknownCounter": "errors",
    "UnknownService": "errors", "UnknownTicket": "errors",
    "apply": "fold", "waiting_order": "fold",
    "Action": "model", "CounterNow": "model", "Line": "model", "QueueState": "model",
    "Status": "model", "Ticket": "model",
    "handle": "rules",
    "Decision": "service", "Touched": "service", "decide": "service",
}
__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'ticketing' has no attribute {name!r}")
    where = _EXPORTS[name]
    value = (importlib.import_module(f"ticketing.{name}") if where is None
             else getattr(importlib.import_module(f"ticketing.{where}"), name))
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
