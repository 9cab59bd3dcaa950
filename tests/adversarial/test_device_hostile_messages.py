"""Devices never die on data (issue 12): a counter panel and a kiosk, real processes on the
generated broker config next to the real queue service, get hostile retained states and
thousands of hostile messages on every topic they read, across a broker restart and a panel
restart. They stay up, skip what they cannot use, never print a control character to the
staff's terminal, and afterwards a press and a take work as before.

Only the queue's account may publish the states and answers devices read, so the attacker here
is that account: a leaked queue password, or a queue service with a bug. With the client id
tied to the account, the attacker and the real queue service cannot be connected at once (each
would push the other off), so the attack runs while the queue service is stopped.
"""

from __future__ import annotations

import json
import time

import pytest

from maintenance.maint_kit import Client, DeviceProcess, ServeProcess, write_locked_site
from support.broker import Mosquitto, free_port
from support.waiting import wait_for

pytestmark = [pytest.mark.broker, pytest.mark.slow]
B = "antrian/test"

GARBAGE = [b"", b"null", b"[]", b"{", b"\xff\xfe\x00", b"{}", b'"x"', b"1e999",
           json.dumps({"counter": "3", "open": "yes", "seq": "1"}).encode(),
           json.dumps({"ticket": 5, "id": None, "ahead": -1}).encode(),
           json.dumps({"error": ["x"], "id": {"a": 1}}).encode(),
           json.dumps({"ok": True, "id": "c3-x", "data": "\u001b[2J" * 100}).encode(),
           b"[" * 3000]
ESCAPES = "\u001b[2J\u001b]0;pwned\u0007\u202e"


def hostile_state(seq: int) -> bytes:
    """A counter state that decodes, with terminal escapes in every text field."""
    return json.dumps({"counter": "3", "name": f"Loket 3{ESCAPES}", "open": True,
                       "ticket": f"C{ESCAPES}", "service": "skck", "since": None,
                       "request": f"x{ESCAPES}", "services": ["skck"],
                       "day": time.strftime("%Y-%m-%d"), "seq": seq, "ts": time.time(),
                       "closed_reason": ESCAPES}).encode()


class Rig:
    def __init__(self, tmp):
        self.tmp = tmp
        self.broker = self.ops = self.queue = self.evil = None
        self.panel = self.kiosk = None

    def start(self) -> "Rig":
        tmp = self.tmp
        self.site = write_locked_site(tmp, free_port(), extra="\n[voice]\nenabled = false\n")
        self.broker = Mosquitto(tmp, port=self.site.port, config=self.site.conf).start()
        self.ops = self.site.client("ops", topics=[f"{B}/tele/#", f"{B}/stat/#",
                                                   f"{B}/ticket"])
        self.queue = ServeProcess(self.site.site_file, tmp / "queue.db", self.site.port,
                                  self.ops).start()
        self.panel = self.device("counter-3", ["counter", "--counter", "3", "--keys",
                                               "--outbox", str(tmp / "c3.db")], "panel")
        self.kiosk = self.device("kiosk-k1", ["kiosk", "--kiosk", "k1", "--keys", "--printer",
                                              f"file:{tmp / 'k1.bin'}",
                                              "--store", str(tmp / "k1.db")], "kiosk")
        return self

    def connect_attacker(self) -> None:
        self.evil = Client(self.site.port, "queue", self.site.password("queue"), topics=(),
                           name="evil")

    def device(self, name: str, args: list[str], log: str) -> DeviceProcess:
        mark = len(self.ops.messages)
        process = DeviceProcess(name, [args[0], "--config", str(self.site.site_file), *args[1:]],
                                self.tmp / f"{log}.log", stdin=True).start()
        self.presence(name, "online", mark)
        return process

    def presence(self, name: str, state: str, since: int = 0) -> None:
        self.ops.wait_for(lambda t, b: t == f"{B}/tele/{name}/lwt" and b == state.encode(),
                          timeout=30, what=f"{name} {state}", since=since)

    def command(self, component: str, name: str) -> dict:
        txn = f"t{time.monotonic_ns()}"
        mark = len(self.ops.messages)
        self.ops.publish(f"{B}/cmnd/{component}/{name}", {"transaction": txn})
        _, body = self.ops.wait_for(
            lambda t, b: t == f"{B}/stat/{component}/{name}" and isinstance(b, dict)
            and b.get("transaction") == txn, timeout=15, what=f"{component} {name}", since=mark)
        assert body["ok"], body
        return body["data"]

    def flood(self, n: int) -> None:
        topics = [f"{B}/counter/3/state", f"{B}/error/counter-3", f"{B}/reply/counter-3/press",
                  f"{B}/ticket", f"{B}/error/kiosk-k1", f"{B}/service/ktp/state"]
        mids = [self.evil.send(topics[i % len(topics)], GARBAGE[i % len(GARBAGE)])
                for i in range(n)]
        self.evil.wait_acked(mids, timeout=60)

    def close(self) -> None:
        for part in (self.evil, self.ops):
            if part is not None:
                part.close()
        for process in (self.panel, self.kiosk, self.queue, self.broker):
            if process is not None:
                process.stop()


