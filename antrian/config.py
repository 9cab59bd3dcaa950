"""The site configuration: one TOML file per building, validated with errors that name the key.

    >>> site = load("examples/mpp.toml")
    >>> site.services["ktp"].prefix
    'A'

Each role reads the common part (site, broker, services, counters, kiosks) from here; tables that
belong to one role only (``[[board]]``, ``[[panel]]``, ...) stay in :attr:`Site.raw` and that role
validates their values with the readers of :mod:`antrian.config_values` (re-exported here), so an
error always reads ``board[2].layout: ...``.
The names of every table and key, whichever role reads them, are checked here first, against the
one registry in :mod:`antrian.sections`: ``kiosk[k1]: unknown key 'printr' (did you mean
'printer'?; known: ...)`` stops every role at load, not only the kiosk.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from antrian.config_values import (  # noqa: F401 (re-exported: roles import them from here)
    ID, PREFIX, ConfigError, need, need_id, need_time, no_unknown, tables)
from antrian.sections import unknown_key

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Broker:
    host: str = "127.0.0.1"
    port: int = 1883
    username: str | None = None
    password: str | None = None
    tls: bool = False
    ca_file: str | None = None
    keepalive: int = 15
    # A TOML file, not the site TOML, holding one password per component: see credentials().
    secrets: str | None = None
    # The technicians' own listener (docs/security.md): consoles and `antrian take/press`.
    console_port: int | None = None

    def console(self) -> "Broker":
        """Where technicians' consoles connect: the console listener when the site has one."""
        return replace(self, port=self.console_port) if self.console_port else self


@dataclass(frozen=True)
class Service:
    id: str
    prefix: str
    name: str
    agency: str
    separator: str = ""
    width: int = 3
    # Minutes one visitor usually takes: the waiting estimate's prior before today's data.
    average_minutes: float = 5.0
    # Anything a role adds to a service (hours, quota, standard) stays here for that role.
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def ticket(self, number: int) -> str:
        """The printed and spoken ticket label: ``A012``, ``4K-10``."""
        return f"{self.prefix}{self.separator}{number:0{self.width}d}"


@dataclass(frozen=True)
class Counter:
    id: str
    name: str
    services: tuple[str, ...]


@dataclass(frozen=True)
class Kiosk:
    id: str
    services: tuple[str, ...]
    printer: str | None = None
    name: str = ""


@dataclass(frozen=True)
class Site:
    site: str
    title: str
    timezone: str
    reset_at: time
    broker: Broker
    services: dict[str, Service]
    counters: dict[str, Counter]
    kiosks: dict[str, Kiosk]
    public_url: str | None = None
    path: Path | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def agencies(self) -> list[str]:
        """Agencies in the order the TOML first names them."""
        return list(dict.fromkeys(s.agency for s in self.services.values()))

    def service_of_ticket(self, label: str) -> Service | None:
        """The service whose prefix (and separator) the ticket label starts with."""
        best = None
        for s in self.services.values():
            head = s.prefix + s.separator
            if label.startswith(head) and label[len(head):].isdigit():
                if best is None or len(head) > len(best.prefix + best.separator):
                    best = s
        return best


# -- the common part ----------------------------------------------------------------------------

# The service keys this loader reads; the others (quota, opening, standard) go to Service.extra.
SERVICE_KEYS = {"id", "prefix", "name", "agency", "separator", "width", "average_minutes"}


def parse(raw: dict, path: Path | None = None) -> Site:
    """Validate a decoded TOML document and build the :class:`Site`.

    Names first: an unknown table or key anywhere in the file is refused before any value is
    read, so a misspelt ``prefx`` reads as unknown, not as a missing ``prefix``."""
    if (unknown := unknown_key(raw)) is not None:
        raise ConfigError(unknown)
    site_id = need_id(raw, "site", "site")
    tz = _timezone(raw)
    broker = _broker(raw)
    services = _services(raw)
    counters, kiosks = _counters(raw, services), _kiosks(raw, services)
    return Site(
        site=site_id,
        title=need(raw, "title", str, "title", f"Mal Pelayanan Publik {site_id}"),
        timezone=tz,
        reset_at=need_time(raw, "reset_at", "reset_at", "00:00"),
        broker=broker, services=services, counters=counters, kiosks=kiosks,
        public_url=need(raw, "public_url", str, "public_url", None),
        path=path, raw=raw,
    )


def _timezone(raw: dict) -> str:
    tz = need(raw, "timezone", str, "timezone", "Asia/Jakarta")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"timezone: unknown time zone {tz!r}") from None
    return tz


