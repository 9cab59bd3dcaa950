"""The plan of a simulated day at a Mal Pelayanan Publik: services, counters, shifts, arrivals.

    >>> plan = mpp_plan(30)                     # 30 services of the usual agencies, 39 counters
    >>> plan_toml(plan, site="sim")             # the same building as a site TOML

The knobs below the defaults give days of other shapes than the one the estimate was first tuned
on (``simulation.scenarios``): heavy-tailed service times, a morning surge, quick no-show skips,
counters that close without saying until when, late openings, a burst of priority visitors.

Pure: no I/O, no wall clock. Not shipped: tests, benches and `make demo` use it.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, datetime, time as dtime
from zoneinfo import ZoneInfo

from ticketing import QueueState


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
    # -- other shapes of day (simulation.scenarios) --
    service_dist: str = "lognormal"   # or "pareto": a heavy tail (a few visitors take an hour)
    pareto_alpha: float = 2.1
    cv: float | None = None           # overrides every service's spread (lognormal)
    say_until: bool = True            # staff closing for a break say until when
    absences: float = 0.0             # share of counters that leave once, mid-morning, unsaid
    absence_min: tuple[float, float] = (15.0, 45.0)
    away_open: bool = False           # absent staff leave the counter open (it stops calling)
    late_open: float = 0.0            # share of counters opening between 9:00 and 10:30
    # (local hour, visitors): priority visitors arriving together (a group of elderly, a bus)
    priority_bursts: tuple[tuple[float, int], ...] = ()

    def service_time(self, rng: random.Random, svc: "SimService") -> float:
        """Seconds one visitor of ``svc`` takes at the counter (mean ``svc.mean_s``)."""
        if self.service_dist == "pareto":
            a = self.pareto_alpha
            # capped at 12 means: the day ends; the cap costs the mean a few per cent
            return min(svc.mean_s * (a - 1) / a * rng.paretovariate(a), 12 * svc.mean_s)
        cv = self.cv if self.cv is not None else svc.cv
        sigma = math.sqrt(math.log(1 + cv ** 2))
        return rng.lognormvariate(math.log(svc.mean_s) - sigma ** 2 / 2, sigma)

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
             load: float = 1.15, dedicated: bool = False) -> DayPlan:
    """A realistic building: ``n_services`` services from the catalogue (repeated with a number
    beyond it), counters per agency sized so the peak hour runs at ``load`` times their capacity
    (lines build mid-morning and clear after lunch), lunch in turns, a few late openings.
    ``dedicated``: every counter serves one service (sized per service, not per agency)."""
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
    groups = ([[s] for s in services] if dedicated
              else [[s for s in services if s.agency == agency] for agency in agencies])
    for mine in groups:
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


def fresh_state(plan: DayPlan) -> QueueState:
    """The building at opening, every counter closed (as the queue service starts a day)."""
    return QueueState.new(
        plan.day, [(s.id, s.prefix, s.separator, 3, s.prior_s) for s in plan.services],
        [(c.id, c.name, c.services) for c in plan.counters])
