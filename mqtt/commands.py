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
from mqtt.client import Connection
from mqtt.consumer import RequestError, Requester, connect
from mqtt.topics import Topics
from ticketing.model import Action

log = logging.getLogger(__name__)


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="run the queue service")
    p.add_argument("--config", required=True, help="site TOML")
    p.add_argument("--db", default=None,
                   help="SQLite file (default: /var/lib/antrian/queue.db, or ./var/queue.db)")
    p.set_defaults(func=serve)

    p = sub.add_parser("take", help="take a ticket (for a kiosk's services, as account cli)")
    p.add_argument("--config", required=True)
    p.add_argument("--service", required=True)
    p.add_argument("--kiosk", default=None, help="kiosk id (default: the first that offers it)")
    p.add_argument("--priority", action="store_true", help="elderly, disabled, pregnant, children")
    p.add_argument("--timeout", type=float, default=5.0)
    p.set_defaults(func=take)

    p = sub.add_parser("press", help="press a counter button")
    p.add_argument("--config", required=True)
    p.add_argument("--counter", required=True)
    p.add_argument("action", choices=[a.value for a in Action])
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


def cli_connection(site, subscriptions: list[str] = (), on_message=None, *,
                   console: bool = False) -> Connection:
    """The command line's own client on the console listener, never a kiosk's or a counter's
    account, so a real device never hears about requests it did not make: ``cli`` (the
    supervisor's account for takes and presses) or, with ``console`` (``antrian status``) or
    where the secrets file has no ``cli``, the technician's (``ops``, ``ops-<name>``). A random
    client id: two technicians' commands never collide."""
    creds = None if console else siteconfig.credentials(site, "cli")
    if creds is None and site.broker.secrets:
        creds = siteconfig.console_credentials(site)
    return Connection(site, "cli", subscriptions=list(subscriptions), on_message=on_message,
                      presence=False, credentials=creds, account=creds[0] if creds else "cli",
                      broker=site.broker.console(),
                      client_id=f"antrian-{site.site}-cli-{uuid.uuid4().hex[:8]}")


def ask(site, topic: str, body: dict, timeout: float, what: str, *, answers: list[str],
        match) -> dict | None:
    """One request as ``cli``; the queue service's answer, or None (said on stderr).

    The queue answers a take or a press on its contract topics (``ticket``, ``error/<source>``,
    the counter's state), never on a reply tree of ours (it replies only to the sender's own:
    the kiosk's, the counter's), so the answer is the first message on ``answers`` for which
    ``match(topic, body)`` holds."""
    def found(t: str, payload: bytes) -> bool:
        try:
            answer = json.loads(payload)
        except ValueError:
            return False
        return isinstance(answer, dict) and match(t, answer)

    started = time.monotonic()
    try:
        with Requester(cli_connection(site, answers)).start(timeout) as requester:
            left = max(0.5, timeout - (time.monotonic() - started))
            payload = requester.request(topic, body, left, what=what, also=found,
                                        respond=False)
    except RequestError as e:
        print(f"antrian: {e}", file=sys.stderr)
        return None
    return json.loads(payload)


def take(args: argparse.Namespace) -> int:
    site = siteconfig.load(args.config)
    kiosk = args.kiosk or next((k.id for k in site.kiosks.values() if args.service in k.services),
                               None)
    if kiosk is None:
        print(f"antrian: no kiosk offers service {args.service!r}", file=sys.stderr)
        return 2
    rid = f"cli-{uuid.uuid4().hex[:12]}"
    topics = Topics(site.site)
    body = {"service": args.service, "id": rid, "priority": args.priority}
    answer = ask(site, topics.kiosk_take(kiosk), body, args.timeout,
                 f"take {rid} (service {args.service})",
                 answers=[topics.ticket, topics.error(f"kiosk-{kiosk}")],
                 match=lambda t, b: b.get("id") == rid)
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
    answer = ask(site, topics.counter_press(args.counter), body, args.timeout,
                 f"press {rid} ({args.action} at counter {args.counter})",
                 answers=[topics.counter_state(args.counter),
                          topics.error(f"counter-{args.counter}")],
                 match=lambda t, b: b.get("request") == rid or b.get("id") == rid)
    return _print_answer(answer)


def _print_answer(answer: dict | None) -> int:
    if answer is None:
        return 1
    if answer.get("ok") is True and isinstance(answer.get("data"), dict):
        answer = {**answer["data"], "ok": True}      # a press's outcome: counter, ticket...
    print(json.dumps(answer, ensure_ascii=False))
    return 1 if answer.get("ok") is False else 0


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

    conn = cli_connection(site, [topics.service_state(), topics.counter_state(),
                                 topics.lwt("queue")], on_message, console=True)
    try:
        connect(conn, args.timeout)
    except RequestError as e:
        print(f"antrian: {e}", file=sys.stderr)
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
