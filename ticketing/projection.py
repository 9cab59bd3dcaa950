"""The building played forward: each open counter, as it becomes free, takes the ticket the
rules would give it (:func:`play`), and what visitors are told of that (:class:`Projection`).

    >>> lines = {"ktp": LineLoad(waiting=1, avg_service_s=300)}
    >>> play({"ktp": [(1, 1, "A001")]}, lines, [Desk(("ktp",))], now=0.0).new_ticket
    {'ktp': 288.0}

:mod:`ticketing.estimate` builds the inputs (``LineLoad``, ``Desk``) from the queue state or from
the retained messages and re-exports every name here.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ticketing.observed import RESIDUAL_FLOOR

# Without a clock reading the estimate assumes each busy counter is half way through.
RESIDUAL_UNKNOWN = 0.5
# How long a counter waits for a visitor who does not come before it skips to the next one.
NO_SHOW_S = 60.0
# No-show rate before today's data says otherwise, and how many tickets that prior weighs.
NO_SHOW_PRIOR, NO_SHOW_PRIOR_WEIGHT = 0.05, 20.0
# Priority visitors still to come can take at most this share of a service's counters.
PRIORITY_LOAD_MAX = 0.5


@dataclass(frozen=True)
class LineLoad:
    """One service's line as the estimate sees it."""
    waiting: int
    avg_service_s: float
    done: int = 0
    missed: int = 0
    skip_s: float = NO_SHOW_S         # how long a counter waits for a no-show (today's figure)
    priority: int = 0                 # priority tickets among ``waiting``
    priority_rate: float = 0.0        # priority tickets per second taken lately
    cv: float = 0.0                   # spread of service times (0: report the mean wait)

    @property
    def no_show(self) -> float:
        """Today's no-show rate, pulled towards the prior while few tickets are done."""
        return ((self.missed + NO_SHOW_PRIOR * NO_SHOW_PRIOR_WEIGHT)
                / (self.done + self.missed + NO_SHOW_PRIOR_WEIGHT))

    @property
    def per_ticket_s(self) -> float:
        """Counter time one ticket ahead costs on average, no-shows included."""
        m = self.no_show
        return (1 - m) * self.avg_service_s + m * min(self.skip_s, self.avg_service_s)


@dataclass(frozen=True)
class Desk:
    """An open counter: the services it serves and what it is doing now."""
    services: tuple[str, ...]
    busy_service: str | None = None   # the service of the ticket it holds (None: idle)
    busy_since: float | None = None   # when that ticket was called
    reopens_at: float | None = None   # closed for a break until then (staff said so)
    free_after: float | None = None   # seconds until free, when the caller knows better


# One waiting ticket in calling order: (0 priority / 1 regular, order key, label).
Entry = tuple[int, float, str]


