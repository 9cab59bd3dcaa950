"""Panels and kiosks treat every message as untrusted (issue 12): what they cannot use is skipped
and logged once, the last good state stays, nothing from a message or the config reaches the
printer as a command, and the slip's QR code carries the ticket's key."""

from __future__ import annotations

import json
import logging
import math
import threading

import pytest
from gpiozero.pins.mock import MockFactory

from antrian import config as site_config
from hardware.config import PanelConfig, kiosk_config
from hardware.counter_app import PanelApp
from hardware.kiosk import Kiosk
from hardware.kiosk_app import KioskApp
from hardware.kiosk_store import KioskStore
from hardware.printer import MemoryPrinter
from hardware.ticket import Slip, render
from hw_fakes import Clock, Feedback as Screen
from support.site import write_site
from support.waiting import wait_for

KEY = "Zm9vYmFyYmF6"      # 12 base64url characters, as ticketing.keys makes them

HOSTILE_JSON = [
    b"", b"null", b"[]", b"17", b'"text"', b"{", b"\xff\xfe", b"{}" * 1000, b"[" * 5000,
    b'{"ticket": 1}', b'{"id": {"x": 1}}', b'{"ticket": "A\\u0000\\u001b", "service": "ktp"}',
    json.dumps({"counter": "1", "open": "yes"}).encode(),
    json.dumps({"error": 5, "id": []}).encode(),
    json.dumps({"ok": True, "id": "x" * 100_000}).encode(),
]


@pytest.fixture
def kiosk(tmp_path):
    site = site_config.load(write_site(tmp_path / "site.toml", 1883))
    clock = Clock()
    sent, printer = [], MemoryPrinter()
    k = Kiosk(site, kiosk_config(site, "k1"), KioskStore(tmp_path / "k1.db", "k1"), printer,
              publish=lambda p: sent.append(json.loads(p)) or True, feedback=Screen(),
              clock=clock, monotonic=clock)
    k.connected()
    return k, printer, clock


def event(rid, **over):
    base = {"ticket": "A016", "service": "ktp", "kiosk": "k1", "id": rid, "priority": False,
            "ahead": 2, "day": "2026-11-28", "issued_at": 1_764_300_000.0, "est_wait_s": 540.0,
            "seq": 1, "ts": 0.0, "key": KEY}
    return {**base, **over}


# -- the slip -------------------------------------------------------------------------------------

def test_the_qr_code_opens_the_ticket_page_with_day_and_key(kiosk):
    k, printer, _ = kiosk
    rid = k.tap("ktp")
    k.on_ticket(event(rid))
    assert len(printer.slips) == 1
    assert k.slip(event(rid), reprint=False).url == \
        f"http://antrian.test/t/A016?d=2026-11-28&k={KEY}"


@pytest.mark.parametrize("key", [None, "", "short", "a&k=forged", "A\x1b@012345678",
                                 "x" * 65, 12345678901, ["k"]])
def test_without_a_usable_key_the_qr_has_none_and_the_kiosk_says_so(kiosk, key, caplog):
    k, printer, _ = kiosk
    rid = k.tap("ktp")
    with caplog.at_level(logging.WARNING, logger="hardware.kiosk"):
        k.on_ticket(event(rid, key=key))
    assert len(printer.slips) == 1                        # the visitor still gets the slip
    assert k.slip(event(rid, key=key), reprint=False).url == \
        "http://antrian.test/t/A016?d=2026-11-28"
    assert any("key" in r.getMessage() for r in caplog.records)


def test_text_from_the_config_and_the_queue_cannot_drive_the_printer(tmp_path):
    # ESC i (cut), GS V (cut), ESC @ (reset), ESC t (code page), NUL, a bidi override.
    evil = "\x1bi\x1dV\x00\x1b@\x1bt\x10\u202e"
    site_file = write_site(tmp_path / "site.toml", 1883)
    site_file.write_text(site_file.read_text().replace(
        'title = "MPP Uji"', 'title = "MPP\\u001bi\\u001dV\\u0000Uji"'))
    site = site_config.load(site_file)
    assert "\x1b" in site.title
    printer = MemoryPrinter()
    k = Kiosk(site, kiosk_config(site, "k1"), KioskStore(tmp_path / "k1.db", "k1"), printer,
              publish=lambda p: True, feedback=Screen(), clock=Clock(), monotonic=Clock())
    k.connected()
    k.on_service_state("ktp", {"status": None, "standard": {
        "fee": f"Gratis{evil}", "duration_minutes": 15,
        "requirements": [f"KTP-el{evil}asli", 7, None]}})
    rid = k.tap("ktp")
    k.on_ticket(event(rid))
    slip = printer.slips[0]
    assert b"MPPiVUji" in slip and b"Biaya: Gratis" in slip and b"- KTP-el" in slip
    for command in (b"\x1bi\x1dV", b"MPP\x1b", b"Gratis\x1b", b"KTP-el\x1b", b"\x1bt\x10"):
        assert command not in slip
    # What the layout itself sends is unchanged: one INIT at the start and one cut at the end.
    assert slip.count(b"\x1b@") == 1 and slip.startswith(b"\x1b@")


