"""The HTTP face of near-turn alerts (``web.alerts``), validated once, here, at the edge.

    GET  /api/v1/alerts             {"push": bool, "vapid_public": str|null, "phone": bool}
    POST /api/v1/alerts             {"ticket", "day", "key", "ahead", "minutes"?, "lang"?,
                                     "push"?: {"endpoint", "keys": {"p256dh", "auth"}},
                                     "phone"?: "0812..."}
      201 {"ok": true, "ticket", "day", "push": bool, "phone": bool}
      400 malformed / bad_endpoint / bad_phone · 403 cross_origin / no_key / wrong_key
      404 off / unknown_ticket · 409 done · 410 other_day · 413 too_large · 415 content_type
      429 rate_limited / too_many · 503 loading
    POST /api/v1/alerts/cancel      {"ticket", "day", "key", "endpoint"?}   200 {"ok", "removed"}

Only whoever holds the slip (its QR code's key) may ask for alerts about a ticket: nobody can
have a stranger's number texted, nor watch someone else's ticket from afar.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import re
from typing import Any
from urllib.parse import urlsplit

import msgspec
from aiohttp import web

from ticketing.keys import key_matches
from web.alerts import Subscription
from web.http import API, client_key, private, refusal, same_origin
from web.notify import BadPhone, normalise_phone
from web.push import unb64url
from web.survey import RateLimit
from web.survey_http import read_body

log = logging.getLogger(__name__)

MAX_BODY = 2048           # a subscription is ~600 bytes (an FCM endpoint is ~200 characters)
MAX_ENDPOINT = 1024
MAX_PER_TICKET = 5        # browsers (or numbers) told about one ticket
MAX_AHEAD = 50
MAX_MINUTES = 240
KEY = re.compile(r"^[A-Za-z0-9_\-]{1,40}$")
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
B64 = re.compile(r"^[A-Za-z0-9_\-]+={0,2}$")
# The push services of the browsers visitors carry (Chrome/Edge/Samsung: FCM; Firefox: Mozilla's;
# Safari: Apple's; Windows: WNS). An endpoint elsewhere is refused: the server must not be made
# to POST to any host a visitor names (an address inside the building's network included).
PUSH_SERVICES = ("fcm.googleapis.com", "updates.push.services.mozilla.com",
                 "push.services.mozilla.com", "web.push.apple.com", "notify.windows.com",
                 "push.apple.com")


class Refused(Exception):
    def __init__(self, status: int, code: str, en: str, id_: str):
        super().__init__(en)
        self.status, self.code, self.en, self.id = status, code, en, id_

    def response(self, extra: dict[str, str] | None = None) -> web.Response:
        return refusal(self.status, self.code, self.en, self.id, extra)


def bad(en: str, id_: str, code: str = "malformed") -> Refused:
    return Refused(400, code, en, id_)


def check_endpoint(endpoint: Any, *, services=PUSH_SERVICES, test_origins=()) -> str:
    """An https endpoint of a known push service, or of a configured test origin (tests)."""
    if not isinstance(endpoint, str) or not 10 <= len(endpoint) <= MAX_ENDPOINT:
        raise bad("push.endpoint: a URL of at most 1024 characters", "Alamat push tidak sah",
                  "bad_endpoint")
    parts = urlsplit(endpoint)
    origin = f"{parts.scheme}://{parts.netloc}"
    if origin in test_origins:
        return endpoint
    host = (parts.hostname or "").lower()
    try:
        ipaddress.ip_address(host)
        literal = True
    except ValueError:
        literal = False
    known = any(host == s or host.endswith("." + s) for s in services)
    if parts.scheme != "https" or parts.username or parts.password or literal or not known:
        raise bad("push.endpoint: must be https on a browser's push service",
                  "Alamat push harus https pada layanan push peramban", "bad_endpoint")
    return endpoint


def check_keys(keys: Any) -> tuple[str, str]:
    """The subscription's P-256 public key (65 bytes) and auth secret (16 bytes)."""
    if not isinstance(keys, dict):
        raise bad("push.keys: {p256dh, auth}", "Kunci push tidak sah", "bad_endpoint")
    p256dh, auth = keys.get("p256dh"), keys.get("auth")
    try:
        if not (isinstance(p256dh, str) and isinstance(auth, str) and len(p256dh) <= 100
                and len(auth) <= 40 and B64.match(p256dh) and B64.match(auth)):
            raise ValueError
        point, secret = unb64url(p256dh.rstrip("=")), unb64url(auth.rstrip("="))
        if len(point) != 65 or len(secret) != 16:
            raise ValueError
        from cryptography.hazmat.primitives.asymmetric import ec
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError:
        raise bad("push.keys: p256dh is a P-256 point, auth 16 bytes (base64url)",
                  "Kunci push tidak sah", "bad_endpoint") from None
    return p256dh.rstrip("="), auth.rstrip("=")


