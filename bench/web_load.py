"""Load on the visitors' page: requests/s and p99 of /api/v1/services for a 145-service
building at 200 concurrent clients, and 2,000 live-stream listeners all receiving a call.

    .venv/bin/python bench/web_load.py [--services 145] [--clients 200] [--seconds 10]
                                       [--streams 2000]

Everything runs on 127.0.0.1: a private Mosquitto holding the retained state of a simulated
morning (the real ``mqtt.views`` messages), the real ``antrian web`` process, and the load from
this second process — wrk (Debian's ``wrk``) when installed, else an aiohttp client. Target on
a 2-core machine: >= 3,000 requests/s with p99 < 50 ms; every listener gets a call within 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "web"))

import paho.mqtt.client as paho  # noqa: E402
from paho.mqtt.enums import CallbackAPIVersion  # noqa: E402

from support.broker import Mosquitto, free_port  # noqa: E402  (tests/broker.py: a private broker)
from ticketing import service_day  # noqa: E402
from simulation import mpp_plan, plan_toml, simulate  # noqa: E402
from web_fixtures import retained_messages  # noqa: E402  (the queue's retained messages)


def publisher(port: int) -> paho.Client:
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id="bench-web-load",
                         protocol=paho.MQTTv5)
    client.connect("127.0.0.1", port)
    client.loop_start()
    return client


def get_json(port: int, path: str) -> dict:
    import urllib.request
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
        return json.loads(r.read())


def wait_ready(port: int, services: int, proc: subprocess.Popen, timeout: float = 20) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("antrian web exited")
        try:
            doc = get_json(port, "/api/v1/services")
            if doc["connected"] and "loading" not in doc["stale_reasons"] \
                    and sum(s["known"] for s in doc["services"]) == services:
                return doc
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit("antrian web did not get the state in time")


# -- request load ----------------------------------------------------------------------------

def wrk(url: str, clients: int, seconds: int, gzip: bool) -> dict:
    args = ["wrk", "-t1", f"-c{clients}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    if gzip:
        args += ["-H", "Accept-Encoding: gzip"]
    out = subprocess.run(args + [url], capture_output=True, text=True, check=True).stdout
    if "99%" not in out:
        raise SystemExit(f"unexpected wrk output:\n{out}")

    def ms(text: str) -> float:
        value, unit = re.match(r"([\d.]+)(us|ms|s|m)", text).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]

    # the latency distribution's lines, not the "+/- Stdev" percentages above them
    p99 = ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    p50 = ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {"rps": rps, "p50_ms": p50, "p99_ms": p99, "tool": "wrk -t1",
            "errors": (int(errors.group(1)) if errors else 0),
            "socket_errors": socket_errors.group(1) if socket_errors else ""}


async def aiohttp_load(url: str, clients: int, seconds: int, gzip: bool) -> dict:
    import aiohttp
    latencies: list[float] = []
    errors = 0
    stop = time.monotonic() + seconds
    headers = {"Accept-Encoding": "gzip" if gzip else "identity"}

    async def worker(session):
        nonlocal errors
        while time.monotonic() < stop:
            t = time.perf_counter()
            async with session.get(url, headers=headers) as r:
                await r.read()
                if r.status != 200:
                    errors += 1
            latencies.append(time.perf_counter() - t)

    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector, auto_decompress=False) as session:
        start = time.monotonic()
        await asyncio.gather(*(worker(session) for _ in range(clients)))
        took = time.monotonic() - start
    latencies.sort()
    return {"rps": len(latencies) / took, "p50_ms": latencies[len(latencies) // 2] * 1000,
            "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000, "errors": errors,
            "tool": "aiohttp client (wrk not installed: the client itself limits the figure)"}


async def open_loop(port: int, path: str, rate: float, conns: int, seconds: float,
                    gzip: bool) -> dict:
    """Requests offered at a fixed ``rate`` over ``conns`` keep-alive connections; each latency
    counts from when the request was due, so a stalled server is not hidden (no coordinated
    omission)."""
    total = int(rate * seconds)
    request = (f"GET {path} HTTP/1.1\r\nHost: bench\r\n"
               + ("Accept-Encoding: gzip\r\n" if gzip else "") + "\r\n").encode()
    latencies: list[float] = []
    errors = 0
    counter = iter(range(total))
    t0 = time.monotonic() + 0.5

    async def worker():
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for i in counter:
            due = t0 + i / rate
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(re.search(rb"(?i)content-length: (\d+)", head).group(1))
            await reader.readexactly(length)
            if not head.startswith(b"HTTP/1.1 200"):
                errors += 1
            latencies.append(time.monotonic() - due)
        writer.close()

    start = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(conns)))
    took = time.monotonic() - max(start, t0)
    latencies.sort()
    return {"rps": len(latencies) / took, "p50_ms": latencies[len(latencies) // 2] * 1000,
            "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000, "errors": errors}


# -- live-stream listeners ------------------------------------------------------------------

async def streams(port: int, n: int, version: int, publish) -> dict:
    """Open ``n`` event streams, publish one call on MQTT, time its arrival at each."""
    conns = []
    t0 = time.monotonic()
    for i in range(0, n, 100):
        batch = await asyncio.gather(*(asyncio.open_connection("127.0.0.1", port)
                                       for _ in range(min(100, n - i))))
        for reader, writer in batch:
            writer.write(f"GET /api/v1/events?v={version} HTTP/1.1\r\nHost: b\r\n\r\n".encode())
        conns += batch
    heads = await asyncio.gather(*(r.readuntil(b"retry: 3000\n\n") for r, _ in conns))
    refused = sum(1 for h in heads if b" 200 " not in h.split(b"\r\n", 1)[0])
    connected_s = time.monotonic() - t0
    await asyncio.sleep(0.5)
    arrivals: list[float] = []

    async def listen(reader):
        buf = b""
        while b"event: call" not in buf:
            chunk = await reader.read(65536)
            if not chunk:
                return
            buf += chunk
        arrivals.append(time.monotonic())

    tasks = [asyncio.create_task(listen(r)) for r, _ in conns]
    sent = time.monotonic()
    publish()
    done, pending = await asyncio.wait(tasks, timeout=5)
    for t in pending:
        t.cancel()
    for _, w in conns:
        w.close()
    lat = sorted(a - sent for a in arrivals)
    return {"streams": n, "refused": refused, "connect_s": round(connected_s, 2),
            "received": len(lat), "within_1s": sum(1 for x in lat if x <= 1.0),
            "p50_ms": lat[len(lat) // 2] * 1000 if lat else None,
            "max_ms": lat[-1] * 1000 if lat else None}


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--services", type=int, default=145)
    ap.add_argument("--clients", type=int, default=200)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--streams", type=int, default=2000)
    return ap.parse_args()


def saturated(port: int, args: argparse.Namespace) -> None:
    """GET /api/v1/services as fast as it goes, gzipped and plain."""
    url = f"http://127.0.0.1:{port}/api/v1/services"
    for gzip in (True, False):
        if shutil.which("wrk"):
            r = wrk(url, args.clients, args.seconds, gzip)
        else:
            r = asyncio.run(aiohttp_load(url, args.clients, args.seconds, gzip))
        verdict = "OK" if r["rps"] >= 3000 and r["p99_ms"] < 50 else "BELOW TARGET"
        print(f"GET /api/v1/services ({'gzip' if gzip else 'plain'}) saturated, "
              f"{args.clients} clients, {args.seconds} s: {r['rps']:,.0f} req/s, "
              f"p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms, "
              f"errors {r['errors']} [{r['tool']}] {verdict}")


def offered(port: int, args: argparse.Namespace) -> None:
    """GET /api/v1/services offered at the target, 3,000/s, gzipped and plain."""
    for gzip in (True, False):
        r = asyncio.run(open_loop(port, "/api/v1/services", 3000, args.clients,
                                  args.seconds, gzip))
        verdict = "OK" if r["rps"] >= 2950 and r["p99_ms"] < 50 else "BELOW TARGET"
        print(f"GET /api/v1/services ({'gzip' if gzip else 'plain'}) offered at 3,000/s "
              f"over {args.clients} connections: {r['rps']:,.0f} req/s served, "
              f"p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms, errors {r['errors']} "
              f"{verdict}")


def call_to_streams(port: int, args: argparse.Namespace, client: paho.Client, doc: dict,
                    label: str) -> None:
    """``args.streams`` event-stream listeners, then one call published: who got it in time."""
    version = get_json(port, "/api/v1/services")["version"]
    call = {"ticket": label, "service": doc["services"][0]["id"], "counter": "1",
            "counter_name": "Loket 1", "kind": "call", "seq": 10 ** 9, "ts": time.time()}
    r = asyncio.run(streams(port, args.streams, version, lambda: client.publish(
        "antrian/bench/call", json.dumps(call).encode(), qos=1)))
    verdict = "OK" if r["within_1s"] == args.streams else "BELOW TARGET"
    print(f"{r['streams']} event-stream listeners (connected in {r['connect_s']} s, "
          f"{r['refused']} refused): {r['received']} got the call, {r['within_1s']} "
          f"within 1 s; p50 {r['p50_ms']:.0f} ms, slowest {r['max_ms']:.0f} ms "
          f"{verdict}")


def measure(port: int, args: argparse.Namespace, client: paho.Client, site,
            web: subprocess.Popen) -> None:
    doc = wait_ready(port, len(site.services), web)
    waiting = sum(s["waiting"] for s in doc["services"])
    size = len(json.dumps(doc))
    print(f"{len(site.services)} services, {len(site.counters)} counters, {waiting} "
          f"waiting; /api/v1/services is {size / 1024:.0f} kB")
    saturated(port, args)
    offered(port, args)
    label = doc["services"][0]["last_issued"] or "A001"
    if shutil.which("wrk"):
        r = wrk(f"http://127.0.0.1:{port}/api/v1/tickets/{label}", args.clients,
                max(3, args.seconds // 2), False)
        print(f"GET /api/v1/tickets/{label}, {args.clients} clients: "
              f"{r['rps']:,.0f} req/s, p99 {r['p99_ms']:.1f} ms")
    call_to_streams(port, args, client, doc, label)
    print(f"web process memory: {rss_mb(web.pid):.0f} MB RSS")


def main() -> int:
    args = parse_args()
    gc.disable()   # the load generator's own pauses must not count as the server's latency
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))

    plan = mpp_plan(args.services, visitors=30.0 * args.services)
    result = simulate(plan, seed=1, sample_every=0)
    state = result.state_at(plan.at(10.5))
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        broker = Mosquitto(tmp).start()
        site_file = tmp / "site.toml"
        # every listener comes from this one address here: lift the per-address cap (issue 12)
        site_file.write_text(plan_toml(plan, site="bench", port=broker.port)
                             + "\n[web]\nmax_streams_per_address = 10000\n")
        from antrian import config
        site = config.load(site_file)
        now = time.time()
        state.day = service_day(now, site.tz, site.reset_at)
        client = publisher(broker.port)
        for topic, payload in retained_messages(site, state, now):
            client.publish(topic, payload, qos=1, retain=True).wait_for_publish(5)
        port = free_port()
        env = dict(os.environ, ANTRIAN_LOG="WARNING")
        web = subprocess.Popen([sys.executable, "-m", "antrian", "web", "--config",
                                str(site_file), "--host", "127.0.0.1", "--port", str(port)],
                               cwd=ROOT, env=env)
        try:
            measure(port, args, client, site, web)
        finally:
            web.terminate()
            web.wait(10)
            client.loop_stop()
            client.disconnect()
            broker.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
