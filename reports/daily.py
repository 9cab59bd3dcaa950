"""The building manager's day, from the queue service's event log: CSV files and charts.

    written = write_report(site, "/var/lib/antrian/queue.db", "2026-11-30", Path("out"))

The log is replayed through the same rules the queue service used (``ticketing.apply``), so the
report and the live figures agree; the totals per service and agency are
``ticketing.stats.day_stats`` (the queue's ``stats`` command), and this module adds what only the
log shows: when counters were open and busy, tickets per hour, no-shows.

Files: ``tickets.csv`` (every ticket with its times), ``services.csv``, ``agencies.csv``,
``counters.csv``, ``hourly.csv``, ``summary.json``, the charts of ``reports.charts``, the
service standards' compliance (``reports.standards``) and the SKM survey (``reports.skm``).
Tickets of a line that staff reset (a test run at opening) are left out, as the live figures do.
"""

from __future__ import annotations

import csv
import json
import logging
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from antrian.config import Site
from antrian.opening import fresh_state   # the building at opening, as the queue starts it
from ticketing import QueueState, apply
from ticketing.model import CounterNow, Line
from ticketing.stats import day_stats
from mqtt.store import Store

log = logging.getLogger(__name__)


@dataclass
class CounterUsage:
    """One counter's day: seconds open and seconds with a visitor, tickets handled."""
    open_s: float = 0.0
    busy_s: float = 0.0
    done: int = 0
    missed: int = 0
    transferred: int = 0
    opened_at: float | None = None      # open since (None: closed)
    busy_since: float | None = None
    first_open: float | None = None
    last_activity: float | None = None

    @property
    def utilisation(self) -> float | None:
        return round(self.busy_s / self.open_s, 3) if self.open_s > 0 else None


@dataclass
class DayLog:
    """A day replayed: the final state and what only the sequence of events tells."""
    site: Site
    day: str
    state: QueueState
    counters: dict[str, CounterUsage] = field(default_factory=dict)
    hourly: Counter = field(default_factory=Counter)           # (hour, agency) -> tickets
    ever_missed: set[str] = field(default_factory=set)
    events: int = 0
    skipped: int = 0
    first_ts: float | None = None
    last_ts: float | None = None

    def agency(self, sid: str) -> str:
        svc = self.site.services.get(sid)
        return svc.agency if svc else sid

    def local(self, ts: float | None) -> datetime | None:
        return None if ts is None else datetime.fromtimestamp(ts, self.site.tz)


def _known(state: QueueState, event: dict) -> None:
    """Services or counters the TOML no longer has still replay (with neutral settings)."""
    for sid in (event.get("service"), event.get("to"), *event.get("services", ())):
        if sid and sid not in state.lines:
            state.lines[sid] = Line(sid, prefix="?")
    cid = event.get("counter")
    if cid and cid not in state.counters:
        state.counters[cid] = CounterNow(cid, f"Loket {cid}", tuple(event.get("services", ())))


def replay(site: Site, events: Iterable[dict[str, Any]], day: str) -> DayLog:
    """Fold one day's stored events into a :class:`DayLog`."""
    state = fresh_state(site, day)
    out = DayLog(site, day, state)
    for event in events:
        _known(state, event)
        ts = event["ts"]
        try:
            _usage(out, state, event, ts)
            apply(state, event)
        except (KeyError, ValueError, TypeError) as e:
            # A log written by another version, or damaged: report the rest, say how many.
            out.skipped += 1
            log.warning("event %s (%s) skipped: %r", event.get("seq"), event.get("type"), e)
            continue
        out.events += 1
        out.first_ts = ts if out.first_ts is None else out.first_ts
        out.last_ts = ts
        if event["type"] == "issued":
            out.hourly[(out.local(ts).hour, out.agency(event["service"]))] += 1
        elif event["type"] == "missed":
            out.ever_missed.add(event["ticket"])
    for usage in out.counters.values():
        # Still open when the log ends: count until the counter's last activity, not midnight.
        end = usage.last_activity
        if usage.busy_since is not None and end is not None:
            usage.busy_s += max(0.0, end - usage.busy_since)
            usage.busy_since = None
        if usage.opened_at is not None and end is not None:
            usage.open_s += max(0.0, end - usage.opened_at)
            usage.opened_at = None
    return out