def test_render_strips_control_characters_from_every_field():
    from datetime import datetime, timezone
    slip = Slip(site_title="A\x1bB", agency="C\x1dD", service="E\x00F", ticket="A0\x1b1",
                issued_at=datetime(2026, 11, 30, 3, tzinfo=timezone.utc), ahead=0,
                url="http://x/t/A\x1b01", kiosk_name="K\x1bi", fee="G\x1b", requirements=("R\x1b",))
    out = render(slip)
    for text in (b"A\x1bB", b"C\x1dD", b"E\x00F", b"A0\x1b1", b"K\x1bi", b"G\x1b", b"R\x1b"):
        assert text not in out
    assert b"AB" in out and b"CD" in out and b"EF" in out and b"Ki" in out


@pytest.mark.parametrize("bad", [
    {"issued_at": 1e300}, {"issued_at": -1e300}, {"issued_at": math.inf}, {"issued_at": "x"},
    {"issued_at": 1.0}, {"ahead": -1}, {"ahead": True}, {"ahead": 10**12}, {"ticket": ""},
    {"ticket": "A\x1b01"}, {"ticket": "A" * 300}, {"service": "nope"}, {"service": None},
])
def test_a_ticket_event_that_cannot_be_printed_is_ignored_and_the_take_still_completes(kiosk, bad):
    k, printer, clock = kiosk
    rid = k.tap("ktp")
    k.on_ticket(event(rid, **bad))
    assert printer.slips == [] and k.asking is not None      # still waiting for a good answer
    k.on_ticket(event(rid))                                 # the service answers the resend
    assert len(printer.slips) == 1 and b"A016" in printer.slips[0]
    assert k.retry_reprints() == 0                          # nothing stuck for reprint


@pytest.mark.parametrize("standard", [
    {"fee": 5, "duration_minutes": math.inf, "requirements": "x"},
    {"fee": "x" * 10_000, "duration_minutes": -3, "requirements": ["y" * 10_000] * 1000},
    {"duration_minutes": True, "requirements": [{"a": 1}]},
])
def test_a_hostile_standard_still_prints_a_slip(kiosk, standard):
    k, printer, _ = kiosk
    k.on_service_state("ktp", {"status": {"open": True}, "standard": standard})
    rid = k.tap("ktp")
    k.on_ticket(event(rid))
    assert len(printer.slips) == 1 and len(printer.slips[0]) < 60_000


# -- the processes' message handlers --------------------------------------------------------------

def test_a_kiosk_survives_thousands_of_bad_messages_and_still_takes_a_ticket(tmp_path):
    site = site_config.load(write_site(tmp_path / "site.toml", 1883))
    printer = MemoryPrinter()
    app = KioskApp(site, kiosk_config(site, "k1"), printer=printer, touch=False,
                   pin_factory=MockFactory())
    try:
        topics = [app.ticket_topic, app.error_topic, "antrian/test/service/ktp/state",
                  "antrian/test/service/../state"]
        for i in range(3000):
            app._handle(topics[i % len(topics)], HOSTILE_JSON[i % len(HOSTILE_JSON)])
        assert app.health()["bad_messages"] > 1500      # the rest are objects it ignores
        app.kiosk.connected()
        rid = app.kiosk.tap("ktp")
        app._handle(app.ticket_topic, json.dumps(event(rid, issued_at=app.kiosk.clock())).encode())
        assert len(printer.slips) == 1
    finally:
        app.close()


def test_a_panel_survives_thousands_of_bad_messages_and_keeps_its_last_good_state(tmp_path):
    site = site_config.load(write_site(tmp_path / "site.toml", 1883))
    app = PanelApp(site, PanelConfig(counter="1", pins={"next": 17}, outbox=tmp_path / "o.db"),
                   pin_factory=MockFactory())
    try:
        good = {"counter": "1", "name": "Loket 1", "open": True, "ticket": "A003",
                "service": "ktp", "since": None, "request": None, "services": ["ktp"],
                "day": "2026-11-30", "seq": 7, "ts": 0.0}
        app._handle(app.state_topic, json.dumps(good).encode(), True)
        for i in range(3000):
            topic = (app.state_topic, app.error_topic, app.reply_topic)[i % 3]
            app._handle(topic, HOSTILE_JSON[i % len(HOSTILE_JSON)], False)
        older = dict(good, ticket="A001", seq=3)
        app._handle(app.state_topic, json.dumps(older).encode(), False)
        yesterday = dict(good, ticket="A099", day="2026-11-29", seq=900)
        app._handle(app.state_topic, json.dumps(yesterday).encode(), False)
        assert app.panel.state.ticket == "A003" and app.panel.state.seq == 7
        assert app.health()["bad_messages"] >= 2000
    finally:
        app.close()



