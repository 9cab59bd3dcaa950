"""Buildings with bookings, for the booking tests.

- :class:`Building`: the queue service in-process (a recording connection passed to its
  constructor) and the site TOML with a [booking] table, at a chosen local time.
- :class:`Mall`: real processes on a private Mosquitto (``antrian serve``, and on request
  ``antrian web`` and a keypad kiosk ``antrian kiosk --keys`` printing to a file), with a session
  that starts in three minutes wherever it is daytime now (:func:`site_text`), and on request
  no-shows: bookings whose check-in closed before ``antrian serve`` started (:func:`booked_at`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import subprocess
import sys
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from antrian import config
from antrian.devbroker import stop_process
from mqtt.service import QueueService
from mqtt.store import Store
from ops.ops_kit import RecordingConnection
from support.broker import Mosquitto
from support.queue import QueueProcess
from support.site import ROOT, SMALL_SITE
from support.touch import running
from support.waiting import wait_for
from support.webprocess import start_web
from ticketing.booking import booking_secret, nik_digest

JKT = ZoneInfo("Asia/Jakarta")
SECRET = b"s" * 32
B = "antrian/test"
NIK = "3201234501900001"
PHONE = "081234567890"
BOOKING = """
[opening]
days = { "mon-sat" = "08:00-15:00", sun = "closed" }
national_holidays = false

[booking]
sessions = ["08:00-10:00", "10:00-12:00"]
per_session = 2
days_ahead = 7
"""


def nik_fields(nik: str = NIK) -> dict:
    return {"nik_hash": nik_digest(booking_secret(SECRET), nik), "nik_last4": nik[-4:]}


def send(service: QueueService, mid: int, topic: str, body, response: str | None = None):
    """Step an in-process queue service with one message, as paho hands it over."""
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    props = SimpleNamespace(ResponseTopic=response, CorrelationData=b"c")
    msg = SimpleNamespace(qos=1, mid=mid, properties=props, retain=False)
    service.step([("msg", topic, payload, msg)])
    return msg


class Building:
    """``now`` is a local time in Jakarta; ``send`` steps the service with one message."""

    def __init__(self, tmp_path, when=datetime(2026, 11, 30, 9, 0), extra: str = BOOKING,
                 quota: int | None = None):
        self.path = tmp_path / "site.toml"
        text = SMALL_SITE.format(port=1883)
        if quota is not None:   # the walk-in quota of ktp (issue 8)
            text = text.replace('prefix = "A"\n', f'prefix = "A"\nquota = {quota}\n', 1)
        self.path.write_text(text + extra)
        self.db = tmp_path / "q.db"
        self.n = 0
        self.at(when)
        self.site = config.load(self.path)
        self.conn = RecordingConnection(self.site)
        self.service = QueueService(self.site, Store(self.db), connection=self.conn,
                                    clock=lambda: self.now, ticket_secret=SECRET)
        self.service.step([("republish",)])

    def at(self, when: datetime) -> None:
        self.now = when.replace(tzinfo=JKT).timestamp()

    def send(self, topic: str, body, response: str | None = None):
        self.n += 1
        return send(self.service, self.n, f"{B}/{topic}", body, response)

    def book(self, day="2026-12-01", session="08:00-10:00", nik=NIK, **extra) -> dict:
        """The answer on the web's reply topic."""
        rid = f"b{self.n + 1}"
        self.send("booking/book", {"id": rid, "service": "ktp", "day": day, "session": session,
                                   **nik_fields(nik), **extra}, response=f"{B}/reply/web/{rid}")
        return self.conn.replied[-1][1]

    def cancel(self, code: str, last4: str) -> dict:
        rid = f"c{self.n + 1}"
        self.send("booking/cancel", {"id": rid, "code": code, "nik_last4": last4},
                  response=f"{B}/reply/web/{rid}")
        return self.conn.replied[-1][1]

    def status(self, code: str) -> dict:
        """The answer to the web's ``booking/status`` question."""
        rid = f"s{self.n + 1}"
        self.send("booking/status", {"id": rid, "code": code}, response=f"{B}/reply/web/{rid}")
        topic, body = self.conn.replied[-1]
        assert topic == f"{B}/reply/web/{rid}"
        return body

    def checkin(self, code: str, kiosk="k1", **extra) -> dict:
        """The ticket event or the error the kiosk gets."""
        before = len(self.conn.sent)
        self.send(f"kiosk/{kiosk}/checkin", {"code": code, "id": f"ci{self.n + 1}", **extra})
        for topic, body in self.conn.sent[before:]:
            if topic in (f"{B}/ticket", f"{B}/error/kiosk-{kiosk}"):
                return body
        raise AssertionError("no answer to the check-in")

    def slots(self, service="ktp") -> dict:
        return self.conn.retained[f"{B}/booking/{service}/slots"]

    def remaining(self, day="2026-12-01", session="08:00-10:00") -> int:
        d = next(d for d in self.slots()["days"] if d["day"] == day)
        return next(s["remaining"] for s in d["sessions"] if s["session"] == session)


