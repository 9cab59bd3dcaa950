"""Decoding requests: the documented shapes are accepted, anything else is a BadMessage (and
never another exception, which would kill the queue service's thread)."""

from __future__ import annotations

import json

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mqtt import schemas
from mqtt.schemas import (MAX_PAYLOAD, BadMessage, decode_press, decode_state, decode_take,
                          request_id_of)

FUZZ = settings(max_examples=300, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow])


# -- the documented shapes -------------------------------------------------------------------------

def test_the_documented_press_decodes():
    press = decode_press(b'{"action": "next", "id": "c1-000042", "expect": "A011"}')
    assert (press.action, press.id, press.expect) == ("next", "c1-000042", "A011")
    assert press.ticket is None and press.to is None and press.ts is None


def test_expect_null_and_expect_absent_are_told_apart():
    assert decode_press(b'{"action": "next", "id": "1", "expect": null}').expect is None
    assert decode_press(b'{"action": "next", "id": "1"}').expect is msgspec.UNSET


@pytest.mark.parametrize("action", ["next", "recall", "skip", "open", "close"])
def test_every_action_without_arguments_decodes(action):
    assert decode_press(json.dumps({"action": action, "id": "x"}).encode()).action == action


def test_call_carries_a_ticket_and_transfer_a_service():
    call = decode_press(b'{"action": "call", "id": "c1-9", "ticket": "A009"}')
    assert call.ticket == "A009"
    transfer = decode_press(b'{"action": "transfer", "id": "c1-10", "to": "kk"}')
    assert transfer.to == "kk"


def test_close_may_say_until_when_and_why():
    press = decode_press(b'{"action": "close", "id": "1", "until": 1764303600, '
                         b'"reason": "Istirahat"}')
    assert (press.until, press.reason) == (1764303600.0, "Istirahat")


def test_a_panel_may_send_when_the_press_was_made():
    assert decode_press(b'{"action": "next", "id": "1", "ts": 1764300000.25}').ts == 1764300000.25
    assert decode_press(b'{"action": "next", "id": "1", "ts": 1764300000}').ts == 1764300000.0


def test_fields_added_by_later_versions_of_the_contract_are_ignored():
    press = decode_press(b'{"action": "next", "id": "1", "panel": {"fw": "1.2"}, "x": [1, 2]}')
    assert press.action == "next"
    assert decode_take(b'{"service": "ktp", "id": "k", "lang": "id"}').service == "ktp"


def test_the_documented_take_decodes_and_priority_defaults_to_false():
    take = decode_take(b'{"service": "ktp", "id": "k1-000007", "priority": false}')
    assert (take.service, take.id, take.priority) == ("ktp", "k1-000007", False)
    assert decode_take(b'{"service": "ktp", "id": "k1-8"}').priority is False
    assert decode_take(b'{"service": "ktp", "id": "k1-9", "priority": true}').priority is True


def test_an_id_of_exactly_64_safe_characters_is_accepted_and_65_or_unsafe_ones_are_not():
    assert decode_press(json.dumps({"action": "next", "id": "x" * 64}).encode()).id == "x" * 64
    assert decode_take(json.dumps({"service": "a", "id": "k1:7.a_b~c-d"}).encode()).id
    for bad in ("x" * 65, "é", "a b", "a/b", "a\u0000", "+", "#"):
        with pytest.raises(BadMessage):
            decode_take(json.dumps({"service": "a", "id": bad}).encode())


def test_a_reason_is_stripped_of_hidden_characters_and_capped():
    hostile = "Istirahat\x00\u202e\u200b\x1b[2J" + "x" * 300
    press = decode_press(json.dumps({"action": "close", "id": "1", "reason": hostile}).encode())
    assert press.reason.startswith("Istirahat[2J") and len(press.reason) == 100
    blank = decode_press(json.dumps({"action": "close", "id": "1", "reason": "\u200b"}).encode())
    assert blank.reason is None


def test_an_until_or_ts_beyond_a_float_or_not_finite_is_refused():
    for raw in (b"1e999", b"-1e999", b"NaN", b"Infinity"):
        with pytest.raises(BadMessage):
            decode_press(b'{"action": "close", "id": "1", "until": ' + raw + b"}")


def test_a_payload_of_exactly_the_limit_is_read():
    body = json.dumps({"action": "next", "id": "1", "pad": ""}).encode()
    body = body.replace(b'""', b'"' + b" " * (MAX_PAYLOAD - len(body)) + b'"')
    assert len(body) == MAX_PAYLOAD
    assert decode_press(body).action == "next"


