"""The manager accounts: a TOML file outside the site TOML, passwords hashed with Argon2id.

    accounts = Accounts(Path("/etc/antrian/managers.toml"), site)
    account = accounts.verify("dukcapil", "…")         # Account or None (~0.1-0.5 s: Argon2)
    token = accounts.sessions.issue(account, now)       # the signed session cookie's value
    accounts.from_token(token, now)                     # Account or None

The file (written by ``antrian web-user``; comments are not kept)::

    secret = "…"                 # optional: the session key (else generated in the state dir)

    [[manager]]
    user = "pengelola"
    role = "manager"             # sees every agency
    password_hash = "$argon2id$v=19$m=65536,t=3,p=4$…"

    [[manager]]
    user = "dukcapil"
    role = "agency"              # sees its own agency only
    agency = "Disdukcapil"
    password_hash = "$argon2id$…"

A session names the user, carries a random id and a fingerprint of their password hash:
changing a password or removing an account ends its sessions at once; logging out ends that
session on the server too (its id goes on a revocation list kept in the state directory,
``web-revoked.json``, until the session would have expired anyway); role and agency are read
from the file at each request, so a change applies without logging in again. The file is re-read
when it changes. A hash made with older Argon2 parameters is replaced at the next good login.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import secrets as pysecrets
import tempfile
import threading
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

from antrian.config import ConfigError, Site
from web.sessions import SESSION_HOURS, Revoked, Sessions, session_key  # noqa: F401

log = logging.getLogger(__name__)

ROLES = ("manager", "agency")
USER = re.compile(r"^[a-z0-9][a-z0-9._-]{0,39}$")
RELOAD_EVERY = 2.0              # s: how often the file's mtime is looked at


@dataclass(frozen=True)
class Account:
    user: str
    role: str
    password_hash: str
    agency: str | None = None

    def sees(self, agency: str) -> bool:
        return self.role == "manager" or agency == self.agency

    @property
    def fingerprint(self) -> str:
        return hashlib.blake2b(self.password_hash.encode(), digest_size=6).hexdigest()


def _hasher():
    from argon2 import PasswordHasher
    return PasswordHasher()    # Argon2id, 64 MiB, t=3: the library's (RFC 9106) defaults


def hash_password(password: str) -> str:
    if not password:
        raise ValueError("empty password")
    return _hasher().hash(password)


def parse(raw: dict, where: str, site: Site | None = None) -> tuple[str | None, dict[str, Account]]:
    """Validate a decoded managers file: (secret, accounts by user)."""
    unknown = sorted(set(raw) - {"secret", "manager"})
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r} (known: manager, secret)")
    secret = raw.get("secret")
    if secret is not None and (not isinstance(secret, str) or len(secret) < 32):
        raise ConfigError(f"{where}: secret must be a string of at least 32 characters")
    entries = raw.get("manager", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ConfigError(f"{where}: expected [[manager]] tables")
    accounts: dict[str, Account] = {}
    agencies = set(site.agencies) if site is not None else None
    for i, e in enumerate(entries):
        here = f"{where}: manager[{i}]"
        bad = sorted(set(e) - {"user", "role", "agency", "password_hash"})
        if bad:
            raise ConfigError(f"{here}: unknown key {bad[0]!r}")
        user, role, agency, pw = e.get("user"), e.get("role"), e.get("agency"), e.get("password_hash")
        if not isinstance(user, str) or not USER.match(user):
            raise ConfigError(f"{here}.user: lowercase letters, digits, '.', '_' or '-'")
        here = f"{where}: manager[{user}]"
        if user in accounts:
            raise ConfigError(f"{here}: duplicate user")
        if role not in ROLES:
            raise ConfigError(f"{here}.role: must be 'manager' or 'agency'")
        if role == "agency":
            if not isinstance(agency, str) or not agency:
                raise ConfigError(f"{here}.agency: an agency account names its agency")
            if agencies is not None and agency not in agencies:
                raise ConfigError(f"{here}.agency: {agency!r} is not an agency of the site "
                                  f"({', '.join(sorted(agencies))})")
        elif agency is not None:
            raise ConfigError(f"{here}.agency: a manager account sees every agency; remove it")
        if not isinstance(pw, str) or not pw.startswith("$argon2"):
            raise ConfigError(f"{here}.password_hash: not an Argon2 hash "
                              "(set it with `antrian web-user add`)")
        accounts[user] = Account(user, role, pw, agency)
    return secret, accounts


def read(path: Path, site: Site | None = None) -> tuple[str | None, dict[str, Account]]:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, {}
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from None
    return parse(raw, str(path), site)


def _toml_string(text: str) -> str:
    # A JSON string is a TOML basic string (same escapes: \" \\ \n \uXXXX).
    return json.dumps(text, ensure_ascii=False)


def write(path: Path, secret: str | None, accounts: dict[str, Account], *,
          group: str | None = "antrian") -> None:
    """Write the file atomically, readable by its owner and group only. An existing file keeps
    its owner, group and mode; a new one written by root gets ``group`` (the web's), so the web
    process, which runs as that user, can read it and nobody else can."""
    lines = ["# Antrian manager accounts: written by `antrian web-user` (comments are not kept).",
             "# Passwords are Argon2id hashes; keep this file readable by the web process only.",
             ""]
    if secret:
        lines += [f"secret = {_toml_string(secret)}", ""]
    for a in accounts.values():
        lines.append("[[manager]]")
        lines.append(f"user = {_toml_string(a.user)}")
        lines.append(f"role = {_toml_string(a.role)}")
        if a.agency is not None:
            lines.append(f"agency = {_toml_string(a.agency)}")
        lines.append(f"password_hash = {_toml_string(a.password_hash)}")
        lines.append("")
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o640
    fd, tmp = tempfile.mkstemp(prefix=".managers-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write("\n".join(lines))
        os.chmod(tmp, mode)
        try:
            if path.exists():
                st = path.stat()
                os.chown(tmp, st.st_uid, st.st_gid)     # keep the group the web reads it as
            elif group and os.geteuid() == 0:
                import grp
                os.chown(tmp, 0, grp.getgrnam(group).gr_gid)
        except (PermissionError, KeyError):
            pass      # not root, or no such group (a development machine): the user's own file
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class Accounts:
    """The accounts of a managers file, re-read when it changes.

    :param path: the managers file; None: no accounts (every login fails, with a clear reason).
    """

    def __init__(self, path: Path | None, site: Site | None, *, state_dir: Path,
                 session_hours: float = SESSION_HOURS, clock=time.monotonic):
        self.path = path
        self.site = site
        self.clock = clock
        self._lock = threading.Lock()
        self._stamp: tuple | None = None
        self._checked = -1e9
        self.accounts: dict[str, Account] = {}
        secret = None
        if path is not None:
            secret, self.accounts = read(path, site)
            self._stamp = self._stat()
        self.sessions = Sessions(session_key(secret, state_dir), session_hours,
                                 revoked=Revoked(state_dir / "web-revoked.json"))
        # Verifying an unknown user costs as much as a known one: no timing tells who exists.
        self._dummy = None

    def _stat(self) -> tuple | None:
        try:
            st = self.path.stat()
            return st.st_mtime_ns, st.st_size, st.st_ino
        except (FileNotFoundError, AttributeError):
            return None

    def refresh(self) -> None:
        """Re-read the file if it changed (looked at most every RELOAD_EVERY seconds)."""
        if self.path is None:
            return
        now = self.clock()
        if now - self._checked < RELOAD_EVERY:
            return
        self._checked = now
        stamp = self._stat()
        if stamp == self._stamp:
            return
        with self._lock:
            try:
                _, accounts = read(self.path, self.site)
            except ConfigError as e:
                log.error("managers file not reloaded (the old accounts stay): %s", e)
                self._stamp = stamp
                return
            self.accounts, self._stamp = accounts, stamp
            log.info("managers file %s reloaded: %d accounts", self.path, len(accounts))

    def verify(self, user: str, password: str) -> Account | None:
        """The account when the password is right (slow on purpose: run it off the loop)."""
        from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
        self.refresh()
        account = self.accounts.get(user)
        hasher = _hasher()
        if account is None:
            if self._dummy is None:
                self._dummy = hasher.hash(pysecrets.token_hex(8))
            try:
                hasher.verify(self._dummy, password)
            except (VerificationError, VerifyMismatchError, InvalidHashError):
                pass
            return None
        try:
            hasher.verify(account.password_hash, password)
        except VerifyMismatchError:
            return None
        except (VerificationError, InvalidHashError) as e:
            log.error("account %s: its password hash cannot be checked: %s", user, e)
            return None
        if hasher.check_needs_rehash(account.password_hash):
            account = self._rehash(account, hasher.hash(password))
        return account

    def _rehash(self, account: Account, new_hash: str) -> Account:
        """The hash was made with weaker (or other) Argon2 parameters than today's: write the
        new one. Where the web may not write the file, the old hash stays (said once)."""
        with self._lock:
            secret, accounts = read(self.path, self.site)
            if accounts.get(account.user) != account:
                return account          # changed meanwhile (web-user): leave it alone
            fresh = Account(account.user, account.role, new_hash, account.agency)
            accounts[account.user] = fresh
            try:
                write(self.path, secret, accounts)
            except OSError as e:
                log.warning("account %s: its password hash uses old Argon2 parameters but %s "
                            "cannot be written (%s): run `antrian web-user add --user %s` to "
                            "renew it", account.user, self.path, e, account.user)
                return account
            self.accounts = accounts
            self._stamp = self._stat()
            log.info("account %s: password hash renewed with the current Argon2 parameters",
                     account.user)
            return fresh

    def from_token(self, token: str | None, now: float) -> Account | None:
        if not token:
            return None
        found = self.sessions.read(token, now)
        if found is None:
            return None
        self.refresh()
        account = self.accounts.get(found[0])
        if account is None or account.fingerprint != found[1]:
            return None
        return account
