"""A building with bookings, for the booking tests: the queue service in-process (a recording
connection passed to its constructor) and the site TOML with a [booking] table."""

from __future__ import annotations

import json
from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from antrian import config
from mqtt.service import QueueService
from mqtt.store import Store
from ops.ops_kit import RecordingConnection
from support.site import SMALL_SITE
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
        payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        props = SimpleNamespace(ResponseTopic=response, CorrelationData=b"c")
        msg = SimpleNamespace(qos=1, mid=self.n, properties=props, retain=False)
        self.service.step([("msg", f"{B}/{topic}", payload, msg)])
        return msg

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