# -- refusals --------------------------------------------------------------------------------------

PRESS_REFUSED = {
    "not json": b"next",
    "truncated": b'{"action": "next", "id": "1"',
    "empty": b"",
    "a list": b'["next"]',
    "null": b"null",
    "a number": b"42",
    "no id": b'{"action": "next"}',
    "no action": b'{"id": "1"}',
    "unknown action": b'{"action": "nxt", "id": "1"}',
    "action in capitals": b'{"action": "NEXT", "id": "1"}',
    "action a number": b'{"action": 1, "id": "1"}',
    "id a number": b'{"action": "next", "id": 42}',
    "id null": b'{"action": "next", "id": null}',
    "empty id": b'{"action": "next", "id": ""}',
    "id too long": json.dumps({"action": "next", "id": "x" * 65}).encode(),
    "expect a number": b'{"action": "next", "id": "1", "expect": 11}',
    "ticket a list": b'{"action": "call", "id": "1", "ticket": ["A001"]}',
    "call without ticket": b'{"action": "call", "id": "1"}',
    "call with empty ticket": b'{"action": "call", "id": "1", "ticket": ""}',
    "transfer without to": b'{"action": "transfer", "id": "1"}',
    "transfer to null": b'{"action": "transfer", "id": "1", "to": null}',
    "ts a string": b'{"action": "next", "id": "1", "ts": "now"}',
    "NaN": b'{"action": "next", "id": "1", "ts": NaN}',
    "reason far too long": json.dumps({"action": "close", "id": "1", "reason": "x" * 401}).encode(),
    "call of a ticket that is no ticket": b'{"action": "call", "id": "1", "ticket": "A\\u0000"}',
    "transfer to a topic": b'{"action": "transfer", "id": "1", "to": "a/#"}',
    "not utf-8": b"\xff\xfe\x00n\x00e\x00x\x00t",
    "not utf-8 inside a string": b'{"action": "next", "id": "\xff\xfe"}',
    "not utf-8 in an ignored field": b'{"action": "next", "id": "1", "x": "\xc3\x28"}',
    "lone surrogate escape": b'{"action": "next", "id": "\\ud800"}',
    "too large": json.dumps({"action": "next", "id": "1", "pad": "x" * MAX_PAYLOAD}).encode(),
    "deeply nested": b'{"action": "next", "id": "1", "x": ' + b"[" * 2000 + b"]" * 2000 + b"}",
    "deeply nested object": b'{"x": ' + b'{"a": ' * 600 + b"1" + b"}" * 600 + b"}",
    "deeply nested array": b"[" * 4000,
}

TAKE_REFUSED = {
    "not json": b"ktp",
    "no service": b'{"id": "1"}',
    "no id": b'{"service": "ktp"}',
    "service a number": b'{"service": 5, "id": "1"}',
    "priority a string": b'{"service": "ktp", "id": "1", "priority": "yes"}',
    "priority a number": b'{"service": "ktp", "id": "1", "priority": 1}',
    "empty id": b'{"service": "ktp", "id": ""}',
    "id too long": json.dumps({"service": "ktp", "id": "é" * 65}).encode(),
    "not utf-8": b'{"service": "\xe9", "id": "1"}',
    "too large": b" " * (MAX_PAYLOAD + 1),
    "deeply nested": b'{"service": "ktp", "id": "1", "x": ' + b"[" * 2000 + b"]" * 2000 + b"}",
}


@pytest.mark.parametrize("payload", PRESS_REFUSED.values(), ids=PRESS_REFUSED.keys())
def test_a_malformed_press_is_refused_with_bad_message_only(payload):
    with pytest.raises(BadMessage) as refused:
        decode_press(payload)
    assert str(refused.value)


@pytest.mark.parametrize("payload", TAKE_REFUSED.values(), ids=TAKE_REFUSED.keys())
def test_a_malformed_take_is_refused_with_bad_message_only(payload):
    with pytest.raises(BadMessage):
        decode_take(payload)


def test_the_refusal_says_what_is_wrong():
    with pytest.raises(BadMessage, match="too large"):
        decode_press(b" " * (MAX_PAYLOAD + 1))
    with pytest.raises(BadMessage, match="not JSON"):
        decode_press(b"{")
    with pytest.raises(BadMessage, match="action"):
        decode_press(b'{"action": "nxt", "id": "1"}')
    with pytest.raises(BadMessage, match="id"):
        decode_press(b'{"action": "next", "id": ""}')
    with pytest.raises(BadMessage, match="ticket"):
        decode_press(b'{"action": "call", "id": "1"}')
    with pytest.raises(BadMessage, match="to"):
        decode_press(b'{"action": "transfer", "id": "1"}')


