"""Simulated days at a Mal Pelayanan Publik, run through the real queue rules.

Used by tests, benches and ``make demo``; not part of the shipped packages (the domain,
``ticketing``, does not depend on it).

    >>> from simulation import mpp_plan, simulate
    >>> simulate(mpp_plan(12, visitors=700), seed=1).accuracy()["mae_s"]
"""

from simulation.day import Estimator, simulate
from simulation.estimators import (CurrentEstimate, NaiveEstimate, current_estimate, naive_estimate,
                                   retained_view, simple_estimate)
from simulation.plan import (CATALOGUE, DayPlan, SimCounter, SimService, fresh_state, mpp_plan,
                             plan_toml, prefix_for, service_id)
from simulation.result import Issued, SimResult, errors

__all__ = [
    "Estimator", "simulate", "CurrentEstimate", "NaiveEstimate", "current_estimate",
    "naive_estimate", "retained_view", "simple_estimate", "CATALOGUE", "DayPlan", "SimCounter",
    "SimService", "fresh_state", "mpp_plan", "plan_toml", "prefix_for", "service_id", "Issued",
    "SimResult", "errors",
]
