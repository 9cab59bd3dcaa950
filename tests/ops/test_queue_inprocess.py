"""The queue service in-process, with a recording connection handed to its constructor: what
it acknowledges, where it replies, what it keeps retained, and its console commands."""

from __future__ import annotations

import json
import threading
from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from antrian import config
from mqtt.service import Outbox, QueueService
from mqtt.store import Store
from ops_kit import RecordingConnection
from support.site import SMALL_SITE
from ticketing.keys import ticket_key

JKT = ZoneInfo("Asia/Jakarta")
SECRET = b"s" * 32
B = "antrian/test"
HOURS = """
[opening]
days = { "mon-sun" = "08:00-15:00" }
"""


class Building:
    def __init__(self, tmp_path, when=datetime(2026, 11, 26, 9, 0), extra: str = ""):
        self.path = tmp_path / "site.toml"
        self.path.write_text(SMALL_SITE.format(port=1883) + extra)
        self.now = when.replace(tzinfo=JKT).timestamp()
        self.db = tmp_path / "q.db"
        self.n = 0
        self.start()

    def start(self):
        self.site = config.load(self.path)
        self.conn = RecordingConnection(self.site)
        self.service = QueueService(self.site, Store(self.db), connection=self.conn,
                                    clock=lambda: self.now, ticket_secret=SECRET)

    def restart(self):
        self.service.store.close(self.service.state)
        self.start()

    def message(self, response: str | None = None, retain: bool = False):
        self.n += 1
        props = SimpleNamespace(ResponseTopic=response, CorrelationData=b"c")
        return SimpleNamespace(qos=1, mid=self.n, properties=props, retain=retain)

    def send(self, topic: str, body, response: str | None = None):
        payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        msg = self.message(response)
        self.service.step([("msg", f"{B}/{topic}", payload, msg)])
        return msg

    def take(self, service="ktp", kiosk="k1", **kw):
        self.send(f"kiosk/{kiosk}/take", {"service": service, "id": f"t{self.n + 1}"}, **kw)
        return [b for t, b in self.conn.sent if t == f"{B}/ticket"][-1]

    def press(self, counter, action, **fields):
        self.send(f"counter/{counter}/press", {"action": action, "id": f"p{self.n + 1}", **fields})

    def console(self, fn, *args):
        """Run a console command as the maintenance worker does, stepping the service."""
        result: dict = {}
        worker = threading.Thread(target=lambda: result.update(r=fn(*args)))
        worker.start()
        while worker.is_alive():
            try:
                self.service.step([self.service.inbox.get(timeout=0.1)])
            except Exception:
                pass
        return result["r"]


@pytest.fixture
def building(tmp_path):
    return Building(tmp_path)


def test_every_ticket_event_carries_the_key_of_its_slip(building):
    ticket = building.take()
    assert ticket["key"] == ticket_key(SECRET, "test", ticket["day"], ticket["ticket"])
    assert len(ticket["key"]) == 12


def test_every_message_is_acknowledged_whatever_becomes_of_it(building):
    sent = [building.send("kiosk/k1/take", {"service": "ktp", "id": "ok"}),
            building.send("kiosk/k1/take", b"\x00garbage"),
            building.send("counter/9/press", {"action": "next", "id": "x"}),
            building.send("counter/Nope!/press", {"action": "next", "id": "x"}),
            building.send("tele/queue/instance", b"{}"),
            building.send("kiosk/k1/take", {"service": "ktp", "id": "ok"})]   # a repeat
    assert building.conn.acked == sent


def test_replies_go_only_to_the_senders_own_reply_subtree(building):
    building.send("kiosk/k1/take", {"service": "ktp", "id": "a"}, response=f"{B}/reply/kiosk-k1/1")
    building.send("kiosk/k1/take", {"service": "ktp", "id": "a"}, response=f"{B}/reply/kiosk-k1")
    for elsewhere in (f"{B}/cmnd/kiosk-k1/identify", f"{B}/reply/kiosk-k2/1", f"{B}/message",
                      f"{B}/reply/+/x", "reply/kiosk-k1/1", f"{B}/reply/kiosk-k1/"):
        building.send("kiosk/k1/take", {"service": "ktp", "id": "b"}, response=elsewhere)
        building.send("kiosk/k1/take", b"junk", response=elsewhere)
    assert [t for t, _ in building.conn.replied] == [f"{B}/reply/kiosk-k1/1", f"{B}/reply/kiosk-k1"]


