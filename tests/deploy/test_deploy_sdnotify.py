"""antrian.sdnotify against a real AF_UNIX datagram socket owned by the test (systemd's side)."""

from __future__ import annotations

import os
import subprocess
import sys
import types

import pytest

from antrian import sdnotify
from deploy_notify import NotifyListener

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def listener(monkeypatch):
    with NotifyListener() as lst:
        monkeypatch.setenv("NOTIFY_SOCKET", lst.path)
        monkeypatch.delenv("WATCHDOG_USEC", raising=False)
        monkeypatch.delenv("WATCHDOG_PID", raising=False)
        yield lst


class FakeClock:
    def __init__(self, now: float = 1000.0):
        self.now = now

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    # Only sdnotify's view of time changes, not pytest's.
    monkeypatch.setattr(sdnotify, "time", types.SimpleNamespace(monotonic=fake.monotonic))
    return fake


# -- outside systemd -----------------------------------------------------------------------------

def test_without_notify_socket_every_call_does_nothing_and_returns_false(monkeypatch):
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert sdnotify.notify("READY=1") is False
    assert sdnotify.ready("x") is False
    assert sdnotify.status("x") is False
    assert sdnotify.stopping() is False
    sdnotify.Watchdog(interval=0.0).tick()  # must not raise


def test_an_empty_notify_socket_counts_as_outside_systemd(monkeypatch):
    monkeypatch.setenv("NOTIFY_SOCKET", "")
    assert sdnotify.ready() is False


def test_a_notify_socket_nobody_listens_on_returns_false_without_raising(monkeypatch, tmp_path):
    monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "gone"))
    assert sdnotify.ready() is False
    assert sdnotify.status("still here") is False


def test_a_stale_socket_file_whose_listener_closed_returns_false(monkeypatch):
    lst = NotifyListener()
    path = lst.path
    lst.sock.close()  # the file stays, nobody receives: ECONNREFUSED
    try:
        monkeypatch.setenv("NOTIFY_SOCKET", path)
        assert sdnotify.notify("WATCHDOG=1") is False
    finally:
        lst.close()


# -- the messages --------------------------------------------------------------------------------

def test_ready_sends_exactly_ready_1(listener):
    assert sdnotify.ready() is True
    msg = listener.receive(2)
    assert msg is not None and msg.text == "READY=1"


def test_ready_with_a_status_sends_both_fields_in_one_datagram(listener):
    assert sdnotify.ready("connected, 40 services") is True
    msg = listener.receive(2)
    assert msg.text == "READY=1\nSTATUS=connected, 40 services"
    assert msg.fields == {"READY": "1", "STATUS": "connected, 40 services"}


def test_status_and_stopping_send_their_fields(listener):
    assert sdnotify.status("menunggu broker") is True
    assert sdnotify.stopping() is True
    assert listener.receive(2).text == "STATUS=menunggu broker"
    assert listener.receive(2).text == "STOPPING=1"


def test_status_text_is_sent_as_utf8(listener):
    sdnotify.status("Loket 3 — dibuka")
    assert listener.receive(2).text == "STATUS=Loket 3 — dibuka"


def test_messages_carry_the_senders_pid_so_notify_access_main_accepts_them(listener):
    sdnotify.ready()
    assert listener.receive(2).pid == os.getpid()


def test_an_abstract_namespace_socket_written_with_at_sign_is_reached(monkeypatch):
    with NotifyListener(abstract=True) as lst:
        assert lst.path.startswith("@")
        monkeypatch.setenv("NOTIFY_SOCKET", lst.path)
        assert sdnotify.ready() is True
        assert lst.receive(2).text == "READY=1"


def test_a_status_text_cannot_inject_other_fields(listener):
    sdnotify.status("broker refused\nREADY=1")
    assert "READY" not in listener.receive(2).fields


# -- the watchdog interval -----------------------------------------------------------------------

def test_watchdog_interval_is_half_of_watchdog_usec(monkeypatch):
    monkeypatch.setenv("WATCHDOG_USEC", "30000000")
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
    assert sdnotify.watchdog_interval() == 15.0


def test_watchdog_interval_without_watchdog_pid_still_applies(monkeypatch):
    monkeypatch.setenv("WATCHDOG_USEC", "4000000")
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    assert sdnotify.watchdog_interval() == 2.0


