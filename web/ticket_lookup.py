"""A visitor's question "where is my ticket?", answered from the public snapshot alone.

    label = normalise(public, "a16")             # "A016", or None when it cannot be a ticket
    status, body = ticket_status(public, "a16", day=None, now=now)   # /api/v1/tickets/<ticket>

What a visitor types or a QR code carries crosses the edge here, once: it is checked against a
bounded pattern before anything is looked up, and a refusal is a 400 that changes nothing.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from web.public import PublicState

# What a visitor may type or a QR code may carry: prefix (1-4 letters/digits), an optional
# separator, the number (1-4 digits). Checked after upper-casing; anything else is refused.
TICKET = re.compile(r"^[A-Z0-9]{1,4}[-.]?\d{1,4}$")
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TICKET_STATUSES = ("waiting", "called", "missed", "done", "expired", "unknown")


def normalise(public: "PublicState", raw: str) -> str | None:
    """The ticket label a visitor means (``a16`` → ``A016``), or None when it cannot be one.

    A label the queue published is taken as it is; otherwise the prefix is matched against
    the services (tolerating a missing separator and missing zeros) and the label rebuilt
    with the service's format, when exactly one service fits."""
    text = raw.strip().upper()
    if not TICKET.match(text):
        return None
    if text in public.index:
        return text
    fits = set()
    for svc in public.site.services.values():
        for head in {svc.prefix + svc.separator, svc.prefix}:
            rest = text[len(head):]
            if text.startswith(head) and rest.isdigit() and len(rest) <= 4:
                fits.add(svc.ticket(int(rest)))
    return fits.pop() if len(fits) == 1 else None


def ticket_status(public: "PublicState", raw: str, day: str | None,
                  now: float) -> tuple[int, dict[str, Any]]:
    """The HTTP status and body of ``/api/v1/tickets/<raw>``, from the snapshot only: 503
    until the retained state has arrived (a guess could send a waiting visitor home)."""
    if len(raw) > 12:
        return 400, {"error": "invalid ticket number"}
    label = normalise(public, raw)
    if label is None:
        return 400, {"error": "invalid ticket number", "ticket": None}
    if day is not None and not DAY.match(day):
        return 400, {"error": "invalid day (YYYY-MM-DD)"}
    snap = public.snapshot
    if not snap.synced:
        return 503, {"error": "the queue's state is still arriving; try again in a moment",
                     "ticket": label}
    info = snap.index.get(label)
    svc = public.site.service_of_ticket(label)
    sid = info.service if info else (svc.id if svc else None)
    held = snap.issued.get(sid) if sid else None
    today = held[0] if held else public.status.get("day") or public.today(now)
    body: dict[str, Any] = {"ticket": label, "day": today, "status": "unknown",
                            "service": sid, "position": None, "ahead": None,
                            "est_wait_s": None, "counter": None, "counter_name": None}
    if sid and sid in public.public:
        p = public.public[sid]
        serving = [{**x, "counter_name": public.counter_name(x["counter"])}
                   for x in p["serving"]]
        body.update(service_name=p["name"], agency=p["agency"], serving=serving,
                    updated=p["ts"], service_status=p["status"])
    if day is not None and day != today:
        body["status"] = "expired"
        return 200, body
    if info is not None:
        body["status"] = info.status
        if info.status == "waiting":
            body.update(position=info.position + 1, ahead=info.position,
                        est_wait_s=None if info.est_wait_s is None else round(info.est_wait_s))
        elif info.status == "called":
            body.update(counter=info.counter, counter_name=public.counter_name(info.counter),
                        est_wait_s=0)
    elif held is not None and svc is not None:
        number = int(label[len(svc.prefix + svc.separator):])
        if 1 <= number <= held[1]:
            body["status"] = "done"
    return 200, body
