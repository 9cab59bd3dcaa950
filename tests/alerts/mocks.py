"""A browser's push service and a WhatsApp/SMS gateway, each a real aiohttp server on
127.0.0.1 in a thread of its own, for the alerts tests.

The push service does what FCM or Mozilla's would: it checks the VAPID JWT's ES256 signature
against the key in the ``Authorization`` header, its audience and expiry, and the payload's
headers, then decrypts the aes128gcm body with the subscriber's private key (which a real
browser holds), and keeps what it got."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import threading
import time
from urllib.parse import urlsplit

import http_ece
from aiohttp import web
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from support.broker import free_port


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Threaded:
    """An aiohttp app served from a thread; ``received`` holds what came in."""

    def __init__(self):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.received: list[dict] = []
        self.cond = threading.Condition()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def app(self) -> web.Application:
        raise NotImplementedError

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        runner = web.AppRunner(self.app(), access_log=None)
        self._loop.run_until_complete(runner.setup())
        self._loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", self.port).start())
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(runner.cleanup())

    def __enter__(self):
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc):
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def keep(self, item: dict) -> None:
        with self.cond:
            self.received.append(item)
            self.cond.notify_all()

    def wait_for(self, predicate, timeout: float = 10.0, what: str = "a message") -> dict:
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for item in self.received:
                    if predicate(item):
                        return item
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out waiting for {what}; got {self.received}")
                self.cond.wait(left)


class Subscriber:
    """What a browser's pushManager.subscribe() makes: a key pair and an auth secret."""

    def __init__(self, service: "MockPushService", name: str, status: int = 201):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        self.endpoint = f"{service.base}/push/{name}"
        service.subscribers[f"/push/{name}"] = self
        self.status = status

    def json(self) -> dict:
        point = self.key.public_key().public_bytes(serialization.Encoding.X962,
                                                   serialization.PublicFormat.UncompressedPoint)
        return {"endpoint": self.endpoint, "keys": {"p256dh": b64(point), "auth": b64(self.auth)}}


class MockPushService(Threaded):
    def __init__(self):
        super().__init__()
        self.subscribers: dict[str, Subscriber] = {}
        self.rejected: list[str] = []

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/push/{name}", self.push)
        return app

    def check_vapid(self, request: web.Request) -> str | None:
        """Why the request's VAPID authorisation is bad, or None."""
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("vapid "):
            return "no vapid authorization"
        parts = dict(p.strip().split("=", 1) for p in auth[6:].split(","))
        token, key = parts.get("t", ""), parts.get("k", "")
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64(key))
        head, body, sig = token.split(".")
        raw = unb64(sig)
        try:
            public.verify(encode_dss_signature(int.from_bytes(raw[:32], "big"),
                                               int.from_bytes(raw[32:], "big")),
                          f"{head}.{body}".encode(), ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            return "bad signature"
        claims = json.loads(unb64(body))
        if json.loads(unb64(head)).get("alg") != "ES256":
            return "alg"
        if claims.get("aud") != self.base:
            return f"aud {claims.get('aud')}"
        if not time.time() < claims.get("exp", 0) <= time.time() + 24 * 3600:
            return "exp"
        if not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
            return "sub"
        self.vapid_key = key
        return None

    async def push(self, request: web.Request) -> web.Response:
        sub = self.subscribers.get(request.path)
        if sub is None:
            return web.Response(status=404)
        why = self.check_vapid(request)
        if why is None and request.headers.get("Content-Encoding") != "aes128gcm":
            why = "content-encoding"
        if why is None and not request.headers.get("TTL", "").isdigit():
            why = "ttl"
        if why is not None:
            self.rejected.append(why)
            return web.Response(status=401, text=why)
        if sub.status != 201:
            return web.Response(status=sub.status)
        plain = http_ece.decrypt(await request.read(), private_key=sub.key,
                                 auth_secret=sub.auth, version="aes128gcm")
        self.keep({"path": request.path, "payload": json.loads(plain),
                   "urgency": request.headers.get("Urgency")})
        return web.Response(status=201)


class MockGateway(Threaded):
    """A WhatsApp/SMS gateway's HTTP interface: JSON {to, text} with a bearer token.
    ``mode``: "ok", "fail" (500) or "hang" (answers after 30 s)."""

    def __init__(self, token: str = "rahasia-gateway"):
        super().__init__()
        self.token = token
        self.mode = "ok"

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/send", self.send)
        return app

    async def send(self, request: web.Request) -> web.Response:
        if self.mode == "hang":
            await asyncio.sleep(30)
            return web.Response(status=504)
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.Response(status=401)
        body = await request.json()
        self.keep(body)
        return web.Response(status=500 if self.mode == "fail" else 200, text="{}")
