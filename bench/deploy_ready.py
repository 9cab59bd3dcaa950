"""How long each program takes to tell systemd READY, how regular its watchdog pings are, and how
long it takes to stop: the figures behind the units' TimeoutStartSec, WatchdogSec and
TimeoutStopSec.

    .venv/bin/python bench/deploy_ready.py

Each program runs as systemd starts it (NOTIFY_SOCKET, WATCHDOG_USEC, WATCHDOG_PID) against a
private Mosquitto and the 40-service example site; the board renders with SDL's dummy driver.
Figures from a development machine: a Raspberry Pi 4 is several times slower at start-up.
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "deploy"))

from antrian.devbroker import Mosquitto, free_port  # noqa: E402
from deploy_notify import NotifyListener  # noqa: E402

WATCHDOG_S = 2.0        # WatchdogSec for the run: pings are expected every second
PING_WINDOW_S = 8.0

EXTRA = """
[voice]
enabled = false

[[board]]
id = "lobby"

[[panel]]
counter = "1"
next = 17
led = 24
"""


def site_file(work: Path, port: int) -> Path:
    text = (ROOT / "examples" / "mpp.toml").read_text().replace("port = 1883", f"port = {port}")
    path = work / "site.toml"
    path.write_text(text + EXTRA)
    return path


def measure(name: str, argv: list[str], work: Path) -> dict:
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy",
           "GPIOZERO_PIN_FACTORY": "mock", "XDG_DATA_HOME": str(work / "xdg"),
           "STATE_DIRECTORY": str(work / "state"), "WATCHDOG_USEC": str(int(WATCHDOG_S * 1e6))}
    log = work / f"{name}.log"
    with NotifyListener() as listener:
        env["NOTIFY_SOCKET"] = listener.path
        started = time.monotonic()
        proc = subprocess.Popen(["/bin/sh", "-c", 'WATCHDOG_PID=$$; export WATCHDOG_PID; exec "$@"',
                                 "sh", *argv], cwd=ROOT, env=env, stdout=log.open("ab"),
                                stderr=subprocess.STDOUT)
        try:
            ready = listener.wait_for("READY=1", timeout=60)
            dogs = [m for m in listener.collect(PING_WINDOW_S) if m.text == "WATCHDOG=1"]
            gaps = [b.at - a.at for a, b in zip(dogs, dogs[1:])]
            stop_at = time.monotonic()
            proc.terminate()
            proc.wait(30)
            stopped = time.monotonic() - stop_at
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return {"ready_s": ready.at - started, "pings": len(dogs),
            "gap_mean_s": statistics.mean(gaps) if gaps else float("nan"),
            "gap_max_s": max(gaps) if gaps else float("nan"), "stop_s": stopped,
            "exit": proc.returncode}


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="antrian-bench-") as tmp:
        work = Path(tmp)
        with Mosquitto(work) as broker:
            site = str(site_file(work, broker.port))
            py = sys.executable
            programs = [
                ("serve", [py, "-m", "antrian", "serve", "--config", site,
                           "--db", str(work / "queue.db")]),
                ("board", [py, "-m", "antrian", "display", "--config", site, "--board", "lobby",
                           "--size", "1920x1080"]),
                ("web", [py, "-m", "antrian", "web", "--config", site, "--host", "127.0.0.1",
                         "--port", str(free_port())]),
                ("counter", [py, "-m", "antrian", "counter", "--config", site, "--counter", "1"]),
            ]
            print(f"WatchdogSec={WATCHDOG_S:g} s (pings due every {WATCHDOG_S / 2:g} s), "
                  f"{PING_WINDOW_S:g} s of pings, 40-service example site")
            print(f"{'program':8} {'READY after':>12} {'pings':>6} {'mean gap':>9} "
                  f"{'max gap':>8} {'stop':>7} {'exit':>5}")
            serve = None
            for name, argv in programs:
                if name != "serve" and serve is None:
                    # The others want the queue's retained state: keep a queue service running.
                    serve = subprocess.Popen(programs[0][1], cwd=ROOT,
                                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                    time.sleep(2)
                r = measure(name, argv, work)
                print(f"{name:8} {r['ready_s']:>11.2f}s {r['pings']:>6} {r['gap_mean_s']:>8.2f}s "
                      f"{r['gap_max_s']:>7.2f}s {r['stop_s']:>6.2f}s {r['exit']:>5}")
            if serve:
                serve.send_signal(signal.SIGTERM)
                serve.wait(30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
