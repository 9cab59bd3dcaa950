"""Helpers of the maintenance tests: an MQTT v5 client with an account, a locked-down site
(site TOML + secrets + generated broker config), and ``antrian serve`` against it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from antrian.devbroker import stop_process
from support.mqtt import decode
from support.waiting import TIMEOUT_SCALE

ROOT = Path(__file__).resolve().parents[2]
NOT_AUTHORIZED = 135

BOARD_AND_PANEL = """
[[board]]
id = "lobby"

[[panel]]
counter = "3"
"""


def connack(port: int, username: str | None = None, password: str | None = None,
            transport: str = "tcp", tls_ca: str | None = None) -> int:
    """The CONNACK reason code a client gets (0: accepted), MQTT v5."""
    result: dict = {}
    c = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"t-{uuid.uuid4().hex[:8]}",
                    protocol=paho.MQTTv5, transport=transport)
    if username:
        c.username_pw_set(username, password)
    if tls_ca:
        c.tls_set(ca_certs=tls_ca)
    c.on_connect = lambda cl, u, f, rc, p: result.setdefault("rc", rc.value)
    c.on_disconnect = lambda cl, u, f, rc, p: result.setdefault("rc", rc.value)
    try:
        c.connect("127.0.0.1", port, keepalive=5)
    except OSError as e:  # refused at the socket or TLS level
        return -1 if not isinstance(e, ConnectionRefusedError) else -2
    deadline = time.monotonic() + 5
    while "rc" not in result and time.monotonic() < deadline:
        c.loop(0.05)
    c.disconnect()
    assert "rc" in result, "no CONNACK"
    return result["rc"]


class Client:
    """A recording MQTT v5 client with an account; ``publish`` returns the PUBACK reason code.

    What support.mqtt.Watcher does, plus what the broker tests need and it does not keep: the
    PUBACK reason code of each publish (135: not authorized) and each message's v5 properties
    (response topic, correlation data). It decodes as the Watcher does (``support.mqtt.decode``).
    """

    def __init__(self, port: int, username: str | None = None, password: str | None = None, *,
                 topics=("antrian/#",), transport: str = "tcp", tls_ca: str | None = None,
                 name: str = "t"):
        self.messages: list[tuple[str, bytes, bool, object]] = []
        self.cond = threading.Condition()
        self.acks: dict[int, int] = {}
        self.granted: list = []
        self.client = paho.Client(CallbackAPIVersion.VERSION2,
                                  client_id=f"{name}-{uuid.uuid4().hex[:8]}",
                                  protocol=paho.MQTTv5, transport=transport)
        if username:
            self.client.username_pw_set(username, password)
        if tls_ca:
            self.client.tls_set(ca_certs=tls_ca)
        connected = threading.Event()
        subscribed = threading.Event()
        self.topics = list(topics)

        def on_connect(c, u, f, rc, p):
            if rc.is_failure:
                return
            sock = c.socket()
            if isinstance(sock, socket.socket):
                # paho leaves Nagle on: each request would wait ~40 ms for a delayed ACK.
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.topics:
                c.subscribe([(t, 1) for t in self.topics])
            else:
                subscribed.set()
            connected.set()

        def on_subscribe(c, u, mid, rcs, p):
            self.granted = [r.value for r in rcs]
            subscribed.set()

        def on_message(c, u, m):
            with self.cond:
                self.messages.append((m.topic, m.payload, m.retain, m.properties))
                self.cond.notify_all()

        def on_publish(c, u, mid, rc, p):
            with self.cond:
                self.acks[mid] = rc.value
                self.cond.notify_all()

        self.client.on_connect = on_connect
        self.client.on_subscribe = on_subscribe
        self.client.on_message = on_message
        self.client.on_publish = on_publish
        self.client.connect("127.0.0.1", port, keepalive=10)
        self.client.loop_start()
        assert connected.wait(5), f"{username or 'anonymous'} could not connect"
        assert subscribed.wait(5), "no SUBACK"

    def publish(self, topic: str, payload=b"", *, retain: bool = False, qos: int = 1,
                response_topic: str | None = None, correlation: bytes | None = None) -> int:
        """Publish QoS 1 and return the broker's PUBACK reason code (0 or 16: accepted)."""
        if isinstance(payload, (dict, list)):
            payload = json.dumps(payload)
        props = None
        if response_topic:
            props = Properties(PacketTypes.PUBLISH)
            props.ResponseTopic = response_topic
            if correlation:
                props.CorrelationData = correlation
        info = self.client.publish(topic, payload, qos=qos, retain=retain, properties=props)
        if qos == 0:
            return 0
        deadline = time.monotonic() + 5 * TIMEOUT_SCALE
        with self.cond:
            while info.mid not in self.acks:
                left = deadline - time.monotonic()
                assert left > 0, f"no PUBACK for {topic}"
                self.cond.wait(left)
            return self.acks[info.mid]

    def send(self, topic: str, payload) -> int:
        """Publish QoS 1 without waiting (paho keeps it while disconnected); the message id."""
        if isinstance(payload, (dict, list)):
            payload = json.dumps(payload)
        return self.client.publish(topic, payload, qos=1).mid

    def wait_acked(self, mids: list[int], timeout: float = 20.0) -> dict[int, int]:
        """Wait until every message id has its PUBACK; their reason codes."""
        deadline = time.monotonic() + timeout * TIMEOUT_SCALE
        with self.cond:
            while not all(m in self.acks for m in mids):
                left = deadline - time.monotonic()
                assert left > 0, f"{sum(m not in self.acks for m in mids)} messages never acked"
                self.cond.wait(left)
            return {m: self.acks[m] for m in mids}

    def wait_for(self, predicate, timeout: float = 5.0, what: str = "message", since: int = 0):
        """The first (topic, body) with predicate(topic, body) true, among the messages from
        number ``since`` on; body is JSON when it parses."""
        deadline = time.monotonic() + timeout * TIMEOUT_SCALE
        with self.cond:
            while True:
                for topic, payload, _, _ in self.messages[since:]:
                    body = decode(payload)
                    if predicate(topic, body):
                        return topic, body
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out waiting for {what}")
                self.cond.wait(left)

    def topics_seen(self) -> set[str]:
        with self.cond:
            return {m[0] for m in self.messages}

    def last(self, topic: str):
        with self.cond:
            for t, payload, _, _ in reversed(self.messages):
                if t == topic:
                    return payload
        return None

    def clear(self) -> None:
        with self.cond:
            self.messages.clear()

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@dataclass
class LockedSite:
    """A site whose broker runs the config ``antrian broker-config`` generated."""
    site_file: Path
    secrets: dict[str, str]
    conf: Path
    port: int
    ws_port: int | None
    # The technicians' listener ([broker] console_port): ops, ops-<name> and cli log in there.
    console_port: int | None = None

    def password(self, name: str) -> str:
        return self.secrets[name]

    def port_of(self, name: str | None) -> int:
        console = name is not None and (name in ("ops", "cli") or name.startswith("ops-"))
        return self.console_port if console and self.console_port else self.port

    def client(self, name: str | None, **kw) -> Client:
        return Client(self.port_of(name), name, self.secrets.get(name) if name else None,
                      name=name or "anon", **kw)


