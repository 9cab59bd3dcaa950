"""Press to acknowledgement: from a counter button going down to its LED showing the answer.

    .venv/bin/python bench/press_ack.py [--presses 500] [--bounce 0.02]

Runs a private Mosquitto and the real ``antrian serve`` (SQLite on disk, synchronous=FULL); the
panel runs in this process, as ``antrian counter`` would, on gpiozero's mock pins. Each press:
pin 17 driven low (gpiozero calls the panel at once, as a real edge does) -> our debounce ->
the press written to the SQLite outbox (synchronous=FULL) -> published -> the queue service
commits and publishes the counter state echoing the request id -> the panel takes that as the
acknowledgement -> LED on steady (the blink thread of "in flight" stopped). The time is taken
when ``LED.on()`` has returned and the pin reads high.

Between presses the button is released and left alone past the bounce window, as a person
would. The queue has a waiting ticket for every press. Target: p99 < 10 ms.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from antrian import config as site_config  # noqa: E402
from antrian.devbroker import Mosquitto  # noqa: E402
from support.site import write_site  # noqa: E402

TARGET_P99_MS = 10.0


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q / 100 * len(values)))]


def take_tickets(port: int, n: int) -> None:
    """Fill the queue (and wait for the service to come online first)."""
    c = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-{uuid.uuid4().hex[:6]}",
                    protocol=paho.MQTTv5)
    online, answered = threading.Event(), []
    done = threading.Event()

    def on_message(cl, u, m):
        if m.topic.endswith("/tele/queue/lwt") and m.payload == b"online":
            online.set()
        elif m.topic.endswith("/ticket"):
            answered.append(1)
            if len(answered) >= n:
                done.set()

    c.on_connect = lambda cl, u, f, rc, p: cl.subscribe(
        [("antrian/test/tele/queue/lwt", 1), ("antrian/test/ticket", 1)])
    c.on_message = on_message
    c.connect("127.0.0.1", port)
    c.loop_start()
    if not online.wait(15):
        raise SystemExit("queue service did not come online")
    for i in range(n):
        c.publish("antrian/test/kiosk/k1/take",
                  json.dumps({"service": "ktp", "id": f"bench-{i}"}), qos=1)
    if not done.wait(60):
        raise SystemExit(f"only {len(answered)}/{n} tickets taken")
    c.loop_stop()
    c.disconnect()


def requests_bench(site, n: int) -> None:
    """The request/reply helper every console uses (mqtt.consumer.Requester): connect and
    SUBACK of a fresh client (what `antrian take` or `ctl` waits for before it publishes), and
    the round trip of a maintenance command to the queue service."""
    from mqtt.client import Connection
    from mqtt.consumer import Requester

    ready: list[float] = []
    for _ in range(20):
        t0 = time.perf_counter()
        anonymous = Connection(site, "ctl", presence=False, credentials=("", ""))
        requester = Requester(anonymous).start(5)
        ready.append((time.perf_counter() - t0) * 1000)
        requester.close()
    trips: list[float] = []
    with Requester(Connection(site, "ctl", presence=False, credentials=("", ""))).start(5) as ask:
        for i in range(n):
            t0 = time.perf_counter()
            ask.request("antrian/test/cmnd/queue/status", {"transaction": i}, timeout=5)
            trips.append((time.perf_counter() - t0) * 1000)
    print(f"request/reply (mqtt.consumer.Requester): connect + SUBACK p50 {pct(ready, 50):.2f} "
          f"ms, p99 {pct(ready, 99):.2f} ms (20 clients); `cmnd/queue/status` round trip "
          f"p50 {pct(trips, 50):.2f} ms, p99 {pct(trips, 99):.2f} ms ({n} requests)")


class Probe:
    """Timestamps around a live panel: the LED turning steady, each press published, each
    counter state received by paho's thread (instrumentation, so the bench wraps them)."""

    def __init__(self, app):
        self.lit = threading.Event()
        self.marks: list[float] = []
        self.published: list[float] = []
        self.received: list[float] = []
        show, publish, on_message = app.led.show, app._publish, app._on_message

        def timed_show(mode: str) -> None:
            show(mode)
            if mode == "steady":
                self.marks.append(time.perf_counter())
                self.lit.set()

        def timed_publish(payload: bytes) -> bool:
            ok = publish(payload)
            self.published.append(time.perf_counter())
            return ok

        def timed_message(topic, payload, message) -> None:
            if topic == app.state_topic:
                self.received.append(time.perf_counter())
            on_message(topic, payload, message)
        app.led.show = timed_show
        app.panel.publish = timed_publish
        app.conn.on_message = timed_message


