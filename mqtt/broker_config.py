"""The site's Mosquitto configuration: accounts, access rules and listeners, from the site TOML.

    site = config.load("/etc/antrian/site.toml")
    secrets = load_secrets(site)
    write(site, secrets, Path("/etc/antrian/mosquitto"), Options())

writes, into the output folder (what ``scripts/install-pi broker`` and the shipped
``systemd/mosquitto.conf`` expect):

- ``antrian.conf``: listeners and limits, read by the main config's ``include_dir`` (or, with
  ``standalone``, a whole config with persistence and logging, for ``mosquitto -c``);
- ``passwd``: one account per component, hashed by ``mosquitto_passwd`` (sha512-pbkdf2);
- ``console.passwd``: the technicians' accounts (``ops``, ``ops-<name>``) and ``cli``, for the
  console listener (``[broker] console_port``), when there is one;
- ``acl``: what each account may publish and read (see :func:`rules`);
- ``public.acl``: what anonymous visitors' browsers may read on the optional websockets listener.

Every account's username is its component name (``queue``, ``ops``, ``web``, ``counter-3``,
``kiosk-k1``, ``board-lobby``), the same name :func:`antrian.config.credentials` looks up, so a
device's password line, its presence topic and its ACL block all read alike.
"""

from __future__ import annotations

import grp
import json
import os
import pwd
import secrets as pyrandom
import shutil
import subprocess
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from antrian.config import ConfigError, Site, need, need_id, no_unknown, tables
from mqtt.topics import Topics

# Enough for a whole day of presses queued for a queue service that is restarting, and for a
# board that reconnects into a burst: Mosquitto's default (1000) drops the rest silently.
MAX_QUEUED_MESSAGES = 100_000
MAX_INFLIGHT_MESSAGES = 100
# The largest legitimate message is a board's `screenshot` reply, one message (no chunks):
# measured by bench/screenshot_size.py on the example site's busiest board, 290 KiB at 1080p
# and 596 KiB at 4K (PNG in base64 in JSON). 2 MiB fits a 4K screenshot three times over;
# requests are under 1 KiB and commands at most 64 KiB. A bigger packet disconnects its sender.
MAX_PACKET_SIZE = 2 * 1024 * 1024
# Per client, what may wait for it: a queue service down for a day finds every press and take
# queued (a big MPP: ~3000 tickets, ~12 000 requests of ~250 bytes = 3 MiB a day), so 8 MiB
# holds more than two such days; a stolen account that subscribes and never reads holds 8 MiB
# of the broker's memory at most, instead of growing until the Pi swaps.
MAX_QUEUED_BYTES = 8 * 1024 * 1024
# Connections per listener. On the device listener every account has one connection at most
# (the client id is the username: a second one takes the first one's place), so twice the
# accounts covers the overlap of a reconnect; a flood past it is refused before it uses up the
# broker's file descriptors (1024 by default), and the connected devices carry on.
MIN_DEVICE_CONNECTIONS = 64
CONSOLE_CONNECTIONS = 32
WEBSOCKET_CONNECTIONS = 500
ROLES = ("queue", "ops", "cli", "web", "board", "counter", "kiosk")
# Accounts that log in on the console listener when there is one (the others never do).
CONSOLE_ROLES = ("ops", "cli")
PASSWORD_CHARS = set(map(chr, range(33, 127))) - {":"}


@dataclass(frozen=True)
class Account:
    """One broker user: a component of the site, or a technician (``ops``, ``ops-andi``)."""
    name: str
    role: str
    id: str | None = None
    label: str = ""


@dataclass(frozen=True)
class Tls:
    """The broker's own certificate for a TLS listener (``[tls]`` in the secrets file)."""
    certfile: str
    keyfile: str
    cafile: str | None = None
    port: int = 8883


