"""How long guessing a booking code takes, measured against the real system (docs/web.md).

    .venv/bin/python bench/booking_guess.py [--bookings 300] [--seconds 65] [--addresses 100]

Starts a Mosquitto running the locked-down config ``antrian broker-config`` generates (accounts
and ACL), the real ``antrian serve`` and the real ``antrian web`` (behind a "proxy" on
127.0.0.1: ``[web] trusted_proxies = ["127.0.0.1"]``, as docs/web.md deploys it), all on free
ports. Visitors make ``--bookings`` real bookings through ``POST /api/v1/bookings``. Then a
guesser fires random codes at ``GET /api/v1/bookings/<code>`` as fast as it can, for
``--seconds`` per phase, each phase from its own loopback addresses (127.0.x.y, so no phase
inherits another's limit), after 15 s with nobody guessing (the baseline):

- one address, 4 keep-alive connections;
- ``--addresses`` addresses, one connection each;
- one address sending a random ``X-Forwarded-For`` per request straight to the web (a spoof);
- the same through the proxy: from 127.0.0.1 with ``X-Forwarded-For: <random>, <client>``, as
  nginx's ``$proxy_add_x_forwarded_for`` appends the address it saw.

All the while a *paced* guesser (the smart one: one guess every 2.05 s, just under the limit)
and a visitor reading a real booking's status every 2.5 s run from their own addresses; the
visitor's latency shows what the floods cost everyone else. Last, a stolen kiosk's account
(``kiosk-k1`` and its generated password) fires check-ins with random codes over MQTT (the
queue's per-device limit, ``[queue] rate_per_s`` and ``burst``).

It prints requests sent, answers 200/404/429, accepted guesses per minute per address, the hit
probability per guess (valid codes / 32^8) and the expected time to a first hit. Exit 0.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "maintenance")]

from maint_kit import ServeProcess, write_locked_site  # noqa: E402  (the generated broker)
from support.broker import Mosquitto, free_port  # noqa: E402
from support.webprocess import WebProcess  # noqa: E402

from antrian import config  # noqa: E402
from mqtt.queue_edge import Limits  # noqa: E402
from ticketing.booking import CODE_ALPHABET, CODE_LEN, new_code  # noqa: E402

B = "antrian/test"
SPACE = len(CODE_ALPHABET) ** CODE_LEN
EXTRA = """
[booking]
sessions = ["08:00-10:00"]
per_session = {n}
days_ahead = 7

[web]
trusted_proxies = ["127.0.0.1"]
"""


def guess() -> str:
    return new_code(os.urandom(CODE_LEN))


def spoofed() -> str:
    return f"{random.randrange(1, 224)}.{random.randrange(256)}.{random.randrange(256)}.7"


# -- bookings --------------------------------------------------------------------------------------

def book(port: int, day: str, n: int) -> list[str]:
    """``n`` real bookings through the web; 10 per address (the web's booking limit)."""
    codes = []
    for i in range(n):
        nik = f"3275014107850{i + 1:03d}" if i < 999 else f"327501410785{i + 1:04d}"
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10,
                                          source_address=(f"127.0.9.{i // 10 + 1}", 0))
        conn.request("POST", "/api/v1/bookings", body=json.dumps({
            "service": "ktp", "day": day, "session": "08:00-10:00", "nik": nik}),
            headers={"Content-Type": "application/json"})
        r = conn.getresponse()
        body = json.loads(r.read())
        conn.close()
        if r.status != 201:
            raise SystemExit(f"booking {i}: {r.status} {body}")
        codes.append(body["code"])
    return codes


# -- HTTP guessing -----------------------------------------------------------------------------------

class Tally:
    """What one phase's guesses got back: statuses and when each accepted guess was answered."""

    def __init__(self):
        self.sent = 0
        self.status: Counter = Counter()
        self.accepted: list[float] = []        # monotonic times of answers that were not 429
        self.answered: list[float] = []        # monotonic times of every answer

    def rate(self, start: float, end: float) -> float:
        """Answers a second between two times (how fast the web answered the flood)."""
        return sum(start <= t < end for t in self.answered) / (end - start)

    def per_minute(self, seconds: float) -> float:
        return len(self.accepted) / seconds * 60


