"""End-to-end fuzzing (issue 12): Hypothesis drives contract-shaped requests with hostile values
(huge, negative or non-finite times, control and bidi characters, emoji, long text) through the
real queue service, with a live board (`antrian display`, SDL dummy) and the page (`antrian web`)
running. After each example every process is still up, and the page agrees with the queue's
retained state."""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "web"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "display"))

from support.queue import QueueProcess  # noqa: E402
from support.site import write_site  # noqa: E402
from support.waiting import wait_for  # noqa: E402
from ticketing import Action  # noqa: E402

pytestmark = [pytest.mark.broker, pytest.mark.slow]
EXAMPLES = 60
SITE_EXTRA = """
[queue]
rate_per_s = 100000
burst = 100000

[[board]]
id = "lobby"
running_text = "Selamat datang di MPP Uji"
"""

hostile_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["\x00", "\u202e\u202dA001", "\u200b", "\x1b[2J", "😀" * 60, "x" * 5000,
                     "Istirahat\ud7ff", "\ufeff", "A001\n\r\t"]))
hostile_number = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(),
                           st.sampled_from([1e300, -1e300, 0, -1, 2**63, 1e18]))
press = st.fixed_dictionaries(
    {"action": st.sampled_from([str(a) for a in Action]),
     "id": st.one_of(st.uuids().map(lambda u: u.hex[:12]), hostile_text)},
    optional={"ticket": st.one_of(st.sampled_from(["A001", "B001", "C001", "a002"]), hostile_text),
              "to": st.one_of(st.sampled_from(["ktp", "kk", "skck"]), hostile_text),
              "until": hostile_number, "reason": hostile_text, "ts": hostile_number,
              "expect": st.one_of(st.none(), hostile_text)})
take = st.fixed_dictionaries(
    {"service": st.one_of(st.sampled_from(["ktp", "kk", "skck"]), hostile_text),
     "id": st.one_of(st.uuids().map(lambda u: u.hex[:12]), hostile_text)},
    optional={"priority": st.one_of(st.booleans(), hostile_number)})
request = st.one_of(
    st.tuples(st.sampled_from(["counter/1/press", "counter/2/press", "counter/3/press"]), press),
    st.tuples(st.sampled_from(["kiosk/k1/take", "kiosk/k2/take"]), take))


def encode(body: dict) -> bytes:
    # JSON as a hostile client would write it: NaN and Infinity included
    return json.dumps(body, ensure_ascii=False).encode("utf-8", "surrogatepass")


@pytest.fixture
def building(tmp_path, broker):
    from test_display_live import BoardProcess
    from web_fixtures import start_web

    site = write_site(tmp_path / "site.toml", broker.port, SITE_EXTRA)
    queue = QueueProcess(site, tmp_path / "queue.db", broker).start()
    board = BoardProcess(site, tmp_path, "--board", "lobby", "--size", "640x360", audio=False)
    web = start_web(site, tmp_path)
    yield queue, board, web
    web.stop()
    board.stop()
    queue.close()


def page_agrees(queue, web) -> bool:
    doc = web.json("/api/v1/services")
    services = {s["id"]: s for s in doc["services"]}
    for sid in queue.site.services:
        retained = queue.service_state(sid)
        page = services[sid]
        if (page["issued"], page["waiting"], page["done"], page["last_issued"], page["missed"]) \
                != (retained["issued"], retained["waiting"], retained["done"],
                    retained["last_issued"], retained["missed"]):
            return False
        if [x["ticket"] for x in page["serving"]] != [x["ticket"] for x in retained["serving"]]:
            return False
    return True


def test_hostile_requests_leave_every_process_up_and_the_page_agreeing(building):
    queue, board, web = building

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                     HealthCheck.data_too_large])
    @given(st.lists(request, min_size=1, max_size=6))
    def example(requests):
        for topic, body in requests:
            try:
                payload = encode(body)
            except UnicodeEncodeError:
                continue
            queue.watcher.publish(f"{queue.base}/{topic}", payload)
        # the service's own barrier: a valid take is answered after everything before it
        rid = f"barrier-{uuid.uuid4().hex[:8]}"
        queue.watcher.publish(f"{queue.base}/kiosk/k1/take", {"service": "ktp", "id": rid})
        queue.watcher.wait_for(lambda t, b: t.endswith("/ticket") and isinstance(b, dict)
                               and b.get("id") == rid, timeout=10, what="the barrier's ticket")
        # A ticket goes out first in its batch, and the hostile requests may share that batch:
        # their states come after it. settled() is a later batch, so they are all in now.
        queue.settled()
        wait_for(lambda: page_agrees(queue, web), 10, "the page agreeing with the queue")
        for name, proc in (("queue", queue.proc), ("board", board.proc), ("web", web.proc)):
            assert proc.poll() is None, f"{name} died"
        for cid in queue.site.counters:
            state = queue.counter_state(cid)
            until, reason = state.get("closed_until"), state.get("closed_reason")
            assert until is None or abs(until) < 1e11
            assert reason is None or (len(reason) <= 100 and "\x00" not in reason
                                      and "\u202e" not in reason)

    example()
    for name, log in (("queue", queue.log), ("board", board.log), ("web", web.log)):
        assert "Traceback" not in log.read_text(), f"{name} logged a crash"
