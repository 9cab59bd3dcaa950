"""A day at a Mal Pelayanan Publik, simulated with the real queue rules and a fixed clock.

    >>> result = simulate(mpp_plan(), seed=1)
    >>> result.accuracy()["mae_s"]          # mean absolute error of the estimate at issue

Visitors arrive as a Poisson process whose rate peaks mid-morning; each service has its own
service time (lognormal, or Pareto on a heavy-tailed day; the TOML's prior deliberately off from
the truth, as it is in a new building); counters open late, break for lunch in turns, and stay at
their desks after closing time until their line is empty; some visitors do not show when called,
some of those come back later, a few are sent to another service. Every decision goes through
``ticketing.handle`` and ``ticketing.apply``, so the events are exactly what the queue service
would have stored.

Pure: no I/O, no wall clock; the same seed gives the same day.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable
from dataclasses import dataclass

from ticketing import Press, QueueError, QueueState, Take, apply, handle
from ticketing.estimate import project, retained_waits
from ticketing.rules import next_for
from simulation.estimators import CurrentEstimate, retained_view
from simulation.plan import DayPlan, _peak_density, _shape, fresh_state
from simulation.result import Issued, SimResult

Estimator = Callable[[QueueState, str, int, float], "float | None"]


# -- the day -------------------------------------------------------------------------------------

@dataclass
class _Desk:
    on_shift: bool = False
    closing: bool = False          # lunch: close after the current visitor
    back_at: float | None = None   # when the break ends (staff close "until" then)
    last_shift: bool = False       # after the last shift: close once the line is empty
    pending: bool = False          # a reaction to a new ticket is scheduled
    away: bool = False             # staff gone without closing: the counter looks open


class _Day:
    def __init__(self, plan: DayPlan, seed: int, estimator: Estimator, sample_every: float,
                 compare: dict[str, Estimator]):
        self.plan = plan
        self.rng = random.Random(seed)
        self.estimator = estimator
        self.compare = compare
        self.sample_every = sample_every
        self.services = {s.id: s for s in plan.services}
        self.state = fresh_state(plan)
        self.result = SimResult(plan, self.state)
        self.desks = {c.id: _Desk() for c in plan.counters}
        self.returned: dict[str, list[str]] = {s.id: [] for s in plan.services}
        self.agency_services: dict[str, list[str]] = {}
        for s in plan.services:
            self.agency_services.setdefault(s.agency, []).append(s.id)
        self.heap: list[tuple[float, int, str, tuple]] = []
        self.order = 0
        self.requests = 0
        self.by_label: dict[str, Issued] = {}
        self.pending_samples: list[tuple[str, float, float | None, float]] = []

    # -- plumbing --

    def at(self, t: float, kind: str, *data) -> None:
        self.order += 1
        heapq.heappush(self.heap, (t, self.order, kind, data))

    def run_command(self, command, now: float) -> list[dict]:
        try:
            events = handle(self.state, command, now)
        except QueueError:
            self.result.refused += 1
            return []
        for e in events:
            apply(self.state, e)
        self.result.events.extend(events)
        return events

    def press(self, cid: str, action: str, now: float, **kw) -> None:
        self.requests += 1
        before = self.state.counters[cid].ticket
        self.run_command(Press(cid, action, f"counter-{cid}:s{self.requests}",
                               request_id=f"s{self.requests}", **kw), now)
        after = self.state.counters[cid].ticket
        if after and (after != before or action == "call"):
            self.serve(cid, after, now)

    def serve(self, cid: str, label: str, now: float) -> None:
        """A ticket was just called at ``cid``: decide whether the visitor comes and how long."""
        ticket = self.state.tickets[label]
        if ticket.calls == 1 and self.rng.random() < self.plan.no_show:
            self.at(now + self.rng.uniform(*self.plan.skip_after_s), "skip", cid, label)
            return
        svc = self.services[ticket.service]
        took = self.plan.service_time(self.rng, svc)
        self.at(now + took, "done", cid, label)

    def has_work(self, cid: str) -> bool:
        counter = self.state.counters[cid]
        return (next_for(self.state, counter) is not None
                or any(self.returned[s] for s in counter.services))

    def take_next(self, cid: str, now: float) -> None:
        """The counter is free: a returned no-show first (called by number), else ``next``."""
        counter = self.state.counters[cid]
        for sid in counter.services:
            while self.returned[sid]:
                label = self.returned[sid].pop(0)
                if self.state.tickets.get(label) and self.state.tickets[label].status == "missed":
                    return self.press(cid, "call", now, ticket=label)
        self.press(cid, "next", now)

    def nudge(self, service: str, now: float) -> None:
        """A ticket joined ``service``: one idle open counter serving it notices, a bit later."""
        idle = [cid for cid, d in self.desks.items()
                if d.on_shift and not d.pending and not d.away and service in self.state.counters[cid].services
                and self.state.counters[cid].open and self.state.counters[cid].ticket is None]
        if idle:
            cid = self.rng.choice(idle)
            self.desks[cid].pending = True
            self.at(now + self.rng.uniform(*self.plan.react_s), "react", cid)

    # -- the handlers --

    def arrive(self, now: float, service: str, priority: bool) -> None:
        self.requests += 1
        events = self.run_command(Take(service, f"kiosk-k1:s{self.requests}",
                                       request_id=f"s{self.requests}", kiosk="k1",
                                       priority=priority), now)
        if not events:
            return
        label, ahead = events[-1]["ticket"], events[-1]["outcome"]["ahead"]
        issued = Issued(label, service, now, ahead, self.estimator(self.state, service, ahead, now),
                        others={name: other(self.state, service, ahead, now)
                                for name, other in self.compare.items()})
        self.result.issued.append(issued)
        self.by_label[label] = issued
        self.nudge(service, now)

    def react(self, now: float, cid: str) -> None:
        desk = self.desks[cid]
        desk.pending = False
        counter = self.state.counters[cid]
        if (desk.on_shift and not desk.away and counter.open and counter.ticket is None
                and self.has_work(cid)):
            self.take_next(cid, now)

    def finish(self, now: float, cid: str, label: str, missed: bool) -> None:
        counter = self.state.counters[cid]
        if counter.ticket != label:
            return
        desk = self.desks[cid]
        if desk.away:
            return      # nobody presses anything: the ticket stays called until staff are back
        if missed:
            if self.rng.random() < self.plan.come_back:
                self.at(now + self.rng.uniform(300, 1800), "return", label)
            self.press(cid, "skip", now)   # records the no-show and calls the next ticket
            return
        if (desk.closing or (desk.last_shift and not self.has_work(cid))):
            self.close(cid, now)
            return
        if self.rng.random() < self.plan.transfer:
            here = self.state.tickets[label].service
            others = [s for s in self.agency_services[self.services[here].agency] if s != here]
            if others:
                to = self.rng.choice(others)
                self.press(cid, "transfer", now, to=to)
                self.nudge(to, now)
                self.at(now + self.rng.uniform(2, 10), "react", cid)
                return
        self.take_next(cid, now)

    def close(self, cid: str, now: float) -> None:
        """Close the desk; for a break, until its end, as a panel's "close until" does."""
        desk = self.desks[cid]
        until = desk.back_at if desk.closing and desk.back_at and desk.back_at > now else None
        if not self.plan.say_until:
            until = None
        self.press(cid, "close", now, until=until)
        desk.closing = False

    def shift(self, now: float, cid: str, opening: bool, last: bool,
              back_at: float | None = None) -> None:
        desk = self.desks[cid]
        counter = self.state.counters[cid]
        if opening:
            desk.on_shift, desk.closing, desk.last_shift = True, False, False
            self.press(cid, "open", now)
            self.at(now + self.rng.uniform(*self.plan.react_s), "react", cid)
            desk.pending = True
            return
        if last:
            desk.last_shift = True
            if counter.ticket is None and not self.has_work(cid):
                desk.on_shift = False
                self.press(cid, "close", now)
            return
        desk.on_shift = False
        desk.closing, desk.back_at = True, back_at
        if counter.ticket is None:
            self.close(cid, now)

    def back(self, now: float, cid: str) -> None:
        """Staff back from an absence they did not close for: the visitor they left called is
        finished (or the next called at once), else the desk looks for work."""
        self.desks[cid].away = False
        if self.state.counters[cid].ticket is not None:
            self.take_next(cid, now)
        else:
            self.react(now, cid)

    def came_back(self, now: float, label: str) -> None:
        ticket = self.state.tickets.get(label)
        if ticket is not None and ticket.status == "missed":
            self.returned[ticket.service].append(label)
            self.nudge(ticket.service, now)

    def sample(self, now: float) -> None:
        """What the public page would tell every waiting visitor right now (computed from what
        the retained messages carry), and the queue service's own projection, for comparison."""
        services, counters = retained_view(self.state, now)
        page = retained_waits(services, counters, now)
        exact = project(self.state, now)
        for sid, line in self.state.lines.items():
            waits = page.get(sid)
            if not line.waiting or waits is None:
                continue
            for k, label in enumerate([*line.priority, *line.regular]):
                self.pending_samples.append((label, waits[k], exact.starts.get(label), now))

    # -- the loop --

    def schedule(self) -> None:
        p = self.plan
        start, end = p.at(p.first_ticket_h), p.at(p.last_ticket_h)
        peak = _shape(p, p.peak_h)
        rate_max = p.visitors * _peak_density(p)
        t = start
        weights = [s.weight for s in p.services]
        ids = [s.id for s in p.services]
        while True:
            t += self.rng.expovariate(rate_max)
            if t >= end:
                break
            hour = p.first_ticket_h + (t - start) / 3600.0
            if self.rng.random() < _shape(p, hour) / peak:
                sid = self.rng.choices(ids, weights)[0]
                self.at(t, "arrive", sid, self.rng.random() < p.priority)
        for hour, visitors in p.priority_bursts:
            for _ in range(visitors):
                sid = self.rng.choices(ids, weights)[0]
                self.at(p.at(hour) + self.rng.uniform(0, 300), "arrive", sid, True)
        for c in p.counters:
            self.schedule_counter(c)
        if self.sample_every > 0:
            s = start + self.sample_every
            while s < p.at(p.last_ticket_h + 1.5):
                self.at(s, "sample")
                s += self.sample_every

    def schedule_counter(self, c) -> None:
        """Shifts (a late opening on some days), and on days with absences a one-off absence
        mid-morning: the desk closes after its visitor, without saying until when, or with
        ``away_open`` does not close at all and just stops calling."""
        p = self.plan
        shifts = list(c.shifts)
        if p.late_open and self.rng.random() < p.late_open:
            shifts[0] = (self.rng.uniform(9.0, 10.5), shifts[0][1])
        for i, (a, b) in enumerate(shifts):
            last = i == len(shifts) - 1
            self.at(p.at(a), "open", c.id)
            self.at(p.at(b), "close", c.id, last, None if last else p.at(shifts[i + 1][0]))
        if p.absences and self.rng.random() < p.absences:
            leave = self.rng.uniform(max(9.0, shifts[0][0] + 0.25), 11.0)
            if leave < shifts[0][1]:
                back = leave + self.rng.uniform(*p.absence_min) / 60
                if p.away_open:
                    self.at(p.at(leave), "away", c.id)
                    self.at(p.at(back), "back", c.id)
                else:
                    self.at(p.at(leave), "close", c.id, False, None)
                    self.at(p.at(back), "open", c.id)

    def run(self) -> SimResult:
        self.schedule()
        while self.heap:
            now, _, kind, data = heapq.heappop(self.heap)
            if kind == "arrive":
                self.arrive(now, *data)
            elif kind == "react":
                self.react(now, *data)
            elif kind == "done":
                self.finish(now, *data, missed=False)
            elif kind == "skip":
                self.finish(now, *data, missed=True)
            elif kind == "open":
                self.shift(now, data[0], True, False)
            elif kind == "close":
                self.shift(now, data[0], False, data[1], data[2])
            elif kind == "return":
                self.came_back(now, *data)
            elif kind == "away":
                self.desks[data[0]].away = True
            elif kind == "back":
                self.back(now, data[0])
            elif kind == "sample":
                self.sample(now)
        for issued in self.result.issued:
            t = self.state.tickets.get(issued.ticket)
            if t is not None and t.first_called_at is not None:
                issued.waited = round(t.first_called_at - t.issued_at, 1)
        for label, est, exact, at in self.pending_samples:
            t = self.state.tickets.get(label)
            if t is not None and t.first_called_at is not None:
                self.result.samples.append((est, t.first_called_at - at))
                if exact is not None:
                    self.result.samples_exact.append((exact, t.first_called_at - at))
        return self.result


def simulate(plan: DayPlan, *, seed: int = 1, estimator: Estimator | None = None,
             sample_every: float = 600.0, compare: dict[str, Estimator] | None = None
             ) -> SimResult:
    """Run one day of ``plan``. ``estimator(state, service, ahead, now)`` is what a visitor is
    told at the kiosk (default: the queue service's); every ``sample_every`` seconds the page's
    per-ticket estimates are sampled too (0: never). ``compare`` names other estimators asked
    the same question at the same moment (``SimResult.accuracy(name)``): the estimates do not
    change the day, so one day serves all."""
    return _Day(plan, seed, estimator or CurrentEstimate(), sample_every,
                dict(compare or {})).run()
