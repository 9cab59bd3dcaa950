"""Near-turn alerts: who asked to be told, when their turn is near, and telling them once.

    alerts = Alerts(app.public, AlertStore(Path("alerts.db")), secret, pusher=..., outbox=...)
    alerts.add(Subscription(day="2026-11-30", ticket="A016", ahead=2, minutes=10, ...))
    alerts.check(now)   # after each rebuild of the public state: sends what is due

A subscription belongs to one ticket of one day. It is told twice at most: once when ``ahead``
tickets or fewer are before it, or its estimate falls to ``minutes`` or below ("near"), and
once when it is called. It is deleted when the ticket is done, when the line forgets the ticket
(a reset), and at the end of its day (a missed ticket may still come back until then).

What is kept (``alerts.db``, the web's state directory): the ticket, its day and thresholds, the
browser's push endpoint and keys, and, when a visitor gave one, the phone number sealed with
AES-GCM under a key derived from the site's ticket secret: never in clear on disk, never logged.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from ticketing.keys import ticket_key

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS subscription (
    id INTEGER PRIMARY KEY,
    day TEXT NOT NULL, ticket TEXT NOT NULL,
    ahead INTEGER NOT NULL, minutes INTEGER, lang TEXT NOT NULL,
    endpoint TEXT, p256dh TEXT, auth TEXT, phone BLOB,
    near_sent INTEGER NOT NULL DEFAULT 0, called_sent INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL);
CREATE INDEX IF NOT EXISTS subscription_ticket ON subscription(day, ticket);
"""


@dataclass
class Subscription:
    day: str
    ticket: str
    ahead: int
    minutes: int | None = None
    lang: str = "id"
    endpoint: str | None = None
    p256dh: str | None = None
    auth: str | None = None
    phone: bytes | None = None       # sealed (PhoneSeal), never the digits
    near_sent: bool = False
    called_sent: bool = False
    created: float = field(default_factory=time.time)
    id: int | None = None


def is_near(ahead_now: int | None, est_wait_s: float | None, sub: Subscription) -> bool:
    """The visitor's condition: few enough ahead, or a short enough estimate."""
    if ahead_now is not None and ahead_now <= sub.ahead:
        return True
    return (sub.minutes is not None and est_wait_s is not None
            and est_wait_s <= sub.minutes * 60)


class PhoneSeal:
    """AES-GCM under a key derived from the site's ticket secret: the number is readable only
    by a process that holds that secret (the web), and a copy of ``alerts.db`` alone reveals
    nothing."""

    def __init__(self, secret: bytes):
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        self._aead = AESGCM(hmac.new(secret, b"antrian-alerts-phone", hashlib.sha256).digest())

    def seal(self, phone: str) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, phone.encode(), b"phone")

    def open(self, sealed: bytes) -> str:
        return self._aead.decrypt(sealed[:12], sealed[12:], b"phone").decode()


class AlertStore:
    """The subscriptions in SQLite (WAL, ``synchronous=NORMAL``: a lost last second after a
    power cut costs an alert, never the file), mirrored in memory by ``Alerts``."""

    COLUMNS = ("day", "ticket", "ahead", "minutes", "lang", "endpoint", "p256dh", "auth",
               "phone", "near_sent", "called_sent", "created")

    def __init__(self, path: Path | str):
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        if str(path) != ":memory:":
            os.chmod(path, 0o600)

    def all(self) -> list[Subscription]:
        rows = self.db.execute(f"SELECT id, {', '.join(self.COLUMNS)} FROM subscription")
        return [Subscription(**dict(zip(self.COLUMNS, row[1:])), id=row[0]) for row in rows]

    def add(self, sub: Subscription) -> Subscription:
        values = [getattr(sub, c) for c in self.COLUMNS]
        cur = self.db.execute(
            f"INSERT INTO subscription ({', '.join(self.COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(self.COLUMNS))})", values)
        sub.id = cur.lastrowid
        return sub

    def update(self, sub: Subscription, *, endpoint: bool = False) -> None:
        self.db.execute("UPDATE subscription SET ahead=?, minutes=?, lang=?, p256dh=?, auth=?, "
                        "phone=?, near_sent=?, called_sent=? WHERE id=?",
                        (sub.ahead, sub.minutes, sub.lang, sub.p256dh, sub.auth, sub.phone,
                         sub.near_sent, sub.called_sent, sub.id))
        if endpoint:
            self.db.execute("UPDATE subscription SET endpoint=? WHERE id=?",
                            (sub.endpoint, sub.id))

    def delete(self, ids: list[int]) -> None:
        if ids:
            self.db.executemany("DELETE FROM subscription WHERE id=?", [(i,) for i in ids])

    def close(self) -> None:
        self.db.close()


