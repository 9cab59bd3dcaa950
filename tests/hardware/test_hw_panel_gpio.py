"""The panel process in-process: gpiozero mock pins, a real Mosquitto, a contract-shaped service."""

import dataclasses
import threading

import pytest
from gpiozero.pins.mock import MockFactory

from antrian import config as site_config
from support.site import write_site
from hardware.config import panel_config
from hardware.counter_app import PanelApp
from hw_fakes import FakeQueue
from support.mqtt import Watcher
from support.waiting import wait_for

PANELS = """
[[panel]]
counter = "1"
next = 17
recall = 27
skip = 22
close = 23
led = 24
buzzer = 25
bounce_time = 0.02

[[panel]]
counter = "2"
button = 5
led = 6
hold_time = 0.3
double_press_s = 0.15
"""

pytestmark = pytest.mark.broker


@pytest.fixture
def site(tmp_path, broker):
    return site_config.load(write_site(tmp_path / "site.toml", broker.port, PANELS))


@pytest.fixture
def factory():
    f = MockFactory()
    yield f
    f.reset()


def start(app):
    app.start()
    t = threading.Thread(target=app.run, daemon=True)
    t.start()
    wait_for(app.conn.connected.is_set, what="panel connected")
    return t


@pytest.fixture
def panel(site, factory, tmp_path, broker):
    queue = FakeQueue(broker.port)
    cfg = dataclasses.replace(panel_config(site, "1"), outbox=tmp_path / "c1.db")
    app = PanelApp(site, cfg, pin_factory=factory)
    t = start(app)
    yield app, queue
    app.stop()
    t.join(5)
    app.close()
    queue.close()


def press(factory, pin, hold=0.04):
    """A human press: held for a while, then released and left alone past the bounce window
    (an instant press right after a release is what contact bounce looks like: ignored)."""
    p = factory.pin(pin)
    p.drive_low()
    threading.Event().wait(hold)
    p.drive_high()
    threading.Event().wait(0.04)


def test_buttons_call_next_recall_skip_and_the_led_shows_the_acknowledgement(panel, factory):
    app, queue = panel
    led = factory.pin(24)
    press(factory, 17)
    wait_for(lambda: queue.calls == ["A001"], what="first call")
    wait_for(lambda: app.panel.mode == "steady" and led.state, what="steady LED")
    press(factory, 27)
    wait_for(lambda: queue.calls == ["A001", "A001"], what="recall")
    press(factory, 22)
    wait_for(lambda: queue.calls == ["A001", "A001", "A002"], what="skip")
    wait_for(lambda: app.outbox.depth() == 0)
    assert app.panel.health()["presses_acked"] == 3


def test_a_bouncing_switch_gives_one_press(panel, factory):
    app, queue = panel
    pin = factory.pin(17)
    for _ in range(6):                # contact bounce, all within a few milliseconds
        pin.drive_low()
        pin.drive_high()
    pin.drive_low()
    wait_for(lambda: queue.calls == ["A001"])
    threading.Event().wait(0.1)
    pin.drive_high()
    threading.Event().wait(0.1)
    assert queue.calls == ["A001"] and app.panel.health()["presses_acked"] == 1


def test_close_button_toggles_the_counter_and_the_led_goes_dark(panel, factory):
    app, queue = panel
    press(factory, 17)
    wait_for(lambda: app.panel.mode == "steady")
    press(factory, 23)
    wait_for(lambda: app.panel.state and app.panel.state.open is False)
    wait_for(lambda: not factory.pin(24).state, what="LED off")


def test_led_blinks_fast_when_the_broker_is_gone(panel, factory, broker):
    app, queue = panel
    broker.stop()
    wait_for(lambda: app.panel.mode == "offline", what="offline mode")
    led = factory.pin(24)
    seen = set()
    wait_for(lambda: seen.add(led.state) or len(seen) == 2, timeout=2, what="LED toggling")
    broker.start()
    wait_for(app.conn.connected.is_set, timeout=15)


def test_one_button_panel_press_hold_and_double_press(site, factory, tmp_path, broker):
    queue = FakeQueue(broker.port)
    cfg = dataclasses.replace(panel_config(site, "2"), outbox=tmp_path / "c2.db")
    app = PanelApp(site, cfg, pin_factory=factory)
    t = start(app)
    try:
        listen = Watcher(broker.port, ["antrian/test/counter/2/press"])
        presses = lambda: listen.bodies("/counter/2/press")  # noqa: E731
        press(factory, 5)
        wait_for(lambda: len(presses()) == 1)
        threading.Event().wait(0.1)       # the gap between two gestures, not a check
        press(factory, 5)
        press(factory, 5)
        wait_for(lambda: len(presses()) == 2)
        threading.Event().wait(0.1)
        press(factory, 5, hold=0.45)
        wait_for(lambda: len(presses()) == 3)
        # No gesture left to resolve, every press answered: nothing more can be sent.
        wait_for(lambda: app.loop.call(app.switches.deadline) is None
                 and app.loop.call(lambda: app.panel.health()["outbox_depth"]) == 0,
                 what="the panel idle")
        listen.barrier()
        assert [m["action"] for m in presses()] == ["next", "recall", "skip"]
        listen.close()
    finally:
        app.stop()
        t.join(5)
        app.close()
        queue.close()


def test_identify_and_status_over_the_maintenance_face(panel, broker):
    app, queue = panel
    listen = Watcher(broker.port, ["antrian/test/stat/counter-1/+"])
    listen.publish("antrian/test/cmnd/counter-1/identify", {"seconds": 0.5, "transaction": 7})
    listen.publish("antrian/test/cmnd/counter-1/status", b"")
    replies = {}
    for command in ("identify", "status"):
        _, replies[command] = listen.wait_for(
            lambda t, b, c=command: t.endswith(f"/stat/counter-1/{c}"), what=command)
    assert replies["identify"]["ok"] and replies["identify"]["transaction"] == 7
    status = replies["status"]["data"]
    for key in ("outbox_depth", "oldest_pending_age_s", "last_ack_latency_ms"):
        assert key in status
    assert status["component"] == "counter-1"
    listen.close()


def test_reload_applies_timings_and_names_what_needs_a_restart(panel, tmp_path, broker):
    app, queue = panel
    path = app.site.path
    path.write_text(path.read_text().replace("bounce_time = 0.02", "bounce_time = 0.05")
                    .replace("led = 24", "led = 26"))
    listen = Watcher(broker.port, ["antrian/test/stat/counter-1/reload"])
    listen.publish("antrian/test/cmnd/counter-1/reload", b"{}")
    _, reply = listen.wait_for(lambda t, b: t.endswith("/reload"), what="the reload reply")
    assert reply["ok"] and reply["data"]["restart_needed"] == ["led"]
    assert app.switches.inputs["next"].debouncer.bounce_time == 0.05
    listen.close()


def test_refusal_is_shown_and_the_outbox_is_emptied(panel, broker, factory):
    app, queue = panel
    press(factory, 17)
    wait_for(lambda: app.panel.mode == "steady")
    queue.ticket = "A099"             # the counter moved on behind the panel's back
    press(factory, 17)
    wait_for(lambda: app.panel.health()["presses_refused"] == 1)
    assert app.outbox.depth() == 0 and queue.calls == ["A001"]
