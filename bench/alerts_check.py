"""What near-turn alerts cost the web's event loop: the time of one ``Alerts.check`` (run after
every rebuild of the public state) for a 145-service building at mid-morning, with 1,000 to
20,000 subscriptions (the cap) on waiting tickets, and the time of one push's encryption.

    .venv/bin/python bench/alerts_check.py [--services 145] [--subs 1000 5000 20000]

In process, no broker: the real ``PublicState`` fed with the queue's retained messages of a
simulated day (``mqtt.views``), the real ``Alerts`` with its SQLite file in a temporary folder.
Nothing is sent (no pusher, no gateway): what is measured is the rule and the bookkeeping.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "web"))

from antrian import config  # noqa: E402
from mqtt.topics import Topics  # noqa: E402
from ticketing import service_day  # noqa: E402
from ticketing.simulate import mpp_plan, plan_toml, simulate  # noqa: E402
from web.alerts import Alerts, AlertStore, Subscription  # noqa: E402
from web.public import PublicState  # noqa: E402
from web_fixtures import retained_messages  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--services", type=int, default=145)
    ap.add_argument("--subs", type=int, nargs="+", default=[1000, 5000, 20000])
    args = ap.parse_args()
    plan = mpp_plan(args.services)
    state = simulate(plan, seed=1, sample_every=0).state_at(plan.at(10.5))
    site = config.parse(tomllib.loads(plan_toml(plan, site="bench", port=1883)))
    now = time.time()
    state.day = service_day(now, site.tz, site.reset_at)
    public = PublicState(site)
    public.set_connected(True)
    for topic, payload in retained_messages(site, state, now):
        public.receive(topic, payload, retained=True)
    public.receive(Topics(site.site).lwt("web"), b"online")
    public.rebuild(now)
    waiting = [label for label, info in public.index.items() if info.status == "waiting"]
    print(f"{args.services} services, {len(waiting)} waiting tickets at 10:30")
    for n in args.subs:
        with tempfile.TemporaryDirectory() as tmp:
            alerts = Alerts(public, AlertStore(Path(tmp) / "alerts.db"), b"k" * 32)
            for i in range(n):   # several browsers per ticket when there are more subs
                alerts.add(Subscription(day=state.day, ticket=waiting[i % len(waiting)],
                                        ahead=0, endpoint=f"https://fcm.googleapis.com/{i}",
                                        p256dh="x", auth="y"))
            alerts.check(now)    # the first tells those already next
            times = []
            for _ in range(20):
                t0 = time.perf_counter()
                alerts.check(now)
                times.append((time.perf_counter() - t0) * 1000)
            print(f"{n:6d} subscriptions ({len(alerts.by_ticket)} tickets): check "
                  f"median {statistics.median(times):.1f} ms, max {max(times):.1f} ms")
            alerts.store.close()
    from web.push import encrypt
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from web.push import Vapid, b64url
    key = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    t0 = time.perf_counter()
    for _ in range(200):
        encrypt(b'{"title": "Giliran Anda hampir tiba", "body": "' + b"x" * 120 + b'"}',
                b64url(key), b64url(b"a" * 16))
    enc = (time.perf_counter() - t0) / 200 * 1000
    vapid = Vapid.generate()
    t0 = time.perf_counter()
    for i in range(200):
        vapid._tokens.clear()
        vapid.token("https://fcm.googleapis.com")
    sign = (time.perf_counter() - t0) / 200 * 1000
    print(f"one push: encryption {enc:.2f} ms, VAPID signature {sign:.2f} ms (reused 11 h)")


if __name__ == "__main__":
    main()
