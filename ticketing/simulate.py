"""A day at a Mal Pelayanan Publik, simulated with the real queue rules and a fixed clock.

    >>> result = simulate(mpp_plan(), seed=1)
    >>> result.accuracy()["mae_s"]          # mean absolute error of the estimate at issue
    >>> store.append(result.events)          # a realistic event log for reports and tests

Visitors arrive as a Poisson process whose rate peaks mid-morning; each service has its own
lognormal service time (the TOML's prior deliberately off from the truth, as it is in a new
building); counters open late, break for lunch in turns, and stay at their desks after closing
time until their line is empty; some visitors do not show when called, some of those come back
later, a few are sent to another service. Every decision goes through ``ticketing.handle`` and
``ticketing.apply``, so the events are exactly what the queue service would have stored.

Pure: no I/O, no wall clock; the same seed gives the same day.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time as dtime
from zoneinfo import ZoneInfo

from ticketing import Press, QueueError, QueueState, Take, apply, handle
from ticketing.estimate import project, retained_waits, service_wait, wait_for
from ticketing.rules import waiting_order
from ticketing.rules import next_for

Estimator = Callable[[QueueState, str, int, float], "float | None"]


@dataclass(frozen=True)
class SimService:
    id: str
    name: str
    agency: str
    prefix: str
    mean_s: float        # what a visitor really takes on average
    prior_s: float       # what the TOML says (average_minutes * 60)
    weight: float        # share of the day's visitors
    separator: str = ""
    cv: float = 0.6      # spread of service times (coefficient of variation)


@dataclass(frozen=True)
class SimCounter:
    id: str
    name: str
    services: tuple[str, ...]
    shifts: tuple[tuple[float, float], ...]   # local hours (open, close); the last is soft


@dataclass(frozen=True)
class DayPlan:
    services: tuple[SimService, ...]
    counters: tuple[SimCounter, ...]
    day: str = "2026-11-30"
    tz: str = "Asia/Jakarta"
    visitors: float = 1500.0      # expected tickets in the day
    first_ticket_h: float = 7.5
    last_ticket_h: float = 14.5
    peak_h: float = 10.0
    peak_width_h: float = 1.1
    base: float = 0.35            # the off-peak rate, relative to the peak's extra
    no_show: float = 0.06
    come_back: float = 0.4        # of the no-shows
    priority: float = 0.05
    transfer: float = 0.015
    react_s: tuple[float, float] = (3.0, 30.0)   # an idle counter notices a new ticket
    skip_after_s: tuple[float, float] = (40.0, 100.0)

    def at(self, hour: float) -> float:
        """Epoch seconds of a local hour of the plan's day."""
        d = date.fromisoformat(self.day)
        midnight = datetime.combine(d, dtime(0, 0), ZoneInfo(self.tz)).timestamp()
        return midnight + hour * 3600.0


# (name, agency, minutes really taken, share of visitors) — typical MPP services (FIELD-NOTES)
CATALOGUE = [
    ("Perekaman KTP-el", "Disdukcapil", 6, 10), ("Kartu Keluarga", "Disdukcapil", 8, 7),
    ("Akta Kelahiran", "Disdukcapil", 7, 5), ("Akta Kematian", "Disdukcapil", 6, 2),
    ("Pindah Datang", "Disdukcapil", 7, 3), ("Paspor Baru", "Kantor Imigrasi", 10, 6),
    ("Penggantian Paspor", "Kantor Imigrasi", 8, 3), ("Pajak Kendaraan Tahunan", "Samsat", 4, 8),
    ("Balik Nama Kendaraan", "Samsat", 9, 2), ("SKCK", "Polres", 6, 8),
    ("Pendaftaran JKN", "BPJS Kesehatan", 8, 6), ("Klaim JHT", "BPJS Ketenagakerjaan", 10, 4),
    ("Pendaftaran NPWP", "KPP Pratama", 5, 3), ("Konsultasi SPT", "KPP Pratama", 12, 2),
    ("Pajak Bumi dan Bangunan", "Bapenda", 5, 3), ("BPHTB", "Bapenda", 10, 1),
    ("Layanan Sertifikat", "Kantor Pertanahan", 12, 2), ("Roya", "Kantor Pertanahan", 8, 1),
    ("Pendaftaran Haji", "Kementerian Agama", 15, 1),
    ("Legalisir Buku Nikah", "Kementerian Agama", 4, 1),
    ("Nomor Induk Berusaha", "DPMPTSP", 10, 2), ("Persetujuan Bangunan Gedung", "DPMPTSP", 15, 1),
    ("Sambungan Baru", "PDAM", 8, 1), ("Pengaduan Pelanggan", "PDAM", 6, 2),
    ("Layanan Pelanggan PLN", "PLN", 6, 2), ("Kartu AK1", "Disnaker", 5, 3),
    ("Pengambilan Tilang", "Kejaksaan", 3, 4), ("Informasi Perkara", "Pengadilan Agama", 6, 1),
    ("Tabungan dan Kredit", "Bank BJB", 7, 2), ("Pengiriman Paket", "PT Pos", 4, 1),
]


