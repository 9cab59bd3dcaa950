"""The service layer of the pure core: one way to put a command to the queue.

    >>> decision = decide(state, Take("ktp", request="kiosk-k1:7", kiosk="k1"), now)
    >>> decision.outcome["ticket"], [e.type for e in decision.events]
    ('A001', ['issued'])

:func:`decide` is repeated -> handle -> apply: a request already applied is answered with its
first outcome and changes nothing; a refused command changes nothing and says why; otherwise
the events are folded into the state and returned, for the caller to store and publish. The
queue service, the simulation and the tests all go through it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ticketing import events as ev
from ticketing.errors import QueueError
from ticketing.fold import apply
from ticketing.model import QueueState
from ticketing.rules import handle, repeated

# Events after which the building's capacity changed: estimates are played forward again.
RESHAPING = (ev.Opened, ev.Closed, ev.Assigned, ev.DayRolled, ev.LinesReset, ev.Transferred)


@dataclass(frozen=True)
class Decision:
    """What became of one command.

    :param events: the events applied (empty when repeated or refused).
    :param outcome: the request's outcome (the first one when ``repeated``), None for commands
        that are not requests or were refused.
    :param error: why the rules refused it (nothing changed).
    """
    events: tuple[ev.Event, ...] = ()
    outcome: dict[str, Any] | None = None
    repeated: bool = False
    error: QueueError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def decide(state: QueueState, command: Any, now: float) -> Decision:
    """Put ``command`` to the queue at ``now``: the events are applied to ``state``."""
    request = getattr(command, "request", None)
    first = repeated(state, request)
    if first is not None:
        return Decision(outcome=first, repeated=True)
    try:
        events = handle(state, command, now)
    except QueueError as e:
        return Decision(error=e)
    for event in events:
        apply(state, event)
    return Decision(events=tuple(events),
                    outcome=state.requests.get(request) if request else None)


@dataclass
class Touched:
    """What a batch of events changed, for whoever shows the state (the service's publisher)."""
    services: set[str] = field(default_factory=set)
    counters: set[str] = field(default_factory=set)
    calls: list[ev.Called] = field(default_factory=list)
    reshaped: bool = False

    def add(self, state: QueueState, event: ev.Event) -> None:
        """Note what ``event`` (already applied to ``state``) changed."""
        counter = getattr(event, "counter", None)
        ticket = getattr(event, "ticket", None)
        if isinstance(event, ev.Called):
            self.calls.append(event)
        if counter is not None:
            self.counters.add(counter)
        if ticket is not None and ticket in state.tickets:
            self.services.add(state.tickets[ticket].service)
        if isinstance(event, ev.Transferred):
            self.services.add(event.to)
        if isinstance(event, (ev.Opened, ev.Closed, ev.Assigned)) \
                and event.counter in state.counters:
            # open counters change every estimate of the services they serve
            self.services.update(state.counters[event.counter].services)
        if isinstance(event, (ev.DayRolled, ev.LinesReset)):
            self.services.update(state.lines)
            self.counters.update(state.counters)
        if isinstance(event, RESHAPING):
            self.reshaped = True
