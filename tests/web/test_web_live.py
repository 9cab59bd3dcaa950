"""``antrian web`` and ``antrian report`` against the real broker and the real queue service."""

from __future__ import annotations

import csv
import json
import socket
import subprocess
import sys
import time

import pytest

from web_fixtures import ROOT, start_web

pytestmark = pytest.mark.broker


@pytest.fixture
def web(queue_service, site_file, tmp_path):
    w = start_web(site_file, tmp_path)
    yield w
    w.stop()




def test_the_api_follows_the_queue_tickets_calls_and_presence(queue_service, web):
    doc = web.wait(lambda d: d["online"] and all(s["known"] for s in d["services"]),
                   what="every service known")
    assert [s["id"] for s in doc["services"]] == ["ktp", "kk", "skck"]
    tickets = [queue_service.take("ktp")["ticket"] for _ in range(3)]
    assert tickets == ["A001", "A002", "A003"]
    web.wait(lambda d: d["services"][0]["waiting"] == 3, what="three waiting")
    body = web.json("/api/v1/tickets/a3")
    assert (body["ticket"], body["status"], body["position"]) == ("A003", "waiting", 3)
    assert body["est_wait_s"] is None        # no counter open yet: no estimate, not a guess

    # a raw listener sees the call within a second of the press
    version = web.json("/api/v1/services")["version"]
    s = socket.create_connection(("127.0.0.1", web.port), timeout=5)
    s.sendall(f"GET /api/v1/events?v={version} HTTP/1.1\r\nHost: t\r\n\r\n".encode())
    s.recv(4096)                              # headers and the retry line
    sent = time.monotonic()
    queue_service.press("1", "next", wait=False)
    seen = b""
    while b"event: call" not in seen:
        seen += s.recv(65536)
    latency = time.monotonic() - sent
    s.close()
    assert b'"ticket":"A001"' in seen and latency < 1.0, latency

    called = web.wait(lambda d: d["status"] == "called", "/api/v1/tickets/A001",
                      what="A001 called")
    assert called["counter_name"] == "Loket 1"
    waiting = web.wait(lambda d: d["est_wait_s"] is not None, "/api/v1/tickets/A003",
                       what="an estimate once a counter is open")
    assert waiting["position"] == 2 and waiting["est_wait_s"] > 0

    queue_service.press("1", "skip")          # A001 did not come: missed; A002 called
    assert web.wait(lambda d: d["status"] == "missed", "/api/v1/tickets/A001",
                    what="A001 missed")["service"] == "ktp"
    queue_service.press("1", "next")          # A002 done, A003 called
    web.wait(lambda d: d["status"] == "done", "/api/v1/tickets/A002", what="A002 done")
    assert web.json("/api/v1/tickets/A009")["status"] == "unknown"

    queue_service.stop()
    stale = web.wait(lambda d: d["stale"], what="queue offline shown")
    assert stale["stale_reasons"] == ["queue_offline"]
    assert stale["services"][0]["serving"][0]["ticket"] == "A003"   # last known state kept


def test_the_web_process_answers_maintenance_commands(queue_service, web):
    watcher = queue_service.watcher
    watcher.publish("antrian/test/cmnd/web/status", {})
    _, reply = watcher.wait_for(lambda t, b: t == "antrian/test/stat/web/status",
                                what="status reply")
    assert reply["ok"] and reply["data"]["component"] == "web"
    assert "streams" in reply["data"] and reply["data"]["connected"] is True


def test_the_report_reads_the_live_log_while_the_queue_service_runs(queue_service, site_file,
                                                                   tmp_path):
    for _ in range(4):
        queue_service.take("ktp")
    queue_service.take("skck", kiosk="k2")
    queue_service.press("1", "next")
    queue_service.press("1", "next")
    queue_service.press("3", "next")
    queue_service.press("3", "skip")
    out = tmp_path / "report"
    run = subprocess.run(
        [sys.executable, "-m", "antrian", "report", "--config", str(site_file), "--db",
         str(tmp_path / "queue.db"), "--day", "today", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    with (out / "tickets.csv").open() as f:
        rows = {r["ticket"]: r for r in csv.DictReader(f)}
    assert set(rows) == {"A001", "A002", "A003", "A004", "C001"}
    assert rows["A001"]["status"] == "done" and float(rows["A001"]["service_s"]) >= 0
    assert rows["A002"]["status"] == "called" and rows["A002"]["counter"] == "1"
    assert rows["C001"]["status"] == "missed" and rows["C001"]["no_show"] == "1"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["issued"] == 5 and summary["services"]["skck"]["no_show_rate"] == 1.0
    for png in ("tickets_per_hour", "wait_distribution", "counter_utilisation", "no_show_rate"):
        assert (out / f"{png}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert queue_service.proc.poll() is None, "the queue service kept running"


def test_bad_invocations_say_what_is_wrong(site_file, tmp_path):
    run = subprocess.run([sys.executable, "-m", "antrian", "report", "--config", str(site_file),
                          "--db", str(tmp_path / "none.db"), "--out", str(tmp_path / "o")],
                         cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert run.returncode == 2 and "no queue database" in run.stderr
    assert not (tmp_path / "none.db").exists()
    run = subprocess.run([sys.executable, "-m", "antrian", "report", "--config", str(site_file),
                          "--db", str(tmp_path / "none.db"), "--day", "30-11-2026",
                          "--out", str(tmp_path / "o")],
                         cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert run.returncode == 2 and "YYYY-MM-DD" in run.stderr
    run = subprocess.run([sys.executable, "-m", "antrian", "web", "--config", str(site_file),
                          "--port", "70000"], cwd=ROOT, capture_output=True, text=True,
                         timeout=30)
    assert run.returncode == 2 and "not a TCP port" in run.stderr
