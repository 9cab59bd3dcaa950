"""The queue service's durable store: the event log and a snapshot of the state, in SQLite.

    store = Store("/var/lib/antrian/queue.db")
    state = store.load(fresh)          # snapshot + the events after it
    store.append(events); store.commit()

WAL with ``synchronous=FULL``: a committed event survives a power cut. The service commits a
batch of events before it publishes anything about them, so what a client saw acknowledged is
always on disk, and replaying the log after ``kill -9`` reuses no ticket number and skips none.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from ticketing import QueueState, apply
from ticketing.events import Event, from_dict, to_dict

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq  INTEGER PRIMARY KEY,
    day  TEXT NOT NULL,
    ts   REAL NOT NULL,
    type TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_day ON events(day);
CREATE TABLE IF NOT EXISTS snapshot (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
# A snapshot bounds the replay at start-up. It is written when the service is idle once this
# many events have passed, and regardless of load after SNAPSHOT_FORCE (a busy day's state takes
# tens of milliseconds to write: never in the middle of a burst if it can wait).
SNAPSHOT_EVERY = 5000
SNAPSHOT_FORCE = 50000


class Store:
    """The queue's SQLite file. :meth:`read_only` opens it for readers (the daily report, the
    web process on the queue's Pi) that must never write to it; WAL lets them read while the
    service runs."""

    def __init__(self, path: str | Path, *, synchronous: str = "FULL", readonly: bool = False):
        self.path = Path(path)
        self.readonly = readonly
        if readonly:
            self.db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True,
                                      isolation_level=None, check_same_thread=False)
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute(f"PRAGMA synchronous={synchronous}")
            self.db.executescript(SCHEMA)
        self._in_tx = False
        self._since_snapshot = 0

    @classmethod
    def read_only(cls, path: str | Path) -> "Store":
        """Open an existing store for reading only (``sqlite3.OperationalError`` if missing)."""
        return cls(path, readonly=True)

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.db.close()

    # -- loading --------------------------------------------------------------------------------

    def load(self, fresh: Callable[[], QueueState]) -> QueueState:
        """The state as of the last committed event (``fresh()`` when the store is empty)."""
        row = self.db.execute("SELECT seq, data FROM snapshot WHERE id = 1").fetchone()
        state = QueueState.from_dict(json.loads(row[1])) if row else fresh()
        replayed = 0
        for event in self.events(after=state.seq):
            apply(state, event)
            replayed += 1
        self._since_snapshot = replayed
        log.info("store %s: snapshot at seq %s, replayed %d events, now at seq %d",
                 self.path, row[0] if row else "-", replayed, state.seq)
        return state

    def events(self, *, after: int = 0, day: str | None = None) -> Iterator[Event]:
        """Stored events in order (for replay)."""
        for row in self.rows(after=after, day=day):
            yield from_dict(row)

    def rows(self, *, after: int = 0, day: str | None = None) -> Iterator[dict[str, Any]]:
        """Stored events in order, as stored (``{"type": ...}``): for readers that skip what
        they cannot read, such as the daily report."""
        if day is None:
            rows = self.db.execute("SELECT data FROM events WHERE seq > ? ORDER BY seq", (after,))
        else:
            rows = self.db.execute("SELECT data FROM events WHERE day = ? AND seq > ? ORDER BY seq",
                                   (day, after))
        for (data,) in rows:
            yield json.loads(data)

    def last_seq(self) -> int:
        return self.db.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0]

    # -- writing --------------------------------------------------------------------------------

    def append(self, events: Iterable[Event | dict[str, Any]]) -> None:
        stored = [to_dict(e) if isinstance(e, Event) else e for e in events]
        rows = [(e["seq"], e["day"], e["ts"], e["type"], json.dumps(e, separators=(",", ":")))
                for e in stored]
        if not rows:
            return
        if not self._in_tx:
            self.db.execute("BEGIN IMMEDIATE")
            self._in_tx = True
        self.db.executemany("INSERT INTO events(seq, day, ts, type, data) VALUES (?, ?, ?, ?, ?)",
                            rows)
        self._since_snapshot += len(rows)

    def commit(self, state: QueueState | None = None, *, idle: bool = True) -> None:
        """Make the appended events durable; with ``state``, snapshot it when one is due."""
        if state is not None and (self._since_snapshot >= SNAPSHOT_FORCE
                                  or (idle and self._since_snapshot >= SNAPSHOT_EVERY)):
            self.snapshot(state)
        if self._in_tx:
            self.db.execute("COMMIT")
            self._in_tx = False

    def rollback(self) -> None:
        if self._in_tx:
            self.db.execute("ROLLBACK")
            self._in_tx = False

    def snapshot(self, state: QueueState) -> None:
        """Write the state as of ``state.seq`` (in the current transaction, if any)."""
        data = json.dumps(state.to_dict(), separators=(",", ":"))
        self.db.execute("INSERT OR REPLACE INTO snapshot(id, seq, data) VALUES (1, ?, ?)",
                        (state.seq, data))
        self._since_snapshot = 0

    def close(self, state: QueueState | None = None) -> None:
        if self.readonly:
            self.db.close()
            return
        if state is not None:
            self.commit()
            self.snapshot(state)
        self.commit()
        self.db.close()
