"""A visitor on the building's Wi-Fi attacks the page (issue 12): each attack is a named test
against the real ``antrian web`` process, the real queue service and a real Mosquitto, and each
must fail. What the visitor may do (read the queue, rate their own ticket once) keeps working.
"""

from __future__ import annotations

import http.client
import json
import secrets
import select
import socket
import time

import pytest

from antrian.config import load, ticket_secret
from reports.survey_store import SurveyStore
from support.site import write_site
from support.waiting import wait_for
from support.webprocess import start_web
from ticketing.keys import ticket_key

pytestmark = [pytest.mark.broker, pytest.mark.slow]

GOOD = [4, 3, 4, 4, 3, 4, 4, 3, 3]
HEADER_TIMEOUT = 2
WEB = f"""
[web]
survey_per_minute = 20
max_streams_per_address = 5
header_timeout = {HEADER_TIMEOUT}
"""


@pytest.fixture
def site_file(tmp_path, broker):
    return write_site(tmp_path / "site.toml", broker.port, WEB)


@pytest.fixture
def served(queue_service, site_file):
    """A001 served (its slip's key known), A002 waiting."""
    first = queue_service.take("ktp")
    queue_service.take("ktp")
    queue_service.press("1", "next")
    queue_service.press("1", "next")              # A001 done, A002 at counter 1
    queue_service.take("ktp")                      # A003 waiting
    site = load(site_file)
    return {"day": first["day"], "key": ticket_key(ticket_secret(site), site.site, first["day"],
                                                   "A001")}


@pytest.fixture
def web(site_file, tmp_path, served):
    w = start_web(site_file, tmp_path)
    yield w
    w.stop()


def stored(tmp_path) -> int:
    store = SurveyStore.reader(tmp_path / "survey.db")
    try:
        return store.count()
    finally:
        store.close()


def answer(web, body, **headers):
    status, hdrs, raw = web.post("/api/v1/survey", body, headers)
    return status, hdrs, json.loads(raw) if raw else None


# -- the survey ------------------------------------------------------------------------------------

def test_a_forged_survey_without_the_slip_key_is_refused(web, served, tmp_path):
    for body in ({"ticket": "A001", "scores": GOOD},
                 {"ticket": "A001", "key": "", "scores": GOOD},
                 {"ticket": "A001", "key": None, "scores": GOOD}):
        status, _, got = answer(web, body)
        assert (status, got["code"]) == (403, "no_key"), got
    assert stored(tmp_path) == 0
    # the visitor holding the slip still can
    status, _, got = answer(web, {"ticket": "A001", "key": served["key"], "scores": GOOD})
    assert status == 201, got
    assert stored(tmp_path) == 1


def test_guessed_keys_are_refused_then_rate_limited_and_store_nothing(web, served, tmp_path):
    statuses = []
    for _ in range(25):
        guess = secrets.token_urlsafe(9)[:12]
        status, _, got = answer(web, {"ticket": "A001", "key": guess, "scores": GOOD})
        statuses.append((status, got["code"]))
    assert set(statuses) <= {(403, "wrong_key"), (429, "rate_limited")}
    assert (429, "rate_limited") in statuses
    # a key of another ticket, another day or too long opens nothing either
    site = load(web.site_file)
    secret = ticket_secret(site)
    for key in (ticket_key(secret, site.site, served["day"], "A002"),
                ticket_key(secret, site.site, "2020-01-01", "A001"), "k" * 41):
        status, _, got = answer(web, {"ticket": "A001", "key": key, "scores": GOOD})
        assert status in (403, 429), got
    assert stored(tmp_path) == 0


