"""A stolen kiosk: someone walks off with kiosk k1's Raspberry Pi, and with it the broker
password on its SD card. Against the broker with the configuration `antrian broker-config`
generates, the real queue service and the real kiosk program of the other kiosk (k2), every
attack here must fail to do harm: no ticket for another kiosk, no topic of another component,
no reply that lands where the queue would act on it, garbage that changes nothing, a flood that
leaves the building answering (last: it spends k1's rate allowance).

(The broker ties client ids to accounts, so the thief's k1 account and a k1 kiosk program cannot
be connected at once: the thief has the Pi, the program does not run.)
"""

from __future__ import annotations

import json
import time

import pytest

from maintenance.maint_kit import Client, DeviceProcess, ServeProcess, write_locked_site
from mqtt import schemas
from support.broker import Mosquitto, free_port
from support.waiting import wait_for

pytestmark = [pytest.mark.broker, pytest.mark.slow]
B = "antrian/test"
NOT_AUTHORIZED = 135


class Building:
    def __init__(self, tmp):
        self.tmp = tmp
        self.broker = self.ops = self.queue = self.kiosk = self.thief = None

    def start(self) -> "Building":
        tmp = self.tmp
        self.site = write_locked_site(tmp, free_port(), extra="\n[voice]\nenabled = false\n")
        self.broker = Mosquitto(tmp, port=self.site.port, config=self.site.conf).start()
        # Everything but the requests themselves (the thief's garbage is not for JSON parsers).
        self.ops = self.site.client("ops", topics=[
            f"{B}/service/#", f"{B}/counter/+/state", f"{B}/call", f"{B}/message", f"{B}/ticket",
            f"{B}/error/#", f"{B}/tele/#", f"{B}/stat/#", f"{B}/cmnd/#", f"{B}/reply/#"])
        self.queue = ServeProcess(self.site.site_file, tmp / "queue.db", self.site.port,
                                  self.ops).start()
        self.kiosk = DeviceProcess(
            "kiosk-k2", ["kiosk", "--config", str(self.site.site_file), "--kiosk", "k2",
                         "--keys", "--printer", f"file:{tmp / 'k2.bin'}",
                         "--store", str(tmp / "k2.db")], tmp / "kiosk.log", stdin=True).start()
        self.presence("kiosk-k2", "online")
        # The thief: kiosk k1's own account, subscribed to everything it may read.
        self.thief = Client(self.site.port, "kiosk-k1", self.site.password("kiosk-k1"),
                            topics=[f"{B}/#"], name="thief")
        return self

    def presence(self, component: str, state: str, timeout: float = 30) -> None:
        self.ops.wait_for(lambda t, b: t == f"{B}/tele/{component}/lwt" and b == state.encode(),
                          timeout=timeout, what=f"{component} {state}")

    def command(self, component: str, name: str, args: dict | None = None) -> dict:
        txn = f"t{time.monotonic_ns()}"
        mark = len(self.ops.messages)
        self.ops.publish(f"{B}/cmnd/{component}/{name}", {**(args or {}), "transaction": txn})
        _, body = self.ops.wait_for(
            lambda t, b: t == f"{B}/stat/{component}/{name}" and isinstance(b, dict)
            and b.get("transaction") == txn, timeout=10, what=f"{component} {name}", since=mark)
        return body

    def tickets_today(self) -> int:
        return self.command("queue", "status")["data"]["tickets_today"]

    def printed(self) -> int:
        path = self.tmp / "k2.bin"
        return path.stat().st_size if path.exists() else 0

    def take_as(self, client: Client, kiosk: str, service: str, rid: str,
                reply: str | None = None) -> dict:
        """A take answered on the taker's own reply topic (the queue's own barrier)."""
        reply = reply or f"{B}/reply/{client_account(client)}/{rid}"
        mark = len(client.messages)
        assert client.publish(f"{B}/kiosk/{kiosk}/take", {"service": service, "id": rid},
                              response_topic=reply, correlation=rid.encode()) == 0
        _, body = client.wait_for(lambda t, b: t == reply and isinstance(b, dict)
                                  and b.get("id") == rid, timeout=10, what=f"answer to {rid}",
                                  since=mark)
        return body

    def close(self) -> None:
        for part in (self.thief, self.ops):
            if part is not None:
                part.close()
        for process in (self.kiosk, self.queue, self.broker):
            if process is not None:
                process.stop()


def client_account(client: Client) -> str:
    return client.client._username.decode() if client.client._username else "anonymous"


@pytest.fixture(scope="module")
def building(tmp_path_factory):
    b = Building(tmp_path_factory.mktemp("stolen-kiosk"))
    try:
        yield b.start()
    finally:
        b.close()
        log = b.tmp / "kiosk.log"
        if log.exists():
            print("\n--- kiosk.log (tail)\n" + log.read_text()[-2000:])


