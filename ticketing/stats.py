"""The day's figures from the queue state: what the building manager asks for."""

from __future__ import annotations

import math
from statistics import median
from typing import Any

from ticketing.model import CALLED, DONE, EXPIRED, MISSED, WAITING, QueueState


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    # The smallest value with at least q% of the values at or below it: rank ceil(q/100 * n).
    # (round(x + 0.5) rounds half to even, so p90 of ten values was the largest, not the 9th.)
    rank = max(1, min(len(ordered), math.ceil(q * len(ordered) / 100)))
    return ordered[rank - 1]


def summary(values: list[float]) -> dict[str, Any]:
    return {"n": len(values),
            "median_s": round(median(values), 1) if values else None,
            "p90_s": round(percentile(values, 90), 1) if values else None,
            "mean_s": round(sum(values) / len(values), 1) if values else None}


def against_target(service_times: list[float], target_minutes: float | None) -> dict[str, Any] | None:
    """How the day's service times (called → finished) compare with the published standard."""
    if target_minutes is None:
        return None
    target = target_minutes * 60
    within = sum(1 for s in service_times if s <= target)
    return {"target_s": target,
            "within": within,
            "share_within": round(within / len(service_times), 3) if service_times else None}


def day_stats(state: QueueState, agencies: dict[str, str], now: float,
              targets: dict[str, float] | None = None) -> dict[str, Any]:
    """Per service and per agency: issued, done, missed, waiting, waits and service times, and
    with ``targets`` (service id -> standard duration in minutes) the share within it."""
    targets = targets or {}
    per_service: dict[str, dict[str, Any]] = {}
    waits: dict[str, list[float]] = {}
    services: dict[str, list[float]] = {}
    for sid in state.lines:
        per_service[sid] = {"agency": agencies.get(sid, ""), "issued": 0, "done": 0,
                            "missed": 0, "waiting": 0, "serving": 0}
        waits[sid], services[sid] = [], []
    for t in state.tickets.values():
        sid = t.issued_service or t.service
        row = per_service.setdefault(sid, {"agency": agencies.get(sid, ""), "issued": 0,
                                           "done": 0, "missed": 0, "waiting": 0, "serving": 0})
        row["issued"] += 1
        key = {DONE: "done", MISSED: "missed", WAITING: "waiting", CALLED: "serving",
               EXPIRED: "missed"}[t.status]
        row[key] += 1
        if t.wait_time is not None:
            waits.setdefault(sid, []).append(t.wait_time)
        if t.service_time is not None:
            services.setdefault(t.service, []).append(t.service_time)
    for sid, row in per_service.items():
        row["wait"] = summary(waits.get(sid, []))
        row["service_time"] = summary(services.get(sid, []))
        row["standard"] = against_target(services.get(sid, []), targets.get(sid))
    per_agency: dict[str, dict[str, Any]] = {}
    for sid, row in per_service.items():
        a = per_agency.setdefault(row["agency"], {"issued": 0, "done": 0, "missed": 0,
                                                 "waiting": 0, "_waits": [], "_services": [],
                                                 "_within": 0, "_measured": 0})
        for k in ("issued", "done", "missed", "waiting"):
            a[k] += row[k]
        a["_waits"].extend(waits.get(sid, []))
        a["_services"].extend(services.get(sid, []))
        if row["standard"] is not None:
            a["_within"] += row["standard"]["within"]
            a["_measured"] += len(services.get(sid, []))
    for a in per_agency.values():
        a["wait"] = summary(a.pop("_waits"))
        a["service_time"] = summary(a.pop("_services"))
        within, measured = a.pop("_within"), a.pop("_measured")
        a["standard"] = ({"within": within, "share_within": round(within / measured, 3)}
                         if measured else None)
    issued = sum(r["issued"] for r in per_service.values())
    return {"day": state.day, "ts": now, "issued": issued,
            "done": sum(r["done"] for r in per_service.values()),
            "missed": sum(r["missed"] for r in per_service.values()),
            "waiting": sum(r["waiting"] for r in per_service.values()),
            "services": per_service, "agencies": per_agency}