def test_bad_message_is_a_value_error():
    assert issubclass(BadMessage, ValueError)


# -- echoing the id of a refused request ------------------------------------------------------------

@pytest.mark.parametrize("payload, rid", [
    (b'{"action": "nxt", "id": "c1-7"}', "c1-7"),
    (b'{"service": 5, "id": "k1-3"}', "k1-3"),
    (b'{"id": 5}', None),
    (json.dumps({"id": "x" * 65}).encode(), None),
    (b"[1, 2]", None),
    (b"{", None),
    (b"\xff", None),
    (b'{"id": "\xff"}', None),
    (b"[" * 4000, None),
    (b'{"id": "1", "x": ' + b"[" * 3000 + b"]" * 3000 + b"}", None),
])
def test_the_id_of_a_refused_request_is_echoed_when_it_can_be_read(payload, rid):
    assert request_id_of(payload) == rid


# -- retained state, as the consumers read it ---------------------------------------------------------

def test_a_counter_state_survives_encoding_and_decoding():
    state = schemas.CounterState(counter="1", name="Loket 1", open=True, ticket="A013",
                                 service="ktp", since=1764300000.0, request="c1-000042",
                                 services=["ktp", "kk"], day="2026-11-28", seq=812,
                                 ts=1764300012.5)
    assert decode_state(schemas.encode(state), schemas.CounterState) == state


def test_the_documented_service_state_decodes():
    doc = (b'{"service": "ktp", "name": "Perekaman KTP-el", "agency": "Disdukcapil", '
           b'"prefix": "A", "day": "2026-11-28", "waiting": 3, '
           b'"waiting_tickets": ["A014", "A015", "A016"], "priority_waiting": 0, '
           b'"last_issued": "A016", "issued": 16, '
           b'"serving": [{"ticket": "A013", "counter": "1", "since": 1764300000.0}], '
           b'"missed": ["A009"], "counters_open": ["1", "2"], "done": 11, '
           b'"est_wait_s": 540.0, "avg_service_s": 270.0, "seq": 812, "ts": 1764300012.5}')
    state = decode_state(doc, schemas.ServiceState)
    assert state.serving[0].counter == "1" and state.waiting_tickets[-1] == "A016"


@pytest.mark.parametrize("payload", [b"", b"{}", b'{"counter": 1}', b"\xff", b"[" * 4000])
def test_a_broken_retained_state_is_a_bad_message(payload):
    with pytest.raises(BadMessage):
        decode_state(payload, schemas.CounterState)


def test_an_error_message_encodes_as_documented():
    body = json.loads(schemas.encode(schemas.Error(error="unknown action 'nxt'", id="c1-000043")))
    assert {k: body[k] for k in ("ok", "error", "id", "code")} == \
        {"ok": False, "error": "unknown action 'nxt'", "id": "c1-000043", "code": "bad_request"}
    assert json.loads(schemas.encode(schemas.Error(error="x")))["id"] is None


# -- fuzzing -----------------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(max_size=80),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner,
                                                                  max_size=5),
    max_leaves=20)
field_values = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                         st.text(max_size=70),
                         st.sampled_from(["next", "recall", "skip", "call", "transfer", "open",
                                          "close", "nxt"]),
                         st.lists(st.integers(), max_size=3))
# documented requests with some fields replaced by values of any type: near misses, not noise
valid_press = st.fixed_dictionaries(
    {"action": st.sampled_from(["next", "recall", "skip", "call", "transfer", "open", "close"]),
     "id": st.text(min_size=1, max_size=64)},
    optional={"ticket": st.text(max_size=6), "to": st.text(max_size=6),
              "expect": st.none() | st.text(max_size=6), "ts": st.floats(allow_nan=False),
              "reason": st.text(max_size=110)})
valid_take = st.fixed_dictionaries({"service": st.text(max_size=10),
                                    "id": st.text(min_size=1, max_size=64)},
                                   optional={"priority": st.booleans()})
near_misses = st.tuples(
    valid_press | valid_take,
    st.dictionaries(st.sampled_from(["action", "id", "ticket", "to", "expect", "ts", "service",
                                     "priority", "reason", "until", "x"]),
                    field_values, max_size=2),
).map(lambda pair: {**pair[0], **pair[1]})

OUTCOMES = {"decoded": 0, "refused": 0}