def _usage(out: DayLog, state: QueueState, event: dict, ts: float) -> None:
    """Counter open and busy time from the events (before ``event`` is applied)."""
    cid = event.get("counter")
    kind = event["type"]
    if not cid or kind in ("pressed", "assigned"):
        return
    u = out.counters.setdefault(cid, CounterUsage())
    u.last_activity = ts

    def open_now() -> None:
        if u.opened_at is None:
            u.opened_at = ts
            u.first_open = ts if u.first_open is None else u.first_open

    def end_busy() -> None:
        if u.busy_since is not None:
            u.busy_s += max(0.0, ts - u.busy_since)
            u.busy_since = None

    if kind == "opened":
        open_now()
    elif kind == "called" and event.get("kind") == "call":
        open_now()          # a counter open since yesterday shows first by calling
        end_busy()
        u.busy_since = ts
    elif kind in ("finished", "missed", "transferred"):
        end_busy()
        key = {"finished": "done", "missed": "missed", "transferred": "transferred"}[kind]
        setattr(u, key, getattr(u, key) + 1)
    elif kind == "closed":
        end_busy()
        if u.opened_at is not None:
            u.open_s += max(0.0, ts - u.opened_at)
            u.opened_at = None


# -- figures -------------------------------------------------------------------------------------

def figures(daylog: DayLog) -> dict[str, Any]:
    """The day's figures: ``day_stats`` (per service and agency) plus counters, tickets per
    hour and no-shows. Also what the queue's ``stats`` command could answer for a past day."""
    from antrian.opening import standards

    site = daylog.site
    agencies = {sid: daylog.agency(sid) for sid in daylog.state.lines}
    targets = {sid: s.duration_minutes for sid, s in standards(site).items()
               if s.duration_minutes}
    stats = day_stats(daylog.state, agencies, daylog.last_ts or 0.0, targets)
    called: Counter = Counter()
    no_shows: Counter = Counter()
    for t in daylog.state.tickets.values():
        sid = t.issued_service or t.service
        if t.first_called_at is not None:
            called[sid] += 1
        if t.label in daylog.ever_missed:
            no_shows[sid] += 1
    for sid, row in stats["services"].items():
        row["name"] = site.services[sid].name if sid in site.services else sid
        row["called"] = called[sid]
        row["no_shows"] = no_shows[sid]
        row["no_show_rate"] = round(no_shows[sid] / called[sid], 3) if called[sid] else None
    for agency, row in stats["agencies"].items():
        sids = [s for s, a in agencies.items() if a == agency]
        c, n = sum(called[s] for s in sids), sum(no_shows[s] for s in sids)
        row.update(called=c, no_shows=n, no_show_rate=round(n / c, 3) if c else None)
    stats["counters"] = {
        cid: {"name": daylog.state.counters[cid].name if cid in daylog.state.counters else cid,
              "open_s": round(u.open_s), "busy_s": round(u.busy_s),
              "utilisation": u.utilisation, "done": u.done, "missed": u.missed,
              "transferred": u.transferred,
              "opened_first": _iso(daylog.local(u.first_open))}
        for cid, u in sorted(daylog.counters.items(), key=lambda kv: _counter_key(kv[0]))}
    stats["hourly"] = [{"hour": h, "agency": a, "tickets": n}
                       for (h, a), n in sorted(daylog.hourly.items())]
    stats["events"] = daylog.events
    stats["events_skipped"] = daylog.skipped
    return stats


def _counter_key(cid: str) -> tuple:
    return (0, int(cid), "") if cid.isdigit() else (1, 0, cid)


def _iso(dt: datetime | None) -> str:
    return dt.isoformat(timespec="seconds") if dt else ""


# -- files ---------------------------------------------------------------------------------------

TICKET_COLUMNS = ["ticket", "service", "service_name", "agency", "issued_for", "priority",
                  "kiosk", "status", "issued_at", "first_called_at", "last_called_at",
                  "finished_at", "wait_s", "service_s", "counter", "calls", "transferred_from",
                  "no_show"]


