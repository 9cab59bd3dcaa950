"""A board process's loop against a real Mosquitto, fed contract-shaped messages."""

from __future__ import annotations

import base64
import io
import json
import time

import pygame
import pytest

from antrian.config import load
from support.mqtt import Watcher
from support.site import write_site
from display.layout import ORANGE, RED, YELLOW
from display.model import MIN_TURN
from board_fakes import (BOARDS, Publisher, call, counter_state, pixel_share, run_until,
                         service_state, start_board)

pytestmark = pytest.mark.broker


@pytest.fixture
def site(tmp_path, broker):
    return load(write_site(tmp_path / "site.toml", broker.port, BOARDS))


@pytest.fixture
def pub(broker):
    p = Publisher(broker.port)
    yield p
    p.close()


@pytest.fixture
def board(site, pub):
    pub.queue_presence("online")
    pub.service(service_state("ktp", name="Perekaman KTP-el", waiting=4, missed=["A003"], seq=10))
    pub.service(service_state("kk", name="Kartu Keluarga", prefix="B", waiting=2, seq=10))
    pub.counter(counter_state("1", "A010", seq=10))
    pub.counter(counter_state("3", None, open=False, service="skck", seq=10))
    app = start_board(site, "lobby")
    run_until(app, lambda: "kk" in app.model.services and "3" in app.model.counters)
    yield app
    app.close()


def cell(app, key):
    return next(c for c in app.cells if c.key == key)


def test_retained_state_is_shown_without_flash_or_announcement(board):
    assert cell(board, "now.ticket").text == "A010"
    assert not board.model.flashing(time.time())
    assert board.model.calls_seen == 0 and not board.model.pending
    names = [c.text for c in board.cells if c.role == "service_name"]
    assert names[:3] == ["Perekaman KTP-el", "Kartu Keluarga", "SKCK"]
    assert cell(board, "missed.list").text == "A003"
    assert [c.text for c in board.cells if c.role == "counters_closed"] == ["Tutup: Loket 3"]


def test_a_live_call_flashes_at_once_and_is_queued_for_announcement(board, pub):
    # The queue service's order: the call event, then the counter state it changed.
    pub.call(call("A011", "2", seq=11))
    pub.counter(counter_state("2", "A011", seq=11), retain=True)
    # Wait for the call itself: the counter state alone also puts A011 on the panel (unlit).
    run_until(board, lambda: board.model.calls_seen == 1
              and cell(board, "now.ticket").text == "A011")
    assert board.model.flashing(time.time())
    run_until(board, lambda: cell(board, "now.ticket").bg == YELLOW, timeout=3)
    assert pixel_share(board.screen, cell(board, "now.ticket").rect, YELLOW) > 0.5
    assert board.announcer.played + len(board.announcer.queue) == 1
    assert cell(board, "recent.0.ticket").text == "A010"


def test_a_burst_of_calls_each_gets_its_turn(board, pub):
    for i, t in enumerate(["A011", "A012", "B001"]):
        pub.call(call(t, str(1 + i % 2), service="kk" if t[0] == "B" else "ktp", seq=20 + i))
    shown, since = [], []

    def record():
        t = cell(board, "now.ticket").text
        if not shown or shown[-1] != t:
            shown.append(t)
            since.append(board.model.current_since)   # when its turn began
        return shown[-1] == "B001"
    run_until(board, record, timeout=15)
    assert [t for t in shown if t != "A010"] == ["A011", "A012", "B001"]
    turns = [b - a for a, b in zip(since[-3:], since[-2:])]
    assert all(turn >= MIN_TURN - 0.1 for turn in turns), turns


def test_the_site_message_becomes_the_running_text(board, pub):
    assert cell(board, "marquee").text == "Selamat datang di MPP Uji"
    pub.send(pub.topics.message, json.dumps({"text": "Loket 2 istirahat"}), retain=True)
    run_until(board, lambda: cell(board, "marquee").text == "Loket 2 istirahat")
    pub.send(pub.topics.message, "", retain=True)
    run_until(board, lambda: cell(board, "marquee").text == "Selamat datang di MPP Uji")


def test_offline_badge_when_the_queue_service_dies_and_state_stays(board, pub):
    pub.queue_presence("offline")
    run_until(board, lambda: any(c.role == "badge" for c in board.cells))
    badge = cell(board, "badge")
    assert badge.text.startswith("TIDAK TERHUBUNG") and pixel_share(board.screen, badge.rect, RED) > 0.4
    assert cell(board, "now.ticket").text == "A010"
    pub.queue_presence("online")
    run_until(board, lambda: not any(c.role == "badge" for c in board.cells))