def parse(raw: bytes) -> dict[str, Any]:
    try:
        body = msgspec.json.decode(raw)
    except msgspec.DecodeError:
        raise bad("the body is not JSON", "Data bukan JSON") from None
    if not isinstance(body, dict) or len(body) > 12:
        raise bad("the body must be a JSON object", "Data harus objek JSON")
    ticket, day, key = body.get("ticket"), body.get("day"), body.get("key")
    if not isinstance(ticket, str) or not 1 <= len(ticket) <= 12:
        raise bad("ticket: the ticket number, e.g. A016", "Nomor antrean tidak sah")
    if not isinstance(day, str) or not DAY.match(day):
        raise bad("day: YYYY-MM-DD", "Tanggal tidak sah")
    if not isinstance(key, str) or not KEY.match(key):
        raise Refused(403, "no_key", "key: scan the QR code on your ticket slip",
                      "Pindai kode QR pada karcis antrean Anda")
    return body


def thresholds(body: dict[str, Any]) -> tuple[int, int | None, str]:
    ahead, minutes, lang = body.get("ahead", 3), body.get("minutes"), body.get("lang", "id")
    if type(ahead) is not int or not 0 <= ahead <= MAX_AHEAD:
        raise bad(f"ahead: 0..{MAX_AHEAD} tickets", f"Jumlah di depan: 0 sampai {MAX_AHEAD}")
    if minutes is not None and (type(minutes) is not int or not 1 <= minutes <= MAX_MINUTES):
        raise bad(f"minutes: 1..{MAX_MINUTES}", f"Menit: 1 sampai {MAX_MINUTES}")
    if lang not in ("id", "en"):
        raise bad("lang: id or en", "Bahasa: id atau en")
    return ahead, minutes, lang


