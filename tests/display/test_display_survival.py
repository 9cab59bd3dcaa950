"""A board process never dies on data (issue 12): the running board, its frames and its loop.
Hostile messages are skipped or shown cleaned, a failed frame leaves the last good one on screen,
a flood cannot starve the loop, and a live board process still answers after thousands of
messages across a broker restart. (The model's cleaning of each value: test_display_hostile.py.)"""

from __future__ import annotations

import json
import logging
import threading
import time
import unicodedata

import msgspec
import pygame
import pytest

from antrian.config import load
from display.board import Board, UNREACHABLE_AFTER
from display.config import board_config
from display.render import HIDDEN
from display.screen import Screen
from mqtt.schemas import encode
from support.broker import free_port
from support.mqtt import Watcher
from support.site import write_site
from support.waiting import wait_for
from board_fakes import (BOARDS, FakeConnection, Publisher, RunningBoard, call, counter_state,
                         pixel_share, run_until, service_state)
from test_display_live import BoardProcess

NASTY = "\x00\u202e\u200b\ud800" + "x" * 10_240          # NUL, bidi override, zero width, 10 kB
ODD = "\x00\u202e\u200b\ud800\x1b[2J" + "y" * 3000          # the same within the size bounds


def state(base, **changes) -> bytes:
    body = msgspec.to_builtins(base)
    body.update(changes)
    return json.dumps(body).encode()


def hostile_messages(seq: int) -> list[tuple[str, bytes]]:
    """(topic suffix, payload): every one either fails to decode or holds a value no screen can
    show as is."""
    c1 = counter_state("1", "A010", seq=seq)
    ktp = service_state("ktp", name="Perekaman KTP-el", waiting=4, seq=seq)
    return [
        ("counter/1/state", state(c1, open=False, ticket=None, closed_until=1e300)),
        ("counter/1/state", state(c1, open=False, ticket=None, closed_until=-1e300)),
        ("counter/1/state", b'{"counter": "1", "open": false, "closed_until": 1e999}'),
        ("counter/1/state", state(c1, open=False, ticket=None, closed_reason=NASTY)),
        ("counter/1/state", state(c1, since=-1e18, name=NASTY, ticket="A\x00\u202e1")),
        ("counter/1/state", state(c1, open=False, ticket=None, closed_reason=ODD)),
        ("counter/1/state", state(c1, name=ODD, ticket="A\x00\u202e1", since=-1.0)),
        ("counter/1/state", state(c1, seq="many", ts=[])),
        ("counter/1/state", state(c1, counter=None)),
        ("counter/1/state", b"[" * 5000 + b"]" * 5000),
        ("counter/1/state", b"\xff\xfe\x00 not json"),
        ("service/ktp/state", state(ktp, waiting=-5, done=-1, avg_service_s=-1.0,
                                    est_wait_s=1e300, name=NASTY)),
        ("service/ktp/state", state(ktp, waiting=10**30)),
        ("service/ktp/state", state(ktp, name=ODD, missed=[ODD[:20]] * 40, waiting=-3)),
        ("service/ktp/state", state(ktp, missed=[NASTY] * 50,
                                    status={"open": False, "until": 1e300,
                                            "text": {"id": NASTY, "en": 5}})),
        ("service/ktp/state", state(ktp, status={"open": "no", "text": "Tutup", "until": "x"})),
        ("service/ktp/state", state(ktp, waiting_tickets=None)),
        ("call", state(call("A\x00\u202e99", "1", seq=seq), ts=1e300)),
        ("call", state(call(NASTY, "1", seq=seq + 1))),
        ("call", state(call(ODD, "1", seq=seq + 1))),
        ("call", state(call("A\u202e098", "2", seq=seq + 2), counter_name=ODD)),
        ("call", state(call("A099", "../../x", seq=seq + 2), kind="shout")),
        ("message", json.dumps({"text": NASTY}).encode()),
        ("message", b"\xff\xfe" * 4000),
        ("message", ODD.encode("utf-8", "surrogatepass")),
        ("tele/queue/lwt", b"\x00" * 100),
    ]


@pytest.fixture
def site(tmp_path, broker):
    return load(write_site(tmp_path / "site.toml", broker.port, BOARDS))


def good_frame(board) -> list:
    return [(c.key, c.text) for c in board.cells]


