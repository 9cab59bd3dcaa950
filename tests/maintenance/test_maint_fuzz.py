"""Fuzz every topic the queue service subscribes to (press, take, cmnd) over a real broker.

Random bytes, wrong JSON types, huge payloads and unknown ids: the service stays up, every
request gets a clear refusal on its MQTT v5 response topic (and the error or stat topic), and
the queue's state is exactly what it was. The number of cases tried is printed and saved to
tests/artifacts/maintenance-fuzz.json.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


from maint_kit import Client, Fuzzer, queue_state as state_of  # noqa: E402
from maint_strategies import ids, payloads  # noqa: E402

from mqtt import schemas  # noqa: E402
from support.site import write_site  # noqa: E402


@pytest.fixture
def site_file(tmp_path, broker):
    """The small site without rate limits: the fuzzer sends hundreds of cases a second."""
    return write_site(tmp_path / "site.toml", broker.port,
                      "[queue]\nrate_per_s = 100000\nburst = 100000\n")


def device_case(fuzz, kind: str, ident: str, topic: str, payload: bytes) -> dict | None:
    """A request from device ``<kind>-<ident>``, answered on that device's own reply subtree.
    A sender that cannot be a device (its id is no id) is not answered at all: shown by a
    ``status`` command answered after it, with nothing for the junk request before."""
    if SAFE_ID.match(ident):
        return fuzz.case(kind, topic, payload, reply=f"{B}/reply/{kind_of(kind)}-{ident}/fuzz")
    mark = len(fuzz.client.messages)
    fuzz.client.publish(topic, payload, response_topic=REPLY, correlation=b"junk")
    fuzz.case("cmnd", f"{B}/cmnd/queue/status", b"{}")
    with fuzz.client.cond:
        heard = [t for t, _, _, props in fuzz.client.messages[mark:]
                 if getattr(props, "CorrelationData", None) == b"junk"]
    assert heard == [], f"a reply went to a sender that is no device: {heard}"
    return None


def kind_of(kind: str) -> str:
    return "counter" if kind == "press" else "kiosk"

pytestmark = [pytest.mark.broker, pytest.mark.slow]
B = "antrian/test"
REPLY = f"{B}/reply/ops/fuzz"   # a console's reply subtree: where commands are answered
SAFE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
CASES = {"press": 200, "take": 130, "cmnd": 170}
FUZZ = settings(deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])

ACTIONS = ["next", "recall", "skip", "call", "transfer", "open", "close", "break", "nxt"]
COMMANDS = ["status", "help", "reload", "reset", "assign", "open", "close", "message", "stats",
            "Status", "RESET", ""]
def test_fuzzing_every_subscribed_topic_changes_nothing_and_gets_clear_refusals(
        queue_service, artifacts):
    site = queue_service.site
    # A day in progress: tickets waiting, a counter serving one.
    for service in ("ktp", "ktp", "kk", "skck"):
        queue_service.take(service)
    queue_service.press("1", "next")
    queue_service.settled()     # the press's service states and recent calls are retained too
    before = state_of(queue_service.broker.port)
    assert before["tickets"] == 4 and before["waiting"] == 3
    fuzz = Fuzzer(Client(queue_service.broker.port, topics=[f"{B}/reply/#"], name="fuzz"), REPLY)

    press_fields = {"action": st.sampled_from(ACTIONS), "id": st.text(max_size=70),
                    "ticket": st.sampled_from(["A001", "A002", "Z9"]), "to": st.sampled_from(["kk", "x"]),
                    "expect": st.sampled_from([None, "A001"]), "ts": st.floats(0, 2e9),
                    "until": st.floats(0, 2e9), "reason": st.text(max_size=120)}

    known = st.sampled_from(sorted(site.counters))

    @settings(FUZZ, max_examples=CASES["press"])
    @given(counter=st.one_of(known, known, ids),
           payload=payloads(press_fields))
    def presses(counter, payload):
        try:
            schemas.decode_press(payload)
            valid = True
        except schemas.BadMessage:
            valid = False
        if valid and counter in site.counters:
            counter = f"nope-{counter}"       # a valid press must not run: an unknown counter
        reply = device_case(fuzz, "press", counter, f"{B}/counter/{counter}/press", payload)
        assert reply is None or reply["ok"] is False and reply["error"] and reply["code"] in (
            "bad_request", "unknown_counter"), reply

    take_fields = {"service": st.sampled_from(["ktp", "skck", "nope"]), "id": st.text(max_size=70),
                   "priority": st.booleans()}

    kiosks = st.sampled_from(sorted(site.kiosks))

    @settings(FUZZ, max_examples=CASES["take"])
    @given(kiosk=st.one_of(kiosks, kiosks, ids), payload=payloads(take_fields))
    def takes(kiosk, payload):
        try:
            take = schemas.decode_take(payload)
        except schemas.BadMessage:
            take = None
        if take and kiosk in site.kiosks and take.service in site.kiosks[kiosk].services:
            kiosk = f"nope-{kiosk}"
        reply = device_case(fuzz, "take", kiosk, f"{B}/kiosk/{kiosk}/take", payload)
        assert reply is None or reply["ok"] is False and reply["error"] and reply["code"] in (
            "bad_request", "unknown_service", "closed", "not_allowed"), reply

    command_fields = {"confirm": st.just(False), "service": st.sampled_from(["ktp", "zzz"]),
                      "counter": st.sampled_from(["1", "99"]), "services": st.just(["ktp"]),
                      "text": st.text(max_size=10), "transaction": st.text(max_size=10)}

    @settings(FUZZ, max_examples=CASES["cmnd"])
    @given(name=st.one_of(st.sampled_from(COMMANDS), ids), payload=payloads(command_fields))
    def commands(name, payload):
        if would_change_state(name, payload, site):
            name = f"x-{name}"
        reply = fuzz.case("cmnd", f"{B}/cmnd/queue/{name}", payload)
        assert isinstance(reply["ok"], bool)
        if not reply["ok"]:
            assert isinstance(reply["error"], str) and reply["error"]
        else:
            assert name.lower() in ("status", "help", "stats", "reload"), reply

    try:
        presses()
        takes()
        commands()
    finally:
        summary = {"cases": fuzz.n, "by_topic": dict(Counter(k for k, _ in fuzz.tally.elements())),
                   "outcomes": {f"{k}:{o}": n for (k, o), n in sorted(fuzz.tally.items())}}
        (artifacts / "maintenance-fuzz.json").write_text(json.dumps(summary, indent=1))
        print(f"\nfuzz: {fuzz.n} cases over MQTT: {summary['outcomes']}")
        fuzz.client.close()

    assert queue_service.proc.poll() is None, "the queue service died"
    assert fuzz.n >= sum(CASES.values()) * 0.9
    after = state_of(queue_service.broker.port)
    assert after == before, diff(before, after)
    # Refusals also went to the error topics, as the contract says.
    assert queue_service.watcher.bodies("/error/counter-1")


def diff(before: dict, after: dict) -> str:
    out = []
    for topic in sorted(set(before["retained"]) | set(after["retained"])):
        a, b = before["retained"].get(topic), after["retained"].get(topic)
        if a != b:
            keys = {k for k in (a or {}) if (a or {}).get(k) != (b or {}).get(k)} if \
                isinstance(a, dict) and isinstance(b, dict) else "whole"
            out.append(f"{topic}: {keys}: {a} -> {b}")
    return "\n".join(out)


def would_change_state(name: str, payload: bytes, site) -> bool:
    """Whether this command, if it parsed, could change the queue (then the case is renamed:
    the fuzz sends only what must be refused or only reads)."""
    try:
        args = json.loads(payload) if payload.strip() else {}   # as Maintenance reads it
    except (ValueError, UnicodeDecodeError):
        return False
    if not isinstance(args, dict) or len(payload) > 64 * 1024:
        return False
    name = name.lower()
    if name == "reset":
        return args.get("confirm") is True
    if name == "assign":
        return isinstance(args.get("counter"), str) and isinstance(args.get("services"), list)
    if name in ("open", "close"):
        return isinstance(args.get("counter"), str)
    if name == "message":
        text = args.get("text", "")
        return isinstance(text, str) and len(text) <= 500
    return False


def test_would_change_state_recognises_the_commands_that_act():
    assert would_change_state("RESET", b'{"confirm": true}', None)
    assert not would_change_state("reset", b'{"confirm": 1}', None)
    assert would_change_state("message", b"{}", None)          # no text: clears the message
    assert would_change_state("message", b" ", None)
    assert not would_change_state("message", b'{"text": 5}', None)
    assert would_change_state("open", b'{"counter": "99"}', None)
    assert not would_change_state("status", b"{}", None)
