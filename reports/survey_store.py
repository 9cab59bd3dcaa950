"""The SKM survey's records: one SQLite file, written by the web (``web.survey``) and read by
the reports (``reports.skm``) and the manager's page through the same small API, so the SQL lives
here only. It imports nothing of the web server.

    store = SurveyStore("var/survey.db")                       # the web: writes
    store.add(Respondent("2026-11-30", "A012", "ktp", "Disdukcapil"), scores, ts=now)
    reader = SurveyStore.reader("var/survey.db")               # reports: a SurveyReader
    n, sums = reader.totals("2026-11-01", "2026-11-30", agency="Disdukcapil")

A response holds the day, the ticket number, its service and agency, the nine scores and when it
came: no address, no browser, no name.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from ticketing.skm import N_ELEMENTS

COLUMNS = [f"s{i + 1}" for i in range(N_ELEMENTS)]
SCHEMA = f"""
CREATE TABLE IF NOT EXISTS response (
    day     TEXT NOT NULL,           -- the service day, YYYY-MM-DD
    ticket  TEXT NOT NULL,           -- the ticket label as the queue prints it
    service TEXT NOT NULL,
    agency  TEXT NOT NULL,
    {", ".join(f"{c} INTEGER NOT NULL CHECK ({c} BETWEEN 1 AND 4)" for c in COLUMNS)},
    ts      REAL NOT NULL,
    UNIQUE (day, ticket)
);
-- covering: the index answers the sums of a period by itself (3x faster than the table)
CREATE INDEX IF NOT EXISTS response_scores ON response(day, agency, service, {", ".join(COLUMNS)});
"""


class AlreadyAnswered(Exception):
    """This ticket was rated already today (the database's UNIQUE(day, ticket) decided)."""


@dataclass(frozen=True)
class Respondent:
    """The ticket a response is for (no more than that is kept)."""
    day: str
    ticket: str
    service: str
    agency: str


class SurveyReader:
    """The responses, read-only: what the reports and the manager's figures use (safe while
    the web writes: WAL). Thread-safe."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.lock = threading.Lock()
        self.db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)

    def _where(self, start: str, end: str, agency: str | None, service: str | None):
        sql, args = "day BETWEEN ? AND ?", [start, end]
        if agency is not None:
            sql += " AND agency = ?"
            args.append(agency)
        if service is not None:
            sql += " AND service = ?"
            args.append(service)
        return sql, args

    def totals(self, start: str, end: str, *, agency: str | None = None,
               service: str | None = None) -> tuple[int, list[int]]:
        """(responses, per-element sums) from ``start`` to ``end`` (days, inclusive)."""
        where, args = self._where(start, end, agency, service)
        with self.lock:
            row = self.db.execute(
                f"SELECT count(*), {', '.join(f'coalesce(sum({c}), 0)' for c in COLUMNS)} "
                f"FROM response WHERE {where}", args).fetchone()
        return row[0], list(row[1:])

    def grouped(self, start: str, end: str, by: str, *, agency: str | None = None
                ) -> dict[str, tuple[int, list[int]]]:
        """(responses, sums) per ``agency`` or per ``service``."""
        if by not in ("agency", "service"):
            raise ValueError(by)
        where, args = self._where(start, end, agency, None)
        with self.lock:
            rows = self.db.execute(
                f"SELECT {by}, count(*), {', '.join(f'sum({c})' for c in COLUMNS)} "
                f"FROM response WHERE {where} GROUP BY {by} ORDER BY {by}", args).fetchall()
        return {r[0]: (r[1], list(r[2:])) for r in rows}

    def count(self) -> int:
        with self.lock:
            return self.db.execute("SELECT count(*) FROM response").fetchone()[0]

    def close(self) -> None:
        with self.lock:
            self.db.close()



class SurveyStore(SurveyReader):
    """The responses, in SQLite (WAL), written by the web from a worker thread. Thread-safe.

    ``SurveyStore(path, readonly=True)`` is kept for old callers: it is a :class:`SurveyReader`
    that also has ``add`` (which the file's read-only mode refuses)."""

    @staticmethod
    def reader(path: str | Path) -> SurveyReader:
        """The file opened read-only: no ``add`` at all."""
        return SurveyReader(path)

    def __init__(self, path: str | Path, *, readonly: bool = False):
        if readonly:
            super().__init__(path)
            return
        self.path = Path(path)
        self.lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(SCHEMA)

    def add(self, who: Respondent, scores: tuple[int, ...], *, ts: float) -> None:
        """Store one response; :class:`AlreadyAnswered` when the ticket was already rated."""
        if len(scores) != N_ELEMENTS:
            raise ValueError("nine scores")
        try:
            with self.lock:
                self.db.execute(
                    f"INSERT INTO response (day, ticket, service, agency, {', '.join(COLUMNS)}, ts)"
                    f" VALUES (?, ?, ?, ?, {', '.join('?' * N_ELEMENTS)}, ?)",
                    (who.day, who.ticket, who.service, who.agency, *scores, round(ts)))
        except sqlite3.IntegrityError:
            raise AlreadyAnswered(who.ticket) from None


def default_path() -> Path:
    """Beside the other state: /var/lib/antrian/survey.db on a Pi, ./var/survey.db elsewhere."""
    state = Path("/var/lib/antrian")
    return state / "survey.db" if state.is_dir() else Path("var/survey.db")