def test_a_survey_flood_from_one_ipv6_64_counts_as_one_client(site_file, tmp_path, served):
    site_file.write_text(site_file.read_text() + 'trusted_proxies = ["127.0.0.1"]\n')
    web = start_web(site_file, tmp_path)
    try:
        codes = [answer(web, {"ticket": "A001", "key": "x" * 12, "scores": GOOD},
                        **{"X-Forwarded-For": f"2001:db8:1:2::{n:x}"})[0] for n in range(1, 16)]
        assert codes[:5] == [403] * 5 and set(codes[5:]) == {429}, codes
        # another household (another /64) is not held back by the first
        other = answer(web, {"ticket": "A001", "key": "x" * 12, "scores": GOOD},
                       **{"X-Forwarded-For": "2001:db8:1:3::1"})[0]
        assert other == 403
    finally:
        web.stop()


def test_a_forged_forwarded_for_does_not_escape_the_rate_limit(web):
    # the web trusts no proxy here: X-Forwarded-For from a visitor is ignored
    codes = [answer(web, {"ticket": "A001", "key": "x" * 12, "scores": GOOD},
                    **{"X-Forwarded-For": f"10.9.{n}.{n}"})[0] for n in range(12)]
    assert codes[:5] == [403] * 5 and set(codes[5:]) == {429}, codes


def test_a_forged_forwarded_proto_gets_no_hsts_or_secure_cookie(web):
    status, headers, _ = web.get("/", {"X-Forwarded-Proto": "https"})
    assert status == 200 and "Strict-Transport-Security" not in headers


# -- the live stream -------------------------------------------------------------------------------

def open_stream(web) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
    conn = http.client.HTTPConnection("127.0.0.1", web.port, timeout=5)
    conn.request("GET", "/api/v1/events")
    return conn, conn.getresponse()


def test_a_flood_of_live_streams_from_one_address_is_capped(web):
    held = []
    try:
        for _ in range(5):
            conn, r = open_stream(web)
            assert r.status == 200
            held.append(conn)
        conn, r = open_stream(web)
        assert r.status == 429 and r.getheader("Retry-After")
        conn.close()
        health = web.json("/healthz")
        assert health["streams"] == 5 and health["refused_streams"] >= 1
        assert web.json("/api/v1/services")["services"]      # polling still answers
        held.pop().close()                                    # one leaves: a place is free again
        wait_for(lambda: web.json("/healthz")["streams"] == 4, 5, what="the stream to close")
        conn, r = open_stream(web)
        assert r.status == 200
        held.append(conn)
    finally:
        for c in held:
            c.close()


# -- slow and large requests -----------------------------------------------------------------------

def closed_by_server(sock: socket.socket, deadline: float, dribble: bytes = b"") -> bool:
    """Whether the server closes ``sock`` before ``deadline``, while we keep sending
    ``dribble`` every 0.5 s (a slowloris that never finishes its headers)."""
    sock.setblocking(False)
    while time.monotonic() < deadline:
        ready, _, _ = select.select([sock], [], [], 0.5)
        if ready:
            try:
                if sock.recv(4096) == b"":
                    return True
            except ConnectionError:
                return True
        elif dribble:
            try:
                sock.send(dribble)
            except (BlockingIOError, ConnectionError):
                return True
    return False


def test_slowloris_connections_are_closed_and_the_page_keeps_answering(web):
    socks = []
    try:
        for i in range(40):
            s = socket.create_connection(("127.0.0.1", web.port), timeout=5)
            s.sendall(b"GET / HTTP/1.1\r\nHost: antrian\r\n")
            socks.append(s)
        assert web.get("/api/v1/services")[0] == 200       # others are still served
        deadline = time.monotonic() + HEADER_TIMEOUT + 3
        assert closed_by_server(socks[0], deadline, dribble=b"X-a: b\r\n")
        assert all(closed_by_server(s, deadline) for s in socks[1:])
        assert web.get("/api/v1/services")[0] == 200
    finally:
        for s in socks:
            s.close()


