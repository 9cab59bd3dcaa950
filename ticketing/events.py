"""What happened in a building's queue: one frozen dataclass per kind of event.

    >>> e = Issued(ticket="A001", service="ktp", number=1, priority=False, kiosk="k1",
    ...            request="kiosk-k1:1", outcome={}, seq=1, ts=0.0, day="2026-11-28")
    >>> to_dict(e)["type"]
    'issued'

Events are stored as JSON rows (``{"type": ..., <fields>}``) and replayed after a restart, so
the stored names (``TYPE``) and field names are part of the on-disk format: an existing
``queue.db`` must keep replaying. :func:`from_dict` reads rows written by any earlier version
(missing optional fields take their defaults, unknown keys are ignored).

Every event carries ``seq`` (its place in the day's log), ``ts`` (seconds since the epoch) and
``day`` (the service day). An event that ends a request also carries ``request`` (the
sender-scoped key, ``counter-1:abc``) and ``outcome`` (what the sender is answered, again on
a repeat).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True, kw_only=True, slots=True)
class Event:
    """The fields every event has; set by ``handle`` when the event is decided."""
    TYPE: ClassVar[str] = ""
    seq: int = 0
    ts: float = 0.0
    day: str = ""

    @property
    def type(self) -> str:
        return self.TYPE

    # Read-only mapping access in the stored shape, for code written against the dict events
    # of earlier versions (``event["ts"]``, ``event.get("kind")``).
    def __getitem__(self, key: str) -> Any:
        if key == "type":
            return self.TYPE
        try:
            return getattr(self, key)
        except AttributeError:
            raise KeyError(key) from None

    __iter__ = None  # a mapping view, not a sequence: no iteration through __getitem__

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default


@dataclass(frozen=True, kw_only=True, slots=True)
class Issued(Event):
    """A visitor took a ticket at a kiosk."""
    TYPE: ClassVar[str] = "issued"
    ticket: str
    service: str
    number: int
    priority: bool = False
    kiosk: str | None = None
    request: str | None = None
    outcome: dict[str, Any] | None = None
    # A booked visitor's check-in (ticketing.booking): the code, and the session start that
    # sets its place in line.
    booking: str | None = None
    place: float | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Called(Event):
    """A ticket was called to a counter (``kind`` "call") or called again ("recall")."""
    TYPE: ClassVar[str] = "called"
    ticket: str
    counter: str
    kind: str = "call"


@dataclass(frozen=True, kw_only=True, slots=True)
class Finished(Event):
    """The counter finished serving a ticket."""
    TYPE: ClassVar[str] = "finished"
    ticket: str
    counter: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Missed(Event):
    """The visitor did not come when called: the ticket waits in the missed list."""
    TYPE: ClassVar[str] = "missed"
    ticket: str
    counter: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Transferred(Event):
    """The counter sent its ticket to another service's line."""
    TYPE: ClassVar[str] = "transferred"
    ticket: str
    counter: str | None = None
    to: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Opened(Event):
    """A counter opened (``scheduled``: by itself, at the end of a timed closure)."""
    TYPE: ClassVar[str] = "opened"
    counter: str
    scheduled: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class Closed(Event):
    """A counter closed, until a time (or for the day) and for a reason shown on boards."""
    TYPE: ClassVar[str] = "closed"
    counter: str
    until: float | None = None
    reason: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Pressed(Event):
    """A counter's press was applied: it ends the press's request."""
    TYPE: ClassVar[str] = "pressed"
    counter: str
    action: str
    request: str | None = None
    request_id: str | None = None
    outcome: dict[str, Any] | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Assigned(Event):
    """A supervisor changed the services a counter serves."""
    TYPE: ClassVar[str] = "assigned"
    counter: str
    services: tuple[str, ...] = ()
    request: str | None = None
    outcome: dict[str, Any] | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class DayRolled(Event):
    """A new service day began (``day`` is the new day)."""
    TYPE: ClassVar[str] = "rollover"
    previous: str
    expired: tuple[str, ...] = ()
    finished: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class LinesReset(Event):
    """Services' days started over: their tickets ended, their numbering restarts."""
    TYPE: ClassVar[str] = "reset"
    services: tuple[str, ...] = ()
    expired: tuple[str, ...] = ()
    finished: tuple[str, ...] = ()
    request: str | None = None
    outcome: dict[str, Any] | None = None


