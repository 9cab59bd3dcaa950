"""The survey's HTTP face: the page, ``POST /api/v1/survey``, the public ``GET /api/v1/skm``.

    POST /api/v1/survey   {"ticket": "A012", "key": "<the slip's>", "scores": [4, 3, 4, ...]}
      201 {"ok": true, "ticket": "A012", "day": "2026-11-30", "service": "ktp"}
      400 malformed · 403 no_key / wrong_key / cross_origin · 404 unknown_ticket
      409 not_served / already_answered · 410 other_day · 413 too_large · 415 content_type
      429 rate_limited · 503 loading / no_data / unavailable (Retry-After)
    GET /api/v1/skm?from=YYYY-MM-DD&to=YYYY-MM-DD[&agency=…]
    GET /api/v1/skm/elements      the nine questions and their answers (the page's text)

``/api/v1/skm`` is public (the index is published by law): the whole building and each agency,
never a service or a single response, and figures of fewer than ``MIN_PUBLIC`` responses are
withheld (a counter's officer could otherwise read one visitor's answers). Managers see all of
it, per service too, on ``/api/v1/manage/skm``.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from typing import Any

import msgspec
from aiohttp import web

from ticketing.skm import ELEMENTS
from web.http import (API, BadQuery, client_key, day_range, error, private, refusal,
                      same_origin)
from web.survey import (MAX_BODY, AlreadyAnswered, RateLimit, SurveyRefused, SurveyStore,
                        already_answered, eligible, parse_request)

log = logging.getLogger(__name__)

MIN_PUBLIC = 5          # responses below which the public figures are withheld
PUBLIC_CACHE_S = 30.0   # the public index is recomputed at most this often per query


class SurveyHttp:
    """:param store: the responses (None: the survey is switched off, its routes say so)."""

    def __init__(self, app, store: SurveyStore | None, *, per_minute: int = 20):
        self.app = app
        self.store = store
        # A visitor answers once; a counter tablet a few times an hour: a burst of 5 (a quarter
        # of a minute's worth on a busier setting), then the configured rate. Counted before
        # anything else, refusals included (guessing numbers).
        self.limit = RateLimit(per_minute, burst=min(per_minute, max(5, per_minute // 4)))
        self.accepted = self.refused = 0
        self._cache: dict[tuple, tuple[float, bytes]] = {}
        # A year's index takes a scan (~0.1 s here, more on a Pi): one at a time, so a flood of
        # different periods queues up instead of taking every worker thread.
        self._computing: asyncio.Semaphore | None = None
        self.elements = msgspec.json.encode({"elements": [
            {"key": e.key, "name": {"id": e.name_id, "en": e.name_en},
             "question": {"id": e.question_id, "en": e.question_en},
             "answers": {"id": list(e.answers_id), "en": list(e.answers_en)}}
            for e in ELEMENTS]})

    def routes(self, r: web.UrlDispatcher) -> None:
        r.add_get("/survey", self.page)
        r.add_get("/survey/", self.page)
        r.add_get(r"/survey/{ticket:[A-Za-z0-9.\-]{1,12}}", self.page)
        r.add_post("/api/v1/survey", self.post)
        r.add_get("/api/v1/skm", self.skm)
        r.add_get("/api/v1/skm/elements", self.get_elements)

    # -- the page ------------------------------------------------------------------------------

    async def page(self, request: web.Request) -> web.Response:
        if self.store is None:
            return error(404, "the survey is switched off on this site ([web] survey = false)")
        self.app.requests += 1
        return self.app.static["/static/survey.html"].respond(request)

    async def get_elements(self, request: web.Request) -> web.Response:
        return web.Response(body=self.elements, headers={**API, "Cache-Control":
                                                          "public, max-age=600"})

    # -- answers -------------------------------------------------------------------------------

    async def post(self, request: web.Request) -> web.Response:
        self.app.requests += 1
        if self.store is None:
            return refusal(404, "off", "The survey is switched off on this site",
                           "Survei tidak diaktifkan di lokasi ini")
        if not same_origin(request):
            return refusal(403, "cross_origin", "Survey answers come from this site's own page",
                           "Penilaian hanya dari halaman situs ini")
        if not self.limit.allow(client_key(request)):
            self.refused += 1
            return refusal(429, "rate_limited", "Too many answers from this device; wait a minute",
                           "Terlalu banyak pengiriman dari perangkat ini; tunggu sebentar",
                           {"Retry-After": "60"})
        if request.content_type != "application/json":
            return refusal(415, "content_type", "Send the answers as application/json",
                           "Data harus dikirim sebagai application/json")
        if request.content_length is not None and request.content_length > MAX_BODY:
            return refusal(413, "too_large", f"Request body too large (at most {MAX_BODY} bytes)",
                           "Data terlalu besar")
        try:
            # a body that dribbles in is cut off like slow headers (slowloris)
            raw = await asyncio.wait_for(read_body(request, MAX_BODY + 1),
                                         self.app.header_timeout)
        except TimeoutError:
            return refusal(408, "timeout", "The request body came too slowly",
                           "Data terlalu lambat dikirim")
        now = self.app.clock()
        try:
            req = parse_request(raw)
            who = eligible(self.app.public, req, now, secret=self.app.ticket_secret)
            loop = asyncio.get_running_loop()
            # SQLite commits with fsync: off the event loop (an SD card can take a while)
            try:
                await loop.run_in_executor(None, lambda: self.store.add(who, req.scores, ts=now))
            except AlreadyAnswered:
                raise already_answered(who.ticket) from None
        except SurveyRefused as e:
            self.refused += 1
            return private(e.status, e.body(), e.headers)
        except sqlite3.Error as e:
            log.error("survey answer not stored: %s", e)
            return refusal(503, "unavailable", "The answer could not be stored; try again later",
                           "Penilaian belum dapat disimpan; coba lagi nanti")
        self.accepted += 1
        self._cache.clear()
        return private(201, {"ok": True, "ticket": who.ticket, "day": who.day,
                             "service": who.service})

    # -- the public index ----------------------------------------------------------------------

    async def skm(self, request: web.Request) -> web.Response:
        self.app.requests += 1
        if self.store is None:
            return error(404, "the survey is switched off on this site")
        if "service" in request.query:
            return error(403, "per-service figures are for managers: /api/v1/manage/skm")
        try:
            start, end = day_range(request, self.app.public.today(self.app.clock()))
        except BadQuery as e:
            return error(400, str(e))
        agency = request.query.get("agency")
        if agency is not None and agency not in self.app.site.agencies:
            return error(404, "unknown agency")
        key = (start, end, agency)
        cached = self._fresh(key)
        if cached is None:
            if self._computing is None:
                self._computing = asyncio.Semaphore(1)
            try:
                async with self._computing:
                    cached = self._fresh(key)      # the one before us may have made it
                    if cached is None:
                        body = await asyncio.get_running_loop().run_in_executor(
                            None, self._public, start, end, agency)
                        if len(self._cache) > 256:
                            self._cache.clear()
                        cached = self._cache[key] = (time.monotonic(),
                                                     msgspec.json.encode(body))
            except sqlite3.Error as e:
                log.error("survey figures unavailable: %s", e)
                return error(503, "the survey figures are unavailable")
        return web.Response(body=cached[1], headers={**API, "Cache-Control": "public, max-age=30"})

    def _fresh(self, key: tuple) -> tuple[float, bytes] | None:
        held = self._cache.get(key)
        return held if held is not None and time.monotonic() - held[0] <= PUBLIC_CACHE_S else None

    def _public(self, start: str, end: str, agency: str | None) -> dict[str, Any]:
        from reports.skm import per_agency, result
        body = withhold(result(self.store, start, end, agency=agency))
        if agency is None:
            body["agencies"] = [
                {k: r[k] for k in ("agency", "n", "index", "grade", "performance", "withheld")}
                for r in map(withhold, per_agency(self.store, start, end,
                                                  self.app.site.agencies).values())]
        return body

    def figures(self) -> dict[str, Any]:
        return {"survey_accepted": self.accepted, "survey_refused": self.refused}


async def read_body(request: web.Request, limit: int) -> bytes:
    """The body, up to ``limit`` bytes, however it is cut into packets."""
    buf = bytearray()
    while len(buf) < limit:
        chunk = await request.content.read(limit - len(buf))
        if not chunk:
            break
        buf += chunk
    return bytes(buf)


def withhold(r: dict[str, Any]) -> dict[str, Any]:
    """Public figures of too few responses are left out (the count stays)."""
    r = dict(r)
    r["withheld"] = 0 < r["n"] < MIN_PUBLIC
    if r["withheld"]:
        r.update(elements=[{**e, "nrr": None, "weighted": None} for e in r["elements"]],
                 ikm_unit=None, index=None, grade=None, performance=None)
    return r
