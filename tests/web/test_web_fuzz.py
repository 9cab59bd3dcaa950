"""The page's consumer under hostile, contract-shaped state (issue 12: consumers never die on
data): hypothesis sends service and counter states and calls with huge, negative, tiny and odd
values, control and bidi characters and long text; after each, the page rebuilds, answers a
ticket lookup and serialises its document, and a good state afterwards shows as it should."""

from __future__ import annotations

import json

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mqtt.topics import Topics
from web.public import PublicState
from web.snapshot import visible
from test_web_public import DAY, NOW, SITE, counter, service

TOPICS = Topics("t")
numbers = st.one_of(st.integers(-2**63, 2**63 - 1), st.floats(allow_nan=False, allow_infinity=False),
                    st.sampled_from([0, -1, 1e300, -1e300, 5e-324, 2**53]))
texts = st.one_of(st.text(max_size=40), st.sampled_from(["\u202e", "\x00", "\u200b" * 50,
                                                          "😀" * 30, "A" * 5000, ""]))
labels = st.one_of(texts, st.sampled_from(["A001", "A005", "2A-001", "a5"]))


def hostile_service():
    return st.fixed_dictionaries({
        "service": st.sampled_from(["ktp", "tilang", "zz"]), "name": texts, "agency": texts,
        "prefix": texts, "day": st.sampled_from([DAY, "2026-12-01", "1970-01-01", "9999-12-31"]),
        "waiting": numbers, "waiting_tickets": st.lists(labels, max_size=30),
        "priority_waiting": numbers, "last_issued": st.none() | labels, "issued": numbers,
        "serving": st.lists(st.fixed_dictionaries({"ticket": labels, "counter": texts,
                                                   "since": numbers}), max_size=4),
        "missed": st.lists(labels, max_size=10), "counters_open": st.lists(texts, max_size=5),
        "done": numbers, "est_wait_s": st.none() | numbers, "avg_service_s": numbers,
        "seq": st.integers(-5, 10**12), "ts": numbers,
        "status": st.none() | st.dictionaries(texts, texts | numbers, max_size=3),
        "standard": st.none() | st.dictionaries(texts, texts | numbers, max_size=3)})


def hostile_counter():
    return st.fixed_dictionaries({
        "counter": st.sampled_from(["1", "2", "9"]), "name": texts, "open": st.booleans(),
        "ticket": st.none() | labels, "service": st.none() | st.sampled_from(["ktp", "zz"]),
        "since": st.none() | numbers, "request": st.none() | texts,
        "services": st.lists(st.sampled_from(["ktp", "tilang", "zz"]), max_size=3),
        "day": st.sampled_from([DAY, "2026-12-01"]), "seq": st.integers(-5, 10**12),
        "ts": numbers, "closed_until": st.none() | numbers, "closed_reason": st.none() | texts})


messages = st.lists(st.one_of(
    st.tuples(st.just("service"), hostile_service()),
    st.tuples(st.just("counter"), hostile_counter()),
    st.tuples(st.just("call"), st.fixed_dictionaries({
        "ticket": labels, "service": texts, "counter": texts, "counter_name": texts,
        "kind": st.sampled_from(["call", "recall"]), "seq": st.integers(-5, 10**12),
        "ts": numbers})),
    st.tuples(st.just("message"), st.fixed_dictionaries({"text": texts, "ts": numbers}))),
    min_size=1, max_size=6)


def topic_of(kind: str, body: dict) -> str:
    if kind == "service":
        return TOPICS.service_state(body["service"])
    if kind == "counter":
        return TOPICS.counter_state(body["counter"])
    return TOPICS.call if kind == "call" else TOPICS.message


@settings(max_examples=400, deadline=None, database=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(batch=messages, retained=st.booleans())
def test_hostile_states_never_stop_the_page_and_a_good_one_still_shows(batch, retained):
    p = PublicState(SITE)
    p.set_connected(True)
    p.receive(TOPICS.lwt("queue"), b"online")
    p.receive(TOPICS.lwt("web"), b"online")
    for kind, body in batch:
        p.receive(topic_of(kind, body), json.dumps(body).encode(), retained=retained)
        p.rebuild(NOW)
        msgspec.json.encode(p.document)
        for label in ("A005", "a5", "2A-1"):
            status, answer = p.ticket(label, None, NOW)
            assert status in (200, 400), (status, answer)
    text = json.dumps(p.document, ensure_ascii=False)
    if p.message:
        assert p.message["text"] == visible(p.message["text"])
    assert "\u202e" not in (p.message or {}).get("text", "")
    assert text
    # the queue's next good state (a later seq, retained as after a restart) shows as it is
    p.receive(TOPICS.service_state("ktp"), service(seq=10**13), retained=True)
    p.receive(TOPICS.counter_state("1"), counter(seq=10**13), retained=True)
    p.rebuild(NOW + 10)
    status, answer = p.ticket("A006", None, NOW + 10)
    assert status == 200 and answer["status"] == "waiting" and answer["position"] == 2
