"""The kiosk's SQLite file: take requests in flight and issued tickets until they are printed.

    store = KioskStore("var/kiosk-k1.db", "k1")
    rid = store.new_take("ktp", priority=False, ts=time.time())
    store.issued(rid, ticket_event)         # written before printing starts
    store.printed(rid)                      # only now is the ticket off our hands

A ticket that is issued but not printed (paper out, printer unplugged, a crash mid-print) stays
``pending`` and is printed as soon as the printer can: never an orphan number nobody holds.
"""

from __future__ import annotations

import json
from pathlib import Path

from hardware.store import RequestIds, open_db, transaction

SCHEMA = """
CREATE TABLE IF NOT EXISTS take (
    id       TEXT PRIMARY KEY,
    service  TEXT NOT NULL,
    priority INTEGER NOT NULL,
    ts       REAL NOT NULL,
    state    TEXT NOT NULL           -- asked | answered | refused | abandoned
);
CREATE TABLE IF NOT EXISTS ticket (
    id        TEXT PRIMARY KEY,      -- the take's request id
    ticket    TEXT NOT NULL,
    body      TEXT NOT NULL,         -- the ticket event, as received
    state     TEXT NOT NULL,         -- pending | printed
    attempts  INTEGER NOT NULL DEFAULT 0,
    issued    REAL NOT NULL,
    printed   REAL
);
"""


class KioskStore:
    def __init__(self, path: str | Path, kiosk: str):
        self.db = open_db(path)
        self.db.executescript(SCHEMA)
        # Take ids read like the contract's example: "k1-…" for kiosk "k1", "k-lobby-…" otherwise.
        self.ids = RequestIds(kiosk if kiosk.startswith("k") else f"k-{kiosk}")

    def new_take(self, service: str, *, priority: bool, ts: float) -> str:
        rid = self.ids.next()
        self.db.execute("INSERT INTO take VALUES (?, ?, ?, ?, 'asked')",
                        (rid, service, int(priority), ts))
        return rid

    def take(self, rid: str) -> tuple[str, bool, float, str] | None:
        row = self.db.execute("SELECT service, priority, ts, state FROM take WHERE id = ?",
                              (rid,)).fetchone()
        return (row[0], bool(row[1]), row[2], row[3]) if row else None

    def asked(self) -> list[tuple[str, str, bool, float]]:
        """Takes still waiting for their answer, oldest first: (id, service, priority, ts)."""
        return [(i, s, bool(p), ts) for i, s, p, ts in self.db.execute(
            "SELECT id, service, priority, ts FROM take WHERE state = 'asked' ORDER BY ts")]

    def set_take(self, rid: str, state: str) -> None:
        self.db.execute("UPDATE take SET state = ? WHERE id = ?", (state, rid))

    def issued(self, rid: str, body: dict, *, ts: float) -> bool:
        """Record an issued ticket (pending print); False when it was already recorded."""
        with transaction(self.db):
            self.db.execute("UPDATE take SET state = 'answered' WHERE id = ?", (rid,))
            cur = self.db.execute(
                "INSERT OR IGNORE INTO ticket (id, ticket, body, state, issued) "
                "VALUES (?, ?, ?, 'pending', ?)", (rid, body["ticket"], json.dumps(body), ts))
        return cur.rowcount == 1

    def attempt(self, rid: str) -> None:
        self.db.execute("UPDATE ticket SET attempts = attempts + 1 WHERE id = ?", (rid,))

    def printed(self, rid: str, *, ts: float) -> None:
        self.db.execute("UPDATE ticket SET state = 'printed', printed = ? WHERE id = ?", (ts, rid))

    def pending(self) -> list[tuple[str, dict, int]]:
        """Issued tickets not yet printed, in issue order: (id, event, attempts)."""
        return [(i, json.loads(b), a) for i, b, a in self.db.execute(
            "SELECT id, body, attempts FROM ticket WHERE state = 'pending' ORDER BY issued, id")]

    def count_printed(self) -> int:
        return self.db.execute("SELECT count(*) FROM ticket WHERE state = 'printed'").fetchone()[0]

    def close(self) -> None:
        self.db.close()
