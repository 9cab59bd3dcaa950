"""The panel's outbox: every press is on disk before it is published, until the service answers.

    box = Outbox("var/counter-1.outbox.db", "c1")
    p = box.add("next", expect=Expect.known("A011"), ts=time.time())
    box.head().id == p.id           # presses leave in the order they were made
    box.done(p.id, chain=Expect.known("A012"))    # acknowledged: the outcome feeds the next press

``expect`` guards a press against a counter that moved on without the panel knowing (the queue
service refuses it as ``stale``). A press made while earlier ones are still waiting cannot know
the ticket it will meet, so it is stored as *chained*: at sending time it expects the outcome of
the press before it, kept in the ``chain`` row and written in the same transaction that removes
that press, so a restart between the two cannot lose it.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from hardware.store import RequestIds, meta_get, meta_set, open_db, transaction

SCHEMA = """
CREATE TABLE IF NOT EXISTS press (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    id      TEXT NOT NULL UNIQUE,
    action  TEXT NOT NULL,
    ticket  TEXT,
    dest    TEXT,
    expect  TEXT NOT NULL,          -- JSON of Expect
    ts      REAL NOT NULL           -- wall clock of the press (Unix s)
);
"""


@dataclass(frozen=True)
class Expect:
    """What a press expects the counter to hold.

    ``mode``: ``known`` (``ticket``, None meaning idle), ``unset`` (the panel did not know: send
    no ``expect``), ``chain`` (the outcome of the press before), ``broken`` (in the chain row
    only: the press before was refused as stale or dropped, so the chained ones are void).
    """

    mode: str
    ticket: str | None = None

    @classmethod
    def known(cls, ticket: str | None) -> "Expect":
        return cls("known", ticket)

    def encode(self) -> str:
        return json.dumps({"mode": self.mode, "ticket": self.ticket})

    @classmethod
    def decode(cls, text: str | None) -> "Expect":
        try:
            value = json.loads(text or "")
            return cls(str(value["mode"]), value.get("ticket"))
        except (ValueError, KeyError, TypeError):
            return cls("unset")


UNSET = Expect("unset")
CHAIN = Expect("chain")
BROKEN = Expect("broken")


@dataclass(frozen=True)
class Pending:
    seq: int
    id: str
    action: str
    expect: Expect
    ts: float
    ticket: str | None = None
    to: str | None = None


class Outbox:
    """A FIFO of presses in SQLite (a press survives the panel process dying or restarting).

    :param path: the SQLite file (``:memory:`` in unit tests).
    :param prefix: request id prefix, ``c<counter>``.
    """

    def __init__(self, path: str | Path, prefix: str):
        self.db: sqlite3.Connection = open_db(path)
        self.db.executescript(SCHEMA)
        self.ids = RequestIds(prefix)

    def add(self, action: str, *, expect: Expect, ts: float, ticket: str | None = None,
            to: str | None = None) -> Pending:
        rid = self.ids.next()
        # One statement, so one transaction of its own (autocommit): no BEGIN/COMMIT round trips.
        cur = self.db.execute(
            "INSERT INTO press (id, action, ticket, dest, expect, ts) VALUES (?, ?, ?, ?, ?, ?)",
            (rid, action, ticket, to, expect.encode(), ts))
        return Pending(cur.lastrowid, rid, action, expect, ts, ticket, to)

    def pending(self) -> list[Pending]:
        rows = self.db.execute(
            "SELECT seq, id, action, expect, ts, ticket, dest FROM press ORDER BY seq").fetchall()
        return [Pending(s, i, a, Expect.decode(e), ts, t, d) for s, i, a, e, ts, t, d in rows]

    def head(self) -> Pending | None:
        row = self.db.execute("SELECT seq, id, action, expect, ts, ticket, dest FROM press "
                              "ORDER BY seq LIMIT 1").fetchone()
        if row is None:
            return None
        s, i, a, e, ts, t, d = row
        return Pending(s, i, a, Expect.decode(e), ts, t, d)

    def done(self, rid: str, *, chain: Expect) -> bool:
        """Remove a press (acknowledged, refused or dropped) and record what the next one expects."""
        with transaction(self.db):
            cur = self.db.execute("DELETE FROM press WHERE id = ?", (rid,))
            meta_set(self.db, "chain", chain.encode())
        return cur.rowcount == 1

    def chain(self) -> Expect:
        """What a chained press expects now (the outcome of the last press that left)."""
        return Expect.decode(meta_get(self.db, "chain"))

    def depth(self) -> int:
        return self.db.execute("SELECT count(*) FROM press").fetchone()[0]

    def oldest_ts(self) -> float | None:
        return self.db.execute("SELECT min(ts) FROM press").fetchone()[0]

    def close(self) -> None:
        self.db.close()
