"""Staff login and logout: the password check, its rate limits and the session cookie.

    login_http = LoginHttp(accounts, who=lambda account: {"user": account.user})
    r.add_post("/manage/login", login_http.login)       # form or JSON (web.manage routes it)
    r.add_post("/manage/logout", login_http.logout)

A login is taken from this site's own page only, with a small body, at most a few attempts per
address and per user name; the Argon2 check runs off the event loop, two at a time. A form login
is answered with a redirect (to ``/manage/login?e=<code>`` when refused), a JSON one with who is
logged in or a refusal in both languages. The session (``web.accounts``) travels in an HttpOnly,
SameSite=Strict cookie; logging out ends it on the server too.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aiohttp import web

from web.accounts import Account, Accounts
from web.http import client_key, is_secure, private, refusal, same_origin
from web.survey import RateLimit

# The name these lines carried before login had its own module: operators' filters match it.
log = logging.getLogger("web.manage")

COOKIE = "antrian_session"
LOGIN_MAX_BODY = 1024           # bytes: a user name and a password


class LoginHttp:
    """:param accounts: the managers file (None: no accounts; logins fail with the reason).
    :param who: what a JSON login answers about the account (``web.manage``'s "me")."""

    def __init__(self, accounts: Accounts | None, *, who: Callable[[Account], dict[str, Any]]):
        self.accounts = accounts
        self.who = who
        # Argon2 takes 64 MiB and ~0.1-0.5 s per check: two at a time at most, off the loop.
        self.hashing = ThreadPoolExecutor(max_workers=2, thread_name_prefix="argon2")
        self.login_limit = RateLimit(per_minute=5, burst=10)         # per address
        self.user_limit = RateLimit(per_minute=10, burst=20)         # per user name
        self.logins = self.failed_logins = 0

    def close(self) -> None:
        self.hashing.shutdown(wait=False, cancel_futures=True)

    async def login(self, request: web.Request) -> web.Response:
        as_json = request.content_type == "application/json"

        def fail(status: int, code: str, en: str, id_: str, extra=None) -> web.Response:
            if as_json:
                return refusal(status, code, en, id_, extra)
            raise web.HTTPSeeOther(f"/manage/login?e={code}", headers=extra)

        if not same_origin(request):
            return fail(403, "cross_origin", "log in from this site's own page",
                        "Masuk hanya dari halaman situs ini")
        if request.content_length is not None and request.content_length > LOGIN_MAX_BODY:
            return fail(413, "too_large", "request body too large", "Data terlalu besar")
        try:
            if as_json:
                body = await request.json()
                if not isinstance(body, dict):
                    raise ValueError
            else:
                body = await request.post()
            user, password = body.get("user"), body.get("password")
        except web.HTTPRequestEntityTooLarge:
            return fail(413, "too_large", "request body too large", "Data terlalu besar")
        except (ValueError, web.HTTPException):
            return fail(400, "bad_request", "expected user and password",
                        "Isi nama pengguna dan kata sandi")
        if not isinstance(user, str) or not isinstance(password, str) or not user \
                or not password or len(user) > 40 or len(password) > 200:
            return fail(400, "bad_request", "expected user and password",
                        "Isi nama pengguna dan kata sandi")
        user = user.strip().lower()
        if not (self.login_limit.allow(client_key(request)) and self.user_limit.allow(user)):
            log.warning("login attempts for %r are being limited", user)
            return fail(429, "rate_limited", "too many attempts; wait a few minutes",
                        "Terlalu banyak percobaan; tunggu beberapa menit", {"Retry-After": "60"})
        if self.accounts is None or not self.accounts.accounts:
            return fail(503, "no_accounts", "no manager accounts on this site: create one with "
                        "`antrian web-user add`", "Belum ada akun pengelola")
        loop = asyncio.get_running_loop()
        account = await loop.run_in_executor(self.hashing, self.accounts.verify, user, password)
        if account is None:
            self.failed_logins += 1
            log.info("login refused for %r", user)
            return fail(401, "wrong_password", "wrong user or password",
                        "Nama pengguna atau kata sandi salah")
        self.logins += 1
        log.info("login: %s (%s%s)", account.user, account.role,
                 f", {account.agency}" if account.agency else "")
        token = self.accounts.sessions.issue(account, time.time())
        response = (private(200, self.who(account)) if as_json else web.HTTPSeeOther(
            "/console/" if account.role == "officer" else "/manage/"))
        response.set_cookie(COOKIE, token, max_age=int(self.accounts.sessions.seconds), path="/",
                            httponly=True, samesite="Strict", secure=is_secure(request))
        if as_json:
            return response
        raise response

    async def logout(self, request: web.Request) -> web.Response:
        if not same_origin(request):
            return refusal(403, "cross_origin", "log out from this site's own page",
                           "Keluar hanya dari halaman situs ini")
        if self.accounts is not None:
            # ended on the server too: the cookie, if kept or copied, no longer opens anything
            self.accounts.sessions.end(request.cookies.get(COOKIE), time.time())
        response = web.HTTPSeeOther("/manage/login")
        response.del_cookie(COOKIE, path="/")
        raise response

    def figures(self) -> dict[str, Any]:
        return {"logins": self.logins, "failed_logins": self.failed_logins}
