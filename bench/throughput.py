"""Queue service throughput and latency through a real Mosquitto and the real `antrian serve`.

    .venv/bin/python bench/throughput.py [--requests 10000] [--rate 200] [--seconds 10]

Phase 1 floods takes and nexts as fast as one client can publish them (QoS 1, durable commits)
and reports events/s. Phase 2 starts a fresh day (the queue's `reset` command), paces takes at
--rate per second and reports request-to-reply latency p50/p99. Three board-like subscribers
(mosquitto_sub) listen to everything meanwhile. The broker runs the configuration
`antrian broker-config` generates for the site (accounts, ACL, queue limits), and its
`$SYS/broker/publish/messages/dropped` must stay at 0.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from antrian import config  # noqa: E402
from antrian.devbroker import Mosquitto, free_port  # noqa: E402
from conftest import nodelay, write_site  # noqa: E402
from mqtt import broker_config  # noqa: E402


def client(port: int, name: str, on_message=None, subscribe: list[str] = (),
           account: tuple[str, str] | None = None) -> paho.Client:
    c = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"{name}-{uuid.uuid4().hex[:6]}",
                    protocol=paho.MQTTv5)
    if account:
        c.username_pw_set(*account)
    c.max_inflight_messages_set(1000)
    ready = threading.Event()

    def on_connect(cl, u, f, rc, p):
        nodelay(cl)
        if subscribe:
            cl.subscribe([(t, 1) for t in subscribe])
        ready.set()

    c.on_connect = on_connect
    if on_message:
        c.on_message = on_message
    c.connect("127.0.0.1", port)
    c.loop_start()
    ready.wait(5)
    time.sleep(0.2)
    return c


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q / 100 * len(values)))]


BASE = "antrian/test"


class Replies:
    """When each request was answered (``perf_counter``), by request id, filled from the
    service's replies on the watcher's thread."""

    def __init__(self) -> None:
        self.at: dict[str, float] = {}
        self.cond = threading.Condition()
        self.pending_presses: dict[str, list[str]] = {}
        self.last_press: dict[str, list[str]] = {"1": [], "2": []}

    def on_reply(self, c, u, m) -> None:
        now = time.perf_counter()
        try:
            body = json.loads(m.payload)
        except ValueError:
            return
        rid = body.get("id") or body.get("request")
        if rid:
            with self.cond:
                self.at.setdefault(rid, now)
                # A counter's state echoes the last press applied; presses are applied in
                # order, so it acknowledges that counter's earlier presses as well.
                for earlier in self.pending_presses.pop(rid, ()):
                    self.at.setdefault(earlier, now)
                self.cond.notify_all()

    def press_sent(self, counter: str, rid: str) -> None:
        with self.cond:
            self.pending_presses[rid] = self.last_press[counter]
            self.last_press[counter] = [*self.last_press[counter], rid][-200:]

    def wait_for(self, predicate, timeout: float) -> bool:
        with self.cond:
            return self.cond.wait_for(predicate, timeout=timeout)


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=10000)
    ap.add_argument("--rate", type=float, default=200.0)
    ap.add_argument("--seconds", type=float, default=10.0)
    return ap.parse_args()


def start_broker(work: Path) -> tuple[Path, dict[str, str], Mosquitto]:
    """The site file, every account's password and the broker, running the configuration `antrian
    broker-config` ships for the site (accounts, ACL, queue limits), plus a one-second $SYS
    interval so drops are seen at once."""
    port = free_port()
    # One client stands in for a whole building's devices: the per-sender rate limit of the
    # queue service (a real kiosk or panel sends a few requests a second) is lifted.
    site = write_site(work / "site.toml", port,
                      "[queue]\nrate_per_s = 100000\nburst = 1000000\n")
    site.write_text(site.read_text().replace("keepalive = 5",
                                             'keepalive = 5\nsecrets = "secrets.toml"'))
    secrets, _ = broker_config.generate_secrets(config.load(site))
    options = broker_config.Options(bind="127.0.0.1", standalone=True,
                                    data_dir=work / "mosquitto-data",
                                    user="root" if os.geteuid() == 0 else None)
    conf = broker_config.write(config.load(site), secrets, work / "broker", options).folder
    (conf / "antrian.conf").write_text((conf / "antrian.conf").read_text() + "sys_interval 1\n")
    broker = Mosquitto(work, port=port, config=conf / "antrian.conf").start()
    return site, secrets.passwords, broker


def seq_now(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0]
    finally:
        conn.close()


def wait_for_service(log: Path) -> None:
    """Until the queue service logs that it is connected (at most 15 s)."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if log.read_text().count("connected"):
            break
        time.sleep(0.05)
    time.sleep(0.5)


def flood(pub: dict[str, paho.Client], replies: Replies, n: int, db: Path,
          serve_pid: int) -> bool:
    """Phase 1: ``n`` takes and nexts as fast as one client publishes them; prints the rate."""
    ids = []
    seq0 = seq_now(db)
    cpu0 = cpu_seconds(serve_pid)
    t0 = time.perf_counter()
    for i in range(n):
        if i % 4 == 3:  # one next for every three takes, spread over the counters
            rid = f"f-next-{i}"
            counter = "12"[(i // 4) % 2]
            replies.press_sent(counter, rid)
            pub[counter].publish(f"{BASE}/counter/{counter}/press",
                        json.dumps({"action": "next", "id": rid}), qos=1)
        else:
            rid = f"f-take-{i}"
            pub["k1"].publish(f"{BASE}/kiosk/k1/take",
                              json.dumps({"service": "ktp" if i % 2 else "kk", "id": rid}), qos=1)
        ids.append(rid)
    at = replies.at
    ok = replies.wait_for(lambda: all(r in at for r in ids[-50:]) and
                          sum(1 for r in ids if r in at) >= n * 0.999, timeout=120)
    t1 = max(at[r] for r in ids if r in at)
    events = seq_now(db) - seq0
    elapsed = t1 - t0
    answered = sum(1 for r in ids if r in at)
    busy = cpu_seconds(serve_pid) - cpu0
    print(f"flood: {n} requests ({answered} answered{'' if ok else ', TIMED OUT'}) in "
          f"{elapsed:.2f} s: {n / elapsed:,.0f} requests/s, {events / elapsed:,.0f} events/s "
          f"({events} events, durable: WAL + synchronous=FULL); the queue service used "
          f"{busy:.2f} CPU s = {events / busy:,.0f} events per CPU second")
    return ok


def paced(pub: dict[str, paho.Client], replies: Replies, rate: float, seconds: float,
          db: Path) -> tuple[list[float], int]:
    """Phase 2: takes at ``rate`` per second; prints and returns the latencies (ms) and how
    many were sent."""
    sent: dict[str, float] = {}
    interval = 1.0 / rate
    count = int(rate * seconds)
    seq0 = seq_now(db)
    start = time.perf_counter()
    for i in range(count):
        target = start + i * interval
        while (now := time.perf_counter()) < target:
            time.sleep(min(0.001, target - now))
        rid = f"p-{i}"
        sent[rid] = time.perf_counter()
        pub["k1"].publish(f"{BASE}/kiosk/k1/take", json.dumps({"service": "skck", "id": rid}),
                          qos=1)
    at = replies.at
    replies.wait_for(lambda: all(r in at for r in sent), timeout=30)
    lat = [(at[r] - t) * 1000 for r, t in sent.items() if r in at]
    span = time.perf_counter() - start
    print(f"paced: {len(lat)}/{count} takes at {rate:.0f}/s "
          f"({(seq_now(db) - seq0) / span:,.0f} events/s): request-to-reply "
          f"p50 {statistics.median(lat):.2f} ms, p99 {pct(lat, 99):.2f} ms, "
          f"max {max(lat):.2f} ms")
    return lat, count


def main() -> int:
    args = parse_args()
    work = Path(tempfile.mkdtemp(prefix="antrian-bench-"))
    site, passwords, broker = start_broker(work)
    ops = ("ops", passwords["ops"])
    db = work / "queue.db"
    serve = subprocess.Popen([sys.executable, "-m", "antrian", "serve", "--config", str(site),
                              "--db", str(db)], cwd=ROOT, stdout=(work / "serve.log").open("w"),
                             stderr=subprocess.STDOUT)
    replies = Replies()
    dropped: list[int] = []
    # Board-like subscribers in their own processes (C clients), so the bench's own Python
    # process measures the service, not its own GIL.
    # Each under an account of its own: the devices' listener makes the client id the username,
    # so three listeners as `ops` took each other's (and the bench's) session over, over and over.
    listeners = [subprocess.Popen(["mosquitto_sub", "-p", str(broker.port), "-q", "1", "-v",
                                   "-u", account, "-P", passwords[account], "-t", f"{BASE}/#"],
                                  stdout=subprocess.DEVNULL)
                 for account in ("web", "cli", "kiosk-k2")]
    def on_ops(c, u, m) -> None:
        if m.topic.startswith("$SYS/"):
            dropped.append(int(m.payload))
        else:
            replies.on_reply(c, u, m)

    # One ops connection: the devices' listener makes the client id the username, so a second
    # client of the same account would take the first one's session over.
    clients = [client(broker.port, "bench-ops", on_ops,
                      [f"{BASE}/ticket", f"{BASE}/counter/+/state", f"{BASE}/error/#",
                       "$SYS/broker/publish/messages/dropped"], ops)]
    # Takes and presses go out under the kiosk's and the counters' own accounts: the broker's
    # ACL lets no other account write them (ops only reads them and sends commands).
    pub = {sender: client(broker.port, f"bench-{sender}", account=(account, passwords[account]))
           for sender, account in (("k1", "kiosk-k1"), ("1", "counter-1"), ("2", "counter-2"))}
    clients += pub.values()
    try:
        wait_for_service(work / "serve.log")
        ok = flood(pub, replies, args.requests, db, serve.pid)
        # A fresh day for the paced phase: a building with a realistic line, not 7,500 waiting.
        clients[0].publish(f"{BASE}/cmnd/queue/reset", json.dumps({"confirm": True}), qos=1)
        time.sleep(2.0)
        lat, count = paced(pub, replies, args.rate, args.seconds, db)
        time.sleep(2.5)  # one more $SYS interval
        worst = max(dropped) if dropped else None
        print(f"broker: $SYS/broker/publish/messages/dropped = {worst}")
        failed = (not ok) or len(lat) < count or worst is None or worst > 0
        print("RESULT:", "FAIL" if failed else "ok")
        return 1 if failed else 0
    finally:
        for c in clients:
            c.loop_stop()
            c.disconnect()
        for p in listeners:
            p.terminate()
        serve.terminate()
        serve.wait(10)
        broker.stop()


if __name__ == "__main__":
    sys.exit(main())