@dataclass(frozen=True)
class Secrets:
    """The secrets file: one password per account, and the broker-side listener settings that
    only the server Pi needs (``[tls]``, ``[websockets]``)."""
    path: Path
    passwords: dict[str, str]
    tls: Tls | None = None
    websockets: int | None = None
    # Site secrets other than passwords: ``ticket`` signs each ticket's survey key
    # (antrian.config.ticket_secret), shared by the queue service and the web only.
    keys: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Options:
    """Where and how the broker listens; the defaults are those of a server Pi.

    :param port: the plain MQTT listener (None: the site's ``[broker] port``, or no plain
        listener when the site says ``tls = true``).
    :param console_port: the technicians' listener (None: the site's ``[broker] console_port``;
        without one the technicians' accounts log in on the devices' listener, where a second
        console of the same account takes the first one's place).
    :param bind: an address to listen on (None: every interface, as the Pis need; a
        ``standalone`` config binds 127.0.0.1 unless told).
    :param standalone: write a whole config (persistence in ``data_dir``, log to stdout), for
        ``mosquitto -c antrian.conf`` without the shipped main config.
    :param data_dir: where a standalone broker keeps its database (None: ``mosquitto-data``
        beside the generated files, never the system broker's /var/lib/mosquitto).
    :param user: the account Mosquitto runs as (``user`` line; None: Mosquitto's own default).
    """
    port: int | None = None
    bind: str | None = None
    websockets: int | None = None
    tls_port: int | None = None
    standalone: bool = False
    data_dir: Path | None = None
    user: str | None = None
    console_port: int | None = None


# -- accounts -----------------------------------------------------------------------------------

def board_ids(site: Site) -> list[str]:
    """The ids of the site's ``[[board]]`` tables (the board role validates the rest)."""
    ids = []
    for i, table in enumerate(tables(site.raw, "board")):
        bid = need_id(table, "id", f"board[{i}]")
        if bid in ids:
            raise ConfigError(f"board[{bid}].id: duplicate board id")
        ids.append(bid)
    return ids


def accounts(site: Site, optional: list[str] = ()) -> list[Account]:
    """Every account of the site, in a stable order: services first, then devices.

    ``optional``: accounts only the secrets file names (:func:`optional_accounts`):
    technicians' own (``ops-<name>``) and the small displays above counters
    (``counter-display-<id>``, ``antrian display --counter <id>``).
    """
    out = [Account("queue", "queue", label="the queue service"),
           Account("ops", "ops", label="technicians")]
    out += [Account(name, "ops", label="a technician") for name in sorted(optional)
            if name.startswith("ops-")]
    out.append(Account("cli", "cli", label="`antrian take` and `antrian press`, a supervisor's "
                                           "tool"))
    out.append(Account("web", "web", label="the visitors' page and reports"))
    out += [Account(f"board-{b}", "board", b, f"board {b}") for b in board_ids(site)]
    out += [Account(f"counter-display-{c.id}", "board", c.id, f"the display above {c.name}")
            for c in site.counters.values() if f"counter-display-{c.id}" in optional]
    out += [Account(f"counter-{c.id}", "counter", c.id, c.name) for c in site.counters.values()]
    out += [Account(f"kiosk-{k.id}", "kiosk", k.id, k.name or f"kiosk {k.id}")
            for k in site.kiosks.values()]
    return out


# -- access rules -------------------------------------------------------------------------------

def public_topics(t: Topics) -> list[str]:
    """What anyone may read, even an anonymous browser: the queue as the boards show it."""
    return [t.service_state(), t.counter_state(), t.call, t.message, t.lwt("queue")]


def device_reads(t: Topics) -> list[str]:
    """What every device and the web server may read: the public topics and who is online."""
    return [t.service_state(), t.counter_state(), t.call, t.message, t.lwt()]


def overview_reads(t: Topics) -> list[str]:
    """Everything under the site but the reply tree and other components' commands: what the
    queue service and technicians read (each still reads its own ``reply/<name>/#``)."""
    b = t.base
    return [f"{b}/service/#", f"{b}/counter/#", f"{b}/kiosk/#", t.call, t.ticket, t.message,
            f"{b}/error/#", f"{b}/tele/#", f"{b}/stat/#"]


