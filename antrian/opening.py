"""The MPP's own rules from the site TOML: opening hours, quotas, holidays, service standards.

    [opening]                                  # every service (absent: always open)
    days = { "mon-thu" = "08:00-15:00", fri = "08:00-11:30, 13:00-15:30", "sat-sun" = "closed" }
    last_ticket_minutes = 30                   # no tickets in the last half hour
    national_holidays = true                   # Indonesia's, from the `holidays` package
    closed_dates = ["2026-12-24"]              # cuti bersama, building works...
    open_dates = []                            # a holiday the building opens anyway

    [opening.agency."Polres"]                  # one agency's services (same keys)
    days = { "mon-fri" = "08:00-14:00", "sat-sun" = "closed" }

    [[service]]
    id = "skck"
    quota = 80                                 # tickets a day
    opening = { last_ticket_minutes = 60 }     # this service only (same keys)
    standard = { requirements = ["KTP-el asli", "Pas foto 4x6"], fee = "Gratis",
                 duration_minutes = 15 }

Later tables override earlier ones key by key: site, then agency, then service.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from antrian.config import ConfigError, Site, need
from antrian.sections import OPENING
from ticketing.hours import OpeningRules, parse_week
from ticketing.model import QueueState

# The key names live in the one registry (antrian.sections), checked when the site is loaded.
OPENING_KEYS = set(OPENING.known)


@dataclass(frozen=True)
class Standard:
    """A service's published standard (Standar Pelayanan)."""
    requirements: tuple[str, ...] = ()
    fee: str | None = None
    duration_minutes: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"requirements": list(self.requirements), "fee": self.fee,
                "duration_minutes": self.duration_minutes}


def _dates(values: Any, where: str) -> frozenset[date]:
    if not isinstance(values, list):
        raise ConfigError(f"{where}: expected a list of dates")
    out = set()
    for v in values:
        if isinstance(v, date):
            out.add(v)
        elif isinstance(v, str):
            try:
                out.add(date.fromisoformat(v))
            except ValueError:
                raise ConfigError(f"{where}: {v!r} is not a date YYYY-MM-DD") from None
        else:
            raise ConfigError(f"{where}: {v!r} is not a date")
    return frozenset(out)


def _check(table: dict, where: str, allowed: set[str]) -> dict:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(allowed))})")
    return table


def _national_holidays(years: range) -> dict[date, str]:
    import holidays  # imported only by sites that use holidays
    return dict(holidays.country_holidays("ID", years=list(years), language="id"))


def opening_rules(site: Site, years: range | None = None) -> dict[str, OpeningRules]:
    """Each service's rules; ``OpeningRules()`` (always open) where the TOML sets none."""
    base = site.raw.get("opening")
    if base is not None and not isinstance(base, dict):
        raise ConfigError("opening: expected a table")
    base = _check(base or {}, "opening", OPENING_KEYS)
    agencies = need(base, "agency", dict, "opening", {})
    for name, table in agencies.items():
        if not isinstance(table, dict):
            raise ConfigError(f"opening.agency.{name}: expected a table")
        _check(table, f"opening.agency.{name}", OPENING_KEYS - {"agency"})
    today = date.today()
    years = years or range(today.year - 1, today.year + 2)
    holiday_cache: dict[date, str] | None = None
    rules: dict[str, OpeningRules] = {}
    for sid, svc in site.services.items():
        where = f"service[{sid}]"
        own = svc.extra.get("opening", {})
        if not isinstance(own, dict):
            raise ConfigError(f"{where}.opening: expected a table")
        _check(own, f"{where}.opening", OPENING_KEYS - {"agency"})
        quota = need(svc.extra, "quota", int, where, None)
        if quota is not None and quota < 1:
            raise ConfigError(f"{where}.quota: must be at least 1")
        if not base and not own and svc.agency not in agencies and quota is None:
            rules[sid] = OpeningRules()
            continue
        merged: dict[str, Any] = {}
        layers = [("opening", base), (f"opening.agency.{svc.agency}", agencies.get(svc.agency, {})),
                  (f"{where}.opening", own)]
        origin: dict[str, str] = {}
        for name, layer in layers:
            for k, v in layer.items():
                if k != "agency":
                    merged[k] = v
                    origin[k] = name
        try:
            week = parse_week(merged.get("days", {})) if "days" in merged else {}
        except ValueError as e:
            raise ConfigError(f"{origin.get('days')}.days: {e}") from None
        if "days" in merged and not isinstance(merged["days"], dict):
            raise ConfigError(f"{origin['days']}.days: expected a table of day = hours")
        minutes = merged.get("last_ticket_minutes", 0)
        if isinstance(minutes, bool) or not isinstance(minutes, int) or not 0 <= minutes <= 600:
            raise ConfigError(f"{origin.get('last_ticket_minutes')}.last_ticket_minutes: "
                              "expected whole minutes 0..600")
        closed = _dates(merged.get("closed_dates", []), f"{origin.get('closed_dates')}.closed_dates")
        opened = _dates(merged.get("open_dates", []), f"{origin.get('open_dates')}.open_dates")
        national = merged.get("national_holidays", bool(base or own or svc.agency in agencies))
        if not isinstance(national, bool):
            raise ConfigError(f"{origin.get('national_holidays')}.national_holidays: true/false")
        holidays: dict[date, str] = {}
        if national:
            if holiday_cache is None:
                holiday_cache = _national_holidays(years)
            holidays = {d: n for d, n in holiday_cache.items() if d not in opened}
        rules[sid] = OpeningRules(week=week, last_ticket_minutes=minutes, quota=quota,
                                  closed_dates=closed - opened, holidays=holidays)
    return rules