def test_a_stolen_kiosk_cannot_take_tickets_for_another_kiosk(building):
    b = building
    before = b.tickets_today()
    for kiosk in ("k2", "k1/../k2", "K1"):
        code = b.thief.publish(f"{B}/kiosk/{kiosk}/take", {"service": "skck", "id": "x1"})
        assert code == NOT_AUTHORIZED, kiosk
    assert b.tickets_today() == before


@pytest.mark.parametrize("topic, retain", [
    (f"{B}/counter/3/press", False), (f"{B}/counter/3/state", True),
    (f"{B}/service/ktp/state", True), (f"{B}/call", False), (f"{B}/message", True),
    (f"{B}/ticket", False), (f"{B}/error/kiosk-k2", False), (f"{B}/cmnd/queue/reset", False),
    (f"{B}/cmnd/kiosk-k2/identify", False), (f"{B}/tele/queue/lwt", True),
    (f"{B}/stat/queue/status", False), (f"{B}/reply/counter-3/press", False),
    ("antrian/other/kiosk/k1/take", False),
    # (reply/ops/...: every account may answer the technicians' consoles there; a console
    # reads only its own random reply topic, matched on random correlation data)
])
def test_a_stolen_kiosk_cannot_publish_on_anyone_elses_topic(building, topic, retain):
    code = building.thief.publish(topic, {"ok": True, "ticket": "Z999", "action": "next",
                                          "id": "evil", "text": "GRATIS"}, retain=retain)
    assert code == NOT_AUTHORIZED


def test_a_stolen_kiosk_cannot_make_the_queue_publish_where_it_points(building):
    """MQTT v5 response topics are not checked by the broker: the queue must answer only on
    reply/<account>/..., or a take could make it print test slips at a kiosk, overwrite its
    presence, the running text, or order a screenshot."""
    b = building
    targets = [f"{B}/cmnd/kiosk-k2/identify", f"{B}/tele/queue/lwt", f"{B}/message",
               f"{B}/cmnd/board-lobby/screenshot", f"{B}/counter/3/state", f"{B}/call",
               "$SYS/broker/x", "antrian/test/reply/+/x", "antrian/test/reply/ops/#"]
    printed, mark = b.printed(), len(b.ops.messages)
    for i, target in enumerate(targets):
        b.thief.publish(f"{B}/kiosk/k1/take", {"service": "ktp", "id": f"hijack-{i}"},
                        response_topic=target, correlation=b"c")
    # The queue takes requests in order: its answer to this one means it handled those.
    answer = b.take_as(b.thief, "k1", "ktp", "after-hijack")
    assert answer["ticket"]
    with b.ops.cond:
        landed = [t for t, _, _, _ in b.ops.messages[mark:] if t in targets]
    assert landed == []
    assert b.command("kiosk-k2", "status")["ok"]      # the kiosk's own answer comes after
    assert b.printed() == printed                      # no test slips, no paper wasted


HOSTILE_TAKES = [
    b"", b"null", b"[]", b"{", b"\xff\xfe\x00", b'{"service": 1, "id": "h1"}',
    json.dumps({"service": "ktp", "id": "x" * 10_000}).encode(),
    json.dumps({"service": "ktp", "id": "h2", "priority": 1e300}).encode(),
    json.dumps({"service": "ktp\u0000", "id": "h3"}).encode(),
    json.dumps({"service": "zzz", "id": "h4"}).encode(),           # no such service
    json.dumps({"service": "ktp", "id": "h5", "priority": None}).encode(),
    b'{"service": "ktp", "id": ' + b"[" * 10_000 + b"]" * 10_000 + b"}",
    b'{"service": "ktp", "id": "h6", "priority": true, "priority": "yes"}',
]


def test_hostile_takes_are_refused_change_nothing_and_the_next_take_works(building):
    b = building
    before = b.tickets_today()
    mark = len(b.ops.messages)
    for i, payload in enumerate(HOSTILE_TAKES):
        code = b.thief.publish(f"{B}/kiosk/k1/take", payload)
        assert code in (0, 16, NOT_AUTHORIZED), (i, code)
    answer = b.take_as(b.thief, "k1", "ktp", "after-garbage")
    assert b.tickets_today() == before + 1 and answer["ticket"]
    with b.ops.cond:
        published = [(t, p) for t, p, _, _ in b.ops.messages[mark:]
                     if t.startswith(f"{B}/service/") or t.startswith(f"{B}/counter/")]
    for topic, payload in published:                  # what every board will draw
        kind = schemas.ServiceState if "/service/" in topic else schemas.CounterState
        schemas.decode_state(payload, kind)
    assert b.command("kiosk-k2", "status")["ok"] and b.queue.alive