@dataclass
class Projection:
    """Seconds from ``now`` until each waiting ticket is called (``starts``), and until a ticket
    taken now would be, per service (``new_ticket``; absent: no counter open for it). These are
    means; ``fixed`` and ``new_fixed`` hold the part of each that is known, not drawn from
    service times (a counter back from a break at a set time, an idle counter's pickup).
    ``told`` and ``new_told`` are what a visitor is told of them (:meth:`tell`)."""
    starts: dict[str, float]
    new_ticket: dict[str, float]
    lines: dict[str, LineLoad]
    desks: list[Desk]
    fixed: dict[str, float] = field(default_factory=dict)
    new_fixed: dict[str, float] = field(default_factory=dict)
    told: dict[str, float] = field(default_factory=dict)
    new_told: dict[str, float] = field(default_factory=dict)
    capacities: dict[str, float] = field(default_factory=dict)

    def capacity(self, service: str) -> float:
        """Open counters serving ``service``, each counted by the share it gives it."""
        if service not in self.capacities:
            self.capacities[service] = sum(share(d, service, self.lines) for d in self.desks)
        return self.capacities[service]

    def wait(self, service: str, order: Sequence[str], ahead: int) -> float | None:
        """The wait of the ticket with ``ahead`` tickets before it in ``order`` (the service's
        calling order); past the end, the extra tickets share the service's open counters."""
        return wait_from(self, service, order, ahead)

    def tell(self, queues: Mapping[str, Sequence[Entry]]) -> "Projection":
        """What visitors are told: the part of each mean drawn from service times at its median
        (:func:`median_share`), the known part as it is, and never less than the ticket before
        in the same line was told (a known break and a drawn visit can otherwise cross)."""
        for desk in self.desks:       # every service's capacity in one pass over the desks
            for sid in desk.services:
                self.capacities[sid] = self.capacities.get(sid, 0.0) + share(desk, sid,
                                                                             self.lines)
        starts, fixed, told = self.starts, self.fixed, self.told
        for sid, queue in queues.items():
            load, capacity = self.lines.get(sid), self.capacity(sid)
            spread = (load.cv if load is not None else 0.0) ** 2
            per = 1.0 / capacity if capacity > 0 else 0.0
            most = 0.0
            for k, (_, _, label) in enumerate(queue):
                mean = starts.get(label)
                if mean is not None:
                    known = min(mean, fixed.get(label, 0.0))
                    # median_share inlined: this runs for every waiting ticket of the building
                    median = known + (mean - known) / (1.0 + spread / (1.0 + k * per)) ** 0.5
                    most = median if median > most else most
                    told[label] = round(most, 1)
            if sid in self.new_ticket:
                mean = self.new_ticket[sid]
                known = min(mean, self.new_fixed.get(sid, 0.0))
                median = known + (mean - known) * median_share(spread ** 0.5,
                                                                1.0 + len(queue) * per)
                self.new_told[sid] = round(max(most, median), 1)
        return self

    def priority_stretch(self, service: str, ahead: int, capacity: float) -> float:
        """How much priority visitors still to come lengthen the wait of a regular ticket with
        ``ahead`` before it: while it waits W they arrive at the day's recent rate and each
        goes first, so W' = W + rate * W' * per_ticket / capacity."""
        load = self.lines.get(service)
        if load is None or not load.priority_rate or ahead < load.priority or capacity <= 0:
            return 1.0
        return 1.0 / (1.0 - min(PRIORITY_LOAD_MAX,
                                load.priority_rate * load.per_ticket_s / capacity))


def median_share(cv: float, periods: float) -> float:
    """The median of a wait of ``periods`` service times of spread ``cv`` (standard deviation
    over mean), as a share of its mean. The estimate reports the median: half the visitors wait
    less, half more, which makes the typical error smallest. Such a sum is about lognormal with
    spread cv / sqrt(periods), whose median is the mean / sqrt(1 + cv^2 / periods).

    >>> round(median_share(0.6, 1), 3), round(median_share(0.6, 9), 3), median_share(0.0, 1)
    (0.857, 0.981, 1.0)
    """
    return 1.0 / (1.0 + cv * cv / max(1.0, periods)) ** 0.5


def share(desk: Desk, service: str, lines: Mapping[str, LineLoad]) -> float:
    """The share of ``desk``'s time that goes to ``service``: its waiting work (counting one more
    ticket) over all the work waiting for the desk."""
    if service not in desk.services or service not in lines:
        return 0.0
    own = lines[service]
    mine = (own.waiting + 1) * own.per_ticket_s
    total = mine + sum(lines[s].waiting * lines[s].per_ticket_s
                       for s in desk.services if s != service and s in lines)
    return mine / total if total > 0 else 1.0