def standards(site: Site) -> dict[str, Standard]:
    """Each service's published standard (empty where the TOML gives none)."""
    out = {}
    for sid, svc in site.services.items():
        where = f"service[{sid}].standard"
        table = svc.extra.get("standard", {})
        if not isinstance(table, dict):
            raise ConfigError(f"{where}: expected a table")
        _check(table, where, {"requirements", "fee", "duration_minutes"})
        reqs = need(table, "requirements", list, where, [])
        if not all(isinstance(r, str) for r in reqs):
            raise ConfigError(f"{where}.requirements: expected a list of strings")
        duration = need(table, "duration_minutes", (int, float), where, None)
        if duration is not None and duration <= 0:
            raise ConfigError(f"{where}.duration_minutes: must be positive")
        out[sid] = Standard(tuple(reqs), need(table, "fee", str, where, None),
                            float(duration) if duration is not None else None)
    return out


def published_standards(site: Site) -> dict[str, dict[str, Any]]:
    """The standards to publish with each service's state: those the TOML sets."""
    return {sid: s.as_dict() for sid, s in standards(site).items() if s != Standard()}


def booking_rules(site: Site) -> dict[str, "BookingRules"]:
    """Each bookable service's booking rules: ``[booking]``, then ``[booking.agency."X"]``, then
    the service's ``booking = {...}``, key by key. A service is bookable when the merged table
    has ``sessions`` and a ``per_session`` above 0; others are left out."""
    from ticketing.booking import BOOKING_KEYS, parse_rules

    base = site.raw.get("booking", {})
    if not isinstance(base, dict):
        raise ConfigError("booking: expected a table")
    agencies = need(base, "agency", dict, "booking", {})
    out = {}
    for sid, svc in site.services.items():
        own = svc.extra.get("booking", {})
        agency = agencies.get(svc.agency, {})
        if not isinstance(own, dict) or not isinstance(agency, dict):
            raise ConfigError(f"service[{sid}].booking: expected a table")
        merged = {k: v for layer in (base, agency, own) for k, v in layer.items()
                  if k in BOOKING_KEYS}
        try:
            rules = parse_rules(merged, f"service[{sid}].booking")
        except ValueError as e:
            raise ConfigError(str(e)) from None
        if rules.enabled:
            out[sid] = rules
    return out


# -- the building at opening ---------------------------------------------------------------------

def fresh_state(site: Site, day: str) -> QueueState:
    """The building at opening on ``day``, as the TOML describes it: every line empty, every
    counter closed (the queue service's first start, and the daily report's replay)."""
    return QueueState.new(
        day,
        [(s.id, s.prefix, s.separator, s.width, s.average_minutes * 60)
         for s in site.services.values()],
        [(c.id, c.name, c.services) for c in site.counters.values()])


def reconcile(state: QueueState, site: Site) -> list[str]:
    """Bring a stored state in line with the TOML (services or counters added, names changed);
    returns what changed. Lines of services no longer in the TOML stay until the day ends."""
    changes = []
    base = fresh_state(site, state.day)
    for sid, line in base.lines.items():
        old = state.lines.get(sid)
        if old is None:
            state.lines[sid] = line
            changes.append(f"service {sid} added")
        elif (old.prefix, old.separator, old.width) != (line.prefix, line.separator, line.width):
            if old.last_number == 0:
                old.prefix, old.separator, old.width = line.prefix, line.separator, line.width
                changes.append(f"service {sid}: ticket format {line.label(1)}")
            else:
                changes.append(f"service {sid}: new ticket format from tomorrow")
    for cid, counter in base.counters.items():
        old = state.counters.get(cid)
        if old is None:
            state.counters[cid] = counter
            changes.append(f"counter {cid} added")
        elif old.name != counter.name:
            old.name = counter.name
            changes.append(f"counter {cid} renamed {counter.name!r}")
    return changes
