"""The booking page's HTTP face (issue 15): places, bookings and cancellations.

    booking = BookingHttp(app, send=publish)     # WebApp builds it; WebRole passes ``send``
    booking.routes(app.router)

Routes:

- ``/booking`` and ``/b/<code>``: the booking page (web/static/booking.html);
- ``GET /api/v1/services/<service>/slots?day=YYYY-MM-DD``: the sessions and their remaining
  online places, from the queue's retained ``booking/<service>/slots`` (with ``signup``, the
  hours of online sign-up and whether it is open now, when the service limits them);
- ``POST /api/v1/bookings`` ``{"service", "day", "session", "nik", "phone"?}`` -> 201 (403
  ``signup_closed`` outside ``signup_hours``: the queue service decides);
- ``DELETE /api/v1/bookings/<code>`` ``{"nik_last4"}`` -> 200;
- ``GET /api/v1/bookings/<code>``: what became of the booking (``booking/status``, asked of the
  queue service): its status and window, and once checked in its ticket with the slip's key, so
  the booking page can follow the ticket and offer "Ingatkan saya". The code is the visitor's
  secret: no personal data in the answer, one 404 for anything that is not a live booking;
- ``GET /api/v1/bookings/<code>/qr.svg``: the code as a QR code (what a kiosk's scanner reads).

The NIK stops here: it is checked (:func:`ticketing.booking.check_nik`), turned into its HMAC
under the booking key (derived from the ticket secret) and its last 4 digits, and only those go
to the queue service, over MQTT (``booking/book``, answered on ``reply/web/booking/<n>``). It is
never logged, stored or sent anywhere by this process.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import logging
import re
import time
from collections.abc import Callable
from datetime import date
from typing import Any

import msgspec
from aiohttp import web

from mqtt import schemas
from mqtt.topics import Topics
from ticketing.booking import (BadNik, booking_secret, check_nik, clean_code, nik_digest)
from ticketing.keys import ticket_key
from web.http import client_key, refusal, same_origin
from web.survey import RateLimit

log = logging.getLogger(__name__)

REPLY_TIMEOUT = 5.0          # s: the queue answers in milliseconds; longer means it is away
PER_MINUTE = 10              # booking changes per address a minute (typos included)
# Status reads per address a minute: a booking page asks at most every 10 s (6 a minute), so a
# few phones behind one address fit; a guesser gets one try in 2 s against 32^8 = 2^40 codes
# (bench/booking_guess.py: 29.3 a minute accepted, ~70 years to a hit among 1,000 bookings).
STATUS_PER_MINUTE = 30
STATUS_FIELDS = ("code", "service", "day", "session", "status", "start", "checkin_from",
                 "checkin_until")
PHONE = re.compile(r"^\+?[0-9]{8,15}$")
# signup_closed is 403 like blocked: this visitor may not book now, and may later; not 409 (no
# conflict with the state) nor 410 (the places are still there)
STATUS = {"bad_nik": 400, "bad_request": 400, "duplicate": 409, "full": 409, "closed": 410,
          "blocked": 403, "signup_closed": 403, "not_bookable": 404, "unknown": 404, "used": 409,
          "expired": 410, "rate_limited": 429, "not_allowed": 409}
JSON = {"Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff", "Server": "antrian"}


def _refuse(status: int, code: str, en: str, id_: str) -> web.Response:
    return refusal(status, code, en, id_)


class BookingHttp:
    """:param app: the ``web.server.WebApp`` (its site, clock, static files and secret).
    :param send: ``send(topic, payload, response_topic)`` publishes a request (the web role's
        connection); None: bookings are refused as unavailable (a page without a broker)."""

    def __init__(self, app: Any, *, send: Callable[[str, bytes, str], None] | None = None):
        self.app = app
        self.send = send
        self.topics = Topics(app.site.site)
        self.secret = booking_secret(app.ticket_secret)
        self.slots: dict[str, dict] = {}
        self.pending: dict[str, asyncio.Future] = {}
        self._ids = itertools.count(1)
        self._prefix = f"{int(time.time() * 1000):x}"
        # Token buckets, not lists of times: a list kept every refused request too, so one
        # address flooding made each request scan ~60 s of its flood (bench/booking_guess.py:
        # the web's answers fell from 3,200/s to 600/s) and locked out every phone behind it.
        # A minute's worth at once, so whatever kept under the old window still passes; on the
        # app's clock, which tests step.
        self.changes = RateLimit(PER_MINUTE, PER_MINUTE, clock=lambda: app.clock())
        self.reads = RateLimit(STATUS_PER_MINUTE, STATUS_PER_MINUTE, clock=lambda: app.clock())
        self.figures_ = {"bookings": 0, "cancellations": 0, "refused": 0, "status_reads": 0,
                         "status_unknown": 0}

    def routes(self, r: web.UrlDispatcher) -> None:
        r.add_get("/booking", self.page)
        r.add_get(r"/b/{code:[A-Za-z0-9\-]{1,20}}", self.page)
        r.add_get("/api/v1/bookable", self.api_bookable)
        r.add_get(r"/api/v1/services/{service:[a-z0-9\-]{1,40}}/slots", self.api_slots)
        r.add_post("/api/v1/bookings", self.api_book)
        r.add_delete(r"/api/v1/bookings/{code:[A-Za-z0-9\-]{1,20}}", self.api_cancel)
        r.add_get(r"/api/v1/bookings/{code:[^/]{1,64}}", self.api_status)
        r.add_get(r"/api/v1/bookings/{code:[A-Za-z0-9\-]{1,20}}/qr.svg", self.api_qr)

    # -- MQTT in (on the event loop) -------------------------------------------------------------

    def receive(self, topic: str, payload: bytes) -> bool:
        """Take the retained places and the queue's answers; False for other topics."""
        levels = self.topics.parse(topic)
        if len(levels) == 3 and levels[0] == "booking" and levels[2] == "slots":
            try:
                body = msgspec.json.decode(payload) if payload else None
            except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
                return True       # keep the last good places
            if body is None:
                self.slots.pop(levels[1], None)
            elif isinstance(body, dict) and isinstance(body.get("days"), list):
                # the page builds text from ``signup``: bounded here, or the key goes
                body["signup"] = schemas.signup_of(body.get("signup"))
                self.slots[levels[1]] = body
            return True
        if levels[:3] == ["reply", "web", "booking"]:
            future = self.pending.pop(topic, None)
            if future is not None and not future.done():
                try:
                    future.set_result(msgspec.json.decode(payload))
                except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
                    future.set_result({"ok": False, "code": "bad_request", "error": "bad answer"})
            return True
        return False

    async def _request(self, op: str, body: dict) -> dict:
        if self.send is None:
            return {"ok": False, "code": "unavailable", "error": "booking is not available"}
        rid = f"{self._prefix}-{next(self._ids)}"
        reply = self.topics.reply("web", f"booking/{rid}")
        future = asyncio.get_running_loop().create_future()
        self.pending[reply] = future
        try:
            self.send(self.topics.booking_request(op), msgspec.json.encode({"id": rid, **body}),
                      reply)
            return await asyncio.wait_for(future, REPLY_TIMEOUT)
        except (TimeoutError, asyncio.TimeoutError):
            return {"ok": False, "code": "unavailable", "error": "the queue service did not answer"}
        finally:
            self.pending.pop(reply, None)

    # -- HTTP --------------------------------------------------------------------------------------

    async def page(self, request: web.Request) -> web.Response:
        prepared = self.app.static.get("/static/booking.html")
        return prepared.respond(request) if prepared else web.Response(status=404)

    async def api_bookable(self, request: web.Request) -> web.Response:
        """The services that take bookings, with their names (the page's first list)."""
        services = [{"service": sid, "name": svc.name, "agency": svc.agency}
                    for sid, svc in self.app.site.services.items() if sid in self.slots]
        body = {"services": services, "timezone": str(self.app.site.tz)}
        return web.Response(body=msgspec.json.encode(body),
                            headers={**JSON, "Cache-Control": "public, max-age=10"})

    async def api_slots(self, request: web.Request) -> web.Response:
        sid = request.match_info["service"]
        slots = self.slots.get(sid)
        if slots is None:
            return _refuse(404, "not_bookable", f"service {sid!r} takes no bookings",
                           "Layanan ini tidak menerima pemesanan")
        day = request.query.get("day")
        days = slots["days"]
        if day is not None:
            days = [d for d in days if d.get("day") == day]
            if not days:
                return _refuse(410, "closed", "booking for that day is not open",
                               "Pemesanan untuk hari itu tidak dibuka")
        svc = self.app.site.services.get(sid)
        body = {"service": sid, "name": svc.name if svc else sid, "days": days,
                "ts": slots.get("ts")}
        if slots.get("signup") is not None:     # hours of online sign-up, open now or not
            body["signup"] = slots["signup"]
        return web.Response(body=msgspec.json.encode(body),
                            headers={**JSON, "Cache-Control": "public, max-age=2"})

    async def _body(self, request: web.Request) -> dict | None:
        try:
            body = msgspec.json.decode(await request.read())
        except (msgspec.DecodeError, UnicodeDecodeError, RecursionError, ValueError):
            return None
        return body if isinstance(body, dict) else None

    async def api_book(self, request: web.Request) -> web.Response:
        if not same_origin(request):
            return _refuse(403, "cross_origin", "cross-site request", "Permintaan lintas situs")
        if not self.changes.allow(client_key(request)):
            return _refuse(429, "rate_limited", "too many requests; wait a minute",
                           "Terlalu banyak permintaan; tunggu satu menit")
        body = await self._body(request)
        if body is None:
            return _refuse(400, "bad_request", "expected a JSON object", "Permintaan tidak valid")
        service, day, session = body.get("service"), body.get("day"), body.get("session")
        if not all(isinstance(v, str) and 0 < len(v) <= 40 for v in (service, day, session)):
            return _refuse(400, "bad_request", "service, day and session are needed",
                           "Layanan, tanggal dan sesi wajib diisi")
        try:
            date.fromisoformat(day)
        except ValueError:
            return _refuse(400, "bad_request", "day must be YYYY-MM-DD", "Tanggal tidak valid")
        try:
            nik = check_nik(body.get("nik"))
        except BadNik as e:
            return _refuse(400, e.code, str(e), e.text_id)
        phone = body.get("phone") or None
        if phone is not None:
            phone = re.sub(r"[\s\-]", "", phone) if isinstance(phone, str) else ""
            if not PHONE.match(phone):
                return _refuse(400, "bad_phone", "a phone number has 8 to 15 digits",
                               "Nomor HP harus 8 sampai 15 angka")
        answer = await self._request("book", {
            "service": service, "day": day, "session": session,
            "nik_hash": nik_digest(self.secret, nik), "nik_last4": nik[-4:],
            **({"phone": phone} if phone else {})})
        del nik
        if not answer.get("ok"):
            return self._refused(answer)
        self.figures_["bookings"] += 1
        data = answer["data"]
        out = {k: data[k] for k in ("code", "service", "day", "session", "checkin_from",
                                    "checkin_until")}
        return web.Response(status=201, body=msgspec.json.encode(out), headers=JSON)

    async def api_cancel(self, request: web.Request) -> web.Response:
        if not same_origin(request):
            return _refuse(403, "cross_origin", "cross-site request", "Permintaan lintas situs")
        if not self.changes.allow(client_key(request)):
            return _refuse(429, "rate_limited", "too many requests; wait a minute",
                           "Terlalu banyak permintaan; tunggu satu menit")
        code = clean_code(request.match_info["code"])
        body = await self._body(request) or {}
        last4 = body.get("nik_last4")
        if code is None or not isinstance(last4, str) or not re.fullmatch(r"[0-9]{4}", last4):
            return _refuse(400, "bad_request", "a booking code and the NIK's last 4 digits",
                           "Kode pemesanan dan 4 angka terakhir NIK wajib diisi")
        answer = await self._request("cancel", {"code": code, "nik_last4": last4})
        if not answer.get("ok"):
            return self._refused(answer)
        self.figures_["cancellations"] += 1
        return web.Response(body=msgspec.json.encode({"code": code, "cancelled": True}),
                            headers=JSON)

    async def api_status(self, request: web.Request) -> web.Response:
        """The booking page's question: what became of my booking? Asked of the queue service
        (it owns bookings); the web keeps none."""
        if not self.reads.allow(client_key(request)):
            return _refuse(429, "rate_limited", "too many requests; wait a minute",
                           "Terlalu banyak permintaan; tunggu satu menit")
        self.figures_["status_reads"] += 1
        code = clean_code(request.match_info["code"])
        answer = (await self._request("status", {"code": code}) if code is not None
                  else {"ok": False, "code": "unknown"})
        if not answer.get("ok"):
            if answer.get("code") != "unknown":
                return self._refused(answer)
            # Never booked, malformed, purged: one answer, so a guess learns nothing more.
            self.figures_["status_unknown"] += 1
            return _refuse(404, "unknown", "no such booking (or no longer kept)",
                           "Pemesanan tidak ditemukan (atau sudah dihapus)")
        data = answer.get("data") or {}
        out = {k: data.get(k) for k in STATUS_FIELDS}
        ticket = data.get("ticket")
        if out["status"] == "checked_in" and isinstance(ticket, str) and out["day"]:
            # The slip's key, as its QR code carries it: whoever holds the booking's code is
            # the visitor who holds the slip, and the key lets the page ask for push or text.
            key = ticket_key(self.app.ticket_secret, self.app.site.site, out["day"], ticket)
            out.update(ticket=ticket, key=key, ticket_url=f"/t/{ticket}?d={out['day']}&k={key}")
        return web.Response(body=msgspec.json.encode(out), headers=JSON)

    def _refused(self, answer: dict) -> web.Response:
        self.figures_["refused"] += 1
        code = str(answer.get("code", "bad_request"))
        message = answer.get("message") or {}
        en = str(message.get("en") or answer.get("error") or code)
        status = 503 if code == "unavailable" else STATUS.get(code, 400)
        return _refuse(status, code, en, str(message.get("id") or
                                             "Layanan pemesanan sedang tidak tersedia"))

    async def api_qr(self, request: web.Request) -> web.Response:
        code = clean_code(request.match_info["code"])
        if code is None:
            return _refuse(404, "unknown", "not a booking code", "Kode tidak valid")
        return web.Response(body=qr_svg(f"ANTRIAN:BK:{code}"), headers={
            "Content-Type": "image/svg+xml", "Cache-Control": "public, max-age=86400",
            "X-Content-Type-Options": "nosniff", "Server": "antrian"})

    def figures(self) -> dict[str, int]:
        return {f"booking_{k}": v for k, v in self.figures_.items()}


def qr_svg(text: str) -> bytes:
    """``text`` as a QR code in SVG (the ``qrcode`` package, which python-escpos brings)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()
