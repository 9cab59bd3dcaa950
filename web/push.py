"""Web Push (RFC 8030) with VAPID (RFC 8292) and aes128gcm payloads (RFC 8291), sent from the
web's event loop without ever making a request wait.

    vapid = Vapid.load(Path("/etc/antrian/vapid.pem"), subject="mailto:admin@mpp.go.id")
    pusher = Pusher(vapid, on_gone=forget)       # on_gone(endpoint): the browser unsubscribed
    pusher.send(endpoint, p256dh, auth, b'{"title": ...}')   # queued; False when the queue is full
    ...
    await pusher.close()

Built on ``cryptography`` (ES256 for the JWT, P-256 for the keys) and ``http_ece`` (the payload
encryption, the same library ``pywebpush`` uses): pywebpush itself would add ``requests`` and a
blocking send to a process whose every request is served from one event loop.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp

log = logging.getLogger(__name__)

TTL_S = 3600            # a push service keeps an undelivered alert this long (phone asleep)
JWT_LIFETIME_S = 12 * 3600   # RFC 8292: at most 24 h
QUEUE = 2000            # pushes waiting to be sent at most; more are dropped (and counted)
WORKERS = 4
TIMEOUT_S = 10.0


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Vapid:
    """The server's VAPID identity: a P-256 key, and a contact (``mailto:`` or ``https:``).

    ``public`` is what the page passes to ``pushManager.subscribe`` as ``applicationServerKey``
    (65 bytes, URL-safe base64)."""

    def __init__(self, private_key, subject: str):
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
        self.key = private_key
        self.subject = subject
        self.public_bytes = private_key.public_key().public_bytes(
            Encoding.X962, PublicFormat.UncompressedPoint)
        self.public = b64url(self.public_bytes)
        self._tokens: dict[str, tuple[float, str]] = {}

    @classmethod
    def generate(cls, subject: str = "mailto:admin@localhost") -> "Vapid":
        from cryptography.hazmat.primitives.asymmetric import ec
        return cls(ec.generate_private_key(ec.SECP256R1()), subject)

    @classmethod
    def load(cls, path: Path, subject: str) -> "Vapid":
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.serialization import load_pem_private_key
        key = load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
            raise ValueError(f"{path}: not a P-256 (prime256v1) private key")
        return cls(key, subject)

    def pem(self) -> bytes:
        from cryptography.hazmat.primitives.serialization import (Encoding, NoEncryption,
                                                                  PrivateFormat)
        return self.key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())

    def token(self, audience: str, now: float | None = None) -> str:
        """A signed JWT for one push service (``https://fcm.googleapis.com``), reused while it
        has more than an hour left (signing costs ~0.1 ms, but a burst need not pay it)."""
        now = time.time() if now is None else now
        held = self._tokens.get(audience)
        if held is not None and held[0] - now > 3600:
            return held[1]
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
        exp = int(now) + JWT_LIFETIME_S
        head = b64url(json.dumps({"typ": "JWT", "alg": "ES256"}).encode())
        body = b64url(json.dumps({"aud": audience, "exp": exp, "sub": self.subject}).encode())
        signing = f"{head}.{body}".encode()
        r, s = decode_dss_signature(self.key.sign(signing, ec.ECDSA(hashes.SHA256())))
        token = f"{head}.{body}.{b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"
        if len(self._tokens) > 64:
            self._tokens.clear()
        self._tokens[audience] = (exp, token)
        return token

    def headers(self, endpoint: str) -> dict[str, str]:
        parts = urlsplit(endpoint)
        audience = f"{parts.scheme}://{parts.netloc}"
        return {"Authorization": f"vapid t={self.token(audience)}, k={self.public}"}


def encrypt(payload: bytes, p256dh: str, auth: str) -> bytes:
    """The aes128gcm body for a subscription's keys (a new sender key and salt each time)."""
    import http_ece
    from cryptography.hazmat.primitives.asymmetric import ec
    sender = ec.generate_private_key(ec.SECP256R1())
    return http_ece.encrypt(payload, salt=os.urandom(16), private_key=sender,
                            dh=unb64url(p256dh), auth_secret=unb64url(auth),
                            version="aes128gcm")


class Pusher:
    """Sends pushes from a bounded queue on the running event loop: ``send`` never waits, a
    slow or failing push service delays only other pushes, never a page.

    :param on_gone: called with the endpoint when the push service says the subscription is
        no more (404, 410): the browser unsubscribed or the phone was reset.
    :param session: an aiohttp ClientSession (None: one of its own, made on first use)."""

    def __init__(self, vapid: Vapid, *, on_gone: Callable[[str], None] | None = None,
                 ttl: int = TTL_S, queue: int = QUEUE, workers: int = WORKERS,
                 timeout: float = TIMEOUT_S):
        self.vapid = vapid
        self.on_gone = on_gone
        self.ttl = ttl
        self.timeout = timeout
        self._size = queue
        self._workers_wanted = workers
        self._queue: asyncio.Queue | None = None
        self._workers: list[asyncio.Task] = []
        self._session: aiohttp.ClientSession | None = None
        self.sent = self.failed = self.gone = self.dropped = 0

    def send(self, endpoint: str, p256dh: str, auth: str, payload: bytes,
             *, urgency: str = "high") -> bool:
        """Queue one push (on the event loop's thread). False when the queue is full."""
        if self._queue is None:
            self._queue = asyncio.Queue(self._size)
            self._workers = [asyncio.get_running_loop().create_task(self._work())
                             for _ in range(self._workers_wanted)]
        try:
            self._queue.put_nowait((endpoint, p256dh, auth, payload, urgency))
            return True
        except asyncio.QueueFull:
            self.dropped += 1
            return False

    async def _work(self) -> None:
        assert self._queue is not None
        while True:
            item = await self._queue.get()
            try:
                await self.deliver(*item)
            except Exception:    # one bad subscription must not stop the worker
                self.failed += 1
                log.exception("push failed")
            finally:
                self._queue.task_done()

    async def deliver(self, endpoint: str, p256dh: str, auth: str, payload: bytes,
                      urgency: str = "high") -> int:
        """Send one push now; the push service's HTTP status (0: it could not be reached)."""
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.timeout))
        body = encrypt(payload, p256dh, auth)
        headers = {**self.vapid.headers(endpoint), "TTL": str(self.ttl), "Urgency": urgency,
                   "Content-Encoding": "aes128gcm", "Content-Type": "application/octet-stream"}
        where = urlsplit(endpoint).netloc       # the push service, never the whole endpoint
        try:
            async with self._session.post(endpoint, data=body, headers=headers) as r:
                status = r.status
        except (aiohttp.ClientError, TimeoutError, OSError) as e:
            self.failed += 1
            log.warning("push service %s unreachable: %s", where, type(e).__name__)
            return 0
        if status in (404, 410):
            self.gone += 1
            if self.on_gone is not None:
                self.on_gone(endpoint)
        elif 200 <= status < 300:
            self.sent += 1
        else:
            self.failed += 1
            log.warning("push service %s answered %d", where, status)
        return status

    async def drain(self) -> None:
        """Until every queued push has been tried (tests, and a clean stop)."""
        if self._queue is not None:
            await self._queue.join()

    async def close(self) -> None:
        for task in self._workers:
            task.cancel()
        self._workers = []
        self._queue = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    def figures(self) -> dict[str, int]:
        return {"push_sent": self.sent, "push_failed": self.failed, "push_gone": self.gone,
                "push_dropped": self.dropped}
