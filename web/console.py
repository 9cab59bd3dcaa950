"""The staff console: an officer's counter page and its API (issue 14).

    GET  /console/                          the counter page (303 to the login without a session)
    GET  /api/v1/counters                   the counters this account may act for
    GET  /api/v1/counters/<id>              the counter, its waiting and missed lists
    POST /api/v1/counters/<id>/press        a press, as the counter (body as the MQTT press)

A press answers with its outcome: 200 and the counter's new state once the queue acknowledged it;
401 without a session, 403 for a counter the account may not act for, 4xx with the queue's
``code`` and reason (and the officer's words, ``message.id``) when refused, 503 when nothing
could be sent, 504 when it was sent but not yet acknowledged (resending the same ``id`` is
safe: the queue does a request id once). Calling a waiting ticket ahead of the line needs a
``reason``. Every press is written to the audit log (``web.audit``) with the officer's name.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from aiohttp import web

from ticketing.model import Action
from web.audit import Entry
from web.http import private, refusal, same_origin
from web.staff_edge import (BODY_MAX, REASON_MAX, REQUEST_ID, TICKET, Refused, clean_text,
                            counters_of, may_act, status_of, until_value)
from web.staff_link import Outcome
from web.staff_views import counter_view

log = logging.getLogger(__name__)

FINISHING = {Action.NEXT, Action.CALL, Action.CLOSE}     # they finish the held ticket as done


class ConsoleHttp:
    """:param app: the ``WebApp`` (its site, public state, manager's sessions, staff link,
    arrivals and audit log)."""

    def __init__(self, app):
        self.app = app
        self.presses = self.refused = 0

    def routes(self, r: web.UrlDispatcher) -> None:
        r.add_get("/console", self.page)
        r.add_get("/console/", self.page)
        r.add_get("/api/v1/counters", self.mine)
        r.add_get(r"/api/v1/counters/{cid:[A-Za-z0-9_-]{1,32}}", self.counter)
        r.add_post(r"/api/v1/counters/{cid:[A-Za-z0-9_-]{1,32}}/press", self.press)

    # -- reading ------------------------------------------------------------------------------

    async def page(self, request: web.Request) -> web.Response:
        if self.app.manage.account(request) is None:
            raise web.HTTPSeeOther("/manage/login")
        response = self.app.static["/static/console.html"].respond(request)
        response.headers["Cache-Control"] = "no-store"
        return response

    def _who(self, request: web.Request, cid: str | None):
        account = self.app.manage.account(request)
        if account is None:
            return None, refusal(401, "login", "log in first: POST /manage/login",
                                 "Silakan masuk terlebih dahulu")
        if cid is not None and not may_act(self.app.site, account, cid, self.app.public):
            return None, refusal(403, "forbidden", f"this account may not act for counter {cid}",
                                 f"Akun ini tidak bertugas di loket {cid}")
        return account, None

    async def mine(self, request: web.Request) -> web.Response:
        account, refused = self._who(request, None)
        if refused is not None:
            return refused
        site = self.app.site
        return private(200, {"user": account.user, "role": account.role, "counters": [
            {"id": c, "name": site.counters[c].name}
            for c in counters_of(site, account, self.app.public)]})

    async def counter(self, request: web.Request) -> web.Response:
        cid = request.match_info["cid"]
        account, refused = self._who(request, cid)
        if refused is not None:
            return refused
        return private(200, self._view(cid))

    def _view(self, cid: str) -> dict[str, Any]:
        app = self.app
        return counter_view(app.site, app.public, app.arrivals, cid, app.clock())

    # -- acting -------------------------------------------------------------------------------

    async def press(self, request: web.Request) -> web.Response:
        cid = request.match_info["cid"]
        if not same_origin(request):
            return refusal(403, "cross_origin", "act from this site's own page",
                           "Hanya dari halaman situs ini")
        account, refused = self._who(request, cid)
        if refused is not None:
            return refused
        raw: dict[str, Any] = {}
        try:
            raw = await _body(request)
            press, note = self._checked(cid, raw)
        except Refused as e:
            self.refused += 1
            action = raw.get("action")
            self.app.audit.record(Entry(
                self.app.clock(), account.user, account.role, "press", counter=cid,
                action=action if action in Action.__members__.values() else "?",
                ticket=None, outcome=e.code))
            return _refused(e.code, e.error, e.says)
        held = self.app.public.counters.get(cid) or {}
        if held.get("request") == press["id"]:
            # done already (a resend after a restart): answered from the state, not sent; what
            # the counter held before it is not known here any more
            outcome, held = Outcome(True, state=held), {}
        else:
            outcome = await self.app.staff.press(cid, press)
        self.presses += 1
        self._audit(account, cid, press, note, held, outcome)
        if outcome.ok:
            return private(200, {"ok": True, "id": press["id"], "state": outcome.state,
                                 "counter": self._view(cid)})
        self.refused += 1
        return _refused(outcome.code, outcome.error or outcome.code,
                        extra={"id": press["id"], "pending": outcome.code == "no_ack"})

    def _checked(self, cid: str, raw: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """The press to publish, and what the audit log keeps besides (the reason of an
        out-of-order call). Every field bounded here; anything else refused."""
        try:
            action = Action(raw.get("action"))
        except ValueError:
            raise Refused("bad_request", "action: one of " + ", ".join(a.value for a in Action),
                          "Aksi tidak dikenal") from None
        rid = raw.get("id")
        if not isinstance(rid, str) or not REQUEST_ID.match(rid):
            raise Refused("bad_request", "id: 8-64 of A-Z a-z 0-9 . _ : ~ -")
        if "expect" not in raw:
            raise Refused("bad_request", "expect: the ticket the page shows at the counter "
                          "(null: none)")
        expect = raw["expect"]
        if expect is not None and (not isinstance(expect, str) or not TICKET.match(expect)):
            raise Refused("bad_request", "expect: a ticket number or null")
        press: dict[str, Any] = {"action": action.value, "id": rid, "expect": expect,
                                 "ts": round(self.app.clock(), 3)}
        note: dict[str, Any] = {}
        reason = clean_text(raw.get("reason"), REASON_MAX, "reason")
        if action is Action.CALL:
            ticket = raw.get("ticket")
            if not isinstance(ticket, str) or not TICKET.match(ticket):
                raise Refused("bad_request", "ticket: the ticket to call", "Pilih nomor")
            press["ticket"] = ticket.upper()
            note = self._order(cid, press["ticket"], reason)
        elif action is Action.TRANSFER:
            to = raw.get("to")
            if not isinstance(to, str) or to not in self.app.site.services:
                raise Refused("unknown_service", "to: a service id of the site",
                              "Pilih layanan tujuan")
            press["to"] = to
            note = {"target": to}
        elif action is Action.CLOSE:
            until = until_value(raw.get("until"), self.app.clock())
            if isinstance(until, str):
                until = _today_at(self.app, until)
            if until is not None:
                press["until"] = until
            if reason:
                press["reason"] = reason
            note = {"reason": reason or None}
        return press, note

    def _order(self, cid: str, ticket: str, reason: str) -> dict[str, Any]:
        """A call of a waiting ticket that is not first in line is out of order: it needs a
        reason. A missed ticket called back is not (it lost its place already)."""
        view = self._view(cid)
        waiting = [w["ticket"] for w in view["waiting"]]
        if ticket not in waiting or waiting.index(ticket) == 0:
            return {}
        if not reason:
            raise Refused("reason_needed", f"{ticket} is not first in line: give a reason")
        return {"out_of_order": True, "reason": reason}

    def _audit(self, account, cid: str, press: dict[str, Any], note: dict[str, Any],
               held: dict[str, Any], outcome: Outcome) -> None:
        """One entry per press; a press of an id already recorded as done is ``repeated``
        (counted once by the report, whichever web process answered first)."""
        action = Action(press["action"])
        result = "ok" if outcome.ok else str(outcome.code)
        if outcome.ok and self.app.audit.done(cid, press["id"]):
            result = "repeated"
        before = held.get("ticket")
        served = None
        if result == "ok" and action in FINISHING and before and held.get("since"):
            served = round(max(0.0, self.app.clock() - float(held["since"])), 1)
        ticket = press.get("ticket") or before
        self.app.audit.record(Entry(
            self.app.clock(), account.user, account.role, "press", counter=cid,
            action=action.value, ticket=ticket, target=note.get("target"),
            reason=note.get("reason"), out_of_order=bool(note.get("out_of_order")),
            outcome=result, served_s=served, request=press["id"]))
        if note.get("out_of_order") or action is Action.RECALL:
            log.info("%s at counter %s: %s %s%s -> %s", account.user, cid, action.value,
                     ticket or "-", f" (reason: {note['reason']})" if note.get("reason") else "",
                     result)

    def figures(self) -> dict[str, Any]:
        return {"console_presses": self.presses, "console_refused": self.refused}


async def _body(request: web.Request) -> dict[str, Any]:
    if request.content_length is not None and request.content_length > BODY_MAX:
        raise Refused("bad_request", "request body too large")
    try:
        data = await request.content.read(BODY_MAX + 1)
        if len(data) > BODY_MAX:
            raise ValueError
        raw = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise Refused("bad_request", "expected a JSON object") from None
    if not isinstance(raw, dict):
        raise Refused("bad_request", "expected a JSON object")
    return raw


def _refused(code: str | None, error: str, says: str | None = None,
             extra: dict[str, Any] | None = None) -> web.Response:
    from web.staff_edge import SAYS
    code = code or "refused"
    return private(status_of(code), {"ok": False, "code": code, "error": error,
                                     "message": {"id": says or SAYS.get(code, error),
                                                 "en": error}, **(extra or {})})


def _today_at(app, hhmm: str) -> float | None:
    """``HH:MM`` today in the site's time zone, as Unix time (None when already past)."""
    from datetime import datetime
    now = datetime.fromtimestamp(app.clock(), app.site.tz)
    hour, minute = map(int, hhmm.split(":"))
    at = now.replace(hour=hour, minute=minute, second=0, microsecond=0).timestamp()
    if at <= app.clock():
        raise Refused("bad_request", f"until: {hhmm} has passed today",
                      f"Jam {hhmm} sudah lewat")
    return at
