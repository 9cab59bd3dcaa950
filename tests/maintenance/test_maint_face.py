"""The maintenance face alone (mqtt/maintenance.py) with a fake connection, and the pure parts
of the consoles (argument parsing, the watch table)."""

from __future__ import annotations

import json
import threading
import time
from types import SimpleNamespace

import pytest

from antrian import config
from antrian.config import ConfigError
from mqtt.maintenance import CommandError, Maintenance, health_interval
from mqtt.maintenance_commands import parse_args
from mqtt.topics import Topics
from mqtt.watch import Board, render_table
from support.site import write_site


class FakeConnection:
    """What Maintenance uses of a Connection: publishes are recorded, hooks kept."""

    def __init__(self, site=None, component: str = "board-lobby"):
        self.site = site
        self.component = component
        self.topics = Topics("test")
        self.subscriptions: list[str] = []
        self.on_message = None
        self.connected = threading.Event()
        self.connected.set()
        self.hooks: list = []
        self.published: list[tuple[str, bytes, object]] = []
        self.replies: list[tuple[object, bytes]] = []
        self.cond = threading.Condition()

    def on_connect(self, hook):
        self.hooks.append(hook)
        return hook

    def publish(self, topic, payload, *, retain=False, qos=1, properties=None):
        with self.cond:
            self.published.append((topic, payload, properties))
            self.cond.notify_all()

    def reply(self, message, payload):
        with self.cond:
            self.replies.append((message, payload))
            self.cond.notify_all()

    def wait(self, predicate, timeout=3.0):
        deadline = time.monotonic() + timeout
        with self.cond:
            while not predicate():
                left = deadline - time.monotonic()
                assert left > 0, "timed out"
                self.cond.wait(left)


def message(response_topic: str | None = None):
    return SimpleNamespace(properties=SimpleNamespace(ResponseTopic=response_topic,
                                                      CorrelationData=b"c"))


@pytest.fixture
def face():
    conn = FakeConnection()
    m = Maintenance(conn, health=lambda: {"frames": 7}, interval=3600,
                    on_reload=lambda: {"reloaded": True})

    @m.command("volume")
    def volume(args):
        """Set the announcement volume."""
        level = args.get("level")
        if not isinstance(level, int) or not 0 <= level <= 100:
            raise CommandError("level must be 0..100")
        return {"level": level}

    @m.command("broken")
    def broken(args):
        raise RuntimeError("disk on fire")

    @m.command("odd")
    def odd(args):
        return {"x": float("nan"), "when": object()}

    yield conn, m
    m.stop()


def test_replies_carry_data_or_a_clear_error_and_echo_the_transaction(face):
    _, m = face
    assert m.run("volume", b'{"level": 35, "transaction": "t1"}') == \
        {"ok": True, "data": {"level": 35}, "transaction": "t1"}
    assert m.run("VOLUME", b'{"level": 300, "transaction": 9}') == \
        {"ok": False, "error": "level must be 0..100", "transaction": 9}
    assert m.run("broken", b"")["error"] == "broken failed: disk on fire"
    unknown = m.run("nope", b"{}")
    assert "unknown command 'nope'" in unknown["error"] and "volume" in unknown["error"]
    assert "not JSON" in m.run("volume", b"\xff\xfe")["error"]
    assert "JSON object" in m.run("volume", b"[]")["error"]
    assert "too large" in m.run("volume", b"{" + b" " * 70_000 + b"}")["error"]
    assert m.run("reload", b"")["data"] == {"reloaded": True}
    help_ = m.run("help", b"")["data"]
    assert help_["volume"] == "Set the announcement volume." and "status" in help_


def test_status_has_the_common_figures_and_the_roles_own(face):
    _, m = face
    data = m.run("status", b"")["data"]
    assert data["component"] == "board-lobby" and data["frames"] == 7
    for key in ("version", "uptime_s", "host", "cpu_temp_c", "memory_mb", "mem_available_mb",
                "load_1m", "connected", "ts"):
        assert key in data
    m.health = lambda: 1 / 0
    assert "health_error" in m.run("status", b"")["data"]


def test_the_worker_answers_on_stat_and_the_response_topic_once_each(face):
    conn, m = face
    m.start()
    prefix = conn.topics.cmnd("board-lobby", "")
    assert conn.subscriptions == [conn.topics.cmnd("board-lobby", "+")]
    conn.on_message(prefix + "volume", b'{"level": 5}', message("antrian/test/stat/board-lobby/x"))
    conn.wait(lambda: conn.replies)
    stat = [p for t, p, _ in conn.published if t == "antrian/test/stat/board-lobby/volume"]
    assert json.loads(stat[0]) == {"ok": True, "data": {"level": 5}}
    # A response topic equal to the stat topic (mosquitto_rr -e <stat topic>) gets one reply.
    conn.on_message(prefix + "status", b"", message("antrian/test/stat/board-lobby/status"))
    conn.wait(lambda: any(t.endswith("/status") for t, _, _ in conn.published))
    # Data JSON cannot hold makes an error reply, and the worker lives on.
    conn.on_message(prefix + "odd", b"", message())
    conn.on_message(prefix + "volume", b'{"level": 6}', message())
    conn.wait(lambda: sum(t.endswith("/volume") for t, _, _ in conn.published) == 2)
    # Commands run one at a time in order: the status command's reply decision came before.
    assert len([m for m, _ in conn.replies if m.properties.ResponseTopic]) == 1
    odd = json.loads(next(p for t, p, _ in conn.published if t.endswith("/odd")))
    assert odd["ok"] is True or "unusable" in odd["error"]
    # Other topics still reach the role's own handler.
    seen = []
    conn.on_message = None
    m2 = Maintenance(conn)
    conn.on_message = lambda t, p, msg: seen.append(t)
    m2.start()
    conn.on_message("antrian/test/call", b"{}", message())
    assert seen == ["antrian/test/call"]
    m2.stop()