def rules(site: Site, account: Account) -> list[tuple[str, str]]:
    """The ``(access, topic)`` lines of one account, besides the patterns every account has
    (:func:`own_patterns`): the exact leaves it publishes, and what it reads. Nobody reads
    another account's replies (``reply/<name>/``), not even the queue service or a technician."""
    t = Topics(site.site)
    b = t.base
    if account.role == "queue":
        writes = [t.service_state(), t.counter_state(), t.call, t.ticket, t.message,
                  t.error(), f"{b}/reply/#"]
        return [("write", w) for w in writes] + [("read", r) for r in overview_reads(t)]
    if account.role == "ops":
        # Commands to any component; clearing the retained presence of a retired device.
        return ([("write", t.cmnd("+", "+")), ("write", t.lwt())]
                + [("read", r) for r in overview_reads(t) + [f"{b}/cmnd/#", "$SYS/#"]])
    reads = device_reads(t)
    if account.role == "cli":
        # `antrian take` / `antrian press`: a supervisor's tool, for any kiosk and counter.
        return ([("write", t.kiosk_take()), ("write", t.counter_press())]
                + [("read", r) for r in reads + [t.ticket, t.error()]])
    if account.role == "web":
        return [("read", topic) for topic in reads + [t.ticket]]
    if account.role == "board":
        return [("read", topic) for topic in reads]
    if account.role == "counter":
        return [("write", t.counter_press(account.id))] + [
            ("read", topic) for topic in reads + [t.error(account.name)]]
    if account.role == "kiosk":
        return [("write", t.kiosk_take(account.id))] + [
            ("read", topic) for topic in reads + [t.ticket, t.error(account.name)]]
    raise ValueError(f"unknown role {account.role!r}")


def own_patterns(t: Topics, consoles: list[str] = ("ops",)) -> list[tuple[str, str]]:
    """Every account speaks for itself on the exact leaves of its maintenance face, hears its
    own commands and the replies to its own requests, and may answer the technicians'
    consoles on their reply trees (``%u`` is the username, which is the component name)."""
    b = t.base
    out = [("write", f"{b}/tele/%u/lwt"), ("write", f"{b}/tele/%u/state"),
           ("write", f"{b}/stat/%u/+"),
           # a console's legacy response topic stat/<name>/<command>/<txn> (mosquitto_rr -e)
           ("write", f"{b}/stat/%u/+/+"),
           ("read", f"{b}/cmnd/%u/+"), ("read", f"{b}/reply/%u/#")]
    out += [("write", f"{b}/reply/{name}/#") for name in consoles]
    return out


def consoles(accounts_: list[Account]) -> list[str]:
    """The accounts that send maintenance commands (and so get replies from every component)."""
    return [a.name for a in accounts_ if a.role == "ops"]


def acl(site: Site, accounts_: list[Account]) -> str:
    """The ACL file of the authenticated listeners."""
    t = Topics(site.site)
    lines = [
        f"# Mosquitto ACL for Antrian site {site.site!r} ({site.title}).",
        "# Generated by `antrian broker-config` from the site TOML: change the TOML (or the",
        "# secrets file) and run it again rather than editing this file.",
        "#",
        "# Mosquitto checks every publish against the write lines and every message it delivers",
        "# (retained ones too) against the read lines; what no line allows is refused. There are",
        "# no anonymous lines here: the listeners that use this file refuse anonymous clients.",
        "",
        "# Each account: its own presence and health (tele/), its command replies (stat/), its",
        "# own commands (cmnd/), the replies to its own requests (reply/<name>/), and replies",
        "# to the technicians' consoles (reply/ops.../).",
    ]
    lines += [f"pattern {access} {topic}" for access, topic in own_patterns(t, consoles(accounts_))]
    for account in accounts_:
        lines += ["", f"# {account.name}: {account.label}" + _role_note(account), f"user {account.name}"]
        lines += [f"topic {access} {topic}" for access, topic in rules(site, account)]
    return "\n".join(lines) + "\n"


def _role_note(account: Account) -> str:
    return {"queue": " (the queue's state and events, replies to every requester)",
            "ops": " (commands, state, broker statistics)",
            "cli": " (takes and presses for any kiosk and counter)",
            "web": " (read only)",
            "board": " (read only)",
            "counter": " (presses for this counter only)",
            "kiosk": " (tickets from this kiosk only)"}[account.role]


def public_acl(site: Site) -> str:
    """The ACL of the anonymous websockets listener: read only, public topics only."""
    t = Topics(site.site)
    lines = [f"# Anonymous visitors' browsers on the websockets listener of site {site.site!r}:",
             "# they may read the queue as the boards show it, and publish nothing.",
             "# Generated by `antrian broker-config`."]
    lines += [f"topic read {topic}" for topic in public_topics(t)]
    return "\n".join(lines) + "\n"


# -- the Mosquitto config -----------------------------------------------------------------------