# -- real processes ------------------------------------------------------------------------------

ZONES = ("Asia/Jakarta", "Europe/London", "America/New_York", "Pacific/Auckland",
         "Asia/Kolkata", "America/Los_Angeles")


def daytime_zone() -> tuple[str, datetime]:
    """A time zone where it is daytime now, so today's session ends before midnight."""
    for name in ZONES:
        local = datetime.now(ZoneInfo(name))
        if 6 <= local.hour < 20:
            return name, local
    raise AssertionError("no daytime zone")


# A session over (check-in closed at 04:30) before any daytime_zone() morning, and clear of the
# hours clocks skip or repeat when daylight saving starts or ends in ZONES.
ENDED = "04:00-05:00"


def hours_without(local: datetime) -> str:
    """``signup_hours`` that leave out ``local`` (a daytime_zone() time, 06:00-20:00) by hours
    either side, so sign-up stays closed however long a test runs."""
    return "01:00-05:00" if local.hour >= 12 else "21:00-23:00"


def site_text(port: int, *, ended: bool = False,
              signup_closed: bool = False) -> tuple[str, str]:
    """The small site with one ktp session starting in 3 minutes (check-in open now), two
    online places; and that session's label. ``ended``: also :data:`ENDED`, earlier today.
    ``signup_closed``: online sign-up at hours other than now (:func:`hours_without`)."""
    zone, local = daytime_zone()
    start = (local + timedelta(minutes=3)).replace(second=0, microsecond=0)
    session = f"{start:%H:%M}-{start + timedelta(hours=2):%H:%M}"
    sessions = ", ".join(f'"{s}"' for s in ([ENDED] if ended else []) + [session])
    signup = f'signup_hours = "{hours_without(local)}"' if signup_closed else ""
    text = SMALL_SITE.format(port=port).replace('"Asia/Jakarta"', f'"{zone}"') + f"""
[booking]
per_session = 2
close_minutes = 0
checkin_before_minutes = 30
{signup}
[booking.agency."Disdukcapil"]
sessions = [{sessions}]
"""
    return text, session


def dev_secret(site: str) -> bytes:
    """The ticket secret of a site without a secrets file (antrian.config.ticket_secret)."""
    return hashlib.sha256(f"antrian-development-ticket-key:{site}".encode()).digest()


def _reply(topic: str):
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties
    props = Properties(PacketTypes.PUBLISH)
    props.ResponseTopic = topic
    return props


def web_booking(site: str, rid: str, nik: str, day: str, session: str, **extra) -> dict:
    """A ``booking/book`` request as the web sends it (the NIK's HMAC and last 4 digits)."""
    return {"id": rid, "service": "ktp", "day": day, "session": session,
            "nik_hash": nik_digest(booking_secret(dev_secret(site)), nik),
            "nik_last4": nik[-4:], **extra}


def booked_at(site_file: Path, db: Path, when: datetime,
              bookings: list[tuple[str, str, str]]) -> list[str]:
    """Bookings made at ``when`` (a past, aware time) by the queue service's own code,
    in-process with its clock set then, left in ``db`` as a service stopped then leaves its
    store: ``(nik, day, session)`` each, with the phone :data:`PHONE`. Their codes, in order."""
    site = config.load(site_file)
    conn = RecordingConnection(site)
    service = QueueService(site, Store(db), connection=conn, clock=when.timestamp,
                           ticket_secret=dev_secret(site.site))
    codes = []
    for n, (nik, day, session) in enumerate(bookings, 1):
        rid = f"before-{n}"
        send(service, n, f"antrian/{site.site}/booking/book",
             web_booking(site.site, rid, nik, day, session, phone=PHONE),
             response=f"antrian/{site.site}/reply/web/{rid}")
        answer = conn.replied[-1][1]
        assert answer["ok"], answer
        codes.append(answer["data"]["code"])
    service.store.close(service.state)
    return codes


