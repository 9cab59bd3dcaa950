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

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from antrian.config import ConfigError, Site
# The accounts, rules and secrets live in their own modules; their names stay reachable here.
from mqtt.broker_acl import (CONSOLE_ROLES, ROLES, Account, accounts, acl, board_ids,  # noqa: F401
                             consoles, device_reads, own_patterns, public_acl, public_topics,
                             rules)
from mqtt.broker_secrets import (PASSWORD_CHARS, Secrets, Tls, _mosquitto_owner,  # noqa: F401
                                 _write, check_passwords, device_secrets, generate_secrets,
                                 load_secrets, new_password, optional_accounts, parse_secrets,
                                 password_file, render_secrets, secrets_path)

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
# broker's memory and file descriptors, and the connected devices carry on.
MIN_DEVICE_CONNECTIONS = 64
CONSOLE_CONNECTIONS = 32
WEBSOCKET_CONNECTIONS = 500


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
    out = _head(site, options, folder) + [
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


def _head(site: Site, options: Options, folder: Path) -> list[str]:
    """What the file is, and for a standalone broker its persistence and logging."""
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
    return out


def _tls_lines(tls: Tls) -> list[str]:
    return ([f"cafile {tls.cafile}"] if tls.cafile else []) + [f"certfile {tls.certfile}",
                                                             f"keyfile {tls.keyfile}"]


def device_connections(accounts_: list[Account]) -> int:
    """The devices' listener's connection limit: twice the accounts (see MIN_DEVICE_CONNECTIONS)."""
    return max(MIN_DEVICE_CONNECTIONS, 2 * len(accounts_))


def data_dir(options: Options, folder: Path) -> Path:
    """A standalone broker's own database folder: never the system broker's."""
    return options.data_dir if options.data_dir is not None else folder / "mosquitto-data"


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
