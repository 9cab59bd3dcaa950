"""The queue service's bookings (issue 15): the web's requests and the kiosks' check-ins in,
each service's remaining online places out (retained).

    bookings = QueueBookings(service)        # the queue service builds it
    bookings.handles(topic)      # booking/book, booking/cancel, booking/status, kiosk/<id>/checkin

Topics (docs/mqtt-api.md, "Bookings"):

- ``booking/book`` and ``booking/cancel``: only the ``web`` account may publish there (the
  broker's ACL); it sends the NIK's HMAC and last 4 digits, never the NIK. Answers go to the
  request's response topic (``reply/web/...``); refusals carry a ``code`` and ``message``
  ``{"id", "en"}``.
- ``booking/status`` ``{"id", "code"}`` (``web`` only): a booking's status, read-only, answered
  on the response topic with nothing personal in it (see :meth:`QueueBookings.status`);
- ``kiosk/<id>/checkin`` ``{"code", "id", "nik_last4"?}``: answered like a take, with a
  ``ticket`` event carrying the ``booking`` code, or an error (``unknown``, ``too_early``,
  ``expired``, ``used``) on ``error/kiosk-<id>``.
- ``booking/<service>/slots`` (retained): the sessions of each bookable day with their places.

Personal data: a booking's phone number is removed from the stored log when the booking ends
(cancelled, checked in, expired) and its NIK digest when it is purged, ``keep_days`` after its
day; the snapshot is rewritten at once so neither lingers there.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import date, timedelta
from typing import TYPE_CHECKING, Annotated, Any

import msgspec

from antrian.opening import booking_rules
from mqtt import schemas, validate
from mqtt.queue_edge import Refused
from ticketing import decide
from ticketing import events as ev
from ticketing.booking import (BOOKED, CHECKED_IN, EXPIRED, Book, BookingRefused, BookingRules,
                               CancelBooking, CheckIn, ExpireBookings, clean_code, new_code,
                               open_on, window)
from ticketing.booking_rules import signup_now, signup_open

if TYPE_CHECKING:
    from mqtt.service import Outbox, QueueService

log = logging.getLogger(__name__)

CANCELLED = "cancelled"
# How far back the log is read for cancellations still worth telling: a cancellation happens at
# most ``days_ahead`` (<= 90) before its day and is told ``keep_days`` (<= 366) after it.
CANCELLED_LOOKBACK_DAYS = 460


class StatusRequest(msgspec.Struct, forbid_unknown_fields=True):
    """The web's question on ``booking/status``: what became of this booking?"""
    id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    code: Annotated[str, msgspec.Meta(max_length=64)]


