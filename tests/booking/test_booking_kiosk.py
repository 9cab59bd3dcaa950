"""Check-in at a real keypad kiosk (`antrian kiosk --keys`) against `antrian serve` and a real
Mosquitto: a typed code with the NIK's last 4 digits, and a scanned QR code, each print a ticket
that joins the line; a wrong code is refused on the screen."""

from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import datetime

import pytest

from booking.test_booking_live import site_text
from support.broker import Mosquitto
from support.queue import QueueProcess
from support.site import ROOT
from support.waiting import wait_for
from ticketing.booking import booking_secret, nik_digest
from antrian.devbroker import stop_process

pytestmark = pytest.mark.broker


def dev_secret(site: str) -> bytes:
    """The ticket secret of a site without a secrets file (antrian.config.ticket_secret)."""
    import hashlib
    return hashlib.sha256(f"antrian-development-ticket-key:{site}".encode()).digest()


def book(queue: QueueProcess, session: str, nik: str) -> str:
    rid = f"b-{uuid.uuid4().hex[:8]}"
    day = datetime.now(queue.site.tz).date().isoformat()
    queue.watcher.publish(f"{queue.base}/booking/book", {
        "id": rid, "service": "ktp", "day": day, "session": session,
        "nik_hash": nik_digest(booking_secret(dev_secret("test")), nik), "nik_last4": nik[-4:]},
        properties=_reply(f"{queue.base}/reply/web/{rid}"))
    _, answer = queue.watcher.wait_for(lambda t, b: t.endswith(f"/reply/web/{rid}"),
                                       what="the booking's answer")
    assert answer["ok"], answer
    return answer["data"]["code"]


def _reply(topic: str):
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties
    props = Properties(PacketTypes.PUBLISH)
    props.ResponseTopic = topic
    return props


def test_a_booked_visitor_checks_in_by_typed_code_or_by_qr_and_gets_a_printed_ticket(tmp_path):
    broker = Mosquitto(tmp_path).start()
    text, session = site_text(broker.port)
    site_file = tmp_path / "site.toml"
    site_file.write_text(text)
    queue = QueueProcess(site_file, tmp_path / "queue.db", broker).start()
    tickets, log = tmp_path / "tickets.bin", tmp_path / "kiosk.log"
    kiosk = subprocess.Popen(
        [sys.executable, "-m", "antrian", "kiosk", "--config", str(site_file), "--kiosk", "k1",
         "--keys", "--printer", f"file:{tickets}", "--store", str(tmp_path / "k1.db")],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=log.open("ab"), stderr=subprocess.STDOUT)
    try:
        typed = book(queue, session, "3275014107850007")
        scanned = book(queue, session, "3275014107850015")
        queue.watcher.wait_for(lambda t, b: t.endswith("/tele/kiosk-k1/lwt") and b == b"online",
                               timeout=15, what="kiosk online")
        kiosk.stdin.write(b"b" + typed.lower().encode() + b"0007")
        kiosk.stdin.flush()
        wait_for(lambda: tickets.exists() and b"A001" in tickets.read_bytes(), 10,
                 what="the typed check-in's ticket printed")
        _, ticket = queue.watcher.wait_for(
            lambda t, b: t.endswith("/ticket") and isinstance(b, dict) and b.get("booking"),
            what="the ticket event")
        assert ticket["booking"] == typed
        wait_for(lambda: "Silakan ambil tiket Anda: A001" in log.read_text(), 5, what="screen")
        # past the kiosk's cool-down, a scanner types the QR code's text and Enter
        wait_for(lambda: _checked_in_again(kiosk, scanned, tickets), 10, interval=1.2,
                 what="the scanned check-in's ticket printed")
        checkins = queue.watcher.bodies("/kiosk/k1/checkin")
        assert {"code": typed, "nik_last4": "0007"}.items() <= checkins[0].items()
        assert "nik_last4" not in checkins[-1]
    finally:
        stop_process(kiosk)
        queue.close()
        broker.stop()


def _checked_in_again(kiosk, code: str, tickets) -> bool:
    if b"A002" in tickets.read_bytes():
        return True
    kiosk.stdin.write(f"ANTRIAN:BK:{code}\n".encode())
    kiosk.stdin.flush()
    return False