class AlertsHttp:
    """:param alerts: ``web.alerts.Alerts`` (None: off; the page still alerts while open).
    :param test_origins: push service origins allowed over http (a local mock in tests)."""

    def __init__(self, app, alerts, *, test_origins=(), per_minute: int = 10,
                 push_services=PUSH_SERVICES):
        self.app = app
        self.alerts = alerts
        self.test_origins = tuple(test_origins)
        self.push_services = tuple(push_services)
        # A visitor sets one alert, maybe changes it: a burst of 5 (a quarter of a minute's
        # worth on a busier setting), then the configured rate; refusals count too.
        self.limit = RateLimit(per_minute, burst=min(per_minute, max(5, per_minute // 4)))
        self.accepted = self.refused = 0
        pusher = alerts.pusher if alerts is not None else None
        self.config = msgspec.json.encode({
            "push": pusher is not None,
            "vapid_public": pusher.vapid.public if pusher is not None else None,
            "phone": alerts is not None and alerts.outbox is not None})

    def routes(self, r: web.UrlDispatcher) -> None:
        r.add_get("/api/v1/alerts", self.get_config)
        r.add_post("/api/v1/alerts", self.post)
        r.add_post("/api/v1/alerts/cancel", self.cancel)

    async def get_config(self, request: web.Request) -> web.Response:
        return web.Response(body=self.config, headers={**API, "Cache-Control": "max-age=60"})

    async def _body(self, request: web.Request) -> dict[str, Any]:
        if self.alerts is None or not self.alerts.enabled:
            raise Refused(404, "off", "Alerts by push or text are off on this site",
                          "Pengingat lewat push atau pesan tidak aktif di lokasi ini")
        if not same_origin(request):
            raise Refused(403, "cross_origin", "Alerts are asked for from this site's own page",
                          "Pengingat hanya dari halaman situs ini")
        if not self.limit.allow(client_key(request)):
            raise Refused(429, "rate_limited", "Too many requests from this device; wait a "
                          "minute", "Terlalu banyak permintaan dari perangkat ini; tunggu "
                          "sebentar")
        if request.content_type != "application/json":
            raise Refused(415, "content_type", "Send application/json",
                          "Data harus application/json")
        if request.content_length is not None and request.content_length > MAX_BODY:
            raise Refused(413, "too_large", f"At most {MAX_BODY} bytes", "Data terlalu besar")
        try:
            raw = await asyncio.wait_for(read_body(request, MAX_BODY + 1),
                                         self.app.header_timeout)
        except TimeoutError:
            raise Refused(408, "timeout", "The body came too slowly",
                          "Data terlalu lambat dikirim") from None
        if len(raw) > MAX_BODY:
            raise Refused(413, "too_large", f"At most {MAX_BODY} bytes", "Data terlalu besar")
        return parse(raw)

    def _ticket(self, body: dict[str, Any]) -> tuple[str, str]:
        """The ticket's label and day, held by this visitor, still to be served today."""
        public, now = self.app.public, self.app.clock()
        label = public.normalise(body["ticket"])
        if label is None:
            raise bad("ticket: not a ticket number of this site", "Nomor antrean tidak sah")
        if not key_matches(self.app.ticket_secret, self.app.site.site, body["day"], label,
                           body["key"]):
            raise Refused(403, "wrong_key", "The key does not match this ticket: scan the QR "
                          "code on your slip", "Kunci tidak cocok: pindai kode QR pada karcis")
        status, info = public.ticket(label, body["day"], now)
        if status == 503:
            raise Refused(503, "loading", "The queue's state is still arriving; try again",
                          "Data antrean sedang dimuat; coba lagi")
        state = info.get("status")
        if state == "expired":
            raise Refused(410, "other_day", "This ticket is not for today",
                          "Tiket ini bukan untuk hari ini")
        if state == "unknown":
            raise Refused(404, "unknown_ticket", "This number has not been issued today",
                          "Nomor ini belum terdaftar hari ini")
        if state == "done":
            raise Refused(409, "done", "This ticket has been served", "Tiket ini sudah dilayani")
        return label, body["day"]

    async def post(self, request: web.Request) -> web.Response:
        self.app.requests += 1
        try:
            body = await self._body(request)
            label, day = self._ticket(body)
            sub = self._subscription(body, label, day)
            held = self.alerts.by_ticket.get((day, label), [])
            if len(held) >= MAX_PER_TICKET and not any(
                    s.endpoint == sub.endpoint for s in held if sub.endpoint):
                raise Refused(429, "too_many", "Enough alerts are set for this ticket",
                              "Pengingat untuk tiket ini sudah cukup")
            if self.alerts.count() >= self.alerts.max_total:
                raise Refused(503, "full", "No more alerts can be set now; keep the page open",
                              "Pengingat penuh; biarkan halaman ini terbuka")
        except Refused as e:
            self.refused += 1
            return e.response({"Retry-After": "60"} if e.status in (429, 503) else None)
        self.alerts.add(sub)
        self.accepted += 1
        self.alerts.check(self.app.clock())     # already near: told at once
        return private(201, {"ok": True, "ticket": label, "day": day,
                             "push": sub.endpoint is not None, "phone": sub.phone is not None})

    def _subscription(self, body: dict[str, Any], label: str, day: str) -> Subscription:
        ahead, minutes, lang = thresholds(body)
        sub = Subscription(day=day, ticket=label, ahead=ahead, minutes=minutes, lang=lang)
        push = body.get("push")
        if push is not None:
            if self.alerts.pusher is None:
                raise Refused(404, "off", "Web Push is off on this site",
                              "Notifikasi push tidak aktif di lokasi ini")
            if not isinstance(push, dict):
                raise bad("push: {endpoint, keys}", "Data push tidak sah", "bad_endpoint")
            sub.endpoint = check_endpoint(push.get("endpoint"), services=self.push_services,
                                          test_origins=self.test_origins)
            sub.p256dh, sub.auth = check_keys(push.get("keys"))
        phone = body.get("phone")
        if phone is not None:
            if self.alerts.outbox is None:
                raise Refused(404, "off", "Texts are off on this site",
                              "Pesan ke HP tidak aktif di lokasi ini")
            try:
                sub.phone = self.alerts.seal.seal(normalise_phone(phone))
            except BadPhone as e:
                raise bad(str(e), "Nomor HP tidak sah (contoh: 0812 3456 7890)",
                          "bad_phone") from None
        if sub.endpoint is None and sub.phone is None:
            raise bad("give push or phone", "Isi langganan push atau nomor HP")
        return sub

    async def cancel(self, request: web.Request) -> web.Response:
        self.app.requests += 1
        try:
            body = await self._body(request)
            label = self.app.public.normalise(body["ticket"])
            if label is None or not key_matches(self.app.ticket_secret, self.app.site.site,
                                                body["day"], label, body["key"]):
                raise Refused(403, "wrong_key", "The key does not match this ticket",
                              "Kunci tidak cocok")
            endpoint = body.get("endpoint")
            if endpoint is not None and not isinstance(endpoint, str):
                raise bad("endpoint: a URL", "Alamat push tidak sah", "bad_endpoint")
        except Refused as e:
            self.refused += 1
            return e.response()
        removed = self.alerts.remove(body["day"], label, endpoint)
        return private(200, {"ok": True, "removed": removed})

    def figures(self) -> dict[str, Any]:
        out = {"alerts_accepted": self.accepted, "alerts_refused": self.refused}
        if self.alerts is not None:
            out.update(self.alerts.figures())
        return out
