"""Named attacks on the queue service, each through the real broker with the generated config
and the real `antrian serve`. Each must fail to do harm, and the service keeps answering.

A stolen device holds a real account: it can publish whatever its ACL allows, with any payload
and any MQTT v5 response topic.
"""

from __future__ import annotations

import json
import math
import uuid

import pytest

from conftest import B
from support.waiting import wait_for

pytestmark = [pytest.mark.broker, pytest.mark.slow]


def ask(device, topic: str, body: dict | bytes, *, what: str = "answer", timeout: float = 10.0):
    """Publish a request and wait for its answer (ticket, counter ack or error): the service's
    own barrier. ``device`` must hear ticket, error and its reply subtree."""
    rid = body.get("id") if isinstance(body, dict) else None
    mark = len(device.messages)
    device.publish(topic, body)
    return device.wait_for(lambda t, b: isinstance(b, dict) and rid is not None and (
        b.get("id") == rid or b.get("request") == rid), timeout=timeout, what=what, since=mark)


def rid() -> str:
    return f"a-{uuid.uuid4().hex[:10]}"


def counter_pi(site, n: str = "1"):
    return site.client(f"counter-{n}", topics=[f"{B}/error/counter-{n}", f"{B}/counter/{n}/state",
                                               f"{B}/reply/counter-{n}/#"])


def kiosk_pi(site, k: str = "k1"):
    return site.client(f"kiosk-{k}", topics=[f"{B}/ticket", f"{B}/error/kiosk-{k}",
                                             f"{B}/reply/kiosk-{k}/#"])


def still_answers(site, heard_by=None, since: int = 0) -> None:
    """A take after the attack is answered. With ``heard_by`` (a client recording from message
    ``since``), also wait until that client has its ticket: published after the device's own
    barrier was answered, the take is decided in a later batch, so everything the earlier
    batches sent (their replies go out last, after the answer a device waits for) has then
    reached that client too."""
    kiosk = kiosk_pi(site, "k1")
    try:
        take = {"service": "ktp", "id": rid()}
        _, ticket = ask(kiosk, f"{B}/kiosk/k1/take", take, what="a ticket after the attack")
        assert ticket["ticket"].startswith("A")
    finally:
        kiosk.close()
    if heard_by is not None:
        heard_by.wait_for(lambda t, b: t == f"{B}/ticket" and isinstance(b, dict)
                          and b.get("id") == take["id"], since=since,
                          what="the take after the attack, heard by the watcher")


def test_a_stolen_counter_cannot_close_itself_until_the_end_of_time(building):
    site, _, queue = building
    pi = counter_pi(site)
    try:
        for until in (1e300, 1e18, -5, 0):
            _, err = ask(pi, f"{B}/counter/1/press",
                         {"action": "close", "id": rid(), "until": until}, what="refusal")
            assert err["ok"] is False and err["code"] == "bad_request" and "until" in err["error"]
        pi.publish(f"{B}/counter/1/press", b'{"action": "close", "id": "inf", "until": 1e999}')
        # The open's own answer: the state after it (the first open state in the record is
        # the retained one from before any of this, which proves nothing).
        _, now = ask(pi, f"{B}/counter/1/press", {"action": "open", "id": rid()})
        assert now["open"] is True and now["closed_until"] is None
    finally:
        pi.close()
    still_answers(site)


def test_a_nul_or_bidi_text_in_a_reason_never_reaches_a_board(building):
    site, _, queue = building
    pi = counter_pi(site)
    try:
        hostile = "Istirahat\x00\u202e\u200b\x1b[31m" + "😀" * 200
        _, state = ask(pi, f"{B}/counter/1/press",
                       {"action": "close", "id": rid(), "reason": hostile})
        assert state["open"] is False, state          # the close's own answer, not an error
        reason = state["closed_reason"]
        assert reason.startswith("Istirahat[31m") and len(reason) <= 100
        assert not any(ch in reason for ch in "\x00\u202e\u200b\x1b")
    finally:
        pi.close()


def test_a_response_topic_at_a_kiosks_identify_command_gets_no_reply_there(building):
    site, _, queue = building
    ops = queue.watcher
    mark = len(ops.messages)
    pi = counter_pi(site)
    try:
        for target in (f"{B}/cmnd/kiosk-k1/identify", f"{B}/tele/queue/lwt", f"{B}/message",
                       f"{B}/reply/kiosk-k1/x", f"{B}/reply/+/x"):
            pi.publish(f"{B}/counter/1/press", b"garbage", response_topic=target,
                       correlation=b"attack")
            pi.publish(f"{B}/counter/1/press", {"action": "open", "id": rid()},
                       response_topic=target, correlation=b"attack")
        ask(pi, f"{B}/counter/1/press", {"action": "open", "id": rid()})   # the barrier
    finally:
        pi.close()
    still_answers(site, heard_by=ops, since=mark)     # ops has heard every reply there was
    with ops.cond:
        hit = [t for t, _, _, props in ops.messages[mark:]
               if getattr(props, "CorrelationData", None) == b"attack"]
    assert hit == [] or all(t.endswith("/counter/1/press") for t in hit), hit


