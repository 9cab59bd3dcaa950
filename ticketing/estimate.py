"""Waiting-time estimates: the building played forward with what today has shown.

    >>> seen = Observed()                                  # the caller holds it all day
    >>> projection = project(state, now, observed=seen)    # about once a second
    >>> wait_from(projection, "ktp", order, ahead=3)       # per take: seconds, or None
    >>> retained_waits(services, counters, now)["ktp"]     # the public page: one per ticket

:func:`project` plays the building forward: every open counter becomes free when its current
visitor is likely done (today's visitors who took as long say how much longer: ``Observed``),
a counter closed until a set time, or still to open in the morning, from then; each free counter
takes the ticket ``next`` would give it, priority first, then the longest in line across its
services, exactly as the rules call, and is busy for the day's mean service time (no-shows cost
only the day's wait before a skip). Visitors are told the median of that (:func:`median_share`),
stretched for priority visitors still to come. Nothing is cached here: callers hold the
projection and the ``Observed``. The playing itself is :mod:`ticketing.projection`; this module
builds its inputs and re-exports its names.

The page knows only the retained messages, not the order across services: it orders each
service's tickets by their place in their own line (:func:`retained_waits`) and stretches them
to the published ``est_wait_s``. ``bench/estimate_accuracy.py`` measures both on simulated days
(``simulation/``, outside the shipped packages).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ticketing.model import QueueState
from ticketing.observed import RESIDUAL_FLOOR, Observed  # noqa: F401 (tests read it from here)
from ticketing.projection import (  # noqa: F401 (re-exported: the estimate's one import)
    NO_SHOW_PRIOR, NO_SHOW_PRIOR_WEIGHT, NO_SHOW_S, PRIORITY_LOAD_MAX, RESIDUAL_UNKNOWN, Desk,
    Entry, LineLoad, Projection, free_in, median_share, play, share, wait_from)
from ticketing.rules import waiting_order

# -- from the queue state (the queue service) ----------------------------------------------------

def loads_from_state(state: QueueState, observed: Observed | None = None,
                     now: float | None = None) -> tuple[dict[str, LineLoad], list[Desk]]:
    """The estimate's inputs from the queue state; with ``observed`` (updated to ``state``),
    today's figures replace the line's running average and the rules of thumb."""
    if observed is None:
        lines = {sid: LineLoad(line.waiting, line.avg_service_s, line.done, len(line.missed),
                               priority=len(line.priority))
                 for sid, line in state.lines.items()}
    else:
        lines = {sid: LineLoad(line.waiting, observed.service_s(sid, line.avg_service_s),
                               line.done, len(line.missed), skip_s=observed.skip_s(sid),
                               priority=len(line.priority),
                               priority_rate=observed.priority_rate(sid, now),
                               cv=observed.cv(sid))
                 for sid, line in state.lines.items()}
    desks = []
    pickup = observed.pickup_s() if observed is not None else None
    for c in state.counters.values():
        if not c.open:
            # A counter closed until a set time (a break) is capacity again from then on, and
            # so is one whose staff are late in the morning (from when they are expected).
            until = c.closed_until
            if until is None and observed is not None and now is not None:
                until = observed.opens_at(c.id, now)
            if until is not None:
                desks.append(Desk(tuple(c.services), reopens_at=until))
            continue
        ticket = state.tickets.get(c.ticket) if c.ticket else None
        if ticket is None:
            away = observed.back_in(c.id, now) if observed and now is not None else None
            desks.append(Desk(tuple(c.services), free_after=pickup if away is None else away))
            continue
        free = None
        if observed is not None and now is not None and c.since is not None:
            load = lines.get(ticket.service)
            free = observed.remaining_s(ticket.service, max(0.0, now - c.since),
                                        load.avg_service_s if load else 0.0)
        desks.append(Desk(tuple(c.services), ticket.service, c.since, free_after=free))
    return lines, desks


def project(state: QueueState, now: float | None = None, *,
            observed: Observed | None = None) -> Projection:
    """The whole building played forward from ``state`` at ``now``, in the true calling order.

    Nothing is cached here: the caller holds the projection as long as it stays good (the queue
    service for about a second, see :func:`wait_from`), and ``observed``, the day's figures,
    which this updates (without it a fresh one reads all of today's tickets)."""
    observed = (observed or Observed()).update(state, now)
    lines, desks = loads_from_state(state, observed, now)
    queues = {sid: [(0, state.tickets[t].queued_seq, t) for t in line.priority]
              + [(1, state.tickets[t].queued_seq, t) for t in line.regular]
              for sid, line in state.lines.items()}
    return play(queues, lines, desks, now)


def wait_for(state: QueueState, service: str, ahead: int, *, now: float | None = None,
             projection: Projection | None = None) -> float | None:
    """Estimated seconds until the ticket with ``ahead`` tickets before it in ``service``'s
    calling order is called (``ahead`` = the number waiting: a ticket taken now); None while no
    counter serving the service is open. Pass ``now`` so busy counters count their time spent,
    and ``projection`` (``project(state, now)``) when asking about several services at once.
    """
    if projection is None:
        projection = project(state, now)
    return projection.wait(service, waiting_order(state, service), ahead)


def service_wait(state: QueueState, service: str, *, now: float | None = None,
                 projection: Projection | None = None) -> float | None:
    """Estimated wait of a ticket taken now."""
    return wait_for(state, service, state.lines[service].waiting, now=now, projection=projection)


# -- from the retained messages (the public page) ------------------------------------------------

def loads_from_retained(services: Mapping[str, Mapping[str, Any]],
                        counters: Mapping[str, Mapping[str, Any]]
                        ) -> tuple[dict[str, LineLoad], list[Desk]]:
    """The estimate's inputs from decoded ``service/<id>/state`` and ``counter/<id>/state``
    payloads (dicts keyed by id). A counter a service names open but whose own state has not
    arrived yet counts as serving that service alone."""
    lines = {sid: LineLoad(len(s.get("waiting_tickets") or ()),
                           float(s.get("avg_service_s") or 0.0),
                           int(s.get("done") or 0), len(s.get("missed") or ()))
             for sid, s in services.items()}
    desks = []
    for c in counters.values():
        if c.get("open"):
            busy = c.get("service") if c.get("ticket") else None
            desks.append(Desk(tuple(c.get("services") or ()), busy,
                              c.get("since") if busy else None))
        elif c.get("closed_until") is not None:
            desks.append(Desk(tuple(c.get("services") or ()),
                              reopens_at=float(c["closed_until"])))
    for sid, s in services.items():
        for cid in s.get("counters_open") or ():
            if cid not in counters:
                desks.append(Desk((sid,)))
    return lines, desks


def retained_queues(services: Mapping[str, Mapping[str, Any]]) -> dict[str, list[Entry]]:
    """Each service's waiting tickets, keyed for merging across services by their place in
    their own line: the k-th of n joined at about k/n of the time the line took to build."""
    queues = {}
    for sid, s in services.items():
        tickets = list(s.get("waiting_tickets") or ())
        n, prio = len(tickets), int(s.get("priority_waiting") or 0)
        queues[sid] = [(0 if k < prio else 1, (k + 1) / (n + 1), t)
                       for k, t in enumerate(tickets)]
    return queues


def retained_waits(services: Mapping[str, Mapping[str, Any]],
                   counters: Mapping[str, Mapping[str, Any]],
                   now: float | None = None) -> dict[str, list[float] | None]:
    """What the page tells visitors, per service: ``result[sid][k]`` is the wait of the ticket at
    position ``k`` of ``waiting_tickets``, the last entry a ticket taken now; None while no
    counter is open for the service. When the queue service published ``est_wait_s`` the
    service's figures are stretched to agree with it (it knows the order across services)."""
    lines, desks = loads_from_retained(services, counters)
    p = play(retained_queues(services), lines, desks, now)
    out: dict[str, list[float] | None] = {}
    for sid, s in services.items():
        tickets = list(s.get("waiting_tickets") or ())
        mine = [p.wait(sid, tickets, k) for k in range(len(tickets) + 1)]
        out[sid] = None if mine[-1] is None else scale_to(mine, s.get("est_wait_s"))
    return out


def scale_to(waits: list[float], published: float | None) -> list[float]:
    """Stretch ``waits`` (the last one: a ticket taken now) so the last equals ``published``.

    >>> scale_to([0.0, 300.0, 600.0], 900.0)
    [0.0, 450.0, 900.0]
    """
    if published is None:
        return waits
    last = waits[-1]
    if last <= 0:
        n = len(waits) - 1
        return [round(published * k / n, 1) if n else float(published) for k in range(len(waits))]
    factor = float(published) / last
    return [round(w * factor, 1) for w in waits]
