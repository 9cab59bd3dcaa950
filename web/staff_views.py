"""What staff see, built from the retained state the web already holds (pure: time passed in).

    arrivals = Arrivals()
    arrivals.ticket(event)                      # a `ticket` event: when it was issued
    doc = counter_view(site, public, arrivals, "3", now)
    floor = floor_view(site, public, arrivals, now, agencies={"Polres"})

The service state lists its waiting tickets in calling order and counts its priority ones (they
come first), but carries no time per ticket. A ticket's waiting time is taken from the ``ticket``
event that issued it (``issued_at``), which the web hears; a ticket issued before the web started
is timed from when the web first saw it waiting, and marked ``approx``. (The queue's
``ServiceState`` would need ``waiting_since``, a list beside ``waiting_tickets``, to make every
time exact after a web restart.)
"""

from __future__ import annotations

from typing import Any

from antrian.config import Site

ARRIVALS_MAX = 20_000         # tickets remembered (a big MPP issues ~5,000 a day)


class Arrivals:
    """When each ticket of the day joined its line: ``(day, label) -> (ts, exact, priority)``."""

    def __init__(self):
        self.known: dict[tuple[str, str], tuple[float, bool, bool]] = {}

    def ticket(self, event: Any) -> None:
        if not isinstance(event, dict):
            return
        label, day, ts = event.get("ticket"), event.get("day"), event.get("issued_at")
        if (isinstance(label, str) and isinstance(day, str) and isinstance(ts, (int, float))
                and ts == ts and abs(ts) < 1e11):
            self._keep((day, label), (float(ts), True, bool(event.get("priority"))))

    def seen(self, day: str, label: str, now: float, priority: bool) -> tuple[float, bool, bool]:
        held = self.known.get((day, label))
        if held is None:
            held = (now, False, priority)
            self._keep((day, label), held)
        return held

    def _keep(self, key, value) -> None:
        if len(self.known) >= ARRIVALS_MAX:
            today = max(d for d, _ in self.known)
            self.known = {k: v for k, v in self.known.items() if k[0] == today}
            if len(self.known) >= ARRIVALS_MAX:
                self.known.clear()
        self.known[key] = value


def standard_s(state: dict[str, Any] | None, service=None) -> float | None:
    """The service's standard duration in seconds (issue 8): as the queue publishes it, else
    as the site TOML states it (``[[service]] standard``), else None."""
    std = (state or {}).get("standard") or (service.extra.get("standard") if service else None)
    minutes = std.get("duration_minutes") if isinstance(std, dict) else None
    return float(minutes) * 60 if isinstance(minutes, (int, float)) and minutes > 0 else None


def waiting_of(public, arrivals: Arrivals, sid: str, now: float) -> list[dict[str, Any]]:
    state = public.services.get(sid)
    if not state:
        return []
    out = []
    priority_n = int(state.get("priority_waiting") or 0)
    for i, label in enumerate(state.get("waiting_tickets") or []):
        ts, exact, priority = arrivals.seen(state["day"], label, now, i < priority_n)
        out.append({"ticket": label, "service": sid, "priority": priority or i < priority_n,
                    "since": ts, "waiting_s": max(0.0, round(now - ts, 1)), "approx": not exact})
    return out