def test_a_recall_flood_announces_nothing_inside_the_cooldown(building):
    site, _, queue = building
    still_answers(site)                       # a ticket to call
    pi = counter_pi(site)
    mark = len(queue.watcher.messages)
    try:
        ask(pi, f"{B}/counter/1/press", {"action": "next", "id": rid()})
        codes = [ask(pi, f"{B}/counter/1/press", {"action": "recall", "id": rid()})[1]
                 for _ in range(20)]
    finally:
        pi.close()
    assert {c.get("code") for c in codes} <= {"too_soon", "rate_limited"}
    assert "too_soon" in {c.get("code") for c in codes}

    def published(topic):
        with queue.watcher.cond:
            return [json.loads(p) for t, p, _, _ in queue.watcher.messages[mark:] if t == topic]
    # A take after the flood is the service's barrier: it publishes in order, so any call a
    # recall had caused reaches the watcher before this ticket does.
    still_answers(site)
    wait_for(lambda: published(f"{B}/ticket"), what="the barrier ticket on the watcher")
    assert [c["kind"] for c in published(f"{B}/call")] == ["call"]


def test_a_stolen_counter_cannot_press_for_another_counter(building):
    site, _, queue = building
    still_answers(site)
    pi = counter_pi(site, "1")
    mark = len(queue.watcher.messages)
    try:
        mid = pi.send(f"{B}/counter/2/press", {"action": "next", "id": rid()})
        pi.wait_acked([mid])        # the broker's ACL drops it (Mosquitto 2.0 still PUBACKs)
        ask(pi, f"{B}/counter/1/press", {"action": "open", "id": rid()})   # the barrier
    finally:
        pi.close()
    still_answers(site, heard_by=queue.watcher, since=mark)
    with queue.watcher.cond:
        seen = [t for t, _, _, _ in queue.watcher.messages[mark:]
                if t in (f"{B}/call", f"{B}/counter/2/state")]
    assert seen == []


def test_a_stolen_kiosk_flooding_takes_is_slowed_and_cannot_take_what_it_does_not_offer(building):
    site, _, queue = building
    kiosk = kiosk_pi(site, "k2")          # k2 offers skck only
    try:
        _, err = ask(kiosk, f"{B}/kiosk/k2/take", {"service": "ktp", "id": rid()})
        assert err["code"] == "unknown_service"
        answers = [ask(kiosk, f"{B}/kiosk/k2/take", {"service": "skck", "id": rid()})[1]
                   for _ in range(60)]
    finally:
        kiosk.close()
    issued = [a for a in answers if "ticket" in a]
    limited = [a for a in answers if a.get("code") == "rate_limited"]
    assert issued and limited and len(issued) + len(limited) == 60
    assert len(issued) <= 40
    still_answers(site)


def test_garbage_on_every_topic_the_queue_hears_changes_nothing(building):
    site, _, queue = building
    before = ask_status(queue)
    junk = [b"", b"\x00" * 10, b"{", b"[" * 3000, b'{"action": "next"}', b"\xff\xfe",
            json.dumps({"action": "next", "id": "x" * 100}).encode(),
            json.dumps({"service": "ktp", "id": "\u202e"}).encode(),
            json.dumps({"action": "call", "id": "1", "ticket": "A" * 1000}).encode(),
            b"x" * 70_000]
    ops = site.client("ops", topics=[])
    pi, kiosk = counter_pi(site), kiosk_pi(site)
    try:
        for payload in junk:
            pi.publish(f"{B}/counter/1/press", payload)
            kiosk.publish(f"{B}/kiosk/k1/take", payload)
            ops.publish(f"{B}/cmnd/queue/reset", payload)
            ops.publish(f"{B}/cmnd/queue/close", payload)
            ops.publish(f"{B}/cmnd/queue/{'x' * 50}", payload)
    finally:
        pi.close()
        kiosk.close()
        ops.close()
    after = ask_status(queue)
    assert (after["seq"], after["tickets_today"]) == (before["seq"], before["tickets_today"])
    still_answers(site)


def ask_status(queue) -> dict:
    tid = rid()
    mark = len(queue.watcher.messages)
    queue.watcher.publish(f"{B}/cmnd/queue/status", {"transaction": tid})
    _, reply = queue.watcher.wait_for(lambda t, b: t == f"{B}/stat/queue/status"
                                      and isinstance(b, dict) and b.get("transaction") == tid,
                                      what="status", since=mark, timeout=15)
    assert reply["ok"] and all(math.isfinite(reply["data"][k]) for k in ("seq", "waiting"))
    return reply["data"]
