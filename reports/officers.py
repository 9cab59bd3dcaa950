"""Per-officer figures of a day, from the web's audit log (issue 14).

    rows = figures(site, read_day(Path("web-audit.db"), site, "2026-11-30"))
    rows = visible(rows, agency="Polres")      # an agency sees the officers of its counters
    Path("officers.csv").write_text(csv_text(rows))

Each row: ``user``, ``role``, ``counters`` and ``agencies`` they acted at, ``served`` (tickets
finished as done by their next, call or close), ``median_service_s`` (how long those tickets
had been at the counter), ``out_of_order`` (waiting tickets called ahead of the line, each with
its reason in the audit log), ``recalls``, ``refused`` (presses the queue or the web refused).
Only acknowledged presses count as served. Staff names only: no visitor data.
"""

from __future__ import annotations

import csv
import io
import sqlite3
import statistics
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Iterable

from antrian.config import Site

COLUMNS = ("user", "role", "counters", "agencies", "served", "median_service_s",
           "out_of_order", "recalls", "refused")


def figures(site: Site, entries: Iterable) -> list[dict[str, Any]]:
    """One row per person who pressed at a counter that day, by user name."""
    people: dict[str, dict[str, Any]] = {}
    for e in entries:
        if e.kind != "press":
            continue
        row = people.setdefault(e.user, {"user": e.user, "role": e.role, "counters": set(),
                                         "times": [], "out_of_order": 0, "recalls": 0,
                                         "refused": 0})
        if e.counter in site.counters:
            row["counters"].add(e.counter)
        if e.outcome != "ok":
            row["refused"] += 1
            continue
        if e.served_s is not None:
            row["times"].append(e.served_s)
        row["out_of_order"] += bool(e.out_of_order)
        row["recalls"] += e.action == "recall"
    out = []
    for user in sorted(people):
        row = people[user]
        times = row.pop("times")
        counters = sorted(row.pop("counters"), key=list(site.counters).index)
        agencies = sorted({site.services[s].agency for c in counters
                           for s in site.counters[c].services if s in site.services})
        out.append({**row, "counters": counters, "agencies": agencies, "served": len(times),
                    "median_service_s": round(statistics.median(times), 1) if times else None})
    return out


def visible(rows: list[dict[str, Any]], agency: str | None) -> list[dict[str, Any]]:
    """What an account sees: the building manager (``agency=None``) every officer; an agency
    the officers who worked at its counters."""
    return rows if agency is None else [r for r in rows if agency in r["agencies"]]


def csv_text(rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(COLUMNS)
    for r in rows:
        w.writerow([" ".join(v) if isinstance(v, list) else ("" if v is None else v)
                    for v in (r[c] for c in COLUMNS)])
    return buf.getvalue()


def write(site: Site, audit_db: Path, day: str, out: Path) -> list[Path]:
    """``officers.csv`` (every officer: the building manager's) and one
    ``officers_<agency>.csv`` per agency, into ``out``; nothing when there is no audit log."""
    if not audit_db.is_file():
        return []
    rows = figures(site, read_day(audit_db, site, day))
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "officers.csv"]
    written[0].write_text(csv_text(rows), encoding="utf-8")
    for agency in site.agencies:
        path = out / f"officers_{_slug(agency)}.csv"
        path.write_text(csv_text(visible(rows, agency)), encoding="utf-8")
        written.append(path)
    return written


def read_day(audit_db: Path, site: Site, day: str) -> list[SimpleNamespace]:
    """The audit log's entries of a service day, read-only (the web writes the file)."""
    start = datetime.combine(datetime.fromisoformat(day).date(), site.reset_at, site.tz)
    end = start + timedelta(days=1)
    db = sqlite3.connect(f"file:{audit_db}?mode=ro", uri=True)
    try:
        db.row_factory = sqlite3.Row
        rows = db.execute("SELECT * FROM audit WHERE ts >= ? AND ts < ? ORDER BY ts, id",
                          (start.timestamp(), end.timestamp())).fetchall()
    finally:
        db.close()
    return [SimpleNamespace(**dict(r)) for r in rows]


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in text.lower()).strip("_")[:40]