def listeners(site: Site, secrets: Secrets, options: Options) -> tuple[int | None, Tls | None, int | None]:
    """The plain, TLS and websockets listeners the config opens (None: not opened)."""
    tls = secrets.tls
    if options.tls_port is not None:
        if tls is None:
            raise ConfigError(f"{secrets.path}: a TLS listener needs [tls] certfile and keyfile")
        tls = replace(tls, port=options.tls_port)
    if site.broker.tls:
        # The devices connect with TLS to [broker] port: that is where the TLS listener goes.
        if tls is None:
            raise ConfigError(f"broker.tls: the site's devices connect with TLS, so {secrets.path} "
                              "needs a [tls] table (certfile, keyfile)")
        if options.tls_port is None:
            tls = replace(tls, port=site.broker.port)
        plain = options.port
    else:
        plain = options.port if options.port is not None else site.broker.port
    ws = options.websockets if options.websockets is not None else secrets.websockets
    ports = [p for p in (plain, tls.port if tls else None, ws) if p is not None]
    if len(ports) != len(set(ports)):
        raise ConfigError(f"two listeners on one port: plain {plain}, TLS "
                          f"{tls.port if tls else '-'}, websockets {ws or '-'}")
    if not ports:
        raise ConfigError("no listener: give a port")
    return plain, tls, ws


def console_port(site: Site, secrets: Secrets, options: Options) -> int | None:
    """The technicians' listener (None: they log in on the devices' listener)."""
    port = options.console_port if options.console_port is not None else site.broker.console_port
    if port is not None and port in _ports(site, secrets, options):
        raise ConfigError(f"broker.console_port: {port} is already another listener's port")
    return port


def _ports(site: Site, secrets: Secrets, options: Options) -> list[int]:
    plain, tls, ws = listeners(site, secrets, options)
    return [p for p in (plain, tls.port if tls else None, ws) if p is not None]


def mosquitto_conf(site: Site, secrets: Secrets, options: Options, folder: Path,
                   accounts_: list[Account] = ()) -> str:
    """The text of ``antrian.conf``; ``folder`` is where ``passwd`` and the ACLs are."""
    plain, tls, ws = listeners(site, secrets, options)
    console = console_port(site, secrets, options)
    bind = options.bind or ("127.0.0.1" if options.standalone else None)
    bind = f" {bind}" if bind else ""
    acl_line = f"acl_file {folder / 'acl'}"
    devices = ["allow_anonymous false", f"password_file {folder / 'passwd'}", acl_line,
               "# The client id is the username: a stolen Pi cannot take the queue's session",
               "# (or any other component's); a second copy of a component replaces the first.",
               "use_username_as_clientid true",
               f"max_connections {device_connections(accounts_)}"]
    out = [
        f"# Mosquitto for Antrian site {site.site!r} ({site.title}).",
        "# Generated by `antrian broker-config` from the site TOML and its secrets file: change",
        "# those and run it again rather than editing this file. Docs: docs/maintenance.md,",
        "# docs/security.md.",
        "",
    ]
    if options.user:
        out += [f"user {options.user}", ""]
    if options.standalone:
        data = str(data_dir(options, folder)).rstrip("/") + "/"
        out += ["# Standalone: persistence and logging here (a server Pi has them in",
                "# /etc/antrian/mosquitto.conf, which includes this file).",
                "persistence true", f"persistence_location {data}", "autosave_interval 60",
                "log_dest stdout", "log_type error", "log_type warning", "log_type notice",
                "log_type information", ""]
    out += [
        "# Each listener has its own accounts and ACL: the devices' listener fixes each client",
        "# id to its username, the console listener lets several consoles of one technician",
        "# in at once, the websockets one lets visitors' browsers in without a password.",
        "per_listener_settings true",
        "",
        "# A burst of QoS 1 messages (a reconnecting board, a queue service coming back to a day",
        "# of presses) must be queued, not dropped: the default limit of 1000 drops the rest.",
        "# The byte limit keeps one client that never reads from filling the Pi's memory.",
        f"max_queued_messages {MAX_QUEUED_MESSAGES}",
        f"max_queued_bytes {MAX_QUEUED_BYTES}",
        f"max_inflight_messages {MAX_INFLIGHT_MESSAGES}",
        "# A 4K board's screenshot reply is ~600 KiB (bench/screenshot_size.py); bigger packets",
        "# disconnect their sender.",
        f"max_packet_size {MAX_PACKET_SIZE}",
        "# Sessions of clients that asked to be kept forever are dropped after two days away.",
        "persistent_client_expiration 2d",
        "# Small messages go out at once: with Nagle on, each waits for a delayed ACK (~40 ms).",
        "set_tcp_nodelay true",
    ]
    if plain is not None:
        out += ["", "# MQTT for the queue service, the web, boards, panels and kiosks.",
                f"listener {plain}{bind}"] + devices
    if tls is not None:
        out += ["", "# MQTT over TLS (the broker's certificate from the secrets file's [tls]).",
                f"listener {tls.port}{bind}"] + _tls_lines(tls) + devices
    if console is not None:
        out += ["", "# Technicians' consoles (ops, ops-<name>) and `antrian take/press` (cli):",
                "# their own password file; client ids are free, so consoles never kick each",
                "# other, and no device password logs in here.",
                f"listener {console}{bind}"]
        out += _tls_lines(tls) if site.broker.tls and tls is not None else []
        out += ["allow_anonymous false", f"password_file {folder / 'console.passwd'}", acl_line,
                f"max_connections {CONSOLE_CONNECTIONS}"]
    if ws is not None:
        out += ["", "# Websockets for the visitors' queue page: anonymous and read only.",
                "# Anonymous clients choose their own client id: keep this listener off the",
                "# network the Pis use (docs/security.md).",
                f"listener {ws}{bind}", "protocol websockets", "allow_anonymous true",
                f"acl_file {folder / 'public.acl'}", f"max_connections {WEBSOCKET_CONNECTIONS}"]
    return "\n".join(out) + "\n"