def test_a_survey_body_that_dribbles_in_is_cut_off(web):
    s = socket.create_connection(("127.0.0.1", web.port), timeout=5)
    try:
        s.sendall(b"POST /api/v1/survey HTTP/1.1\r\nHost: antrian\r\nContent-Type: application/json"
                  b"\r\nContent-Length: 300\r\n\r\n{\"ticket\"")
        s.settimeout(HEADER_TIMEOUT + 5)
        head = s.recv(4096)
        assert head.startswith(b"HTTP/1.1 408"), head[:80]
    finally:
        s.close()


def test_oversized_bodies_and_headers_are_refused(web, tmp_path):
    big = b"{" + b" " * 100_000 + b"}"
    assert answer(web, big)[0] == 413
    assert web.post("/manage/login", big)[0] == 413
    assert web.post("/api/v1/services", big)[0] in (405, 413)
    status, _, _ = web.get("/", {"X-Junk": "a" * 40_000})
    assert status in (400, 431)
    assert stored(tmp_path) == 0
    assert web.get("/api/v1/services")[0] == 200


# -- paths -----------------------------------------------------------------------------------------

TRICKS = ["/static/../web/server.py", "/static/%2e%2e/web/server.py", "/static/..%2fpyproject.toml",
          "/static//etc/passwd", "/static/%2fetc%2fpasswd", "/manage/files/2026-11-30/../../etc/passwd",
          "/manage/files/2026-11-30/..%2f..%2fsite.toml", "/t/../../etc/passwd",
          "/survey/..%2f..%2fsurvey.db", "/api/v1/tickets/..%2f..%2fetc%2fpasswd",
          "/%2e%2e/%2e%2e/etc/passwd", "/static/style.css%00.py", "/static/STYLE.CSS"]


@pytest.mark.parametrize("path", TRICKS)
def test_path_tricks_reach_no_file(web, path):
    conn = http.client.HTTPConnection("127.0.0.1", web.port, timeout=5)
    try:
        conn.request("GET", path)          # sent as written: no client-side normalising
        r = conn.getresponse()
        body = r.read()
    finally:
        conn.close()
    assert r.status in (400, 401, 404), (path, r.status)
    for secret in (b"root:", b"import ", b"[broker]", b"SQLite format", b"password"):
        assert secret not in body, (path, body[:200])


# -- the page never guesses ------------------------------------------------------------------------

def test_a_waiting_ticket_is_never_reported_done_while_the_web_starts(site_file, tmp_path,
                                                                      served):
    """Polled from the process's first moment: 503 (with Retry-After) until the retained state
    is in, then the truth; never ``done`` for a ticket that is waiting or being served."""
    for _ in range(3):
        web = start_web(site_file, tmp_path, wait=False)
        seen = []
        try:
            def answered() -> bool:
                for ticket in ("A002", "A003"):
                    try:
                        status, headers, body = web.get(f"/api/v1/tickets/{ticket}")
                    except OSError:
                        return False       # not listening yet
                    if status == 503:
                        assert headers.get("Retry-After")
                        seen.append("503")
                        return False
                    seen.append(json.loads(body)["status"])
                return seen[-2:] == ["called", "waiting"]
            try:
                # generous: a loaded machine may take long to start a Python process
                wait_for(answered, 40, what="the tickets' true status", interval=0.005)
            except AssertionError as e:
                raise AssertionError(f"{e}; seen {seen[-5:]}; log: {web.log.read_text()}") \
                    from None
        finally:
            web.stop()
        assert "done" not in seen and "unknown" not in seen, seen


def test_a_new_ticket_is_never_done_for_a_moment(web, queue_service):
    for _ in range(20):
        ticket = queue_service.take("ktp")["ticket"]
        seen = []

        def known() -> bool:
            seen.append(web.json(f"/api/v1/tickets/{ticket}")["status"])
            return seen[-1] == "waiting"
        wait_for(known, 5, what=f"{ticket} waiting", interval=0.002)
        assert set(seen) <= {"unknown", "waiting"}, (ticket, seen)