class Mall:
    """Mosquitto and ``antrian serve``; ``web=True`` adds ``antrian web``, ``kiosk=True`` the
    keypad kiosk ``k1`` (its paper in ``tickets``, its screen in ``kiosk_log``).
    ``signup_closed``: the site's ``signup_hours`` leave out now (:func:`hours_without`).
    ``no_shows`` (NIK -> ``"yesterday"`` or ``"today"``): bookings made yesterday, before
    yesterday's session, for that session or for today's :data:`ENDED`, never checked in,
    already in the store when ``antrian serve`` starts (their codes in ``no_shows``, by NIK).

        with Mall(tmp_path, web=True, kiosk=True) as mall:
            code = mall.book("3275014107850007")
            mall.type_at_kiosk(f"b{code}0007")
            mall.printed("A001")
    """

    def __init__(self, tmp_path: Path, *, web: bool = False, kiosk: bool = False,
                 no_shows: dict[str, str] | None = None, signup_closed: bool = False):
        self.tmp = tmp_path
        self.broker = self.queue = self.web = self.kiosk = None
        self.tickets, self.kiosk_log = tmp_path / "tickets.bin", tmp_path / "kiosk.log"
        self.no_shows: dict[str, str] = {}
        try:
            self.broker = Mosquitto(tmp_path).start()
            text, self.session = site_text(self.broker.port, ended=bool(no_shows),
                                           signup_closed=signup_closed)
            self.site_file = tmp_path / "site.toml"
            self.site_file.write_text(text)
            if no_shows:
                self._book_yesterday(no_shows)
            self.queue = QueueProcess(self.site_file, tmp_path / "queue.db", self.broker).start()
            if web:
                self.web = start_web(self.site_file, tmp_path)
            if kiosk:
                self.kiosk = subprocess.Popen(
                    [sys.executable, "-m", "antrian", "kiosk", "--config", str(self.site_file),
                     "--kiosk", "k1", "--keys", "--printer", f"file:{self.tickets}",
                     "--store", str(tmp_path / "k1.db")],
                    cwd=ROOT, stdin=subprocess.PIPE, stdout=self.kiosk_log.open("ab"),
                    stderr=subprocess.STDOUT)
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> "Mall":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self.kiosk is not None:
            stop_process(self.kiosk)
            self.kiosk = None
        if self.web is not None:
            self.web.stop()
            self.web = None
        if self.queue is not None:
            self.queue.close()
            self.queue = None
        if self.broker is not None:
            self.broker.stop()
            self.broker = None

    def _book_yesterday(self, wanted: dict[str, str]) -> None:
        tz = config.load(self.site_file).tz
        today = datetime.now(tz).date()
        yesterday = today - timedelta(days=1)
        start = datetime.strptime(self.session[:5], "%H:%M").time()
        when = datetime.combine(yesterday, start, tz) - timedelta(minutes=10)
        places = {"yesterday": (yesterday.isoformat(), self.session),
                  "today": (today.isoformat(), ENDED)}
        codes = booked_at(self.site_file, self.tmp / "queue.db", when,
                          [(nik, *places[day]) for nik, day in wanted.items()])
        self.no_shows = dict(zip(wanted, codes))

    @property
    def today(self) -> str:
        return datetime.now(self.queue.site.tz).date().isoformat()

    def book(self, nik: str, day: str | None = None) -> str:
        """A booking of the session today (or on ``day``) over MQTT, as the web sends it; its
        code."""
        rid = f"b-{uuid.uuid4().hex[:8]}"
        self.queue.watcher.publish(
            f"{self.queue.base}/booking/book",
            web_booking(self.queue.site.site, rid, nik, day or self.today, self.session),
            properties=_reply(f"{self.queue.base}/reply/web/{rid}"))
        _, answer = self.queue.watcher.wait_for(lambda t, b: t.endswith(f"/reply/web/{rid}"),
                                                what="the booking's answer")
        assert answer["ok"], answer
        return answer["data"]["code"]

    def kiosk_online(self) -> None:
        self.queue.watcher.wait_for(
            lambda t, b: t.endswith("/tele/kiosk-k1/lwt") and b == b"online", timeout=15,
            what="kiosk online")

    def type_at_kiosk(self, keys: str) -> None:
        """Keys on the kiosk's keypad (``b`` starts a check-in: the code, then 4 digits)."""
        self.kiosk.stdin.write(keys.encode())
        self.kiosk.stdin.flush()

    def printed(self, ticket: str, timeout: float = 10) -> None:
        wait_for(lambda: self.tickets.exists() and ticket.encode() in self.tickets.read_bytes(),
                 timeout, what=f"{ticket} printed")

    def files_holding(self, secret: bytes) -> list[Path]:
        return [p for p in self.tmp.rglob("*") if p.is_file() and secret in p.read_bytes()]


@contextlib.contextmanager
def touch_kiosk(mall: "Mall", printer=None):
    """Kiosk k1 with a touch screen (real pygame on SDL's dummy driver) in-process against the
    mall's queue, ready to tap; stopped, joined and closed after."""
    from hardware.config import kiosk_config
    from hardware.kiosk_app import KioskApp
    from hardware.printer import MemoryPrinter

    site = config.load(mall.site_file)
    cfg = dataclasses.replace(kiosk_config(site, "k1"), store=mall.tmp / "k1.db")
    app = KioskApp(site, cfg, printer=printer or MemoryPrinter(), touch=True,
                   screen_size=(1280, 800))
    with running(app):
        wait_for(lambda: app.kiosk.mode == "steady" and app.touch.layout is not None, 15,
                 what="touch kiosk ready")
        yield app