def write_locked_site(folder: Path, port: int, ws_port: int | None = None, extra: str = "",
                      secrets: str = "", broker_lines: str = "",
                      console_port: int | None = None) -> LockedSite:
    """Site TOML + generated secrets + broker config (standalone, persistence in folder).

    ``secrets``: a secrets file to start from (missing passwords are generated);
    ``broker_lines``: more keys of the site's ``[broker]`` table; ``console_port``: the
    technicians' listener (a free port when not given).
    """
    from support.broker import free_port
    console_port = console_port or free_port()
    broker_lines = f"console_port = {console_port}\n{broker_lines}"
    from support.site import write_site

    from antrian import config
    from mqtt import broker_config as bc

    site_file = write_site(folder / "site.toml", port, BOARD_AND_PANEL + extra)
    site_file.write_text(site_file.read_text().replace(
        "keepalive = 5", f'keepalive = 5\nsecrets = "secrets.toml"\n{broker_lines}'))
    if secrets:
        (folder / "secrets.toml").write_text(secrets)
    site = config.load(site_file)
    generated, _ = bc.generate_secrets(site)
    options = bc.Options(bind="127.0.0.1", websockets=ws_port, standalone=True,
                         data_dir=folder / "mosquitto-data",
                         user="root" if os.geteuid() == 0 else None)
    written = bc.write(site, generated, folder / "broker", options)
    return LockedSite(site_file, generated.passwords, written.folder / "antrian.conf", port, ws_port,
                      console_port)


class Program:
    """A program of the building run as a real process; stopped, or killed, by its own id."""

    proc: subprocess.Popen | None = None

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def stop(self, sig=signal.SIGTERM) -> None:
        stop_process(self.proc, sig)
        self.proc = None


