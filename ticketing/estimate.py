"""Waiting-time estimates from the service times observed today.

Each service keeps an exponentially weighted average of how long a visitor takes at the counter
(seeded from the TOML's ``average_minutes``); a ticket's wait is the work ahead of it shared by the
counters open for that service now.
"""

from __future__ import annotations

from ticketing.model import QueueState


def servers(state: QueueState, service: str) -> float:
    """Open counters serving ``service``; a counter serving k services counts 1/k of itself
    for each, since it splits its day between them."""
    return sum(1.0 / len(c.services) for c in state.counters.values()
               if c.open and service in c.services)


def wait_for(state: QueueState, service: str, ahead: int) -> float | None:
    """Estimated seconds until a ticket with ``ahead`` tickets before it is called; None while no
    counter serving the service is open."""
    capacity = servers(state, service)
    if capacity <= 0:
        return None
    line = state.lines[service]
    # Each busy counter is on average half way through its current visitor.
    busy = sum(0.5 for c in state.counters.values()
               if c.open and c.ticket and service in c.services)
    return round((ahead + busy) * line.avg_service_s / capacity, 1)


def service_wait(state: QueueState, service: str) -> float | None:
    """Estimated wait of a ticket taken now."""
    return wait_for(state, service, state.lines[service].waiting)
