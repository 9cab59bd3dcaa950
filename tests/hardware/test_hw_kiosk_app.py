"""A button kiosk in-process: gpiozero mock pins, a memory printer, the real queue service."""

import dataclasses
import threading
import time

import pytest
from gpiozero.pins.mock import MockFactory

from hardware.config import kiosk_config
from hardware.kiosk_app import KioskApp
from hardware.printer import NO_PAPER, OK, MemoryPrinter
from support.waiting import wait_for

pytestmark = pytest.mark.broker


@pytest.fixture
def kiosk(queue_service, tmp_path):
    factory = MockFactory()
    cfg = dataclasses.replace(kiosk_config(queue_service.site, "k1"),
                              buttons={"ktp": 5, "kk": 6}, led=13, store=tmp_path / "k1.db")
    printer = MemoryPrinter()
    app = KioskApp(queue_service.site, cfg, printer=printer, pin_factory=factory)
    app.start()
    loop = threading.Thread(target=app.run, daemon=True)
    loop.start()
    wait_for(app.conn.connected.is_set, what="kiosk connected")
    wait_for(lambda: app.kiosk.mode == "steady", what="kiosk ready")
    yield app, printer, factory, queue_service
    app.stop()
    loop.join(5)
    app.close()
    factory.reset()


def tap(factory, pin, hold=0.05):
    p = factory.pin(pin)
    p.drive_low()
    time.sleep(hold)
    p.drive_high()


def test_a_button_takes_a_ticket_and_hammering_it_takes_no_more(kiosk):
    app, printer, factory, q = kiosk
    pin = factory.pin(5)
    for _ in range(10):          # a visitor hammering the button while the ticket prints
        pin.drive_low()
        time.sleep(0.03)
        pin.drive_high()
        time.sleep(0.03)
    wait_for(lambda: len(printer.slips) == 1, what="one slip")
    # Every tap has reached the kiosk's loop once it runs this: the taps are all handled.
    assert app.loop.call(lambda: len(app.store.asked()) + app.store.count_printed()) == 1
    assert len(printer.slips) == 1 and b"A001" in printer.slips[0]
    q.settled()
    assert len(q.watcher.bodies("/kiosk/k1/take")) == 1
    assert q.service_state("ktp")["issued"] == 1
    wait_for(lambda: factory.pin(13).state, what="LED steady: ready")


def test_paper_out_takes_nothing_until_the_paper_is_back(kiosk):
    app, printer, factory, q = kiosk
    printer.state = NO_PAPER
    tap(factory, 6)
    wait_for(lambda: app.kiosk.mode == "fault", what="fault mode")
    # The kiosk's own record once its loop has handled the tap: no take was made.
    assert app.loop.call(lambda: (app.store.asked(), app.kiosk.asking)) == ([], None)
    q.take("skck", kiosk="k2")         # the queue's barrier: no take from k1 came before it
    assert q.watcher.bodies("/kiosk/k1/take") == []
    printer.state = OK
    app.loop.call(app.kiosk.check_printer)
    wait_for(lambda: app.kiosk.mode == "steady")
    time.sleep(app.cfg.cooldown_s)
    tap(factory, 6)
    wait_for(lambda: len(printer.slips) == 1 and b"B001" in printer.slips[0])


def test_identify_prints_a_test_slip_and_status_reports_the_printer(kiosk):
    app, printer, factory, q = kiosk
    q.watcher.publish("antrian/test/cmnd/kiosk-k1/identify", b"")
    _, reply = q.watcher.wait_for(lambda t, b: t.endswith("/stat/kiosk-k1/identify"),
                                  what="identify reply")
    assert reply["ok"] and reply["data"]["printed"] is True
    assert b"UJI PRINTER" in printer.slips[-1]
    printer.state = NO_PAPER
    app.loop.call(app.kiosk.check_printer)
    q.watcher.publish("antrian/test/cmnd/kiosk-k1/status", b"")
    _, reply = q.watcher.wait_for(lambda t, b: t.endswith("/stat/kiosk-k1/status"),
                                  what="status reply")
    data = reply["data"]
    assert data["printer"] == "no_paper" and data["tickets_printed"] == 0
    assert data["pending_reprints"] == 0 and data["component"] == "kiosk-k1"