def _broker(raw: dict) -> Broker:
    broker_raw = need(raw, "broker", dict, "broker", {})
    broker = Broker(
        host=need(broker_raw, "host", str, "broker", "127.0.0.1"),
        port=need(broker_raw, "port", int, "broker", 1883),
        username=need(broker_raw, "username", str, "broker", None),
        password=need(broker_raw, "password", str, "broker", None),
        tls=need(broker_raw, "tls", bool, "broker", False),
        ca_file=need(broker_raw, "ca_file", str, "broker", None),
        keepalive=need(broker_raw, "keepalive", int, "broker", 15),
        secrets=need(broker_raw, "secrets", str, "broker", None),
        console_port=need(broker_raw, "console_port", int, "broker", None),
    )
    for key, port in (("port", broker.port), ("console_port", broker.console_port)):
        if port is not None and not 1 <= port <= 65535:
            raise ConfigError(f"broker.{key}: {port} is not a TCP port")
    if broker.console_port == broker.port:
        raise ConfigError("broker.console_port: must differ from broker.port")
    if not 5 <= broker.keepalive <= 20:
        raise ConfigError("broker.keepalive: must be 5..20 s so a dead device shows offline quickly")
    return broker


def _services(raw: dict) -> dict[str, Service]:
    services: dict[str, Service] = {}
    prefixes: dict[str, str] = {}      # prefix + separator -> service id
    for i, t in enumerate(tables(raw, "service")):
        sid = need_id(t, "id", f"service[{i}]")
        if sid in services:
            raise ConfigError(f"service[{sid}].id: duplicate service id")
        service = _service(t, sid, prefixes)
        prefixes[service.prefix + service.separator] = sid
        services[sid] = service
    if not services:
        raise ConfigError("service: at least one [[service]] is needed")
    _check_unambiguous(prefixes)
    return services


def _service(t: dict, sid: str, prefixes: dict[str, str]) -> Service:
    where = f"service[{sid}]"
    prefix = need(t, "prefix", str, where)
    if not PREFIX.match(prefix):
        raise ConfigError(f"{where}.prefix: {prefix!r} must be 1-4 capital letters or digits")
    sep = need(t, "separator", str, where, "")
    if sep not in ("", "-", "."):
        raise ConfigError(f"{where}.separator: must be '', '-' or '.'")
    if prefix + sep in prefixes:
        raise ConfigError(f"{where}.prefix: {prefix!r} already used by service "
                          f"{prefixes[prefix + sep]!r}; ticket numbers must be unique in a day")
    width = need(t, "width", int, where, 3)
    if not 1 <= width <= 4:
        raise ConfigError(f"{where}.width: must be 1..4 digits")
    avg = need(t, "average_minutes", (int, float), where, 5.0)
    if not 0 < avg <= 600:
        raise ConfigError(f"{where}.average_minutes: must be between 0 and 600")
    return Service(
        id=sid, prefix=prefix, separator=sep, width=width, average_minutes=float(avg),
        name=need(t, "name", str, where), agency=need(t, "agency", str, where),
        extra={k: v for k, v in t.items() if k not in SERVICE_KEYS})


def _check_unambiguous(prefixes: dict[str, str]) -> None:
    """A prefix such as "1" must not swallow "1A": labels must map back to one service."""
    for a in prefixes:
        for b in prefixes:
            if a != b and b.startswith(a) and (a[-1:] in "-." or b[len(a):len(a) + 1].isdigit()):
                raise ConfigError(f"service[{prefixes[b]}].prefix: {b!r} is ambiguous with {a!r}")


def _service_list(t: dict, where: str, services: dict[str, Service],
                  default: Any = ...) -> tuple[str, ...]:
    """The ``services`` a counter or kiosk serves: known ids, at least one; None (a kiosk's
    default) means every service."""
    ids = need(t, "services", list, where, default)
    if ids is None:
        return tuple(services)
    for s in ids:
        # a list or table inside the list is unhashable: test the type before the lookup
        if not isinstance(s, str) or s not in services:
            raise ConfigError(f"{where}.services: unknown service {s!r}")
    if not ids:
        raise ConfigError(f"{where}.services: must name at least one service")
    return tuple(dict.fromkeys(ids))


def _by_id(raw: dict, key: str, build: Callable[[dict, str, str], Any]) -> dict[str, Any]:
    """Each ``[[key]]`` table built by ``build(table, id, where)``, keyed by its unique id."""
    found: dict[str, Any] = {}
    for i, t in enumerate(tables(raw, key)):
        tid = need_id(t, "id", f"{key}[{i}]")
        where = f"{key}[{tid}]"
        if tid in found:
            raise ConfigError(f"{where}.id: duplicate {key} id")
        found[tid] = build(t, tid, where)
    return found


