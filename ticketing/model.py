"""The state of a building's queue: today's tickets, each service's line, each counter."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ticketing.booking_index import BookingIndex


class Status(StrEnum):
    """Where a ticket is: it waits, is called to a counter, and ends done, missed or expired."""
    WAITING = "waiting"
    CALLED = "called"
    DONE = "done"
    MISSED = "missed"
    EXPIRED = "expired"


class Action(StrEnum):
    """What a counter can do: the one list every panel, schema, console and CLI derives from."""
    NEXT = "next"
    RECALL = "recall"
    SKIP = "skip"
    CALL = "call"            # call a missed (or a named waiting) ticket
    TRANSFER = "transfer"    # send the current ticket to another service's line
    OPEN = "open"
    CLOSE = "close"


WAITING, CALLED, DONE, MISSED, EXPIRED = (Status.WAITING, Status.CALLED, Status.DONE,
                                          Status.MISSED, Status.EXPIRED)


@dataclass
class Ticket:
    label: str                 # "A012", "4K-010": unique within a day
    service: str
    number: int
    priority: bool
    issued_at: float
    kiosk: str | None = None
    status: str = WAITING
    counter: str | None = None
    called_at: float | None = None
    finished_at: float | None = None
    calls: int = 0             # how many times it was called or recalled
    first_called_at: float | None = None
    transferred_from: str | None = None
    issued_service: str | None = None  # the service it was taken for, kept across transfers
    queued_seq: int = 0        # when it joined its current line: the order of calling
    booking: str | None = None     # the booking it was checked in from (ticketing.booking)
    booked_for: float | None = None  # its session's start: its place in line

    @property
    def service_time(self) -> float | None:
        if self.status == DONE and self.called_at is not None and self.finished_at is not None:
            return max(0.0, self.finished_at - self.called_at)
        return None

    @property
    def wait_time(self) -> float | None:
        if self.first_called_at is None:
            return None
        return max(0.0, self.first_called_at - self.issued_at)


@dataclass
class Line:
    """One service's line for the day."""
    service: str
    prefix: str
    separator: str = ""
    width: int = 3
    last_number: int = 0
    # Labels in the order they will be called; priority tickets have their own line.
    priority: deque[str] = field(default_factory=deque)
    regular: deque[str] = field(default_factory=deque)
    missed: list[str] = field(default_factory=list)
    done: int = 0
    avg_service_s: float = 300.0   # exponentially weighted, seeded from the TOML's prior
    booked: int = 0                # tickets from bookings today: not counted in the walk-in quota

    def label(self, number: int) -> str:
        return f"{self.prefix}{self.separator}{number:0{self.width}d}"

    @property
    def waiting(self) -> int:
        return len(self.priority) + len(self.regular)


@dataclass
class CounterNow:
    id: str
    name: str
    services: tuple[str, ...]
    open: bool = False
    ticket: str | None = None
    since: float | None = None
    request: str | None = None     # the last press applied: the panel's acknowledgement
    closed_until: float | None = None  # closed for a while by staff: reopens by itself then
    closed_reason: str | None = None
    last_call_at: float | None = None  # the last call or recall here: the recall cooldown


@dataclass
class QueueState:
    day: str
    lines: dict[str, Line]
    counters: dict[str, CounterNow]
    tickets: dict[str, Ticket] = field(default_factory=dict)
    seq: int = 0
    # request key ("counter-1:abc") -> outcome, so a repeated request gets its first answer again
    requests: dict[str, dict[str, Any]] = field(default_factory=dict)
    # booking code -> Booking (ticketing.booking): they span days, so a rollover keeps them
    bookings: dict[str, Any] = field(default_factory=dict)
    # derived from ``bookings`` and kept by the fold; never stored (rebuilt on loading)
    booking_index: BookingIndex = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.booking_index = BookingIndex.of(self.bookings)

    @classmethod
    def new(cls, day: str, services: list[tuple[str, str, str, int, float]],
            counters: list[tuple[str, str, tuple[str, ...]]]) -> "QueueState":
        """A building at opening: ``services`` as (id, prefix, separator, width, prior service
        seconds), ``counters`` as (id, name, services); every counter closed."""
        return cls(day=day,
                   lines={sid: Line(sid, prefix, sep, width, avg_service_s=prior)
                          for sid, prefix, sep, width, prior in services},
                   counters={cid: CounterNow(cid, name, tuple(svcs)) for cid, name, svcs in counters})

    # -- snapshots (plain data, for the store) --------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        # Built by hand: dataclasses.asdict deep-copies recursively and is ~10x slower, which a
        # day of 10,000 tickets turns into a visible pause at every snapshot.
        lines = {}
        for sid, line in self.lines.items():
            d = dict(vars(line))
            d["priority"], d["regular"], d["missed"] = (list(line.priority), list(line.regular),
                                                        list(line.missed))
            lines[sid] = d
        counters = {cid: dict(vars(c), services=list(c.services))
                    for cid, c in self.counters.items()}
        return {"day": self.day, "lines": lines, "counters": counters,
                "tickets": {k: dict(vars(t)) for k, t in self.tickets.items()},
                "seq": self.seq,
                "requests": {k: dict(v) for k, v in self.requests.items()},
                "bookings": {k: dict(vars(b)) for k, b in self.bookings.items()}}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "QueueState":
        lines = {}
        for k, v in data["lines"].items():
            v = dict(v, priority=deque(v["priority"]), regular=deque(v["regular"]))
            lines[k] = Line(**v)
        counters = {k: CounterNow(**dict(v, services=tuple(v["services"])))
                    for k, v in data["counters"].items()}
        tickets = {k: Ticket(**v) for k, v in data["tickets"].items()}
        from ticketing.booking import Booking
        bookings = {k: Booking(**v) for k, v in data.get("bookings", {}).items()}
        return cls(day=data["day"], lines=lines, counters=counters, tickets=tickets,
                   seq=data["seq"], requests=data["requests"], bookings=bookings)
