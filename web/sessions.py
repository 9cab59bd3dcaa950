"""The manager's sessions: signed cookies, and the server's list of those ended early.

    sessions = Sessions(session_key(secret, state_dir), hours=10,
                        revoked=Revoked(state_dir / "web-revoked.json"))
    token = sessions.issue(account, now)      # the cookie's value
    sessions.read(token, now)                 # (user, fingerprint) or None
    sessions.end(token, now)                  # logout: refused from now on, on every device
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import secrets as pysecrets
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

SESSION_HOURS = 10.0            # a working day: log in once in the morning


class Revoked:
    """Session ids ended before their time (logout), with when they would have expired; kept in
    a small JSON file so a restart does not bring them back. Bounded: only a valid session can
    be revoked, and entries go once expired."""

    MAX = 10_000

    def __init__(self, path: Path | None):
        self.path = path
        self.ids: dict[str, int] = {}
        if path is not None:
            try:
                raw = json.loads(path.read_text(encoding="utf-8"))
                self.ids = {str(k): int(v) for k, v in raw.items()} if isinstance(raw, dict) else {}
            except FileNotFoundError:
                pass
            except (OSError, ValueError, TypeError) as e:
                log.warning("revoked sessions in %s unreadable (%s): starting empty", path, e)

    def __contains__(self, sid: str) -> bool:
        return sid in self.ids

    def add(self, sid: str, expiry: int, now: float) -> None:
        self.ids = {k: e for k, e in self.ids.items() if e > now}
        self.ids[sid] = expiry
        while len(self.ids) > self.MAX:
            self.ids.pop(min(self.ids, key=self.ids.__getitem__))
        if self.path is None:
            return
        try:
            fd, tmp = tempfile.mkstemp(prefix=".revoked-", dir=self.path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(self.ids, f)
            os.replace(tmp, self.path)
        except OSError as e:
            log.warning("cannot keep revoked sessions in %s (%s): a restart forgets them",
                        self.path, e)


class Sessions:
    """Signed session tokens: ``base64(json).base64(hmac-sha256)``; the server keeps only the
    ids of sessions ended by logging out (:class:`Revoked`)."""

    def __init__(self, key: bytes, hours: float = SESSION_HOURS, *,
                 revoked: Revoked | None = None):
        self.key = key
        self.seconds = hours * 3600
        self.revoked = revoked or Revoked(None)

    def _sign(self, data: bytes) -> bytes:
        return hmac.new(self.key, data, hashlib.sha256).digest()

    def issue(self, account, now: float) -> str:
        """A token for ``account`` (a ``web.accounts.Account``) until ``now`` + the hours."""
        data = json.dumps({"u": account.user, "f": account.fingerprint,
                           "i": pysecrets.token_urlsafe(12), "e": int(now + self.seconds)},
                          separators=(",", ":")).encode()
        return _b64(data) + "." + _b64(self._sign(data))

    def end(self, token: str | None, now: float) -> bool:
        """Logout: the session is refused from now on, on every device that holds its cookie."""
        body = self._body(token, now)
        if body is None:
            return False
        self.revoked.add(body["i"], body["e"], now)
        return True

    def read(self, token: str, now: float) -> tuple[str, str] | None:
        """(user, fingerprint) of a valid, unexpired, not revoked token; None otherwise."""
        body = self._body(token, now)
        if body is None or body["i"] in self.revoked:
            return None
        return body["u"], body["f"]

    def _body(self, token: str | None, now: float) -> dict | None:
        if not token or len(token) > 400 or token.count(".") != 1:
            return None
        head, sig = token.split(".")
        try:
            data, mac = _unb64(head), _unb64(sig)
        except ValueError:
            return None
        if not hmac.compare_digest(mac, self._sign(data)):
            return None
        try:
            body = json.loads(data)
            expiry, sid = body["e"], body["i"]
            body["u"], body["f"]
        except (ValueError, KeyError, TypeError):
            return None
        if not isinstance(expiry, int) or expiry <= now or not isinstance(sid, str):
            return None
        return body


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError):
        raise ValueError("bad base64") from None


def session_key(secret: str | None, state_dir: Path) -> bytes:
    """The key that signs sessions: the file's ``secret``, else one generated once into the
    state directory (``web-session.key``, mode 0600), else (read-only disk) one for this run."""
    if secret:
        return hashlib.sha256(secret.encode()).digest()
    path = state_dir / "web-session.key"
    try:
        key = path.read_bytes()
        if len(key) >= 32:
            return key
    except FileNotFoundError:
        pass
    except OSError as e:
        log.warning("cannot read %s: %s", path, e)
    key = pysecrets.token_bytes(32)
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(key)
    except OSError as e:
        log.warning("cannot keep a session key in %s (%s): sessions end when the web restarts",
                    path, e)
    return key


