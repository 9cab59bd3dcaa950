"""Bookings: a visitor books a place in one of a service's sessions, then checks in at a kiosk.

    >>> rules = parse_rules({"sessions": ["08:00-10:00"], "per_session": 20}, "booking")
    >>> check_nik("3201234501900001")          # 16 digits, West Java, born 5 Jan 1990
    '3201234501900001'

Pure, like the rest of the core: the queue service's edge turns requests into :class:`Book`,
:class:`CancelBooking`, :class:`CheckIn` and :class:`ExpireBookings` (with every time already
computed in the site's time zone), :mod:`ticketing.rules` decides them here, and
:mod:`ticketing.fold` folds the events. The NIK never reaches this module in clear: the web
checks it (:func:`check_nik`) and sends only its HMAC (:func:`nik_digest`) and its last 4 digits.

**Where a checked-in visitor joins the line.** The ticket goes into the service's regular line
just before the first ticket that joined *after the session's start* (a walk-in joins when it is
issued; a booked ticket at its session's start). So it is behind everyone who was already
waiting when the session began, ahead of every walk-in who came later, and never ahead of a
priority ticket (the priority line is always called first). At most ``per_session`` visitors
can jump a walk-in per session, which bounds what a walk-in can lose (bench/booking_day.py).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ticketing.errors import QueueError

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"   # no 0/O, 1/I: read aloud and typed
CODE_LEN = 8                                          # 40 bits: not guessable at a kiosk
# Province codes of the NIK (Kemendagri), including the Papua provinces of 2022.
PROVINCES = frozenset({11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 31, 32, 33, 34, 35, 36, 51, 52,
                       53, 61, 62, 63, 64, 65, 71, 72, 73, 74, 75, 76, 81, 82, 91, 92, 93, 94,
                       95, 96, 97})
BOOKED, CHECKED_IN, EXPIRED = "booked", "checked_in", "expired"
BOOKING_KEYS = frozenset({"sessions", "per_session", "days_ahead", "close_minutes",
                          "checkin_before_minutes", "checkin_after_minutes", "keep_days",
                          "no_show_limit", "no_show_days", "block_days", "signup_hours"})


# -- refusals --------------------------------------------------------------------------------

class BookingRefused(QueueError):
    """A booking request refused; ``text_id`` for visitors, ``status`` the HTTP answer."""
    code = "refused"
    status = 409

    def __init__(self, text_en: str, text_id: str):
        super().__init__(text_en)
        self.text_id = text_id


class BadNik(BookingRefused, ValueError):
    """Not a plausible NIK (16 digits, a province code, a birth date)."""
    code, status = "bad_nik", 400


class Duplicate(BookingRefused):
    """This NIK already holds an active booking for the service that day."""
    code, status = "duplicate", 409


class Full(BookingRefused):
    """Every online place of the session is taken."""
    code, status = "full", 409


class BookingClosed(BookingRefused):
    """Booking for that day (or session) has closed, or is not open yet."""
    code, status = "closed", 410


class Blocked(BookingRefused):
    """Too many no-shows lately: no booking for a while."""
    code, status = "blocked", 403


class SignupClosed(BookingRefused):
    """Online sign-up is outside its hours (``signup_hours``); the reason says when it opens."""
    code, status = "signup_closed", 403


class NotBookable(BookingRefused, LookupError):
    """The service takes no bookings, or has no such session."""
    code, status = "not_bookable", 404


class UnknownBooking(BookingRefused, LookupError):
    """No such booking (or the NIK's last 4 digits do not match)."""
    code, status = "unknown", 404


class TooEarly(BookingRefused):
    """Check-in has not opened yet for this booking."""
    code, status = "too_early", 409


class Expired(BookingRefused):
    """The check-in window has passed."""
    code, status = "expired", 410


class Used(BookingRefused):
    """The booking has already been turned into a ticket."""
    code, status = "used", 409


# -- the NIK ---------------------------------------------------------------------------------

def check_nik(value: Any) -> str:
    """The NIK's 16 digits when plausible (spaces and dots ignored); raises :class:`BadNik`."""
    text = "".join(ch for ch in value if ch not in " .-") if isinstance(value, str) else ""
    if len(text) != 16 or not text.isascii() or not text.isdigit():
        raise BadNik("a NIK has exactly 16 digits", "NIK harus 16 angka")
    if int(text[:2]) not in PROVINCES:
        raise BadNik("the NIK's province code does not exist",
                     "Kode provinsi pada NIK tidak dikenal")
    if text[2:4] == "00" or text[4:6] == "00":
        raise BadNik("the NIK's regency or district code is 00",
                     "Kode kabupaten/kecamatan pada NIK tidak valid")
    dd, mm, yy = int(text[6:8]), int(text[8:10]), int(text[10:12])
    if dd > 40:            # women: day of birth + 40
        dd -= 40
    if not any(_is_date(century + yy, mm, dd) for century in (1900, 2000)):
        raise BadNik("the NIK's birth date is not a date", "Tanggal lahir pada NIK tidak valid")
    if text[12:] == "0000":
        raise BadNik("the NIK's serial number is 0000", "Nomor urut pada NIK tidak valid")
    return text


def _is_date(y: int, m: int, d: int) -> bool:
    try:
        date(y, m, d)
        return True
    except ValueError:
        return False


def booking_secret(ticket_secret: bytes) -> bytes:
    """The key of NIK digests, derived from the site's ticket secret under its own label, so
    one secret in the secrets file serves both and neither key reveals the other."""
    return hmac.new(ticket_secret, b"antrian/booking/nik/v1", hashlib.sha256).digest()


def nik_digest(secret: bytes, nik: str) -> str:
    """The NIK's HMAC (128 bits, hex): what is kept instead of the NIK."""
    return hmac.new(secret, b"nik\x1f" + nik.encode(), hashlib.sha256).hexdigest()[:32]


def new_code(random_bytes: bytes) -> str:
    """A booking code from ``CODE_LEN`` random bytes (the caller draws them: the core is pure)."""
    return "".join(CODE_ALPHABET[b % len(CODE_ALPHABET)] for b in random_bytes[:CODE_LEN])


def clean_code(value: Any) -> str | None:
    """A typed or scanned code, upper-cased without separators, or None when it cannot be one.
    A QR code holds ``ANTRIAN:BK:<code>``; a scanner may also send just the code."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    text = value.strip().upper()
    if text.startswith("ANTRIAN:BK:"):
        text = text[len("ANTRIAN:BK:"):]
    text = text.replace("-", "").replace(" ", "")
    if len(text) != CODE_LEN or any(ch not in CODE_ALPHABET for ch in text):
        return None
    return text


# -- the rules of a service ----------------------------------------------------------------------

@dataclass(frozen=True)
class Session:
    label: str          # "08:00-10:00"
    start: time
    end: time


@dataclass(frozen=True)
class BookingRules:
    """One service's booking rules (``[booking]`` layered site, agency, service)."""
    sessions: tuple[Session, ...] = ()
    per_session: int = 0
    days_ahead: int = 7
    close_minutes: int = 60            # booking for a session closes this long before it starts
    checkin_before_minutes: int = 30   # check-in opens this long before the session starts
    checkin_after_minutes: int = 30    # and closes this long after it starts (the no-show line)
    keep_days: int = 7                 # bookings are purged this many days after their day
    no_show_limit: int = 0             # this many no-shows ... (0: no blocking)
    no_show_days: int = 30             # ... within this many days ...
    block_days: int = 14               # ... and no booking for this many days
    signup_hours: tuple[time, time] | None = None   # local hours online sign-up is open (None: any)

    @property
    def enabled(self) -> bool:
        return bool(self.sessions) and self.per_session > 0

    def session(self, label: str) -> Session | None:
        return next((s for s in self.sessions if s.label == label), None)


def parse_rules(table: dict, where: str) -> BookingRules:
    """Rules from a merged ``booking`` table; raises ValueError naming the key."""
    unknown = sorted(set(table) - BOOKING_KEYS)
    if unknown:
        raise ValueError(f"{where}: unknown key {unknown[0]!r} "
                         f"(known: {', '.join(sorted(BOOKING_KEYS))})")
    sessions = table.get("sessions", [])
    if not isinstance(sessions, list) or not all(isinstance(s, str) for s in sessions):
        raise ValueError(f"{where}.sessions: expected a list like [\"08:00-10:00\"]")
    parsed = []
    for text in sessions:
        a, sep, b = text.partition("-")
        try:
            start, end = time.fromisoformat(a.strip()), time.fromisoformat(b.strip())
        except ValueError:
            raise ValueError(f"{where}.sessions: {text!r} is not HH:MM-HH:MM") from None
        if not sep or end <= start or (parsed and start < parsed[-1].end):
            raise ValueError(f"{where}.sessions: {text!r} must end after it starts and after "
                             "the session before it")
        parsed.append(Session(f"{start:%H:%M}-{end:%H:%M}", start, end))
    values = {}
    for key, low, high in (("per_session", 0, 10_000), ("days_ahead", 0, 90),
                           ("close_minutes", 0, 7 * 1440), ("checkin_before_minutes", 0, 600),
                           ("checkin_after_minutes", 0, 600), ("keep_days", 1, 366),
                           ("no_show_limit", 0, 100), ("no_show_days", 1, 366),
                           ("block_days", 1, 366)):
        if key in table:
            v = table[key]
            if isinstance(v, bool) or not isinstance(v, int) or not low <= v <= high:
                raise ValueError(f"{where}.{key}: expected a whole number {low}..{high}")
            values[key] = v
    if "signup_hours" in table:
        values["signup_hours"] = _signup_hours(table["signup_hours"], f"{where}.signup_hours")
    return BookingRules(sessions=tuple(parsed), **values)


def _signup_hours(value: Any, where: str) -> tuple[time, time] | None:
    """One local range like ``"06:00-20:00"``; ``""`` is any time (lifts a limit set above)."""
    from ticketing.hours import parse_intervals

    if not isinstance(value, str):
        raise ValueError(f"{where}: expected a range like \"06:00-20:00\"")
    if not value.strip():
        return None
    try:
        ranges = parse_intervals(value)
    except ValueError as e:
        raise ValueError(f"{where}: {value!r} is not a range like \"06:00-20:00\" ({e})") from None
    if len(ranges) != 1:
        raise ValueError(f"{where}: {value!r} must be one range like \"06:00-20:00\", "
                         "within one day")
    return ranges[0]


@dataclass(frozen=True)
class Window:
    """A session on a day, in seconds since the epoch."""
    start: float
    end: float
    checkin_from: float
    checkin_until: float
    closes_at: float


def window(rules: BookingRules, session: Session, day: date, tz: ZoneInfo) -> Window:
    start = datetime.combine(day, session.start, tz)
    end = datetime.combine(day, session.end, tz)
    until = min(end, start + timedelta(minutes=rules.checkin_after_minutes))
    return Window(start.timestamp(), end.timestamp(),
                  (start - timedelta(minutes=rules.checkin_before_minutes)).timestamp(),
                  until.timestamp(), (start - timedelta(minutes=rules.close_minutes)).timestamp())


def open_on(rules: Any, day: date) -> bool:
    """Whether the service opens at all on ``day`` (``ticketing.hours.OpeningRules``)."""
    if rules is None:
        return True
    if day in rules.holidays or day in rules.closed_dates:
        return False
    return not rules.week or bool(rules.week.get(day.weekday()))


# -- the state -----------------------------------------------------------------------------------

@dataclass
class Booking:
    code: str
    service: str
    day: str
    session: str
    start: float
    checkin_from: float
    checkin_until: float
    nik_hash: str
    nik_last4: str
    keep_until: str               # purged after this day
    phone: str | None = None      # deleted when the booking ends (checked in, expired)
    status: str = BOOKED
    ticket: str | None = None
    booked_at: float = 0.0


# -- commands ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Book:
    """Book a place. Built by the edge: ``window`` computed in the site's time zone, ``open_day``
    from the opening rules (holidays, closed dates and days), ``code`` drawn at random,
    ``local_time`` the site's wall clock now (naive; ``signup_hours`` are judged by it)."""
    service: str
    day: str
    session: str
    nik_hash: str
    nik_last4: str
    code: str
    request: str
    request_id: str = ""
    phone: str | None = None
    rules: BookingRules = field(default_factory=BookingRules)
    window: Window | None = None
    open_day: bool = True
    today: str = ""
    local_time: datetime | None = None


@dataclass(frozen=True)
class CancelBooking:
    code: str
    nik_last4: str
    request: str
    request_id: str = ""


@dataclass(frozen=True)
class CheckIn:
    """Turn a booking into a ticket at a kiosk (``nik_last4``: typed on the touch screen;
    None when a QR code was scanned)."""
    code: str
    request: str
    request_id: str = ""
    kiosk: str | None = None
    nik_last4: str | None = None
    offered: tuple[str, ...] | None = None


@dataclass(frozen=True)
class ExpireBookings:
    """Time passes: bookings past their check-in window expire; old ones are purged.
    ``no_show_keep``: per service, the day until which a no-show is remembered (blocking)."""
    today: str
    no_show_keep: dict[str, str] = field(default_factory=dict)
