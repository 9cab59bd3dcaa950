"""The staff's audit log: who did what, when, and what came of it (issue 14).

    audit = AuditLog(Path("/var/lib/antrian/web-audit.db"))
    audit.record(Entry(ts, "sari", "officer", "press", counter="3", action="next",
                       ticket="C004", outcome="ok"))
    audit.day("2026-11-30", tz)           # the day's entries, oldest first

One SQLite file in the web's state directory, written only by the web process. It holds staff
names, counters, actions, ticket numbers (the public labels a board shows), outcomes and the
reasons staff typed: no visitor data (no NIK, no phone, no name). ``served_s`` is how long the
ticket an action finished had been at the counter (from the counter's ``since``): what
``reports.officers`` takes the median of.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from dataclasses import asdict, dataclass
from datetime import datetime, time as dtime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY,
    ts REAL NOT NULL,
    user TEXT NOT NULL,
    role TEXT NOT NULL,
    kind TEXT NOT NULL,            -- press | command
    counter TEXT,
    action TEXT NOT NULL,          -- next, recall, ..., or the command (assign, message, reset)
    ticket TEXT,                   -- the ticket acted on (a public label), if any
    target TEXT,                   -- transfer: the service; assign: the services; reset: service
    reason TEXT,                   -- close's reason, an out-of-order call's reason
    out_of_order INTEGER NOT NULL DEFAULT 0,
    outcome TEXT NOT NULL,         -- ok, repeated (an id done before), or the refusal's code
    served_s REAL,                 -- service time of the ticket this action finished
    request TEXT                   -- the press's request id: a resend is told apart
);
CREATE INDEX IF NOT EXISTS audit_ts ON audit (ts);
CREATE INDEX IF NOT EXISTS audit_request ON audit (request);
"""
FIELDS = ("ts", "user", "role", "kind", "counter", "action", "ticket", "target", "reason",
          "out_of_order", "outcome", "served_s", "request")


@dataclass(frozen=True)
class Entry:
    ts: float
    user: str
    role: str
    kind: str
    counter: str | None = None
    action: str = ""
    ticket: str | None = None
    target: str | None = None
    reason: str | None = None
    out_of_order: bool = False
    outcome: str = "ok"
    served_s: float | None = None
    request: str | None = None


class AuditLog:
    """:param path: the SQLite file (created with its folder); ``None``: kept in memory."""

    def __init__(self, path: Path | None):
        self.path = path
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path) if path else ":memory:", check_same_thread=False,
                                   isolation_level=None)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)
        self.failed = 0

    def record(self, entry: Entry) -> None:
        """Append one entry (~0.1 ms); a disk that refuses is logged, never raised to staff."""
        row = asdict(entry)
        row["out_of_order"] = int(entry.out_of_order)
        try:
            with self._lock:
                self._db.execute(f"INSERT INTO audit ({', '.join(FIELDS)}) VALUES "
                                 f"({', '.join('?' * len(FIELDS))})", [row[f] for f in FIELDS])
        except sqlite3.Error as e:
            self.failed += 1
            log.error("audit log %s: cannot record %s by %s: %s", self.path, entry.action,
                      entry.user, e)

    def done(self, counter: str, request: str) -> bool:
        """Whether a press of this id at this counter is already recorded as done (a double
        click, or the page's resend after its answer was lost): it is then ``repeated``."""
        try:
            with self._lock:
                return self._db.execute(
                    "SELECT 1 FROM audit WHERE request = ? AND counter = ? AND outcome = 'ok' "
                    "LIMIT 1", (request, counter)).fetchone() is not None
        except sqlite3.Error:
            return False

    def between(self, start: float, end: float) -> list[Entry]:
        with self._lock:
            rows = self._db.execute(f"SELECT {', '.join(FIELDS)} FROM audit WHERE ts >= ? AND "
                                    "ts < ? ORDER BY ts, id", (start, end)).fetchall()
        return [Entry(**{**dict(zip(FIELDS, r)), "out_of_order": bool(r[9])}) for r in rows]

    def day(self, day: str, tz: ZoneInfo, reset_at: dtime = dtime(0, 0)) -> list[Entry]:
        """The entries of a service day (``YYYY-MM-DD``, from ``reset_at`` to the next one)."""
        start = datetime.combine(datetime.fromisoformat(day).date(), reset_at, tz)
        return self.between(start.timestamp(), (start + timedelta(days=1)).timestamp())

    def close(self) -> None:
        with self._lock:
            self._db.close()


def default_path(state_dir: Path) -> Path:
    return state_dir / "web-audit.db"
