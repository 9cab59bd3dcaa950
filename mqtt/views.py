"""What the queue service publishes: contract messages built from the queue state (pure)."""

from __future__ import annotations

from collections.abc import Iterable

from antrian.config import Site
from mqtt import schemas
from ticketing import QueueState, waiting_order
from ticketing.events import Called

RECENT_CALLS = 12


def service_state(site: Site, state: QueueState, sid: str, ts: float,
                  est_wait_s: float | None = None, status: dict | None = None,
                  standard: dict | None = None) -> schemas.ServiceState:
    line = state.lines[sid]
    svc = site.services[sid]
    serving = sorted((schemas.Serving(c.ticket, c.id, c.since or ts)
                      for c in state.counters.values()
                      if c.ticket and state.tickets[c.ticket].service == sid),
                     key=lambda s: s.since)
    return schemas.ServiceState(
        service=sid, name=svc.name, agency=svc.agency, prefix=svc.prefix, day=state.day,
        waiting=line.waiting, waiting_tickets=waiting_order(state, sid),
        priority_waiting=len(line.priority),
        last_issued=line.label(line.last_number) if line.last_number else None,
        issued=line.last_number, serving=serving, missed=list(line.missed),
        counters_open=[c.id for c in state.counters.values() if c.open and sid in c.services],
        done=line.done, est_wait_s=est_wait_s,
        avg_service_s=round(line.avg_service_s, 1), seq=state.seq, ts=ts, status=status,
        standard=standard)


def counter_state(state: QueueState, cid: str, ts: float) -> schemas.CounterState:
    c = state.counters[cid]
    ticket = state.tickets.get(c.ticket) if c.ticket else None
    return schemas.CounterState(
        counter=cid, name=c.name, open=c.open, ticket=c.ticket,
        service=ticket.service if ticket else None, since=c.since, request=c.request,
        services=list(c.services), day=state.day, seq=state.seq, ts=ts,
        closed_until=c.closed_until, closed_reason=c.closed_reason)


def call(state: QueueState, event: Called) -> schemas.Call:
    ticket = state.tickets[event.ticket]
    counter = state.counters[event.counter]
    return schemas.Call(ticket=ticket.label, service=ticket.service, counter=counter.id,
                        counter_name=counter.name, kind=event.kind, seq=event.seq,
                        ts=event.ts)


class RecentCalls:
    """``calls/recent`` (retained): the day's latest calls, newest first, at most 12."""

    def __init__(self, state: QueueState, called: Iterable[Called] = ()):
        """``called``: the day's stored calls, oldest first (rebuilt after a restart)."""
        self.calls: list[schemas.Call] = []
        for event in called:
            self.add(state, event)

    def add(self, state: QueueState, event: Called) -> schemas.Call | None:
        """Note a call just applied; its message for ``call`` (None: nothing to show)."""
        if event.ticket in state.tickets and event.counter in state.counters:
            message = call(state, event)
            self.calls.insert(0, message)
            del self.calls[RECENT_CALLS:]
            return message
        return None

    def prune(self, state: QueueState) -> None:
        """Drop the calls of tickets a new day or a reset ended."""
        self.calls = [c for c in self.calls if c.ticket in state.tickets]

    def message(self, state: QueueState) -> dict:
        return {"day": state.day, "seq": state.seq, "calls": self.calls}


def ticket_issued(outcome: dict, est_wait_s: float | None,
                  key: str | None = None) -> schemas.TicketIssued:
    """From a take's stored outcome, so a repeated take gets the same ticket and time again;
    only ``est_wait_s`` is today's estimate, not the first one."""
    sid = outcome["service"]
    return schemas.TicketIssued(
        ticket=outcome["ticket"], service=sid, kiosk=outcome.get("kiosk") or "",
        id=outcome.get("id", ""), priority=outcome["priority"], ahead=outcome["ahead"],
        day=outcome["day"], issued_at=outcome["ts"],
        est_wait_s=est_wait_s,
        seq=outcome["seq"], ts=outcome["ts"], key=key, booking=outcome.get("booking"))
