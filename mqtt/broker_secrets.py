"""The secrets file of a site: one broker password per account, the ticket key, and the broker's
own TLS and websockets settings; generated, completed and split into one file per device.

    secrets, added = generate_secrets(site)      # random passwords for what the file lacks
    device_secrets(secrets, accounts(site), Path("usb"))
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

from antrian.config import ConfigError, Site, need, no_unknown
from mqtt.broker_acl import Account, accounts

PASSWORD_CHARS = set(map(chr, range(33, 127))) - {":"}



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