TEXT = {
    "id": {"near_title": "Giliran Anda hampir tiba",
           "near": "Nomor {ticket}: {ahead} orang lagi di depan Anda{wait}. Bersiaplah menuju "
                   "layanan {service}.",
           "next": "Nomor {ticket}: Anda berikutnya{wait}. Bersiaplah menuju layanan {service}.",
           "wait": " (± {minutes} mnt)",
           "called_title": "Nomor Anda dipanggil",
           "called": "Nomor {ticket} dipanggil! Silakan menuju {counter}."},
    "en": {"near_title": "Your turn is near",
           "near": "Number {ticket}: {ahead} ahead of you{wait}. Get ready for {service}.",
           "next": "Number {ticket}: you are next{wait}. Get ready for {service}.",
           "wait": " (about {minutes} min)",
           "called_title": "Your number is called",
           "called": "Number {ticket} is called! Please go to {counter}."},
}


def message(kind: str, body: dict[str, Any], lang: str) -> tuple[str, str]:
    """(title, text) of an alert, from a ticket's answer (``PublicState.ticket``)."""
    t = TEXT.get(lang, TEXT["id"])
    if kind == "called":
        return t["called_title"], t["called"].format(
            ticket=body["ticket"], counter=body.get("counter_name") or body.get("counter") or "")
    est = body.get("est_wait_s")
    wait = t["wait"].format(minutes=max(1, round(est / 60))) if est is not None else ""
    text = t["next" if body.get("ahead") == 0 else "near"]
    return t["near_title"], text.format(ticket=body["ticket"], ahead=body.get("ahead"),
                                        wait=wait, service=body.get("service_name") or "")


