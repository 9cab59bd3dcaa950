"""The queue service enforces the MPP's rules, driven with a fixed clock (no waiting for 08:00).

The service runs in-process: requests go straight into its step(), and what it would publish is
recorded, so the edges of a day (the Friday break, the cutoff, the 81st ticket, midnight) are
checked to the minute.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from antrian import config
from support.site import SMALL_SITE
from mqtt.service import QueueService
from mqtt.store import Store
from ops_kit import RecordingConnection

JKT = ZoneInfo("Asia/Jakarta")
RULES = """
[opening]
days = { "mon-thu" = "08:00-15:00", fri = "08:00-11:30, 13:00-15:30", "sat-sun" = "closed" }
last_ticket_minutes = 30
"""


class Clock:
    def __init__(self, when: datetime):
        self.now = when.replace(tzinfo=JKT).timestamp()

    def set(self, when: datetime):
        self.now = when.replace(tzinfo=JKT).timestamp()

    def __call__(self) -> float:
        return self.now


class Desk:
    """A QueueService with its publishing recorded instead of sent."""

    def __init__(self, tmp_path: Path, when: datetime, extra: str = RULES, quota: int | None = None):
        text = SMALL_SITE.format(port=1883) + extra
        if quota:
            text = text.replace('id = "skck"\n', f'id = "skck"\nquota = {quota}\n', 1)
        (tmp_path / "site.toml").write_text(text)
        self.clock = Clock(when)
        self.site = config.load(tmp_path / "site.toml")
        conn = RecordingConnection(self.site)
        self.service = QueueService(self.site, Store(tmp_path / "q.db"), clock=self.clock,
                                    connection=conn)
        self.sent = conn.sent
        self.n = 0

    def request(self, topic: str, body: dict) -> dict:
        self.n += 1
        body = dict(body, id=f"r{self.n}")
        start = len(self.sent)
        msg = SimpleNamespace(qos=1, mid=self.n, properties=None)
        self.service.step([("msg", f"antrian/test/{topic}", json.dumps(body).encode(), msg)])
        for topic_out, out in self.sent[start:]:
            if isinstance(out, dict) and (out.get("id") == body["id"] or out.get("request") == body["id"]):
                return out
        raise AssertionError(f"no answer to {body}")

    def take(self, service: str, kiosk: str = "k1") -> dict:
        return self.request(f"kiosk/{kiosk}/take", {"service": service})

    def press(self, counter: str, action: str, **fields) -> dict:
        return self.request(f"counter/{counter}/press", {"action": action, **fields})

    def tick(self):
        self.service._next_rules_tick = 0
        self.service.step([])

    def state_of(self, service: str) -> dict:
        return [b for t, b in self.sent if t.endswith(f"/service/{service}/state")][-1]


def test_a_take_during_the_friday_break_is_refused_in_both_languages(tmp_path):
    desk = Desk(tmp_path, datetime(2026, 11, 27, 11, 45))
    err = desk.take("ktp")
    assert err["ok"] is False and err["code"] == "closed"
    assert err["message"]["id"] == "Istirahat sampai 13:00"
    assert err["message"]["en"] == "Break until 13:00"
    desk.clock.set(datetime(2026, 11, 27, 13, 0))
    assert desk.take("ktp")["ticket"] == "A001"


def test_the_cutoff_minute_refuses_and_the_minute_before_issues(tmp_path):
    desk = Desk(tmp_path, datetime(2026, 11, 26, 14, 29))
    assert desk.take("ktp")["ticket"] == "A001"
    desk.clock.set(datetime(2026, 11, 26, 14, 30))
    assert desk.take("ktp")["message"]["id"] == "Nomor terakhir diambil pukul 14:30"


def test_the_80th_skck_ticket_is_issued_and_the_81st_is_refused(tmp_path):
    # 81 takes in the same second from one kiosk: more than the sender's rate limit allows
    desk = Desk(tmp_path, datetime(2026, 11, 26, 9, 0), quota=80,
                extra=RULES + "[queue]\nburst = 100\n")
    labels = [desk.take("skck", kiosk="k2")["ticket"] for _ in range(80)]
    assert len(set(labels)) == 80
    err = desk.take("skck", kiosk="k2")
    assert err["code"] == "closed" and err["message"]["id"] == "Kuota habis (80 nomor)"
    assert desk.state_of("skck")["status"]["code"] == "quota"
    assert desk.state_of("skck")["issued"] == 80


def test_a_national_holiday_closes_every_service(tmp_path):
    desk = Desk(tmp_path, datetime(2026, 8, 17, 9, 0))
    err = desk.take("ktp")
    assert err["message"]["id"].startswith("Tutup — Hari Libur Nasional")


def test_the_service_state_carries_the_status_and_follows_the_clock(tmp_path):
    desk = Desk(tmp_path, datetime(2026, 11, 27, 11, 0))
    desk.tick()
    assert desk.state_of("ktp")["status"]["open"] is True
    desk.clock.set(datetime(2026, 11, 27, 11, 30))
    desk.tick()
    st = desk.state_of("ktp")["status"]
    assert (st["open"], st["code"], st["until"]) == (False, "break", "13:00")


def test_the_daily_reset_between_two_days_restarts_numbering_and_expires_the_waiting(tmp_path):
    desk = Desk(tmp_path, datetime(2026, 11, 26, 14, 0))
    desk.take("ktp")
    desk.take("ktp")
    desk.press("1", "next")
    desk.clock.set(datetime(2026, 11, 27, 8, 0))
    desk.tick()
    state = desk.state_of("ktp")
    assert state["day"] == "2026-11-27" and state["waiting"] == 0 and state["issued"] == 0
    counter = [b for t, b in desk.sent if t.endswith("/counter/1/state")][-1]
    assert counter["open"] is True and counter["ticket"] is None  # open/closed kept
    assert desk.take("ktp")["ticket"] == "A001"


def test_a_counter_closed_for_a_while_reopens_by_itself(tmp_path):
    desk = Desk(tmp_path, datetime(2026, 11, 26, 10, 0))
    desk.take("ktp")
    desk.press("2", "next")
    until = datetime(2026, 11, 26, 10, 15, tzinfo=JKT).timestamp()
    closed = desk.press("2", "close", until=until, reason="Istirahat")
    assert closed["open"] is False and closed["closed_reason"] == "Istirahat"
    assert closed["closed_until"] == until
    desk.clock.set(datetime(2026, 11, 26, 10, 14))
    desk.tick()
    assert [b for t, b in desk.sent if t.endswith("/counter/2/state")][-1]["open"] is False
    desk.clock.set(datetime(2026, 11, 26, 10, 15))
    desk.tick()
    reopened = [b for t, b in desk.sent if t.endswith("/counter/2/state")][-1]
    assert reopened["open"] is True and reopened["closed_reason"] is None


def test_a_site_without_rules_takes_tickets_at_any_hour(tmp_path):
    desk = Desk(tmp_path, datetime(2026, 8, 17, 3, 0), extra="")
    assert desk.take("ktp")["ticket"] == "A001"
    assert desk.state_of("ktp")["status"] is None


def test_stats_compare_service_times_with_the_published_standard(tmp_path):
    from ticketing.stats import day_stats

    desk = Desk(tmp_path, datetime(2026, 11, 26, 9, 0), extra="")
    for _ in range(3):
        desk.take("ktp")
    desk.press("1", "next")                       # A001 is served for 5 minutes
    desk.clock.now += 5 * 60
    desk.press("1", "next")                       # A002 for 15 minutes
    desk.clock.now += 15 * 60
    desk.press("1", "next")                       # A003 is still at the counter
    agencies = {s.id: s.agency for s in desk.site.services.values()}
    figures = day_stats(desk.service.state, agencies, desk.clock(), {"ktp": 10})
    ktp = figures["services"]["ktp"]
    assert ktp["service_time"]["n"] == 2
    assert ktp["service_time"]["median_s"] == 600.0
    assert ktp["standard"] == {"target_s": 600, "within": 1, "share_within": 0.5}
    assert figures["agencies"]["Disdukcapil"]["standard"]["share_within"] == 0.5
    assert figures["services"]["kk"]["standard"] is None
