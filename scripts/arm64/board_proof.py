"""The example mall's lobby board, for real: a screenshot and its memory at 1080p.

    $ python3 scripts/arm64/board_proof.py --out DIR [--size 1920x1080] [--idle 120]

Starts a private Mosquitto on a free port and the queue service with ``examples/mpp.toml``
(pointed at that broker), takes tickets and calls some of them, then runs the real board process
(``antrian display``, SDL's dummy video driver):
  1. ``--screenshot DIR/board-lobby-WxH.png`` once it has the service's state;
  2. idle with its running text for ``--idle`` seconds under ``rss_probe.py``, at each of
     ``--memory-sizes``, which records its resident memory (see that file for what is measured
     under qemu-user).
Writes DIR/board.json. Exit status 0 when both worked.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from antrian.devbroker import stop_process  # noqa: E402
from support.broker import Mosquitto  # noqa: E402
from support.queue import QueueProcess  # noqa: E402

# Emulated, a Python process starts in seconds rather than tenths: generous, never slept on.
STARTUP = 300.0
CALLS = [("1", "ktp"), ("2", "ktp"), ("7", "paspor-baru"), ("11", "pkb"), ("15", "skck"),
         ("18", "bpjs-kes")]


def example_site(tmp: Path, port: int) -> Path:
    """examples/mpp.toml with its [broker] on our private port, no secrets file, and without
    its opening hours: the mall is open whenever this runs, so the board has calls to show."""
    text = (ROOT / "examples" / "mpp.toml").read_text(encoding="utf-8")
    text, n = re.subn(r"(?ms)^\[opening[^\n]*\n.*?(?=^\[(?!opening))", "", text)
    assert n >= 1, "examples/mpp.toml: no [opening] table"
    text, n = re.subn(r"(?m)^port = 1883$", f"port = {port}", text, count=1)
    assert n == 1, "examples/mpp.toml: no 'port = 1883' line under [broker]"
    text = re.sub(r'(?m)^secrets = "secrets.toml"$', "", text, count=1)
    site = tmp / "mpp.toml"
    site.write_text(text, encoding="utf-8")
    return site


def fill_queue(queue: QueueProcess) -> list[str]:
    """A morning's beginning: a few tickets per service, some of them called."""
    called = []
    for counter, service in CALLS:
        for _ in range(3):
            queue.take(service)
        queue.press(counter, "open")
        state = queue.press(counter, "next")
        called.append(f"{counter}:{state.get('ticket') or state.get('current') or state}")
    return called


def board_env() -> dict:
    return dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy",
                PYGAME_HIDE_SUPPORT_PROMPT="1")


def screenshot(site: Path, out: Path, size: str) -> dict:
    shot = out / f"board-lobby-{size}.png"
    shot.unlink(missing_ok=True)
    t0 = time.monotonic()
    run = subprocess.run([sys.executable, "-m", "antrian", "display", "--config", str(site),
                          "--board", "lobby", "--size", size, "--screenshot", str(shot)],
                         cwd=ROOT, env=board_env(), capture_output=True, text=True,
                         timeout=STARTUP)
    (out / "logs" / "board-screenshot.log").write_text(run.stdout + run.stderr)
    ok = run.returncode == 0 and shot.exists() and shot.stat().st_size > 10_000
    return {"ok": ok, "path": str(shot), "bytes": shot.stat().st_size if shot.exists() else 0,
            "seconds": round(time.monotonic() - t0, 1)}


def memory(site: Path, out: Path, size: str, idle: float) -> dict:
    """RSS samples of the board idle with its running text (the marquee keeps it drawing)."""
    samples = out / f"board-rss-{size}.json"
    samples.unlink(missing_ok=True)
    log = out / "logs" / f"board-rss-{size}.log"
    every = max(idle / 8, 1.0)
    with log.open("w") as f:
        proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("rss_probe.py")), "--out",
             str(samples), "--every", str(every), "--", "display", "--config", str(site),
             "--board", "lobby", "--size", size, "--run-for", str(idle)],
            cwd=ROOT, env=board_env(), stdout=f, stderr=subprocess.STDOUT)
        try:
            code = proc.wait(timeout=idle + STARTUP)
        finally:
            stop_process(proc)
    rows = json.loads(samples.read_text()) if samples.exists() else []
    good = [r for r in rows if "guest_rss_mb" in r]
    last = good[-1] if good else {}
    return {"ok": code == 0 and bool(good), "exit": code, "samples": len(good),
            "guest_rss_mb": last.get("guest_rss_mb"),
            "guest_rss_max_mb": max((r["guest_rss_mb"] for r in good), default=None),
            "process_rss_mb": last.get("process_rss_mb"),
            "after_s": last.get("after_s")}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--size", default="1920x1080", help="screenshot size")
    p.add_argument("--memory-sizes", default="1920x1080,3840x2160",
                   help="comma-separated sizes to measure the memory at")
    # 120 s: a 4K board's memory grows for its first minute (glyph and text caches filling),
    # then holds (x86_64 here: 84 MB at 30 s, 88 MB from 60 s to 180 s).
    p.add_argument("--idle", type=float, default=120.0,
                   help="seconds of idle board to measure")
    args = p.parse_args(argv)
    (args.out / "logs").mkdir(parents=True, exist_ok=True)
    result: dict = {"machine": platform.machine(), "size": args.size}
    with tempfile.TemporaryDirectory(prefix="arm64-board-") as tmp_name:
        tmp = Path(tmp_name)
        broker = Mosquitto(tmp).start()
        queue = None
        try:
            site = example_site(tmp, broker.port)
            queue = QueueProcess(site, tmp / "queue.db", broker).start(wait=False)
            t0 = time.monotonic()
            queue.wait_online(timeout=STARTUP)
            result["queue_online_s"] = round(time.monotonic() - t0, 1)
            result["called"] = fill_queue(queue)
            result["screenshot"] = screenshot(site, args.out, args.size)
            result["memory"] = {size: memory(site, args.out, size, args.idle)
                                for size in args.memory_sizes.split(",")}
        finally:
            if queue:
                queue.close()
            broker.stop()
    (args.out / "board.json").write_text(json.dumps(result, indent=1))
    print(json.dumps(result, indent=1))
    ok = result["screenshot"]["ok"] and all(m["ok"] for m in result["memory"].values())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
