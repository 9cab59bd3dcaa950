"""The HTTP face in-process: read-only, validated, cacheable, and live over server-sent events."""

from __future__ import annotations

import asyncio
import gzip
import json
import time

import pytest

from mqtt.topics import Topics
from web.server import WebApp
from support.webprocess import served as listening
from web_fixtures import retained_messages, sim_site, simulated_day


def served(test, **kw):
    """Run ``test(app, base_url, session)`` against a WebApp on a free port, fed with the
    simulated morning."""
    plan, result = simulated_day()
    site = sim_site(plan)
    now = plan.at(10.5)
    state = result.state_at(now)

    async def main():
        app = WebApp(site, clock=lambda: now, **kw)
        app.loop = asyncio.get_running_loop()
        for topic, payload in retained_messages(site, state, now):
            app.receive(topic, payload, retained=True)
        app.receive(Topics(site.site).lwt("web"), b"online")     # the barrier
        app.set_connected(True)
        app._flush()
        async with listening(app, auto_decompress=False,
                             headers={"Accept-Encoding": "identity"}) as (base, session):
            await test(app, base, session, state)

    asyncio.run(main())


def test_services_json_is_cacheable_compressed_and_revalidated():
    async def check(app, base, s, state):
        async with s.get(base + "/api/v1/services") as r:
            assert r.status == 200
            assert r.headers["Cache-Control"] == "public, max-age=2"
            assert r.headers["X-Content-Type-Options"] == "nosniff"
            assert r.headers["Server"] == "antrian"
            etag = r.headers["ETag"]
            doc = json.loads(await r.read())
        assert len(doc["services"]) == len(state.lines)
        ktp = doc["services"][0]
        assert ktp["waiting"] == state.lines[ktp["id"]].waiting
        async with s.get(base + "/api/v1/services", headers={"Accept-Encoding": "gzip"}) as r:
            assert r.headers["Content-Encoding"] == "gzip"
            assert json.loads(gzip.decompress(await r.read())) == doc
        async with s.get(base + "/api/v1/services", headers={"If-None-Match": etag}) as r:
            assert r.status == 304
        async with s.head(base + "/api/v1/services") as r:
            assert r.status == 200 and await r.read() == b""
    served(check)


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
def test_nothing_but_get_and_head_is_accepted(method):
    async def check(app, base, s, state):
        for path in ("/api/v1/services", "/api/v1/tickets/A001", "/", "/api/v1/events"):
            async with s.request(method, base + path, data=b"x") as r:
                assert r.status == 405, path
                assert r.headers["Allow"] == "GET, HEAD"
    served(check)


def test_tickets_are_validated_and_unknown_paths_are_404():
    async def check(app, base, s, state):
        label = next(iter(state.lines["perekaman-ktp-el"].regular))
        async with s.get(f"{base}/api/v1/tickets/{label.lower()}") as r:
            body = await r.json()
            assert r.status == 200 and body["ticket"] == label and body["status"] == "waiting"
        for bad in ("%3Cscript%3E", "A" * 30, "A%2F1", "..%2F..", "A001?day=1-1-1"):
            async with s.get(f"{base}/api/v1/tickets/{bad}") as r:
                assert r.status in (400, 404), bad
                assert r.headers["Content-Type"].startswith("application/json")
        for path in ("/admin", "/static/../web/server.py", "/api/v2/services", "/.env"):
            async with s.get(base + path) as r:
                assert r.status == 404, path
    served(check)


def test_the_page_and_its_files_are_served_for_a_ticket_link():
    async def check(app, base, s, state):
        async with s.get(base + "/t/A016") as r:
            html = await r.text()
            assert r.status == 200 and 'lang="id"' in html
            assert r.headers["Cache-Control"] == "no-cache"
            csp = r.headers["Content-Security-Policy"]
            assert "default-src 'none'" in csp and "script-src 'self'" in csp
            assert "unsafe-inline" not in csp
            assert r.headers["X-Frame-Options"] == "DENY"
            assert r.headers["Referrer-Policy"] == "no-referrer"
        async with s.get(base + "/static/app.js") as r:
            assert r.status == 200
            assert r.headers["Content-Type"] == "text/javascript; charset=utf-8"
            assert "max-age" in r.headers["Cache-Control"]
    served(check)


async def read_events(response, until, timeout=5.0):
    """Server-sent events (name, data) until ``until(events)`` is true."""
    events, name, data = [], None, []
    deadline = time.monotonic() + timeout
    while not until(events):
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"timed out; got {[e[0] for e in events]}")
        line = (await asyncio.wait_for(response.content.readline(), left)).decode().rstrip("\n")
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: "):
            data.append(line[6:])
        elif line == "" and name:
            events.append((name, json.loads("\n".join(data))))
            name, data = None, []
    return events


def test_a_listener_gets_changes_as_they_happen_and_can_resume():
    async def check(app, base, s, state):
        version = app.public.version
        async with s.get(f"{base}/api/v1/events?v={version}") as r:
            assert r.headers["Content-Type"].startswith("text/event-stream")
            call = {"ticket": "A078", "service": "perekaman-ktp-el", "counter": "1",
                    "counter_name": "Loket 1", "kind": "call", "seq": 99999, "ts": time.time()}
            app.receive(Topics(app.site.site).call, json.dumps(call).encode())
            got = await read_events(r, lambda ev: any(n == "call" for n, _ in ev))
            assert ("call", call) in got
            assert not any(n == "snapshot" for n, _ in got), "a current listener needs no snapshot"
        # a listener that missed it gets it from the ring; one from nowhere gets a snapshot
        async with s.get(base + "/api/v1/events", headers={"Last-Event-ID": str(version)}) as r:
            got = await read_events(r, lambda ev: any(n == "call" for n, _ in ev))
            assert got[0][0] == "call"
        async with s.get(base + "/api/v1/events") as r:
            got = await read_events(r, lambda ev: ev)
            assert got[0][0] == "snapshot"
            assert got[0][1]["version"] == app.public.version
    served(check)


def test_too_many_listeners_are_told_to_poll():
    async def check(app, base, s, state):
        async with s.get(base + "/api/v1/events") as first:
            await read_events(first, lambda ev: ev)
            async with s.get(base + "/api/v1/events") as second:
                assert second.status == 503
                assert second.headers["Retry-After"] == "30"
        for _ in range(200):              # the refused listener never joined; the first has left
            if not app.streams:
                break
            await asyncio.sleep(0.01)
        assert len(app.streams) == 0 and not app.streams_by_client
    served(check, max_streams=1)


def test_a_listener_that_stops_reading_is_dropped_not_buffered_forever():
    async def check(app, base, s, state):
        reader, writer = await asyncio.open_connection("127.0.0.1", int(base.rsplit(":", 1)[1]))
        writer.write(b"GET /api/v1/events HTTP/1.1\r\nHost: x\r\n\r\n")
        await writer.drain()
        for _ in range(100):
            if app.streams:
                break
            await asyncio.sleep(0.01)
        for _ in range(300):           # more frames than a listener may lag, never read
            app._send_all(b": filler\n\n" * 50)
        assert app.dropped_streams >= 1 and not app.streams
        writer.close()
    served(check)