def _tls_lines(tls: Tls) -> list[str]:
    return ([f"cafile {tls.cafile}"] if tls.cafile else []) + [f"certfile {tls.certfile}",
                                                             f"keyfile {tls.keyfile}"]


def device_connections(accounts_: list[Account]) -> int:
    """The devices' listener's connection limit: twice the accounts (see MIN_DEVICE_CONNECTIONS)."""
    return max(MIN_DEVICE_CONNECTIONS, 2 * len(accounts_))


def data_dir(options: Options, folder: Path) -> Path:
    """A standalone broker's own database folder: never the system broker's."""
    return options.data_dir if options.data_dir is not None else folder / "mosquitto-data"


# -- secrets ------------------------------------------------------------------------------------

def secrets_path(site: Site) -> Path:
    """The secrets file named by ``[broker] secrets`` (relative to the site TOML)."""
    if not site.broker.secrets:
        raise ConfigError('broker.secrets: name the secrets file (secrets = "secrets.toml") so '
                          "every component and the broker find the passwords")
    path = Path(site.broker.secrets)
    if not path.is_absolute() and site.path is not None:
        path = site.path.parent / path
    return path


def parse_secrets(raw: dict, path: Path) -> Secrets:
    """Validate a decoded secrets file (passwords are checked against accounts later)."""
    where = str(path)
    no_unknown(raw, {"passwords", "tls", "websockets", "keys"}, where)
    passwords = need(raw, "passwords", dict, where)
    for name, password in passwords.items():
        if not isinstance(password, str):
            raise ConfigError(f"{where}: passwords.{name}: expected a string")
        bad = set(password) - PASSWORD_CHARS
        if not password or bad:
            raise ConfigError(f"{where}: passwords.{name}: use printable characters without "
                              "spaces or ':' (generate one with --generate-secrets)")
    tls = None
    if "tls" in raw:
        t = need(raw, "tls", dict, where)
        w = f"{where}: tls"
        no_unknown(t, {"port", "cafile", "certfile", "keyfile"}, w)
        tls = Tls(certfile=need(t, "certfile", str, w), keyfile=need(t, "keyfile", str, w),
                  cafile=need(t, "cafile", str, w, None), port=_port(t, w, 8883))
    ws = None
    if "websockets" in raw:
        w = need(raw, "websockets", dict, where)
        no_unknown(w, {"port"}, f"{where}: websockets")
        ws = _port(w, f"{where}: websockets", 9001)
    keys = need(raw, "keys", dict, where, {})
    no_unknown(keys, {"ticket"}, f"{where}: keys")
    for name, value in keys.items():
        if not isinstance(value, str):
            raise ConfigError(f"{where}: keys.{name}: expected a string")
    return Secrets(path=path, passwords=dict(passwords), tls=tls, websockets=ws, keys=dict(keys))