def test_health_is_published_at_every_connect_without_waiting_an_interval(face):
    conn, m = face
    m.start()
    assert conn.hooks, "Maintenance hooks the connection's on_connect"
    conn.hooks[0]()
    conn.wait(lambda: any(t == "antrian/test/tele/board-lobby/state" for t, _, _ in conn.published))


def test_the_health_interval_comes_from_the_toml_then_the_environment(tmp_path, monkeypatch):
    site = config.load(write_site(tmp_path / "s.toml", 1883, "\n[maintenance]\nhealth_interval = 30\n"))
    monkeypatch.delenv("ANTRIAN_HEALTH_INTERVAL", raising=False)
    assert health_interval(site, 60.0) == 30.0
    assert health_interval(None, 60.0) == 60.0
    monkeypatch.setenv("ANTRIAN_HEALTH_INTERVAL", "2.5")
    assert health_interval(site, 60.0) == 2.5
    monkeypatch.setenv("ANTRIAN_HEALTH_INTERVAL", "soon")
    assert health_interval(site, 60.0) == 30.0          # logged and ignored
    bad = config.load(write_site(tmp_path / "b.toml", 1883, "\n[maintenance]\nhealth_interval = 0\n"))
    with pytest.raises(ConfigError, match="maintenance.health_interval"):
        health_interval(bad, 60.0)
    # a misspelt key is refused when the site is loaded (antrian.sections), by every role
    with pytest.raises(ConfigError, match="maintenance: unknown key 'interval'"):
        config.load(write_site(tmp_path / "t.toml", 1883, "\n[maintenance]\ninterval = 5\n"))


def test_ctl_arguments_read_json_but_keep_ids_and_texts_as_text():
    assert parse_args([]) == {}
    assert parse_args(['{"counter": "3", "services": ["ktp"]}']) == \
        {"counter": "3", "services": ["ktp"]}
    assert parse_args(["counter=3", "confirm=true", "level=35", "services=[\"ktp\"]",
                       "text=Loket 5 tutup", "service=null"]) == \
        {"counter": "3", "confirm": True, "level": 35, "services": ["ktp"],
         "text": "Loket 5 tutup", "service": "null"}
    assert parse_args(["counter:=3", "note=hello"]) == {"counter": 3, "note": "hello"}
    for bad in (["nokey"], ["=5"], ["{not json"], ["level:=loud"]):
        with pytest.raises(ConfigError):
            parse_args(bad)


def test_the_watch_table_lists_expected_components_and_what_they_report(tmp_path):
    site = config.load(write_site(tmp_path / "s.toml", 1883,
                                  '\n[[board]]\nid = "lobby"\n\n[[panel]]\ncounter = "3"\n'))
    board = Board(site, clock=lambda: 1000.0)
    t = Topics("test")
    board.feed(t.lwt("queue"), b"online")
    board.feed(t.tele_state("queue"), json.dumps({"component": "queue", "uptime_s": 7300,
                                                   "version": "0.1.0", "cpu_temp_c": 48.2,
                                                   "memory_mb": 41.0, "waiting": 12}).encode())
    board.feed(t.lwt("counter-3"), b"offline")
    board.feed(t.lwt("web"), b"online")
    board.feed(t.stat("web", "status"), json.dumps({"ok": True, "data": {"pages": 3}}).encode())
    board.feed(t.stat("web", "status"), b"{garbage")                 # ignored
    board.feed(t.tele_state("kiosk-k1"), b"[1, 2]")                   # ignored
    snap = board.snapshot()
    assert list(snap) == ["queue", "board-lobby", "counter-3", "kiosk-k1", "kiosk-k2", "web"]
    assert snap["queue"]["presence"] == "online" and snap["queue"]["age_s"] == 0.0
    assert snap["kiosk-k1"] == {"presence": None, "health": None, "age_s": None}
    lines = render_table(snap).splitlines()
    queue = next(line for line in lines if line.startswith("queue "))
    assert "online" in queue and "2h01m" in queue and "48°C" in queue and "waiting=12" in queue
    assert next(line for line in lines if line.startswith("board-lobby ")).split()[1] == "never"
    assert "offline" in next(line for line in lines if line.startswith("counter-3 "))
    assert board.complete()                # every online component (queue, web) answered
    board.feed(t.lwt("board-lobby"), b"online")
    assert not board.complete()            # the board says online but has not answered yet
    board.feed(t.lwt("web"), b"")          # presence cleared
    assert "web" not in board.snapshot() or board.snapshot()["web"]["presence"] is None
    assert all(len(line) <= 60 for line in render_table(snap, width=60).splitlines())


def test_the_watch_table_shows_a_release_not_a_roles_own_version_number(tmp_path):
    site = config.load(write_site(tmp_path / "s.toml", 1883))
    board = Board(site, clock=lambda: 1000.0)
    t = Topics("test")
    board.feed(t.lwt("web"), b"online")
    # The web's health carried its page version (2) under "version", shadowing the release.
    board.feed(t.tele_state("web"), json.dumps({"component": "web", "version": 2}).encode())
    web = next(line for line in render_table(board.snapshot()).splitlines()
               if line.startswith("web "))
    assert web.split()[4] == "-" and " 2 " not in web
    board.feed(t.tele_state("web"), json.dumps({"component": "web", "version": 2,
                                                "antrian_version": "0.1.0"}).encode())
    web = next(line for line in render_table(board.snapshot()).splitlines()
               if line.startswith("web "))
    assert "0.1.0" in web
