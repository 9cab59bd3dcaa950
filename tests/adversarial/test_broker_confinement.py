"""A stolen Pi, against the broker `antrian broker-config` generates (issue 12): it cannot take
another component's session, read another's replies, or publish outside its own leaves."""

from __future__ import annotations

import pytest

from broker_kit import B, NOT_AUTHORIZED, SESSION_TAKEN_OVER, building, queue  # noqa: F401
from support.waiting import wait_for

pytestmark = pytest.mark.broker


@pytest.mark.parametrize("stolen_id", ["antrian-test-queue", "queue"])
def test_a_stolen_counter_pi_cannot_take_the_queue_services_client_id(building, queue, stolen_id):
    thief = building.client("counter-3", client_id=stolen_id).connect()
    try:
        assert thief.connack == 0          # it logs in, as itself: its client id is its username
        # The queue's session is untouched: a round trip after the thief's CONNACK still works.
        assert queue.publish(f"{B}/counter/3/state", b"{}") == 0
        assert queue.connected and queue.disconnects == []
    finally:
        thief.close()


def test_a_second_copy_of_a_component_replaces_the_first_it_never_runs_beside_it(building):
    first = building.client("counter-3").connect()
    second = building.client("counter-3", client_id="another-id").connect()
    try:
        # One session per component: the broker drops the first copy's connection (Mosquitto
        # 2.0.11 closes the socket; paho reports 128, not v5's 142 "session taken over"), so
        # two copies never both publish; the component logs each drop (docs/security.md).
        wait_for(lambda: first.disconnects, what="the first copy disconnected")
        assert not first.connected and first.disconnects[0] in (128, SESSION_TAKEN_OVER)
        assert second.publish(f"{B}/counter/3/press", b"{}") == 0
    finally:
        first.close()
        second.close()


@pytest.mark.parametrize("reader, console", [("counter-3", False), ("board-lobby", False),
                                             ("web", False), ("ops", True), ("cli", True)])
def test_no_account_reads_another_components_replies(building, queue, reader, console):
    spy = building.client(reader, console=console, topics=(f"{B}/reply/#",)).connect()
    try:
        queue.publish(f"{B}/reply/counter-1/take-1", b'{"secret": 1}')
        queue.publish(f"{B}/reply/kiosk-k1/take-2", b'{"key": "abc"}')
        # The barrier: its own reply, published last, arrives; the others never did before it.
        assert queue.publish(f"{B}/reply/{reader}/mark", b"{}") == 0
        wait_for(lambda: spy.heard(f"{B}/reply/{reader}/mark"), what="its own reply")
        assert [t for t, _ in spy.messages] == [f"{B}/reply/{reader}/mark"]
    finally:
        spy.close()


OUTSIDE = ["tele/counter-3/extra", "tele/counter-3/lwt/x", "stat/counter-3/a/b/c",
           "tele/queue/lwt", "stat/queue/status", "reply/counter-1/x", "reply/queue/x",
           "cmnd/queue/reset", "counter/1/press", "counter/3/state", "kiosk/k1/take", "call",
           "message", "ticket", "error/counter-3", "service/ktp/state", "tele/queue/instance",
           "calls/recent"]


@pytest.mark.parametrize("leaf", OUTSIDE)
def test_a_stolen_counter_pi_publishes_nothing_outside_its_own_leaves(building, leaf):
    thief = building.client("counter-3").connect()
    try:
        assert thief.publish(f"{B}/{leaf}") == NOT_AUTHORIZED
    finally:
        thief.close()


def test_a_counter_still_publishes_its_own_leaves(building):
    c3 = building.client("counter-3").connect()
    try:
        for leaf in ("counter/3/press", "tele/counter-3/lwt", "tele/counter-3/state",
                     "stat/counter-3/status", "reply/ops/console-1"):
            assert c3.publish(f"{B}/{leaf}") == 0, leaf
    finally:
        c3.close()


def test_a_device_password_does_not_open_the_console_listener(building):
    thief = building.client("counter-3", console=True).connect()
    assert thief.connack not in (0, None)
    thief.close()
    # ...and the technicians' password is not valid on the devices' listener either.
    ops = building.client("ops").connect()
    assert ops.connack not in (0, None)
    ops.close()


def test_several_consoles_of_one_technician_do_not_kick_each_other(building):
    consoles = [building.client("ops", console=True).connect() for _ in range(3)]
    try:
        for c in consoles:
            assert c.publish(f"{B}/cmnd/queue/status", b"{}") == 0
        assert all(c.connected and not c.disconnects for c in consoles)
    finally:
        for c in consoles:
            c.close()


def test_the_cli_account_takes_and_presses_for_anyone_and_nothing_else(building):
    cli = building.client("cli", console=True).connect()
    try:
        assert cli.publish(f"{B}/kiosk/k2/take") == 0
        assert cli.publish(f"{B}/counter/1/press") == 0
        for leaf in ("cmnd/queue/reset", "service/ktp/state", "call", "reply/kiosk-k2/x"):
            assert cli.publish(f"{B}/{leaf}") == NOT_AUTHORIZED, leaf
    finally:
        cli.close()
