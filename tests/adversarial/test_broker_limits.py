"""Limits of the generated broker config, against a real Mosquitto (issue 12): the biggest
legitimate message passes, a bigger one costs only its sender's connection, and a flood of
connections is refused while the connected building carries on."""

from __future__ import annotations

import socket

import pytest

from broker_kit import B, building, queue  # noqa: F401
from mqtt import broker_config as bc
from support.waiting import wait_for

pytestmark = pytest.mark.broker


def test_a_4k_screenshot_reply_fits_in_one_message(building):
    # bench/screenshot_size.py: 596 KiB at 4K; a bit more, and incompressible, to be safe.
    board = building.client("board-lobby").connect()
    ops = building.client("ops", console=True, topics=(f"{B}/stat/board-lobby/screenshot",)).connect()
    try:
        body = b'{"ok": true, "data": {"png_base64": "' + b"A" * (900 * 1024) + b'"}}'
        assert board.publish(f"{B}/stat/board-lobby/screenshot", body) == 0
        wait_for(lambda: ops.heard(f"{B}/stat/board-lobby/screenshot"), what="the screenshot")
    finally:
        board.close()
        ops.close()


def test_an_oversized_packet_disconnects_its_sender_only(building, queue):
    thief = building.client("counter-3").connect()
    try:
        assert thief.publish(f"{B}/counter/3/press", b"x" * (bc.MAX_PACKET_SIZE + 1)) == -1
        assert thief.disconnects == [149]     # MQTT v5 "packet too large"
        assert queue.publish(f"{B}/counter/3/state", b"{}") == 0
        assert queue.connected and not queue.disconnects
    finally:
        thief.close()


def test_a_connection_flood_is_refused_and_the_connected_building_carries_on(building, queue):
    limit = bc.MIN_DEVICE_CONNECTIONS          # the small test site has fewer accounts than this
    flood: list[socket.socket] = []
    try:
        # Raw TCP connections that never say CONNECT: an attacker's cheapest flood.
        for _ in range(limit + 10):
            flood.append(socket.create_connection(("127.0.0.1", building.port), timeout=2))

        def refused() -> bool:
            late = building.client("counter-1")
            try:
                late.connect(timeout=2)
            except (OSError, AssertionError):
                return True
            finally:
                late.close()
            return late.connack != 0
        assert wait_for(refused, timeout=10, what="a device refused while the listener is full")
        # The queue service, connected before the flood, still round-trips.
        assert queue.publish(f"{B}/counter/1/state", b"{}") == 0 and not queue.disconnects
        # Technicians still get in: the console listener has its own limit.
        ops = building.client("ops", console=True).connect()
        assert ops.connack == 0
        ops.close()
    finally:
        for s in flood:
            s.close()
    back = wait_for(lambda: _connects(building, "counter-1"), timeout=10,
                    what="a device connects again once the flood is gone")
    assert back


def _connects(building, name: str) -> bool:
    c = building.client(name)
    try:
        c.connect(timeout=2)
        return c.connack == 0
    except (OSError, AssertionError):
        return False
    finally:
        c.close()
