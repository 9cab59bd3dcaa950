"""Days of other shapes than the one the estimate was first tuned on (issue 16).

    >>> for name, plan in scenarios(mpp_plan(30)):
    ...     simulate(plan, seed=1, compare={"naive": NaiveEstimate()})

Each scenario changes one thing of the base plan (``DayPlan`` knobs), and the last changes
several at once, as an independent probe of the real service did: a short-waits building with
heavy-tailed service times, a morning surge, quick no-show skips and silent closes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from simulation.plan import DayPlan, mpp_plan

Shape = Callable[[DayPlan], DayPlan]


def _with(**knobs) -> Shape:
    return lambda plan: dataclasses.replace(plan, **knobs)


def _quiet(plan: DayPlan) -> DayPlan:
    """The same building with about twice the counters its visitors need: waits of minutes."""
    base = mpp_plan(len(plan.services), visitors=plan.visitors, load=0.55)
    return dataclasses.replace(base, **{f.name: getattr(plan, f.name)
                                        for f in dataclasses.fields(plan)
                                        if f.name not in ("services", "counters")})


def _dedicated(plan: DayPlan, load: float = 0.8) -> DayPlan:
    """The same services, each with counters of its own, sized for ``load`` at the peak."""
    base = mpp_plan(len(plan.services), visitors=plan.visitors, load=load, dedicated=True)
    return dataclasses.replace(base, **{f.name: getattr(plan, f.name)
                                        for f in dataclasses.fields(plan)
                                        if f.name not in ("services", "counters")})


def _probe(plan: DayPlan) -> DayPlan:
    return _dedicated(dataclasses.replace(
        plan, service_dist="pareto", pareto_alpha=2.1, peak_h=8.6, peak_width_h=0.45, base=0.2,
        no_show=0.15, skip_after_s=(8.0, 25.0), say_until=False, absences=0.3), load=0.6)


SHAPES: dict[str, Shape] = {
    "tuned: the day it was tuned on": _with(),
    "heavy tail: Pareto service times": _with(service_dist="pareto", pareto_alpha=2.1),
    "heavy tail: lognormal, CV 1.5": _with(cv=1.5),
    "morning surge at 8:30": _with(peak_h=8.6, peak_width_h=0.45, base=0.2),
    "no-shows skipped after 10-25 s": _with(no_show=0.2, skip_after_s=(10.0, 25.0),
                                            come_back=0.2),
    "closes without saying until when": _with(say_until=False, absences=0.4),
    "staff away, counter left open": _with(absences=0.4, away_open=True),
    "counters opening late": _with(late_open=0.4),
    "priority bursts (2 x 30 at once)": _with(priority_bursts=((9.5, 30), (10.75, 30))),
}

# The buildings each shape is played in: counters shared by an agency's services, as
# ``mpp_plan`` builds them, or one service per counter (where the naive baseline is strongest:
# it counts a shared counter whole), sized for a lighter load.
BUILDINGS: dict[str, Shape] = {
    "shared": _with(),
    "own": _dedicated,
}

# Several changes at once, as the independent probe of issue 16 found them.
EXTRA: dict[str, Shape] = {
    "quiet building (waits of minutes)": _quiet,
    "probe: all of it, quiet, own counters": _probe,
}


def scenarios(plan: DayPlan, names: list[str] | None = None) -> list[tuple[str, DayPlan]]:
    """(name, plan) for each shape in each building, then the mixed ones (``names``: only those
    whose name contains one of them)."""
    out = [(f"{shape_name} [{building}]", building_of(shape(plan)))
           for building, building_of in BUILDINGS.items()
           for shape_name, shape in SHAPES.items()]
    out += [(name, shape(plan)) for name, shape in EXTRA.items()]
    return [(n, p) for n, p in out if names is None or any(x in n for x in names)]