@pytest.fixture
def board(tmp_path):
    """A board drawing for real (dummy driver), fed by the test through its own entry point."""
    site = load(write_site(tmp_path / "site.toml", 1, BOARDS))
    b = Board(site, board_config(site, "lobby"), size=(1280, 720),
              connection=FakeConnection(site))
    b.open()
    yield b
    b.close()


def test_every_hostile_message_is_skipped_or_shown_cleaned_and_the_loop_goes_on(board,
                                                                               caplog):
    base = "antrian/test/"
    board.on_message(base + "counter/1/state", encode(counter_state("1", "A010", seq=5)),
                     True, 0.0)
    board.tick()
    assert ("now.ticket", "A010") in good_frame(board)
    for suffix, payload in hostile_messages(seq=6):
        board.on_message(base + suffix, payload, True, 0.0)
        board.tick()      # raises nothing, whatever came in
        # every text that came through was drawn, none left a blank cell, no frame failed
        assert board.renderer.failed == set(), (suffix, board.renderer.failed)
        assert not [k for k in board.failed.seen if k[0] == "frame"], suffix
    board.on_message(base + "counter/1/state", encode(counter_state("1", "A077", seq=50)),
                     True, 0.0)
    board.tick()
    assert any(c.text == "A077" for c in board.cells)
    assert "ignored a bad message" in caplog.text


class FailingScreen(Screen):
    """A screen whose next present fails, as a driver error or a lost window would."""
    fail = False

    def present(self, dirty: list) -> None:
        if self.fail:
            self.fail = False
            raise pygame.error("present failed")
        super().present(dirty)


def test_a_frame_that_fails_leaves_the_last_one_and_the_next_shows_everything(tmp_path,
                                                                              caplog):
    site = load(write_site(tmp_path / "site.toml", 1, BOARDS))
    screen = FailingScreen(size=(1280, 720))
    board = Board(site, board_config(site, "lobby"), connection=FakeConnection(site),
                  screen=screen)
    board.open()
    try:
        topic = "antrian/test/counter/1/state"
        board.on_message(topic, encode(counter_state("1", "A010", seq=5)), True, 0.0)
        board.tick()
        shown = screen.presents
        screen.fail = True
        board.on_message(topic, encode(counter_state("1", "A011", seq=6)), True, 0.0)
        board.tick()                                  # raises nothing
        assert screen.presents == shown and "a frame failed" in caplog.text
        board.tick()                                  # the next frame: the whole screen
        assert screen.presents == shown + 1
        ticket = next(c for c in board.cells if c.key == "now.ticket")
        assert ticket.text == "A011"
        assert pixel_share(screen.window, ticket.rect, ticket.fg, 40) > 0.02
    finally:
        board.close()


def test_cleaned_text_never_holds_a_hidden_character():
    from display.render import visible
    shown = visible(NASTY)
    assert len(shown) == 200 and shown == "x" * 200
    assert visible("Loket 2 \u200bistirahat") == "Loket 2 istirahat"
    every = visible("".join(map(chr, range(0x3000))), limit=0x3000)
    assert all(unicodedata.category(ch) not in HIDDEN for ch in every)


def test_a_board_that_never_reached_its_broker_says_so_within_seconds(tmp_path, caplog):
    port = free_port()    # nothing listens there: a port typo, or the broker down at start
    site = load(write_site(tmp_path / "site.toml", port, BOARDS))
    caplog.set_level(logging.INFO)
    board = RunningBoard(Board(site, board_config(site, "lobby"), size=(1280, 720)))
    try:
        badge = run_until(board, lambda: next((c.text for c in board.cells if c.role == "badge"),
                                              None), timeout=3, what="the badge")
        assert badge.startswith("TIDAK TERHUBUNG") and f"127.0.0.1:{port}" in badge
        wait_for(lambda: f"cannot reach the broker at 127.0.0.1:{port}" in caplog.text,
                 UNREACHABLE_AFTER + 3, "the log naming host:port")
    finally:
        board.close()


def command(port: int, component: str, name: str, args: dict | None = None,
            timeout: float = 15.0) -> dict:
    topic = f"antrian/test/stat/{component}/{name}"
    w = Watcher(port, topics=(topic,))
    try:
        w.publish(f"antrian/test/cmnd/{component}/{name}", json.dumps(args or {}))
        return w.wait_for(lambda t, b: t == topic, timeout, what=f"the {name} reply")[1]
    finally:
        w.close()


