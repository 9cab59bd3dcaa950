"""Shared fixtures: a private Mosquitto, a small site TOML, a running queue service."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

# Rendering and audio without a screen or a sound card (FIELD-NOTES).
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("GPIOZERO_PIN_FACTORY", "mock")

from broker import Mosquitto  # noqa: E402
from antrian.devbroker import stop_process  # noqa: E402

ARTIFACTS = ROOT / "tests" / "artifacts"

SMALL_SITE = """
site = "test"
title = "MPP Uji"
timezone = "Asia/Jakarta"
reset_at = "00:00"
public_url = "http://antrian.test"

[broker]
host = "127.0.0.1"
port = {port}
keepalive = 5

[[service]]
id = "ktp"
prefix = "A"
name = "Perekaman KTP-el"
agency = "Disdukcapil"

[[service]]
id = "kk"
prefix = "B"
name = "Kartu Keluarga"
agency = "Disdukcapil"

[[service]]
id = "skck"
prefix = "C"
name = "SKCK"
agency = "Polres"

[[counter]]
id = "1"
name = "Loket 1"
services = ["ktp", "kk"]

[[counter]]
id = "2"
name = "Loket 2"
services = ["ktp"]

[[counter]]
id = "3"
name = "Loket 3"
services = ["skck"]

[[kiosk]]
id = "k1"

[[kiosk]]
id = "k2"
services = ["skck"]
"""


def write_site(path: Path, port: int, extra: str = "") -> Path:
    path.write_text(SMALL_SITE.format(port=port) + extra, encoding="utf-8")
    return path


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def broker(tmp_path):
    with Mosquitto(tmp_path) as b:
        yield b


@pytest.fixture
def site_file(tmp_path, broker) -> Path:
    return write_site(tmp_path / "site.toml", broker.port)


# -- the real queue service as a process ----------------------------------------------------------

import json  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402

import paho.mqtt.client as paho  # noqa: E402
from paho.mqtt.enums import CallbackAPIVersion  # noqa: E402


def nodelay(client) -> None:
    """paho leaves Nagle's algorithm on; a test client must not add 20-40 ms per message."""
    import socket
    sock = client.socket()
    if sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class Watcher:
    """A plain paho client for tests: records every message on the site's topics."""

    def __init__(self, port: int, topics=("antrian/#",)):
        self.messages: list[tuple[str, bytes, bool]] = []
        self.cond = threading.Condition()
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"watch-{uuid.uuid4().hex[:8]}",
                                  protocol=paho.MQTTv5)
        connected = threading.Event()

        def on_connect(c, u, f, rc, p):
            nodelay(c)
            c.subscribe([(t, 1) for t in topics])
            connected.set()

        def on_message(c, u, m):
            with self.cond:
                self.messages.append((m.topic, m.payload, m.retain))
                self.cond.notify_all()

        self.client.on_connect = on_connect
        self.client.on_message = on_message
        self.client.connect("127.0.0.1", port, keepalive=10)
        self.client.loop_start()
        assert connected.wait(5), "watcher could not connect"
        time.sleep(0.1)

    def publish(self, topic: str, payload, qos: int = 1, retain: bool = False):
        if isinstance(payload, (dict, list)):
            payload = json.dumps(payload)
        info = self.client.publish(topic, payload, qos=qos, retain=retain)
        info.wait_for_publish(timeout=5)
        return info

    def wait_for(self, predicate, timeout: float = 5.0, what: str = "message"):
        """The first recorded (topic, json-or-bytes) for which predicate(topic, body) is true."""
        deadline = time.monotonic() + timeout
        seen = 0
        with self.cond:
            while True:
                for topic, payload, retain in self.messages[seen:]:
                    try:
                        body = json.loads(payload) if payload else None
                    except ValueError:
                        body = payload
                    if predicate(topic, body):
                        return topic, body
                seen = 0  # predicates may depend on order; rescan is cheap for test volumes
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out waiting for {what}")
                self.cond.wait(left)

    def bodies(self, topic_suffix: str) -> list:
        with self.cond:
            out = []
            for topic, payload, _ in self.messages:
                if topic.endswith(topic_suffix):
                    try:
                        out.append(json.loads(payload))
                    except ValueError:
                        out.append(payload)
            return out

    def close(self):
        self.client.loop_stop()
        self.client.disconnect()