class QueueBookings:
    """Bookings on the queue service's thread (see the module's docstring)."""

    def __init__(self, service: "QueueService"):
        self.service = service
        self.topics = service.topics
        self.rules = booking_rules(service.site)     # replaced by a reload (queue_commands)
        self._published_day: str | None = None
        # service -> whether its sign-up was open in the slots last published: the tick
        # republishes when the site's clock crosses ``signup_hours`` (within 5 s)
        self._signup_said: dict[str, bool] = {}
        # code -> (service, day, session, keep_until) of cancelled bookings: the state forgets
        # them at once (their place is free), the status still tells the visitor. Read from the
        # log on the first status request, then kept up to date by :meth:`after`.
        self._cancelled: dict[str, tuple[str, str, str, str]] | None = None

    @property
    def subscriptions(self) -> list[str]:
        return [self.topics.booking_request("book"), self.topics.booking_request("cancel"),
                self.topics.booking_request("status"), self.topics.kiosk_checkin()]

    def handles(self, topic: str) -> bool:
        levels = self.topics.parse(topic)
        return (levels in (["booking", "book"], ["booking", "cancel"], ["booking", "status"])
                or (len(levels) == 3 and levels[0] == "kiosk" and levels[2] == "checkin"))

    # -- requests -------------------------------------------------------------------------------

    def request(self, topic: str, payload: bytes, message: Any, now: float, out: "Outbox") -> None:
        s = self.service
        if topic == self.topics.booking_request("status"):
            return self._answer_status(payload, message, now, out)
        try:
            source, command, rid = self._command(topic, payload, now)
        except Refused as e:
            return s._refuse(out, e.source, message, e.code, e.reason, e.rid)
        decision = decide(s.state, command, now)
        if decision.repeated:
            log.info("%s: repeated booking request %s; answering as before", source, rid)
        elif decision.error is not None:
            e = decision.error
            text = ({"id": e.text_id, "en": str(e), "reason": e.code}
                    if isinstance(e, BookingRefused) else None)
            return s._refuse(out, source, message, e.code, str(e), rid, text)
        s.committed(decision.events, out)
        self.after(decision.events, out, now)
        if isinstance(command, CheckIn):
            out.tickets.append((decision.outcome, message, source))
        elif s.edge.reply_to(message, source):
            out.replies.append((message, schemas.encode(
                {"ok": True, "id": rid, "data": decision.outcome})))

    def _command(self, topic: str, payload: bytes, now: float) -> tuple[str, Any, str]:
        levels = self.topics.parse(topic)
        if levels[0] == "kiosk":
            return self._checkin(levels[1], payload, now)
        source = "web"   # the ACL lets only the web account publish booking requests
        try:
            if levels[1] == "book":
                body = schemas.decode_booking(payload, schemas.BookRequest)
                return source, self._book(body, now), body.id
            body = schemas.decode_booking(payload, schemas.CancelRequest)
            code = clean_code(body.code)
            if code is None:
                raise validate.Invalid("code is not a booking code")
            return source, CancelBooking(code, body.nik_last4, f"web:{body.id}", body.id), body.id
        except (schemas.BadMessage, validate.Invalid) as e:
            raise Refused(source, "bad_request", str(e), schemas.request_id_of(payload)) from None

    def _book(self, body: schemas.BookRequest, now: float) -> Book:
        sid = validate.service_id(body.service)
        try:
            day = date.fromisoformat(body.day)
        except ValueError:
            raise validate.Invalid("day must be YYYY-MM-DD") from None
        rules = self.rules.get(sid)
        session = rules.session(body.session) if rules else None
        edge = self.service.edge
        return Book(service=sid, day=body.day, session=body.session, nik_hash=body.nik_hash,
                    nik_last4=body.nik_last4, code=new_code(os.urandom(8)),
                    request=f"web:{body.id}", request_id=body.id, phone=body.phone,
                    rules=rules or BookingRules(), open_day=open_on(edge.rules.get(sid), day),
                    window=window(rules, session, day, self.service.site.tz) if session else None,
                    today=edge.local(now).date().isoformat(), local_time=edge.local(now))

    def _checkin(self, kiosk: str, payload: bytes, now: float) -> tuple[str, Any, str]:
        edge = self.service.edge
        if not validate.SERVICE_ID.match(kiosk):
            raise Refused("", "bad_request", f"not a kiosk id: {kiosk[:40]!r}", None)
        source = f"kiosk-{kiosk}"
        rid = schemas.request_id_of(payload)
        if not edge.rate.allow(source, now):
            raise Refused(source, "rate_limited", f"{source} sends too fast; slow down", rid)
        if kiosk not in edge.site.kiosks:
            raise Refused(source, "unknown_service", f"unknown kiosk {kiosk!r}", rid)
        try:
            body = schemas.decode_booking(payload, schemas.CheckinRequest)
        except schemas.BadMessage as e:
            raise Refused(source, "bad_request", str(e), rid) from None
        code = clean_code(body.code)
        if code is None:
            raise Refused(source, "unknown", "not a booking code", body.id)
        return source, CheckIn(code, f"{source}:{body.id}", body.id, kiosk=kiosk,
                               nik_last4=body.nik_last4,
                               offered=edge.site.kiosks[kiosk].services), body.id

    # -- status: a read, no event -------------------------------------------------------------

    def _answer_status(self, payload: bytes, message: Any, now: float, out: "Outbox") -> None:
        """Answer ``booking/status`` on the web's reply topic. An unknown code gets a quiet
        ``unknown`` (no error topic, no log line naming the code: codes are the visitors'
        secrets, and a guess must look like any other miss)."""
        s = self.service
        try:
            body = schemas.decode_booking(payload, StatusRequest)
        except schemas.BadMessage as e:
            return s._refuse(out, "web", message, "bad_request", str(e),
                             schemas.request_id_of(payload))
        if not s.edge.reply_to(message, "web"):
            return
        data = self.status(clean_code(body.code), now)
        if data is None:
            reply = schemas.encode(schemas.Error(
                error="no such booking", id=body.id, code="unknown",
                message={"id": "Pemesanan tidak ditemukan", "en": "no such booking"}))
        else:
            reply = schemas.encode({"ok": True, "id": body.id, "data": data})
        out.replies.append((message, reply))

    def status(self, code: str | None, now: float) -> dict[str, Any] | None:
        """What became of a booking: ``booked``, ``checked_in`` (with its ``ticket``),
        ``cancelled`` or ``expired``; None for a code that is not (or no longer) a booking.
        Nothing personal: no NIK digest, no last 4 digits, no phone."""
        if code is None:
            return None
        b = self.service.state.bookings.get(code)
        if b is not None:
            status = b.status
            if status == BOOKED and now >= b.checkin_until:
                status = EXPIRED      # the next tick (<= 5 s) will say so in the log too
            answer = {"code": code, "service": b.service, "day": b.day, "session": b.session,
                      "status": status, "start": b.start, "checkin_from": b.checkin_from,
                      "checkin_until": b.checkin_until}
            if b.status == CHECKED_IN:
                answer["ticket"] = b.ticket
            return answer
        found = self.cancelled(now).get(code)
        today = self.service.edge.local(now).date().isoformat()
        if found is None or found[3] < today:
            return None                # never booked, purged, or cancelled long ago: all alike
        sid, day, session, _ = found
        answer = {"code": code, "service": sid, "day": day, "session": session,
                  "status": CANCELLED, "start": None, "checkin_from": None,
                  "checkin_until": None}
        rules = self.rules.get(sid)
        place = rules.session(session) if rules else None
        if place is not None:
            w = window(rules, place, date.fromisoformat(day), self.service.site.tz)
            answer.update(start=w.start, checkin_from=w.checkin_from,
                          checkin_until=w.checkin_until)
        return answer

    def cancelled(self, now: float) -> dict[str, tuple[str, str, str, str]]:
        if self._cancelled is None:
            self._cancelled = {}
            today = self.service.edge.local(now).date()
            since = (today - timedelta(days=CANCELLED_LOOKBACK_DAYS)).isoformat()
            rows = self.service.store.db.execute(
                "SELECT data FROM events WHERE day >= ? AND type = 'booking_cancelled'", (since,))
            for (data,) in rows:
                try:
                    e = json.loads(data)
                    self._remember_cancelled(e["code"], e["service"], e["for_day"], e["session"])
                except (ValueError, KeyError, TypeError):
                    continue
        return self._cancelled

    def _remember_cancelled(self, code: str, sid: str, day: str, session: str) -> None:
        rules = self.rules.get(sid)
        keep = rules.keep_days if rules else BookingRules().keep_days
        try:
            until = (date.fromisoformat(day) + timedelta(days=keep)).isoformat()
        except ValueError:
            return
        assert self._cancelled is not None
        self._cancelled[code] = (sid, day, session, until)

    # -- after the events: personal data out of the log, places out ----------------------------

    def after(self, events: tuple, out: "Outbox", now: float) -> None:
        """Scrub what ended bookings leave in the stored log; republish touched services."""
        ended: list[str] = []
        purged: list[str] = []
        touched: set[str] = set()
        for e in events:
            if isinstance(e, (ev.Booked, ev.BookingCancelled)):
                touched.add(e.service)
            if isinstance(e, ev.BookingCancelled):
                if self._cancelled is not None:
                    self._remember_cancelled(e.code, e.service, e.for_day, e.session)
                # A cancelled booking leaves the state now, so no later purge would find it:
                # its NIK digest and last digits go with its phone, at once.
                purged.append(e.code)
            elif isinstance(e, ev.CheckedIn):
                ended.append(e.code)
            elif isinstance(e, ev.BookingsExpired):
                ended += e.expired
                purged += e.purged
        if ended or purged:
            self._scrub(ended, purged)
        for sid in touched:
            self.publish(sid, now, out)

    def _scrub(self, ended: list[str], purged: list[str]) -> None:
        store = self.service.store
        # the batch's transaction is open (its events were appended): the scrub joins it
        db = store.db
        for codes, fields in ((ended, "'$.phone'"),
                              (purged, "'$.phone', '$.nik_hash', '$.nik_last4'")):
            for code in codes:
                db.execute(f"UPDATE events SET data = json_remove(data, {fields}) "
                           "WHERE type = 'booked' AND json_extract(data, '$.code') = ?", (code,))
        store.snapshot(self.service.state)   # the old snapshot held the phone numbers too

    def tick(self, now: float, out: "Outbox") -> None:
        """Expire no-shows, purge old bookings, and republish every service once a day."""
        s = self.service
        today = s.edge.local(now).date()
        keep = {sid: (today + timedelta(days=r.no_show_days)).isoformat()
                for sid, r in self.rules.items() if r.no_show_limit}
        decision = decide(s.state, ExpireBookings(today.isoformat(), keep), now)
        if decision.events:
            s.committed(decision.events, out)
            self.after(decision.events, out, now)
        if self._published_day != today.isoformat():
            self.publish_all(now, out)
            if self._cancelled:       # once a day: forget cancellations past their keeping
                self._cancelled = {c: v for c, v in self._cancelled.items()
                                   if v[3] >= today.isoformat()}
            return
        local = s.edge.local(now)
        for sid, said in list(self._signup_said.items()):
            rules = self.rules.get(sid)
            if rules is None or signup_open(rules, local) != said:
                self.publish(sid, now, out)

    def publish_all(self, now: float, out: "Outbox") -> None:
        self._published_day = self.service.edge.local(now).date().isoformat()
        for sid in self.rules:
            self.publish(sid, now, out)

    def publish(self, sid: str, now: float, out: "Outbox") -> None:
        rules = self.rules.get(sid)
        self._signup_said.pop(sid, None)
        if rules is None or sid not in self.service.state.lines:
            return
        body = self.slots(sid, now)
        if "signup" in body:
            self._signup_said[sid] = body["signup"]["open"]
        out.messages.append((self.topics.booking_slots(sid), schemas.encode(body), True))

    def slots(self, sid: str, now: float) -> dict[str, Any]:
        """A service's bookable days and their sessions' remaining places."""
        s = self.service
        rules = self.rules[sid]
        today = s.edge.local(now).date()
        days = []
        for n in range(rules.days_ahead + 1):
            day = today + timedelta(days=n)
            is_open = open_on(s.edge.rules.get(sid), day)
            sessions = []
            if is_open:
                for place in s.state.booking_index.remaining(rules, sid, day.isoformat()):
                    w = window(rules, rules.session(place["session"]), day, s.site.tz)
                    sessions.append({**place, "start": w.start, "checkin_from": w.checkin_from,
                                     "checkin_until": w.checkin_until,
                                     "open": now < w.closes_at})
            days.append({"day": day.isoformat(), "open": is_open, "sessions": sessions})
        answer = {"service": sid, "days": days, "seq": s.state.seq, "ts": round(now, 3)}
        signup = signup_now(rules, s.edge.local(now), s.site.tz)
        if signup is not None:      # absent: sign-up at any time
            answer["signup"] = signup
        return answer