def test_a_live_board_survives_retained_hostile_states_and_shows_the_next_good_one(
        site, broker, tmp_path):
    pub = Publisher(broker.port)
    pub.queue_presence("online")
    pub.counter(counter_state("1", "A010", seq=5))
    board = BoardProcess(site.path, tmp_path, "--board", "lobby", "--size", "1280x720",
                         audio=False)
    try:
        wait_for(lambda: board.shown("A010"), 10, "A010 on screen")
        for suffix, payload in hostile_messages(seq=6):
            pub.send(f"antrian/test/{suffix}", payload, retain=suffix != "call")
        status = command(broker.port, "board-lobby", "status")   # after all of them
        assert status["ok"] and board.proc.poll() is None
        pub.counter(counter_state("1", "A077", seq=60))
        wait_for(lambda: board.shown("A077"), 10, "the next good state on screen")
        board.stop()
        assert board.proc.returncode == 0, board.log.read_text()
        # The hostile retained states are still there (those the broker kept): a restart
        # must come up and stay up on them.
        pub.counter(counter_state("2", "A020", seq=61))
        pub.send("antrian/test/counter/3/state",
                 state(counter_state("3", None, open=False, seq=62), closed_until=1e300),
                 retain=True)
        again = BoardProcess(site.path, tmp_path, "--board", "lobby", "--size", "1280x720",
                             audio=False)
        try:
            assert command(broker.port, "board-lobby", "status")["ok"]
            assert again.proc.poll() is None
        finally:
            again.stop()
        assert again.proc.returncode == 0, again.log.read_text()[-3000:]
    finally:
        pub.close()


def test_thousands_of_messages_across_a_broker_restart_and_it_still_answers(site, broker,
                                                                            tmp_path):
    pub = Publisher(broker.port)
    pub.queue_presence("online")
    board = BoardProcess(site.path, tmp_path, "--board", "lobby", "--size", "1280x720",
                         audio=False)
    try:
        hostile = hostile_messages(seq=1)
        seq = 10
        for round_ in range(2):
            for i in range(1500):
                seq += 1
                if i % 3 == 0:
                    suffix, payload = hostile[i % len(hostile)]
                    pub.send(f"antrian/test/{suffix}", payload, retain=False)
                else:
                    pub.counter(counter_state(str(1 + i % 3), f"A{i % 1000:03d}", seq=seq),
                                retain=i % 2 == 0)
            if round_ == 0:
                pub.close()
                broker.stop()
                broker.start()
                pub = Publisher(broker.port)
                pub.queue_presence("online")
        pub.counter(counter_state("1", "A999", seq=seq + 1))
        wait_for(lambda: board.shown("A999"), 20, "the last good state on screen")
        reply = command(broker.port, "board-lobby", "status", timeout=20)
        assert reply["ok"] and reply["data"]["connected"] is True
        assert board.proc.poll() is None
    finally:
        pub.close()
        board.stop()
    assert board.proc.returncode == 0, board.log.read_text()[-3000:]


def test_a_flood_of_messages_leaves_room_for_frames_and_the_watchdog(tmp_path):
    site = load(write_site(tmp_path / "site.toml", 1, BOARDS))
    board = RunningBoard(Board(site, board_config(site, "lobby"), size=(640, 360),
                               connection=FakeConnection(site)))
    try:
        wait_for(lambda: board.renderer is not None, 10, "the board open")
        turns: list[float] = []
        board.on_board(lambda: board.after_frame(lambda: turns.append(time.monotonic())))
        held, release = threading.Event(), threading.Event()
        board.loop.post(lambda: (held.set(), release.wait(10)))   # the loop busy meanwhile
        assert held.wait(5)

        class Message:
            retain = True
        for i in range(20_000):   # as paho's thread would hand them over
            body = counter_state(str(1 + i % 3), f"A{i % 1000:03d}", seq=10 + i)
            board._on_mqtt(f"antrian/test/counter/{1 + i % 3}/state", encode(body), Message)
        start = time.monotonic()
        release.set()
        wait_for(lambda: board.on_board(lambda: not board._pending), 60, "the flood folded")
        during = [t for t in turns if t >= start]
        gaps = [b - a for a, b in zip([start] + during, during)]
        assert len(during) > 5 and max(gaps) < 0.5, (len(during), max(gaps, default=None))
        # the last state of counter 3 in the flood (i = 19_997) is the one held
        assert board.on_board(lambda: board.model.counters["3"].ticket) == "A997"
    finally:
        board.close()
