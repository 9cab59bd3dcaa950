"""The console can never stop the building (issue 12): every command is acknowledged once
answered, a redelivered command runs once, and a second queue service is told loudly.
Real broker with the generated config, real `antrian serve`."""

from __future__ import annotations

import time
import uuid

import pytest

from conftest import B, wait_ready
from maint_kit import ServeProcess

pytestmark = [pytest.mark.broker, pytest.mark.slow]
COMMANDS = 10_000


def take(site, service: str = "ktp", timeout: float = 10.0) -> dict:
    kiosk = site.client("kiosk-k1", topics=[f"{B}/ticket", f"{B}/error/kiosk-k1"])
    try:
        rid = f"t-{uuid.uuid4().hex[:8]}"
        kiosk.publish(f"{B}/kiosk/k1/take", {"service": service, "id": rid})
        return kiosk.wait_for(lambda t, b: isinstance(b, dict) and b.get("id") == rid,
                              timeout=timeout, what="the take's answer")[1]
    finally:
        kiosk.close()


def command(watcher, name: str, body: dict, timeout: float = 15.0) -> dict:
    tid = body.setdefault("transaction", uuid.uuid4().hex[:10])
    mark = len(watcher.messages)
    watcher.publish(f"{B}/cmnd/queue/{name}", body)
    return watcher.wait_for(lambda t, b: t == f"{B}/stat/queue/{name}" and isinstance(b, dict)
                            and b.get("transaction") == tid, timeout=timeout,
                            what=f"{name} reply", since=mark)[1]


def test_ten_thousand_console_commands_then_a_take_is_answered_at_once(building):
    site, _, queue = building
    console = site.client("ops", topics=[])
    try:
        mids = [console.send(f"{B}/cmnd/queue/status", b"") for _ in range(COMMANDS)]
        console.wait_acked(mids, timeout=120)
    finally:
        console.close()
    # The take waits behind the commands the broker still holds for the service, then it is
    # answered: no command was left unacknowledged to fill the in-flight window.
    started = time.monotonic()
    ticket = take(site, timeout=120)
    assert ticket["ticket"] == "A001"
    again = time.monotonic()
    assert take(site, timeout=5)["ticket"] == "A002"
    print(f"take after {COMMANDS} commands: {again - started:.1f} s; the next one "
          f"{time.monotonic() - again:.3f} s")


def test_a_broker_restart_between_a_reset_and_the_next_take_never_loses_a_ticket(building):
    site, broker, queue = building
    ops = queue.watcher
    assert take(site)["ticket"] == "A001" and take(site)["ticket"] == "A002"
    first = command(ops, "reset", {"confirm": True, "service": "ktp", "transaction": "r-1"})
    assert first["ok"] and first["data"]["expired"] == 2
    mark = len(ops.messages)              # before the restart: ops may be back before it
    broker.restart()                      # the generated config keeps sessions on disk
    wait_ready(ops, since=mark)
    after = take(site, timeout=20)
    assert after["ticket"] == "A001"
    # The same command delivered again (as a broker does with an unacknowledged one) is
    # answered with its first outcome and resets nothing.
    again = command(ops, "reset", {"confirm": True, "service": "ktp", "transaction": "r-1"})
    assert again["ok"] and again["data"].get("repeated") is True
    assert again["data"]["expired"] == 2
    assert take(site)["ticket"] == "A002"          # A001 is still there, still waiting
    status = command(ops, "status", {})
    assert status["data"]["waiting"] == 2


def test_a_second_queue_service_for_the_same_site_is_told_loudly(building, tmp_path):
    site, _, queue = building
    second = ServeProcess(site.site_file, tmp_path / "other.db", site.port, queue.watcher)
    second.start(wait=False)
    try:
        deadline = time.monotonic() + 30
        while True:
            logs = queue.log.read_text() + second.log.read_text()
            if "ANOTHER QUEUE SERVICE" in logs:
                break
            assert time.monotonic() < deadline, "neither copy noticed the other"
            time.sleep(0.2)
    finally:
        second.stop()