def test_a_touch_kiosk_takes_and_prints_the_service_tapped(queue_service, tmp_path, artifacts):
    import pygame
    cfg = dataclasses.replace(kiosk_config(queue_service.site, "k2"), store=tmp_path / "k2.db")
    printer = MemoryPrinter()
    app = KioskApp(queue_service.site, cfg, printer=printer, touch=True, screen_size=(1024, 600))
    app.start()
    runner = threading.Thread(target=app.run, daemon=True)
    runner.start()
    try:
        wait_for(lambda: app.kiosk.mode == "steady" and app.touch.layout is not None,
                 what="touch kiosk ready")
        skck = next(b for b in app.touch.layout.buttons if b.service == "skck")
        pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, button=1,
                                             pos=(skck.rect[0] + 5, skck.rect[1] + 5)))
        wait_for(lambda: len(printer.slips) == 1, what="slip printed")
        assert b"C001" in printer.slips[0] and b"Polres" in printer.slips[0]
        wait_for(lambda: "C001" in app.touch.message[0], what="banner names the ticket")
        wait_for(lambda: not app.touch._dirty, what="redrawn")
        pygame.image.save(app.touch.surface, str(artifacts / "kiosk-touch-after-tap.png"))
    finally:
        app.stop()
        runner.join(10)
        app.close()
    assert not runner.is_alive()


def test_reload_takes_new_services_and_names_what_needs_a_restart(kiosk):
    app, printer, factory, q = kiosk
    path = app.site.path
    path.write_text(path.read_text().replace('[[kiosk]]\nid = "k1"\n',
                                             '[[kiosk]]\nid = "k1"\nservices = ["skck"]\n'
                                             'printer = "file:/tmp/x.bin"\n'))
    q.watcher.publish("antrian/test/cmnd/kiosk-k1/reload", b"{}")
    _, reply = q.watcher.wait_for(lambda t, b: t.endswith("/stat/kiosk-k1/reload"),
                                  what="reload reply")
    assert reply["ok"], reply
    assert reply["data"]["services"] == ["skck"]
    # The fixture's buttons and LED are not in the TOML, so the TOML "changed" them too.
    assert set(reply["data"]["restart_needed"]) == {"printer", "buttons", "led"}
    assert app.cfg.buttons == {"ktp": 5, "kk": 6}     # kept until a restart
    assert app.kiosk.cfg.services == ("skck",)


def test_a_kiosk_follows_the_services_status_and_refuses_a_full_quota_at_once(broker, tmp_path):
    """The real queue with SKCK's quota of one: the kiosk's second tap is refused with the
    reason from the retained state, without a take."""
    from support.queue import QueueProcess
    from support.site import write_site
    site_file = write_site(tmp_path / "site.toml", broker.port)
    site_file.write_text(site_file.read_text().replace(
        'id = "skck"\n', 'id = "skck"\nquota = 1\nstandard = { fee = "Gratis", '
        'duration_minutes = 15, requirements = ["KTP-el asli"] }\n', 1))
    q = QueueProcess(site_file, tmp_path / "queue.db", broker).start()
    cfg = dataclasses.replace(kiosk_config(q.site, "k2"), store=tmp_path / "k2.db")
    printer = MemoryPrinter()
    app = KioskApp(q.site, cfg, printer=printer)
    app.start()
    runner = threading.Thread(target=app.run, daemon=True)
    runner.start()
    try:
        wait_for(lambda: app.kiosk.mode == "steady" and app.kiosk.standard("skck"),
                 what="kiosk ready with SKCK's standard")
        app.loop.post(lambda: app.kiosk.tap("skck"))
        wait_for(lambda: len(printer.slips) == 1, what="the first SKCK ticket")
        assert b"Biaya: Gratis - Standar waktu layanan: 15 menit" in printer.slips[0]
        assert b"- KTP-el asli" in printer.slips[0]
        wait_for(lambda: app.kiosk.closed_reason("skck") == "Kuota habis (1 nomor)",
                 what="the quota status from the retained state")
        takes = len(q.watcher.bodies("/kiosk/k2/take"))
        app.loop.post(lambda: app.kiosk.tap("skck", time.monotonic() + 5))
        wait_for(lambda: app.kiosk.health()["closed_taps"] == 1, what="the closed tap")
        assert len(q.watcher.bodies("/kiosk/k2/take")) == takes and len(printer.slips) == 1
    finally:
        app.stop()
        runner.join(10)
        app.close()
        q.close()
