"""``antrian serve`` and the small MQTT clients for people and scripts: take, press, status."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
import time
import uuid
from pathlib import Path

from antrian import config as siteconfig
from mqtt import schemas
from mqtt.client import Connection
from mqtt.topics import Topics

log = logging.getLogger(__name__)


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="run the queue service")
    p.add_argument("--config", required=True, help="site TOML")
    p.add_argument("--db", default=None,
                   help="SQLite file (default: /var/lib/antrian/queue.db, or ./var/queue.db)")
    p.set_defaults(func=serve)

    p = sub.add_parser("take", help="take a ticket (as a kiosk)")
    p.add_argument("--config", required=True)
    p.add_argument("--service", required=True)
    p.add_argument("--kiosk", default=None, help="kiosk id (default: the first that offers it)")
    p.add_argument("--priority", action="store_true", help="elderly, disabled, pregnant, children")
    p.add_argument("--timeout", type=float, default=5.0)
    p.set_defaults(func=take)

    p = sub.add_parser("press", help="press a counter button")
    p.add_argument("--config", required=True)
    p.add_argument("--counter", required=True)
    p.add_argument("action", choices=["next", "recall", "skip", "call", "transfer", "open", "close"])
    p.add_argument("--ticket", help="for call: the ticket to call")
    p.add_argument("--to", help="for transfer: the service id")
    p.add_argument("--expect", help="the ticket the counter should hold ('' for none)")
    p.add_argument("--timeout", type=float, default=5.0)
    p.set_defaults(func=press)

    p = sub.add_parser("status", help="print the queue state (retained messages)")
    p.add_argument("--config", required=True)
    p.add_argument("--json", action="store_true", help="machine-readable")
    p.add_argument("--timeout", type=float, default=3.0)
    p.set_defaults(func=status)


def default_db() -> Path:
    state_dir = Path("/var/lib/antrian")
    return state_dir / "queue.db" if state_dir.is_dir() else Path("var/queue.db")


def serve(args: argparse.Namespace) -> int:
    from mqtt.service import QueueService
    from mqtt.store import Store

    site = siteconfig.load(args.config)
    store = Store(args.db or default_db())
    service = QueueService(site, store)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    service.run(stop)
    return 0


class Requester:
    """A short-lived client that publishes one request and waits for its answer."""

    def __init__(self, site, component: str, subscriptions: list[str], match):
        self.answer: tuple[str, dict] | None = None
        self.done = threading.Event()
        self.match = match

        def on_message(topic: str, payload: bytes, message) -> None:
            try:
                body = json.loads(payload) if payload else {}
            except ValueError:
                return
            if isinstance(body, dict) and self.match(topic, body):
                self.answer = (topic, body)
                self.done.set()

        # `cli`: the supervisor's account for takes and presses, on the console listener.
        creds = siteconfig.credentials(site, "cli")
        self.conn = Connection(site, component, subscriptions=subscriptions,
                               on_message=on_message, presence=False, credentials=creds,
                               broker=site.broker.console(),
                               client_id=f"antrian-{site.site}-{component}-{uuid.uuid4().hex[:6]}")

    def request(self, topic: str, body: dict, timeout: float) -> tuple[str, dict] | None:
        if not self.conn.start(wait=timeout):
            print("antrian: cannot reach the broker", file=sys.stderr)
            return None
        time.sleep(0.05)  # let the SUBACK land before the request can be answered
        self.conn.publish(topic, json.dumps(body).encode())
        self.done.wait(timeout)
        self.conn.stop()
        return self.answer


def take(args: argparse.Namespace) -> int:
    site = siteconfig.load(args.config)
    kiosk = args.kiosk or next((k.id for k in site.kiosks.values() if args.service in k.services),
                               None)
    if kiosk is None:
        print(f"antrian: no kiosk offers service {args.service!r}", file=sys.stderr)
        return 2
    rid = f"cli-{uuid.uuid4().hex[:12]}"
    topics = Topics(site.site)
    t = Requester(site, "cli", [topics.ticket, topics.error(f"kiosk-{kiosk}")],
                  lambda topic, body: body.get("id") == rid)
    answer = t.request(topics.kiosk_take(kiosk),
                       {"service": args.service, "id": rid, "priority": args.priority},
                       args.timeout)
    return _print_answer(answer)


def press(args: argparse.Namespace) -> int:
    site = siteconfig.load(args.config)
    rid = f"cli-{uuid.uuid4().hex[:12]}"
    topics = Topics(site.site)
    body: dict = {"action": args.action, "id": rid}
    if args.ticket:
        body["ticket"] = args.ticket
    if args.to:
        body["to"] = args.to
    if args.expect is not None:
        body["expect"] = args.expect or None
    t = Requester(site, "cli", [topics.counter_state(args.counter),
                                topics.error(f"counter-{args.counter}")],
                  lambda topic, b: b.get("request") == rid or b.get("id") == rid)
    return _print_answer(t.request(topics.counter_press(args.counter), body, args.timeout))


def _print_answer(answer) -> int:
    if answer is None:
        print("antrian: no answer from the queue service", file=sys.stderr)
        return 1
    topic, body = answer
    print(json.dumps(body, ensure_ascii=False))
    return 1 if body.get("ok") is False else 0


def status(args: argparse.Namespace) -> int:
    site = siteconfig.load(args.config)
    topics = Topics(site.site)
    services: dict[str, dict] = {}
    counters: dict[str, dict] = {}
    presence: dict[str, str] = {}
    complete = threading.Event()

    def on_message(topic: str, payload: bytes, message) -> None:
        levels = topics.parse(topic)
        if levels[:1] == ["tele"]:
            presence[levels[1]] = payload.decode(errors="replace")
            return
        try:
            body = json.loads(payload)
        except ValueError:
            return
        (services if levels[0] == "service" else counters)[levels[1]] = body
        if (len(services) >= len(site.services) and len(counters) >= len(site.counters)
                and "queue" in presence):
            complete.set()

    conn = Connection(site, "cli", subscriptions=[topics.service_state(), topics.counter_state(),
                                                  topics.lwt("queue")],
                      on_message=on_message, presence=False,
                      credentials=siteconfig.console_credentials(site),
                      broker=site.broker.console(),
                      client_id=f"antrian-{site.site}-status-{uuid.uuid4().hex[:6]}")
    if not conn.start(wait=args.timeout):
        print("antrian: cannot reach the broker", file=sys.stderr)
        return 1
    complete.wait(args.timeout)
    conn.stop()
    if args.json:
        print(json.dumps({"queue": presence.get("queue"), "services": services,
                          "counters": counters}, ensure_ascii=False, indent=1))
        return 0
    print(f"{site.title} — queue service {presence.get('queue', 'unknown')}")
    print(f"{'service':<22}{'waiting':>8}  {'last':<8}{'serving':<24}missed")
    for sid in site.services:
        s = services.get(sid)
        if not s:
            print(f"{sid:<22}{'?':>8}")
            continue
        serving = ", ".join(f"{x['ticket']}@{x['counter']}" for x in s["serving"])
        print(f"{sid:<22}{s['waiting']:>8}  {s['last_issued'] or '-':<8}{serving:<24}"
              f"{' '.join(s['missed'])}")
    print()
    for cid in site.counters:
        c = counters.get(cid)
        if c:
            state = (c["ticket"] or "idle") if c["open"] else "closed"
            print(f"{c['name']:<22}{state}")
    return 0