class QueueProcess:
    """``antrian serve`` as a real process, plus helpers that speak the contract."""

    def __init__(self, site_file: Path, db: Path, broker: Mosquitto, env: dict | None = None):
        from antrian import config
        self.site_file, self.db, self.broker = site_file, db, broker
        self.site = config.load(site_file)
        self.base = f"antrian/{self.site.site}"
        self.env = dict(os.environ, **(env or {}))
        self.proc: subprocess.Popen | None = None
        self.log = db.parent / f"serve-{uuid.uuid4().hex[:6]}.log"
        self.watcher = Watcher(broker.port)

    def start(self, wait: bool = True) -> "QueueProcess":
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "antrian", "serve", "--config", str(self.site_file),
             "--db", str(self.db)], cwd=ROOT, env=self.env,
            stdout=self.log.open("ab"), stderr=subprocess.STDOUT)
        if wait:
            self.wait_online()
        return self

    def wait_online(self, timeout: float = 10.0):
        start = len(self.watcher.messages)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.watcher.cond:
                for topic, payload, _ in self.watcher.messages[start:]:
                    if topic == f"{self.base}/tele/queue/lwt" and payload == b"online":
                        # online comes first; the retained state follows in the same batch
                        time.sleep(0.2)
                        return
                self.watcher.cond.wait(0.1)
            if self.proc and self.proc.poll() is not None:
                raise AssertionError(f"antrian serve exited: {self.log.read_text()}")
        raise AssertionError(f"queue service not online: {self.log.read_text()}")

    def stop(self, sig=signal.SIGTERM):
        stop_process(self.proc, sig)
        self.proc = None

    def kill(self):
        self.stop(signal.SIGKILL)

    # -- the contract ----------------------------------------------------------------------------

    def press(self, counter: str, action: str, wait: bool = True, **fields) -> dict:
        """Publish a press and (by default) wait for its acknowledgement or error."""
        rid = fields.pop("id", None) or f"t-{uuid.uuid4().hex[:10]}"
        body = {"action": action, "id": rid, **fields}
        self.watcher.publish(f"{self.base}/counter/{counter}/press", body)
        if not wait:
            return body
        _, answer = self.watcher.wait_for(
            lambda t, b: isinstance(b, dict) and (
                (t == f"{self.base}/counter/{counter}/state" and b.get("request") == rid)
                or (t == f"{self.base}/error/counter-{counter}" and b.get("id") == rid)),
            what=f"answer to press {rid}")
        return answer

    def take(self, service: str, kiosk: str = "k1", wait: bool = True, **fields) -> dict:
        rid = fields.pop("id", None) or f"t-{uuid.uuid4().hex[:10]}"
        body = {"service": service, "id": rid, **fields}
        self.watcher.publish(f"{self.base}/kiosk/{kiosk}/take", body)
        if not wait:
            return body
        _, answer = self.watcher.wait_for(
            lambda t, b: isinstance(b, dict) and b.get("id") == rid and (
                t == f"{self.base}/ticket" or t == f"{self.base}/error/kiosk-{kiosk}"),
            what=f"answer to take {rid}")
        return answer

    def service_state(self, service: str) -> dict:
        return self.watcher.bodies(f"/service/{service}/state")[-1]

    def counter_state(self, counter: str) -> dict:
        return self.watcher.bodies(f"/counter/{counter}/state")[-1]

    def close(self):
        self.stop()
        self.watcher.close()


@pytest.fixture
def queue_service(tmp_path, broker, site_file):
    """The real ``antrian serve`` against the private broker and the small test site."""
    q = QueueProcess(site_file, tmp_path / "queue.db", broker).start()
    yield q
    q.close()