class ServeProcess(Program):
    """``antrian serve`` as a process, watched by a client with an account (or anonymous)."""

    def __init__(self, site_file: Path, db: Path, port: int, watcher: Client,
                 env: dict | None = None):
        self.site_file, self.db, self.port, self.watcher = site_file, db, port, watcher
        from antrian import config
        self.base = f"antrian/{config.load(site_file).site}"
        self.env = dict(os.environ, **(env or {}))
        self.proc: subprocess.Popen | None = None
        self.log = db.parent / f"serve-{uuid.uuid4().hex[:6]}.log"

    def start(self, wait: bool = True) -> "ServeProcess":
        mark = len(self.watcher.messages)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "antrian", "serve", "--config", str(self.site_file),
             "--db", str(self.db)], cwd=ROOT, env=self.env,
            stdout=self.log.open("ab"), stderr=subprocess.STDOUT)
        if wait:
            self.wait_presence("online", since=mark)
        return self

    def wait_presence(self, state: str, since: int = 0, timeout: float = 10.0) -> float:
        """Wait for ``tele/queue/lwt`` = state after message number ``since``; the time it came."""
        topic = f"{self.base}/tele/queue/lwt"
        deadline = time.monotonic() + timeout * TIMEOUT_SCALE
        with self.watcher.cond:
            while True:
                for t, payload, _, _ in self.watcher.messages[since:]:
                    if t == topic and payload == state.encode():
                        return time.monotonic()
                if self.proc and state == "online" and self.proc.poll() is not None:
                    raise AssertionError(f"antrian serve exited: {self.log.read_text()}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"queue service not {state}: {self.log.read_text()}")
                self.watcher.cond.wait(min(left, 0.2))


def queue_state(port: int, username: str | None = None, password: str | None = None,
                base: str = "antrian/test") -> dict:
    """Every retained topic of the site, and the queue's own figures, as a comparable dict."""
    B = base
    c = Client(port, username, password, topics=[f"{B}/#"], name="state")
    try:
        c.publish(f"{B}/cmnd/queue/status", b'{"transaction": "state"}')
        # The broker sent the retained messages at subscribing, before this reply: once the
        # reply is here, they all are (one client's messages arrive in order).
        _, status = c.wait_for(lambda t, b: t == f"{B}/stat/queue/status"
                               and b.get("transaction") == "state")
        with c.cond:
            retained = {t: p for t, p, r, _ in c.messages if r and "/tele/" not in t}
    finally:
        c.close()
    # A republished state (after reload, say) carries the queue's current seq: the queue's
    # own seq, compared below, is what moves when something happens.
    volatile = {"ts", "est_wait_s", "since", "seq"}
    clean = {}
    for topic, payload in retained.items():
        body = json.loads(payload) if payload else None
        clean[topic] = ({k: v for k, v in body.items() if k not in volatile}
                        if isinstance(body, dict) else body)
    figures = status["data"]
    return {"retained": clean, "seq": figures["seq"], "tickets": figures["tickets_today"],
            "waiting": figures["waiting"]}


class DeviceProcess(Program):
    """A board, panel or kiosk program as a real process (``antrian display|counter|kiosk``)."""

    def __init__(self, component: str, args: list[str], log: Path, env: dict | None = None,
                 stdin: bool = False):
        self.component, self.args, self.log = component, args, log
        self.env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy",
                        GPIOZERO_PIN_FACTORY="mock", **(env or {}))
        self.stdin = stdin
        self.proc: subprocess.Popen | None = None

    def start(self) -> "DeviceProcess":
        self.proc = subprocess.Popen([sys.executable, "-m", "antrian", *self.args], cwd=ROOT,
                                     env=self.env, stdout=self.log.open("ab"),
                                     stderr=subprocess.STDOUT,
                                     stdin=subprocess.PIPE if self.stdin else subprocess.DEVNULL)
        return self

    def keys(self, text: str) -> None:
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()


class Fuzzer:
    """Publishes each case with a response topic and waits for the refusal that belongs to it."""

    def __init__(self, client: "Client", reply: str | None):
        self.client, self.reply = client, reply      # the client subscribes to reply/#
        self.n = 0
        self.tally: Counter = Counter()

    def case(self, kind: str, topic: str, payload: bytes, reply: str | None = None,
             echo: str | None = None) -> dict:
        """Publish one case and return its reply: on the response topic with this case's
        correlation data, or (``echo``) the first message on that topic after publishing (a
        device's ``stat/<device>/<command>``: it runs commands one at a time, in order)."""
        self.n += 1
        corr = f"case-{self.n}".encode()
        reply = None if echo else (reply or self.reply)
        mark = len(self.client.messages)
        self.client.publish(topic, payload, response_topic=reply, correlation=corr)
        deadline = time.monotonic() + 10 * TIMEOUT_SCALE
        with self.client.cond:
            while True:
                for t, body, _, props in self.client.messages[mark:]:
                    # (a client subscribed to everything also hears its own request)
                    if (t == echo) if echo else (
                            t == reply and getattr(props, "CorrelationData", None) == corr):
                        answer = json.loads(body)
                        self.tally[(kind, "ok" if answer.get("ok") else
                                    answer.get("code", "error"))] += 1
                        return answer
                left = deadline - time.monotonic()
                assert left > 0, f"no reply to {topic} {payload[:200]!r}"
                self.client.cond.wait(left)


def antrian(*args: str, timeout: float = 30, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run the ``antrian`` command line as a technician would."""
    return subprocess.run([sys.executable, "-m", "antrian", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, env=dict(os.environ, **(env or {})))
