"""How wrong are the waiting-time estimates? Simulated days of many shapes against the waits
that happened, and against a naive baseline.

    .venv/bin/python bench/estimate_accuracy.py [--seeds 5] [--services 30] [--only surge]

Each scenario (``simulation/scenarios.py``) is one shape of day played in two buildings:
counters shared by an agency's services (``[shared]``, as ``mpp_plan`` builds them) and one
service per counter, sized for a lighter load (``[own]``, where the naive baseline is at its
best). Shapes: the day the estimate was first tuned on; Pareto and lognormal CV 1.5 service
times; a morning surge; 20 % no-shows skipped after 10-25 s; breaks and mid-morning absences
closed without saying until when; the same absences with the counter left open (it just stops
calling); 40 % of counters opening between 9:00 and 10:30; two bursts of 30 priority visitors. Then two mixed: a quiet building, and the probe of issue 16 (Pareto,
surge, quick skips, silent closes, own counters, waits of a few minutes).

For every ticket, what the kiosk printed (``ticketing.estimate``, holding the day's figures as
``simulation.CurrentEstimate`` does) and what the naive baseline would have printed at the same
moment (tickets ahead x the day's mean service time / open counters serving the service) are
compared with the time until the ticket was first called. Only tickets both gave a figure for
count (before any counter is open neither does). Seconds: mean absolute error, p90 of the
absolute error, bias (mean of estimate minus truth), mean wait; "won" counts the seeds on which
the estimate's MAE was below the baseline's.

The second table is the tuned day's public page (from retained messages only), sampled every
10 minutes for every waiting ticket against the time that then remained, and the queue
service's own per-ticket projection ("exact").
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simulation import NaiveEstimate, errors, mpp_plan, simulate  # noqa: E402
from simulation.scenarios import scenarios  # noqa: E402


def compare(plan, seeds: int) -> dict:
    """Errors of the estimate and of the naive baseline over ``seeds`` days of ``plan``."""
    ours, naive, won = [], [], 0
    for seed in range(1, seeds + 1):
        result = simulate(plan, seed=seed, sample_every=0, compare={"naive": NaiveEstimate()})
        both = [(t.estimate, t.others["naive"], t.waited) for t in result.issued
                if None not in (t.estimate, t.others["naive"], t.waited)]
        day_ours = [(e, w) for e, _, w in both]
        day_naive = [(b, w) for _, b, w in both]
        won += errors(day_ours)["mae_s"] < errors(day_naive)["mae_s"]
        ours += day_ours
        naive += day_naive
    return {"ours": errors(ours), "naive": errors(naive), "won": won}


def page(plan, seeds: int) -> dict:
    """The public page's and the exact per-ticket errors on ``plan``, every 10 minutes."""
    live, exact = [], []
    for seed in range(1, seeds + 1):
        result = simulate(plan, seed=seed, sample_every=600.0)
        live += result.samples
        exact += result.samples_exact
    return {"live": errors(live), "exact": errors(exact)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--services", type=int, default=30)
    ap.add_argument("--only", nargs="*", help="scenarios whose name contains one of these")
    args = ap.parse_args()
    plan = mpp_plan(args.services)
    print(f"{args.seeds} simulated days per scenario, {len(plan.services)} services, "
          f"~{plan.visitors:.0f} tickets a day; seconds")
    print(f"{'scenario':48s} {'MAE':>6s} {'p90':>6s} {'bias':>6s} | {'naive':>6s} {'p90':>6s}"
          f" {'bias':>6s} | {'wait':>6s} {'won':>5s} {'tickets':>8s}")
    t0 = time.perf_counter()
    losses = 0
    for name, p in scenarios(plan, args.only):
        r = compare(p, args.seeds)
        o, b = r["ours"], r["naive"]
        losses += o["mae_s"] >= b["mae_s"]
        print(f"{name:48s} {o['mae_s']:6.0f} {o['p90_abs_s']:6.0f} {o['bias_s']:+6.0f} |"
              f" {b['mae_s']:6.0f} {b['p90_abs_s']:6.0f} {b['bias_s']:+6.0f} |"
              f" {o['mean_wait_s']:6.0f} {r['won']:>2d}/{args.seeds:<2d} {o['n']:8d}", flush=True)
    if not args.only:
        r = page(plan, min(args.seeds, 3))
        print(f"the page on the tuned day: MAE {r['live']['mae_s']:.0f} s, bias "
              f"{r['live']['bias_s']:+.0f} s; exact per ticket: MAE {r['exact']['mae_s']:.0f} s"
              f" (mean remaining wait {r['live']['mean_wait_s']:.0f} s)")
    print(f"({time.perf_counter() - t0:.0f} s; scenarios where the estimate lost on the mean "
          f"over all seeds: {losses})")
    return 1 if losses else 0


if __name__ == "__main__":
    sys.exit(main())
