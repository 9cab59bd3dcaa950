"""The SKM survey's rules and its SQLite file: one response per served ticket, nothing personal.

    store = SurveyStore("var/survey.db")
    req = parse_request(body_bytes)                       # SurveyRefused when malformed
    who = eligible(public, req.ticket, req.day, now)      # SurveyRefused: unknown, not served...
    store.add(who, req.scores, ts=now)                    # SurveyRefused when already answered
    n, sums = store.totals("2026-11-01", "2026-11-30", agency="Disdukcapil")

A response holds the day, the ticket number, its service and agency, the nine scores and when
it came: no address, no browser, no name. Whether a ticket was served is decided from the
retained state the web process holds (``PublicState.ticket``, the same answer the page shows):
only a ticket whose status is ``done`` today may be rated.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import msgspec

from ticketing.skm import N_ELEMENTS, BadScores, check_scores
from web.public import TICKET

log = logging.getLogger(__name__)

MAX_BODY = 512          # bytes: {"ticket": "4K-0010", "day": "2026-11-30", "scores": [...]} is ~80
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


class SurveyRefused(Exception):
    """A response that is not taken: HTTP status, a code, and the reason in both languages."""

    def __init__(self, status: int, code: str, text_id: str, text_en: str):
        super().__init__(text_en)
        self.status, self.code, self.text_id, self.text_en = status, code, text_id, text_en

    def body(self) -> dict[str, Any]:
        return {"ok": False, "code": self.code, "error": self.text_en,
                "message": {"id": self.text_id, "en": self.text_en}}


def malformed(en: str, id_: str = "Data penilaian tidak valid") -> SurveyRefused:
    return SurveyRefused(400, "malformed", f"{id_}: {en}", f"Malformed survey: {en}")


@dataclass(frozen=True)
class SurveyRequest:
    ticket: str
    scores: tuple[int, ...]
    day: str | None = None


def parse_request(raw: bytes) -> SurveyRequest:
    """``{"ticket": "A012", "scores": [9 × 1..4], "day": "YYYY-MM-DD" (optional)}``."""
    if len(raw) > MAX_BODY:
        raise SurveyRefused(413, "too_large", "Data terlalu besar",
                            f"Request body too large (at most {MAX_BODY} bytes)")
    try:
        body = msgspec.json.decode(raw)
    except (msgspec.DecodeError, UnicodeDecodeError):
        raise malformed("not JSON") from None
    if not isinstance(body, dict):
        raise malformed("expected a JSON object")
    unknown = sorted(set(body) - {"ticket", "scores", "day"})
    if unknown:
        raise malformed(f"unknown field {unknown[0][:20]!r}")
    ticket, day = body.get("ticket"), body.get("day")
    if not isinstance(ticket, str) or not 1 <= len(ticket) <= 12:
        raise malformed("ticket must be a ticket number such as A012")
    if day is not None:
        if not isinstance(day, str) or len(day) != 10:
            raise malformed("day must be YYYY-MM-DD")
        try:
            day = date.fromisoformat(day).isoformat()
        except ValueError:
            raise malformed("day must be YYYY-MM-DD") from None
    try:
        scores = check_scores(body.get("scores"))
    except BadScores as e:
        raise malformed(str(e), "Setiap pertanyaan perlu dijawab (1-4)") from None
    return SurveyRequest(ticket, scores, day)


@dataclass(frozen=True)
class Respondent:
    """The ticket a response is for (no more than that is kept)."""
    day: str
    ticket: str
    service: str
    agency: str


def eligible(public, ticket: str, day: str | None, now: float) -> Respondent:
    """Whether ``ticket`` may be rated now: it must be today's and served (``done``).

    :param public: the web process's :class:`web.public.PublicState`.
    """
    today = public.today(now)
    if day is not None and day != today:
        raise SurveyRefused(410, "other_day", "Penilaian hanya untuk nomor antrean hari ini",
                            "Only today's tickets can be rated")
    status, info = public.ticket(ticket, None, now)
    if status != 200:
        label = ticket.strip().upper()
        if TICKET.match(label):         # shaped like a ticket, but no service has its prefix
            raise SurveyRefused(404, "unknown_ticket", f"Nomor {label} tidak terdaftar hari ini",
                                f"Ticket {label} was not issued today")
        raise malformed("ticket must be a ticket number such as A012")
    if info["day"] != today:
        # The state held is not today's (the queue has not started the day): nothing is known.
        raise SurveyRefused(503, "no_data", "Data antrean hari ini belum tersedia; coba lagi nanti",
                            "Today's queue data is not available yet; try again later")
    if info["status"] == "unknown" or info["service"] is None:
        raise SurveyRefused(404, "unknown_ticket",
                            f"Nomor {info['ticket']} tidak terdaftar hari ini",
                            f"Ticket {info['ticket']} was not issued today")
    if info["status"] != "done":
        raise SurveyRefused(409, "not_served",
                            f"Nomor {info['ticket']} belum selesai dilayani; penilaian dapat diisi "
                            "setelah layanan selesai",
                            f"Ticket {info['ticket']} has not been served yet; rate the service "
                            "after it")
    sid = info["service"]
    svc = public.site.services.get(sid)
    agency = info.get("agency") or (svc.agency if svc else "")
    return Respondent(today, info["ticket"], sid, agency)


class RateLimit:
    """A token bucket per client address, in memory only (never stored, forgotten when idle).

    :param per_minute: sustained requests a minute per address; ``burst`` at once.
    """

    def __init__(self, per_minute: float, burst: int, *, clock=time.monotonic,
                 max_keys: int = 10_000):
        self.rate = per_minute / 60.0
        self.burst = burst
        self.clock = clock
        self.max_keys = max_keys
        self.buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def allow(self, key: str) -> bool:
        now = self.clock()
        tokens, last = self.buckets.pop(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.rate)
        allowed = tokens >= 1.0
        self.buckets[key] = (tokens - 1.0 if allowed else tokens, now)
        while len(self.buckets) > self.max_keys:
            self.buckets.popitem(last=False)       # the longest idle goes first
        return allowed


class SurveyStore:
    """The responses, in SQLite (WAL). Thread-safe: the web server writes from a worker thread."""

    def __init__(self, path: str | Path, *, readonly: bool = False):
        self.path = Path(path)
        self.lock = threading.Lock()
        if readonly:
            self.db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True,
                                      check_same_thread=False)
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(SCHEMA)

    def add(self, who: Respondent, scores: tuple[int, ...], *, ts: float) -> None:
        """Store one response; SurveyRefused (409) when the ticket was already rated."""
        if len(scores) != N_ELEMENTS:
            raise ValueError("nine scores")
        try:
            with self.lock:
                self.db.execute(
                    f"INSERT INTO response (day, ticket, service, agency, {', '.join(COLUMNS)}, ts)"
                    f" VALUES (?, ?, ?, ?, {', '.join('?' * N_ELEMENTS)}, ?)",
                    (who.day, who.ticket, who.service, who.agency, *scores, round(ts)))
        except sqlite3.IntegrityError:
            raise SurveyRefused(409, "already_answered",
                                f"Penilaian untuk nomor {who.ticket} sudah diterima. Terima kasih!",
                                f"Ticket {who.ticket} has already been rated. Thank you!") from None

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


def default_path() -> Path:
    """Beside the other state: /var/lib/antrian/survey.db on a Pi, ./var/survey.db elsewhere."""
    state = Path("/var/lib/antrian")
    return state / "survey.db" if state.is_dir() else Path("var/survey.db")
