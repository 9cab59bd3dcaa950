"""Press to pixel: from a ``press`` published on MQTT to the first board frame showing the ticket.

    .venv/bin/python bench/press_to_pixel.py [--calls 500] [--idle 20]

Runs the real processes: a private Mosquitto, ``antrian serve`` (the queue service, SQLite on
disk) and ``antrian display`` for a 1920x1080 board of a site as large as MPP Kota Bogor (145
services, 50 counters). The board writes one line per frame (``ANTRIAN_FRAME_TRACE``): when it
was pushed to the screen and the texts newly drawn in it; a call's latency is the first such
frame holding its ticket minus the moment its press was published. Both clocks are this
machine's wall clock.

Calls are spaced so each finds the big "now calling" panel free (the bench board's
flash_seconds is short); a burst is a different question, answered by the tests (every call gets
its turn). Also measured, with the board idle: CPU (% of one core) and resident memory.
Targets: p99 < 30 ms, idle CPU < 3 %, RSS < 80 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "display")]

import paho.mqtt.client as paho  # noqa: E402
from paho.mqtt.enums import CallbackAPIVersion  # noqa: E402

from support.broker import Mosquitto  # noqa: E402
from board_fakes import big_site_toml  # noqa: E402

COUNTERS = [str(i) for i in range(1, 11)]
BOARD = """
[[board]]
id = "lobby"
running_text = "Selamat datang di Mal Pelayanan Publik Kota Bogor. Siapkan KTP-el dan berkas Anda sebelum dipanggil. Terima kasih."
flash_seconds = 0.2
"""


class Client:
    """The bench's own MQTT client: publishes requests, collects tickets and calls."""

    def __init__(self, port: int, site: str):
        self.base = f"antrian/{site}"
        self.calls: dict[str, tuple[str, float]] = {}     # press id -> (ticket, when seen)
        self.tickets: list[str] = []
        self.online = threading.Event()
        self.cond = threading.Condition()
        self.last_call: tuple[str, float] | None = None
        self.c = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-{uuid.uuid4().hex[:6]}",
                             protocol=paho.MQTTv5)
        self.c.on_connect = lambda c, u, f, rc, p: c.subscribe([(f"{self.base}/call", 1),
                                                                (f"{self.base}/ticket", 1),
                                                                (f"{self.base}/tele/queue/lwt", 1)])
        self.c.on_message = self._message
        self.c.connect("127.0.0.1", port)
        self.c.loop_start()

    def _message(self, c, u, m):
        with self.cond:
            if m.topic.endswith("/lwt"):
                if m.payload == b"online":
                    self.online.set()
            elif m.topic.endswith("/ticket"):
                self.tickets.append(json.loads(m.payload)["ticket"])
            else:
                body = json.loads(m.payload)
                self.last_call = (body["ticket"], time.time())
            self.cond.notify_all()

    def publish(self, topic: str, body: dict) -> None:
        self.c.publish(f"{self.base}/{topic}", json.dumps(body), qos=1).wait_for_publish(5)

    def wait(self, predicate, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        with self.cond:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("bench: no answer from the queue service")
                self.cond.wait(left)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def frames(trace: Path) -> list[tuple[float, list[str], float | None]]:
    """(pushed at, texts newly drawn, when the frame's first message reached the board)."""
    out = []
    for line in trace.read_text().splitlines():
        t, texts, received = line.split("\t")
        out.append((float(t), json.loads(texts), None if received == "-" else float(received)))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=500)
    ap.add_argument("--idle", type=float, default=20.0, help="seconds of idle measurement")
    # 0.5 s between presses and 0.2 s of flash: a late turn of the previous call (a loaded
    # machine) must not make the next one wait for the panel, which would measure the queue.
    ap.add_argument("--db-dir", type=Path, help="where the queue service's SQLite file goes "
                    "(default: a temporary folder on disk; /dev/shm takes fsync stalls of a "
                    "shared disk out of the figures)")
    ap.add_argument("--interval", type=float, default=0.5, help="seconds between presses")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp_name, Mosquitto(Path(tmp_name)) as broker:
        tmp = Path(tmp_name)
        site = tmp / "site.toml"
        site.write_text(big_site_toml(broker.port, boards=BOARD))
        env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy")
        db_name = f"bench-{uuid.uuid4().hex[:8]}.db"
        client = Client(broker.port, "big")
        serve = subprocess.Popen([sys.executable, "-m", "antrian.cli", "serve", "--config",
                                  str(site), "--db", str((args.db_dir or tmp) / db_name)],
                                 cwd=ROOT, env=env,
                                 stdout=(tmp / "serve.log").open("w"), stderr=subprocess.STDOUT)
        board = None
        try:
            if not client.online.wait(15):
                print((tmp / "serve.log").read_text(), file=sys.stderr)
                return 1
            # Enough waiting tickets for every press: the first service of each bench counter.
            from antrian.config import load
            loaded = load(site)
            for i in range(args.calls + 20):
                service = loaded.counters[COUNTERS[i % len(COUNTERS)]].services[0]
                client.publish("kiosk/k1/take", {"service": service, "id": f"b-{i}"})
            client.wait(lambda: len(client.tickets) >= args.calls + 20, 30)

            trace = tmp / "frames.trace"
            board = subprocess.Popen(
                [sys.executable, "-m", "antrian.cli", "display", "--config", str(site), "--board",
                 "lobby", "--size", "1920x1080"], cwd=ROOT,
                env=dict(env, ANTRIAN_FRAME_TRACE=str(trace)),
                stdout=(tmp / "board.log").open("w"), stderr=subprocess.STDOUT)
            deadline = time.monotonic() + 30
            while "ready" not in (tmp / "board.log").read_text():
                if time.monotonic() > deadline or board.poll() is not None:
                    print((tmp / "board.log").read_text(), file=sys.stderr)
                    return 1
                time.sleep(0.1)
            time.sleep(2.0)   # the first frames (fonts, text cache) are start-up, not idle

            c0, t0 = cpu_seconds(board.pid), time.monotonic()
            time.sleep(args.idle)
            idle_cpu = 100 * (cpu_seconds(board.pid) - c0) / (time.monotonic() - t0)
            idle_rss = rss_mb(board.pid)

            sent: list[tuple[str, float]] = []
            for i in range(args.calls):
                counter = COUNTERS[i % len(COUNTERS)]
                before = client.last_call
                when = time.time()
                client.publish(f"counter/{counter}/press",
                               {"action": "next", "id": f"p-{i}", "ts": when})
                client.wait(lambda: client.last_call is not before, 10)
                sent.append((client.last_call[0], when, client.last_call[1]))
                time.sleep(max(0.0, args.interval - (time.time() - when)))
            time.sleep(0.5)
            peak_rss = rss_mb(board.pid)
            shown = frames(trace)
            latencies, service_ms, inbox_ms, board_ms = [], [], [], []
            missing = 0
            for ticket, when, call_seen in sent:
                first = next(((t, r) for t, texts, r in shown if t >= when and ticket in texts),
                             None)
                if first is None:
                    missing += 1
                    continue
                latencies.append((first[0] - when) * 1000)
                service_ms.append((call_seen - when) * 1000)
                if first[1] is not None:
                    inbox_ms.append((first[1] - when) * 1000)
                    board_ms.append((first[0] - first[1]) * 1000)
        finally:
            for proc in (board, serve):
                if proc and proc.poll() is None:
                    proc.terminate()
                    try:
                        proc.wait(10)
                    except subprocess.TimeoutExpired:
                        proc.kill()
            client.c.loop_stop()
            if args.db_dir:
                for suffix in ("", "-wal", "-shm"):
                    (args.db_dir / (db_name + suffix)).unlink(missing_ok=True)

    latencies.sort()
    p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]
    print(f"press_to_pixel: {len(latencies)} calls ({missing} never shown), 1920x1080 board, "
          f"145 services, 50 counters, queue database in {args.db_dir or 'a temporary folder'}")
    print(f"  latency ms: p50 {p(0.50):.1f}  p90 {p(0.90):.1f}  p99 {p(0.99):.1f}  "
          f"max {latencies[-1]:.1f}  mean {statistics.mean(latencies):.1f}")
    for name, values in (("press -> call event at the bench's client", service_ms),
                         ("press -> first message of the frame at the board", inbox_ms),
                         ("that message -> frame on screen (board)", board_ms)):
        values.sort()
        print(f"  {name}: p50 {values[len(values) // 2]:.1f}  "
              f"p99 {values[min(len(values) - 1, int(0.99 * len(values)))]:.1f} ms")
    print(f"  idle: CPU {idle_cpu:.2f} % of one core over {args.idle:.0f} s, RSS {idle_rss:.1f} MB "
          f"(after the calls: {peak_rss:.1f} MB)")
    ok = p(0.99) < 30 and idle_cpu < 3 and peak_rss < 80 and not missing
    print(f"  targets (p99 < 30 ms, idle CPU < 3 %, RSS < 80 MB): {'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