def test_recent_calls_are_retained_newest_first_at_most_twelve_and_survive_a_restart(building):
    for _ in range(15):
        building.take()
    for _ in range(14):
        building.now += 30
        building.press("2", "next")
    recent = building.conn.retained[f"{B}/calls/recent"]
    assert [c["ticket"] for c in recent["calls"]] == [f"A{n:03d}" for n in range(14, 2, -1)]
    assert recent["day"] == "2026-11-26" and recent["seq"] == building.service.state.seq
    building.restart()
    building.service.step([("republish",)])
    assert building.conn.retained[f"{B}/calls/recent"]["calls"] == recent["calls"]


def test_another_instance_announcing_itself_live_is_in_the_health(building):
    assert "rival_instance" not in building.service.health()
    old = {"instance": "old", "announced": building.service.instance.me["started"] - 60}
    building.service.step([("msg", f"{B}/tele/queue/instance", json.dumps(old).encode(),
                             building.message(retain=True))])
    assert "rival_instance" not in building.service.health()     # a previous run's
    live = {"instance": "abc123", "host": "pi-2", "pid": 7, "started": 1.0}
    building.service.step([("msg", f"{B}/tele/queue/instance", json.dumps(live).encode(),
                            building.message())])
    health = building.service.health()
    assert health["rival_instance"]["instance"] == "abc123" and "pi-2" in health["error"]


def test_a_console_reset_with_a_transaction_runs_once_however_often_it_is_delivered(building):
    building.take(), building.take()
    commands = building.service.commands
    first = building.console(commands.reset, {"confirm": True}, "tx-1")
    assert first == {"reset": "all", "expired": 2}
    assert building.take()["ticket"] == "A001"
    again = building.console(commands.reset, {"confirm": True}, "tx-1")
    assert again == {"reset": "all", "expired": 2, "repeated": True}
    assert building.take()["ticket"] == "A002"


def test_open_for_test_lets_takes_through_outside_hours_until_it_expires(tmp_path):
    building = Building(tmp_path, datetime(2026, 11, 26, 21, 0), extra=HOURS)
    building.send("kiosk/k1/take", {"service": "ktp", "id": "late"})
    assert errors(building)[-1]["code"] == "closed"
    out = building.console(building.service.commands.open_for_test, {"minutes": 10})
    assert out["open_for_test_until"] == building.now + 600
    assert "open_for_test_until" in building.service.health()
    assert building.take()["ticket"] == "A001"
    building.now += 601
    building.send("kiosk/k1/take", {"service": "ktp", "id": "later"})
    assert errors(building)[-1]["code"] == "closed" and errors(building)[-1]["id"] == "later"
    with pytest.raises(Exception, match="minutes"):
        building.service.commands.open_for_test({"minutes": 121})


def errors(building) -> list[dict]:
    return [b for t, b in building.conn.sent if t == f"{B}/error/kiosk-k1"]


def test_reload_says_what_it_changed_hours_included(building):
    building.path.write_text(building.path.read_text().replace('name = "Loket 2"',
                                                               'name = "Loket Dua"') + HOURS)
    changes = building.service.commands.reload(building.now, Outbox())["changes"]
    assert "counter 2 renamed 'Loket Dua'" in changes
    assert {f"service {s}: opening rules changed" for s in ("ktp", "kk", "skck")} <= set(changes)


def test_help_describes_every_command(building):
    described = building.service.maintenance.run("help", b"")["data"]
    assert {"reset", "assign", "open", "close", "message", "stats", "open-for-test", "status",
            "help", "reload"} <= set(described)
    assert all(text and text != name for name, text in described.items())


def test_console_text_and_closing_times_are_bounded(building):
    run = building.service.maintenance.run
    reply = run("close", json.dumps({"counter": "1", "until": 1e300}).encode())
    assert reply["ok"] is False and "until" in reply["error"]
    reply = run("message", json.dumps({"text": "Selamat\x00 datang\u202e"}).encode())
    assert reply["data"]["text"] == "Selamat datang"
    reply = run("status", json.dumps({"transaction": {"x": 1}}).encode())
    assert reply["ok"] is False and "transaction" not in reply
