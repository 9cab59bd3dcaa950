"""A visitor books on a phone in Debian's headless Chromium, gets the code and its QR, checks in
at a keypad kiosk with the code and the NIK's last 4 digits, and is called: real Mosquitto,
`antrian serve`, `antrian web` and `antrian kiosk --keys`.

Screenshot: tests/artifacts/booking-phone.png (what the visitor sees after booking).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from booking.booking_kit import site_text
from support.broker import Mosquitto
from support.queue import QueueProcess
from support.site import ARTIFACTS, ROOT
from support.waiting import wait_for
from support.webprocess import CHROMIUM, CHROMIUM_ARGS, PHONE, start_web
from antrian.devbroker import stop_process

pytestmark = [pytest.mark.broker, pytest.mark.slow]

if not Path(CHROMIUM).exists():
    pytest.skip("Debian's chromium is not installed (/usr/bin/chromium)", allow_module_level=True)
sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright

NIK = "3275014107850007"


def test_book_on_a_phone_check_in_at_the_kiosk_with_the_code_and_be_called(tmp_path):
    broker = Mosquitto(tmp_path).start()
    text, session = site_text(broker.port)
    site_file = tmp_path / "site.toml"
    site_file.write_text(text)
    queue = QueueProcess(site_file, tmp_path / "queue.db", broker).start()
    web = start_web(site_file, tmp_path)
    tickets, log = tmp_path / "tickets.bin", tmp_path / "kiosk.log"
    kiosk = subprocess.Popen(
        [sys.executable, "-m", "antrian", "kiosk", "--config", str(site_file), "--kiosk", "k1",
         "--keys", "--printer", f"file:{tickets}", "--store", str(tmp_path / "k1.db")],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=log.open("ab"), stderr=subprocess.STDOUT)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(**PHONE)
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(web.base + "/booking")
            page.wait_for_selector("#service option[value=ktp]", state="attached")
            page.select_option("#service", "ktp")
            page.wait_for_selector(f"label[data-session='{session}'] input:not([disabled])")
            assert "sisa 2 dari 2" in page.inner_text("#sessions")
            page.fill("#nik", "3275 0141 0785 0007")
            page.click("#submit")
            page.wait_for_selector("#done:not([hidden])")
            code = page.inner_text("#code").strip()
            assert len(code) == 8 and page.url.endswith(f"/b/{code}")
            wait_for(lambda: page.evaluate("document.getElementById('qr').naturalWidth") > 0, 5,
                     what="the QR code shown")
            assert "Lapor di kiosk pukul" in page.inner_text("#when")
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "booking-phone.png"), full_page=True)
            assert not errors, errors
            browser.close()

        queue.watcher.wait_for(lambda t, b: t.endswith("/tele/kiosk-k1/lwt") and b == b"online",
                               timeout=15, what="kiosk online")
        kiosk.stdin.write(b"b" + code.encode() + NIK[-4:].encode())
        kiosk.stdin.flush()
        wait_for(lambda: tickets.exists() and b"A001" in tickets.read_bytes(), 10,
                 what="the check-in's ticket printed")
        assert queue.press("1", "next")["ticket"] == "A001"
        _, call = queue.watcher.wait_for(lambda t, b: t.endswith("/call"), what="the call")
        assert call["ticket"] == "A001" and call["counter"] == "1"
        web.wait(lambda b: b.get("status") == "called", "/api/v1/tickets/A001",
                 what="the ticket page sees the call")
    finally:
        stop_process(kiosk)
        web.stop()
        queue.close()
        broker.stop()
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert NIK.encode() not in path.read_bytes(), path
