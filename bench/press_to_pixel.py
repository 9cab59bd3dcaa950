"""Press to pixel: from a ``press`` published on MQTT to the changed pixels on a real screen.

    .venv/bin/python bench/press_to_pixel.py [--calls 300] [--idle 20] [--sizes 1920x1080,3840x2160]
    .venv/bin/python bench/press_to_pixel.py --display dummy      # SDL's dummy driver, no pixels

Runs the real processes: a private Mosquitto, ``antrian serve`` (the queue service, SQLite on
disk), an Xvfb X server per screen size, and ``antrian display`` full size on it for a board of a
site as large as MPP Kota Bogor (145 services, 50 counters). Xvfb is started with ``-fbdir``, so
its framebuffer is a file (XWD) this script maps and polls (every 0.5 ms): a call's latency is the
moment the pixels of the big "now calling" ticket changed minus the moment its press was
published, measured from outside the board as a person sees it. Alongside, from the board's own
trace (``ANTRIAN_FRAME_TRACE``): press -> the frame's first message at the board, and that message
-> the frame pushed. Both clocks are this machine's wall clock.

Calls are spaced so each finds the big panel free (the bench board's flash_seconds is short).
With the board idle (running text moving): CPU (% of one core, from /proc, as the kernel counts
it) of the board and, apart, of Xvfb; resident memory (VmRSS). Targets: p99 <= 30 ms at 1080p,
idle CPU < 3 %, RSS < 80 MB.
"""

from __future__ import annotations

import argparse
import json
import mmap
import os
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "display"),
                str(ROOT / "bench")]

import paho.mqtt.client as paho  # noqa: E402
from paho.mqtt.enums import CallbackAPIVersion  # noqa: E402