# -- bookings (ticketing.booking) ---------------------------------------------------------------

@dataclass(frozen=True, kw_only=True, slots=True)
class Booked(Event):
    """A visitor booked a place in a session (``for_day``); the NIK only as its HMAC."""
    TYPE: ClassVar[str] = "booked"
    code: str
    service: str
    for_day: str
    session: str
    start: float
    checkin_from: float
    checkin_until: float
    nik_hash: str = ""          # removed from the stored row when the booking is purged
    nik_last4: str = ""
    keep_until: str = ""
    phone: str | None = None    # removed from the stored row when the booking ends
    request: str | None = None
    outcome: dict[str, Any] | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class BookingCancelled(Event):
    """The visitor cancelled: the place is free again."""
    TYPE: ClassVar[str] = "booking_cancelled"
    code: str
    service: str = ""
    for_day: str = ""
    session: str = ""
    request: str | None = None
    outcome: dict[str, Any] | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class CheckedIn(Event):
    """A booking became a ticket at a kiosk (follows its ``issued`` event)."""
    TYPE: ClassVar[str] = "checked_in"
    code: str
    ticket: str


@dataclass(frozen=True, kw_only=True, slots=True)
class BookingsExpired(Event):
    """Bookings not checked in by the end of their window expired (no-shows); bookings past
    their keeping time were purged."""
    TYPE: ClassVar[str] = "bookings_expired"
    expired: tuple[str, ...] = ()
    purged: tuple[str, ...] = ()
    keep_until: dict[str, str] | None = None   # no-shows remembered longer (blocking)


EVENT_TYPES: dict[str, type[Event]] = {
    cls.TYPE: cls for cls in (Issued, Called, Finished, Missed, Transferred, Opened, Closed,
                              Pressed, Assigned, DayRolled, LinesReset, Booked,
                              BookingCancelled, CheckedIn, BookingsExpired)}
_FIELDS = {name: {f.name: f for f in dataclasses.fields(cls)} for name, cls in EVENT_TYPES.items()}
_TUPLES = {"services", "expired", "finished", "purged"}


class UnknownEvent(ValueError):
    """A stored row whose ``type`` no version of Antrian wrote."""


def to_dict(event: Event) -> dict[str, Any]:
    """The stored shape: ``{"type": ..., <fields>}`` (tuples become lists, as JSON has them)."""
    out: dict[str, Any] = {"type": event.TYPE}
    for name in _FIELDS[event.TYPE]:
        value = getattr(event, name)
        if value is None and name in ("outcome", "request", "booking", "place", "keep_until"):
            continue  # absent on events that end no request, as before
        out[name] = list(value) if isinstance(value, tuple) else value
    return out


def from_dict(row: dict[str, Any]) -> Event:
    """An event from its stored shape (any version's: unknown keys are ignored)."""
    kind = row.get("type")
    cls = EVENT_TYPES.get(kind)  # type: ignore[arg-type]
    if cls is None:
        raise UnknownEvent(f"unknown event type {kind!r}")
    fields = _FIELDS[kind]
    kwargs = {k: (tuple(v) if k in _TUPLES and v is not None else v)
              for k, v in row.items() if k in fields}
    try:
        return cls(**kwargs)
    except TypeError as e:  # a required field missing
        raise UnknownEvent(f"{kind} event without {e}") from None


def event_of(value: Event | dict[str, Any]) -> Event:
    """``value`` as an event, whether it is one or a stored row."""
    return value if isinstance(value, Event) else from_dict(value)


__all__ = ["Event", "Issued", "Called", "Finished", "Missed", "Transferred", "Opened", "Closed",
           "Pressed", "Assigned", "DayRolled", "LinesReset", "Booked", "BookingCancelled",
           "CheckedIn", "BookingsExpired", "EVENT_TYPES", "UnknownEvent",
           "to_dict", "from_dict", "event_of"]