def free_in(desk: Desk, lines: Mapping[str, LineLoad], now: float | None) -> float:
    """Seconds until ``desk`` is done with its current visitor (0 when idle), or back from its
    break."""
    if desk.free_after is not None:
        return desk.free_after
    if desk.reopens_at is not None:
        return max(0.0, desk.reopens_at - now) if now is not None else RESIDUAL_UNKNOWN * 3600
    if desk.busy_service is None:
        return 0.0
    load = lines.get(desk.busy_service)
    avg = load.avg_service_s if load else 0.0
    if now is None or desk.busy_since is None:
        return RESIDUAL_UNKNOWN * avg
    spent = max(0.0, now - desk.busy_since)
    return max(avg - spent, RESIDUAL_FLOOR * avg)


def play(queues: Mapping[str, Sequence[Entry]], lines: dict[str, LineLoad], desks: list[Desk],
         now: float | None) -> Projection:
    """List scheduling: each counter, as it becomes free, takes the smallest entry at the head
    of its services' queues and is busy for that service's ``per_ticket_s`` (here 288 s: 300 s
    a visit, and 5 % no-shows expected, each skipped after 60 s).

    >>> lines = {"ktp": LineLoad(waiting=2, avg_service_s=300)}
    >>> p = play({"ktp": [(1, 1, "A001"), (1, 2, "A002")]}, lines, [Desk(("ktp",))], now=0.0)
    >>> p.starts, p.new_ticket
    ({'A001': 0.0, 'A002': 288.0}, {'ktp': 576.0})
    """
    head = dict.fromkeys(queues, 0)
    cost = {sid: load.per_ticket_s for sid, load in lines.items()}
    free0 = [free_in(d, lines, now) for d in desks]
    # An idle counter's pickup and a break's end are known; a busy counter's rest is not.
    known = [0.0 if d.busy_service is not None else f for d, f in zip(desks, free0)]
    heap = [(f, i, d.services) for i, (d, f) in enumerate(zip(desks, free0))]
    heapq.heapify(heap)
    starts: dict[str, float] = {}
    fixed: dict[str, float] = {}
    new_ticket: dict[str, float] = {}
    new_fixed: dict[str, float] = {}
    while heap:
        free, i, services = heapq.heappop(heap)
        best: tuple[Entry, str] | None = None
        for sid in services:
            q, h = queues.get(sid), head.get(sid, 0)
            if q is not None and h < len(q) and (best is None or q[h] < best[0]):
                best = (q[h], sid)
        if best is None:
            # Nothing left ahead of a new ticket at this counter: it would be its next.
            for sid in services:
                if sid not in new_ticket:
                    new_ticket[sid], new_fixed[sid] = round(free, 1), known[i]
            continue
        (_, _, label), sid = best
        head[sid] += 1
        starts[label], fixed[label] = round(free, 1), known[i]
        heapq.heappush(heap, (free + cost[sid], i, services))
    return Projection(starts, new_ticket, lines, desks, fixed, new_fixed).tell(queues)


def wait_from(projection: Projection, service: str, order: Sequence[str], ahead: int,
              elapsed: float = 0.0) -> float | None:
    """The wait of the ticket with ``ahead`` tickets before it in ``order`` (the service's calling
    order now), from a projection made ``elapsed`` seconds ago. Tickets taken since then were not
    played: each one ahead adds its share of the service's counter time. This lets the queue
    service play the building forward about once a second instead of once per request.

    The figure is what the projection tells (:meth:`Projection.tell`: medians), with priority
    visitors still to come added for a regular ticket."""
    new = projection.new_told.get(service)
    if new is None:
        return None
    told = projection.told
    capacity = projection.capacity(service)
    if 0 <= ahead < len(order) and order[ahead] in told:
        wait = max(0.0, told[order[ahead]] - elapsed)
    else:
        later = sum(1 for label in order[:ahead] if label not in told) + max(0, ahead - len(order))
        wait = max(0.0, new - elapsed)
        if later and capacity > 0:
            load = projection.lines[service]
            periods = 1.0 + ahead / capacity
            wait += later * load.per_ticket_s / capacity * median_share(load.cv, periods)
    return round(wait * projection.priority_stretch(service, ahead, capacity), 1)
