"""The real programs under systemd's notify protocol: ``antrian serve`` and a board, started with
NOTIFY_SOCKET and WATCHDOG_USEC pointing at a socket the test owns, as systemd starts them."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support.queue import QueueProcess
from support.mqtt import Watcher
from support.site import write_site
from deploy_notify import Message, NotifyListener

ROOT = Path(__file__).resolve().parents[2]
HOLD_BOARD = Path(__file__).with_name("deploy_hold_board.py")

pytestmark = [pytest.mark.broker, pytest.mark.slow]


@contextlib.contextmanager
def under_systemd(argv: list[str], log: Path, *, watchdog_s: float, env: dict | None = None):
    """Run ``argv`` as systemd would: NOTIFY_SOCKET (a socket this test owns), WATCHDOG_USEC, and
    WATCHDOG_PID naming the process itself (the shell's ``exec`` keeps its pid, which systemd
    also knows before exec). Yields (listener, process); stops it at the end."""
    with NotifyListener() as listener:
        full_env = {**os.environ, **(env or {}), "NOTIFY_SOCKET": listener.path,
                    "WATCHDOG_USEC": str(int(watchdog_s * 1e6))}
        proc = subprocess.Popen(
            ["/bin/sh", "-c", 'WATCHDOG_PID=$$; export WATCHDOG_PID; exec "$@"', "sh", *argv],
            cwd=ROOT, env=full_env, stdout=log.open("ab"), stderr=subprocess.STDOUT)
        try:
            yield listener, proc
        finally:
            stop(proc)
            if proc.returncode not in (0, None):
                print(log.read_text())


def wait_ready(listener: NotifyListener, proc: subprocess.Popen, log: Path,
               timeout: float = 30) -> Message:
    """READY=1 from the process itself; fails at once (with its log) if the process exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        msg = listener.receive(0.2)
        if msg and "READY=1" in msg.text.split("\n"):
            assert msg.pid == proc.pid, "NotifyAccess=main would drop it"
            return msg
        if proc.poll() is not None:
            pytest.fail(f"exited with {proc.returncode} before READY:\n{log.read_text()}")
    pytest.fail(f"no READY=1 within {timeout} s:\n{log.read_text()}")


def pings(messages: list[Message], pid: int) -> list[Message]:
    dogs = [m for m in messages if m.text == "WATCHDOG=1"]
    assert all(m.pid == pid for m in dogs), "a ping came from another process"
    return dogs


def assert_pings_regularly(listener: NotifyListener, pid: int, *, seconds: float,
                           at_least: int, max_gap: float) -> None:
    dogs = pings(listener.collect(seconds), pid)
    assert len(dogs) >= at_least, f"{len(dogs)} pings in {seconds} s"
    gaps = [b.at - a.at for a, b in zip(dogs, dogs[1:])]
    assert max(gaps) <= max_gap, gaps


def assert_silent_while_stopped(listener: NotifyListener, proc: subprocess.Popen,
                                seconds: float) -> None:
    """SIGSTOP freezes every thread: no pings (systemd would kill it after WatchdogSec); after
    SIGCONT they come back."""
    os.kill(proc.pid, signal.SIGSTOP)
    listener.collect(0.2)  # a ping already in flight
    assert pings(listener.collect(seconds), proc.pid) == []
    os.kill(proc.pid, signal.SIGCONT)
    assert listener.wait_for("WATCHDOG=1", timeout=3).pid == proc.pid


def assert_clean_stop(listener: NotifyListener, proc: subprocess.Popen) -> None:
    """SIGTERM (systemctl stop): STOPPING=1 from the main process, exit status 0."""
    proc.terminate()
    assert listener.wait_for("STOPPING=1", timeout=10).pid == proc.pid
    assert proc.wait(15) == 0


def stop(proc: subprocess.Popen) -> int:
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGCONT)  # a stopped process cannot handle SIGTERM
        proc.terminate()
        try:
            return proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def test_serve_is_ready_once_its_state_is_published_then_pings_until_frozen(tmp_path, broker,
                                                                            site_file):
    # WatchdogSec=2: the loop must ping every second (half of it).
    argv = [sys.executable, "-m", "antrian", "serve", "--config", str(site_file),
            "--db", str(tmp_path / "queue.db")]
    log = tmp_path / "serve.log"
    with under_systemd(argv, log, watchdog_s=2.0) as (listener, proc):
        ready = wait_ready(listener, proc, log)
        assert ready.fields["STATUS"].startswith("serving 3 services")

        # What READY promises: a board connecting now gets every service's retained state.
        watcher = Watcher(broker.port, topics=("antrian/test/service/+/state",))
        try:
            for sid in ("ktp", "kk", "skck"):
                watcher.wait_for(lambda t, b: t == f"antrian/test/service/{sid}/state",
                                 timeout=5, what=f"retained state of {sid}")
        finally:
            watcher.close()

        assert_pings_regularly(listener, proc.pid, seconds=3.2, at_least=2, max_gap=1.7)
        assert_silent_while_stopped(listener, proc, 2.5)
        assert_clean_stop(listener, proc)