def prefix_for(i: int) -> tuple[str, str]:
    """Ticket prefix and separator of the i-th service: A..Z, then 2A-, 2B-... as MPPs number
    floors and zones."""
    if i < 26:
        return chr(65 + i), ""
    return f"{1 + i // 26}{chr(65 + i % 26)}", "-"


def service_id(name: str, taken: set[str]) -> str:
    base = "".join(ch if ch.isalnum() else "-" for ch in name.lower()).strip("-")[:30].strip("-")
    sid, n = base, 2
    while sid in taken:
        sid, n = f"{base[:27]}-{n}", n + 1
    taken.add(sid)
    return sid


def mpp_plan(n_services: int = 30, *, visitors: float | None = None, seed: int = 7,
             load: float = 1.15) -> DayPlan:
    """A realistic building: ``n_services`` services from the catalogue (repeated with a number
    beyond it), counters per agency sized so the peak hour runs at ``load`` times their capacity
    (lines build mid-morning and clear after lunch), lunch in turns, a few late openings."""
    rng = random.Random(seed)
    visitors = visitors if visitors is not None else 50.0 * n_services
    services, taken = [], set()
    for i in range(n_services):
        name, agency, minutes, weight = CATALOGUE[i % len(CATALOGUE)]
        if i >= len(CATALOGUE):
            name = f"{name} {1 + i // len(CATALOGUE)}"
            agency = f"{agency} {1 + i // len(CATALOGUE)}"
        prefix, sep = prefix_for(i)
        services.append(SimService(
            id=service_id(name, taken), name=name, agency=agency, prefix=prefix, separator=sep,
            mean_s=minutes * 60.0, prior_s=round(minutes * rng.uniform(0.6, 1.5)) * 60.0,
            weight=float(weight)))
    plan = DayPlan(services=tuple(services), counters=(), visitors=visitors)
    total_weight = sum(s.weight for s in services)
    peak_rate = plan.visitors * _peak_density(plan)   # visitors per second at the peak
    counters: list[SimCounter] = []
    agencies = list(dict.fromkeys(s.agency for s in services))
    for agency in agencies:
        mine = [s for s in services if s.agency == agency]
        needed = sum(peak_rate * s.weight / total_weight * s.mean_s for s in mine)
        k = max(1, min(8, round(needed / load)))
        biggest = max(mine, key=lambda s: s.weight * s.mean_s)
        for j in range(k):
            cid = str(len(counters) + 1)
            if len(mine) > 1 and k >= 3 and j == 0:
                svcs = (biggest.id,)
            else:
                svcs = tuple(s.id for s in mine)
            start = 8.5 if rng.random() < 0.2 else 8.0
            if k == 1:
                shifts = ((start, 12.0), (13.0, 15.0))       # ISHOMA: the desk closes an hour
            elif j % 2 == 0:
                shifts = ((start, 11.75), (12.75, 15.0))
            else:
                shifts = ((start, 12.25), (13.25, 15.0))
            counters.append(SimCounter(cid, f"Loket {cid}", svcs, shifts))
    return DayPlan(services=tuple(services), counters=tuple(counters), visitors=visitors)


