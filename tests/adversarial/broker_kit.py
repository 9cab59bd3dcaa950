"""A real Mosquitto running the config `antrian broker-config` generates, and an MQTT v5 client
that plays any account: the attacker's side of tests/adversarial/test_broker_*.py."""

from __future__ import annotations

import os
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from support.broker import Mosquitto, free_port
from support.site import write_site
from support.waiting import wait_for

SITE = "test"
B = f"antrian/{SITE}"
NOT_AUTHORIZED = 135
SESSION_TAKEN_OVER = 142
EXTRA = '\n[[board]]\nid = "lobby"\n'


@dataclass
class Building:
    """The generated broker of the small test site, its passwords and its two listeners."""
    folder: Path
    site_file: Path
    passwords: dict[str, str]
    port: int
    console_port: int
    broker: Mosquitto

    def client(self, username: str | None, *, client_id: str | None = None,
               console: bool = False, password: str | None = None,
               topics: tuple[str, ...] = ()) -> "Account":
        port = self.console_port if console else self.port
        secret = password if password is not None else self.passwords.get(username or "")
        return Account(port, username, secret, client_id=client_id, topics=topics)


def build(folder: Path) -> Building:
    from antrian import config
    from mqtt import broker_config as bc

    port, console = free_port(), free_port()
    site_file = write_site(folder / "site.toml", port, EXTRA)
    site_file.write_text(site_file.read_text().replace(
        "keepalive = 5", f'keepalive = 5\nsecrets = "secrets.toml"\nconsole_port = {console}'))
    site = config.load(site_file)
    secrets, _ = bc.generate_secrets(site)
    options = bc.Options(standalone=True, user="root" if os.geteuid() == 0 else None)
    written = bc.write(site, secrets, folder / "broker", options)
    broker = Mosquitto(folder, port=port, config=written.folder / "antrian.conf").start()
    return Building(folder, site_file, secrets.passwords, port, console, broker)


@dataclass
class Account:
    """One MQTT v5 connection: records what it hears, every disconnect and its reason, and the
    PUBACK reason code of each publish."""
    port: int
    username: str | None
    password: str | None
    client_id: str | None = None
    topics: tuple[str, ...] = ()
    messages: list[tuple[str, bytes]] = field(default_factory=list)
    disconnects: list[int] = field(default_factory=list)
    connack: int | None = None

    def __post_init__(self) -> None:
        self.lock = threading.Condition()
        self.acks: dict[int, int] = {}
        self.client = paho.Client(CallbackAPIVersion.VERSION2,
                                  client_id=self.client_id or f"t-{uuid.uuid4().hex[:8]}",
                                  protocol=paho.MQTTv5, reconnect_on_failure=False)
        if self.username:
            self.client.username_pw_set(self.username, self.password)
        self.subscribed = threading.Event()
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *a: self.subscribed.set()
        self.client.on_publish = self._on_publish

    def _on_connect(self, c, u, flags, rc, props) -> None:
        with self.lock:
            self.connack = rc.value
            self.lock.notify_all()
        if not rc.is_failure and self.topics:
            c.subscribe([(t, 1) for t in self.topics])

    def _on_disconnect(self, c, u, flags, rc, props) -> None:
        with self.lock:
            self.disconnects.append(rc.value)
            self.lock.notify_all()

    def _on_message(self, c, u, m) -> None:
        with self.lock:
            self.messages.append((m.topic, m.payload))
            self.lock.notify_all()

    def _on_publish(self, c, u, mid, rc, props) -> None:
        with self.lock:
            self.acks[mid] = rc.value
            self.lock.notify_all()

    def connect(self, timeout: float = 5.0) -> "Account":
        self.client.connect("127.0.0.1", self.port, keepalive=10)
        self.client.loop_start()
        wait_for(lambda: self.connack is not None or self.disconnects, timeout, "a CONNACK")
        if self.connack == 0 and self.topics:
            wait_for(self.subscribed.is_set, timeout, "a SUBACK")
        return self

    @property
    def connected(self) -> bool:
        return self.client.is_connected()

    def publish(self, topic: str, payload: bytes | str = b"x", timeout: float = 5.0) -> int:
        """The PUBACK reason code (0: accepted, 135: not authorized); -1: disconnected.
        "No matching subscribers" (16) is an accepted publish too, and reads 0 here."""
        info = self.client.publish(topic, payload, qos=1)
        wait_for(lambda: info.mid in self.acks or self.disconnects, timeout, f"PUBACK of {topic}")
        rc = self.acks.get(info.mid, -1)
        return 0 if rc == 16 else rc

    def heard(self, topic: str) -> list[bytes]:
        with self.lock:
            return [p for t, p in self.messages if t == topic]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture(scope="module")
def building(tmp_path_factory):
    """One generated broker for a test module (import this fixture into the module)."""
    b = build(tmp_path_factory.mktemp("building"))
    yield b
    b.broker.stop()


@pytest.fixture
def queue(building):
    """The queue service's account, connected as the service connects (its fixed client id)."""
    q = building.client("queue", client_id=f"antrian-{SITE}-queue").connect()
    yield q
    q.close()