CONTROL_ID = json.dumps({"service": "ktp", "id": "a\u0000b\u001b[2J\u202e"}).encode()


def test_a_request_id_with_control_characters_is_refused(building):
    try:
        schemas.decode_take(CONTROL_ID)
    except schemas.BadMessage:
        pass
    else:
        pytest.skip("the queue's edge validation of request ids (issue 12, mqtt/schemas.py) "
                    "is not on this branch")
    b = building
    before = b.tickets_today()
    b.thief.publish(f"{B}/kiosk/k1/take", CONTROL_ID)
    b.take_as(b.thief, "k1", "ktp", "after-control-id")
    assert b.tickets_today() == before + 1


def test_a_stolen_kiosk_cannot_take_over_the_queue_services_session(building):
    """With the client id tied to the account, the thief's connection under the queue's id
    is refused or renamed; the queue service stays online."""
    conf = building.site.conf.read_text()
    if "use_username_as_clientid true" not in conf:
        pytest.skip("the generated broker config does not tie client ids to accounts yet "
                    "(mqtt/broker_config.py, issue 12)")
    b = building
    b.thief.close()           # the thief tries from its one connection: k1's account
    mark = len(b.ops.messages)
    import paho.mqtt.client as paho
    from paho.mqtt.enums import CallbackAPIVersion
    c = paho.Client(CallbackAPIVersion.VERSION2, client_id="antrian-test-queue",
                    protocol=paho.MQTTv5)
    c.username_pw_set("kiosk-k1", b.site.password("kiosk-k1"))
    c.connect("127.0.0.1", b.site.port, keepalive=5)
    c.loop_start()
    try:
        assert b.command("queue", "status")["data"]["tickets_today"] >= 1   # still serving
        with b.ops.cond:
            offline = [t for t, p, _, _ in b.ops.messages[mark:]
                       if t == f"{B}/tele/queue/lwt" and p == b"offline"]
        assert offline == []
    finally:
        c.loop_stop()
        c.disconnect()
        b.thief = Client(b.site.port, "kiosk-k1", b.site.password("kiosk-k1"),
                         topics=[f"{B}/#"], name="thief")


def test_the_kiosk_ignores_refusals_of_takes_it_never_made(building):
    """`antrian take` (account cli) may ask on a kiosk's topic; the refusals of its takes are
    not the kiosk's trouble and it does not warn about them."""
    b = building
    cli = b.site.client("cli", topics=[f"{B}/error/kiosk-k2"])
    try:
        for i in range(20):
            assert cli.publish(f"{B}/kiosk/k2/take", {"service": "ktp", "id": f"not-ours-{i}"}) == 0
        cli.wait_for(lambda t, body: isinstance(body, dict) and body.get("id") == "not-ours-19",
                     timeout=10, what="the last refusal")
    finally:
        cli.close()
    assert b.command("kiosk-k2", "status")["ok"]     # it has read what came before
    assert "not-ours-" not in (b.tmp / "kiosk.log").read_text()


def test_the_kiosk_process_is_still_up_and_prints_a_real_take(building):
    b = building
    printed = b.printed()
    b.kiosk.keys("1")      # a visitor at the real kiosk k2: its first service (SKCK)
    wait_for(lambda: b.printed() > printed, timeout=15, what="the kiosk printed a ticket")
    assert b.kiosk.alive


def test_a_flood_of_takes_leaves_the_building_answering(building):
    b = building
    counter = Client(b.site.port, "counter-3", b.site.password("counter-3"),
                     topics=[f"{B}/counter/3/state", f"{B}/error/counter-3",
                             f"{B}/reply/counter-3/#"], name="counter")
    try:
        mids = [b.thief.send(f"{B}/kiosk/k1/take", {"service": "ktp", "id": f"flood-{i}"})
                for i in range(3000)]
        b.thief.wait_acked(mids, timeout=60)
        # Right after the flood: a counter's press and another kiosk's take are answered.
        t0 = time.monotonic()
        rid = "press-after-flood"
        counter.publish(f"{B}/counter/3/press", {"action": "open", "id": rid},
                        response_topic=f"{B}/reply/counter-3/press", correlation=b"p")
        counter.wait_for(lambda t, body: t == f"{B}/reply/counter-3/press"
                         and isinstance(body, dict) and body.get("id") == rid, timeout=30,
                         what="the press answered after the flood")
        assert time.monotonic() - t0 < 30
        assert b.queue.alive and b.command("queue", "status")["data"]["inbox"] < 3000
    finally:
        counter.close()
