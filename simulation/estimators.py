"""The estimators a simulated day can print on its tickets: the real one and two to beat.

Each is ``estimator(state, service, ahead, now) -> seconds | None`` (None: no counter open).

- :func:`current_estimate`: what the queue service prints (``ticketing.estimate``);
- :func:`naive_estimate`: tickets ahead x the day's mean service time / open counters (issue 16's
  baseline: the estimate must beat it on every scenario);
- :func:`simple_estimate`: the project's first estimate, kept for the record.
"""

from __future__ import annotations

from ticketing import QueueState
from ticketing.estimate import project, service_wait, wait_for
from ticketing.model import Status
from ticketing.observed import Observed
from ticketing.rules import waiting_order


class CurrentEstimate:
    """The estimator the queue service uses (``ticketing.estimate``), holding the day's
    figures (``Observed``) across calls as the queue service does."""

    def __init__(self):
        self.observed = Observed()

    def __call__(self, state: QueueState, service: str, ahead: int, now: float) -> float | None:
        return wait_for(state, service, ahead, now=now,
                        projection=project(state, now, observed=self.observed))


def current_estimate(state: QueueState, service: str, ahead: int, now: float) -> float | None:
    """One call of :class:`CurrentEstimate` (reads all of the day's tickets)."""
    return wait_for(state, service, ahead, now=now)


class NaiveEstimate:
    """Tickets ahead x the mean service time so far today (the TOML's prior before the first
    visitor is done) / the open counters serving the service, each counted whole.

    Keeps running sums per service, so a day of tickets costs O(waiting) per estimate."""

    def __init__(self):
        self.day: str | None = None
        self.seen = 0
        self.pending: set[str] = set()
        self.sums: dict[str, list[float]] = {}

    def _update(self, state: QueueState) -> None:
        if state.day != self.day:
            self.day, self.seen, self.pending, self.sums = state.day, 0, set(), {}
        labels = list(state.tickets)
        self.pending.update(labels[self.seen:])
        self.seen = len(labels)
        for label in list(self.pending):
            t = state.tickets.get(label)
            if t is None or t.status == Status.EXPIRED:
                self.pending.discard(label)
            elif t.status == Status.DONE:
                self.pending.discard(label)
                if t.service_time is not None:
                    s = self.sums.setdefault(t.service, [0.0, 0.0])
                    s[0] += t.service_time
                    s[1] += 1

    def __call__(self, state: QueueState, service: str, ahead: int, now: float) -> float | None:
        self._update(state)
        counters = sum(1 for c in state.counters.values() if c.open and service in c.services)
        if not counters:
            return None
        total, n = self.sums.get(service, (0.0, 0.0))
        mean = total / n if n else state.lines[service].avg_service_s
        return ahead * mean / counters


def naive_estimate(state: QueueState, service: str, ahead: int, now: float) -> float | None:
    """One call of :class:`NaiveEstimate` (a day's run should hold one instance instead)."""
    return NaiveEstimate()(state, service, ahead, now)


def simple_estimate(state: QueueState, service: str, ahead: int, now: float) -> float | None:
    """The first estimate, kept to compare against: (tickets ahead + half of each busy counter)
    times the average, over the open counters (each split evenly between its services)."""
    capacity = sum(1.0 / len(c.services) for c in state.counters.values()
                   if c.open and service in c.services)
    if capacity <= 0:
        return None
    busy = sum(0.5 for c in state.counters.values()
               if c.open and c.ticket and service in c.services)
    return (ahead + busy) * state.lines[service].avg_service_s / capacity


def retained_view(state: QueueState, now: float) -> tuple[dict[str, dict], dict[str, dict]]:
    """The fields of the retained ``service/<id>/state`` and ``counter/<id>/state`` messages
    the page's estimate reads (as ``mqtt.views`` publishes them)."""
    projection = project(state, now)
    services = {}
    for sid, line in state.lines.items():
        services[sid] = {
            "waiting_tickets": waiting_order(state, sid), "priority_waiting": len(line.priority),
            "avg_service_s": round(line.avg_service_s, 1), "done": line.done,
            "missed": list(line.missed),
            "est_wait_s": service_wait(state, sid, now=now, projection=projection),
            "counters_open": [c.id for c in state.counters.values()
                              if c.open and sid in c.services], "ts": now}
    counters = {}
    for cid, c in state.counters.items():
        ticket = state.tickets.get(c.ticket) if c.ticket else None
        counters[cid] = {"open": c.open, "services": list(c.services), "ticket": c.ticket,
                         "service": ticket.service if ticket else None, "since": c.since,
                         "closed_until": c.closed_until}
    return services, counters