from support.broker import Mosquitto  # noqa: E402
from board_fakes import big_site_toml  # noqa: E402
from board_present import start_xvfb  # noqa: E402
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


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    """Resident memory as the kernel reports it (``RssShmem``: the part in shared memory, here
    the window's pixels, which SDL shares with the X server through MIT-SHM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def frames(trace: Path) -> list[tuple[float, list[str], float | None]]:
    """(pushed at, texts newly drawn, when the frame's first message reached the board)."""
    out = []
    for line in trace.read_text().splitlines():
        t, texts, received = line.split("\t")
        out.append((float(t), json.loads(texts), None if received == "-" else float(received)))
    return out


class Framebuffer:
    """Xvfb's screen as a mapped XWD file: the pixels of one rectangle, read from outside."""

    def __init__(self, path: Path, rect: tuple[int, int, int, int]):
        self.file = path.open("rb")
        self.map = mmap.mmap(self.file.fileno(), 0, access=mmap.ACCESS_READ)
        fields = struct.unpack(">25I", self.map[:100])
        header_size, ncolors, self.bpl = fields[0], fields[19], fields[12]
        self.offset = header_size + 12 * ncolors
        self.bpp = fields[11] // 8
        x, y, w, h = rect
        self.rows = [(self.offset + row * self.bpl + x * self.bpp,
                      self.offset + row * self.bpl + (x + w) * self.bpp)
                     for row in range(y, y + h, 3)]

    def sample(self) -> bytes:
        m = self.map
        return b"".join(m[a:b] for a, b in self.rows)

    def wait_change(self, before: bytes, timeout: float) -> float | None:
        """Wall time at which the rectangle first differs from ``before``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.sample() != before:
                return time.time()
            time.sleep(0.0005)
        return None

    def close(self) -> None:
        self.map.close()
        self.file.close()


def ticket_rect(site_path: Path, size: tuple[int, int]) -> tuple[int, int, int, int]:
    """Where the board draws the big "now calling" ticket (layout is a pure function)."""
    from antrian.config import load
    from display.config import board_config
    from display.layout import layout
    from display.model import BoardModel
    from display.view import build_view
    site = load(site_path)
    cells = layout(build_view(BoardModel(site, board_config(site, "lobby")), time.time()), size,
                   "landscape")
    return next(c.rect for c in cells if c.key == "now.ticket")


def stop(proc) -> None:
    if proc and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def percentiles(values: list[float]) -> str:
    if not values:
        return "-"
    values = sorted(values)
    p = lambda q: values[min(len(values) - 1, int(q * len(values)))]
    return f"p50 {p(0.5):5.1f}  p90 {p(0.9):5.1f}  p99 {p(0.99):5.1f}  max {values[-1]:5.1f}"


def run_board(args, size: tuple[int, int], site: Path, env: dict, client: Client, tmp: Path,
              first: int) -> dict:
    """One board at ``size``: idle figures, then ``args.calls`` presses."""
    xvfb = fb = None
    env = dict(env, ANTRIAN_FRAME_TRACE=str(tmp / f"frames-{size[0]}.trace"))
    if args.display == "xvfb":
        fbdir = tmp / f"fb-{size[0]}"
        fbdir.mkdir()
        xvfb, display = start_xvfb(size, fbdir)
        env.update(DISPLAY=display, SDL_VIDEODRIVER="x11")
    log = tmp / f"board-{size[0]}.log"
    board = subprocess.Popen(
        [sys.executable, "-m", "antrian.cli", "display", "--config", str(site), "--board",
         "lobby", "--size", f"{size[0]}x{size[1]}"], cwd=ROOT, env=env,
        stdout=log.open("w"), stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while "ready" not in log.read_text():
            if time.monotonic() > deadline or board.poll() is not None:
                raise RuntimeError(log.read_text())
            time.sleep(0.1)
        if xvfb:
            fb = Framebuffer(fbdir / "Xvfb_screen0", ticket_rect(site, size))
        time.sleep(2.0)   # the first frames (fonts, text cache) are start-up, not idle
        pids = [board.pid] + ([xvfb.pid] if xvfb else [])
        c0, t0 = [cpu_seconds(p) for p in pids], time.monotonic()
        time.sleep(args.idle)
        span = time.monotonic() - t0
        idle = [100 * (cpu_seconds(p) - c) / span for p, c in zip(pids, c0)]
        out = {"size": size, "idle_cpu": idle[0], "xvfb_cpu": idle[1] if xvfb else None,
               "idle_rss": rss_mb(board.pid), "shm": rss_mb(board.pid, "RssShmem"),
               "pixel": [], "sent": []}
        for i in range(first, first + args.calls):
            counter = COUNTERS[i % len(COUNTERS)]
            before = client.last_call
            shown = fb.sample() if fb else None
            when = time.time()
            client.publish(f"counter/{counter}/press", {"action": "next", "id": f"p-{i}",
                                                         "ts": when})
            if fb:
                changed = fb.wait_change(shown, 2.0)
                out["pixel"].append(None if changed is None else (changed - when) * 1000)
            client.wait(lambda: client.last_call is not before, 10)
            out["sent"].append((client.last_call[0], when, client.last_call[1]))
            time.sleep(max(0.0, args.interval - (time.time() - when)))
        time.sleep(0.5)
        out["peak_rss"] = rss_mb(board.pid)
        out["frames"] = frames(Path(env["ANTRIAN_FRAME_TRACE"]))
        return out
    finally:
        if fb:
            fb.close()
        stop(board)
        stop(xvfb)


def report(r: dict) -> tuple[str, bool]:
    latencies, service_ms, inbox_ms, board_ms = [], [], [], []
    missing = 0
    for ticket, when, call_seen in r["sent"]:
        first = next(((t, rc) for t, texts, rc in r["frames"] if t >= when and ticket in texts),
                     None)
        service_ms.append((call_seen - when) * 1000)
        if first is None:
            missing += 1
            continue
        latencies.append((first[0] - when) * 1000)
        if first[1] is not None:
            inbox_ms.append((first[1] - when) * 1000)
            board_ms.append((first[0] - first[1]) * 1000)
    pixel = [v for v in r["pixel"] if v is not None]
    w, h = r["size"]
    lines = [f"{w}x{h}: {len(r['sent'])} calls, {missing} never traced, "
             f"{len(r['pixel']) - len(pixel)} never seen in the framebuffer",
             f"  press -> pixels changed (Xvfb framebuffer) ms: {percentiles(pixel)}",
             f"  press -> frame pushed (board's trace)      ms: {percentiles(latencies)}",
             f"  press -> call event at the bench's client  ms: {percentiles(service_ms)}",
             f"  press -> first message at the board        ms: {percentiles(inbox_ms)}",
             f"  that message -> frame pushed (board)       ms: {percentiles(board_ms)}"]
    xvfb = f", Xvfb {r['xvfb_cpu']:.2f} %" if r["xvfb_cpu"] is not None else ""
    lines.append(f"  idle with running text: board CPU {r['idle_cpu']:.2f} % of one core{xvfb}; "
                 f"RSS {r['idle_rss']:.1f} MB idle, {r['peak_rss']:.1f} MB after the calls "
                 f"(of which {r['shm']:.1f} MB the frame shared with the X server)")
    measured = sorted(pixel or latencies)
    p99 = measured[min(len(measured) - 1, int(0.99 * len(measured)))] if measured else 1e9
    ok = r["idle_cpu"] < 3 and r["peak_rss"] < 80 and (w * h > 1920 * 1080 or p99 <= 30)
    return "\n".join(lines), ok


def take_tickets(client: Client, site: Path, need: int) -> None:
    """Enough waiting tickets for every press: the first service of each bench counter."""
    from antrian.config import load as load_site
    loaded = load_site(site)
    for i in range(need):
        service = loaded.counters[COUNTERS[i % len(COUNTERS)]].services[0]
        client.publish("kiosk/k1/take", {"service": service, "id": f"b-{i}"})
    client.wait(lambda: len(client.tickets) >= need, 60)


def table(results: list[dict]) -> str:
    """The figures of every size in one table (markdown, for docs/display.md)."""
    rows = ["| screen | press -> pixels p50 / p90 / p99 | idle CPU board + Xvfb | "
            "RSS idle / after calls (frame) |", "|---|---|---|---|"]
    for r in results:
        pixel = sorted(v for v in r["pixel"] if v is not None) or [float("nan")]
        p = lambda q: pixel[min(len(pixel) - 1, int(q * len(pixel)))]
        xvfb = f" + {r['xvfb_cpu']:.2f}" if r["xvfb_cpu"] is not None else ""
        rows.append(f"| {r['size'][0]}x{r['size'][1]} | {p(0.5):.1f} / {p(0.9):.1f} / "
                    f"{p(0.99):.1f} ms | {r['idle_cpu']:.2f}{xvfb} % | {r['idle_rss']:.1f} / "
                    f"{r['peak_rss']:.1f} MB ({r['shm']:.1f}) |")
    return "\n".join(rows)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=300)
    ap.add_argument("--idle", type=float, default=20.0, help="seconds of idle measurement")
    ap.add_argument("--sizes", default="1920x1080,3840x2160")
    ap.add_argument("--display", choices=("xvfb", "dummy"), default="xvfb",
                    help="xvfb: a real X server, pixels read from its framebuffer; dummy: SDL's "
                         "dummy driver (no pixels: the board's own trace only)")
    ap.add_argument("--db-dir", type=Path, help="where the queue service's SQLite file goes "
                    "(default: a temporary folder on disk; /dev/shm takes fsync stalls of a "
                    "shared disk out of the figures)")
    # 0.5 s between presses and 0.2 s of flash: a late turn of the previous call (a loaded
    # machine) must not make the next one wait for the panel, which would measure the queue.
    ap.add_argument("--interval", type=float, default=0.5, help="seconds between presses")
    args = ap.parse_args()
    sizes = [tuple(int(v) for v in s.split("x")) for s in args.sizes.split(",")]
    if args.display == "xvfb" and not shutil.which("Xvfb"):
        print("press_to_pixel: Xvfb is not installed (Debian: xvfb)", file=sys.stderr)
        return 1
    load = os.getloadavg()[0]
    results = []
    with tempfile.TemporaryDirectory() as tmp_name, Mosquitto(Path(tmp_name)) as broker:
        tmp = Path(tmp_name)
        site = tmp / "site.toml"
        # One bench client takes every ticket as one kiosk: lift the per-sender rate limit a
        # person at a kiosk is held to, as bench/throughput.py does.
        site.write_text(big_site_toml(broker.port, boards=BOARD)
                        + "\n[queue]\nrate_per_s = 100000\nburst = 1000000\n")
        env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy")
        db_name = f"bench-{uuid.uuid4().hex[:8]}.db"
        client = Client(broker.port, "big")
        serve = subprocess.Popen([sys.executable, "-m", "antrian.cli", "serve", "--config",
                                  str(site), "--db", str((args.db_dir or tmp) / db_name)],
                                 cwd=ROOT, env=env,
                                 stdout=(tmp / "serve.log").open("w"), stderr=subprocess.STDOUT)
        try:
            if not client.online.wait(15):
                print((tmp / "serve.log").read_text(), file=sys.stderr)
                return 1
            take_tickets(client, site, args.calls * len(sizes) + 20)
            for n, size in enumerate(sizes):
                results.append(run_board(args, size, site, env, client, tmp, n * args.calls))
        finally:
            stop(serve)
            client.c.loop_stop()
            if args.db_dir:
                for suffix in ("", "-wal", "-shm"):
                    (args.db_dir / (db_name + suffix)).unlink(missing_ok=True)
    print(f"press_to_pixel: {args.display}, 145 services, 50 counters, presses "
          f"{args.interval} s apart, load average at start {load:.1f}, queue database in "
          f"{args.db_dir or 'a temporary folder'}")
    all_ok = True
    for r in results:
        text, ok = report(r)
        all_ok &= ok
        print(text)
    print(table(results))
    print(f"targets (p99 <= 30 ms at 1080p, idle CPU < 3 %, RSS < 80 MB): "
          f"{'met' if all_ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
