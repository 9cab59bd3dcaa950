"""What a simulated day produced: every ticket's estimate against the wait that happened.

    >>> result = simulate(mpp_plan(), seed=1)
    >>> result.accuracy()["mae_s"]          # mean absolute error of the estimate at issue
    >>> store.append(result.events)          # a realistic event log for reports and tests
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ticketing import QueueState, apply
from simulation.plan import DayPlan, fresh_state


@dataclass
class Issued:
    """One ticket: what the visitor was told at the kiosk and what happened."""
    ticket: str
    service: str
    issued_at: float
    ahead: int
    estimate: float | None
    waited: float | None = None        # first call minus issue; None if never called
    others: dict[str, float | None] = field(default_factory=dict)   # simulate(compare=...)


@dataclass
class SimResult:
    plan: DayPlan
    state: QueueState
    events: list[dict] = field(default_factory=list)
    issued: list[Issued] = field(default_factory=list)
    # (estimate, what then really remained) for waiting tickets, sampled through the day
    samples: list[tuple[float, float]] = field(default_factory=list)
    samples_exact: list[tuple[float, float]] = field(default_factory=list)
    refused: int = 0

    def state_at(self, ts: float) -> QueueState:
        """The queue state as it was at ``ts`` (the day's events replayed up to then)."""
        state = fresh_state(self.plan)
        for event in self.events:
            if event["ts"] > ts:
                break
            apply(state, event)
        return state

    def pairs(self, name: str | None = None) -> list[tuple[float, float]]:
        """(estimate at the kiosk, wait that happened) of every ticket that had both; ``name``:
        the estimates of that compared estimator instead."""
        told = ((t.estimate if name is None else t.others.get(name), t.waited)
                for t in self.issued)
        return [(e, w) for e, w in told if e is not None and w is not None]

    def accuracy(self, name: str | None = None) -> dict:
        """Errors of the estimates (``name``: a compared estimator's) against the waits that
        really happened (seconds)."""
        told = [t.estimate if name is None else t.others.get(name) for t in self.issued]
        return {"tickets": len(self.issued),
                "never_called": sum(1 for t in self.issued if t.waited is None),
                "no_estimate": sum(1 for e in told if e is None),
                **errors(self.pairs(name)),
                "live": errors(self.samples),
                "live_exact": errors(self.samples_exact)}


def errors(pairs: list[tuple[float, float]]) -> dict:
    """Mean, median and p90 (nearest rank) absolute error, bias (estimate minus truth) and the
    mean wait, in seconds."""
    if not pairs:
        return {"n": 0, "mae_s": None, "median_abs_s": None, "p90_abs_s": None, "bias_s": None,
                "mean_wait_s": None}
    diffs = sorted(abs(e - a) for e, a in pairs)
    n = len(diffs)
    return {"n": n,
            "mae_s": round(sum(diffs) / n, 1),
            "median_abs_s": round(diffs[n // 2], 1),
            "p90_abs_s": round(diffs[max(0, -(-9 * n // 10) - 1)], 1),
            "bias_s": round(sum(e - a for e, a in pairs) / n, 1),
            "mean_wait_s": round(sum(a for _, a in pairs) / n, 1)}
