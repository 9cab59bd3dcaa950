"""The outbound notifier: a text to a visitor's phone through a WhatsApp gateway's or an SMS
modem's HTTP interface, or a local command, off unless ``[notify] gateway_url`` or
``gateway_command`` is set.

    outbox = Outbox(HttpGateway("http://127.0.0.1:9000/send", token="..."), per_minute=30)
    outbox.send("6281234567890", "Nomor A016: 2 orang lagi di depan Anda.")   # never waits
    ...
    await outbox.close()

A phone number is personal data (UU 27/2022): it is never logged (``tag`` names it by a short
keyed hash), and what stores it seals it first (``web.alerts``). Sending is rate-limited (the
building's total a minute, and a few a day per number: nobody can turn the page into a way of
texting a stranger) and never blocks the web: a bounded queue, a timeout, and a full queue drops.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Sequence

import aiohttp

log = logging.getLogger(__name__)

QUEUE = 500
TIMEOUT_S = 5.0
PER_NUMBER_PER_DAY = 4     # texts to one number in 24 h at most (near, called, and a margin)
_TAG_KEY = hashlib.sha256(b"antrian-phone-tag" + str(time.time_ns()).encode()).digest()
PHONE_CHARS = re.compile(r"^\+?[0-9 ()\-.]{8,24}$")


class BadPhone(ValueError):
    """Not an Indonesian mobile number."""


def normalise_phone(raw: str) -> str:
    """``0812-3456-7890``, ``+62 812 3456 7890``, ``62812...`` → ``6281234567890`` (E.164
    without the plus, as gateways take it). Indonesian mobile numbers only: 62 8xx, 10 to 13
    digits after the country code."""
    if not isinstance(raw, str) or not PHONE_CHARS.match(raw.strip()):
        raise BadPhone("phone: digits only, e.g. 0812 3456 7890")
    digits = re.sub(r"\D", "", raw)
    if digits.startswith("0"):
        digits = "62" + digits[1:]
    if not digits.startswith("628") or not 10 <= len(digits) - 2 <= 13:
        raise BadPhone("phone: an Indonesian mobile number (08xx or +628xx)")
    return digits


def tag(phone: str) -> str:
    """How a log names a number: a keyed hash (the key is new each run), never the digits."""
    return "phone#" + hmac.new(_TAG_KEY, phone.encode(), hashlib.sha256).hexdigest()[:8]


class GatewayError(RuntimeError):
    """The gateway refused or could not be reached."""


class HttpGateway:
    """POSTs ``{"to": phone, "text": text}`` (or a form) to a gateway's URL, with
    ``Authorization: Bearer <token>`` when a token is set. Most WhatsApp gateways (Fonnte,
    Wablas, WAHA) and SMS modem servers (Gammu/SMSD's, playSMS) take one of these two shapes;
    the field names are configurable."""

    def __init__(self, url: str, *, token: str | None = None, form: bool = False,
                 phone_field: str = "to", text_field: str = "text", timeout: float = TIMEOUT_S):
        self.url, self.token, self.form = url, token, form
        self.phone_field, self.text_field = phone_field, text_field
        self.timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    async def send(self, phone: str, text: str) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.timeout))
        fields = {self.phone_field: phone, self.text_field: text}
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        if self.form:
            data: object = fields
        else:
            data = json.dumps(fields)
            headers["Content-Type"] = "application/json"
        try:
            async with self._session.post(self.url, data=data, headers=headers) as r:
                if not 200 <= r.status < 300:
                    raise GatewayError(f"gateway answered {r.status}")
        except (aiohttp.ClientError, TimeoutError, OSError) as e:
            raise GatewayError(f"gateway unreachable: {type(e).__name__}") from None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class CommandGateway:
    """Runs a command per text, e.g. ``["gammu-smsd-inject", "TEXT", "{phone}", "-text",
    "{text}"]``: ``{phone}`` and ``{text}`` are replaced in each argument, no shell is involved
    (the text cannot become a command). A non-zero exit or a timeout is a failure."""

    def __init__(self, argv: Sequence[str], *, timeout: float = 15.0):
        if not argv:
            raise ValueError("gateway_command: an empty command")
        self.argv = list(argv)
        self.timeout = timeout

    async def send(self, phone: str, text: str) -> None:
        args = [a.replace("{phone}", phone).replace("{text}", text) for a in self.argv]
        proc = await asyncio.create_subprocess_exec(
            *args, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL)
        try:
            code = await asyncio.wait_for(proc.wait(), self.timeout)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            raise GatewayError("gateway command timed out") from None
        if code != 0:
            raise GatewayError(f"gateway command exited {code}")

    async def close(self) -> None:
        pass


class Outbox:
    """A bounded queue of texts, sent one at a time by one worker on the event loop.

    :param per_minute: texts a minute for the whole building (the gateway's own limit, or the
        modem's: an SMS modem sends ~6 a minute).
    :param per_number: texts to one number in 24 h at most."""

    def __init__(self, gateway, *, per_minute: int = 30, per_number: int = PER_NUMBER_PER_DAY,
                 queue: int = QUEUE, clock=time.monotonic):
        self.gateway = gateway
        self.interval = 60.0 / per_minute
        self.per_number = per_number
        self.clock = clock
        self._size = queue
        self._queue: asyncio.Queue | None = None
        self._worker: asyncio.Task | None = None
        self._next = 0.0
        self._counts: OrderedDict[str, list[float]] = OrderedDict()
        self.sent = self.failed = self.dropped = self.limited = 0

    def _allow(self, phone: str) -> bool:
        now = self.clock()
        key = tag(phone)
        times = [t for t in self._counts.pop(key, []) if now - t < 86400]
        if len(times) >= self.per_number:
            self._counts[key] = times
            return False
        times.append(now)
        self._counts[key] = times
        while len(self._counts) > 20_000:
            self._counts.popitem(last=False)
        return True

    def send(self, phone: str, text: str) -> bool:
        """Queue one text (on the event loop's thread); False when refused or dropped."""
        if not self._allow(phone):
            self.limited += 1
            log.info("text to %s not sent: %d already today", tag(phone), self.per_number)
            return False
        if self._queue is None:
            self._queue = asyncio.Queue(self._size)
            self._worker = asyncio.get_running_loop().create_task(self._work())
        try:
            self._queue.put_nowait((phone, text))
            return True
        except asyncio.QueueFull:
            self.dropped += 1
            log.warning("text to %s dropped: the outbox is full", tag(phone))
            return False

    async def _work(self) -> None:
        assert self._queue is not None
        while True:
            phone, text = await self._queue.get()
            try:
                wait = self._next - self.clock()
                if wait > 0:
                    await asyncio.sleep(wait)     # the building's rate, spread out
                self._next = max(self._next, self.clock()) + self.interval
                await self.gateway.send(phone, text)
                self.sent += 1
                log.info("text sent to %s", tag(phone))
            except GatewayError as e:
                self.failed += 1
                log.warning("text to %s not sent: %s", tag(phone), e)
            except Exception:
                self.failed += 1
                log.exception("text to %s not sent", tag(phone))
            finally:
                self._queue.task_done()

    async def drain(self) -> None:
        if self._queue is not None:
            await self._queue.join()

    async def close(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            self._worker = None
        self._queue = None
        await self.gateway.close()

    def figures(self) -> dict[str, int]:
        return {"texts_sent": self.sent, "texts_failed": self.failed,
                "texts_dropped": self.dropped, "texts_limited": self.limited}
