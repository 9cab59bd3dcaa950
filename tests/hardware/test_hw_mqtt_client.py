"""The MQTT edge every device and console shares (mqtt/client.py, mqtt/consumer.py), against a
real Mosquitto: one request/reply helper that waits for the SUBACK, replies only on reply
topics, and failures a technician can act on (issues 11, 12, 16)."""

from __future__ import annotations

import json
import logging
import time

import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from antrian import config
from maintenance.maint_kit import antrian, write_locked_site
from mqtt.client import Connection
from mqtt.consumer import (TICKET_LABEL, BadMessages, BrokerUnreachable, LoginRefused, NoAnswer,
                           Requester, clean_text, connect, plausible_stamp)
from mqtt.topics import Topics
from support.broker import Mosquitto, free_port
from support.mqtt import Watcher
from support.site import write_site
from support.waiting import wait_for

pytestmark = pytest.mark.broker


# -- pure rules -----------------------------------------------------------------------------------

def reply_account(site: str, topic):
    return Topics(site).reply_owner(topic)


def test_only_a_reply_topic_of_this_site_names_an_account():
    assert reply_account("test", "antrian/test/reply/counter-3/press") == "counter-3"
    assert reply_account("test", Topics("test").reply("ops-andi", "ctl-1")) == "ops-andi"
    for hostile in ["antrian/test/cmnd/kiosk-k1/identify", "antrian/test/tele/queue/lwt",
                    "antrian/test/message", "antrian/other/reply/ops/x", "antrian/test/reply",
                    "antrian/test/reply/+/x", "antrian/test/reply/ops/#",
                    "antrian/test/reply//x", "antrian/test/reply/ops/\x00",
                    "antrian/test/reply/" + "a" * 300, None]:
        assert reply_account("test", hostile) is None, hostile


def test_clean_text_removes_control_and_format_characters_and_caps_the_length():
    assert clean_text("A\x1b@0\x1dV\x0012\u202e3") == "A@0V123"
    assert clean_text("Loket\n1\tbuka") == "Loket 1 buka"
    assert clean_text("Pelayanan 😀 KTP-el") == "Pelayanan 😀 KTP-el"
    assert clean_text("x" * 10_000, 50) == "x" * 50
    assert clean_text(None) == "" and clean_text(12) == "12"


def test_a_stamp_and_a_ticket_label_are_what_a_queue_service_can_publish():
    assert plausible_stamp("2026-11-30", 0) and plausible_stamp("2026-11-30", 2**53)
    for day, seq in [("2026-11-30", -1), ("2026-11-30", 2**53 + 1), ("2026-11-30", True),
                     ("2026-11-30", 1.5), ("9999", 1), ("2026-11-30\n", 1), (None, 1)]:
        assert not plausible_stamp(day, seq), (day, seq)
    for label in ("A012", "4K-010", "1A.7", "B 001"):
        assert TICKET_LABEL.match(label)
    for label in ("", "-A1", "A\x1b01", "A" * 21, "A\u202e01", "<b>1</b>"):
        assert not TICKET_LABEL.match(label), label


def test_a_flood_of_bad_messages_is_logged_once_per_topic_and_counted(caplog):
    bad = BadMessages(logging.getLogger("t"), every=1000)
    with caplog.at_level(logging.ERROR, logger="t"):
        for i in range(2500):
            bad.skip("antrian/test/counter/1/state", ValueError(f"bad {i}\x1b[2J"))
        bad.skip("antrian/test/ticket", ValueError("x"))
    assert bad.count == 2501
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2 + 2       # the first per topic, then one line per thousand
    assert all("\x1b" not in line for line in lines)


# -- the request/reply helper ---------------------------------------------------------------------

def answering(broker: Mosquitto, topic: str, answer):
    """A responder that answers each request on ``topic`` at once, as fast as it can: a
    request sent before the SUBACK of its reply topic would lose its answer."""
    w = Watcher(broker.port, topics=[topic])

    def on_message(client, userdata, m):
        props = Properties(PacketTypes.PUBLISH)
        props.CorrelationData = m.properties.CorrelationData
        client.publish(m.properties.ResponseTopic, json.dumps(answer(m.payload)), qos=1,
                       properties=props)
    w.client.on_message = on_message
    return w


