"""Check-in at a real keypad kiosk (`antrian kiosk --keys`) against `antrian serve` and a real
Mosquitto: a typed code with the NIK's last 4 digits, and a scanned QR code, each print a ticket
that joins the line; a wrong code is refused on the screen."""

from __future__ import annotations

import pytest

from booking.booking_kit import Mall
from support.waiting import wait_for

pytestmark = pytest.mark.broker


def test_a_booked_visitor_checks_in_by_typed_code_or_by_qr_and_gets_a_printed_ticket(tmp_path):
    with Mall(tmp_path, kiosk=True) as mall:
        typed = mall.book("3275014107850007")
        scanned = mall.book("3275014107850015")
        mall.kiosk_online()
        mall.type_at_kiosk("b" + typed.lower() + "0007")
        mall.printed("A001")
        _, ticket = mall.queue.watcher.wait_for(
            lambda t, b: t.endswith("/ticket") and isinstance(b, dict) and b.get("booking"),
            what="the ticket event")
        assert ticket["booking"] == typed
        wait_for(lambda: "Silakan ambil tiket Anda: A001" in mall.kiosk_log.read_text(), 5,
                 what="screen")
        # past the kiosk's cool-down, a scanner types the QR code's text and Enter
        wait_for(lambda: _checked_in_again(mall, scanned), 10, interval=1.2,
                 what="the scanned check-in's ticket printed")
        # Printed means the kiosk heard the ticket; the watcher has the last check-in (the
        # scanner may type more than once) only after the service's barrier.
        mall.queue.settled()
        checkins = mall.queue.watcher.bodies("/kiosk/k1/checkin")
        assert {"code": typed, "nik_last4": "0007"}.items() <= checkins[0].items()
        assert "nik_last4" not in checkins[-1]


def _checked_in_again(mall: Mall, code: str) -> bool:
    if b"A002" in mall.tickets.read_bytes():
        return True
    mall.type_at_kiosk(f"ANTRIAN:BK:{code}\n")
    return False
