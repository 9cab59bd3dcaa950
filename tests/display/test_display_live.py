"""End to end: the real queue service, the real board process, a real window under Xvfb."""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import subprocess
import sys
import wave
from pathlib import Path

import pygame
import pytest

from antrian.devbroker import stop_process
from support.site import ROOT, write_site
from support.queue import QueueProcess
from display.layout import NAVY, PANEL, YELLOW
from display.voice import build_pack
from support.waiting import wait_for
from board_fakes import BOARDS, Publisher, counter_state, pixel_share

pytestmark = pytest.mark.broker


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    if not shutil.which("espeak-ng"):
        pytest.skip("espeak-ng not installed")
    out = tmp_path_factory.mktemp("livevoice")
    build_pack(out, words=["nomor antrian", "a", "satu", "dua", "silakan menuju", "loket"])
    return out


@pytest.fixture
def queue(tmp_path, broker):
    site = write_site(tmp_path / "site.toml", broker.port, BOARDS)
    q = QueueProcess(site, tmp_path / "queue.db", broker).start()
    yield q
    q.close()


class BoardProcess:
    def __init__(self, site: Path, tmp: Path, *args: str, audio: bool = True):
        self.trace = tmp / "frames.trace"
        self.audio = tmp / "audio.raw"
        self.log = tmp / "board.log"
        env = dict(os.environ, SDL_VIDEODRIVER="dummy", ANTRIAN_FRAME_TRACE=str(self.trace))
        if audio:
            env.update(SDL_AUDIODRIVER="disk", SDL_DISKAUDIOFILE=str(self.audio),
                       SDL_DISKAUDIODELAY="5")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "antrian.cli", "display", "--config", str(site), *args],
            cwd=ROOT, env=env, stdout=self.log.open("w"), stderr=subprocess.STDOUT)
        wait_for(lambda: "ready" in self.log.read_text() or self.proc.poll() is not None, 20)
        assert self.proc.poll() is None, self.log.read_text()

    def frames(self) -> list[tuple[float, list[str]]]:
        if not self.trace.exists():
            return []
        out = []
        for line in self.trace.read_text().splitlines():
            t, texts = line.split("\t")[:2]
            out.append((float(t), json.loads(texts)))
        return out

    def shown(self, text: str) -> bool:
        return any(text in texts for _, texts in self.frames())

    def stop(self) -> None:
        stop_process(self.proc)


def command(queue: QueueProcess, component: str, name: str, args: dict | None = None) -> dict:
    base = queue.base
    mark = queue.watcher.mark()      # a command asked twice must not get the first reply
    queue.watcher.publish(f"{base}/cmnd/{component}/{name}", json.dumps(args or {}))
    _, body = queue.watcher.wait_for(lambda t, b: t == f"{base}/stat/{component}/{name}",
                                     timeout=10, what=f"{name} reply", since=mark)
    return body


def test_a_press_reaches_the_screen_and_the_loudspeaker(queue, pack, tmp_path):
    for _ in range(2):
        queue.take("ktp")
    board = BoardProcess(queue.site_file, tmp_path, "--board", "lobby", "--size", "1280x720",
                         "--voice", str(pack))
    try:
        queue.press("1", "next", wait=False)
        # How soon is bench/press_to_pixel.py's figure: a test under load only checks it comes.
        wait_for(lambda: board.shown("A001"), 10)
        status = wait_for(lambda: (s := command(queue, "board-lobby", "status"))["data"]
                          ["announcements"] >= 1 and s, 15)["data"]
        assert status["queue_online"] is True and status["frames"] > 0
        shot = command(queue, "board-lobby", "screenshot")["data"]
        image = pygame.image.load(io.BytesIO(base64.b64decode(shot["png_base64"])), "s.png")
        assert image.get_size() == (1280, 720)
        # the big panel (left, below the header): yellow ticket on blue, or flashing inverted
        panel = (16, 140, 480, 120)
        share = [pixel_share(image, panel, c, 30) for c in (YELLOW, PANEL, NAVY)]
        assert share[0] > 0.05 and sum(share) > 0.85, share
        # wait until the announcement has been played whole, then compare what the device got
        wait_for(lambda: "announcing" in board.log.read_text(), 5)
        expected = tmp_path / "expected.wav"
        subprocess.run([sys.executable, "-m", "antrian.cli", "voice", "say", "A001", "1",
                        "--voice", str(pack), "--out", str(expected)], cwd=ROOT, check=True,
                       capture_output=True, env=dict(os.environ, SDL_AUDIODRIVER="dummy"))
        with wave.open(str(expected)) as w:
            samples = w.readframes(w.getnframes())
        wait_for(lambda: board.audio.exists() and board.audio.read_bytes().find(samples) >= 0, 15)
    finally:
        board.stop()
    assert board.proc.returncode == 0, board.log.read_text()