@pytest.mark.broker
@pytest.mark.slow
def test_after_a_flood_across_a_broker_restart_a_press_still_works(queue_service, broker,
                                                                   tmp_path):
    """A live panel against the real queue service: thousands of hostile messages on every
    topic it reads, a broker restart in the middle, then a press is acknowledged."""
    queue_service.take("ktp")
    queue_service.take("ktp")
    factory = MockFactory()
    app = PanelApp(queue_service.site, PanelConfig(counter="1", pins={"next": 17}, led=24,
                                                   outbox=tmp_path / "o.db", resend_s=1.0),
                   pin_factory=factory)
    app.start()
    threading.Thread(target=app.run, daemon=True).start()
    from support.mqtt import Watcher
    w = Watcher(broker.port, topics=["test/nothing"])    # a publisher that records nothing
    try:
        wait_for(lambda: app.panel.state is not None and app.panel.online, what="panel online")
        for round_ in range(2):
            before = app.bad.count
            for i in range(1500):
                topic = (app.error_topic, app.reply_topic)[i % 2]
                w.client.publish(topic, HOSTILE_JSON[i % len(HOSTILE_JSON)], qos=1)
            wait_for(lambda: app.bad.count >= before + 1000, timeout=30,
                     what="the panel has read the flood")
            if round_ == 0:
                back = queue_service.watcher.mark()
                broker.restart()
                queue_service.wait_online(timeout=20, since=back)
                wait_for(lambda: app.panel.online and w.client.is_connected(), timeout=20,
                         what="panel and flooder back online")
        pin = factory.pin(17)
        pin.drive_low()
        pin.drive_high()
        wait_for(lambda: app.panel.acked == 1 and app.panel.state.ticket == "A001", timeout=10,
                 what="the press acknowledged with A001")
    finally:
        w.close()
        app.stop()
        app.close()


# -- hypothesis: any message, in any shape -------------------------------------------------------

def _fuzz_settings():
    from hypothesis import HealthCheck, settings
    return settings(max_examples=300, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow, HealthCheck.data_too_large])


def test_no_message_in_any_shape_stops_a_panel_or_a_kiosk(tmp_path):
    """Hypothesis drives contract-shaped payloads with hostile values (huge or negative
    numbers, NaN, control and bidi characters, wrong types, any JSON, raw bytes) into the
    panel's and the kiosk's message handlers; none raises, and both still work after."""
    from hypothesis import given, strategies as st
    from maintenance.maint_strategies import payloads

    site = site_config.load(write_site(tmp_path / "site.toml", 1883))
    printer = MemoryPrinter()
    kiosk = KioskApp(site, kiosk_config(site, "k1"), printer=printer, touch=False,
                     pin_factory=MockFactory())
    panel = PanelApp(site, PanelConfig(counter="1", pins={"next": 17},
                                       outbox=tmp_path / "o.db"), pin_factory=MockFactory())
    kiosk.kiosk.connected()
    panel.panel.connected()
    hostile_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
    numbers = st.one_of(st.integers(-2**70, 2**70), st.floats(allow_nan=True,
                                                              allow_infinity=True))
    fields = {"ticket": st.one_of(st.just("A001"), hostile_text), "service": st.just("ktp"),
              "id": hostile_text, "ahead": numbers, "issued_at": numbers, "day": hostile_text,
              "key": hostile_text, "est_wait_s": numbers, "kiosk": st.just("k1"),
              "counter": st.just("1"), "seq": numbers, "open": st.booleans(),
              "request": hostile_text, "error": hostile_text, "code": hostile_text,
              "ok": st.booleans(), "data": st.fixed_dictionaries({"ticket": hostile_text}),
              "status": st.fixed_dictionaries({"open": st.booleans(),
                                               "text": st.fixed_dictionaries(
                                                   {"id": hostile_text})}),
              "standard": st.fixed_dictionaries({"fee": hostile_text,
                                                 "duration_minutes": numbers,
                                                 "requirements": st.lists(hostile_text)})}
    kiosk_topics = [kiosk.ticket_topic, kiosk.error_topic, kiosk.reply_topic,
                    "antrian/test/service/ktp/state"]
    panel_topics = [panel.state_topic, panel.error_topic, panel.reply_topic]

    @_fuzz_settings()
    @given(payload=payloads(fields), k=st.integers(0, 3), p=st.integers(0, 2),
           retained=st.booleans())
    def feed(payload, k, p, retained):
        kiosk._handle(kiosk_topics[k], payload)
        panel._handle(panel_topics[p], payload, retained)

    try:
        feed()
        # Both still work: a take is printed, a press is sent and acknowledged.
        kiosk.kiosk.asking = None
        kiosk.kiosk.ready_at = float("-inf")
        kiosk.kiosk.services.clear()
        rid = kiosk.kiosk.tap("ktp")
        kiosk._handle(kiosk.ticket_topic, json.dumps(
            event(rid, ticket="A123", issued_at=kiosk.kiosk.clock())).encode())
        assert printer.slips and b"A123" in printer.slips[-1]
    finally:
        kiosk.close()
        panel.close()