def _decodes_or_refuses(decode, payload: bytes) -> None:
    try:
        msg = decode(payload)
    except BadMessage:
        OUTCOMES["refused"] += 1
        return
    OUTCOMES["decoded"] += 1
    assert 1 <= len(msg.id) <= 64
    assert schemas.validate.REQUEST_ID.match(msg.id)
    if isinstance(msg, schemas.PressRequest):
        assert msg.action in ("next", "recall", "skip", "call", "transfer", "open", "close")
        assert msg.action != "call" or msg.ticket
        assert msg.action != "transfer" or msg.to


def _echo_is_safe(payload: bytes) -> None:
    rid = request_id_of(payload)
    assert rid is None or (isinstance(rid, str) and len(rid) <= 64)


@FUZZ
@given(st.binary(max_size=300))
def test_random_bytes_never_raise_anything_but_bad_message(payload):
    _decodes_or_refuses(decode_press, payload)
    _decodes_or_refuses(decode_take, payload)
    _echo_is_safe(payload)


@FUZZ
@given(json_values)
def test_random_json_values_never_raise_anything_but_bad_message(value):
    payload = json.dumps(value).encode()
    _decodes_or_refuses(decode_press, payload)
    _decodes_or_refuses(decode_take, payload)
    _echo_is_safe(payload)


TAILS = {"": b"",
         # a repeated "id" whose value is not UTF-8, read last
         "bad utf-8": b'"id": "\xff\xfe"',
         # an extra field nested deeper than the decoder's recursion guard
         "deep": b'"junk": ' + b"[" * 1500 + b"]" * 1500}


@FUZZ
@given(near_misses, st.sampled_from(sorted(TAILS)))
def test_near_miss_objects_are_decoded_or_refused_never_crash(obj, tail):
    payload = json.dumps(obj, ensure_ascii=False).encode()
    if TAILS[tail]:
        payload = payload[:-1] + (b", " if obj else b"") + TAILS[tail] + b"}"
    _decodes_or_refuses(decode_press, payload)
    _decodes_or_refuses(decode_take, payload)
    _echo_is_safe(payload)


# -- what the queue service publishes is what consumers can read ------------------------------------

def test_every_view_of_a_busy_state_decodes_as_its_contract_message():
    from antrian.config import parse
    from mqtt import views
    from ticketing import Press, QueueState, Take, apply, handle, waiting_order

    site = parse({"site": "uji",
                  "service": [{"id": "ktp", "prefix": "A", "name": "KTP", "agency": "Dukcapil"},
                              {"id": "kk", "prefix": "B", "name": "KK", "agency": "Dukcapil"}],
                  "counter": [{"id": "1", "services": ["ktp", "kk"]},
                              {"id": "2", "services": ["ktp"]}],
                  "kiosk": [{"id": "k1"}]})
    state = QueueState.new("2026-11-28", [(s.id, s.prefix, s.separator, s.width, 300.0)
                                          for s in site.services.values()],
                           [(c.id, c.name, c.services) for c in site.counters.values()])
    now, calls, outcome = 1_795_830_000.0, [], None
    for command in (Take("ktp", "kiosk-k1:1", "1", "k1"), Take("kk", "kiosk-k1:2", "2", "k1"),
                    Take("ktp", "kiosk-k1:3", "3", "k1", priority=True),
                    Press("2", "next", "counter-2:a"), Press("1", "next", "counter-1:b"),
                    Press("1", "skip", "counter-1:c")):
        now += 60
        for event in handle(state, command, now):
            apply(state, event)
            if event["type"] == "called":
                calls.append(event)
        outcome = state.requests.get("kiosk-k1:3", outcome)

    for sid in site.services:
        msg = views.service_state(site, state, sid, now)
        assert decode_state(schemas.encode(msg), schemas.ServiceState) == msg
        assert msg.waiting_tickets == waiting_order(state, sid)
    assert views.service_state(site, state, "ktp", now).serving[0].ticket == "A002"
    assert views.service_state(site, state, "kk", now).missed == []
    for cid in site.counters:
        msg = views.counter_state(state, cid, now)
        assert decode_state(schemas.encode(msg), schemas.CounterState) == msg
    for event in calls:
        msg = views.call(state, event)
        assert decode_state(schemas.encode(msg), schemas.Call) == msg
    issued = views.ticket_issued(outcome, 120.0)
    assert decode_state(schemas.encode(issued), schemas.TicketIssued) == issued
    assert (issued.ticket, issued.priority, issued.ahead, issued.id) == ("A002", True, 0, "3")
