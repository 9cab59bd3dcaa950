"""The manager's face: login, and the figures a building manager or an agency may see.

    GET  /manage/login                the login form          POST /manage/login   (form or JSON)
    POST /manage/logout
    GET  /manage/                     the manager's page (303 to the login without a session)
    GET  /api/v1/manage/me            who is logged in, which agencies and services they see
    GET  /api/v1/manage/skm?from=&to=[&agency=][&service=]      the survey, per agency/service
    GET  /api/v1/manage/skm.csv?from=&to=
    GET  /api/v1/manage/standards?day=[&agency=]                service times against targets
    GET  /api/v1/manage/standards.csv?day=
    GET  /api/v1/manage/report?day=   links to the above and to `antrian report`'s files
    GET  /manage/files/<day>/<file>   a file of `antrian report --out <reports>/<day>` (manager)

A ``manager`` account sees every agency; an ``agency`` account only its own: asking for another
agency's (or another agency's service's) figures is 403, and without a valid session every one of
these is 401. Sessions are signed cookies (``web.accounts``): HttpOnly, SameSite=Strict; the
login and logout POSTs are :mod:`web.login`'s.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from pathlib import Path
from typing import Any

from aiohttp import web

from web.accounts import Account, Accounts
from web.http import BadQuery, day_param, day_range, private, refusal
from web.login import COOKIE, LoginHttp

log = logging.getLogger(__name__)

FILE = re.compile(r"^[a-z0-9_]{1,40}\.(csv|png|json)$")
STANDARDS_FRESH_S = 30.0        # today's figures are replayed from the log at most this often
STANDARDS_DAYS_KEPT = 31


class ManagerHttp:
    """:param accounts: the managers file (None: no accounts; logins fail with the reason).
    :param queue_db: the queue's SQLite log (on the queue's Pi): standards compliance.
    :param reports_dir: where `antrian report --out DIR/<day>` writes: served to managers."""

    def __init__(self, app, accounts: Accounts | None, *, queue_db: Path | None = None,
                 reports_dir: Path | None = None):
        self.app = app
        self.accounts = accounts
        self.queue_db = queue_db
        self.reports_dir = reports_dir
        self.login_http = LoginHttp(accounts, who=self._who)    # POST login and logout
        self._days: dict[str, tuple[float, dict[str, Any]]] = {}

    def routes(self, r: web.UrlDispatcher) -> None:
        r.add_get("/manage", self.page)
        r.add_get("/manage/", self.page)
        r.add_get("/manage/login", self.login_page)
        r.add_post("/manage/login", self.login_http.login)
        r.add_post("/manage/logout", self.login_http.logout)
        r.add_get("/api/v1/manage/me", self.me)
        r.add_get("/api/v1/manage/skm", self.skm)
        r.add_get("/api/v1/manage/skm.csv", self.skm_csv)
        r.add_get("/api/v1/manage/standards", self.standards)
        r.add_get("/api/v1/manage/standards.csv", self.standards_csv)
        r.add_get("/api/v1/manage/report", self.report)
        r.add_get(r"/manage/files/{day:\d{4}-\d{2}-\d{2}}/{name}", self.file)

    def close(self) -> None:
        self.login_http.close()

    # -- who is asking -------------------------------------------------------------------------

    def account(self, request: web.Request) -> Account | None:
        if self.accounts is None:
            return None
        return self.accounts.from_token(request.cookies.get(COOKIE), time.time())

    def _need(self, request: web.Request) -> Account:
        account = self.account(request)
        if account is None:
            raise _Refusal(private(
                401, {"ok": False, "code": "login", "error": "log in first: POST /manage/login",
                      "message": {"id": "Silakan masuk terlebih dahulu",
                                  "en": "Please log in first"}}))
        return account

    def _visible_agencies(self, account: Account) -> list[str]:
        return [a for a in self.app.site.agencies if account.sees(a)]

    def _scope(self, request: web.Request, account: Account) -> tuple[str | None, str | None]:
        """(agency, service) asked for, checked against what the account may see."""
        agency, service = request.query.get("agency"), request.query.get("service")
        site = self.app.site
        if service is not None:
            svc = site.services.get(service)
            if svc is None:
                raise _Refusal(refusal(404, "unknown_service", f"unknown service {service[:40]!r}"))
            if agency is not None and agency != svc.agency:
                raise _Refusal(refusal(400, "bad_request",
                                       f"service {service!r} is not of agency {agency!r}"))
            agency = svc.agency
        if agency is not None and agency not in site.agencies:
            raise _Refusal(refusal(404, "unknown_agency", f"unknown agency {agency[:60]!r}"))
        if account.role != "manager":
            if agency is not None and agency != account.agency:
                raise _Refusal(refusal(403, "forbidden",
                                       f"this account sees {account.agency} only",
                                       f"Akun ini hanya untuk {account.agency}"))
            agency = account.agency
        return agency, service

    # -- pages (login and logout: web.login) -------------------------------------------------------

    async def page(self, request: web.Request) -> web.Response:
        account = self.account(request)
        if account is None:
            raise web.HTTPSeeOther("/manage/login")
        if account.role == "officer":
            raise web.HTTPSeeOther("/console/")    # an officer's page is their counter
        return _no_store(self.app.static["/static/manage.html"].respond(request))

    async def login_page(self, request: web.Request) -> web.Response:
        return _no_store(self.app.static["/static/login.html"].respond(request))

    def _who(self, account: Account) -> dict[str, Any]:
        agencies = self._visible_agencies(account)
        return {"user": account.user, "role": account.role, "agency": account.agency,
                "counters": list(account.counters),
                "agencies": agencies, "today": self._today(),
                "services": [{"id": s.id, "name": s.name, "agency": s.agency}
                             for s in self.app.site.services.values() if s.agency in agencies],
                "standards_available": self.queue_db is not None,
                "survey_available": self.app.survey_http.store is not None}

    # -- figures -------------------------------------------------------------------------------

    async def me(self, request: web.Request) -> web.Response:
        try:
            return private(200, self._who(self._need(request)))
        except _Refusal as r:
            return r.response

    def _survey_store(self):
        store = self.app.survey_http.store
        if store is None:
            raise _Refusal(refusal(404, "off", "the survey is switched off on this site"))
        return store

    def _skm_query(self, request: web.Request):
        """(store, agency, service, start, end) of a survey question the account may ask."""
        account = self._need(request)
        agency, service = self._scope(request, account)
        try:
            start, end = day_range(request, self._today())
        except BadQuery as e:
            raise _Refusal(refusal(400, "bad_request", str(e))) from None
        return self._survey_store(), agency, service, start, end

    async def skm(self, request: web.Request) -> web.Response:
        try:
            store, agency, service, start, end = self._skm_query(request)
        except _Refusal as r:
            return r.response

        def work() -> dict[str, Any]:
            from reports.skm import per_agency, per_service, result
            body = {"scope": {"agency": agency, "service": service},
                    "result": result(store, start, end, agency=agency, service=service)}
            if service is None:
                body["services"] = per_service(store, start, end, agency)
                if agency is None:
                    body["agencies"] = per_agency(store, start, end, self.app.site.agencies)
            return body
        return private(200, await asyncio.get_running_loop().run_in_executor(None, work))

    async def skm_csv(self, request: web.Request) -> web.Response:
        try:
            store, agency, _, start, end = self._skm_query(request)
        except _Refusal as r:
            return r.response

        def work() -> str:
            from reports.skm import ALL, csv_rows, csv_text, per_agency, per_service, result
            period = f"{start}..{end}"
            rows = []
            if agency is None:
                rows.append(csv_rows(period, ALL, result(store, start, end)))
            agencies = [agency] if agency else self.app.site.agencies
            for a, r in per_agency(store, start, end, agencies).items():
                if a in agencies:
                    rows.append(csv_rows(period, a, r))
            for sid, r in per_service(store, start, end, agency).items():
                rows.append(csv_rows(period, f"{self._agency_of(sid)} / {self._name(sid)}", r))
            return csv_text(rows)
        text = await asyncio.get_running_loop().run_in_executor(None, work)
        return _csv(text, f"skm-{start}-{end}.csv")

    def _name(self, sid: str) -> str:
        s = self.app.site.services.get(sid)
        return s.name if s else sid

    def _agency_of(self, sid: str) -> str:
        s = self.app.site.services.get(sid)
        return s.agency if s else ""

    def _today(self) -> str:
        return self.app.public.today(self.app.clock())

    async def _day_figures(self, day: str) -> dict[str, Any]:
        """The day's figures replayed from the queue's log (read-only), cached."""
        if self.queue_db is None:
            raise _Refusal(refusal(
                503, "no_queue_db", "standards compliance needs the queue's event log: run "
                "`antrian web --db /var/lib/antrian/queue.db` on the queue's Pi",
                "Kepatuhan standar memerlukan data antrean: jalankan antrian web dengan --db "
                "di Pi antrean"))
        if not self.queue_db.is_file():
            raise _Refusal(refusal(503, "no_queue_db", f"no queue database at {self.queue_db}"))
        now = time.monotonic()
        held = self._days.get(day)
        if held is not None and (day < self._today() or now - held[0] < STANDARDS_FRESH_S):
            return held[1]

        def work() -> dict[str, Any]:
            from reports.daily import figures, read_day
            return figures(read_day(self.app.site, self.queue_db, day))
        stats = await asyncio.get_running_loop().run_in_executor(None, work)
        if len(self._days) >= STANDARDS_DAYS_KEPT:
            self._days.pop(min(self._days))
        self._days[day] = (now, stats)
        return stats

    async def _standards(self, request: web.Request):
        from reports.standards import compliance
        account = self._need(request)
        agency, service = self._scope(request, account)
        day = day_param(request, "day", self._today())
        stats = await self._day_figures(day)
        shown = [agency] if agency else self._visible_agencies(account)
        services, agencies = compliance(self.app.site, stats, set(shown))
        if service is not None:
            services = [s for s in services if s["service"] == service]
        return day, services, agencies

    async def standards(self, request: web.Request) -> web.Response:
        try:
            day, services, agencies = await self._standards(request)
        except _Refusal as r:
            return r.response
        except BadQuery as e:
            return refusal(400, "bad_request", str(e))
        return private(200, {"day": day, "services": services, "agencies": agencies})

    async def standards_csv(self, request: web.Request) -> web.Response:
        from reports.standards import SERVICE_COLUMNS, csv_text
        try:
            day, services, _ = await self._standards(request)
        except _Refusal as r:
            return r.response
        except BadQuery as e:
            return refusal(400, "bad_request", str(e))
        return _csv(csv_text(services, SERVICE_COLUMNS), f"standards-{day}.csv")

    async def report(self, request: web.Request) -> web.Response:
        try:
            account = self._need(request)
            agency, _ = self._scope(request, account)
            day = day_param(request, "day", self._today())
        except _Refusal as r:
            return r.response
        except BadQuery as e:
            return refusal(400, "bad_request", str(e))
        q = f"&agency={agency}" if agency and account.role == "manager" else ""
        links = {"skm": f"/api/v1/manage/skm?from={day}&to={day}{q}",
                 "skm_csv": f"/api/v1/manage/skm.csv?from={day}&to={day}{q}"}
        if self.queue_db is not None:
            links.update(standards=f"/api/v1/manage/standards?day={day}{q}",
                         standards_csv=f"/api/v1/manage/standards.csv?day={day}{q}")
        files = []
        # `antrian report`'s files cover every agency: a building manager's only.
        if self.reports_dir is not None and account.role == "manager":
            folder = self.reports_dir / day
            if folder.is_dir():
                files = [{"name": p.name, "url": f"/manage/files/{day}/{p.name}"}
                         for p in sorted(folder.iterdir()) if FILE.match(p.name)]
        return private(200, {"day": day, "links": links, "files": files,
                             "report_files": self.reports_dir is not None})

    async def file(self, request: web.Request) -> web.StreamResponse:
        account = self.account(request)
        if account is None:
            return refusal(401, "login", "log in first")
        if account.role != "manager":
            return refusal(403, "forbidden", "the whole building's report files are for the "
                           "building manager", "Berkas laporan seluruh gedung hanya untuk pengelola")
        name = request.match_info["name"]
        if self.reports_dir is None or not FILE.match(name):
            return refusal(404, "not_found", "not found")
        path = self.reports_dir / request.match_info["day"] / name
        if not path.is_file():
            return refusal(404, "not_found", "not found")
        return web.FileResponse(path, headers={"Cache-Control": "no-store",
                                               "X-Content-Type-Options": "nosniff",
                                               "Content-Disposition": f'inline; filename="{name}"'})

    def figures(self) -> dict[str, Any]:
        return self.login_http.figures()


class _Refusal(Exception):
    """Carries the ready answer out of a check (401, 403, 404...)."""

    def __init__(self, response: web.Response):
        super().__init__(response.status)
        self.response = response


def _csv(text: str, filename: str) -> web.Response:
    return web.Response(text=text, content_type="text/csv", charset="utf-8",
                        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
                                 "Content-Disposition": f'attachment; filename="{filename}"',
                                 "Vary": "Cookie", "Server": "antrian"})


def _no_store(response: web.Response) -> web.Response:
    response.headers["Cache-Control"] = "no-store"
    return response