async def get(reader, writer, path: str, headers: str = "") -> int:
    writer.write(f"GET {path} HTTP/1.1\r\nHost: bench\r\n{headers}\r\n".encode())
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    await reader.readexactly(length)
    return status


async def flood(port: int, address: str, stop: float, tally: Tally, xff=None) -> None:
    """Guesses back to back on one keep-alive connection from ``address`` until ``stop``."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(address, 0))
    try:
        while time.monotonic() < stop:
            headers = f"X-Forwarded-For: {xff()}\r\n" if xff else ""
            tally.sent += 1
            status = await get(reader, writer, f"/api/v1/bookings/{guess()}", headers)
            tally.status[status] += 1
            tally.answered.append(time.monotonic())
            if status != 429:
                tally.accepted.append(time.monotonic())
    finally:
        writer.close()


async def paced(port: int, address: str, stop: float, every: float, tally: Tally,
                path=None, latencies: list | None = None) -> None:
    """One request every ``every`` s (a fresh connection each, as a phone would)."""
    due = time.monotonic()
    while due < stop:
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        due += every
        reader, writer = await asyncio.open_connection("127.0.0.1", port,
                                                       local_addr=(address, 0))
        t0 = time.perf_counter()
        tally.sent += 1
        status = await get(reader, writer, path() if path else f"/api/v1/bookings/{guess()}")
        if latencies is not None:
            latencies.append((time.monotonic(), (time.perf_counter() - t0) * 1000))
        tally.status[status] += 1
        if status != 429:
            tally.accepted.append(time.monotonic())
        writer.close()


def peak_per_s(times: list[float]) -> int:
    buckets = Counter(int(t) for t in times)
    return max(buckets.values(), default=0)


def visitor(port: int, codes: list[str], stop: float, pipe) -> None:
    """A visitor's booking page reading a real booking every 2.5 s, in its own process (in the
    guesser's event loop its latency would be the guesser's own)."""
    tally, ms = Tally(), []
    asyncio.run(paced(port, "127.0.8.1", stop, 2.5, tally,
                      lambda: f"/api/v1/bookings/{random.choice(codes)}", ms))
    pipe.send((dict(tally.status), ms))


PLAN_PHASES = 4
QUIET_S = 15.0               # a baseline first: the visitor's reads with nobody guessing


async def phases(port: int, seconds: float, addresses: int) -> dict:
    t0 = time.monotonic()
    plan = [("one address, flooding (4 connections)", [("127.0.1.1", None)] * 4),
            (f"{addresses} addresses, flooding", [(f"127.0.{2 + i // 250}.{i % 250 + 1}", None)
                                                 for i in range(addresses)]),
            ("one address, random X-Forwarded-For sent straight to the web",
             [("127.0.5.1", spoofed)] * 4),
            ("one client through the proxy, random X-Forwarded-For in front of its address",
             [("127.0.0.1", lambda: f"{spoofed()}, 127.0.6.1")] * 4)]
    smart = Tally()
    background = asyncio.create_task(paced(port, "127.0.7.1", t0 + QUIET_S + seconds * len(plan),
                                           2.05, smart))
    results = []
    for name, conns in [("nobody guessing (baseline)", [])] + plan:
        tally = Tally()
        start = time.monotonic()
        if not conns:
            await asyncio.sleep(QUIET_S)
        await asyncio.gather(*(flood(port, a, start + seconds, tally, xff) for a, xff in conns))
        took = time.monotonic() - start
        results.append({"phase": name, "start": start, "end": start + took,
                        "seconds": round(took, 1), "addresses": len({a for a, _ in conns}),
                        "sent": tally.sent, "200": tally.status[200], "404": tally.status[404],
                        "429": tally.status[429],
                        "other": sum(v for k, v in tally.status.items() if k not in (200, 404,
                                                                                    429)),
                        "accepted_per_min": round(tally.per_minute(took), 1),
                        "accepted_first_60s": sum(t < start + 60 for t in tally.accepted),
                        "accepted_after_60s": sum(t >= start + 60 for t in tally.accepted),
                        "peak_accepted_per_s": peak_per_s(tally.accepted),
                        "answers_per_s_first_5s": round(tally.rate(start, start + 5)),
                        "answers_per_s_last_5s": round(tally.rate(start + took - 5, start + took))})
    await background
    took = time.monotonic() - t0
    return {"phases": results,
            "paced": {"every_s": 2.05, "seconds": round(took, 1), "sent": smart.sent,
                      "404": smart.status[404], "429": smart.status[429],
                      "accepted_per_min": round(smart.per_minute(took), 1)}}


def with_visitor(port: int, codes: list[str], seconds: float, addresses: int) -> dict:
    """The guessing phases, with a visitor's reads timed from another process."""
    import multiprocessing
    ctx = multiprocessing.get_context("fork")
    ours, theirs = ctx.Pipe()
    probe = ctx.Process(target=visitor, args=(port, codes, time.monotonic() + QUIET_S + seconds
                                              * PLAN_PHASES + 2, theirs))
    probe.start()
    out = asyncio.run(phases(port, seconds, addresses))
    status, ms = ours.recv()
    probe.join()
    for p in out["phases"]:
        during = sorted(m for t, m in ms if p["start"] <= t < p["end"]) or [0.0]
        p.update(visitor_ms_p50=round(statistics.median(during), 1),
                 visitor_ms_max=round(during[-1], 1))
        del p["start"], p["end"]
    out["visitor"] = {"reads": len(ms), "status": status}
    return out


