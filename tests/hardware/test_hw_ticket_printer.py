"""The slip's bytes (python-escpos' Dummy), and the printers: file, and a fake network printer
that answers the real-time status requests like an Epson (online, paper out)."""

import socket
import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from antrian.config import ConfigError
from hardware.printer import NO_PAPER, OFFLINE, OK, PrinterError, open_printer
from hardware.ticket import Slip, ahead_text, indonesian_datetime, render, wait_text

WHEN = datetime(2026, 11, 28, 10, 5, tzinfo=ZoneInfo("Asia/Jakarta"))


def slip(**kw):
    base = dict(site_title="Mal Pelayanan Publik Kota Bogor", agency="Disdukcapil",
                service="Perekaman KTP-el", ticket="A016", issued_at=WHEN, ahead=2,
                est_wait_s=540, url="http://antrian.test/", kiosk_name="Kios Lantai 1")
    base.update(kw)
    return Slip(**base)


def test_the_slip_carries_everything_the_visitor_needs():
    data = render(slip())
    for text in (b"Mal Pelayanan Publik Kota Bogor", b"Disdukcapil", b"Perekaman KTP-el",
                 b"A016", b"Sabtu, 28 November 2026 10.05 WIB", b"Antrean di depan Anda: 2 orang",
                 b"sekitar 9 menit", b"Pindai untuk melihat antrean"):
        assert text in data, text
    assert b"\x1d!\x77" in data           # GS ! : the number at 8x width and height
    assert b"\x1dv0" in data              # GS v 0 : the QR code as a raster image
    assert data.endswith(b"\x1dV\x00") or b"\x1dV" in data[-8:]   # cut


def test_no_url_no_qr_and_priority_is_marked():
    data = render(slip(url=None, priority=True))
    assert b"\x1dv0" not in data and b"PRIORITAS" in data


def test_indonesian_wording():
    assert indonesian_datetime(datetime(2026, 1, 5, 7, 30, tzinfo=ZoneInfo("Asia/Makassar"))) \
        == "Senin, 5 Januari 2026 07.30 WITA"
    assert ahead_text(0) == "Tidak ada antrean di depan Anda"
    assert wait_text(None) is None and wait_text(20) == "Perkiraan waktu tunggu: kurang dari 1 menit"
    assert wait_text(2 * 3600) == "Perkiraan waktu tunggu: sekitar 2 jam"


def test_file_printer_appends_each_slip(tmp_path):
    p = open_printer(f"file:{tmp_path / 'out.bin'}")
    assert p.status() == OK
    p.send(b"one")
    p.send(b"two")
    assert (tmp_path / "out.bin").read_bytes() == b"onetwo"
    gone = open_printer(f"file:{tmp_path / 'no' / 'dir' / 'x.bin'}")
    assert gone.status() == OFFLINE
    with pytest.raises(PrinterError) as e:
        gone.send(b"x")
    assert e.value.status == OFFLINE


@pytest.mark.parametrize("spec, message", [
    ("lpt:1", "unknown printer"), ("net:", "needs a host"), ("usb:0x04", "vendor and product"),
    ("net:host:port", "not a number"), ("file:", "needs a path")])
def test_bad_printer_specs_name_the_key(spec, message):
    with pytest.raises(ConfigError, match=f"kiosk\\[k1\\]\\.printer: .*{message}"):
        open_printer(spec, where="kiosk[k1].printer")


class FakeNetworkPrinter:
    """Port 9100 like an Epson TM: answers DLE EOT 1 / DLE EOT 4, records everything else."""

    def __init__(self):
        self.server = socket.socket()
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen()
        self.port = self.server.getsockname()[1]
        self.paper = True
        self.received = bytearray()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._client, args=(conn,), daemon=True).start()

    def _client(self, conn):
        with conn:
            while True:
                try:
                    data = conn.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                if data == b"\x10\x04\x01":
                    conn.sendall(b"\x12")                       # online
                elif data == b"\x10\x04\x04":
                    conn.sendall(b"\x12" if self.paper else b"\x72")
                else:
                    self.received += data

    def close(self):
        try:   # wakes the accept() blocked in the server thread, which else keeps it listening
            self.server.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.server.close()


def test_network_printer_status_and_printing():
    fake = FakeNetworkPrinter()
    p = open_printer(f"net:127.0.0.1:{fake.port}")
    try:
        assert p.status() == OK
        p.send(render(slip()))
        deadline = threading.Event()
        for _ in range(200):
            if b"A016" in fake.received:
                break
            deadline.wait(0.01)
        assert b"A016" in fake.received
        fake.paper = False
        assert p.status() == NO_PAPER
    finally:
        p.close()
        fake.close()
    assert p.status() == OFFLINE              # nothing listens any more


def test_a_stale_network_connection_is_replaced_without_losing_the_ticket():
    fake = FakeNetworkPrinter()
    p = open_printer(f"net:127.0.0.1:{fake.port}")
    try:
        assert p.status() == OK
        p.device.device.shutdown(socket.SHUT_RDWR)   # the socket dies while the kiosk is idle
        assert p.status() == OK
        p.device.device.shutdown(socket.SHUT_RDWR)
        p.send(b"TICKET-A017")
        for _ in range(200):
            if b"TICKET-A017" in fake.received:
                break
            threading.Event().wait(0.01)
        assert b"TICKET-A017" in fake.received
    finally:
        p.close()
        fake.close()
