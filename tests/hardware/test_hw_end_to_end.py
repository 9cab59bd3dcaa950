"""Panels and kiosks against the real queue service and a real Mosquitto.

The guarantees of the issue, end to end: presses made while the broker is down arrive after it
returns, exactly once and in order; a panel killed between a press and its acknowledgement
delivers that press once after it restarts; a keypad kiosk prints each ticket it takes.
"""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory

from hardware.config import PanelConfig
from hardware.counter_app import PanelApp
from support.waiting import wait_for
from antrian.devbroker import stop_process

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.broker


def called(db: Path, counter: str) -> list[str]:
    """The queue service's own record: every ticket it called at this counter, in order."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        rows = conn.execute("SELECT data FROM events WHERE type = 'called' ORDER BY seq").fetchall()
    return [d["ticket"] for d in map(json.loads, (r[0] for r in rows)) if d["counter"] == counter]


def outbox_depth(path: Path) -> int:
    if not path.exists():
        return 0
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        try:
            return conn.execute("SELECT count(*) FROM press").fetchone()[0]
        except sqlite3.OperationalError:
            return 0


def test_three_presses_while_the_broker_is_down_arrive_once_and_in_order(queue_service, broker,
                                                                         tmp_path):
    for _ in range(5):
        queue_service.take("ktp")
    factory = MockFactory()
    cfg = PanelConfig(counter="1", pins={"next": 17}, led=24, outbox=tmp_path / "c1.db",
                      resend_s=1.0)
    app = PanelApp(queue_service.site, cfg, pin_factory=factory)
    app.start()
    loop = threading.Thread(target=app.run, daemon=True)
    loop.start()
    pin, led = factory.pin(17), factory.pin(24)
    try:
        wait_for(lambda: app.panel.state is not None, what="counter state")

        def press():
            pin.drive_low()
            time.sleep(0.05)
            pin.drive_high()
            time.sleep(0.05)

        press()
        wait_for(lambda: app.panel.mode == "steady" and led.state, what="first call acknowledged")
        assert called(queue_service.db, "1") == ["A001"]

        broker.stop()
        wait_for(lambda: app.panel.mode == "offline", what="panel sees the broker gone")
        for _ in range(3):
            press()
        assert app.outbox.depth() == 3
        broker.start()
        wait_for(lambda: app.outbox.depth() == 0, timeout=30, what="outbox delivered")
        wait_for(lambda: app.panel.mode == "steady", what="steady LED again")
        assert called(queue_service.db, "1") == ["A001", "A002", "A003", "A004"]
        assert app.panel.health()["presses_refused"] == 0
    finally:
        app.stop()
        loop.join(5)
        app.close()
        factory.reset()


def start_panel(site_file: Path, outbox: Path, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "antrian", "counter", "--config", str(site_file), "--counter", "1",
         "--keys", "--outbox", str(outbox)],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=log.open("ab"), stderr=subprocess.STDOUT,
        env=dict(os.environ, GPIOZERO_PIN_FACTORY="mock"))


def test_a_panel_killed_between_press_and_acknowledgement_delivers_it_once(queue_service,
                                                                           tmp_path):
    for _ in range(3):
        queue_service.take("ktp")
    watcher = queue_service.watcher
    queue_service.stop()          # its broker session stays: the press will wait there for it
    outbox, log = tmp_path / "c1.db", tmp_path / "panel.log"
    panel = start_panel(queue_service.site_file, outbox, log)
    try:
        watcher.wait_for(lambda t, b: t.endswith("/tele/counter-1/lwt") and b == b"online",
                         timeout=15, what="panel online")
        panel.stdin.write(b"n")
        panel.stdin.flush()
        _, sent = watcher.wait_for(lambda t, b: t.endswith("/counter/1/press"),
                                   what="press published")
        assert outbox_depth(outbox) == 1          # on disk, not yet acknowledged
        panel.send_signal(signal.SIGKILL)
        panel.wait(5)

        queue_service.start()                     # applies the press waiting in its session
        wait_for(lambda: called(queue_service.db, "1") == ["A001"], what="the press applied")
        panel = start_panel(queue_service.site_file, outbox, log)
        wait_for(lambda: outbox_depth(outbox) == 0, timeout=15, what="outbox emptied")
        # The service's own barrier: it answers this take after whatever its session held.
        queue_service.take("ktp")
        assert called(queue_service.db, "1") == ["A001"]
        presses = [b["id"] for b in watcher.bodies("/counter/1/press")]
        assert set(presses) == {sent["id"]} and len(presses) >= 2     # resent, applied once
    finally:
        stop_process(panel)
    assert "OK berikutnya: A001" in log.read_text(), log.read_text()


def test_a_keypad_kiosk_prints_each_ticket_it_takes_and_ignores_a_double_tap(queue_service,
                                                                            tmp_path):
    tickets = tmp_path / "tickets.bin"
    log = tmp_path / "kiosk.log"
    kiosk = subprocess.Popen(
        [sys.executable, "-m", "antrian", "kiosk", "--config", str(queue_service.site_file),
         "--kiosk", "k1", "--keys", "--printer", f"file:{tickets}", "--store",
         str(tmp_path / "k1.db")],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=log.open("ab"), stderr=subprocess.STDOUT)
    try:
        queue_service.watcher.wait_for(
            lambda t, b: t.endswith("/tele/kiosk-k1/lwt") and b == b"online", timeout=15,
            what="kiosk online")
        kiosk.stdin.write(b"11")                  # a double tap on "1": one ticket
        kiosk.stdin.flush()
        wait_for(lambda: tickets.exists() and b"A001" in tickets.read_bytes(), what="printed")
        time.sleep(1.2)                           # past the cool-down
        kiosk.stdin.write(b"2")                   # the second service of k1: kk
        kiosk.stdin.flush()
        wait_for(lambda: b"B001" in tickets.read_bytes(), what="second ticket printed")
        # The kiosk heard B001 on its own connection; the watcher has every take (and would
        # have a double tap's) only after the service's barrier.
        queue_service.settled()
        takes = queue_service.watcher.bodies("/kiosk/k1/take")
        assert [t["service"] for t in takes] == ["ktp", "kk"]
        data = tickets.read_bytes()
        assert data.count(b"Nomor antrean Anda") == 2 and b"MPP Uji" in data
        assert b"Perekaman KTP-el" in data and b"Kartu Keluarga" in data
    finally:
        stop_process(kiosk)
    assert "Silakan ambil tiket Anda: A001" in log.read_text(), log.read_text()