BOARD = """
[voice]
enabled = false

[[board]]
id = "lobby"
"""


def test_a_board_is_ready_with_state_pings_and_stops_pinging_when_its_loop_is_held(tmp_path,
                                                                                   broker):
    site = write_site(tmp_path / "site.toml", broker.port, BOARD)
    hold = tmp_path / "hold"
    argv = [sys.executable, str(HOLD_BOARD), "display", "--config", str(site),
            "--board", "lobby", "--size", "640x360"]
    env = {"ANTRIAN_TEST_HOLD": str(hold), "XDG_DATA_HOME": str(tmp_path / "xdg")}
    log = tmp_path / "board.log"
    queue = QueueProcess(site, tmp_path / "queue.db", broker).start()
    try:
        with under_systemd(argv, log, watchdog_s=1.0, env=env) as (listener, proc):
            ready = wait_ready(listener, proc, log)
            assert ready.fields["STATUS"].startswith("board-lobby: 3 services")

            # The loop wakes at least once a second; pings are half of WatchdogSec=1 s apart.
            assert_pings_regularly(listener, proc.pid, seconds=3.5, at_least=3, max_gap=1.6)

            hold.touch()  # the loop stops inside its next turn; other threads run on
            listener.collect(1.2)
            assert pings(listener.collect(2.5), proc.pid) == []
            assert proc.poll() is None
            hold.unlink()
            assert listener.wait_for("WATCHDOG=1", timeout=3).pid == proc.pid

            assert_silent_while_stopped(listener, proc, 2.0)  # the whole process, too
            assert_clean_stop(listener, proc)
    finally:
        hold.unlink(missing_ok=True)
        queue.close()


def test_the_visitors_page_is_ready_when_it_listens_and_pings_from_its_event_loop(tmp_path, broker,
                                                                                   site_file):
    from support.broker import free_port, wait_port

    port = free_port()
    argv = [sys.executable, "-m", "antrian", "web", "--config", str(site_file),
            "--host", "127.0.0.1", "--port", str(port)]
    log = tmp_path / "web.log"
    with under_systemd(argv, log, watchdog_s=2.0) as (listener, proc):
        wait_ready(listener, proc, log)
        wait_port(port, timeout=1)  # READY means it already listens
        # The loop wakes every 2 s at the latest: pings at most that far apart.
        assert_pings_regularly(listener, proc.pid, seconds=4.5, at_least=2, max_gap=2.6)
        assert_silent_while_stopped(listener, proc, 2.5)
        assert_clean_stop(listener, proc)


PANEL = """
[[panel]]
counter = "1"
next = 17
led = 24
"""


@pytest.mark.parametrize("role,args", [
    ("counter", ["--counter", "1"]),
    ("kiosk", ["--kiosk", "k1", "--printer", "file:{tmp}/tickets.bin"]),
])
def test_panels_and_kiosks_are_ready_ping_and_stop_cleanly(tmp_path, broker, role, args):
    site = write_site(tmp_path / "site.toml", broker.port, PANEL)
    site.write_text(site.read_text().replace('id = "k1"\n', 'id = "k1"\nbuttons = { ktp = 5 }\n'))
    argv = [sys.executable, "-m", "antrian", role, "--config", str(site),
            *(a.replace("{tmp}", str(tmp_path)) for a in args)]
    # Mock pins (GPIOZERO_PIN_FACTORY=mock from conftest); STATE_DIRECTORY as systemd sets it.
    env = {"STATE_DIRECTORY": str(tmp_path / "state")}
    log = tmp_path / f"{role}.log"
    with under_systemd(argv, log, watchdog_s=2.0, env=env) as (listener, proc):
        wait_ready(listener, proc, log)
        assert_pings_regularly(listener, proc.pid, seconds=3.5, at_least=2, max_gap=2.1)
        assert_silent_while_stopped(listener, proc, 2.5)
        assert_clean_stop(listener, proc)
    assert list((tmp_path / "state").glob("*.db")), "its SQLite file is in STATE_DIRECTORY"
