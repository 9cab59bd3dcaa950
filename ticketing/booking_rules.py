"""The rules of booking: ``Book``, ``CancelBooking``, ``CheckIn`` and ``ExpireBookings`` in,
events out (registered in :func:`ticketing.rules.handle`). See :mod:`ticketing.booking` for the
place-in-line rule."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ticketing import events as ev
from ticketing.booking import (CHECKED_IN, EXPIRED, Blocked, Book, Booking, BookingClosed,
                               BookingRules, CancelBooking, CheckIn, Duplicate, Expired,
                               ExpireBookings, Full, NotBookable, SignupClosed, TooEarly,
                               UnknownBooking, Used)
from ticketing.calendar_id import pukul, tanggal
from ticketing.errors import NotAllowed, UnknownService
from ticketing.model import Line, QueueState


def _plus(day: str, days: int) -> str:
    return (date.fromisoformat(day) + timedelta(days=days)).isoformat()


def book(state: QueueState, cmd: Book, now: float) -> list[ev.Event]:
    rules, w = cmd.rules, cmd.window
    if not rules.enabled or cmd.service not in state.lines or w is None:
        raise NotBookable(f"service {cmd.service!r} takes no bookings",
                          "Layanan ini tidak menerima pemesanan")
    if rules.session(cmd.session) is None:
        raise NotBookable(f"no session {cmd.session!r}", f"Tidak ada sesi {cmd.session}")
    # An edge that does not say the time cannot book a service whose sign-up has hours.
    if rules.signup_hours is not None and (cmd.local_time is None
                                           or not signup_open(rules, cmd.local_time)):
        en, id_ = signup_hours_text(rules)
        raise SignupClosed(f"online sign-up is open {en} only; please come back then",
                           f"Pendaftaran online dibuka pukul {id_}")
    if cmd.day < cmd.today or now >= w.closes_at:
        raise BookingClosed("booking for that session has closed",
                            "Pemesanan untuk sesi itu sudah ditutup")
    if cmd.day > _plus(cmd.today, rules.days_ahead):
        raise BookingClosed(f"booking opens {rules.days_ahead} days ahead",
                            f"Pemesanan dibuka {rules.days_ahead} hari sebelumnya")
    if not cmd.open_day:
        raise BookingClosed("the service is closed that day", "Layanan tutup pada hari itu")
    _check_blocked(state, cmd)
    index = state.booking_index     # look-ups, not scans (ticketing.booking_index)
    if index.holds(cmd.nik_hash, cmd.service, cmd.day):
        raise Duplicate("this NIK already has a booking for this service that day",
                        "NIK ini sudah memesan layanan ini pada hari itu")
    if index.taken(cmd.service, cmd.day, cmd.session) >= rules.per_session:
        raise Full("this session is full", "Kuota sesi ini sudah habis")
    if cmd.code in state.bookings:
        raise NotAllowed("booking code already in use; try again")
    outcome = {"code": cmd.code, "service": cmd.service, "day": cmd.day,
               "session": cmd.session, "checkin_from": w.checkin_from,
               "checkin_until": w.checkin_until, "id": cmd.request_id}
    return [ev.Booked(code=cmd.code, service=cmd.service, for_day=cmd.day, session=cmd.session,
                      start=w.start, checkin_from=w.checkin_from, checkin_until=w.checkin_until,
                      nik_hash=cmd.nik_hash, nik_last4=cmd.nik_last4,
                      keep_until=_plus(cmd.day, rules.keep_days), phone=cmd.phone,
                      request=cmd.request, outcome=outcome)]


# -- online sign-up hours (``signup_hours``): refused outside them, told in the slots -------

def signup_open(rules: BookingRules, local: datetime) -> bool:
    """Whether a booking may be made at ``local`` (the site's wall clock)."""
    if rules.signup_hours is None:
        return True
    start, end = rules.signup_hours
    return start <= local.time() < end


def signup_hours_text(rules: BookingRules) -> tuple[str, str]:
    """The hours in English and in Indonesian ("06.00–20.00": Indonesian clocks use a dot)."""
    assert rules.signup_hours is not None
    id_ = "–".join(pukul(t.hour * 60 + t.minute) for t in rules.signup_hours)
    return id_.replace(".", ":"), id_


def signup_now(rules: BookingRules, local: datetime, tz: ZoneInfo) -> dict[str, Any] | None:
    """What the slots say of sign-up at ``local`` (naive, the site's wall clock): the hours,
    whether open now, and ``until`` (epoch seconds) the next opening or closing. None: any time."""
    if rules.signup_hours is None:
        return None
    start, end = rules.signup_hours
    is_open = signup_open(rules, local)
    day, at = local.date(), (end if is_open else start)
    if local.time() >= end:
        day += timedelta(days=1)
    return {"hours": f"{start:%H:%M}-{end:%H:%M}", "open": is_open,
            "until": datetime.combine(day, at, tz).timestamp()}


def _check_blocked(state: QueueState, cmd: Book) -> None:
    rules = cmd.rules
    if not rules.no_show_limit:
        return
    days = state.booking_index.no_shows(cmd.nik_hash, _plus(cmd.today, -rules.no_show_days))
    if len(days) >= rules.no_show_limit:
        until = _plus(days[-1], rules.block_days)
        if cmd.today <= until:
            raise Blocked(f"{len(days)} missed bookings: booking again after {until}",
                          f"{len(days)} kali tidak hadir: dapat memesan lagi setelah {until}")


def cancel(state: QueueState, cmd: CancelBooking, now: float) -> list[ev.Event]:
    b = state.bookings.get(cmd.code)
    if b is None or b.nik_last4 != cmd.nik_last4:
        raise UnknownBooking("no such booking", "Pemesanan tidak ditemukan")
    if b.status == CHECKED_IN:
        raise Used("this booking has already been checked in", "Pemesanan ini sudah dipakai")
    if b.status == EXPIRED:
        raise Expired("this booking has expired", "Pemesanan ini sudah kedaluwarsa")
    return [ev.BookingCancelled(code=b.code, service=b.service, for_day=b.day, session=b.session,
                                request=cmd.request,
                                outcome={"code": b.code, "cancelled": True, "id": cmd.request_id})]


def place_index(state: QueueState, line: Line, place: float) -> int:
    """Where a ticket booked for a session starting at ``place`` goes in ``line.regular``:
    before the first ticket that joined after ``place``."""
    for i, label in enumerate(line.regular):
        t = state.tickets[label]
        joined = t.booked_for if t.booked_for is not None else t.issued_at
        if joined > place:
            return i
    return len(line.regular)


def _opens(b: Booking, later_day: bool) -> tuple[str, str]:
    """When the booking's check-in opens, in English and in Indonesian: a visitor told only
    "too early" asks the staff; told "07.30" they sit down. The session's name is its local
    start ("08:00-10:00") and the window opens a fixed time before it, so no time zone needed."""
    hh, mm = b.session.split("-")[0].split(":")
    opens = int(hh) * 60 + int(mm) - round((b.start - b.checkin_from) / 60)
    at = pukul(opens)
    if not later_day:
        return f"at {at.replace('.', ':')}", f"pukul {at}"
    day = date.fromisoformat(b.day)
    return (f"on {day.isoformat()} at {at.replace('.', ':')}",
            f"{tanggal(day)} pukul {at}")


def check_in(state: QueueState, cmd: CheckIn, now: float) -> list[ev.Event]:
    b = state.bookings.get(cmd.code)
    if b is None or (cmd.nik_last4 is not None and b.nik_last4 != cmd.nik_last4):
        # the English is shown too, on the kiosk's English screens: visitors' words, not a log's
        raise UnknownBooking("unknown booking code", "Kode pemesanan tidak dikenal")
    if b.status == CHECKED_IN:
        raise Used(f"this booking was already used (number {b.ticket})",
                   f"Pemesanan sudah dipakai (nomor {b.ticket})")
    if b.status == EXPIRED or b.day < state.day or now > b.checkin_until:
        # Say what to do next: the visitor is standing at the kiosk, and can still queue.
        raise Expired("the check-in time of this booking has passed; please take a regular number",
                      "Waktu lapor pemesanan ini sudah lewat. Silakan ambil nomor antrean biasa")
    if b.day > state.day or now < b.checkin_from:
        en, id_ = _opens(b, later_day=b.day > state.day)
        raise TooEarly(f"check-in has not opened yet: it opens {en}",
                       f"Belum waktunya lapor. Lapor mulai {id_}")
    line = state.lines.get(b.service)
    if line is None:
        raise UnknownService(f"unknown service {b.service!r}")
    if cmd.offered is not None and b.service not in cmd.offered:
        raise UnknownService(f"kiosk {cmd.kiosk} does not offer service {b.service!r}")
    number = line.last_number + 1
    label = line.label(number)
    ahead = len(line.priority) + place_index(state, line, b.start)
    outcome = {"ticket": label, "service": b.service, "priority": False, "ahead": ahead,
               "kiosk": cmd.kiosk, "id": cmd.request_id, "day": state.day, "booking": b.code}
    return [ev.Issued(ticket=label, service=b.service, number=number, priority=False,
                      kiosk=cmd.kiosk, request=cmd.request, outcome=outcome, booking=b.code,
                      place=b.start),
            ev.CheckedIn(code=b.code, ticket=label)]


def expire(state: QueueState, cmd: ExpireBookings, now: float) -> list[ev.Event]:
    """Runs on every rules tick (5 s): the index says at once when nothing is due."""
    purged, expired = state.booking_index.due(cmd.today, now)
    if not expired and not purged:
        return []
    keep = {}
    for code in expired:
        b = state.bookings[code]
        longer = cmd.no_show_keep.get(b.service)
        if longer and longer > b.keep_until:
            keep[code] = longer
    return [ev.BookingsExpired(expired=tuple(expired), purged=tuple(purged),
                               keep_until=keep or None)]


DECIDERS = {Book: book, CancelBooking: cancel, CheckIn: check_in, ExpireBookings: expire}
