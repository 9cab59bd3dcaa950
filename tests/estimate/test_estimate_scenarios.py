"""Days of other shapes than the one the estimate was tuned on (issue 16): each shape does what
it says, and on every one the estimate beats the naive baseline. A small, seeded version of
``bench/estimate_accuracy.py`` (which plays 30 services and more seeds, and prints the table of
docs/web.md)."""

from __future__ import annotations

import math
import statistics
import subprocess
import sys
from collections import Counter

import pytest

from simulation import NaiveEstimate, errors, mpp_plan, simulate
from simulation.scenarios import scenarios

PLAN = mpp_plan(10, visitors=500)
SEEDS = (1, 2)


def by_name(part: str):
    return next(p for name, p in scenarios(PLAN) if part in name)


@pytest.mark.parametrize("name, plan", scenarios(PLAN), ids=[n for n, _ in scenarios(PLAN)])
def test_the_estimate_beats_the_naive_baseline(name, plan):
    ours, naive = [], []
    for seed in SEEDS:
        day = simulate(plan, seed=seed, sample_every=0, compare={"naive": NaiveEstimate()})
        both = [(t.estimate, t.others["naive"], t.waited) for t in day.issued
                if None not in (t.estimate, t.others["naive"], t.waited)]
        assert len(both) > 300, "a day with hardly any estimate measures nothing"
        ours += [(e, w) for e, _, w in both]
        naive += [(b, w) for _, b, w in both]
    mine, theirs = errors(ours), errors(naive)
    assert mine["mae_s"] < theirs["mae_s"], (name, mine, theirs)


def test_pareto_days_have_a_heavier_tail_than_lognormal_ones():
    def service_times(plan):
        day = simulate(plan, seed=1, sample_every=0, estimator=lambda *a: None)
        return [t.service_time / next(s.mean_s for s in plan.services if s.id == t.service)
                for t in day.state.tickets.values() if t.service_time]
    tuned, pareto = service_times(by_name("tuned")), service_times(by_name("Pareto"))
    assert max(pareto) > 2 * max(tuned)
    assert statistics.median(pareto) < statistics.median(tuned)


def test_silent_closes_say_no_time_and_late_counters_open_after_nine():
    day = simulate(by_name("closes without saying until when [shared]"), seed=1, sample_every=0,
                   estimator=lambda *a: None)
    closes = [e for e in day.events if e["type"] == "closed"]
    assert closes and all(e.get("until") is None for e in closes)
    tuned = simulate(by_name("tuned: the day it was tuned on [shared]"), seed=1, sample_every=0,
                     estimator=lambda *a: None)
    assert any(e.get("until") for e in tuned.events if e["type"] == "closed")
    plan = by_name("counters opening late [shared]")
    late = simulate(plan, seed=1, sample_every=0, estimator=lambda *a: None)
    first_open: dict[str, float] = {}
    for e in late.events:
        if e["type"] == "opened":
            first_open.setdefault(e["counter"], e["ts"])
    assert any(ts >= plan.at(9.0) for ts in first_open.values())


def test_a_priority_burst_brings_many_priority_visitors_at_once():
    plan = by_name("priority bursts (2 x 30 at once) [shared]")
    day = simulate(plan, seed=1, sample_every=0, estimator=lambda *a: None)
    minutes = Counter(math.floor((t.issued_at - plan.at(0)) / 300)
                      for t in day.state.tickets.values() if t.priority)
    assert max(minutes.values()) >= 25


def test_the_domain_does_not_import_the_simulation():
    code = ("import sys, pkgutil, importlib, ticketing\n"
            "for m in pkgutil.iter_modules(ticketing.__path__):\n"
            "    importlib.import_module('ticketing.' + m.name)\n"
            "print('simulation' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_staff_away_without_closing_leave_the_counter_open_and_calling_nothing():
    quiet = lambda name: simulate(by_name(name), seed=1, sample_every=0,  # noqa: E731
                                  estimator=lambda *a: None)
    away, closing = quiet("staff away, counter left open [own]"), quiet("until when [own]")
    closes = lambda day: sum(e["type"] == "closed" for e in day.events)  # noqa: E731
    assert closes(away) < closes(closing)
    # the visitor left called while staff were away is finished only when they are back
    longest = max(t.service_time for t in away.state.tickets.values() if t.service_time)
    assert longest > 15 * 60