def _port(table: dict, where: str, default: int) -> int:
    port = need(table, "port", int, where, default)
    if not 1 <= port <= 65535:
        raise ConfigError(f"{where}.port: {port} is not a TCP port")
    return port


def load_secrets(site: Site, path: Path | None = None) -> Secrets:
    path = path or secrets_path(site)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file (--generate-secrets makes one)") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from None
    return parse_secrets(raw, path)


def optional_accounts(secrets: Secrets, site: Site | None = None) -> list[str]:
    """The accounts that exist because the secrets file names them: technicians' own
    (``ops-<name>``) and counter displays (``counter-display-<id>`` of a counter of the site)."""
    return sorted(n for n in secrets.passwords if n.startswith("ops-") or (
        n.startswith("counter-display-") and site is not None
        and n[len("counter-display-"):] in site.counters))


def check_passwords(secrets: Secrets, accounts_: list[Account]) -> list[str]:
    """What is wrong between the accounts and the passwords, as warnings: an account without a
    password cannot log in (a kiosk not installed yet, say), and a password of no account is a
    typo (``counter3``) or a leftover. Neither stops the broker of the rest of the building."""
    names = {a.name for a in accounts_}
    warnings = []
    missing = [a.name for a in accounts_ if a.name not in secrets.passwords]
    if missing:
        warnings.append(f"{secrets.path}: no password for {', '.join(missing)}: they cannot log "
                        "in (add them, or run with --generate-secrets)")
    for name in sorted(set(secrets.passwords) - names):
        warnings.append(f"{secrets.path}: passwords.{name}: no such component in the site "
                        "(queue, ops, ops-<name>, web, board-<id>, counter-<id>, "
                        "counter-display-<id>, kiosk-<id>); ignored")
    return warnings


def new_password() -> str:
    return pyrandom.token_urlsafe(18)


def render_secrets(secrets: Secrets) -> str:
    """A secrets file's text (used when generating or completing one)."""
    out = ["# Broker passwords of this site: one per component; the username is the component",
           "# name. Keep this file out of version control; a Pi other than the server needs only",
           "# its own line (antrian broker-config --device-secrets DIR writes those files).",
           "[passwords]"]
    out += [f"{_key(name)} = {_string(password)}" for name, password in secrets.passwords.items()]
    if secrets.tls:
        t = secrets.tls
        out += ["", "[tls]", f"port = {t.port}", f"certfile = {_string(t.certfile)}",
                f"keyfile = {_string(t.keyfile)}"]
        out += [f"cafile = {_string(t.cafile)}"] if t.cafile else []
    if secrets.websockets:
        out += ["", "[websockets]", f"port = {secrets.websockets}"]
    if secrets.keys:
        out += ["", "# The key that signs each ticket's survey key: the queue service and the web.",
                "[keys]"] + [f"{_key(k)} = {_string(v)}" for k, v in secrets.keys.items()]
    return "\n".join(out) + "\n"


def _string(text: str) -> str:
    """A TOML basic string: JSON's escapes are TOML's for printable text."""
    return json.dumps(text, ensure_ascii=False)


def _key(name: str) -> str:
    return name if name.replace("-", "").replace("_", "").isalnum() else f'"{name}"'


def generate_secrets(site: Site, path: Path | None = None, *,
                     counter_displays: bool = False) -> tuple[Secrets, list[str]]:
    """Create the secrets file, or add the accounts it lacks; returns it and the names added.
    Existing passwords are kept (the devices already use them). ``counter_displays``: an
    account for a display above every counter too."""
    path = path or secrets_path(site)
    if path.exists():
        current = load_secrets(site, path)
    else:
        current = Secrets(path=path, passwords={})
    optional = optional_accounts(current, site)
    if counter_displays:
        optional += [f"counter-display-{c}" for c in site.counters]
    wanted = accounts(site, optional)
    added = [a.name for a in wanted if a.name not in current.passwords]
    keys = dict(current.keys)
    if "ticket" not in keys:
        keys["ticket"] = pyrandom.token_urlsafe(32)    # 256 bits, 43 characters
        added.append("keys.ticket")
    if not added:
        return current, []
    passwords = dict(current.passwords)
    passwords.update({name: new_password() for name in added if name in
                      {a.name for a in wanted}})
    result = replace(current, passwords=passwords, keys=keys)
    _write(path, render_secrets(result), 0o600)
    return result, added