def counter_view(site: Site, public, arrivals: Arrivals, cid: str, now: float
                 ) -> dict[str, Any]:
    """The counter page's document: the counter, its current ticket against the standard,
    the waiting list of its services in calling order, the missed list, where to transfer."""
    state = public.counters.get(cid) or {}
    counter = site.counters[cid]
    sids = [s for s in (state.get("services") or counter.services) if s in site.services]
    waiting = [w for sid in sids for w in waiting_of(public, arrivals, sid, now)]
    # next calls priority tickets first, then by the time they joined their line
    waiting.sort(key=lambda w: (not w["priority"], w["since"]))
    missed = [{"ticket": t, "service": sid} for sid in sids
              for t in (public.services.get(sid) or {}).get("missed") or []]
    current = state.get("service")
    since = state.get("since")
    std = (standard_s(public.services.get(current), site.services.get(current))
           if current else None)
    return {
        "counter": cid, "name": state.get("name") or counter.name,
        "open": bool(state.get("open")), "ticket": state.get("ticket"), "service": current,
        "service_name": site.services[current].name if current in site.services else None,
        "since": since, "held_s": round(now - since, 1) if state.get("ticket") and since else None,
        "standard_s": std, "request": state.get("request"),
        "closed_until": state.get("closed_until"), "closed_reason": state.get("closed_reason"),
        "services": [{"id": s, "name": site.services[s].name, "agency": site.services[s].agency,
                      "waiting": (public.services.get(s) or {}).get("waiting", 0)} for s in sids],
        "transfer_to": [{"id": s.id, "name": s.name, "agency": s.agency}
                        for s in site.services.values()],
        "waiting": waiting, "missed": missed,
        "day": state.get("day"), "seq": state.get("seq"), "known": bool(state),
        "online": public.queue_online, "connected": public.connected, "now": now}


def counter_agency(site: Site, cid: str, public=None) -> set[str]:
    """The agencies whose services a counter serves (configured and assigned today)."""
    state = (public.counters.get(cid) if public is not None else None) or {}
    sids = set(site.counters[cid].services) | set(state.get("services") or [])
    return {site.services[s].agency for s in sids if s in site.services}


def floor_view(site: Site, public, arrivals: Arrivals, now: float,
               agencies: set[str] | None = None) -> dict[str, Any]:
    """Per agency and service: the line, the longest wait, the estimate, the counters open,
    idle or closed, service time against the standard, and the flags a supervisor acts on."""
    services: dict[str, dict[str, Any]] = {}
    for sid, svc in site.services.items():
        if agencies is not None and svc.agency not in agencies:
            continue
        state = public.services.get(sid) or {}
        waiting = waiting_of(public, arrivals, sid, now)
        longest = max((w["waiting_s"] for w in waiting), default=0.0)
        std = standard_s(state, svc)
        avg = state.get("avg_service_s")
        services[sid] = {
            "id": sid, "name": svc.name, "agency": svc.agency, "known": bool(state),
            "waiting": state.get("waiting", 0), "longest_wait_s": longest,
            "est_wait_s": state.get("est_wait_s"), "avg_service_s": avg, "standard_s": std,
            "done": state.get("done", 0), "missed": len(state.get("missed") or []),
            "counters_open": state.get("counters_open") or [],
            "over_standard": bool(std and (longest > std or (avg or 0) > std)),
            "status": state.get("status")}
    counters = []
    for cid, c in site.counters.items():
        reach = counter_agency(site, cid, public)
        if agencies is not None and not reach <= agencies:
            continue
        state = public.counters.get(cid) or {}
        sids = state.get("services") or list(c.services)
        mode = ("closed" if not state.get("open") else "serving" if state.get("ticket")
                else "idle")
        waiting_for_it = sum((public.services.get(s) or {}).get("waiting", 0) for s in sids)
        since = state.get("since")
        counters.append({
            "counter": cid, "name": state.get("name") or c.name, "mode": mode,
            "ticket": state.get("ticket"), "service": state.get("service"), "services": sids,
            "held_s": round(now - since, 1) if state.get("ticket") and since else None,
            "closed_until": state.get("closed_until"),
            "closed_reason": state.get("closed_reason"),
            "idle_with_waiting": mode == "idle" and waiting_for_it > 0,
            "agencies": sorted(reach)})
    for sid in services:
        services[sid]["flag_idle_counters"] = [
            k["counter"] for k in counters if k["idle_with_waiting"] and sid in k["services"]]
    by_agency = [{"agency": a, "services": [s for s in services.values() if s["agency"] == a],
                  "counters": [k for k in counters if a in k["agencies"]]}
                 for a in site.agencies if agencies is None or a in agencies]
    return {"agencies": by_agency, "counters": counters, "message": public.message,
            "online": public.queue_online, "connected": public.connected, "now": now,
            "flags": {"over_standard": [s["id"] for s in services.values() if s["over_standard"]],
                      "idle_with_waiting": [k["counter"] for k in counters
                                            if k["idle_with_waiting"]]}}