def _shape(plan: DayPlan, h: float) -> float:
    """The arrival rate's shape over the day (peak 1 + base)."""
    return plan.base + math.exp(-((h - plan.peak_h) ** 2) / (2 * plan.peak_width_h ** 2))


def _peak_density(plan: DayPlan) -> float:
    """Fraction of the day's visitors arriving per second at the peak."""
    steps = 600
    width = (plan.last_ticket_h - plan.first_ticket_h) / steps
    area = sum(_shape(plan, plan.first_ticket_h + (i + 0.5) * width) for i in range(steps)) * width
    return _shape(plan, plan.peak_h) / (area * 3600.0)


def plan_toml(plan: DayPlan, *, site: str = "sim", port: int = 1883,
              public_url: str = "http://antrian.local:8080") -> str:
    """The site TOML of a plan (services with their priors, counters, one kiosk)."""
    out = [f'site = "{site}"', f'title = "Mal Pelayanan Publik (simulasi)"',
           f'timezone = "{plan.tz}"', 'reset_at = "00:00"', f'public_url = "{public_url}"', "",
           "[broker]", 'host = "127.0.0.1"', f"port = {port}", "keepalive = 5", ""]
    for s in plan.services:
        out += ["[[service]]", f'id = "{s.id}"', f'prefix = "{s.prefix}"']
        if s.separator:
            out.append(f'separator = "{s.separator}"')
        out += [f'name = "{s.name}"', f'agency = "{s.agency}"',
                f"average_minutes = {s.prior_s / 60:g}", ""]
    for c in plan.counters:
        quoted = ", ".join(f'"{x}"' for x in c.services)
        out += ["[[counter]]", f'id = "{c.id}"', f'name = "{c.name}"', f"services = [{quoted}]",
                ""]
    out += ["[[kiosk]]", 'id = "k1"', ""]
    return "\n".join(out)


# -- the result ----------------------------------------------------------------------------------

@dataclass
class Issued:
    """One ticket: what the visitor was told at the kiosk and what happened."""
    ticket: str
    service: str
    issued_at: float
    ahead: int
    estimate: float | None
    waited: float | None = None        # first call minus issue; None if never called


@dataclass
class SimResult:
    plan: DayPlan
    state: QueueState
    events: list[dict] = field(default_factory=list)
    issued: list[Issued] = field(default_factory=list)
    # (estimate, what then really remained) for waiting tickets, sampled through the day
    samples: list[tuple[float, float]] = field(default_factory=list)
    samples_exact: list[tuple[float, float]] = field(default_factory=list)
    refused: int = 0

    def state_at(self, ts: float) -> QueueState:
        """The queue state as it was at ``ts`` (the day's events replayed up to then)."""
        state = fresh_state(self.plan)
        for event in self.events:
            if event["ts"] > ts:
                break
            apply(state, event)
        return state

    def accuracy(self) -> dict:
        """Errors of the estimates against the waits that really happened (seconds)."""
        pairs = [(t.estimate, t.waited) for t in self.issued
                 if t.estimate is not None and t.waited is not None]
        return {"tickets": len(self.issued),
                "never_called": sum(1 for t in self.issued if t.waited is None),
                "no_estimate": sum(1 for t in self.issued if t.estimate is None),
                **errors(pairs),
                "live": errors(self.samples),
                "live_exact": errors(self.samples_exact)}


