"""Every message is untrusted (issue 12): whatever a message holds, the model refuses or cleans
it in one place, and build_view + layout never raise, with text a font can draw.

Hypothesis builds contract-shaped states with hostile values: times like 1e300, NaN, infinity or
negative, NUL, control, format and bidi characters, unpaired surrogates, emoji, very long text,
huge counts, and payloads of the wrong shape.
"""

from __future__ import annotations

import json
import math
import tomllib
import unicodedata

import msgspec
import pygame
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from antrian.config import parse
from display.clean import (LATEST, NAME_CHARS, TICKET_CHARS, clean_counter, clean_text,
                           clean_time, decode_recent)
from display.layout import layout
from display.model import BoardModel
from display.view import build_view
from mqtt.schemas import BadMessage, CounterState, decode_state
from board_fakes import BOARDS, DAY, call, counter_state, service_state
from support.site import SMALL_SITE

T = 1_764_300_000.0
SIZES = [((1920, 1080), "landscape"), ((1080, 1920), "portrait"), ((800, 480), "counter")]

hostile_text = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.sampled_from(["\x00", "\u202e", "\u200b", "\ud800", "\n", "\t", "\x1b",
                                      "A", " ", "😀", "\ufeff", "\u2066", "ي"]), max_size=80),
    st.just("X" * 50_000),
)
hostile_time = st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                         st.just(1e300), st.just(-1.0), st.just(0.0), st.integers(-2**63, 2**63))
hostile_int = st.one_of(st.integers(-2**70, 2**70), st.just(0))


def make(board: str = "lobby", counter: str | None = None) -> BoardModel:
    site = parse(tomllib.loads(SMALL_SITE.format(port=1883) + BOARDS))
    from display.config import load_boards
    model = BoardModel(site, load_boards(site)[board], counter=counter)
    model.on_connection(True, now=T)
    model.on_queue_presence(b"online", retained=True, now=T)
    return model


def showable(text: str, limit: int) -> bool:
    return len(text) <= limit and not any(
        unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Co", "Cn"} for ch in text)


def check_draws(model: BoardModel, now: float = T) -> None:
    for size, kind in SIZES:
        for cell in layout(build_view(model, now), size, kind):
            assert showable(cell.text, 1000), (cell.key, cell.text[:40])
            assert math.isfinite(cell.px) and cell.px >= 0


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=hostile_text, reason=hostile_text, ticket=hostile_text, until=hostile_time,
       since=hostile_time, ts=hostile_time, is_open=st.booleans())
def test_a_hostile_counter_state_never_breaks_the_view(name, reason, ticket, until, since, ts,
                                                       is_open):
    m = make()
    state = msgspec.structs.replace(counter_state("1", "A001", seq=5), name=name,
                                    closed_reason=reason, ticket=ticket or None,
                                    closed_until=until, since=since, ts=ts, open=is_open)
    m.on_counter(state, retained=True, now=T)
    check_draws(m)
    shown = m.counters.get("1")
    if shown is not None:
        assert showable(shown.name, NAME_CHARS) and (shown.ticket is None or
                                                     showable(shown.ticket, TICKET_CHARS))
        assert shown.closed_until is None or 0 < shown.closed_until <= LATEST


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=hostile_text, waiting=hostile_int, missed=st.lists(hostile_text, max_size=30),
       status=st.one_of(st.none(), st.dictionaries(st.sampled_from(["open", "text", "until"]),
                                                    st.one_of(hostile_text, st.booleans(),
                                                              st.dictionaries(
                                                                  st.sampled_from(["id", "en"]),
                                                                  hostile_text)))),
       day=st.one_of(st.just(DAY), hostile_text), seq=hostile_int)
def test_a_hostile_service_state_never_breaks_the_view(name, waiting, missed, status, day, seq):
    m = make()
    state = msgspec.structs.replace(service_state("ktp", seq=1), name=name, waiting=waiting,
                                    missed=missed, status=status, day=day, seq=seq)
    m.on_service(state, retained=True, now=T)
    check_draws(m)
    shown = m.services.get("ktp")
    if shown is not None:
        assert 0 <= shown.waiting <= 99_999 and showable(shown.name, NAME_CHARS)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ticket=hostile_text, counter_name=hostile_text, ts=hostile_time, seq=hostile_int)
def test_a_hostile_call_is_refused_or_shown_and_never_breaks_the_view(ticket, counter_name, ts,
                                                                       seq):
    m = make()
    hostile = msgspec.structs.replace(call("A001", "1", seq=5, ts=T), ticket=ticket,
                                      counter_name=counter_name, ts=ts, seq=seq)
    effects = m.on_call(hostile, now=T)
    m.advance(T)
    check_draws(m)
    for effect in effects:
        assert showable(effect.call.ticket, TICKET_CHARS) and effect.call.ticket
        assert abs(effect.call.ts - T) <= 120


@settings(max_examples=100, deadline=None)
@given(payload=st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode),
                         st.recursive(st.none() | st.booleans() | st.floats() | st.text(),
                                      lambda kids: st.lists(kids) | st.dictionaries(st.text(),
                                                                                    kids),
                                      max_leaves=20).map(lambda v: json.dumps(v).encode())))
def test_any_payload_on_the_recent_calls_topic_is_refused_or_taken(payload):
    m = make()
    m.on_recent_calls(payload, retained=True, now=T)
    m.on_message_text(payload)
    check_draws(m)


@pytest.mark.parametrize("field, value", [("until", 1e300), ("until", float("nan")),
                                          ("until", float("inf")), ("until", -5.0)])
