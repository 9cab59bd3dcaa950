"""The simulated day: real rules, a fixed clock, and an honest measure of the estimates."""

from __future__ import annotations

import dataclasses
from collections import Counter

from simulation import mpp_plan, plan_toml, simple_estimate, simulate
from antrian import config
import tomllib


def small_plan():
    return mpp_plan(12, visitors=700)


def test_a_simulated_day_is_reproducible_and_every_command_is_accepted():
    plan = small_plan()
    a = simulate(plan, seed=5, sample_every=0)
    b = simulate(plan, seed=5, sample_every=0)
    assert a.events == b.events
    assert a.refused == 0
    kinds = Counter(e["type"] for e in a.events)
    assert kinds["issued"] == len(a.issued) > 400
    assert kinds["missed"] > 0 and kinds["transferred"] > 0 and kinds["closed"] > 0
    # every visitor who took a ticket was called before the building closed
    assert all(t.waited is not None for t in a.issued)
    # arrivals peak mid-morning
    hours = Counter(int((t.issued_at - plan.at(0)) // 3600) for t in a.issued)
    assert max(hours, key=hours.get) in (9, 10)


def test_the_estimate_beats_the_first_simple_one_against_the_waits_that_happened():
    plan = small_plan()
    ours = simulate(plan, seed=2, sample_every=0).accuracy()
    simple = simulate(plan, seed=2, sample_every=0, estimator=simple_estimate).accuracy()
    assert ours["mae_s"] < simple["mae_s"]
    assert ours["mae_s"] < 0.6 * ours["mean_wait_s"]


def test_without_breaks_the_estimate_is_close_to_what_happens():
    plan = small_plan()
    steady = dataclasses.replace(plan, counters=tuple(
        dataclasses.replace(c, shifts=((8.0, 15.0),)) for c in plan.counters))
    acc = simulate(steady, seed=3, sample_every=1200).accuracy()
    assert acc["mae_s"] < 0.35 * acc["mean_wait_s"]
    assert abs(acc["bias_s"]) < 0.2 * acc["mean_wait_s"]
    assert acc["live"]["n"] > 100


def test_the_plan_renders_as_a_valid_site_toml():
    plan = mpp_plan(145)
    site = config.parse(tomllib.loads(plan_toml(plan, site="bogor")))
    assert len(site.services) == 145
    assert {s.prefix for s in site.services.values()} >= {"A", "2A", "6O"}
    assert site.service_of_ticket("2A-007").id == list(site.services)[26]