def write_csv(daylog: DayLog, stats: dict[str, Any], out: Path) -> list[Path]:
    site = daylog.site
    written = []

    def table(name: str, header: list[str], rows: Iterable[list[Any]]) -> None:
        path = out / name
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(header)
            w.writerows(rows)
        written.append(path)

    def name_of(sid: str) -> str:
        return site.services[sid].name if sid in site.services else sid

    tickets = sorted(daylog.state.tickets.values(), key=lambda t: (t.issued_at, t.label))
    table("tickets.csv", TICKET_COLUMNS, (
        [t.label, t.service, name_of(t.service), daylog.agency(t.service),
         t.issued_service or t.service, int(t.priority), t.kiosk or "", t.status,
         _iso(daylog.local(t.issued_at)), _iso(daylog.local(t.first_called_at)),
         _iso(daylog.local(t.called_at)), _iso(daylog.local(t.finished_at)),
         _num(t.wait_time), _num(t.service_time), t.counter or "", t.calls,
         t.transferred_from or "", int(t.label in daylog.ever_missed)]
        for t in tickets))

    def summary_cols(row: dict) -> list[Any]:
        w, s = row["wait"], row["service_time"]
        std = row.get("standard") or {}
        return [w["median_s"], w["p90_s"], w["mean_s"], s["median_s"], s["p90_s"], s["mean_s"],
                std.get("share_within", "")]

    head = ["issued", "done", "missed", "waiting", "called", "no_shows", "no_show_rate",
            "wait_median_s", "wait_p90_s", "wait_mean_s", "service_median_s", "service_p90_s",
            "service_mean_s", "within_standard_share"]
    table("services.csv", ["service", "name", "agency", *head], (
        [sid, r["name"], r["agency"], r["issued"], r["done"], r["missed"], r["waiting"],
         r["called"], r["no_shows"], _blank(r["no_show_rate"]), *map(_blank, summary_cols(r))]
        for sid, r in stats["services"].items()))
    table("agencies.csv", ["agency", *head], (
        [a, r["issued"], r["done"], r["missed"], r["waiting"], r["called"], r["no_shows"],
         _blank(r["no_show_rate"]), *map(_blank, summary_cols(r))]
        for a, r in stats["agencies"].items()))
    table("counters.csv", ["counter", "name", "opened_first", "open_s", "busy_s",
                           "utilisation", "done", "missed", "transferred"], (
        [cid, c["name"], c["opened_first"], c["open_s"], c["busy_s"], _blank(c["utilisation"]),
         c["done"], c["missed"], c["transferred"]] for cid, c in stats["counters"].items()))
    table("hourly.csv", ["hour", "agency", "tickets"],
          ([h["hour"], h["agency"], h["tickets"]] for h in stats["hourly"]))
    path = out / "summary.json"
    path.write_text(json.dumps(stats, ensure_ascii=False, indent=1), encoding="utf-8")
    written.append(path)
    return written


def _num(value: float | None) -> Any:
    return "" if value is None else round(value, 1)


def _blank(value: Any) -> Any:
    return "" if value is None else value


def day_events(db: str | Path, day: str) -> Iterator[dict[str, Any]]:
    """One day's events from the queue's SQLite log, opened read-only (the report, and the web
    process on the queue's Pi, never write to it; WAL lets them read while it runs)."""
    with Store.read_only(db) as store:
        yield from store.rows(day=day)


def read_day(site: Site, db: str | Path, day: str) -> DayLog:
    return replay(site, day_events(db, day), day)


def write_report(site: Site, db: str | Path, day: str, out: Path, *,
                 survey_db: str | Path | None = None) -> list[Path]:
    """Read ``day`` from the queue's SQLite log (safe while the service runs: WAL) and write
    the CSV files and charts into ``out``; returns the files written. With ``survey_db`` (the
    web's survey file) the SKM section is written too."""
    from reports.charts import write_charts
    from reports.skm import write_skm
    from reports.standards import write_standards

    daylog = read_day(site, db, day)
    out.mkdir(parents=True, exist_ok=True)
    stats = figures(daylog)
    written = write_csv(daylog, stats, out)
    written += write_charts(daylog, stats, out)
    written += write_standards(site, stats, out)
    if survey_db is not None:
        written += write_skm(site, survey_db, day, out)
    log.info("report for %s: %d events, %d tickets, %d files in %s", day, daylog.events,
             len(daylog.state.tickets), len(written), out)
    return written
