"""kill -9 in the middle of a load: nothing acknowledged is lost, no number reused or skipped."""

from __future__ import annotations

import json
import sqlite3
import threading
import time

import pytest

from support.site import write_site
from support.waiting import TIMEOUT_SCALE

pytestmark = [pytest.mark.broker, pytest.mark.slow]
# One test kiosk sends a building's day in seconds: far above a real kiosk's rate limit.
UNLIMITED = "[queue]\nrate_per_s = 100000\nburst = 100000\n"


@pytest.fixture
def site_file(tmp_path, broker):
    return write_site(tmp_path / "site.toml", broker.port, UNLIMITED)

TOTAL = 1200


def issued_in_log(db) -> dict[str, str]:
    """request id -> ticket label, from the stored events."""
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute("SELECT data FROM events WHERE type = 'issued' ORDER BY seq").fetchall()
    finally:
        conn.close()
    out = {}
    for (data,) in rows:
        e = json.loads(data)
        rid = e["request"].split(":", 1)[1]
        assert rid not in out, f"request {rid} issued twice"
        out[rid] = e["ticket"]
    return out


@pytest.mark.parametrize("kill_after", [150, 600])
def test_kill_9_mid_load_loses_no_acknowledged_ticket_and_reuses_no_number(queue_service, kill_after):
    q = queue_service
    w = q.watcher
    base = q.base
    acked: dict[str, str] = {}
    lock = threading.Lock()
    done_publishing = threading.Event()
    killed = threading.Event()

    def publisher():
        for i in range(TOTAL):
            w.client.publish(f"{base}/kiosk/k1/take",
                             json.dumps({"service": "ktp", "id": f"load-{i}"}), qos=1)
            if i % 50 == 0:
                time.sleep(0.005)
            if i == kill_after + 300:
                # The rest waits for the kill: on a loaded machine the service may otherwise
                # finish the whole load before the watcher has seen kill_after answers.
                killed.wait(30 * TIMEOUT_SCALE)
        done_publishing.set()

    threading.Thread(target=publisher, daemon=True).start()
    # Kill once enough tickets have been answered: mid-stream, not at a quiet moment.
    deadline = time.monotonic() + 30 * TIMEOUT_SCALE
    while time.monotonic() < deadline:
        with lock:
            answered = [b for b in w.bodies("/ticket")]
        if len(answered) >= kill_after:
            break
        time.sleep(0.002)
    q.kill()
    killed.set()
    for body in w.bodies("/ticket"):
        acked[body["id"]] = body["ticket"]
    assert len(acked) >= kill_after

    # Every answer the kiosk got before the crash is on disk, with the same number.
    log = issued_in_log(q.db)
    for rid, ticket in acked.items():
        assert log.get(rid) == ticket, f"acknowledged {rid}={ticket} missing from the log"
    assert len(log) < TOTAL, "the kill came after the load: this run proves nothing"

    # The broker kept the rest for the service's session; after restart all are issued.
    assert done_publishing.wait(30 * TIMEOUT_SCALE), "the load was never all published"
    q.start()
    deadline = time.monotonic() + 60 * TIMEOUT_SCALE
    while time.monotonic() < deadline:
        if len(issued_in_log(q.db)) == TOTAL:
            break
        time.sleep(0.2)
    log = issued_in_log(q.db)
    assert len(log) == TOTAL, f"only {len(log)} of {TOTAL} takes issued after restart"
    numbers = sorted(int(t[1:]) for t in log.values())
    assert numbers == list(range(1, TOTAL + 1)), "a number was skipped or reused"
    for rid, ticket in acked.items():
        assert log[rid] == ticket
    # A kiosk that resends an unanswered take gets the ticket it was given, not a new one.
    again = q.take("ktp", id="load-0")
    assert again["ticket"] == log["load-0"]
