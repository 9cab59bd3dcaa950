"""The queue service's maintenance face over a real broker: cmnd/stat/tele, MQTT v5 response
topics (mosquitto_rr), transaction echo, and the `antrian ctl` / `antrian watch` consoles."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest


from maint_kit import Client, antrian  # noqa: E402
from support.waiting import TIMEOUT_SCALE, wait_for

pytestmark = pytest.mark.broker
B = "antrian/test"
WATCH_TIMEOUT = str(10 * TIMEOUT_SCALE)


@pytest.fixture
def ops(queue_service):
    c = Client(queue_service.broker.port, topics=[f"{B}/#"], name="ops")
    yield c
    c.close()


def command(client: Client, name: str, args: dict | bytes | None = None, component: str = "queue",
            timeout: float = 5.0) -> dict:
    """Send cmnd/<component>/<name> (a dict gets a transaction) and return the stat reply."""
    txn = uuid.uuid4().hex[:8]
    payload = args if isinstance(args, bytes) else json.dumps({**(args or {}), "transaction": txn})
    mark = len(client.messages)
    client.publish(f"{B}/cmnd/{component}/{name}", payload)
    stat = f"{B}/stat/{component}/{name}"
    _, body = client.wait_for(
        lambda t, b: t == stat and isinstance(b, dict)
        and (isinstance(args, bytes) or b.get("transaction") == txn),
        timeout=timeout, what=f"reply to {name}", since=mark)
    return body


def test_status_and_help_answer_with_the_health_figures_and_echo_the_transaction(ops, queue_service):
    queue_service.take("ktp")
    reply = command(ops, "status")
    assert reply["ok"] is True and reply["transaction"]
    data = reply["data"]
    assert data["component"] == "queue" and data["version"] and data["uptime_s"] >= 0
    assert data["tickets_today"] == 1 and data["waiting"] == 1 and "events_per_s" in data
    assert "memory_mb" in data and "cpu_temp_c" in data and data["connected"] is True
    commands = command(ops, "help")["data"]
    assert {"status", "help", "reload", "reset", "assign", "open", "close", "message",
            "stats"} <= set(commands)
    assert command(ops, "STATUS")["ok"]                      # Tasmota: names ignore case
    # Health is also pushed: once right after connecting (the watcher was there), then every
    # interval.
    queue_service.watcher.wait_for(
        lambda t, b: t == f"{B}/tele/queue/state" and b["component"] == "queue",
        what="tele/queue/state")


def test_bad_commands_get_a_clear_error_and_change_nothing(ops, queue_service):
    before = command(ops, "status")["data"]["seq"]
    unknown = command(ops, "explode")
    assert unknown["ok"] is False and "unknown command 'explode'" in unknown["error"]
    assert "status" in unknown["error"]                       # it lists the known ones
    not_json = command(ops, "status", b"{nope")
    assert not_json["ok"] is False and "not JSON" in not_json["error"]
    not_object = command(ops, "assign", b"[1, 2]")
    assert "JSON object" in not_object["error"]
    assert "transaction must be" in command(ops, "status", b'{"transaction": [1]}')["error"]
    assert "confirm" in command(ops, "reset", {"service": "ktp"})["error"]
    assert "confirm" in command(ops, "reset", {"confirm": "yes"})["error"]
    assert not command(ops, "assign", {"counter": 3, "services": "ktp"})["ok"]
    assert not command(ops, "assign", {"counter": "9", "services": ["ktp"]})["ok"]
    assert not command(ops, "open", {"counter": "nine"})["ok"]
    assert not command(ops, "message", {"text": 5})["ok"]
    assert "too large" in command(ops, "status", b" " * 70_000 + b"{}")["error"]
    assert command(ops, "status")["data"]["seq"] == before


def test_the_supervisor_commands_change_the_queue_as_asked(ops, queue_service):
    for _ in range(3):
        queue_service.take("ktp")
    queue_service.take("kk")
    # Each state is looked for after its own command: counter 3 starts closed and every line
    # starts empty, so the first matching state in the record could be the one from before.
    mark = len(ops.messages)
    assert command(ops, "open", {"counter": "3"})["data"] == {"counter": "3", "open": True}
    ops.wait_for(lambda t, b: t == f"{B}/counter/3/state" and b["open"] is True, since=mark)
    assign = command(ops, "assign", {"counter": "3", "services": ["ktp", "skck"]})
    assert assign["ok"], assign
    ops.wait_for(lambda t, b: t == f"{B}/counter/3/state" and b["services"] == ["ktp", "skck"])
    mark = len(ops.messages)
    assert command(ops, "close", {"counter": "3"})["ok"]
    ops.wait_for(lambda t, b: t == f"{B}/counter/3/state" and b["open"] is False, since=mark)

    mark = len(ops.messages)
    reset = command(ops, "reset", {"service": "ktp", "confirm": True})
    assert reset["ok"] and reset["data"]["reset"] == "ktp", reset
    ops.wait_for(lambda t, b: t == f"{B}/service/ktp/state" and b["waiting"] == 0, since=mark)
    queue_service.settled()
    assert queue_service.service_state("kk")["waiting"] == 1      # the other line is untouched
    mark = len(ops.messages)
    assert command(ops, "reset", {"confirm": True})["data"]["reset"] == "all"
    ops.wait_for(lambda t, b: t == f"{B}/service/kk/state" and b["waiting"] == 0, since=mark)

    stats = command(ops, "stats")
    assert stats["ok"] and isinstance(stats["data"], dict)

    assert command(ops, "message", {"text": "Loket 5 tutup pukul 12.00"})["ok"]
    late = Client(queue_service.broker.port, topics=[f"{B}/message"], name="board")
    try:   # retained: a board that starts later shows it too
        _, body = late.wait_for(lambda t, b: t == f"{B}/message")
        assert body["text"] == "Loket 5 tutup pukul 12.00" and body["ts"] > 0
    finally:
        late.close()
    assert command(ops, "message", {"text": ""})["ok"]
    ops.wait_for(lambda t, b: t == f"{B}/message" and b is None, what="message cleared")
    assert command(ops, "reload")["ok"]


def test_mosquitto_rr_gets_the_reply_on_its_response_topic(ops, queue_service):
    if not shutil.which("mosquitto_rr"):
        pytest.skip("needs mosquitto_rr (Debian mosquitto-clients)")
    port = str(queue_service.broker.port)
    for response in (f"{B}/stat/queue/status", f"{B}/reply/ops/rr-1"):
        r = subprocess.run(["mosquitto_rr", "-h", "127.0.0.1", "-p", port, "-t",
                            f"{B}/cmnd/queue/status", "-e", response, "-m", '{"transaction": 7}',
                            "-W", "5"], capture_output=True, text=True, timeout=10)
        assert r.returncode == 0, r.stderr
        reply = json.loads(r.stdout)
        assert reply["ok"] is True and reply["transaction"] == 7 and reply["data"]["component"] == "queue"
    # Correlation data comes back too, so a client can match its own requests.
    ops.publish(f"{B}/cmnd/queue/nope", b"{}", response_topic=f"{B}/reply/ops/x",
                correlation=b"abc-1")
    _, body = ops.wait_for(lambda t, b: t == f"{B}/reply/ops/x" and not b["ok"])
    with ops.cond:
        props = next(p for t, _, _, p in ops.messages if t == f"{B}/reply/ops/x")
    assert props.CorrelationData == b"abc-1" and "unknown command" in body["error"]


def test_ctl_prints_the_reply_and_says_why_when_there_is_none(queue_service):
    site = str(queue_service.site_file)
    r = antrian("ctl", "--config", site, "queue", "open", "counter=2")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"counter": "2", "open": True}
    r = antrian("ctl", "--config", site, "queue", "reset", "service=ktp")
    assert r.returncode == 1 and "confirm" in r.stderr
    r = antrian("ctl", "--config", site, "queue", "assign", '{"counter": "2", "services": ["kk"]}',
                "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["data"]["services"] == ["kk"]
    r = antrian("ctl", "--config", site, "board-nowhere", "status", "--timeout", "1")
    assert r.returncode == 3 and "never reported presence" in r.stderr
    r = antrian("ctl", "--config", site, "queue", "status", "oops")
    assert r.returncode == 2 and "key=value" in r.stderr


def test_watch_once_lists_every_component_with_its_presence_and_figures(queue_service):
    site = str(queue_service.site_file)
    # A component the TOML does not name shows up too, from its presence alone.
    extra = Client(queue_service.broker.port, topics=[], name="web")
    extra.publish(f"{B}/tele/web/lwt", b"offline", retain=True)
    extra.close()
    # --once returns as soon as every online component has answered: a generous timeout
    # only matters on a loaded machine, where 1-2 s left the queue's figures out.
    r = antrian("watch", "--config", site, "--once", "--timeout", WATCH_TIMEOUT)
    lines = r.stdout.splitlines()
    assert lines[0].startswith("COMPONENT")
    queue = next(line for line in lines if line.startswith("queue "))
    assert " online " in queue and "tickets_today=0" in queue and "waiting=0" in queue
    assert any(line.startswith("kiosk-k1 ") and " never " in line for line in lines)
    assert any(line.startswith("web ") and " offline " in line for line in lines)
    assert r.returncode == 1                      # not everything is online
    r = antrian("watch", "--config", site, "--once", "--json", "--timeout", WATCH_TIMEOUT)
    snap = json.loads(r.stdout)
    assert snap["queue"]["presence"] == "online" and snap["queue"]["health"]["seq"] >= 0
    assert snap["kiosk-k2"] == {"presence": None, "health": None, "age_s": None}


def test_watch_redraws_live_until_interrupted(queue_service):
    import os
    import signal
    import threading

    from maint_kit import ROOT
    proc = subprocess.Popen([sys.executable, "-m", "antrian", "watch", "--config",
                             str(queue_service.site_file), "--refresh", "0.3"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ))
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    reader.start()

    def snapshots() -> list[str]:
        return [s for s in "".join(lines).split("\n\n") if "COMPONENT" in s]
    try:
        # Three snapshots, however long the start takes on a loaded machine (a fixed sleep
        # counted the interpreter's start-up too).
        wait_for(lambda: len(snapshots()) >= 3, 20, what="three snapshots")
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(10)
        reader.join(10)
    err = proc.stderr.read()
    proc.stderr.close()
    assert proc.returncode == 0, err
    out = "".join(lines)
    snapshots = [s for s in out.split("\n\n") if "COMPONENT" in s]
    assert len(snapshots) >= 3                    # into a pipe: one snapshot after another
    assert "MPP Uji — 1/3 online" in snapshots[-1]
    assert "\x1b[" not in out                     # no terminal control codes into a pipe
