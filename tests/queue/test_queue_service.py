"""The real `antrian serve` process against a real Mosquitto: the contract end to end."""

from __future__ import annotations

import json
import sqlite3

import pytest

from support.site import write_site

pytestmark = pytest.mark.broker


@pytest.fixture
def site_file(tmp_path, broker):
    """The small site, with recalls allowed at once (the cooldown has its own tests)."""
    return write_site(tmp_path / "site.toml", broker.port, "[queue]\nrecall_cooldown_s = 0\n")


def test_a_taken_ticket_is_announced_with_how_many_wait_ahead(queue_service):
    first = queue_service.take("ktp")
    second = queue_service.take("ktp")
    assert (first["ticket"], first["ahead"]) == ("A001", 0)
    assert (second["ticket"], second["ahead"]) == ("A002", 1)
    _, state = queue_service.watcher.wait_for(
        lambda t, b: t.endswith("/service/ktp/state") and b["waiting"] == 2, what="ktp state")
    assert state["waiting_tickets"] == ["A001", "A002"]
    assert state["last_issued"] == "A002"


def test_next_calls_priority_first_and_publishes_a_call_and_the_counter_state(queue_service):
    queue_service.take("ktp")
    queue_service.take("ktp", priority=True)
    ack = queue_service.press("1", "next")
    assert ack["ticket"] == "A002" and ack["open"] is True
    _, call = queue_service.watcher.wait_for(lambda t, b: t.endswith("/call"), what="call")
    assert call["ticket"] == "A002" and call["counter"] == "1" and call["kind"] == "call"
    assert call["counter_name"] == "Loket 1"
    queue_service.press("1", "recall")
    _, recall = queue_service.watcher.wait_for(
        lambda t, b: t.endswith("/call") and b["kind"] == "recall", what="recall")
    assert recall["ticket"] == "A002" and recall["seq"] > call["seq"]


def test_retained_state_is_there_for_a_client_that_connects_later(queue_service, broker):
    from support.mqtt import Watcher

    queue_service.take("skck", kiosk="k2")
    queue_service.press("3", "next")
    late = Watcher(broker.port)
    try:
        _, counter = late.wait_for(lambda t, b: t.endswith("/counter/3/state"), what="retained")
        assert counter["ticket"] == "C001"
        _, lwt = late.wait_for(lambda t, b: t.endswith("/tele/queue/lwt"), what="presence")
        assert lwt == "online" or lwt == b"online"
        assert any(r for t, _, r in late.messages if t.endswith("/counter/3/state"))
    finally:
        late.close()


@pytest.mark.parametrize("topic,payload,code", [
    ("counter/1/press", b"{not json", "bad_request"),
    ("counter/1/press", b'{"action": "dance", "id": "x1"}', "bad_request"),
    ("counter/1/press", b'{"action": "next", "id": 7}', "bad_request"),
    ("counter/1/press", b'{"action": "recall", "id": "x2"}', "not_allowed"),
    ("counter/1/press", b'{"action": "call", "id": "x3", "ticket": "Z999"}', "unknown_ticket"),
    ("counter/9/press", b'{"action": "next", "id": "x4"}', "unknown_counter"),
    ("kiosk/k1/take", b'{"service": "paspor", "id": "x5"}', "unknown_service"),
    ("kiosk/k2/take", b'{"service": "ktp", "id": "x6"}', "unknown_service"),
    ("kiosk/zz/take", b'{"service": "ktp", "id": "x7"}', "unknown_service"),
    ("kiosk/k1/take", b"x" * 100_000, "bad_request"),
])
def test_bad_requests_get_a_clear_error_and_change_nothing(queue_service, topic, payload, code):
    base = queue_service.base
    queue_service.watcher.publish(f"{base}/{topic}", payload)
    source = ("counter-" if topic.startswith("counter") else "kiosk-") + topic.split("/")[1]
    _, err = queue_service.watcher.wait_for(
        lambda t, b: t == f"{base}/error/{source}", what=f"error for {topic}")
    assert err["ok"] is False and err["code"] == code and err["error"]
    # The service is alive and nothing was issued or called.
    assert queue_service.take("ktp")["ticket"] == "A001"


def test_a_repeated_request_id_gets_the_first_outcome_and_does_not_advance_the_queue(queue_service):
    for _ in range(3):
        queue_service.take("ktp")
    first = queue_service.press("1", "next", id="same-press")
    again = queue_service.press("1", "next", id="same-press")
    assert first["ticket"] == again["ticket"] == "A001"
    queue_service.settled()
    assert queue_service.service_state("ktp")["waiting"] == 2
    t1 = queue_service.take("kk", id="same-take")
    t2 = queue_service.take("kk", id="same-take")
    assert t1["ticket"] == t2["ticket"] == "B001" and t1["seq"] == t2["seq"]


def test_a_stale_press_does_nothing(queue_service):
    queue_service.take("ktp")
    queue_service.take("ktp")
    queue_service.press("1", "next", expect=None)
    err = queue_service.press("1", "next", expect=None)  # the panel still thinks it is idle
    assert err["code"] == "stale"
    assert queue_service.counter_state("1")["ticket"] == "A001"


def test_presses_made_while_the_service_is_down_are_applied_when_it_returns(queue_service):
    for _ in range(3):
        queue_service.take("ktp")
    queue_service.stop()
    for i in range(3):
        queue_service.press("2", "next", wait=False, id=f"offline-{i}")
    queue_service.start()
    _, state = queue_service.watcher.wait_for(
        lambda t, b: t.endswith("/counter/2/state") and b.get("request") == "offline-2",
        what="presses delivered from the broker's session")
    assert state["ticket"] == "A003"
    calls = [b["ticket"] for b in queue_service.watcher.bodies("/call")]
    assert calls == ["A001", "A002", "A003"]


def test_state_survives_a_restart_and_numbering_continues(queue_service):
    queue_service.take("ktp")
    queue_service.take("ktp")
    queue_service.press("1", "next")
    queue_service.stop()
    queue_service.start()
    assert queue_service.counter_state("1")["ticket"] == "A001"
    assert queue_service.take("ktp")["ticket"] == "A003"


def test_clean_shutdown_says_offline(queue_service):
    queue_service.stop()
    _, lwt = queue_service.watcher.wait_for(
        lambda t, b: t.endswith("/tele/queue/lwt") and b in (b"offline", "offline"),
        what="offline")


def test_an_mqtt5_requester_gets_the_outcome_on_its_response_topic(queue_service):
    import paho.mqtt.client as paho
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties

    queue_service.take("ktp")
    w = queue_service.watcher
    mine = f"{queue_service.base}/reply/counter-2/p1"     # the watcher hears antrian/#
    props = Properties(PacketTypes.PUBLISH)
    props.ResponseTopic = mine
    props.CorrelationData = b"42"
    w.client.publish(f"{queue_service.base}/counter/2/press",
                     json.dumps({"action": "next", "id": "rr-1"}), qos=1, properties=props)
    _, reply = w.wait_for(lambda t, b: t == mine, what="v5 reply")
    assert reply["ok"] is True and reply["data"]["ticket"] == "A001"


def test_every_acknowledged_event_is_in_the_sqlite_log(queue_service):
    for _ in range(5):
        queue_service.take("ktp")
    queue_service.press("1", "next")
    db = sqlite3.connect(queue_service.db)
    types = [r[0] for r in db.execute("SELECT type FROM events ORDER BY seq")]
    seqs = [r[0] for r in db.execute("SELECT seq FROM events ORDER BY seq")]
    assert types.count("issued") == 5 and "called" in types
    assert seqs == list(range(1, len(seqs) + 1))