def press_loop(app, factory, probe: Probe, presses: int, bounce: float):
    """Press and release the button ``presses`` times; the latencies in ms: button -> LED,
    published -> state received, and the panel's own health figure."""
    pin, led_pin = factory.pin(17), factory.pin(24)
    latencies: list[float] = []
    trip: list[float] = []
    panel_view: list[float] = []
    for i in range(presses):
        probe.lit.clear()
        del probe.published[:], probe.received[:]
        t0 = time.perf_counter()
        pin.drive_low()
        if not probe.lit.wait(5):
            d = app.switches.inputs["next"].debouncer
            raise SystemExit(f"press {i}: no acknowledgement within 5 s; panel "
                             f"{app.panel.health()}, debounce stable={d.stable} raw={d.raw}")
        if not led_pin.state:
            raise SystemExit(f"press {i}: LED reported steady but the pin is low")
        latencies.append((probe.marks[-1] - t0) * 1000)
        if probe.published and probe.received:
            trip.append((probe.received[-1] - probe.published[0]) * 1000)
        panel_view.append(app.panel.health()["last_ack_latency_ms"] or 0.0)
        time.sleep(0.01)            # a short press
        pin.drive_high()
        time.sleep(bounce + 0.01)
    return latencies, trip, panel_view


def report(latencies: list[float], trip: list[float], panel_view: list[float],
           health: dict) -> float:
    """Print the figures; the p99 of button -> LED."""
    p50, p90, p99 = (pct(latencies, q) for q in (50, 90, 99))
    print(f"press -> LED acknowledged, {len(latencies)} presses through Mosquitto and "
          f"antrian serve:")
    print(f"  p50 {p50:.2f} ms   p90 {p90:.2f} ms   p99 {p99:.2f} ms   "
          f"max {max(latencies):.2f} ms   mean {statistics.fmean(latencies):.2f} ms")
    print(f"  of which broker + queue service (published -> state received): p50 "
          f"{pct(trip, 50):.2f} ms, p99 {pct(trip, 99):.2f} ms")
    own = sorted(a - b for a, b in zip(latencies, trip))
    print(f"  the panel's own share (edge, debounce, outbox commit, publish; ack -> LED): "
          f"p50 {pct(own, 50):.2f} ms, p99 {pct(own, 99):.2f} ms")
    print(f"  panel's health figure last_ack_latency_ms: p50 {pct(panel_view, 50):.2f} ms, "
          f"p99 {pct(panel_view, 99):.2f} ms")
    print(f"  acked {health['presses_acked']}, refused {health['presses_refused']}, "
          f"dropped {health['presses_dropped']}, outbox depth {health['outbox_depth']}")
    return p99


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--presses", type=int, default=500)
    ap.add_argument("--bounce", type=float, default=0.02, help="bounce_time (s)")
    ap.add_argument("--requests", type=int, default=200,
                    help="console request/reply round trips to measure (0: none)")
    args = ap.parse_args()

    from gpiozero.pins.mock import MockFactory
    from hardware.config import PanelConfig
    from hardware.counter_app import PanelApp

    work = Path(tempfile.mkdtemp(prefix="antrian-press-ack-"))
    broker = Mosquitto(work).start()
    # The bench takes every ticket as one kiosk: lift the per-sender rate limit a person is held
    # to (bench/throughput.py does the same).
    site_file = write_site(work / "site.toml", broker.port,
                           "\n[queue]\nrate_per_s = 100000\nburst = 1000000\n")
    serve = subprocess.Popen([sys.executable, "-m", "antrian", "serve", "--config", str(site_file),
                              "--db", str(work / "queue.db")], cwd=ROOT,
                             stdout=(work / "serve.log").open("w"), stderr=subprocess.STDOUT)
    app = None
    try:
        take_tickets(broker.port, args.presses + 5)
        site = site_config.load(site_file)
        factory = MockFactory()
        cfg = PanelConfig(counter="1", pins={"next": 17}, led=24, outbox=work / "c1.db",
                          bounce_time=args.bounce)
        app = PanelApp(site, cfg, pin_factory=factory)
        probe = Probe(app)
        app.start()
        threading.Thread(target=app.run, daemon=True).start()
        deadline = time.monotonic() + 15
        while app.panel.state is None and time.monotonic() < deadline:
            time.sleep(0.01)
        figures = press_loop(app, factory, probe, args.presses, args.bounce)
        health = app.panel.health()
        p99 = report(*figures, health)
        if args.requests:
            requests_bench(site, args.requests)
        ok = p99 < TARGET_P99_MS and health["presses_acked"] == args.presses
        print(f"RESULT: {'ok' if ok else 'FAIL'} (target p99 < {TARGET_P99_MS:g} ms)")
        return 0 if ok else 1
    finally:
        if app is not None:
            app.stop()
            app.close()
        serve.terminate()
        try:
            serve.wait(10)
        except subprocess.TimeoutExpired:
            serve.kill()
        broker.stop()


if __name__ == "__main__":
    sys.exit(main())
