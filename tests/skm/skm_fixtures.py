"""A small building played with the real queue rules, and the web app fed with its retained
state (contract-exact, via mqtt.views), for the survey and manager tests."""

from __future__ import annotations

import asyncio
import tomllib
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp

from antrian import config
from support.site import SMALL_SITE
from support.webprocess import served
from mqtt import schemas, views
from mqtt.service import fresh_state
from mqtt.topics import Topics
from ticketing import Press, Take, apply, handle

JKT = ZoneInfo("Asia/Jakarta")
# Thursday 26 November 2026, 10:00 WIB
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=JKT).timestamp()
DAY = "2026-11-26"
STANDARDS = """
[web]
managers = "managers.toml"
"""


def site_text(port: int = 1883, extra: str = STANDARDS) -> str:
    text = SMALL_SITE.format(port=port) + extra
    return text.replace('agency = "Disdukcapil"\n',
                        'agency = "Disdukcapil"\nstandard = { requirements = ["KTP-el asli", '
                        '"Kartu Keluarga"], fee = "Gratis", duration_minutes = 10 }\n', 1)


class Building:
    """The small test site's queue, driven with the real rules (no broker, no process)."""

    def __init__(self, path: Path | None = None, now: float = NOW):
        text = site_text()
        if path is not None:
            path.write_text(text, encoding="utf-8")
            self.site = config.load(path)
        else:
            self.site = config.parse(tomllib.loads(text))
        self.now = now
        self.state = fresh_state(self.site, DAY)
        self.events: list[dict] = []
        self.n = 0

    def _do(self, command) -> dict:
        events = handle(self.state, command, self.now)
        for e in events:
            apply(self.state, e)
        self.events += events
        return self.state.requests.get(command.request, {})

    def take(self, service: str, kiosk: str = "k1") -> str:
        self.n += 1
        self._do(Take(service, request=f"k:{self.n}", request_id=str(self.n), kiosk=kiosk))
        return self.state.lines[service].label(self.state.lines[service].last_number)

    def press(self, counter: str, action: str, **kw) -> None:
        self.n += 1
        self._do(Press(counter, action, request=f"c:{self.n}", request_id=str(self.n), **kw))

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def messages(self) -> list[tuple[str, bytes]]:
        topics = Topics(self.site.site)
        out = [(topics.service_state(sid), schemas.encode(views.service_state(
            self.site, self.state, sid, self.now))) for sid in self.site.services]
        out += [(topics.counter_state(cid), schemas.encode(views.counter_state(
            self.state, cid, self.now))) for cid in self.site.counters]
        out.append((topics.lwt("queue"), b"online"))
        return out


def served_building(path: Path | None = None) -> Building:
    """A001-A003 served (done), A004 being served at counter 1, A005 waiting, A006 missed;
    C001 served (Polres)."""
    b = Building(path)
    for _ in range(6):
        b.take("ktp")
    b.take("skck", kiosk="k2")
    for _ in range(3):
        b.press("1", "next")
        b.advance(240)
    b.press("1", "next")          # A004 called; A001-A003 done
    b.press("2", "next")          # A005 called at counter 2
    b.press("2", "skip")          # A005 missed, A006 called
    b.press("2", "next")          # A006 done, counter 2 idle
    b.press("3", "next")
    b.advance(300)
    b.press("3", "next")          # C001 done
    return b


def slip_key(building: Building, ticket: str) -> str:
    """The key the slip of ``ticket`` carries (the web checks it with the site's secret)."""
    from antrian.config import ticket_secret
    from ticketing.keys import ticket_key
    return ticket_key(ticket_secret(building.site), building.site.site, DAY, ticket)


def serve_app(building: Building, test, **kw):
    """Run ``await test(app, base, session)`` against a WebApp fed with the building's state."""
    from web.server import WebApp

    async def main():
        app = WebApp(building.site, clock=lambda: building.now, **kw)
        app.loop = asyncio.get_running_loop()
        for topic, payload in building.messages():
            app.receive(topic, payload, retained=True)
        app.receive(Topics(building.site.site).lwt("web"), b"online")   # the barrier
        app.set_connected(True)
        app._flush()
        # unsafe: keep cookies of an IP-address host (127.0.0.1), as browsers do
        async with served(app, cookie_jar=aiohttp.CookieJar(unsafe=True)) as (base, session):
            await test(app, base, session)

    asyncio.run(main())