def test_offline_badge_when_the_broker_goes_away(board, broker):
    broker.stop()
    run_until(board, lambda: any(c.role == "badge" for c in board.cells), timeout=20)
    assert cell(board, "now.ticket").text == "A010"
    broker.start()
    run_until(board, lambda: not any(c.role == "badge" for c in board.cells), timeout=20)


def test_bad_messages_are_logged_and_ignored(board, pub, caplog):
    pub.send(pub.topics.service_state("ktp"), b"{not json", retain=False)
    pub.send(pub.topics.call, b'{"ticket": 5}')
    pub.counter(counter_state("2", "A020", seq=30), retain=True)
    run_until(board, lambda: board.model.counters.get("2") and board.model.counters["2"].ticket == "A020")
    assert "ignored a bad message" in caplog.text


def maintenance(board, broker, command, args=None, timeout=10):
    w = Watcher(broker.port)
    try:
        topic = f"antrian/test/stat/board-lobby/{command}"
        w.publish(f"antrian/test/cmnd/board-lobby/{command}", json.dumps(args or {}))
        run_until(board, lambda: any(t == topic for t, _, _ in w.messages), timeout=timeout)
        return next(json.loads(p) for t, p, _ in w.messages if t == topic)
    finally:
        w.close()


def test_maintenance_screenshot_returns_the_current_frame(board, broker):
    reply = maintenance(board, broker, "screenshot")
    assert reply["ok"], reply
    data = reply["data"]
    assert (data["width"], data["height"]) == (1280, 720)
    image = pygame.image.load(io.BytesIO(base64.b64decode(data["png_base64"])), "x.png")
    assert image.get_size() == (1280, 720)
    ticket = cell(board, "now.ticket")
    x, y, w, h = ticket.rect
    assert image.get_at((x + 2, y + 2))[:3] == ticket.bg


def test_maintenance_identify_flashes_the_board_id(board, broker):
    reply = maintenance(board, broker, "identify", {"seconds": 2})
    assert reply["ok"] and reply["data"]["identifying"] == "board-lobby"
    run_until(board, lambda: any(c.key == "identify" for c in board.cells))
    ident = cell(board, "identify")
    assert ident.text == "PAPAN lobby" and pixel_share(board.screen, ident.rect, ORANGE) > 0.4
    run_until(board, lambda: not any(c.key == "identify" for c in board.cells), timeout=5)
    assert not maintenance(board, broker, "identify", {"seconds": "x"})["ok"]


def test_maintenance_volume_announce_test_and_status(board, broker):
    assert maintenance(board, broker, "volume")["data"]["level"] == 100
    assert maintenance(board, broker, "volume", {"level": 35})["data"]["level"] == 35
    assert board.announcer.volume == 35
    bad = maintenance(board, broker, "volume", {"level": 300})
    assert not bad["ok"] and "0..100" in bad["error"]
    test = maintenance(board, broker, "announce-test")
    assert test["ok"] and test["data"]["words"][0] == "nomor antrean"
    run_until(board, lambda: board.announcer.played >= 1)
    status = maintenance(board, broker, "status")["data"]
    assert status["component"] == "board-lobby" and status["frames"] > 0
    assert status["queue_online"] is True and status["announcements"] >= 1
    assert status["last_data_age_s"] is not None and status["last_data_age_s"] < 30


def test_maintenance_reload_rereads_the_board_section(board, broker, site):
    text = site.path.read_text().replace('running_text = "Selamat datang di MPP Uji"',
                                         'running_text = "Baru"\nservices = ["kk"]')
    site.path.write_text(text)
    reply = maintenance(board, broker, "reload")
    assert reply["ok"] and reply["data"]["services"] == 1
    run_until(board, lambda: cell(board, "marquee").text == "Baru")
    assert [c.text for c in board.cells if c.role == "service_name"][:1] == ["Kartu Keluarga"]
    site.path.write_text(text.replace('layout = "portrait"', 'layout = "round"'))
    bad = maintenance(board, broker, "reload")
    assert not bad["ok"] and "board[capil].layout" in bad["error"]


def test_a_counter_display_shows_its_counter_huge(site, pub):
    pub.queue_presence("online")
    pub.counter(counter_state("2", "A031", seq=5))
    pub.counter(counter_state("1", "A099", seq=5))
    app = start_board(site, counter="2", size=(800, 480))
    try:
        run_until(app, lambda: cell(app, "counter.ticket").text == "A031")
        assert app.component == "counter-display-2" and app.announcer is None
        assert cell(app, "counter.name").text == "Loket 2"
        pub.counter(counter_state("2", "A032", seq=6))
        pub.call(call("A032", "2", seq=6))
        run_until(app, lambda: cell(app, "counter.ticket").text == "A032")
        run_until(app, lambda: cell(app, "counter.ticket").bg == YELLOW, timeout=3)
    finally:
        app.close()