def test_watchdog_interval_is_none_when_not_watched(monkeypatch):
    monkeypatch.delenv("WATCHDOG_USEC", raising=False)
    assert sdnotify.watchdog_interval() is None


def test_watchdog_interval_is_none_for_a_child_that_inherited_the_environment(monkeypatch):
    monkeypatch.setenv("WATCHDOG_USEC", "30000000")
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid() + 1))
    assert sdnotify.watchdog_interval() is None


def test_watchdog_interval_ignores_garbage(monkeypatch):
    monkeypatch.setenv("WATCHDOG_USEC", "thirty")
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    assert sdnotify.watchdog_interval() is None


# -- Watchdog.tick -------------------------------------------------------------------------------

def pings(listener: NotifyListener) -> int:
    return sum(1 for m in listener.collect(0.05) if m.text == "WATCHDOG=1")


def test_the_first_tick_pings_at_once(listener, clock):
    sdnotify.Watchdog(interval=15).tick()
    assert pings(listener) == 1


def test_ticks_are_rate_limited_to_the_interval(listener, clock):
    dog = sdnotify.Watchdog(interval=2.0)
    for _ in range(100):  # a busy loop within the same instant
        dog.tick()
    assert pings(listener) == 1
    clock.now += 1.9
    dog.tick()
    assert pings(listener) == 0
    clock.now += 0.1
    dog.tick()
    dog.tick()
    assert pings(listener) == 1


def test_a_long_interval_still_pings_every_five_seconds(listener, clock):
    dog = sdnotify.Watchdog(interval=60)
    dog.tick()
    clock.now += 4.9
    dog.tick()
    assert pings(listener) == 1
    clock.now += 0.1
    dog.tick()
    assert pings(listener) == 1


def test_the_default_interval_comes_from_systemds_environment(monkeypatch):
    monkeypatch.setenv("WATCHDOG_USEC", "3000000")
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
    assert sdnotify.Watchdog().interval == 1.5


def test_the_default_interval_outside_systemd_is_five_seconds(monkeypatch):
    monkeypatch.delenv("WATCHDOG_USEC", raising=False)
    assert sdnotify.Watchdog().interval == 5.0


def test_a_loop_that_stops_turning_stops_the_pings(listener):
    """Real time: a loop ticking every 10 ms with a 0.1 s interval pings ~10 times a second;
    when the loop stops, so do the pings."""
    import time

    dog = sdnotify.Watchdog(interval=0.1)
    end = time.monotonic() + 0.55
    while time.monotonic() < end:
        dog.tick()
        time.sleep(0.01)
    got = [m for m in listener.collect(0.05) if m.text == "WATCHDOG=1"]
    assert 4 <= len(got) <= 7
    assert pings(listener) == 0  # nothing ticks now


# -- a real process, as systemd would start it ---------------------------------------------------

CHILD = """
import os, time
from antrian import sdnotify
dog = sdnotify.Watchdog()
sdnotify.ready("child up")
if os.fork() == 0:  # a helper process: must not ping on the main process's behalf
    os._exit(0 if sdnotify.watchdog_interval() is None else 3)
_, status = os.wait()
assert os.waitstatus_to_exitcode(status) == 0
end = time.monotonic() + 0.6
while time.monotonic() < end:
    dog.tick()
    time.sleep(0.01)
sdnotify.stopping()
"""


def test_a_process_started_like_systemd_does_sends_ready_pings_and_stopping_from_its_pid(listener):
    env = {**os.environ, "NOTIFY_SOCKET": listener.path, "WATCHDOG_USEC": "400000",
           "PYTHONPATH": ROOT}
    # systemd knows the main pid before exec: `exec` keeps the shell's $$ for Python.
    proc = subprocess.Popen(["/bin/sh", "-c", 'WATCHDOG_PID=$$ exec "$0" -c "$1"',
                             sys.executable, CHILD], env=env)
    ready = listener.wait_for("READY=1", timeout=10)
    stop = listener.wait_for("STOPPING=1", timeout=10)
    assert proc.wait(10) == 0
    assert ready.pid == proc.pid and stop.pid == proc.pid
    dogs = [m for m in listener.messages if m.text == "WATCHDOG=1"]
    # interval 0.2 s over 0.6 s: 3 or 4 pings, all from the main process
    assert 3 <= len(dogs) <= 5
    assert {m.pid for m in dogs} == {proc.pid}
