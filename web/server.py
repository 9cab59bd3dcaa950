"""The visitors' page and its JSON API: a small aiohttp server fed by the retained MQTT state.

    app = WebApp(site)                 # tests feed it with app.receive(topic, payload)
    runner = await app.start("0.0.0.0", 8080)
    ...
    await app.stop()

Per request nothing touches the broker and nothing is computed: each change of the state is
rebuilt once (``web.public``) into the ready bytes of ``/api/v1/services`` (plain and gzip, with
its ETag) and one frame for the live stream, which is copied to every listener.

Routes (GET and HEAD, but for the POSTs and the DELETE named below; anything else is 405):

- ``/`` and ``/t/<ticket>``: the page (web/static), the second opening on "my ticket";
- ``/api/v1/services``: every service (``Cache-Control: max-age=2``, ETag, gzip);
- ``/api/v1/tickets/<ticket>[?day=YYYY-MM-DD]``: one ticket's status, position and estimate;
- ``/api/v1/events[?v=<version>]``: server-sent events (``service``, ``status``, ``call``,
  ``message``, ``snapshot``, ``ping``), resumable with ``Last-Event-ID``: ``web.live_stream``;
- ``/static/<file>``, ``/healthz``;
- the SKM survey (``/survey/<ticket>``, ``POST /api/v1/survey``, ``/api/v1/skm``):
  ``web.survey_http``; the manager's pages (``/manage/``, ``/api/v1/manage/...``): ``web.manage``,
  their ``POST /manage/login`` and ``POST /manage/logout``: ``web.login``;
- staff (issue 14): the counter page (``/console/``, ``/api/v1/counters[/<counter>]``,
  ``POST /api/v1/counters/<counter>/press``): ``web.console``; the floor view
  (``/manage/floor``, ``/api/v1/floor``, ``POST /api/v1/floor/<command>``): ``web.floor``;
- booking (``/booking``, ``/b/<code>``, ``/api/v1/bookable``,
  ``/api/v1/services/<service>/slots``, ``POST /api/v1/bookings``, ``GET /api/v1/bookings/<code>``
  (what became of the booking), ``DELETE /api/v1/bookings/<code>``,
  ``/api/v1/bookings/<code>/qr.svg``): ``web.booking``;
- near-turn alerts (``/api/v1/alerts``, ``POST /api/v1/alerts``, ``POST /api/v1/alerts/cancel``:
  Web Push and texts): ``web.alerts_http``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
from aiohttp import web

from antrian.config import Site
from web.http import API, EDGE, Edge, error, is_secure
from web.prepared import STATIC, Prepared, frame, load_static
from web.prepared import raise_file_limit  # noqa: F401  (web.role starts with it)
from web.live_stream import LiveStream
from web.public import PublicState

log = logging.getLogger(__name__)

FLUSH_DELAY = 0.05      # s: changes arriving together are rebuilt and streamed together
TICK = 15.0             # s: heartbeat to streams, day and staleness check
TICKET_CACHE = 4096
RETRY_SYNC_S = 2        # s: Retry-After while the retained state is still arriving

LIVE_JSON = {**API, "Cache-Control": "public, max-age=2", "Vary": "Accept-Encoding"}
ALLOW = "GET, HEAD"


class WebApp:
    """:param clock: seconds since the epoch (tests pass a fixed one).
    :param max_streams: listeners of the live stream at most; more get 503 and poll instead.
    :param max_streams_per_address: listeners from one address (an IPv6 /64) at most.
    :param ticket_secret: the key of the tickets' survey keys (``ticketing.keys``); None: the
        site's (``antrian.config.ticket_secret``).
    :param edge: trusted proxies and HSTS (``web.http.Edge``).
    :param header_timeout: seconds a connection may take to send a request's headers (and a
        POST its body) before it is closed (slowloris).
    :param audit: the staff's audit log (``web.audit.AuditLog``; None: kept in memory).
    :param ack_timeout: seconds a staff press waits for the queue's acknowledgement."""

    def __init__(self, site: Site, *, clock: Callable[[], float] = time.time,
                 max_streams: int = 3000, max_streams_per_address: int = 20,
                 static: Path = STATIC, survey=None, survey_per_minute: int = 20,
                 accounts=None, queue_db: Path | None = None, reports_dir: Path | None = None,
                 ticket_secret: bytes | None = None, edge: Edge | None = None,
                 header_timeout: float = 10.0, alerts=None, alert_options=None, audit=None,
                 ack_timeout: float = 4.0, send_booking=None):
        from antrian.config import ticket_secret as site_ticket_secret
        from web.alerts_http import AlertsHttp
        from web.audit import AuditLog
        from web.booking import BookingHttp
        from web.console import ConsoleHttp
        from web.floor import FloorHttp
        from web.manage import ManagerHttp
        from web.staff_link import StaffLink
        from web.survey_http import SurveyHttp

        self.site = site
        self.clock = clock
        self.header_timeout = header_timeout
        self.edge = edge or Edge()
        self.ticket_secret = (ticket_secret if ticket_secret is not None
                              else site_ticket_secret(site))
        self.public = PublicState(site)
        self.public.survey = survey is not None
        self.static = load_static(static)
        self.index = self.static["/static/index.html"]
        # The live stream (web.live_stream); its listeners are read here too (figures, tests).
        self.live = LiveStream(self, max_streams=max_streams,
                               max_streams_per_address=max_streams_per_address)
        self.streams, self.streams_by_client = self.live.streams, self.live.streams_by_client
        self.services = Prepared(b"{}", LIVE_JSON)
        self.tickets: dict[tuple[str, str | None], tuple[int, Prepared]] = {}
        self.requests = 0
        self.loop: asyncio.AbstractEventLoop | None = None
        self._flush_handle: asyncio.Handle | None = None
        self._tasks: list[asyncio.Task] = []
        # The survey (web.survey_http) and the manager's pages (web.manage): see their modules.
        self.survey_http = SurveyHttp(self, survey, per_minute=survey_per_minute)
        self.manage = ManagerHttp(self, accounts, queue_db=queue_db, reports_dir=reports_dir)
        # Near-turn alerts (web.alerts), told after each rebuild; None: only the open page alerts.
        self.alerts = alerts
        if alerts is not None:
            alerts.public = self.public
        self.alerts_http = AlertsHttp(self, alerts, **(alert_options or {}))
        # Staff (issue 14): presses and supervisors' commands go out through the staff link,
        # whose publish the role attaches (web.role); each is kept in the audit log.
        self.audit = audit if audit is not None else AuditLog(None)
        self.staff = StaffLink(self.public.topics, connected=lambda: self.public.connected,
                               ack_timeout=ack_timeout)
        self.arrivals = self.staff.arrivals
        self.console = ConsoleHttp(self)
        self.floor = FloorHttp(self)
        # Booking (issue 15): web.booking; ``send_booking`` publishes its requests (WebRole).
        self.booking = BookingHttp(self, send=send_booking)
        self.app = self._build()
        self._flush()

    # -- state in ----------------------------------------------------------------------------

    def receive(self, topic: str, payload: bytes, *, retained: bool = False) -> None:
        """Fold in an MQTT message (on the event loop) and schedule the rebuild. The barrier
        (the retained state has all arrived) is rebuilt at once: lookups wait for it."""
        if self.booking.receive(topic, payload):    # places and the queue's answers
            return
        if self.public.receive(topic, payload, retained=retained):
            if self.public.synced and not self.public.snapshot.synced:
                self._flush()
            else:
                self._schedule()
        # then the staff's acknowledgements, which answer from the state just folded in
        self.staff.hear(topic, payload)

    def receive_threadsafe(self, topic: str, payload: bytes, message: Any = None) -> None:
        """paho's thread: hand the message to the loop, nothing else."""
        if self.loop is not None:
            retained = bool(getattr(message, "retain", False))
            self.loop.call_soon_threadsafe(
                lambda: self.receive(topic, bytes(payload), retained=retained))

    def set_connected(self, connected: bool) -> None:
        self.public.set_connected(connected)
        self._schedule()

    def set_connected_threadsafe(self, connected: bool) -> None:
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self.set_connected, connected)

    def _schedule(self) -> None:
        if self._flush_handle is None and self.loop is not None:
            self._flush_handle = self.loop.call_later(FLUSH_DELAY, self._flush)
        elif self.loop is None:
            self._flush()

    def _flush(self) -> None:
        if self._flush_handle is not None:
            self._flush_handle.cancel()
        self._flush_handle = None
        try:
            update = self.public.rebuild(self.clock())
        except Exception:  # a bad state must not stop the page: keep serving the last one
            log.exception("rebuilding the public state failed")
            return
        self.tickets.clear()    # answers come from the snapshot, which may have changed
        if update is None:
            return
        self.services = Prepared(msgspec.json.encode(self.public.document), LIVE_JSON)
        if update.frames:
            self.live.broadcast(update)
        if self.alerts is not None:
            try:
                self.alerts.check(self.clock())
            except Exception:   # an alert must never stop the page
                log.exception("checking the near-turn alerts failed")

    @property
    def dropped_streams(self) -> int:
        return self.live.dropped_streams

    def _send_all(self, blob: bytes) -> None:
        self.live.send_all(blob)

    # -- the periodic tick -------------------------------------------------------------------

    async def _ticker(self) -> None:
        while True:
            await asyncio.sleep(TICK)
            try:
                self._flush()   # the day may have turned: staleness is judged again
                self._send_all(frame("ping", msgspec.json.encode(
                    {"ts": round(self.clock(), 3), "version": self.public.version})))
            except Exception:
                log.exception("tick failed")

    # -- HTTP --------------------------------------------------------------------------------

    def _build(self) -> web.Application:
        app = web.Application(client_max_size=1024)
        app[EDGE] = self.edge
        app.on_response_prepare.append(self._hsts)
        r = app.router
        r.add_get("/", self.page)
        r.add_get("/index.html", self.page)
        r.add_get(r"/t/{ticket:[A-Za-z0-9.\-]{1,12}}", self.page)
        r.add_get(r"/T/{ticket:[A-Za-z0-9.\-]{1,12}}", self.page)
        r.add_get("/api/v1/services", self.api_services)
        r.add_get(r"/api/v1/tickets/{ticket:[^/]{1,40}}", self.api_ticket)
        r.add_get("/api/v1/events", self.live.handle)
        r.add_get("/healthz", self.health)
        r.add_get("/favicon.ico", self.favicon)
        r.add_get(r"/static/{path:[A-Za-z0-9._\-/]{1,80}}", self.static_file)
        self.survey_http.routes(r)
        self.manage.routes(r)
        self.alerts_http.routes(r)
        self.console.routes(r)
        self.floor.routes(r)
        self.booking.routes(r)
        r.add_route("*", "/{tail:.*}", self.fallback)
        app.on_startup.append(self._on_startup)
        app.on_shutdown.append(self._on_shutdown)
        return app

    async def _hsts(self, request: web.Request, response: web.StreamResponse) -> None:
        if self.edge.hsts is not None and is_secure(request):
            response.headers["Strict-Transport-Security"] = self.edge.hsts

    async def _on_startup(self, app: web.Application) -> None:
        self.loop = asyncio.get_running_loop()
        self._tasks.append(asyncio.create_task(self._ticker()))

    async def _on_shutdown(self, app: web.Application) -> None:
        for task in self._tasks:
            task.cancel()
        self.live.close()
        self.manage.close()
        if self.alerts is not None:
            await self.alerts.close()

    async def page(self, request: web.Request) -> web.Response:
        self.requests += 1
        return self.index.respond(request)

    async def static_file(self, request: web.Request) -> web.Response:
        self.requests += 1
        prepared = self.static.get(request.path)
        if prepared is None:
            return error(404, "not found")
        return prepared.respond(request)

    async def favicon(self, request: web.Request) -> web.Response:
        prepared = self.static.get("/static/icon.svg")
        return prepared.respond(request) if prepared else error(404, "not found")

    async def api_services(self, request: web.Request) -> web.Response:
        self.requests += 1
        return self.services.respond(request)

    async def api_ticket(self, request: web.Request) -> web.Response:
        self.requests += 1
        raw = request.match_info["ticket"]
        day = request.query.get("day")
        key = (raw.upper(), day)
        cached = self.tickets.get(key)
        if cached is None:
            status, body = self.public.ticket(raw, day, self.clock())
            if len(self.tickets) >= TICKET_CACHE:
                self.tickets.clear()   # guessed numbers must not grow memory
            headers = LIVE_JSON if status == 200 else {**API, "Cache-Control": "no-store"}
            if status == 503:
                headers = {**headers, "Retry-After": str(RETRY_SYNC_S)}
            cached = (status, Prepared(msgspec.json.encode(body), headers, compress=False))
            self.tickets[key] = cached
        status, prepared = cached
        if status != 200:
            return web.Response(status=status, body=prepared.body, headers=prepared.headers)
        return prepared.respond(request)

    async def health(self, request: web.Request) -> web.Response:
        body = msgspec.json.encode({"ok": not self.public.status.get("stale", True),
                                    **self.figures()})
        return web.Response(body=body, headers={**API, "Cache-Control": "no-store"})

    async def fallback(self, request: web.Request) -> web.Response:
        if request.method not in ("GET", "HEAD"):
            return error(405, "read-only: GET and HEAD only", {"Allow": ALLOW})
        return error(404, "not found")

    def figures(self) -> dict[str, Any]:
        return {"streams": len(self.streams), "page_version": self.public.version,
                "requests": self.requests, "dropped_streams": self.dropped_streams,
                "refused_streams": self.live.refused_streams, "synced": self.public.synced,
                "services": len(self.public.services), "online": self.public.queue_online,
                "connected": self.public.connected, **self.survey_http.figures(),
                **self.alerts_http.figures(),
                **self.manage.figures(), **self.staff.figures(), **self.console.figures(),
                **self.floor.figures(), **self.booking.figures()}

    # -- running -----------------------------------------------------------------------------

    async def start(self, host: str, port: int, *, backlog: int = 2048) -> web.AppRunner:
        # handler_cancellation: a listener that hangs up ends its stream handler at once
        # (otherwise only the next heartbeat would notice). No access log: visitors' addresses
        # are personal data and the log would only slow the server.
        # keepalive_timeout doubles as the header-read timeout: aiohttp arms it when a
        # connection opens and closes a connection still waiting for its request's headers when
        # it fires (a slowloris dribbling bytes included); idle keep-alives go as soon.
        runner = web.AppRunner(self.app, access_log=None, handle_signals=False,
                               shutdown_timeout=2.0, handler_cancellation=True,
                               keepalive_timeout=self.header_timeout)
        await runner.setup()
        await web.TCPSite(runner, host, port, backlog=backlog, reuse_address=True).start()
        return runner