def errors(pairs: list[tuple[float, float]]) -> dict:
    if not pairs:
        return {"n": 0, "mae_s": None, "median_abs_s": None, "bias_s": None, "mean_wait_s": None}
    diffs = sorted(abs(e - a) for e, a in pairs)
    return {"n": len(pairs),
            "mae_s": round(sum(diffs) / len(diffs), 1),
            "median_abs_s": round(diffs[len(diffs) // 2], 1),
            "p90_abs_s": round(diffs[int(0.9 * (len(diffs) - 1))], 1),
            "bias_s": round(sum(e - a for e, a in pairs) / len(pairs), 1),
            "mean_wait_s": round(sum(a for _, a in pairs) / len(pairs), 1)}


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


def current_estimate(state: QueueState, service: str, ahead: int, now: float) -> float | None:
    """The estimator the queue service uses (``ticketing.estimate.wait_for``)."""
    return wait_for(state, service, ahead, now=now)


def fresh_state(plan: DayPlan) -> QueueState:
    """The building at opening, every counter closed (as the queue service starts a day)."""
    return QueueState.new(
        plan.day, [(s.id, s.prefix, s.separator, 3, s.prior_s) for s in plan.services],
        [(c.id, c.name, c.services) for c in plan.counters])


def retained_view(state: QueueState, now: float) -> tuple[dict[str, dict], dict[str, dict]]:
    """The fields of the retained ``service/<id>/state`` and ``counter/<id>/state`` messages
    the page's estimate reads (as ``mqtt.views`` publishes them)."""
    services = {}
    for sid, line in state.lines.items():
        services[sid] = {
            "waiting_tickets": waiting_order(state, sid), "priority_waiting": len(line.priority),
            "avg_service_s": round(line.avg_service_s, 1), "done": line.done,
            "missed": list(line.missed), "est_wait_s": service_wait(state, sid, now=now),
            "counters_open": [c.id for c in state.counters.values()
                              if c.open and sid in c.services], "ts": now}
    counters = {}
    for cid, c in state.counters.items():
        ticket = state.tickets.get(c.ticket) if c.ticket else None
        counters[cid] = {"open": c.open, "services": list(c.services), "ticket": c.ticket,
                         "service": ticket.service if ticket else None, "since": c.since}
    return services, counters


# -- the day -------------------------------------------------------------------------------------

@dataclass
class _Desk:
    on_shift: bool = False
    closing: bool = False          # lunch: close after the current visitor
    back_at: float | None = None   # when the break ends (staff close "until" then)
    last_shift: bool = False       # after the last shift: close once the line is empty
    pending: bool = False          # a reaction to a new ticket is scheduled


class _Day:
    def __init__(self, plan: DayPlan, seed: int, estimator: Estimator, sample_every: float):
        self.plan = plan
        self.rng = random.Random(seed)
        self.estimator = estimator
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
        sigma = math.sqrt(math.log(1 + svc.cv ** 2))
        took = self.rng.lognormvariate(math.log(svc.mean_s) - sigma ** 2 / 2, sigma)
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
                if d.on_shift and not d.pending and service in self.state.counters[cid].services
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
        issued = Issued(label, service, now, ahead, self.estimator(self.state, service, ahead, now))
        self.result.issued.append(issued)
        self.by_label[label] = issued
        self.nudge(service, now)

    def react(self, now: float, cid: str) -> None:
        desk = self.desks[cid]
        desk.pending = False
        counter = self.state.counters[cid]
        if desk.on_shift and counter.open and counter.ticket is None and self.has_work(cid):
            self.take_next(cid, now)

    def finish(self, now: float, cid: str, label: str, missed: bool) -> None:
        counter = self.state.counters[cid]
        if counter.ticket != label:
            return
        desk = self.desks[cid]
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
        for c in p.counters:
            for i, (a, b) in enumerate(c.shifts):
                last = i == len(c.shifts) - 1
                self.at(p.at(a), "open", c.id)
                self.at(p.at(b), "close", c.id, last, None if last else p.at(c.shifts[i + 1][0]))
        if self.sample_every > 0:
            s = start + self.sample_every
            while s < p.at(p.last_ticket_h + 1.5):
                self.at(s, "sample")
                s += self.sample_every

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


def simulate(plan: DayPlan, *, seed: int = 1, estimator: Estimator = current_estimate,
             sample_every: float = 600.0) -> SimResult:
    """Run one day of ``plan``. ``estimator(state, service, ahead, now)`` is what a visitor is
    told at the kiosk; ``sample_every`` seconds the page's per-ticket estimates are sampled too
    (0: never)."""
    return _Day(plan, seed, estimator, sample_every).run()