def test_retained_state_at_start_is_shown_but_never_announced(queue, pack, tmp_path):
    queue.take("ktp")
    queue.press("2", "next")
    board = BoardProcess(queue.site_file, tmp_path, "--board", "lobby", "--size", "1280x720",
                         "--voice", str(pack))
    try:
        wait_for(lambda: board.shown("A001"), 10)
        status = command(queue, "board-lobby", "status")["data"]
        assert status["announcements"] == 0 and status["calls"] == 0
    finally:
        board.stop()
    assert "announcing" not in board.log.read_text()


def test_the_screenshot_option_writes_the_board_with_its_state(queue, tmp_path):
    queue.take("skck", kiosk="k2")
    queue.press("3", "next")
    out = tmp_path / "en.png"
    run = subprocess.run([sys.executable, "-m", "antrian.cli", "display", "--config",
                          str(queue.site_file), "--board", "en", "--size", "1080x1920",
                          "--screenshot", str(out)], cwd=ROOT, capture_output=True, text=True,
                         timeout=60, env=dict(os.environ, SDL_VIDEODRIVER="dummy",
                                              SDL_AUDIODRIVER="dummy"))
    assert run.returncode == 0, run.stderr
    image = pygame.image.load(str(out))
    assert image.get_size() == (1920, 1080) or image.get_size() == (1080, 1920)
    assert "video driver: dummy" in run.stderr


def test_a_counter_display_process_follows_its_counter(queue, tmp_path):
    queue.take("ktp")
    board = BoardProcess(queue.site_file, tmp_path, "--counter", "2", "--size", "800x480",
                         audio=False)
    try:
        queue.press("2", "next", wait=False)
        wait_for(lambda: board.shown("A001"), 10)
        assert command(queue, "counter-display-2", "identify")["ok"]
        wait_for(lambda: board.shown("LOKET 2"), 5)
    finally:
        board.stop()


@pytest.mark.skipif(not shutil.which("xvfb-run") or not shutil.which("import"),
                    reason="xvfb or imagemagick missing")
def test_a_real_window_under_xvfb_shows_the_board(broker, tmp_path):
    site = write_site(tmp_path / "site.toml", broker.port, BOARDS)
    pub = Publisher(broker.port)
    pub.queue_presence("online")
    pub.counter(counter_state("1", "A042", seq=3))
    pub.close()
    shot = tmp_path / "xvfb.png"
    script = tmp_path / "run.sh"
    script.write_text(f"""
set -u
{sys.executable} -m antrian.cli display --config {site} --board lobby --size 1280x720 \\
    --run-for 20 > {tmp_path}/board.log 2>&1 &
pid=$!
# "ready" is logged in the same turn, after its frame was presented (XShmPutImage, XSync): the
# pixels are on the X server by then.
for i in $(seq 1 100); do
  if grep -q ready {tmp_path}/board.log; then break; fi
  sleep 0.1
done
import -window root {shot}
kill -TERM $pid; wait $pid
""")
    env = {k: v for k, v in os.environ.items() if k not in ("SDL_VIDEODRIVER", "DISPLAY")}
    env["SDL_VIDEODRIVER"] = "x11"
    env["SDL_AUDIODRIVER"] = "dummy"
    run = subprocess.run(["xvfb-run", "-a", "-s", "-screen 0 1280x720x24", "bash", str(script)],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    log = (tmp_path / "board.log").read_text()
    assert run.returncode == 0 and "video driver: x11" in log, run.stderr + log
    image = pygame.image.load(str(shot))
    assert image.get_size() == (1280, 720)
    assert pixel_share(image, (16, 140, 480, 120), YELLOW, 40) > 0.05   # "A042", drawn big
    assert pixel_share(image, (0, 0, 1280, 60), PANEL, 10) > 0.5         # the header