# -- MQTT check-in guessing by a stolen kiosk --------------------------------------------------------

def kiosk_guessing(site, seconds: float, per_s: float = 1000) -> dict:
    """A kiosk's account (its password from the kiosk's own secrets) fires check-ins with random
    codes, ``per_s`` a second (unpaced, the queue falls behind and the limit's clock with it);
    the queue answers each on ``error/kiosk-k1`` (unknown, or rate_limited)."""
    kiosk = site.client("kiosk-k1", topics=[f"{B}/error/kiosk-k1", f"{B}/ticket"])
    sent, start = 0, time.monotonic()
    stop = start + seconds
    try:
        while time.monotonic() < stop:
            time.sleep(max(0.0, start + sent / per_s - time.monotonic()))
            mids = [kiosk.send(f"{B}/kiosk/k1/checkin", {"code": guess(), "id": f"g{sent + i}"})
                    for i in range(20)]
            sent += len(mids)
            kiosk.wait_acked(mids)
        heard, deadline = -1, time.monotonic() + 60
        while heard != len(kiosk.messages) and time.monotonic() < deadline:
            heard = len(kiosk.messages)         # until the answers stop coming
            time.sleep(2)
        with kiosk.cond:
            bodies = [json.loads(p) for t, p, _, _ in kiosk.messages]
    finally:
        kiosk.close()
    codes = Counter(b.get("code", "ticket") for b in bodies)
    burst = Limits.of(config.load(site.site_file)).burst
    return {"seconds": seconds, "sent": sent, "offered_per_s": per_s, "answered": len(bodies), "answers": dict(codes),
            "burst": burst,
            "accepted_per_min_after_burst": round((codes["unknown"] - burst) / seconds * 60, 1)}


# -- figures -------------------------------------------------------------------------------------------

def duration(minutes: float) -> str:
    for unit, size in (("years", 525_960), ("days", 1_440), ("hours", 60)):
        if minutes >= size:
            return f"{minutes / size:,.1f} {unit}"
    return f"{minutes:,.1f} minutes"


def expected(valid: int, per_min: float) -> str:
    """Mean time to the first hit: guesses are independent draws, each hits with valid/32^8."""
    return duration(SPACE / valid / per_min) if per_min > 0 else "never"