class Alerts:
    """The subscriptions held in memory (by ticket) and the rule that tells them.

    :param public: the web's ``PublicState`` (its ``ticket()`` answers what the page shows).
    :param pusher: a ``web.push.Pusher`` (None: Web Push is off).
    :param outbox: a ``web.notify.Outbox`` (None: texts are off)."""

    def __init__(self, public, store: AlertStore, secret: bytes, *, pusher=None, outbox=None,
                 public_url: str | None = None, max_total: int = 20_000):
        self.public = public
        self.store = store
        self.secret = secret
        self.pusher = pusher
        self.outbox = outbox
        self.seal = PhoneSeal(secret)
        self.public_url = (public_url or "").rstrip("/")
        self.max_total = max_total
        self.by_ticket: dict[tuple[str, str], list[Subscription]] = {}
        for sub in store.all():
            self.by_ticket.setdefault((sub.day, sub.ticket), []).append(sub)
        self.near_sent = self.called_sent = self.deleted = 0

    @property
    def enabled(self) -> bool:
        return self.pusher is not None or self.outbox is not None

    def count(self) -> int:
        return sum(len(v) for v in self.by_ticket.values())

    def add(self, sub: Subscription) -> Subscription:
        """Add, or update the thresholds of the same browser's (or number's) subscription."""
        held = self.by_ticket.setdefault((sub.day, sub.ticket), [])
        for old in held:
            if (sub.endpoint and old.endpoint == sub.endpoint) or (
                    sub.endpoint is None and old.endpoint is None):
                # told again only about a new condition, never twice about the call
                if (old.ahead, old.minutes) != (sub.ahead, sub.minutes):
                    old.near_sent = old.called_sent
                old.ahead, old.minutes, old.lang = sub.ahead, sub.minutes, sub.lang
                old.p256dh, old.auth = sub.p256dh, sub.auth
                old.phone = sub.phone if sub.phone is not None else old.phone
                self.store.update(old)
                return old
        held.append(self.store.add(sub))
        return sub

    def remove(self, day: str, ticket: str, endpoint: str | None) -> int:
        held = self.by_ticket.get((day, ticket), [])
        gone = [s for s in held if endpoint is None or s.endpoint == endpoint]
        self._drop((day, ticket), gone)
        return len(gone)

    def forget_endpoint(self, endpoint: str) -> None:
        """The push service says this browser unsubscribed: its subscriptions go (those that
        also hold a phone keep it, without the push)."""
        for key, held in list(self.by_ticket.items()):
            mine = [s for s in held if s.endpoint == endpoint]
            for sub in mine:
                if sub.phone is not None:
                    sub.endpoint = sub.p256dh = sub.auth = None
                    self.store.update(sub, endpoint=True)
            self._drop(key, [s for s in mine if s.phone is None])

    def _drop(self, key: tuple[str, str], subs: list[Subscription]) -> None:
        if not subs:
            return
        self.store.delete([s.id for s in subs if s.id is not None])
        left = [s for s in self.by_ticket.get(key, []) if s not in subs]
        if left:
            self.by_ticket[key] = left
        else:
            self.by_ticket.pop(key, None)
        self.deleted += len(subs)

    def check(self, now: float) -> None:
        """Tell whoever is due, delete what is over. Only on a synced, connected state: a
        ticket must never be told (or forgotten) from a guess."""
        snap = self.public.snapshot
        if not self.by_ticket or not snap.synced or not self.public.connected:
            return
        for key in list(self.by_ticket):
            day, ticket = key
            info = snap.index.get(ticket)
            held = snap.issued.get(info.service) if info is not None else None
            if info is None or held is None or held[0] != day:
                # not waiting, called nor missed today (the rare case: the full answer says
                # done, expired or unknown, and the subscription goes)
                status, body = self.public.ticket(ticket, day, now)
                if status == 200 and body.get("status") in ("done", "expired", "unknown"):
                    self._drop(key, list(self.by_ticket[key]))
                continue
            # The fast path (~1 µs a ticket: bench/alerts_check.py): the snapshot's index, and
            # the full answer only for someone to be told.
            for sub in self.by_ticket[key]:
                if info.status == "called" and not sub.called_sent:
                    sub.called_sent = sub.near_sent = True
                    self.called_sent += 1
                    self._tell(sub, "called", self.public.ticket(ticket, day, now)[1])
                elif info.status == "waiting" and not sub.near_sent and is_near(
                        info.position, info.est_wait_s, sub):
                    sub.near_sent = True
                    self.near_sent += 1
                    self._tell(sub, "near", self.public.ticket(ticket, day, now)[1])

    def _tell(self, sub: Subscription, kind: str, body: dict[str, Any]) -> None:
        self.store.update(sub)
        title, text = message(kind, body, sub.lang)
        url = self.url(sub)
        if self.pusher is not None and sub.endpoint and sub.p256dh and sub.auth:
            payload = msgspec.json.encode({"title": title, "body": text, "url": url,
                                           "tag": f"antrian-{sub.ticket}", "kind": kind,
                                           "ticket": sub.ticket})
            self.pusher.send(sub.endpoint, sub.p256dh, sub.auth, payload)
        if self.outbox is not None and sub.phone is not None:
            try:
                phone = self.seal.open(sub.phone)
            except Exception:    # sealed under another secret (the key changed): cannot send
                log.warning("a sealed phone number of %s cannot be opened", sub.ticket)
                return
            link = f" {self.public_url}{url}" if self.public_url else ""
            self.outbox.send(phone, f"{text}{link}")

    def url(self, sub: Subscription) -> str:
        key = ticket_key(self.secret, self.public.site.site, sub.day, sub.ticket)
        return f"/t/{sub.ticket}?d={sub.day}&k={key}" + ("&lang=en" if sub.lang == "en" else "")

    def figures(self) -> dict[str, int]:
        out = {"alerts": self.count(), "alerts_near_sent": self.near_sent,
               "alerts_called_sent": self.called_sent}
        for part in (self.pusher, self.outbox):
            if part is not None:
                out.update(part.figures())
        return out

    async def close(self) -> None:
        for part in (self.pusher, self.outbox):
            if part is not None:
                await part.close()
        self.store.close()


def from_settings(site, settings, state_dir: Path, secret: bytes) -> Alerts | None:
    """The site's alerts from ``[notify]`` (``web.settings.NotifySettings``): None when neither
    Web Push nor texts are configured (the page still alerts while it is open)."""
    from web.notify import CommandGateway, HttpGateway, Outbox
    from web.push import Pusher, Vapid

    from antrian.config import ConfigError

    pusher = outbox = None
    if settings.vapid_key is not None:
        try:
            pusher = Pusher(Vapid.load(settings.vapid_key, settings.vapid_subject))
        except (OSError, ValueError) as e:
            raise ConfigError(f"notify.vapid_key: {e} (antrian web-push-keys writes one)"
                              ) from None
    if settings.texts:
        if settings.gateway_url:
            try:
                token = (settings.gateway_token_file.read_text().strip()
                         if settings.gateway_token_file is not None else None)
            except OSError as e:
                raise ConfigError(f"notify.gateway_token_file: {e}") from None
            gateway = HttpGateway(settings.gateway_url, token=token, form=settings.gateway_form,
                                  phone_field=settings.gateway_phone_field,
                                  text_field=settings.gateway_text_field)
        else:
            gateway = CommandGateway(settings.gateway_command)
        outbox = Outbox(gateway, per_minute=settings.gateway_per_minute)
    if pusher is None and outbox is None:
        return None
    alerts = Alerts(None, AlertStore(state_dir / "alerts.db"), secret, pusher=pusher,
                    outbox=outbox, public_url=site.public_url)
    if pusher is not None:
        pusher.on_gone = alerts.forget_endpoint
    return alerts