# -- writing ------------------------------------------------------------------------------------

@dataclass
class Written:
    folder: Path
    files: list[Path] = field(default_factory=list)
    accounts: list[Account] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def write(site: Site, secrets: Secrets, folder: Path, options: Options = Options()) -> Written:
    """Write ``antrian.conf``, ``passwd``, ``acl`` and ``public.acl`` into ``folder``."""
    folder = folder.resolve()
    accounts_ = accounts(site, optional_accounts(secrets, site))
    warnings = check_passwords(secrets, accounts_)
    conf = mosquitto_conf(site, secrets, options, folder, accounts_)
    folder.mkdir(parents=True, exist_ok=True)
    written = Written(folder, accounts=accounts_, warnings=warnings)
    owner = _mosquitto_owner()
    separate = console_port(site, secrets, options) is not None
    passwd, console = folder / "passwd", folder / "console.passwd"
    known = [a for a in accounts_ if a.name in secrets.passwords]
    password_file([(a.name, secrets.passwords[a.name]) for a in known
                   if not (separate and a.role in CONSOLE_ROLES)], passwd)
    password_file([(a.name, secrets.passwords[a.name]) for a in known
                   if separate and a.role in CONSOLE_ROLES], console)
    for name, text, mode in (("acl", acl(site, accounts_), 0o600),
                             ("public.acl", public_acl(site), 0o644),
                             ("antrian.conf", conf, 0o644)):
        _write(folder / name, text, mode)
        written.files.append(folder / name)
    written.files[:0] = [passwd, console]
    # Mosquitto reads the password files and the ACLs after dropping to its own user.
    if owner:
        for path in (passwd, console, folder / "acl", folder / "public.acl"):
            os.chown(path, *owner)
    if options.standalone:
        data = data_dir(options, folder)
        data.mkdir(parents=True, exist_ok=True, mode=0o700)
        if owner and options.user in (None, "mosquitto"):
            os.chown(data, *owner)
    return written


def password_file(users: list[tuple[str, str]], path: Path) -> None:
    """A Mosquitto password file, hashed by ``mosquitto_passwd -U`` (sha512-pbkdf2, salted).

    The plain lines exist only in a file of mode 0600 that ``mosquitto_passwd`` rewrites in
    place, before it is moved over the old file.
    """
    if not users:  # mosquitto_passwd refuses an empty file; Mosquitto reads it as "nobody"
        _write(path, "", 0o600)
        return
    exe = shutil.which("mosquitto_passwd")
    if exe is None:
        raise ConfigError("mosquitto_passwd not found: install Debian's `mosquitto` package")
    tmp = path.with_name(path.name + ".new")
    _write(tmp, "".join(f"{name}:{password}\n" for name, password in users), 0o600)
    result = subprocess.run([exe, "-U", str(tmp)], capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise ConfigError(f"mosquitto_passwd failed: {result.stderr.strip() or result.stdout.strip()}")
    os.replace(tmp, path)


def device_secrets(secrets: Secrets, accounts_: list[Account], folder: Path,
                   with_ops: bool = False) -> list[Path]:
    """One secrets file per device (``board-lobby-secrets.toml``...), holding only its own
    password (and ``ops``' when asked): a stolen Pi does not hand over the other accounts.
    The web gets ``web-secrets.toml``: its password and the ticket key, nothing else (its
    systemd unit loads it as a credential, docs/security.md)."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for account in accounts_:
        if account.role in ("queue", "ops", "cli") or account.name not in secrets.passwords:
            continue
        web = account.role == "web"
        names = [account.name] + (["ops"] if with_ops and not web and "ops" in secrets.passwords
                                  else [])
        keys = {"ticket": secrets.keys["ticket"]} if web and "ticket" in secrets.keys else {}
        own = Secrets(path=folder, passwords={n: secrets.passwords[n] for n in names}, keys=keys)
        path = folder / f"{account.name}-secrets.toml"
        _write(path, render_secrets(own), 0o600)
        out.append(path)
    return out


def _write(path: Path, text: str, mode: int) -> None:
    """Write atomically with ``mode`` from the start (a password never sits world-readable)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def _mosquitto_owner() -> tuple[int, int] | None:
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("mosquitto").pw_uid, grp.getgrnam("mosquitto").gr_gid
    except KeyError:
        return None
