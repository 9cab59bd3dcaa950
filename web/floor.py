"""The live floor view for the building manager and agency supervisors (issue 14).

    GET  /manage/floor                      the page (303 to the login without a session)
    GET  /api/v1/floor                      per agency and service: the line, the longest wait,
                                            the estimate, counters open/idle/closed, flags
    POST /api/v1/floor/<command>            open, close, assign, message, reset
    GET  /api/v1/manage/officers?day=       per-officer figures (reports.officers): the
                                            manager's all, an agency's its counters' officers

A command goes to the queue service as its maintenance command (``cmnd/queue/<command>``, with a
transaction and the response topic ``reply/web/<transaction>``) and answers with the queue's
reply. An agency supervisor acts only on counters that serve its agency alone and on its own
services; the running text is the whole building's, so it is the building manager's. Ending a
service's line for the day needs ``confirm: true``. Every command is in the audit log.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from web.audit import Entry
from web.console import _body, _refused, _today_at
from web.http import private, refusal, same_origin
from web.staff_edge import (MESSAGE_MAX, REASON_MAX, Refused, agencies_of, clean_text,
                            may_act, until_value)
from web.staff_views import floor_view

log = logging.getLogger(__name__)

COMMANDS = ("open", "close", "assign", "message", "reset")


class FloorHttp:
    def __init__(self, app):
        self.app = app
        self.commands = 0

    def routes(self, r: web.UrlDispatcher) -> None:
        r.add_get("/manage/floor", self.page)
        r.add_get("/api/v1/floor", self.floor)
        r.add_post(r"/api/v1/floor/{command:[a-z]{1,16}}", self.command)
        r.add_get("/api/v1/manage/officers", self.officers)

    def _supervisor(self, request: web.Request):
        account = self.app.manage.account(request)
        if account is None:
            return None, refusal(401, "login", "log in first: POST /manage/login",
                                 "Silakan masuk terlebih dahulu")
        if account.role not in ("manager", "agency"):
            return None, refusal(403, "forbidden", "the floor view is for supervisors",
                                 "Tampilan lantai hanya untuk pengelola dan instansi")
        return account, None

    async def page(self, request: web.Request) -> web.Response:
        account = self.app.manage.account(request)
        if account is None:
            raise web.HTTPSeeOther("/manage/login")
        if account.role == "officer":
            raise web.HTTPSeeOther("/console/")
        response = self.app.static["/static/floor.html"].respond(request)
        response.headers["Cache-Control"] = "no-store"
        return response

    async def floor(self, request: web.Request) -> web.Response:
        account, refused = self._supervisor(request)
        if refused is not None:
            return refused
        app = self.app
        doc = floor_view(app.site, app.public, app.arrivals, app.clock(),
                         agencies_of(app.site, account))
        doc["user"] = {"user": account.user, "role": account.role, "agency": account.agency}
        return private(200, doc)

    async def officers(self, request: web.Request) -> web.Response:
        from reports.officers import figures, visible
        from web.http import BadQuery, day_param
        account, refused = self._supervisor(request)
        if refused is not None:
            return refused
        app = self.app
        try:
            day = day_param(request, "day", app.public.today(app.clock()))
        except BadQuery as e:
            return refusal(400, "bad_request", str(e))
        rows = figures(app.site, app.audit.day(day, app.site.tz, app.site.reset_at))
        return private(200, {"day": day, "officers": visible(
            rows, None if account.role == "manager" else account.agency)})

    async def command(self, request: web.Request) -> web.Response:
        name = request.match_info["command"]
        if not same_origin(request):
            return refusal(403, "cross_origin", "act from this site's own page",
                           "Hanya dari halaman situs ini")
        account, refused = self._supervisor(request)
        if refused is not None:
            return refused
        if name not in COMMANDS:
            return refusal(404, "unknown_command", f"unknown command; known: {', '.join(COMMANDS)}")
        try:
            args = self._checked(name, account, await _body(request))
        except Refused as e:
            return _refused(e.code, e.error, e.says)
        outcome = await self.app.staff.command(name, args)
        self.commands += 1
        target = args.get("service") or ",".join(args.get("services") or []) or None
        self.app.audit.record(Entry(
            self.app.clock(), account.user, account.role, "command", counter=args.get("counter"),
            action=name, target=target, reason=args.get("reason") or None,
            outcome="ok" if outcome.ok else str(outcome.code)))
        log.info("%s (%s): %s %s -> %s", account.user, account.role, name,
                 {k: v for k, v in args.items() if k != "text"}, outcome.code or "ok")
        if outcome.ok:
            return private(200, {"ok": True, "data": outcome.data})
        return _refused(outcome.code, outcome.error or str(outcome.code))

    def _checked(self, name: str, account, raw: dict[str, Any]) -> dict[str, Any]:
        site, public = self.app.site, self.app.public
        scope = agencies_of(site, account)
        if name == "message":
            if account.role != "manager":
                raise Refused("forbidden", "the running text is the building manager's",
                              "Teks berjalan hanya untuk pengelola gedung")
            return {"text": clean_text(raw.get("text"), MESSAGE_MAX, "text")}
        if name == "reset":
            sid = raw.get("service")
            if not isinstance(sid, str) or sid not in site.services:
                raise Refused("unknown_service", "service: the service whose line ends",
                              "Pilih layanan")
            if scope is not None and site.services[sid].agency not in scope:
                raise Refused("forbidden", f"service {sid} is another agency's")
            if raw.get("confirm") is not True:
                raise Refused("confirm_needed", "ending a line for the day needs confirm: true",
                              "Menutup antrean layanan hari ini perlu konfirmasi")
            return {"service": sid, "confirm": True}
        cid = raw.get("counter")
        if not isinstance(cid, str) or cid not in site.counters:
            raise Refused("unknown_counter", "counter: a counter id of the site", "Pilih loket")
        if not may_act(site, account, cid, public):
            raise Refused("forbidden", f"counter {cid} serves another agency",
                          f"Loket {cid} melayani instansi lain")
        args: dict[str, Any] = {"counter": cid}
        if name == "close":
            until = until_value(raw.get("until"), self.app.clock())
            if isinstance(until, str):
                until = _today_at(self.app, until)
            if until is not None:
                args["until"] = until
            reason = clean_text(raw.get("reason"), REASON_MAX, "reason")
            if reason:
                args["reason"] = reason
        elif name == "assign":
            services = raw.get("services")
            if not isinstance(services, list) or not services or len(services) > 50 or not all(
                    isinstance(s, str) and s in site.services for s in services):
                raise Refused("unknown_service", "services: a list of the site's service ids",
                              "Pilih layanan")
            if scope is not None and any(site.services[s].agency not in scope for s in services):
                raise Refused("forbidden", "services of another agency")
            args["services"] = list(dict.fromkeys(services))
        return args

    def figures(self) -> dict[str, Any]:
        return {"floor_commands": self.commands}