def report(out: dict, valid: int) -> None:
    print(json.dumps(out, indent=2))
    per_address = out["http"]["paced"]["accepted_per_min"]
    many = next(p for p in out["http"]["phases"] if p["addresses"] > 1)
    capacity = max(p["peak_accepted_per_s"] for p in out["http"]["phases"]) * 60
    kiosk = out["kiosk"]["accepted_per_min_after_burst"]
    print(f"\nload {out['load']}; {out['cpus']} CPUs; code space 32^{CODE_LEN} = {SPACE:,}")
    for p in out["http"]["phases"]:
        if not p["addresses"]:
            print(f"- {p['phase']}: a visitor's status read p50 {p['visitor_ms_p50']} ms, "
                  f"max {p['visitor_ms_max']} ms")
            continue
        print(f"- {p['phase']}: sent {p['sent']:,} in {p['seconds']} s; 200 {p['200']}, "
              f"404 {p['404']:,}, 429 {p['429']:,}; accepted {p['accepted_per_min']:,.1f}/min "
              f"({p['accepted_per_min'] / p['addresses']:,.1f}/min per address, "
              f"{p['accepted_first_60s']:,} in the first minute"
              + (f", {p['accepted_after_60s']:,} in the {p['seconds'] - 60:.0f} s after"
                 if p["seconds"] > 60 else "") + "); the web answered "
              f"{p['answers_per_s_first_5s']:,}/s in the first 5 s, "
              f"{p['answers_per_s_last_5s']:,}/s in the last; a visitor's status read "
              f"meanwhile p50 {p['visitor_ms_p50']} ms, max {p['visitor_ms_max']} ms")
    print(f"- paced guesser (every 2.05 s): {per_address}/min accepted per address; "
          f"web capacity for answered guesses (peak): {capacity / 60:,.0f}/s")
    for n in sorted({valid, 1000}):
        p = n / SPACE
        hundred = min(100 * per_address, capacity)
        print(f"{n:,} valid codes: hit probability per guess {p:.2e}; first hit expected after "
              f"{expected(n, per_address)} from one address, {expected(n, hundred)} from 100 "
              f"addresses, {expected(n, capacity)} at the web's capacity; a stolen kiosk "
              f"({kiosk}/min): {expected(n, kiosk)}")


def run(args, tmp: Path) -> dict:
    site = write_locked_site(tmp, free_port(), extra=EXTRA.format(n=max(args.bookings, 1)))
    with Mosquitto(tmp, port=site.port, config=site.conf):
        watcher = site.client("ops", topics=[f"{B}/tele/queue/lwt"])
        queue = ServeProcess(site.site_file, tmp / "queue.db", site.port, watcher).start()
        web = WebProcess(site.site_file, free_port(), tmp)
        try:
            web.start()
            loaded = config.load(site.site_file)
            day = (datetime.now(loaded.tz).date() + timedelta(days=1)).isoformat()
            started = time.monotonic()
            codes = book(web.port, day, args.bookings)
            booked_s = time.monotonic() - started
            http_out = with_visitor(web.port, codes, args.seconds, args.addresses)
            print(json.dumps(http_out), flush=True)      # kept, should the kiosk's part fail
            kiosk = kiosk_guessing(site, args.kiosk_seconds)
        finally:
            web.stop()
            queue.stop()
            watcher.close()
    return {"bookings": len(codes), "booking_s": round(booked_s, 1), "http": http_out,
            "kiosk": kiosk, "load": [round(x, 1) for x in os.getloadavg()],
            "cpus": os.cpu_count()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bookings", type=int, default=300)
    ap.add_argument("--seconds", type=float, default=65.0, help="per phase (> 60: a window)")
    ap.add_argument("--addresses", type=int, default=100)
    ap.add_argument("--kiosk-seconds", type=float, default=20.0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="antrian-guess-bench-") as tmp:
        out = run(args, Path(tmp))
    report(out, out["bookings"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
