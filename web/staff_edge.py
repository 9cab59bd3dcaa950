"""The staff's edge: who may act where, and every value they send made bounded, once (issue 14).

    may_act(site, account, "3", public)       # officer: its counters; agency: its agency's
    clean_text("Istirahat\\x00 siang", 100)    # -> "Istirahat siang"
    status_of("too_soon")                     # -> 429, with the Indonesian words in SAYS
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Any

from antrian.config import Site
from web.accounts import Account
from web.staff_views import counter_agency

REQUEST_ID = re.compile(r"\A[A-Za-z0-9._:~-]{8,64}\Z")
TICKET = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9.\-]{0,11}\Z")
HHMM = re.compile(r"\A([01]\d|2[0-3]):[0-5]\d\Z")
REASON_MAX = 100
MESSAGE_MAX = 500
UNTIL_MAX_S = 24 * 3600
BODY_MAX = 2048

# The queue's refusal codes (docs/mqtt-api.md, Error) and the web's own, as HTTP statuses.
STATUS = {"bad_request": 400, "forbidden": 403, "unknown_counter": 404, "unknown_service": 404,
          "unknown_ticket": 404, "not_allowed": 409, "stale": 409, "closed": 409,
          "too_soon": 429, "rate_limited": 429, "disconnected": 503, "no_ack": 504,
          "reason_needed": 422, "confirm_needed": 422}
# What the officer reads (Indonesian; KBBI "antrean").
SAYS = {
    "bad_request": "Permintaan tidak valid",
    "unknown_counter": "Loket tidak dikenal",
    "unknown_service": "Layanan tidak dikenal",
    "unknown_ticket": "Nomor itu tidak ada di antrean layanan loket ini",
    "not_allowed": "Tidak dapat dilakukan sekarang",
    "stale": "Nomor di loket sudah berubah: layar diperbarui, periksa lalu ulangi",
    "closed": "Loket atau layanan sedang tutup",
    "too_soon": "Panggil ulang terlalu cepat: tunggu beberapa detik",
    "rate_limited": "Terlalu banyak perintah: tunggu sebentar",
    "disconnected": "Server tidak terhubung ke layanan antrean: aksi TIDAK dikirim",
    "no_ack": "Belum ada konfirmasi dari layanan antrean",
    "reason_needed": "Memanggil nomor mendahului antrean perlu alasan",
    "confirm_needed": "Perlu konfirmasi",
    "forbidden": "Akun ini tidak berwenang untuk itu",
}


class Refused(ValueError):
    """A staff request refused at the edge; nothing was sent."""

    def __init__(self, code: str, error: str, says: str | None = None):
        super().__init__(error)
        self.code, self.error, self.says = code, error, says or SAYS.get(code, error)


def status_of(code: str | None) -> int:
    return STATUS.get(code or "", 409)


def clean_text(raw: Any, limit: int, what: str) -> str:
    """Text with control and format characters (Unicode Cc, Cf) removed, whitespace folded,
    cut to ``limit`` characters: what every board and page can show."""
    if raw is None:
        return ""
    if not isinstance(raw, str) or len(raw) > 4 * limit:
        raise Refused("bad_request", f"{what}: text of at most {limit} characters")
    text = "".join(" " if ch.isspace() else ch for ch in raw
                   if unicodedata.category(ch) not in ("Cc", "Cf") or ch in "\t\n\r")
    return " ".join(text.split())[:limit]


def until_value(raw: Any, now: float) -> float | str | None:
    """A close's end: Unix time within the next 24 h, or ``"HH:MM"`` (today), or None."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, str) and HHMM.match(raw):
        return raw
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not math.isfinite(raw) \
            or not now < raw <= now + UNTIL_MAX_S:
        raise Refused("bad_request", "until: a time within the next 24 hours",
                      "Jam buka kembali harus dalam 24 jam ke depan")
    return float(raw)


def may_act(site: Site, account: Account, cid: str, public=None) -> bool:
    """An officer acts for its own counters; an agency supervisor for counters that serve only
    its agency's services; the building manager for every counter."""
    if cid not in site.counters:
        return False
    if account.role == "manager":
        return True
    if account.role == "officer":
        return cid in account.counters
    if account.role == "agency":
        return counter_agency(site, cid, public) <= {account.agency}
    return False


def counters_of(site: Site, account: Account, public=None) -> list[str]:
    return [c for c in site.counters if may_act(site, account, c, public)]


def agencies_of(site: Site, account: Account) -> set[str] | None:
    """The agencies a supervisor sees on the floor: None for the manager (all)."""
    if account.role == "manager":
        return None
    if account.role == "agency":
        return {account.agency}
    return set()
