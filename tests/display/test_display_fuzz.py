"""Hypothesis drives contract-shaped messages with hostile values into a board (real pygame on the
dummy driver, a fake connection): whatever comes, no exception leaves the loop, every frame is
drawn or skipped whole, and a good state afterwards is shown."""

from __future__ import annotations

import json
import time

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from antrian.config import load
from display.board import Board
from display.config import board_config
from display.model import BoardModel
from mqtt.schemas import encode
from support.site import write_site
from board_fakes import BOARDS, FakeConnection, counter_state

NOW = time.time()
floats = st.one_of(st.floats(allow_nan=False, allow_infinity=False),
                   st.sampled_from([1e300, -1e300, 0.0, -1.0, NOW, NOW + 86400 * 365 * 100,
                                    253402300800.0]))
ints = st.one_of(st.integers(), st.integers(min_value=-10, max_value=10**6))
texts = st.one_of(st.text(max_size=50),
                  st.text(st.characters(categories=("Cc", "Cf", "Zs", "Mn", "So", "Lo")),
                          max_size=300),
                  st.sampled_from(["", "\x00", "\u202eA012", "A" * 5000, "🙂" * 40]))
values = st.one_of(floats, ints, texts, st.none(), st.booleans(), st.lists(texts, max_size=5))


counter_body = st.fixed_dictionaries({
    "counter": st.sampled_from(["1", "2", "3"]), "name": texts, "open": st.booleans(),
    "ticket": st.one_of(st.none(), texts), "service": st.sampled_from(["ktp", "kk", None]),
    "since": st.one_of(st.none(), floats), "request": st.none(),
    "services": st.just(["ktp"]), "day": st.sampled_from(["2026-11-28", "x", ""]),
    "seq": ints, "ts": floats, "closed_until": st.one_of(st.none(), floats),
    "closed_reason": st.one_of(st.none(), texts)})


service_body = st.fixed_dictionaries({
    "service": st.sampled_from(["ktp", "kk", "skck"]), "name": texts, "agency": texts,
    "prefix": texts, "day": st.just("2026-11-28"), "waiting": ints,
    "waiting_tickets": st.lists(texts, max_size=5), "priority_waiting": ints,
    "last_issued": st.one_of(st.none(), texts), "issued": ints, "serving": st.just([]),
    "missed": st.lists(texts, max_size=8), "counters_open": st.just([]), "done": ints,
    "est_wait_s": st.one_of(st.none(), floats), "avg_service_s": floats, "seq": ints,
    "ts": floats,
    "status": st.one_of(st.none(), st.fixed_dictionaries(
        {"open": values, "code": values, "until": values,
         "text": st.one_of(values, st.fixed_dictionaries({"id": values, "en": values}))}))})

call_body = st.fixed_dictionaries({
    "ticket": texts, "service": st.sampled_from(["ktp", "kk", "nope"]),
    "counter": st.sampled_from(["1", "2", "3", "99"]), "counter_name": texts,
    "kind": st.sampled_from(["call", "recall"]), "seq": ints,
    "ts": st.one_of(floats, st.just(NOW))})

messages = st.lists(st.one_of(
    st.tuples(st.just("counter/1/state"), counter_body),
    st.tuples(st.sampled_from(["service/ktp/state", "service/kk/state"]), service_body),
    st.tuples(st.just("call"), call_body),
    st.tuples(st.just("message"), st.one_of(texts, st.fixed_dictionaries({"text": values}))),
    st.tuples(st.just("tele/queue/lwt"), texts)), min_size=1, max_size=6)


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fuzz")
    site = load(write_site(tmp / "site.toml", 1, BOARDS))
    # coalesce=0: a call's frame never waits for its counter state, so each tick draws
    b = Board(site, board_config(site, "lobby"), size=(640, 360), connection=FakeConnection(site),
              coalesce=0.0)
    b.open()
    yield b
    b.close()


def payload(body) -> bytes:
    try:
        return json.dumps(body).encode("utf-8", "surrogatepass")
    except (ValueError, OverflowError):
        return b"{}"


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(batch=messages)
def test_no_message_stops_the_board_and_a_good_state_is_shown_after(board, batch):
    board.model = BoardModel(board.site, board.board)    # each example from a fresh start
    for suffix, body in batch:
        board.on_message(f"antrian/test/{suffix}", payload(body), True, time.time())
        board.tick()
    frame_failures = {k for k in board.failed.seen if k[0] == "frame"}
    assert not frame_failures, frame_failures
    board.model = BoardModel(board.site, board.board)
    good = counter_state("1", "Z999", seq=1)
    board.on_message("antrian/test/counter/1/state", encode(good), True, time.time())
    board.tick()
    assert board.model.counters["1"].ticket == "Z999"
    assert any(c.text == "Z999" for c in board.cells)
