"""The example mall (examples/mpp.toml) in the middle of a busy day, as a board model sees it.

    model = mall_model("lobby", now=NOON)
    view = build_view(model, NOON)

Most counters closed (the issue's 50 counters with a handful open), breaks with reopening
times, a service closed for the day with its reopening time, long service names, recent calls
from ``calls/recent`` and missed numbers: what a real afternoon puts on a board.
"""

from __future__ import annotations

import json

from antrian.config import load
from display.config import board_config, counter_display_config
from display.model import BoardModel
from mqtt.schemas import CounterState, ServiceState
from support.site import ROOT

NOON = 1_764_307_800.0          # 2025-11-28 12:30 WIB
DAY = "2025-11-28"
OPEN_COUNTERS = {"1", "2", "6", "9", "14", "21", "30", "p1", "46"}
ON_BREAK = {"3": "Istirahat", "10": "Istirahat"}


def mall_site():
    return load(ROOT / "examples" / "mpp.toml")


def service_state(service, waiting: int, seq: int, missed=(), status=None) -> ServiceState:
    return ServiceState(
        service=service.id, name=service.name, agency=service.agency, prefix=service.prefix,
        day=DAY, waiting=waiting, waiting_tickets=[], priority_waiting=0, last_issued=None,
        issued=waiting + 10, serving=[], missed=list(missed), counters_open=[], done=10,
        est_wait_s=None, avg_service_s=300.0, seq=seq, ts=NOON, status=status)


def counter_state(counter, seq: int, ticket: str | None, service: str | None, *, open: bool,
                  reason: str | None = None, until: float | None = None) -> CounterState:
    return CounterState(counter=counter.id, name=counter.name, open=open, ticket=ticket,
                        service=service, since=NOON - 60 * seq if ticket else None, request=None,
                        services=list(counter.services), day=DAY, seq=seq, ts=NOON,
                        closed_until=until, closed_reason=reason)


def mall_model(board_id: str = "lobby", *, now: float = NOON, counter: str | None = None,
               open_counters=OPEN_COUNTERS) -> BoardModel:
    site = mall_site()
    board = counter_display_config(site, counter) if counter else board_config(site, board_id)
    model = BoardModel(site, board, counter=counter)
    model.on_connection(True, now=now)
    model.on_queue_presence(b"online", retained=True, now=now)
    seq = 1
    for i, service in enumerate(site.services.values()):
        status = None
        if i % 9 == 4:
            status = {"open": False, "code": "closed",
                      "text": {"id": "Sudah tutup, buka 13:00", "en": "Closed, opens 13:00"}}
        missed = [service.ticket(n) for n in (3, 7)] if i % 4 == 0 else []
        model.on_service(service_state(service, (i * 7) % 23, seq, missed, status),
                         retained=True, now=now)
        seq += 1
    calls = []
    for counter_cfg in site.counters.values():
        service = site.services[counter_cfg.services[0]]
        if counter_cfg.id in open_counters:
            ticket = service.ticket(10 + seq % 90)
            state = counter_state(counter_cfg, seq, ticket, service.id, open=True)
            calls.append({"ticket": ticket, "service": service.id, "counter": counter_cfg.id,
                          "counter_name": counter_cfg.name, "kind": "call", "seq": seq,
                          "ts": now - 60 * len(calls)})
        elif counter_cfg.id in ON_BREAK:
            state = counter_state(counter_cfg, seq, None, None, open=False,
                                  reason=ON_BREAK[counter_cfg.id], until=now + 1800)
        else:
            state = counter_state(counter_cfg, seq, None, None, open=False)
        model.on_counter(state, retained=True, now=now)
        seq += 1
    recent = {"day": DAY, "seq": seq, "calls": sorted(calls, key=lambda c: -c["seq"])[:12]}
    model.on_recent_calls(json.dumps(recent).encode(), retained=True, now=now)
    return model