def test_a_request_is_answered_on_the_requesters_own_reply_topic(tmp_path, broker):
    site = config.load(write_site(tmp_path / "site.toml", broker.port))
    topic = "antrian/test/cmnd/queue/status"
    seen: list[str] = []
    responder = answering(broker, topic, lambda p: {"ok": True, "echo": json.loads(p)})
    responder.client.on_message, inner = (
        lambda c, u, m: (seen.append(m.properties.ResponseTopic), inner(c, u, m)),
        responder.client.on_message)
    try:
        for i in range(20):       # a fresh client each time: each must wait for its SUBACK
            conn = Connection(site, "ctl", presence=False, account="ops")
            with Requester(conn).start(5) as ask:
                reply = json.loads(ask.request(topic, {"n": i}, timeout=5))
            assert reply == {"ok": True, "echo": {"n": i}}
        assert all(reply_account("test", t) == "ctl" for t in seen)   # anonymous: the component
    finally:
        responder.close()


def test_a_request_nobody_answers_raises_no_answer_naming_it(tmp_path, broker):
    site = config.load(write_site(tmp_path / "site.toml", broker.port))
    with Requester(Connection(site, "cli", presence=False)).start(5) as ask:
        with pytest.raises(NoAnswer, match="take r1"):
            ask.request("antrian/test/kiosk/k1/take", {"id": "r1"}, timeout=0.3, what="take r1")
        assert ask.barrier(timeout=5)       # our own marker comes back: the client still works


def test_a_component_never_replies_on_a_topic_outside_reply(tmp_path, broker, caplog):
    site = config.load(write_site(tmp_path / "site.toml", broker.port))
    conn = Connection(site, "queue", presence=False)
    connect(conn, 5)
    watcher = Watcher(broker.port, topics=["antrian/test/#"])
    try:
        class Message:
            topic = "antrian/test/kiosk/k1/take"
            properties = Properties(PacketTypes.PUBLISH)
        hostile = Message()
        hostile.properties.ResponseTopic = "antrian/test/cmnd/kiosk-k1/identify"
        good = Message()
        good.properties = Properties(PacketTypes.PUBLISH)
        good.properties.ResponseTopic = "antrian/test/reply/kiosk-k1/take"
        with caplog.at_level(logging.WARNING, logger="mqtt.client"):
            for _ in range(50):
                assert conn.reply(hostile, b'{"ok": false}') is False
        assert conn.reply(good, b'{"ok": true}') is True
        # The good reply came; the broker keeps one client's messages in order.
        watcher.wait_for(lambda t, b: t.endswith("/reply/kiosk-k1/take"), what="the good reply")
        assert not [t for t, _, _ in watcher.messages if "/cmnd/" in t]
        assert sum("not answering" in r.getMessage() for r in caplog.records) == 1
    finally:
        watcher.close()
        conn.stop()


# -- failures a technician can act on -------------------------------------------------------------

def test_a_broker_that_is_not_there_is_named_with_host_port_and_reason_within_seconds(tmp_path,
                                                                                      caplog):
    port = free_port()
    site = config.load(write_site(tmp_path / "site.toml", port))
    conn = Connection(site, "board-lobby")
    with caplog.at_level(logging.ERROR, logger="mqtt.client"):
        started = time.time()
        conn.start()
        try:
            wait_for(lambda: conn.failures >= 2, timeout=8, what="two failed attempts")
        finally:
            conn.stop()
    said = [r.getMessage() for r in caplog.records if "cannot reach" in r.getMessage()]
    assert said == [f"board-lobby cannot reach the broker at 127.0.0.1:{port}: "
                    "connection refused; retrying"]          # once, not at every retry
    first = next(r for r in caplog.records if "cannot reach" in r.getMessage())
    assert first.created - started < 2.5


def test_an_unknown_broker_host_is_said_as_such(tmp_path):
    site_file = write_site(tmp_path / "site.toml", free_port())
    site_file.write_text(site_file.read_text().replace('host = "127.0.0.1"',
                                                       'host = "mqtt.invalid"'))
    conn = Connection(config.load(site_file), "cli", presence=False)
    with pytest.raises(BrokerUnreachable, match=r"mqtt.invalid:\d+: unknown host"):
        connect(conn, 3)


