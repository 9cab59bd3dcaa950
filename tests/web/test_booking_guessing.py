"""Guessing booking codes at ``GET /api/v1/bookings/<code>``: the limit per address holds
against a flood, and a flood does not lock out every phone behind the same address.

bench/booking_guess.py measures it against the real processes: the limit used to keep every
refused request's time too, so a flooding address made each of its requests scan a minute of
its own flood (the web's answers fell from 3,200/s to 600/s) and an address asking more than
30 a minute was refused for as long as it kept asking. Here the real web app on a clock the
test steps; the queue is not connected, as its turn comes after the limit: an allowed read is
answered 503, a limited one 429.
"""

from __future__ import annotations

import asyncio
import tomllib


from antrian import config
from support.site import SMALL_SITE
from support.webprocess import served
from web.booking import STATUS_PER_MINUTE
from web.http import Edge
from web.server import WebApp

WIFI = "198.51.100.7"            # the mall's Wi-Fi: every phone behind one address
AT_ONCE = STATUS_PER_MINUTE      # a minute's worth at once, then one every 2 s


def answered(plan: list[tuple[float, str]]) -> list[bool]:
    """A status read at each (time, client address) of ``plan``, through the trusted proxy, on
    the real web app whose clock reads that time; whether each got past the limit."""
    now = [plan[0][0]]
    site = config.parse(tomllib.loads(SMALL_SITE.format(port=1883)))
    app = WebApp(site, clock=lambda: now[0], edge=Edge(["127.0.0.1"]))

    async def main() -> list[int]:
        statuses = []
        async with served(app) as (base, s):
            for t, address in plan:
                now[0] = t
                async with s.get(base + "/api/v1/bookings/ZZZZ2222",
                                 headers={"X-Forwarded-For": address}) as r:
                    await r.read()
                    statuses.append(r.status)
        return statuses

    statuses = asyncio.run(main())
    assert set(statuses) <= {429, 503}, set(statuses)
    return [s != 429 for s in statuses]


def test_phones_behind_one_address_asking_too_often_still_get_30_answers_a_minute():
    # 12 booking pages behind the mall's Wi-Fi, each asking every 10 s: 72 a minute, for 4
    # minutes. The address gets its 30 a minute; it is not shut out for asking more.
    times = [1_000.0 + i * 60 / 72 for i in range(72 * 4)]
    ok = answered([(t, WIFI) for t in times])
    per_minute = [sum(o for o, t in zip(ok, times) if m * 60 <= t - 1_000 < (m + 1) * 60)
                  for m in range(4)]
    assert per_minute[0] <= AT_ONCE + STATUS_PER_MINUTE
    assert all(STATUS_PER_MINUTE - 1 <= n <= STATUS_PER_MINUTE + 1 for n in per_minute[1:]), \
        per_minute


def test_a_flood_from_one_address_gets_no_more_than_the_limit():
    # 3,000 guesses over 100 s (30 a second): the burst at once, then one every 2 s
    ok = answered([(5_000.0 + i / 30, WIFI) for i in range(3_000)])
    assert AT_ONCE + 48 <= sum(ok) <= AT_ONCE + 51, sum(ok)


def test_a_flood_behind_one_address_leaves_another_address_its_reads():
    ok = answered([(9_000.0, WIFI)] * 200 + [(9_000.0, "203.0.113.40")] * AT_ONCE)
    assert sum(ok[:200]) == AT_ONCE and all(ok[200:])
