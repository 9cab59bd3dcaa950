"""What the web's broker account may do now that staff act through it (issue 14): press as each
counter of the site, send the queue the floor view's five commands, read the refusals of the
counters' presses and its own replies. Nothing else: a stolen web Pi cannot take tickets, press
for a counter the site does not have, reload or reset other components, or read others' replies.
Run against the config `antrian broker-config` generates (tests/adversarial/broker_kit.py)."""

from __future__ import annotations

import pytest

from broker_kit import B, NOT_AUTHORIZED, building, queue  # noqa: F401  (fixtures)
from support.waiting import wait_for

ALLOWED = ["counter/1/press", "counter/3/press", "cmnd/queue/open", "cmnd/queue/close",
           "cmnd/queue/assign", "cmnd/queue/message", "cmnd/queue/reset",
           "tele/web/lwt", "tele/web/state"]
REFUSED = ["counter/9/press", "counter/3/press/x", "counter/3/state", "kiosk/k1/take",
           "cmnd/queue/reload", "cmnd/queue/open-for-test", "cmnd/queue/stats",
           "cmnd/board-lobby/screenshot", "cmnd/kiosk-k1/identify", "cmnd/web/status",
           "service/ktp/state", "call", "message", "error/counter-3", "reply/counter-3/x",
           "tele/queue/lwt", "calls/recent", "ticket"]


@pytest.mark.parametrize("leaf", ALLOWED)
def test_the_web_presses_as_each_counter_and_sends_the_floor_commands(building, leaf):
    web = building.client("web").connect()
    try:
        assert web.publish(f"{B}/{leaf}", b"{}") == 0
    finally:
        web.close()


@pytest.mark.parametrize("leaf", REFUSED)
def test_a_stolen_web_pi_publishes_nothing_else(building, leaf):
    web = building.client("web").connect()
    try:
        assert web.publish(f"{B}/{leaf}") == NOT_AUTHORIZED
    finally:
        web.close()


def test_the_web_hears_its_counters_refusals_and_its_own_replies_only(building, queue):
    spy = building.client("web", topics=(f"{B}/error/#", f"{B}/reply/#")).connect()
    try:
        queue.publish(f"{B}/error/kiosk-k1", b'{"id": "k"}')
        queue.publish(f"{B}/reply/counter-3/x", b'{"secret": 1}')
        queue.publish(f"{B}/error/counter-3", b'{"id": "w-1"}')
        assert queue.publish(f"{B}/reply/web/mark", b"{}") == 0
        wait_for(lambda: spy.heard(f"{B}/reply/web/mark"), what="its own reply")
        assert [t for t, _ in spy.messages] == [f"{B}/error/counter-3", f"{B}/reply/web/mark"]
    finally:
        spy.close()
