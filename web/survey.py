"""The SKM survey's rules: one response per served ticket, from whoever holds its slip.

    req = parse_request(body_bytes)                       # SurveyRefused when malformed
    who = eligible(public, req, now, secret=secret)       # SurveyRefused: no key, not served...
    store.add(who, req.scores, ts=now)                    # reports.survey_store.SurveyStore

The slip's QR code carries the ticket's key (``ticketing.keys``, an HMAC of site, day and
ticket under the site's ticket secret): without it nobody can rate a ticket, so the public
figures (prefixes, counts issued) do not let anyone on the Wi-Fi forge the building's index or
lock real visitors out. Whether a ticket was served is decided from the web process's snapshot
of the retained state (``PublicState.ticket``, the same answer the page shows): only a ticket
whose status is ``done`` today may be rated. The records themselves live in
``reports.survey_store`` (no SQL here).
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date
from typing import Any

import msgspec

from reports.survey_store import (COLUMNS, AlreadyAnswered, Respondent, SurveyStore,  # noqa: F401
                                  default_path)
from ticketing.keys import key_matches
from ticketing.skm import BadScores, check_scores
from web.public import TICKET

log = logging.getLogger(__name__)

MAX_BODY = 512          # bytes: {"ticket": "4K-0010", "key": "…", "scores": [...]} is ~110
KEY_MAX = 40            # characters: a key is 12 (ticketing.keys.KEY_CHARS); more is refused


class SurveyRefused(Exception):
    """A response that is not taken: HTTP status, a code, and the reason in both languages."""

    def __init__(self, status: int, code: str, text_id: str, text_en: str,
                 headers: dict[str, str] | None = None):
        super().__init__(text_en)
        self.status, self.code, self.text_id, self.text_en = status, code, text_id, text_en
        self.headers = headers or {}

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
    key: str = ""


def already_answered(ticket: str) -> SurveyRefused:
    return SurveyRefused(409, "already_answered",
                         f"Penilaian untuk nomor {ticket} sudah diterima. Terima kasih!",
                         f"Ticket {ticket} has already been rated. Thank you!")


def parse_request(raw: bytes) -> SurveyRequest:
    """``{"ticket": "A012", "key": "<from the slip>", "scores": [9 × 1..4], "day":
    "YYYY-MM-DD" (optional)}``. A missing key is refused here (403), before anything else is
    looked at."""
    if len(raw) > MAX_BODY:
        raise SurveyRefused(413, "too_large", "Data terlalu besar",
                            f"Request body too large (at most {MAX_BODY} bytes)")
    try:
        body = msgspec.json.decode(raw)
    except (msgspec.DecodeError, UnicodeDecodeError):
        raise malformed("not JSON") from None
    if not isinstance(body, dict):
        raise malformed("expected a JSON object")
    unknown = sorted(set(body) - {"ticket", "scores", "day", "key"})
    if unknown:
        raise malformed(f"unknown field {unknown[0][:20]!r}")
    key = body.get("key")
    if not isinstance(key, str) or not key:
        raise no_key()
    if len(key) > KEY_MAX:
        raise wrong_key()
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
    return SurveyRequest(ticket, scores, day, key)


def no_key() -> SurveyRefused:
    return SurveyRefused(403, "no_key", "Penilaian hanya dari kode QR pada karcis antrean Anda",
                         "Rate the service from the QR code on your ticket slip")


def wrong_key() -> SurveyRefused:
    return SurveyRefused(403, "wrong_key", "Kode karcis tidak cocok; pindai lagi kode QR pada "
                         "karcis Anda", "The slip's code does not match; scan the QR code on "
                         "your ticket slip again")


def eligible(public, req: SurveyRequest, now: float, *, secret: bytes) -> Respondent:
    """Whether ``req.ticket`` may be rated now: the key from its slip matches, and it is
    today's and served (``done``). The key is checked before anything about the ticket is
    said, so a guesser learns nothing.

    :param public: the web process's :class:`web.public.PublicState`.
    :param secret: the site's ticket secret (``antrian.config.ticket_secret``).
    """
    ticket = req.ticket
    today = public.today(now)
    if req.day is not None and req.day != today:
        raise SurveyRefused(410, "other_day", "Penilaian hanya untuk nomor antrean hari ini",
                            "Only today's tickets can be rated")
    status, info = public.ticket(ticket, None, now)
    if status == 503:
        raise SurveyRefused(503, "loading", "Data antrean sedang dimuat; coba lagi sebentar",
                            "The queue's state is still arriving; try again in a moment",
                            {"Retry-After": "2"})
    if status != 200:
        label = ticket.strip().upper()
        if TICKET.match(label):         # shaped like a ticket, but no service has its prefix
            raise SurveyRefused(404, "unknown_ticket", f"Nomor {label} tidak terdaftar hari ini",
                                f"Ticket {label} was not issued today")
        raise malformed("ticket must be a ticket number such as A012")
    if info["day"] != today:
        # The state held is not today's (the queue has not started the day): nothing is known.
        raise SurveyRefused(503, "no_data", "Data antrean hari ini belum tersedia; coba lagi nanti",
                            "Today's queue data is not available yet; try again later",
                            {"Retry-After": "60"})
    if not key_matches(secret, public.site.site, today, info["ticket"], req.key):
        raise wrong_key()
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