def test_the_issue_12_press_that_blacked_out_every_board_is_harmless(field, value):
    """`{"action":"close","until":1e300}` became a retained counter state that killed every
    board in datetime.fromtimestamp."""
    m = make()
    state = counter_state("2", None, open=False, seq=4, closed_reason="Istirahat\x00\u202e",
                          closed_until=value)
    assert m.on_counter(state, retained=True, now=T)
    row = [r for r in build_view(m, T).counters if r.name == "Loket 2"][0]
    assert row.until is None and row.note == "Istirahat"
    check_draws(m)


def test_json_the_contract_decoder_takes_with_1e300_still_draws():
    payload = json.dumps({**msgspec.to_builtins(counter_state("1", None, open=False, seq=3)),
                          "closed_until": 1e300, "name": "Loket\x001"}).encode()
    m = make()
    m.on_counter(decode_state(payload, CounterState), retained=True, now=T)
    check_draws(m)
    with pytest.raises(BadMessage):
        decode_state(b'{"counter": 5}', CounterState)


def test_a_refused_state_keeps_the_last_good_one_and_is_logged_once(caplog):
    m = make()
    m.on_service(service_state("ktp", waiting=3, seq=10), retained=True, now=T)
    bad = msgspec.structs.replace(service_state("ktp", waiting=9, seq=11), day="tomorrow")
    for _ in range(50):
        assert not m.on_service(bad, retained=False, now=T)
    assert m.services["ktp"].waiting == 3 and m.refused == 50
    assert caplog.text.count("refused service state") == 1


def test_cleaning_keeps_ordinary_text_and_drops_what_cannot_be_drawn():
    assert clean_text("Perekaman KTP-el") == "Perekaman KTP-el"
    assert clean_text("Loket\x00 3\u202e\u200b") == "Loket 3"
    assert clean_text("  a\n\tb  ") == "a b"
    assert clean_text("Layanan Prioritas (lansia, disabilitas) · 😀") == \
        "Layanan Prioritas (lansia, disabilitas) · 😀"
    assert clean_text(None) == "" and clean_text(5) == ""
    assert len(clean_text("x" * 10_000)) == NAME_CHARS
    assert clean_time(1e300) is None and clean_time(float("nan")) is None
    assert clean_time(T) == T and clean_time(True) is None


def test_recent_calls_drop_their_bad_entries_and_keep_the_rest():
    good = msgspec.to_builtins(call("A001", "1", seq=5, ts=T))
    bad = {**good, "ts": 1e300, "seq": 6}
    recent = decode_recent(json.dumps({"day": DAY, "seq": 7, "calls": [bad, good]}).encode())
    assert [c.ticket for c in recent.calls] == ["A001"]


@pytest.fixture(scope="module")
def fonts():
    pygame.display.init()
    from display.fonts import Fonts
    yield Fonts()


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(name=hostile_text, reason=hostile_text, service_name=hostile_text)
def test_the_real_renderer_draws_whatever_survived_cleaning(fonts, name, reason, service_name):
    from display.render import Renderer
    m = make()
    m.on_counter(msgspec.structs.replace(counter_state("1", None, open=False, seq=5), name=name,
                                         closed_reason=reason), retained=True, now=T)
    m.on_service(msgspec.structs.replace(service_state("ktp", seq=5), name=service_name),
                 retained=True, now=T)
    surface = pygame.Surface((640, 360))
    Renderer(surface, fonts).draw(layout(build_view(m, T), (640, 360)), T, full=True)
    counter = Renderer(pygame.Surface((320, 200)), fonts)
    counter.draw(layout(build_view(m, T), (320, 200), "counter"), T, full=True)


def test_clean_counter_is_what_the_model_keeps():
    state = counter_state("1", "A\x00001", seq=3)
    assert clean_counter(state).ticket == "A001"
    assert isinstance(clean_counter(state), CounterState)


def test_twenty_thousand_messages_leave_a_bounded_model_that_still_answers():
    """A flood of states with new ids, repeated and stale seqs, hostile values, calls and
    recent lists: the model's memory stays bounded and a real call afterwards is news."""
    import random
    rng = random.Random(12)
    m = make()
    for i in range(20_000):
        kind = i % 5
        if kind == 0:
            m.on_service(msgspec.structs.replace(service_state("ktp", seq=i), service=f"s{i}",
                                                 name="\u202e" * 50), retained=False, now=T)
        elif kind == 1:
            m.on_counter(counter_state(f"c{i}", f"A{i % 999:03d}", seq=i,
                                       closed_until=rng.choice([1e300, -1.0, T])),
                         retained=rng.random() < 0.5, now=T)
        elif kind == 2:
            m.on_call(call(f"A{i % 999:03d}", "1", seq=i, ts=rng.choice([T, 1e300, T - 500])),
                      now=T)
            m.advance(T + i)
        elif kind == 3:
            m.on_recent_calls(b'{"day": "2026-11-28", "seq": %d, "calls": [%s]}'
                              % (i, b'{"x": 1}' * (i % 2)), retained=False, now=T)
        else:
            m.on_message_text(bytes(rng.getrandbits(8) for _ in range(64)))
    assert len(m.services) <= len(m.site.services) + 256
    assert len(m.counters) <= len(m.site.counters) + 256
    assert len(m.held) <= len(m.site.services) + len(m.site.counters) + 513
    assert len(m.known) <= 30 and len(m._warned) <= 256 and len(m.history) <= 6
    check_draws(m, T + 20_000)
    effects = m.on_call(call("Z001", "2", seq=10**6, ts=T + 20_000), now=T + 20_000)
    assert len(effects) == 1 and m.advance(T + 20_010) and m.current.ticket == "Z001"