@pytest.fixture
def rig(tmp_path):
    r = Rig(tmp_path)
    try:
        yield r.start()
    finally:
        r.close()
        for name in ("panel", "kiosk"):
            log = tmp_path / f"{name}.log"
            if log.exists():
                print(f"\n--- {name}.log (tail)\n" + log.read_text(errors="replace")[-1500:])


def test_devices_survive_hostile_retained_states_and_floods_across_restarts(rig):
    r = rig
    # A first ticket and call, so there is a state to keep.
    r.kiosk.keys("3")
    r.ops.wait_for(lambda t, b: t == f"{B}/ticket" and isinstance(b, dict)
                   and b.get("ticket") == "C001", timeout=15, what="C001 issued")
    r.panel.keys("n")
    wait_for(lambda: r.command("counter-3", "status")["ticket"] == "C001", timeout=15,
             what="the panel holds C001")

    # The queue's account in an attacker's hands (the service is down meanwhile).
    r.queue.stop()
    r.connect_attacker()
    # Hostile retained states, then thousands of messages on every topic the devices read.
    assert r.evil.publish(f"{B}/counter/3/state", b"{", retain=True) == 0
    assert r.evil.publish(f"{B}/service/ktp/state", b"[" * 3000, retain=True) == 0
    r.flood(3000)
    r.broker.restart()                       # the retained garbage survives (persistence)
    wait_for(lambda: r.evil.client.is_connected(), timeout=20, what="attacker reconnected")
    r.flood(3000)
    # A decodable state full of terminal escapes, retained, and the panel restarted onto it.
    assert r.evil.publish(f"{B}/counter/3/state", hostile_state(10**9), retain=True) == 0
    r.evil.close()
    r.evil = None
    r.panel.kill()
    r.panel = r.device("counter-3", ["counter", "--counter", "3", "--keys",
                                     "--outbox", str(r.tmp / "c3.db")], "panel")

    # Both still answer, and say they skipped bad messages.
    assert r.panel.alive and r.kiosk.alive
    assert r.command("kiosk-k1", "status")["bad_messages"] > 0
    # The restarted panel read the hostile retained state, skipped it, and holds nothing.
    panel = wait_for(lambda: (lambda s: s if s["bad_messages"] >= 1 else None)(
        r.command("counter-3", "status")), timeout=10, what="the panel skipped the state")
    assert panel["ticket"] is None
    mark = len(r.ops.messages)
    r.queue.start(wait=False)
    r.presence("queue", "online", mark)

    # And they still work: a take at the kiosk is printed, a press at the panel acknowledged.
    printed = (r.tmp / "k1.bin").stat().st_size
    r.kiosk.keys("3")
    wait_for(lambda: (r.tmp / "k1.bin").stat().st_size > printed, timeout=15,
             what="the kiosk printed C002")
    acked = r.command("counter-3", "status")["presses_acked"]
    r.panel.keys("n")
    wait_for(lambda: r.command("counter-3", "status")["presses_acked"] == acked + 1,
             timeout=15, what="the press acknowledged")
    assert r.panel.alive and r.kiosk.alive
    # Nothing from a message reached the staff's terminal as a control sequence.
    for name in ("panel", "kiosk"):
        text = (r.tmp / f"{name}.log").read_bytes()
        assert b"\x1b[2J" not in text and b"\x1b]0;" not in text and b"\x07" not in text, name
