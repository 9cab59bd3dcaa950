"""A whole small building on the generated, locked-down broker: the queue service, a board, a
counter panel and a kiosk, each a real process with its own account.

Each device works with only the access the ACL gives it, answers the maintenance face, survives
fuzzed commands and fuzzed data on every topic it subscribes to without changing what it shows,
prints or holds, comes back after kill -9, and after a broker restart.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


from support.broker import Mosquitto, free_port  # noqa: E402
from support.waiting import wait_for  # noqa: E402
from maint_kit import (Client, DeviceProcess, Fuzzer, LockedSite, ServeProcess, antrian,  # noqa: E402
                       write_locked_site)
from maint_strategies import ids, payloads  # noqa: E402

from mqtt import schemas  # noqa: E402

pytestmark = [pytest.mark.broker, pytest.mark.slow]
B = "antrian/test"
KEEPALIVE = 5
VOICE_OFF = "\n[voice]\nenabled = false\n"
TICKET = re.compile(r"^[A-Z]\d{3}$")
FUZZ = settings(deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])


@dataclass
class Building:
    site: LockedSite
    broker: Mosquitto
    ops: Client
    queue: ServeProcess
    devices: dict[str, DeviceProcess]
    tmp: Path

    @property
    def printer(self) -> Path:
        return self.tmp / "k1.bin"

    def printed(self) -> int:
        return self.printer.stat().st_size if self.printer.exists() else 0

    def drawn_tickets(self, since: float = 0.0, until: float = float("inf")) -> set[str]:
        """The ticket numbers the board drew between two times. The frame trace lists, per
        frame, the texts drawn in it (only what changed, after the first frame)."""
        trace = self.tmp / "frames.trace"
        out: set[str] = set()
        for line in trace.read_text().splitlines() if trace.exists() else []:
            t, texts = line.split("\t")[:2]
            if since <= float(t) < until:
                out.update(x for x in json.loads(texts) if TICKET.match(x))
        return out

    def command(self, component: str, name: str, args: dict | None = None,
                timeout: float = 10) -> dict:
        txn = f"t{time.monotonic_ns()}"
        mark = len(self.ops.messages)
        self.ops.publish(f"{B}/cmnd/{component}/{name}", {**(args or {}), "transaction": txn})
        _, body = self.ops.wait_for(
            lambda t, b: t == f"{B}/stat/{component}/{name}" and isinstance(b, dict)
            and b.get("transaction") == txn, timeout=timeout, what=f"{component} {name}",
            since=mark)
        return body

    def presence(self, component: str, state: str, since: int, timeout: float) -> float:
        topic = f"{B}/tele/{component}/lwt"
        deadline = time.monotonic() + timeout
        with self.ops.cond:
            while True:
                if any(t == topic and p == state.encode()
                       for t, p, _, _ in self.ops.messages[since:]):
                    return time.monotonic()
                left = deadline - time.monotonic()
                assert left > 0, f"{component} not {state} within {timeout} s"
                self.ops.cond.wait(min(left, 0.2))


def device_processes(site: LockedSite, tmp: Path) -> dict[str, DeviceProcess]:
    config = str(site.site_file)
    return {
        "board-lobby": DeviceProcess(
            "board-lobby", ["display", "--config", config, "--board", "lobby", "--size", "640x360"],
            tmp / "board.log", env={"ANTRIAN_FRAME_TRACE": str(tmp / "frames.trace")}),
        "counter-3": DeviceProcess(
            "counter-3", ["counter", "--config", config, "--counter", "3", "--keys",
                          "--outbox", str(tmp / "c3.db")], tmp / "panel.log", stdin=True),
        "kiosk-k1": DeviceProcess(
            "kiosk-k1", ["kiosk", "--config", config, "--kiosk", "k1", "--keys", "--printer",
                         f"file:{tmp / 'k1.bin'}", "--store", str(tmp / "k1.db")],
            tmp / "kiosk.log", stdin=True),
    }


@pytest.fixture(scope="module")
def building(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("building")
    site = write_locked_site(tmp, free_port(), extra=VOICE_OFF)
    broker = Mosquitto(tmp, port=site.port, config=site.conf).start()
    ops = site.client("ops", topics=[f"{B}/#"])
    queue = ServeProcess(site.site_file, tmp / "queue.db", site.port, ops).start()
    devices = device_processes(site, tmp)
    b = Building(site, broker, ops, queue, devices, tmp)
    for device in devices.values():
        device.start()
    try:
        for name in devices:
            b.presence(name, "online", 0, timeout=30)
        # A day in progress: C001 taken at the kiosk's key 3 (SKCK), called at counter 3.
        b.devices["kiosk-k1"].keys("3")
        ops.wait_for(lambda t, body: t == f"{B}/ticket" and body["ticket"] == "C001", timeout=10)
        b.devices["counter-3"].keys("n")
        ops.wait_for(lambda t, body: t == f"{B}/counter/3/state" and body["ticket"] == "C001",
                     timeout=10)
        wait_until(lambda: "C001" in b.drawn_tickets(), "the board shows C001")
        yield b
    finally:
        for device in devices.values():
            device.stop()
        queue.stop()
        ops.close()
        broker.stop()
        for name in ("board", "panel", "kiosk"):
            log = tmp / f"{name}.log"
            if log.exists():
                sys.stdout.write(f"\n--- {name}.log (tail)\n" + log.read_text()[-1500:])


def wait_until(predicate, what: str, timeout: float = 10.0):
    """``support.waiting.wait_for`` on a predicate that reads files a device is still writing
    (the frame trace): a half-written line counts as not yet."""
    def settled():
        try:
            return predicate()
        except (FileNotFoundError, IndexError, ValueError):
            return None
    return wait_for(settled, timeout, what, interval=0.05)


def test_every_device_answers_the_maintenance_face_with_its_own_figures(building, tmp_path):
    b = building
    status = {name: b.command(name, "status") for name in b.devices}
    assert all(s["ok"] and s["data"]["component"] == name for name, s in status.items())
    assert status["board-lobby"]["data"]["frames"] > 0
    assert status["board-lobby"]["data"]["last_data_age_s"] is not None
    assert status["counter-3"]["data"]["outbox_depth"] == 0
    assert status["counter-3"]["data"]["ticket"] == "C001"
    assert status["kiosk-k1"]["data"]["printer"] == "ok"
    for name in b.devices:
        unknown = b.command(name, "explode")
        assert not unknown["ok"] and "unknown command" in unknown["error"]
        assert {"status", "help", "identify", "reload"} <= set(b.command(name, "help")["data"])
        assert b.command(name, "reload")["ok"]

    # identify: the board flashes its id, the panel blinks, the kiosk prints a test slip.
    before = b.printed()
    assert b.command("kiosk-k1", "identify")["ok"]
    wait_until(lambda: b.printed() > before, "the kiosk printed a test slip")
    assert b.command("counter-3", "identify", {"seconds": 1})["ok"]
    assert b.command("board-lobby", "identify", {"seconds": 1})["ok"]

    # A technician sees the remote screen.
    shot = tmp_path / "lobby.png"
    r = antrian("ctl", "--config", str(b.site.site_file), "board-lobby", "screenshot",
                "--out", str(shot))
    assert r.returncode == 0, r.stderr
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and json.loads(r.stdout)["bytes"] > 1000
    volume = b.command("board-lobby", "volume", {"level": "loud"})
    assert not volume["ok"] and volume["error"]
    r = antrian("watch", "--config", str(b.site.site_file), "--once", "--json", "--timeout", "3")
    snap = json.loads(r.stdout)
    assert all(snap[n]["presence"] == "online" and snap[n]["health"] for n in
               ("queue", "board-lobby", "counter-3", "kiosk-k1"))


# What each device subscribes to besides its commands, and the message type that topic holds.
DATA_TOPICS = {
    "board-lobby": [(f"{B}/service/ktp/state", schemas.ServiceState),
                    (f"{B}/service/zzz/state", schemas.ServiceState),
                    (f"{B}/counter/3/state", schemas.CounterState),
                    (f"{B}/counter/99/state", schemas.CounterState),
                    (f"{B}/call", schemas.Call), (f"{B}/tele/queue/lwt", None)],
    "counter-3": [(f"{B}/counter/3/state", schemas.CounterState),
                  (f"{B}/error/counter-3", None), (f"{B}/reply/counter-3/press", None)],
    "kiosk-k1": [(f"{B}/ticket", None), (f"{B}/error/kiosk-k1", None),
                 (f"{B}/reply/kiosk-k1/take", None)],
}
# Commands with effects beyond a reply (a sound, a slip, a new volume): the fuzz renames them
# when their arguments could be valid.
ACTING = {"identify", "volume", "announce-test", "screenshot"}
CMND_CASES, DATA_CASES = 100, 100


def stat_name(name: str) -> str:
    """The stat/ leaf a device answers a command on: its name, or ``_`` for a name that is not
    a safe id (mqtt.maintenance)."""
    from mqtt import validate
    return name if validate.REQUEST_ID.match(name or "") else "_"


def snapshot(b: Building) -> dict:
    """What each device holds, shows or prints, minus what moves by itself."""
    board = b.command("board-lobby", "status")["data"]
    panel = b.command("counter-3", "status")["data"]
    kiosk = b.command("kiosk-k1", "status")["data"]
    return {"board": (board["calls"], board["queue_online"], board["offline"],
                      board["announcements"]),
            "panel": {k: panel[k] for k in ("ticket", "counter_open", "outbox_depth",
                                            "presses_acked", "presses_refused", "mode")},
            "kiosk": ({k: kiosk[k] for k in ("tickets_printed", "printer", "takes_refused",
                                             "late_tickets", "mode")}, b.printed())}


def test_fuzzed_commands_and_data_change_nothing_on_any_device(building, artifacts):
    b = building
    before = snapshot(b)
    drawn_before = b.drawn_tickets()
    started = time.time()
    fuzz = Fuzzer(b.ops, None)
    data_sent: Counter = Counter()

    @settings(FUZZ, max_examples=CMND_CASES * len(b.devices))
    @given(device=st.sampled_from(sorted(b.devices)),
           name=st.one_of(st.sampled_from(["status", "help", "reload", "volume", "identify",
                                           "screenshot", "announce-test", "Status"]), ids),
           payload=payloads({"seconds": st.floats(0, 5), "level": st.integers(0, 100),
                             "transaction": st.text(max_size=8)}))
    def commands(device, name, payload):
        if name.lower() in ACTING:
            name = f"x-{name}"
        # A device answers a response topic only under reply/<account>/, where the broker lets
        # it publish only once the ACL says so; its stat/ echo is always there.
        reply = fuzz.case(device, f"{B}/cmnd/{device}/{name}", payload,
                          echo=f"{B}/stat/{device}/{stat_name(name)}")
        assert isinstance(reply["ok"], bool)
        assert reply["ok"] or (isinstance(reply["error"], str) and reply["error"])

    @settings(FUZZ, max_examples=DATA_CASES * len(DATA_TOPICS))
    @given(data=st.data(), device=st.sampled_from(sorted(DATA_TOPICS)))
    def data_topics(data, device):
        topic, kind = data.draw(st.sampled_from(DATA_TOPICS[device]))
        payload = data.draw(payloads({"ticket": st.sampled_from(["C001", "C999"]),
                                      "counter": st.sampled_from(["3", "99"]),
                                      "seq": st.integers(), "day": st.text(max_size=10),
                                      "id": st.text(max_size=10), "ok": st.booleans(),
                                      "kiosk": st.just("k1")}))
        if kind is not None:
            try:
                schemas.decode_state(payload, kind)
                payload = b"\x00" + payload       # a valid message is not bad input
            except schemas.BadMessage:
                pass
        if payload.strip().lower() in (b"online", b"offline"):
            payload = b"onl1ne"
        b.ops.publish(topic, payload)
        data_sent[device] += 1

    try:
        commands()
        data_topics()
        # Each device's loop barrier: a command its loop thread runs, queued behind every data
        # message delivered before it (panel and kiosk: reload; the board: volume).
        for name, barrier in (("counter-3", "reload"), ("kiosk-k1", "reload"),
                              ("board-lobby", "volume")):
            assert b.command(name, barrier)["ok"], name
    finally:
        summary = {"commands": fuzz.n, "commands_by_device": {d: n for (d, _), n in
                                                              _by_device(fuzz.tally).items()},
                   "data_messages": sum(data_sent.values()), "data_by_device": dict(data_sent)}
        (artifacts / "maintenance-fuzz-devices.json").write_text(json.dumps(summary, indent=1))
        print(f"\ndevice fuzz: {summary}")
    for name, device in b.devices.items():
        assert device.alive, f"{name} died: " + (b.tmp / f"{name}.log").read_text()[-2000:]
    assert snapshot(b) == before
    # Whatever the board redrew meanwhile, it drew no ticket it had not shown before.
    assert b.drawn_tickets(since=started) <= drawn_before
    # And they still work: a ticket from the kiosk, a press at the panel, shown on the board.
    mark = len(b.ops.messages)
    b.devices["kiosk-k1"].keys("3")
    b.ops.wait_for(lambda t, body: t == f"{B}/ticket" and isinstance(body, dict)
                   and body.get("ticket") == "C002", timeout=10, since=mark)
    b.devices["counter-3"].keys("n")
    wait_until(lambda: "C002" in b.drawn_tickets(since=started), "the board shows C002")
    assert b.command("counter-3", "status")["data"]["ticket"] == "C002"


def _by_device(tally: Counter) -> Counter:
    out: Counter = Counter()
    for (device, _), n in tally.items():
        out[(device, None)] += n
    return out


def test_each_device_killed_shows_offline_at_once_and_comes_back_with_its_state(building):
    b = building
    for name, device in b.devices.items():
        before = b.command(name, "status")["data"]
        mark = len(b.ops.messages)
        killed = time.monotonic()
        restarted_at = time.time()
        device.kill()
        offline = b.presence(name, "offline", mark, timeout=1.5 * KEEPALIVE)
        print(f"\n{name}: kill -9 -> offline after {offline - killed:.2f} s")
        device.start()
        b.presence(name, "online", mark, timeout=30)
        after = wait_until(lambda: b.command(name, "status")["data"], f"{name} answers")
        if name == "counter-3":
            assert after["ticket"] == before["ticket"] and after["outbox_depth"] == 0
        elif name == "board-lobby":
            wait_until(lambda: b.command(name, "status")["data"]["queue_online"] is True,
                       "board knows the queue is online")
            wait_until(lambda: before_ticket(b) in b.drawn_tickets(since=restarted_at),
                       "the restarted board shows the ticket counter 3 holds")
        else:
            wait_until(lambda: b.command(name, "status")["data"]["mode"] == "steady",
                       "the kiosk is ready again")
            assert after["printer"] == "ok"


def before_ticket(b: Building) -> str:
    """The ticket counter 3 holds, from the queue's retained state (not fuzzed garbage)."""
    with b.ops.cond:
        for t, payload, retained, _ in reversed(b.ops.messages):
            try:
                body = json.loads(payload)
            except ValueError:
                continue
            if t == f"{B}/counter/3/state" and isinstance(body, dict) and "name" in body:
                return body["ticket"]
    raise AssertionError("no state of counter 3")


def test_after_a_broker_restart_every_device_reconnects_resubscribes_and_converges(building):
    b = building
    mark = len(b.ops.messages)
    restarted_at = time.time()
    b.broker.restart()
    for name in ["queue", *b.devices]:
        b.presence(name, "online", mark, timeout=30)
    # Re-subscribed: a new ticket and call reach the panel, the board and the kiosk.
    b.devices["kiosk-k1"].keys("3")
    _, issued = b.ops.wait_for(lambda t, body: t == f"{B}/ticket" and isinstance(body, dict),
                               since=mark, timeout=10)
    label = issued["ticket"]
    wait_until(lambda: b.command("kiosk-k1", "status")["data"]["tickets_printed"] >= 1,
               "the kiosk printed it")
    b.devices["counter-3"].keys("n")
    wait_until(lambda: label in b.drawn_tickets(since=restarted_at), f"the board shows {label}")
    assert wait_until(lambda: b.command("counter-3", "status")["data"]["ticket"] == label,
                      "the panel holds it")
