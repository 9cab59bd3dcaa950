"""Technicians' console over the maintenance topics, and the site's broker configuration.

    $ antrian ctl --config site.toml queue stats
    $ antrian ctl --config site.toml queue message text="Loket 5 tutup pukul 12.00"
    $ antrian ctl --config site.toml board-lobby screenshot --out lobby.png
    $ antrian watch --config site.toml            # live table (mqtt/watch.py)
    $ antrian broker-config --config site.toml --out /etc/antrian/mosquitto

``ctl`` and ``watch`` speak the same topics as ``mosquitto_rr`` and ``mosquitto_sub`` would
(docs/maintenance.md), with the ``ops`` account of the secrets file.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from antrian import config as siteconfig
from antrian.config import ConfigError, Site

EXIT_FAILED = 1      # the component answered ok: false, or a component is not online (watch)
EXIT_USAGE = 2
EXIT_NO_ANSWER = 3   # nothing came back in time


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ctl", help="send a maintenance command to a component and print the reply",
                       description="Send cmnd/<component>/<command> and print the reply. ARGS is "
                       "one JSON object or key=value pairs: values are read as JSON when they "
                       "can be (confirm=true level=35 services='[\"ktp\"]'), except ids and "
                       "texts (counter=3 is \"3\"); key:=value always reads JSON.")
    p.add_argument("--config", required=True, help="site TOML")
    p.add_argument("component", help="queue, board-<id>, counter-<id>, kiosk-<id>")
    p.add_argument("command", help="status, help, identify, reload, ... (help lists them)")
    p.add_argument("args", nargs="*", help="a JSON object, or key=value pairs")
    p.add_argument("--timeout", type=float, default=8.0, help="seconds to wait for the reply")
    p.add_argument("--out", type=Path, help="where to save a screenshot (PNG)")
    p.add_argument("--json", action="store_true", help="print the whole reply as one JSON line")
    p.set_defaults(func=ctl)

    p = sub.add_parser("watch", help="live table of every component's presence and health")
    p.add_argument("--config", required=True, help="site TOML")
    p.add_argument("--once", action="store_true",
                   help="print one snapshot and exit (1 when a component is not online)")
    p.add_argument("--timeout", type=float, default=3.0,
                   help="--once: seconds to collect the answers")
    p.add_argument("--refresh", type=float, default=1.0, help="seconds between redraws")
    p.add_argument("--json", action="store_true", help="--once: print JSON instead of a table")
    p.set_defaults(func=watch)

    p = sub.add_parser("broker-config", help="write the site's Mosquitto config, passwd and ACL",
                       description="Write antrian.conf, passwd, acl and public.acl into --out, "
                       "from the site TOML and its secrets file ([broker] secrets).")
    p.add_argument("--config", required=True, help="site TOML")
    p.add_argument("--out", required=True, type=Path, help="folder (a server Pi: /etc/antrian/mosquitto)")
    p.add_argument("--generate-secrets", action="store_true",
                   help="create the secrets file, or add the accounts it lacks, with random passwords")
    p.add_argument("--counter-displays", action="store_true",
                   help="--generate-secrets: also an account for a display above every counter "
                        "(counter-display-<id>)")
    p.add_argument("--device-secrets", type=Path, metavar="DIR",
                   help="also write one secrets file per device into DIR (its own password only)")
    p.add_argument("--with-ops", action="store_true",
                   help="--device-secrets: add the ops password (technicians run ctl on that Pi)")
    p.add_argument("--port", type=int, help="plain MQTT listener (default: the site's [broker] port)")
    p.add_argument("--console-port", type=int,
                   help="technicians' listener (default: the site's [broker] console_port)")
    p.add_argument("--bind", help="listen on this address only (default: every interface; "
                                  "--standalone: 127.0.0.1)")
    p.add_argument("--websockets", type=int, metavar="PORT",
                   help="read-only anonymous websockets listener (default: [websockets] of the secrets)")
    p.add_argument("--tls-port", type=int, help="TLS listener port (needs [tls] in the secrets file)")
    p.add_argument("--standalone", action="store_true",
                   help="a whole config (persistence, logging) for `mosquitto -c antrian.conf`")
    p.add_argument("--data-dir", type=Path,
                   help="--standalone: persistence folder (default: mosquitto-data in --out)")
    p.add_argument("--user", help="the account Mosquitto runs as (default: Mosquitto's own)")
    p.set_defaults(func=broker_config)


# -- broker-config ------------------------------------------------------------------------------

def broker_config(args: argparse.Namespace) -> int:
    from mqtt import broker_config as bc

    site = siteconfig.load(args.config)
    if args.generate_secrets:
        secrets, added = bc.generate_secrets(site, counter_displays=args.counter_displays)
        if added:
            print(f"{secrets.path}: new secrets for {', '.join(added)}")
    else:
        secrets = bc.load_secrets(site)
    options = bc.Options(port=args.port, bind=args.bind, websockets=args.websockets,
                         tls_port=args.tls_port, standalone=args.standalone,
                         data_dir=args.data_dir, user=args.user,
                         console_port=args.console_port)
    written = bc.write(site, secrets, args.out, options)
    for warning in written.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for path in written.files:
        print(f"wrote {path}")
    print(f"{len(written.accounts)} accounts: " + ", ".join(a.name for a in written.accounts))
    if args.device_secrets:
        for path in bc.device_secrets(secrets, written.accounts, args.device_secrets,
                                      args.with_ops):
            print(f"wrote {path}")
    if not args.standalone:
        print("then: sudo systemctl reload mosquitto  (a new listener needs a restart)")
    return 0


# -- ctl ----------------------------------------------------------------------------------------

# Ids and texts are strings even when they look like numbers: counter=3 means counter "3".
STRING_KEYS = {"counter", "service", "kiosk", "ticket", "to", "id", "text", "board"}


def parse_args(items: list[str]) -> dict:
    """``['{"a": 1}']``, or ``key=value`` pairs, as the command's JSON object.

    ``key=value`` reads true/false/null, numbers, lists and objects as JSON, except for ids and
    texts (``counter=3`` is the string "3"); ``key:=json`` always reads JSON.

    >>> parse_args(["confirm=true", "counter=3", "level=35", "text=Loket 5 tutup"])
    {'confirm': True, 'counter': '3', 'level': 35, 'text': 'Loket 5 tutup'}
    """
    if len(items) == 1 and items[0].lstrip().startswith("{"):
        try:
            value = json.loads(items[0])
        except ValueError as e:
            raise ConfigError(f"arguments: not a JSON object: {e}") from None
        if not isinstance(value, dict):
            raise ConfigError("arguments: expected a JSON object")
        return value
    out: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key.rstrip(":"):
            raise ConfigError(f"arguments: {item!r} is not key=value (or give one JSON object)")
        if key.endswith(":"):
            try:
                out[key[:-1]] = json.loads(text)
            except ValueError as e:
                raise ConfigError(f"arguments: {key[:-1]}: not JSON: {e}") from None
            continue
        if key in STRING_KEYS:
            out[key] = text
            continue
        try:
            out[key] = json.loads(text)
        except ValueError:
            out[key] = text  # a bare word or a sentence: a string
    return out


def ops_connection(site: Site, name: str, subscriptions: list[str], on_message) -> Any:
    """A short-lived console client with the technicians' account (``ops``, ``ops-<name>`` or
    ``$ANTRIAN_OPS_ACCOUNT``) on the console listener (no presence of its own)."""
    from mqtt.client import Connection
    creds = siteconfig.console_credentials(site)
    return Connection(site, name, subscriptions=subscriptions, on_message=on_message,
                      presence=False, credentials=creds, account=creds[0] if creds else "ops",
                      broker=site.broker.console(),
                      client_id=f"antrian-{site.site}-{name}-{uuid.uuid4().hex[:8]}")


@dataclass
class Answer:
    reply: dict | None = None
    presence: str | None = None
    done: threading.Event = field(default_factory=threading.Event)


def request(site: Site, component: str, command: str, args: dict, timeout: float) -> Answer:
    """Send one command with an MQTT v5 response topic (under the ops account's own ``reply/``)
    and wait for its reply. Raises :class:`mqtt.consumer.RequestError` (login refused, broker
    unreachable); no answer in time leaves ``reply`` None and says what the presence was."""
    from mqtt.consumer import NoAnswer, Requester
    from mqtt.topics import Topics

    topics = Topics(site.site)
    lwt, stat = topics.lwt(component), topics.stat(component, command)
    answer = Answer()
    txn = uuid.uuid4().hex[:12]

    def on_presence(topic: str, payload: bytes, message: Any) -> None:
        if topic == lwt:
            answer.presence = payload.decode(errors="replace")[:20]

    def echoed(topic: str, payload: bytes) -> bool:
        # Every component also publishes the reply on its stat/ topic with our transaction.
        if topic != stat or txn.encode() not in payload:
            return False
        try:
            body = json.loads(payload)
        except ValueError:
            return False
        return isinstance(body, dict) and body.get("transaction") == txn

    started = time.monotonic()
    requester = Requester(ops_connection(site, "ctl", [lwt, stat], None), on_other=on_presence)
    with requester.start(timeout):
        left = max(0.5, timeout - (time.monotonic() - started))
        try:
            payload = requester.request(topics.cmnd(component, command),
                                        {**args, "transaction": txn}, left,
                                        what=f"{component} {command}", also=echoed)
        except NoAnswer:
            return answer
    try:
        body = json.loads(payload)
    except ValueError:
        body = {"ok": False, "error": f"unreadable reply: {payload[:200]!r}"}
    answer.reply = body if isinstance(body, dict) else {"ok": False, "error": f"reply: {body!r}"}
    answer.done.set()
    return answer


def ctl(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    site = siteconfig.load(args.config)
    try:
        payload = parse_args(args.args)
    except ConfigError as e:
        print(f"antrian ctl: {e}", file=sys.stderr)
        return EXIT_USAGE
    if "/" in args.component + args.command or "+" in args.component + args.command \
            or "#" in args.component + args.command:
        print("antrian ctl: a component or command name cannot hold '/', '+' or '#'", file=sys.stderr)
        return EXIT_USAGE
    from mqtt.consumer import RequestError
    try:
        answer = request(site, args.component, args.command, payload, args.timeout)
    except RequestError as e:
        print(f"antrian ctl: {e}", file=sys.stderr)
        return EXIT_NO_ANSWER
    if answer.reply is None:
        why = {"offline": f"{args.component} is offline",
               None: f"{args.component} never reported presence: check the name "
                     "(`antrian watch` lists the components)"}.get(
            answer.presence, f"{args.component} did not answer")
        print(f"antrian ctl: no reply in {args.timeout:g} s: {why}", file=sys.stderr)
        return EXIT_NO_ANSWER
    reply = answer.reply
    if reply.get("ok") and isinstance(reply.get("data"), dict) and "png_base64" in reply["data"]:
        reply = save_screenshot(reply, args.out or default_shot_name(args.component))
    if args.json:
        print(json.dumps(reply, ensure_ascii=False), file=out)
    elif reply.get("ok"):
        print(json.dumps(reply.get("data"), ensure_ascii=False, indent=2), file=out)
    else:
        print(f"{args.component} {args.command}: {reply.get('error', reply)}", file=sys.stderr)
    return 0 if reply.get("ok") else EXIT_FAILED


def default_shot_name(component: str) -> Path:
    return Path(f"{component}-{time.strftime('%Y%m%d-%H%M%S')}.png")


def save_screenshot(reply: dict, path: Path) -> dict:
    """Write the PNG of a ``screenshot`` reply to ``path``; the reply then names the file."""
    data = dict(reply["data"])
    png = base64.b64decode(data.pop("png_base64"))
    path.write_bytes(png)
    data.update(saved=str(path), bytes=len(png))
    return {**reply, "data": data}


def watch(args: argparse.Namespace, out: TextIO | None = None) -> int:
    from mqtt.watch import watch as run
    return run(args, out)