@pytest.fixture
def locked(tmp_path):
    port = free_port()
    site = write_locked_site(tmp_path, port)
    with Mosquitto(tmp_path, port=port, config=site.conf) as broker:
        yield site, broker


def test_a_wrong_password_names_the_account_and_the_secrets_file_once(locked, caplog):
    site_info, _ = locked
    secrets = site_info.site_file.parent / "secrets.toml"
    secrets.write_text(secrets.read_text().replace(site_info.password("counter-3"), "wrong"))
    conn = Connection(config.load(site_info.site_file), "counter-3")
    with caplog.at_level(logging.ERROR, logger="mqtt.client"):
        conn.start()
        try:
            wait_for(lambda: conn.failures >= 2, timeout=10, what="two refused attempts")
        finally:
            conn.stop()
    said = [r.getMessage() for r in caplog.records]
    assert len(said) == 1, said
    assert "refused counter-3: not authorized" in said[0] and f"from {secrets}" in said[0]


def test_ctl_and_watch_without_the_ops_password_say_the_login_was_refused(locked):
    site_info, _ = locked
    secrets = site_info.site_file.parent / "secrets.toml"
    secrets.write_text("\n".join(line for line in secrets.read_text().splitlines()
                                 if not line.startswith("ops ")))
    cfg = str(site_info.site_file)
    for args in (["ctl", "--config", cfg, "queue", "status", "--timeout", "5"],
                 ["watch", "--config", cfg, "--once", "--timeout", "5"]):
        result = antrian(*args, timeout=20)
        assert result.returncode != 0
        assert "refused the login" in result.stderr, result.stderr
        assert "cannot reach" not in result.stderr


def test_ctl_with_the_broker_down_says_where_it_looked(tmp_path):
    port = free_port()
    site = write_site(tmp_path / "site.toml", port)
    result = antrian("ctl", "--config", str(site), "queue", "status", "--timeout", "1.5")
    assert result.returncode == 3
    assert f"cannot reach the broker at 127.0.0.1:{port}: connection refused" in result.stderr


def test_a_refusal_is_seen_at_once_not_after_the_timeout(locked):
    site_info, _ = locked
    site = config.load(site_info.site_file)
    conn = Connection(site, "ctl", presence=False, credentials=("ops", "wrong"))
    t0 = time.monotonic()
    with pytest.raises(LoginRefused, match="refused the login of ops"):
        connect(conn, 30)
    assert time.monotonic() - t0 < 5


def test_a_second_copy_of_a_component_is_told_loudly(tmp_path, broker, caplog):
    site = config.load(write_site(tmp_path / "site.toml", broker.port))
    first = Connection(site, "counter-1")
    with caplog.at_level(logging.ERROR, logger="mqtt.client"):
        connect(first, 5)
        second = Connection(site, "counter-1")     # the same client id: a second copy
        try:
            connect(second, 5)
            # Mosquitto 2.0 just closes the first one's socket; paho reconnects in 1-5 s and
            # pushes the second off in turn: three short sessions in a row are the sign.
            wait_for(lambda: first.takeovers + second.takeovers >= 1, timeout=30,
                     what="a copy told")
        finally:
            second.stop()
            first.stop()
    said = [r.getMessage() for r in caplog.records if "second copy" in r.getMessage()]
    assert said and "is a second copy of counter-1 running with client id " \
        "antrian-test-counter-1?" in said[0]


def test_a_connect_hook_finds_the_connection_connected(broker, tmp_path):
    """Hooks hand work to other threads (the queue service's republish after every connect);
    that thread must not find the connection still "not connected": it dropped the republish,
    and a service restarted under load left its services' states unpublished."""
    site = config.load(write_site(tmp_path / "site.toml", broker.port))
    conn = Connection(site, "hooked", presence=False)
    seen: list[bool] = []
    conn.on_connect(lambda: seen.append(conn.connected.is_set()))
    conn.start()
    try:
        wait_for(lambda: seen, 10, what="the connect hook")
        assert seen == [True]
        broker.restart()
        wait_for(lambda: len(seen) == 2, 20, what="the hook after the broker's restart")
        assert seen == [True, True]
    finally:
        conn.stop()
