"""The small SQLite files of panels and kiosks, and request ids that never repeat.

    db = open_db("var/counter-1.outbox.db")
    ids = RequestIds("c1")
    ids.next()        # 'c1-7f3a9c02-1', 'c1-7f3a9c02-2'; after a restart 'c1-0b44e1d9-1'

Durability: WAL with ``synchronous=NORMAL``. A commit survives the process being killed or
restarted (the guarantee the outbox gives), not always a power cut, which may lose the last
presses made as the panel died. ``FULL`` would fsync each press: 0.3 ms here at best, 4-10 ms
at the 99th percentile on a busy disk, and far more on a Pi's SD card (which it also wears),
all of it between the press and its LED. Because a power cut may roll the file back, request
ids do not come from it: each process start draws a random token, so an id is never reused
(a reused id would be answered with its old outcome by the idempotent queue service and do
nothing).
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
    """Open (creating) a store; a commit survives the process dying (``synchronous=NORMAL``).

    The connection is used from one thread only (the panel's or kiosk's loop); ``check_same_thread``
    is off so that thread may be a different one from the opener's.
    """
    path = str(path)
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=5)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")     # see the module's docstring
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
    """``<prefix>-<token>-<n>``: a fresh random token per process, ``n`` counting from 1.

    At most 64 characters (the contract's limit) for any valid counter or kiosk id.
    """

    def __init__(self, prefix: str):
        self.prefix = prefix[:40]
        self.token = secrets.token_hex(4)
        self.n = 0

    def next(self) -> str:
        self.n += 1
        return f"{self.prefix}-{self.token}-{self.n}"