def _counters(raw: dict, services: dict[str, Service]) -> dict[str, Counter]:
    counters = _by_id(raw, "counter", lambda t, cid, where: Counter(
        cid, need(t, "name", str, where, f"Loket {cid}"), _service_list(t, where, services)))
    if not counters:
        raise ConfigError("counter: at least one [[counter]] is needed")
    return counters


def _kiosks(raw: dict, services: dict[str, Service]) -> dict[str, Kiosk]:
    return _by_id(raw, "kiosk", lambda t, kid, where: Kiosk(
        kid, _service_list(t, where, services, None), printer=need(t, "printer", str, where, None),
        name=need(t, "name", str, where, "")))


def load(path: str | Path) -> Site:
    """Read and validate a site TOML file."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from None
    try:
        return parse(raw, path)
    except ConfigError as e:
        raise ConfigError(f"{path}: {e}") from None


def credentials(site: Site, component: str) -> tuple[str, str] | None:
    """The broker account of one component (``queue``, ``counter-3``, ``ops``...).

    The secrets file (``[broker] secrets``, relative to the site TOML) reads::

        [passwords]
        queue = "..."
        counter-3 = "..."

    The username is the component name. Without a secrets file, or without an entry for the
    component, the TOML's own ``[broker] username/password`` apply (None when there are none).
    """
    found = _secrets(site)
    if found is None:
        # A development copy of the site file has no secrets; a locked broker then refuses the
        # connection, and the component logs that refusal.
        _log.warning("broker.secrets: none found; connecting as %s without a password", component)
        return None
    path, raw = found
    passwords = need(raw, "passwords", dict, str(path), {})
    password = passwords.get(component)
    if password is None:
        return None
    if not isinstance(password, str):
        raise ConfigError(f"{path}: passwords.{component}: expected a string")
    return component, password


def console_credentials(site: Site) -> tuple[str, str] | None:
    """The technician's account for a console (``antrian ctl``, ``watch``, ``status``):
    ``$ANTRIAN_OPS_ACCOUNT`` when set, else ``ops``, else the one ``ops-<name>`` the secrets
    file holds (a technician's laptop carries their own account only)."""
    wanted = os.environ.get("ANTRIAN_OPS_ACCOUNT")
    if wanted:
        return credentials(site, wanted)
    found = credentials(site, "ops")
    if found is not None:
        return found
    secrets = _secrets(site)
    passwords = secrets[1].get("passwords", {}) if secrets else {}
    own = sorted(n for n in passwords if isinstance(n, str) and n.startswith("ops-"))
    return credentials(site, own[0]) if len(own) == 1 else None


def _secrets(site: Site) -> tuple[Path, dict] | None:
    """The secrets file and its contents (None: no such file): a systemd credential named
    ``secrets`` when the unit loads one (``LoadCredential=secrets:...``: the web gets its own
    password and the ticket key that way, docs/security.md), else ``[broker] secrets``."""
    credentials_dir = os.environ.get("CREDENTIALS_DIRECTORY")
    if credentials_dir and (Path(credentials_dir) / "secrets").is_file():
        path = Path(credentials_dir) / "secrets"
    elif not site.broker.secrets:
        return None
    else:
        path = Path(site.broker.secrets)
    if not path.is_absolute() and site.path is not None:
        path = site.path.parent / path
    try:
        return path, tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"broker.secrets: {path}: not valid TOML: {e}") from None


def ticket_secret(site: Site) -> bytes:
    """The secret that signs each ticket's key (``ticketing.keys``): ``[keys] ticket`` in the
    secrets file, shared by the queue service (which hands keys out) and the web (which checks
    them). Without a secrets file, a development secret derived from the site's name, logged as
    such: a building with a secrets file but no ticket key is refused."""
    found = _secrets(site)
    if found is None:
        _log.warning("no secrets file: ticket keys use a development secret (not for a building)")
        return hashlib.sha256(f"antrian-development-ticket-key:{site.site}".encode()).digest()
    path, raw = found
    keys = need(raw, "keys", dict, str(path), {})
    secret = keys.get("ticket")
    if not isinstance(secret, str) or len(secret) < 32:
        raise ConfigError(f"{path}: keys.ticket: a string of at least 32 characters is needed "
                          "(antrian broker-config --generate-secrets writes one)")
    return hashlib.sha256(secret.encode()).digest()
