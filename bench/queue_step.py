"""The queue service's own work per press, in-process (no broker, no wall-clock noise of one).

    .venv/bin/python bench/queue_step.py [--presses 200] [--spacing 0.5]

A site as large as MPP Kota Bogor (145 services, 50 counters), the real ``QueueService`` and
SQLite file, a recording connection (tests/ops/ops_kit.py) and a clock that moves ``--spacing``
seconds per press, as bench/press_to_pixel.py presses. Prints ``step()`` per press and, from
cProfile, how many times the building was played forward (the estimate) and its share of
``step()``. Profile shares are a guide on a loaded machine; the wall figures want a quiet one.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "display"),
                str(ROOT / "tests" / "ops")]

from antrian import config  # noqa: E402
from board_fakes import big_site_toml  # noqa: E402
from mqtt.service import QueueService  # noqa: E402
from mqtt.store import Store  # noqa: E402
from ops_kit import RecordingConnection  # noqa: E402

COUNTERS = [str(i) for i in range(1, 11)]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--presses", type=int, default=200)
    ap.add_argument("--spacing", type=float, default=0.5, help="clock seconds between presses")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    (tmp / "site.toml").write_text(big_site_toml(1883) + "\n[queue]\nrate_per_s = 100000\n"
                                   "burst = 1000000\n")
    site = config.load(tmp / "site.toml")
    now = [time.time()]
    conn = RecordingConnection(site)
    service = QueueService(site, Store(tmp / "q.db"), connection=conn, clock=lambda: now[0],
                           ticket_secret=b"s" * 32)
    service.step([("republish",)])
    mid = [0]

    def send(topic: str, body: dict) -> float:
        mid[0] += 1
        msg = SimpleNamespace(qos=1, mid=mid[0], retain=False,
                              properties=SimpleNamespace(ResponseTopic=None, CorrelationData=b""))
        t0 = time.perf_counter()
        service.step([("msg", f"antrian/{site.site}/{topic}", json.dumps(body).encode(), msg)])
        return (time.perf_counter() - t0) * 1000

    for i in range(2 * args.presses + 20):
        send("kiosk/k1/take", {"service": site.counters[COUNTERS[i % 10]].services[0],
                               "id": f"t{i}"})

    def press(i: int) -> float:
        now[0] += args.spacing
        return send(f"counter/{COUNTERS[i % 10]}/press", {"action": "next", "id": f"p{i}"})

    wall = sorted(press(i) for i in range(args.presses))
    profile = cProfile.Profile()
    profile.enable()
    for i in range(args.presses, 2 * args.presses):
        press(i)
    profile.disable()
    stats = pstats.Stats(profile).stats
    project = next((v for k, v in stats.items() if k[2] == "project"), (0, 0, 0, 0))
    step = next(v for k, v in stats.items() if k[2] == "step")
    print(f"queue_step: {args.presses} presses {args.spacing} s apart, 145 services, "
          f"50 counters, load average {__import__('os').getloadavg()[0]:.1f}")
    print(f"  step() per press ms: p50 {statistics.median(wall):.2f}  "
          f"p99 {wall[int(0.99 * len(wall))]:.2f}  max {wall[-1]:.2f}")
    print(f"  estimate played forward {project[1]} times for {args.presses} presses, "
          f"{100 * project[3] / step[3]:.0f} % of step() (cProfile)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
