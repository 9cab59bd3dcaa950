"""The small SQLite files of panels and kiosks, and request ids that stay unique across restarts.

    db = open_db("var/counter-1.outbox.db")
    ids = RequestIds(db, "c1")
    ids.next()        # 'c1-7f3a9c-1'; 'c1-7f3a9c-2' after a restart; a new token if the file is lost

The token is drawn once per file, so a panel whose file was deleted never reuses an id the queue
service already applied (a reused id would be silently answered with its old outcome).
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def open_db(path: str | Path) -> sqlite3.Connection:
    """Open (creating) a store; every commit survives a power cut (``synchronous=FULL``).

    The connection is used from one thread only (the panel's or kiosk's loop); ``check_same_thread``
    is off so that thread may be a different one from the opener's.
    """
    path = str(path)
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=5)
    db.execute("PRAGMA journal_mode=WAL")
    # A press is written before it is published: it must be on disk when the LED starts blinking.
    db.execute("PRAGMA synchronous=FULL")
    db.executescript(SCHEMA)
    return db


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One atomic write (the connection is in autocommit mode otherwise)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def meta_get(db: sqlite3.Connection, key: str, default: str | None = None) -> str | None:
    row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else default


def meta_set(db: sqlite3.Connection, key: str, value: str) -> None:
    db.execute("INSERT INTO meta (key, value) VALUES (?, ?) "
               "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value))


class RequestIds:
    """``<prefix>-<token>-<n>``: at most 64 characters (the contract's limit) for any valid id."""

    def __init__(self, db: sqlite3.Connection, prefix: str):
        self.db = db
        self.prefix = prefix[:40]
        with transaction(db):
            token = meta_get(db, "token")
            if token is None:
                token = secrets.token_hex(3)
                meta_set(db, "token", token)
        self.token = token

    def next(self) -> str:
        """Draw the next id; call inside the transaction that stores the request using it."""
        n = int(meta_get(self.db, "last_id", "0")) + 1
        meta_set(self.db, "last_id", str(n))
        return f"{self.prefix}-{self.token}-{n}"
