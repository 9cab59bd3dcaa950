"""Indexes over the bookings, so a booking decision does not scan every booking.

    >>> index = BookingIndex.of(state.bookings)     # a rebuild: from a snapshot, in tests
    >>> index.taken("ktp", "2026-12-01", "08:00-10:00")

A big MPP keeps bookings for ``days_ahead + keep_days`` (tens of thousands): scanning them all
cost 15-18 ms per booking decision (p50; p99 up to 66 ms) at 50,000 bookings and 6-8 ms per
expiry tick, against 0.03 and 0.003 ms with this index (bench/booking_scale.py). The fold
(:mod:`ticketing.fold`) keeps this index in step with ``QueueState.bookings`` and is the only
thing that changes either; a snapshot does not store it (it is derived data) and
``QueueState`` rebuilds it on loading, the store's replay then folds the log's tail through
the same fold.

- by NIK digest: the NIK's bookings (the duplicate and no-show rules look at those only);
- by (service, day, session): how many places are held (every booking still kept, whatever
  its status: a no-show's place is gone too, as :func:`taken` always counted);
- by ``checkin_until`` (bookings still BOOKED) and by ``keep_until`` (all): so the expiry tick,
  every few seconds, costs nothing until the earliest of either has passed.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from typing import Any

from ticketing.booking import BOOKED, EXPIRED, Booking


class _Due:
    """Codes bucketed by a deadline, the deadlines kept sorted (a few thousand distinct ones:
    one per service, day and session)."""

    def __init__(self) -> None:
        self.buckets: dict[Any, set[str]] = {}
        self.keys: list[Any] = []

    def add(self, key: Any, code: str) -> None:
        bucket = self.buckets.get(key)
        if bucket is None:
            bucket = self.buckets[key] = set()
            insort(self.keys, key)
        bucket.add(code)

    def discard(self, key: Any, code: str) -> None:
        bucket = self.buckets.get(key)
        if bucket is None:
            return
        bucket.discard(code)
        if not bucket:
            del self.buckets[key]
            del self.keys[bisect_left(self.keys, key)]

    def first(self) -> Any:
        return self.keys[0] if self.keys else None

    def before(self, limit: Any) -> list[str]:
        """Codes whose deadline is strictly before ``limit``."""
        return [code for key in self.keys[:bisect_left(self.keys, limit)]
                for code in self.buckets[key]]


class BookingIndex:
    """Secondary indexes of ``QueueState.bookings`` (see the module's docstring)."""

    def __init__(self) -> None:
        self.by_nik: dict[str, dict[str, Booking]] = {}
        self.held: dict[tuple[str, str, str], int] = {}
        self.checkin_due = _Due()       # BOOKED bookings by checkin_until
        self.keep_due = _Due()          # every booking by keep_until
        # code -> place in ``bookings``' insertion order: expiry lists codes in that order,
        # as the scan it replaces did (the events stay exactly what they were)
        self._order: dict[str, int] = {}
        self._next = 0

    @classmethod
    def of(cls, bookings: dict[str, Booking]) -> "BookingIndex":
        index = cls()
        for b in bookings.values():
            index.add(b)
        return index

    # -- kept by the fold -----------------------------------------------------------------

    def add(self, b: Booking) -> None:
        """A new booking (or a replacement of the same code, which keeps its place)."""
        if b.code not in self._order:
            self._order[b.code] = self._next
            self._next += 1
        mine = self.by_nik.get(b.nik_hash)
        if mine is None:
            mine = self.by_nik[b.nik_hash] = {}
        mine[b.code] = b
        key = (b.service, b.day, b.session)
        self.held[key] = self.held.get(key, 0) + 1
        if b.status == BOOKED:
            self.checkin_due.add(b.checkin_until, b.code)
        self.keep_due.add(b.keep_until, b.code)

    def remove(self, b: Booking, *, replaced: bool = False) -> None:
        """A booking gone (cancelled, purged); ``replaced``: the same code is added again."""
        mine = self.by_nik.get(b.nik_hash)
        if mine is not None:
            mine.pop(b.code, None)
            if not mine:
                del self.by_nik[b.nik_hash]
        key = (b.service, b.day, b.session)
        left = self.held.get(key, 0) - 1
        if left > 0:
            self.held[key] = left
        else:
            self.held.pop(key, None)
        self.checkin_due.discard(b.checkin_until, b.code)
        self.keep_due.discard(b.keep_until, b.code)
        if not replaced:
            self._order.pop(b.code, None)

    def changed(self, b: Booking, old_status: str, old_keep: str) -> None:
        """``b.status`` or ``b.keep_until`` changed in place (checked in, expired)."""
        if old_status == BOOKED and b.status != BOOKED:
            self.checkin_due.discard(b.checkin_until, b.code)
        elif old_status != BOOKED and b.status == BOOKED:
            self.checkin_due.add(b.checkin_until, b.code)
        if old_keep != b.keep_until:
            self.keep_due.discard(old_keep, b.code)
            self.keep_due.add(b.keep_until, b.code)

    # -- read by the rules ----------------------------------------------------------------

    def taken(self, service: str, day: str, session: str) -> int:
        """Places held in a session (booked, checked in, or expired: a no-show's place is gone)."""
        return self.held.get((service, day, session), 0)

    def remaining(self, rules: Any, service: str, day: str) -> list[dict[str, Any]]:
        """Each session of ``rules`` (``BookingRules``) on ``day`` with its places left."""
        return [{"session": s.label, "capacity": rules.per_session,
                 "remaining": max(0, rules.per_session - self.taken(service, day, s.label))}
                for s in rules.sessions]

    def holds(self, nik_hash: str, service: str, day: str) -> bool:
        """Whether this NIK holds a booking not yet used or expired for the service that day."""
        return any(b.service == service and b.day == day and b.status == BOOKED
                   for b in self.by_nik.get(nik_hash, {}).values())

    def no_shows(self, nik_hash: str, since: str) -> list[str]:
        """The days of this NIK's no-shows on or after ``since``."""
        return sorted(b.day for b in self.by_nik.get(nik_hash, {}).values()
                      if b.status == EXPIRED and b.day >= since)

    def due(self, today: str, now: float) -> tuple[list[str], list[str]]:
        """(to purge: kept until before ``today``; to expire: still BOOKED and
        ``now > checkin_until``, not purged), each in the bookings' order."""
        keep, checkin = self.keep_due.first(), self.checkin_due.first()
        if (keep is None or keep >= today) and (checkin is None or checkin >= now):
            return [], []                       # the usual tick: nothing is due
        purged = sorted(self.keep_due.before(today), key=self._order.__getitem__)
        gone = set(purged)
        expired = sorted((c for c in self.checkin_due.before(now) if c not in gone),
                         key=self._order.__getitem__)
        return purged, expired

    def as_recount(self) -> dict[str, Any]:
        """The index as plain data (the tests compare it with a recount)."""
        return {"by_nik": {k: sorted(v) for k, v in self.by_nik.items()},
                "held": dict(self.held),
                "checkin_due": {k: sorted(v) for k, v in self.checkin_due.buckets.items()},
                "checkin_keys": list(self.checkin_due.keys),
                "keep_due": {k: sorted(v) for k, v in self.keep_due.buckets.items()},
                "keep_keys": list(self.keep_due.keys),
                "order": sorted(self._order, key=self._order.__getitem__)}
