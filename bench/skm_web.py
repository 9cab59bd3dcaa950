"""What the survey, the SKM index and the manager's figures cost (this machine; a Pi is slower).

    .venv/bin/python bench/skm_web.py [--services 145] [--year-responses 200000]

1. ``POST /api/v1/survey`` against the in-process web server fed with a simulated busy day's
   retained state: every served ticket answers once (sequential on one connection, then 32 at
   a time); requests per second and latency.
2. The SKM over a year of answers (``--year-responses`` spread over 365 days and the agencies):
   the whole building, per agency, per service (what /api/v1/skm and /api/v1/manage/skm run).
3. The standards' compliance of that busy day replayed from its event log (what
   /api/v1/manage/standards does once per 30 s, and `antrian report`).
4. One Argon2id password check (a login).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

from antrian import config  # noqa: E402
from mqtt import schemas, views  # noqa: E402
from mqtt.store import Store  # noqa: E402
from mqtt.topics import Topics  # noqa: E402
from ticketing.day import service_day  # noqa: E402
from ticketing.model import DONE  # noqa: E402
from ticketing.simulate import mpp_plan, plan_toml, simulate  # noqa: E402


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


def bench_posts(site, state, now: float, tmp: Path) -> dict:
    from web.server import WebApp
    from ticketing.keys import ticket_key
    from web.survey import RateLimit, SurveyStore

    topics = Topics(site.site)
    done = [t.label for t in state.tickets.values() if t.status == DONE]
    random.Random(1).shuffle(done)
    half = len(done) // 2
    store = SurveyStore(tmp / "survey.db")
    out: dict = {"served_tickets": len(done)}

    async def main():
        app = WebApp(site, clock=lambda: now, survey=store)
        app.survey_http.limit = RateLimit(1e9, burst=10**9)   # one client sends them all
        app.loop = asyncio.get_running_loop()
        for sid in state.lines:
            app.receive(topics.service_state(sid), schemas.encode(
                views.service_state(site, state, sid, now)))
        app.receive(topics.lwt("queue"), b"online")
        app.receive(topics.lwt("web"), b"online")       # the barrier: the state is in
        app.set_connected(True)
        app._flush()
        runner = await app.start("127.0.0.1", 0)
        url = f"http://127.0.0.1:{runner.addresses[0][1]}/api/v1/survey"
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64)) as s:
            async def one(ticket: str) -> float:
                key = ticket_key(app.ticket_secret, site.site, state.day, ticket)
                body = json.dumps({"ticket": ticket, "key": key,
                                   "scores": [random.randint(1, 4) for _ in range(9)]})
                t0 = time.perf_counter()
                async with s.post(url, data=body,
                                  headers={"Content-Type": "application/json"}) as r:
                    await r.read()
                    assert r.status == 201, (ticket, r.status)
                return time.perf_counter() - t0

            t0 = time.perf_counter()
            lat = [await one(t) for t in done[:half]]
            took = time.perf_counter() - t0
            out["sequential"] = {"n": len(lat), "req_s": round(len(lat) / took),
                                 "p50_ms": round(1000 * statistics.median(lat), 2),
                                 "p99_ms": round(1000 * pct(lat, 99), 2)}
            sem = asyncio.Semaphore(32)

            async def limited(t):
                async with sem:
                    return await one(t)
            t0 = time.perf_counter()
            lat = await asyncio.gather(*(limited(t) for t in done[half:]))
            took = time.perf_counter() - t0
            out["concurrent_32"] = {"n": len(lat), "req_s": round(len(lat) / took),
                                    "p50_ms": round(1000 * statistics.median(lat), 2),
                                    "p99_ms": round(1000 * pct(lat, 99), 2)}
        await runner.cleanup()

    asyncio.run(main())
    out["stored"] = store.count()
    store.close()
    return out


def bench_year(site, n: int, tmp: Path) -> dict:
    from reports.skm import per_agency, per_service, result
    from web.survey import COLUMNS, SurveyStore

    store = SurveyStore(tmp / "year.db")
    rng = random.Random(2)
    services = list(site.services.values())
    rows = []
    for i in range(n):
        svc = rng.choice(services)
        day = f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        rows.append((day, f"T{i:07d}", svc.id, svc.agency,
                     *[rng.choice((2, 3, 3, 4, 4)) for _ in COLUMNS], 0.0))
    t0 = time.perf_counter()
    with store.lock:
        store.db.execute("BEGIN")
        store.db.executemany(f"INSERT INTO response VALUES ({', '.join('?' * (len(COLUMNS) + 5))})",
                             rows)
        store.db.execute("COMMIT")
    out = {"responses": n, "insert_s": round(time.perf_counter() - t0, 2)}
    for name, fn in (("building_year_ms", lambda: result(store, "2026-01-01", "2026-12-31")),
                     ("per_agency_year_ms", lambda: per_agency(store, "2026-01-01", "2026-12-31",
                                                               site.agencies)),
                     ("per_service_year_ms", lambda: per_service(store, "2026-01-01",
                                                                 "2026-12-31")),
                     ("one_agency_month_ms", lambda: result(store, "2026-11-01", "2026-11-30",
                                                            agency=site.agencies[0]))):
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        out[name] = round(1000 * min(times), 1)
    store.close()
    return out


def bench_standards(site, events: list[dict], day: str, tmp: Path) -> dict:
    from reports.daily import figures, read_day
    from reports.standards import compliance

    store = Store(tmp / "queue.db")
    store.append(events)
    store.commit()
    store.db.close()
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        services, _ = compliance(site, figures(read_day(site, tmp / "queue.db", day)))
        times.append(time.perf_counter() - t0)
    return {"events": len(events), "replay_and_figures_ms": round(1000 * min(times))}


def bench_argon2() -> dict:
    from web.accounts import hash_password, _hasher
    h = hash_password("kata-sandi-panjang")
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        _hasher().verify(h, "kata-sandi-panjang")
        times.append(time.perf_counter() - t0)
    return {"verify_ms": round(1000 * statistics.median(times))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--services", type=int, default=145)
    ap.add_argument("--year-responses", type=int, default=200_000)
    args = ap.parse_args()
    plan = mpp_plan(args.services)
    result = simulate(plan, seed=1, sample_every=0)
    site = config.parse(tomllib.loads(plan_toml(plan, site="sim")))
    now = plan.at(16.0)
    state = result.state_at(now)
    # the web judges "today" by its clock: make the simulated day today
    today = service_day(now, site.tz, site.reset_at)
    state.day = today
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        figures = {"site": f"{len(site.services)} services, {len(state.tickets)} tickets",
                   "survey_posts": bench_posts(site, state, now, tmp),
                   "skm_year": bench_year(site, args.year_responses, tmp),
                   "standards_day": bench_standards(site, result.events, result.state.day, tmp),
                   "argon2": bench_argon2()}
    print(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
