"""How wrong are the waiting-time estimates? Simulated days against the waits that happened.

    .venv/bin/python bench/estimate_accuracy.py [--days 5] [--services 30]

Each day (ticketing/simulate.py): Poisson arrivals peaking at 10:00, lognormal service times
that differ by service, TOML priors off by -40..+50 %, late openings, lunch in turns (single-desk
agencies close 12-13), no-shows, returns, transfers. Figures, in minutes:

- at the kiosk: the estimate printed on the ticket (``est_wait_s`` of the ``ticket`` event)
  against the time until the ticket was first called;
- on the page: the per-ticket estimate the public page shows (from retained messages only),
  sampled every 10 minutes for every waiting ticket, against the time that then remained;
- "exact": the same per ticket if the queue service published its own projection per ticket.

The first simple estimate (work ahead / open counters) is printed alongside as the baseline.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simulation import mpp_plan, simple_estimate, simulate  # noqa: E402


def run(plan, days: int, **kw) -> dict:
    keys = ("mae_s", "median_abs_s", "p90_abs_s", "bias_s", "mean_wait_s")
    totals: dict[str, list[float]] = {}
    for seed in range(1, days + 1):
        a = simulate(plan, seed=seed, **kw).accuracy()
        for k in keys:
            totals.setdefault(k, []).append(a[k])
        for part in ("live", "live_exact"):
            totals.setdefault(f"{part}_mae_s", []).append(a[part]["mae_s"] or 0.0)
        totals.setdefault("tickets", []).append(a["tickets"])
        totals.setdefault("no_estimate", []).append(a["no_estimate"])
    return {k: sum(v) / len(v) for k, v in totals.items()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=5)
    ap.add_argument("--services", type=int, default=30)
    args = ap.parse_args()
    plan = mpp_plan(args.services)
    no_lunch = dataclasses.replace(plan, counters=tuple(
        dataclasses.replace(c, shifts=((8.0, 15.0),)) for c in plan.counters))
    print(f"{args.days} simulated days, {len(plan.services)} services, {len(plan.counters)} "
          f"counters, ~{plan.visitors:.0f} tickets a day; minutes")
    print(f"{'':38s} {'MAE':>6s} {'median':>7s} {'p90':>6s} {'bias':>6s} {'wait':>6s}"
          f" {'page MAE':>9s} {'exact':>6s}")
    t0 = time.perf_counter()
    for name, p, kw in [("estimate (ticketing/estimate.py)", plan, {}),
                        ("baseline (work ahead / counters)", plan,
                         {"estimator": simple_estimate, "sample_every": 0}),
                        ("estimate, a day without lunch breaks", no_lunch, {}),
                        ("baseline, a day without lunch breaks", no_lunch,
                         {"estimator": simple_estimate, "sample_every": 0})]:
        r = run(p, args.days, **kw)
        live = (f" {r['live_mae_s'] / 60:9.1f} {r['live_exact_mae_s'] / 60:6.1f}"
                if kw.get("sample_every", 1) else "")
        print(f"{name:38s} {r['mae_s'] / 60:6.1f} {r['median_abs_s'] / 60:7.1f}"
              f" {r['p90_abs_s'] / 60:6.1f} {r['bias_s'] / 60:+6.1f} {r['mean_wait_s'] / 60:6.1f}"
              + live)
    print(f"({time.perf_counter() - t0:.1f} s; tickets issued while no counter was open for "
          "their service get no estimate and are left out)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
