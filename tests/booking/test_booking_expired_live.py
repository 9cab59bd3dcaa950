"""An expired booking end to end: no-shows whose check-in closed before `antrian serve` started
(booked yesterday for yesterday's session, or for a session that ended earlier today) are
expired by the service's own tick at start. The booking page reads `expired` through the real
`antrian web`, and a touch kiosk (real pygame, synthetic taps) and a keypad kiosk (`antrian
kiosk --keys`) both show the queue's Indonesian refusal and issue no ticket.

No test clock: the bookings are made by the queue service's own code, in-process with its clock
set to yesterday (booking_kit.booked_at), into the SQLite store the real service then opens."""

from __future__ import annotations

import contextlib
import json

import pytest

from booking.booking_kit import PHONE, Mall, touch_kiosk
from booking.test_booking_touch import Taps, answered, ready
from hardware.touch_checkin import CODE, DONE, NIK
from mqtt.store import Store
from support.waiting import wait_for

pytestmark = pytest.mark.broker

YESTERDAY, TODAY, WALK_IN = "3275014107850007", "3275014107850015", "3275014107850023"
# The queue's words for a booking past its check-in window (ticketing.booking_rules.check_in)
EXPIRED = "Waktu lapor pemesanan ini sudah lewat. Silakan ambil nomor antrean biasa"


def expired_at_start(mall: Mall) -> None:
    """The service's own tick expired both no-shows before it first published its state (the
    start waits for that state), and scrubbed their phone numbers from the stored log."""
    with contextlib.closing(Store.read_only(mall.tmp / "queue.db").db) as db:
        expired = [json.loads(d)["expired"] for (d,) in db.execute(
            "SELECT data FROM events WHERE type = 'bookings_expired'")]
        booked = [json.loads(d) for (d,) in db.execute(
            "SELECT data FROM events WHERE type = 'booked'")]
    assert [set(codes) for codes in expired] == [set(mall.no_shows.values())]
    assert len(booked) == 2 and all("phone" not in b for b in booked)


def no_ticket_issued(mall: Mall) -> None:
    """After the service's barrier: no ticket event, no ktp number issued."""
    mall.queue.settled()
    assert mall.queue.watcher.bodies("/ticket") == []
    ktp = mall.queue.service_state("ktp")
    assert (ktp["issued"], ktp["waiting"]) == (0, 0)


def test_no_shows_read_expired_and_the_touch_kiosk_refuses_them_without_a_ticket(
        tmp_path, artifacts):
    import pygame
    with Mall(tmp_path, web=True, no_shows={YESTERDAY: "yesterday", TODAY: "today"}) as mall:
        expired_at_start(mall)
        for nik, code in mall.no_shows.items():
            status, headers, body = mall.web.get(f"/api/v1/bookings/{code}")
            assert (status, json.loads(body)["status"]) == (200, "expired"), nik
            assert PHONE.encode() not in body

        with touch_kiosk(mall) as app:
            taps = Taps(app)
            for nik, code in mall.no_shows.items():
                text = taps.refused(code, nik[-4:])
                assert EXPIRED in text, (nik, text)
                pygame.image.save(app.touch.surface,
                                  str(artifacts / "kiosk-touch-checkin-expired.png"))
                taps.key("batal")
            no_ticket_issued(mall)
            assert app.printer.slips == []
            refusals = mall.queue.watcher.bodies("/error/kiosk-k1")
            assert [r["code"] for r in refusals] == ["expired", "expired"]

            # the kiosk still checks in a booking of today's open session: the first number
            walk_in = mall.book(WALK_IN)
            taps.home("checkin")
            taps.text(walk_in, CODE)
            taps.text(WALK_IN[-4:], NIK)
            wait_for(lambda: ready(app), what="the kiosk past its cool-down")
            taps.key("kirim")
            view = wait_for(lambda: answered(app, DONE), 10, what="the ticket shown")
            assert view.text == "Silakan ambil tiket Anda: A001"


def test_the_keypad_kiosk_refuses_a_no_show_of_yesterday_and_prints_nothing(tmp_path):
    with Mall(tmp_path, kiosk=True, no_shows={YESTERDAY: "yesterday", TODAY: "today"}) as mall:
        expired_at_start(mall)
        mall.kiosk_online()
        code = mall.no_shows[YESTERDAY]
        mall.type_at_kiosk("b" + code.lower() + YESTERDAY[-4:])
        _, refusal = mall.queue.watcher.wait_for(
            lambda t, b: t.endswith("/error/kiosk-k1") and isinstance(b, dict),
            what="the check-in's refusal")
        assert refusal["code"] == "expired" and refusal["message"]["id"] == EXPIRED
        wait_for(lambda: f"Maaf, nomor antrean tidak dapat diambil: {EXPIRED}"
                 in mall.kiosk_log.read_text(), 10, what="the refusal on the kiosk's screen")
        assert mall.queue.watcher.bodies("/kiosk/k1/checkin")[0]["code"] == code
        no_ticket_issued(mall)
        assert not mall.tickets.exists() or b"A0" not in mall.tickets.read_bytes()
