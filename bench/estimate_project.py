"""What one projection of the building costs: ``ticketing.estimate.project`` on a big, busy day.

    .venv/bin/python bench/estimate_project.py [--counters 50] [--services 60] [--tickets 10000]
                                               [--waiting 3000] [--repeat 30]

Builds the state through the real rules (``handle``/``apply``): ``--services`` services, each
counter serving one to three of them, ``--tickets`` taken during the day, all but ``--waiting``
of them called and done, then every counter busy with a visitor. Prints milliseconds per call:

- ``project(state, now, observed=held)``: as a caller holding the day's figures does (the
  simulation; the queue service once it holds an ``Observed``), after one new ticket;
- ``project(state, now)``: a fresh ``Observed`` reads every ticket of the day first;
- ``wait_from`` on a held projection: what each take costs between projections.

The queue service projects at most once a second (``mqtt.service.ESTIMATE_MAX_AGE``), so the
first figure over 1000 ms is the share of one core the estimate takes while lines are long.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ticketing import Press, QueueState, Take, apply, handle  # noqa: E402
from ticketing.estimate import project, wait_from  # noqa: E402
from ticketing.observed import Observed  # noqa: E402
from ticketing.rules import waiting_order  # noqa: E402

T0 = 1_795_830_000.0


def building(counters: int, services: int, tickets: int, waiting: int) -> tuple[QueueState, float]:
    ids = [f"s{i}" for i in range(services)]
    state = QueueState.new("2026-11-30", [(sid, f"{i + 1}A", "-", 4, 300.0 + 10 * (i % 20))
                                          for i, sid in enumerate(ids)],
                           [(str(c), f"Loket {c}", tuple(ids[(c + k) % services]
                                                          for k in range(1 + c % 3)))
                            for c in range(counters)])
    now, n = T0, 0

    def run(command) -> None:
        nonlocal n
        n += 1
        for event in handle(state, command, now):
            apply(state, event)

    for cid in state.counters:
        run(Press(cid, "open", request=f"counter-{cid}:o"))
    for i in range(tickets):
        now += 1.0
        run(Take(ids[i % services], request=f"kiosk-k1:{i}", kiosk="k1", priority=i % 20 == 0))
    served = tickets - waiting
    cids = list(state.counters)
    while served > 0:
        for cid in cids:
            now += 2.0
            before = state.counters[cid].ticket
            run(Press(cid, "next", request=f"counter-{cid}:{n}"))
            if before is not None:
                served -= 1
            if served <= 0:
                break
    return state, now


def per_call(fn, repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), max(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--counters", type=int, default=50)
    ap.add_argument("--services", type=int, default=60)
    ap.add_argument("--tickets", type=int, default=10000)
    ap.add_argument("--waiting", type=int, default=3000)
    ap.add_argument("--repeat", type=int, default=30)
    args = ap.parse_args()
    state, now = building(args.counters, args.services, args.tickets, args.waiting)
    waiting = sum(line.waiting for line in state.lines.values())
    print(f"{len(state.counters)} counters, {len(state.lines)} services, {len(state.tickets)} "
          f"tickets today, {waiting} waiting; ms per call (median, max of {args.repeat})")
    held = Observed()
    project(state, now, observed=held)
    clock = [now]

    def with_held() -> None:
        clock[0] += 1.0
        project(state, clock[0], observed=held)

    rows = [("project(state, now, observed=held)", with_held),
            ("project(state, now)  (fresh: reads all tickets)", lambda: project(state, now))]
    p = project(state, now, observed=held)
    order = waiting_order(state, "s0")
    rows.append(("wait_from(held projection, ...)  (per take)",
                 lambda: wait_from(p, "s0", order, len(order), 0.5)))
    for name, fn in rows:
        median, worst = per_call(fn, args.repeat)
        print(f"  {name:52s} {median:7.2f} {worst:7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
