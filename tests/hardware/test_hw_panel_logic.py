"""The panel's logic with a real SQLite outbox, a fake clock and a list as the broker."""

import json

import pytest

from hardware.outbox import Expect, Outbox
from hardware.panel import CounterPanel
from mqtt import schemas
from hw_fakes import Clock, Feedback as Recorder


def state(request, ticket, *, seq, open=True, counter="1"):
    return schemas.CounterState(counter=counter, name="Loket 1", open=open, ticket=ticket,
                                service="ktp" if ticket else None, since=None, request=request,
                                services=["ktp"], day="2026-11-28", seq=seq, ts=0.0)


@pytest.fixture
def rig(tmp_path):
    clock = Clock(1_000_000.0)
    sent = []
    fb = Recorder()
    box = Outbox(tmp_path / "outbox.db", "c1")

    def publish(payload):
        sent.append(json.loads(payload))
        return True

    def make(box=box, publish=publish, **kw):
        return CounterPanel("1", box, publish=publish, feedback=fb, clock=clock,
                            monotonic=clock, **kw)
    return make, sent, fb, clock, box


def test_a_press_is_stored_before_it_is_published_and_removed_on_the_echo(rig):
    make, sent, fb, clock, box = rig
    stored_at_publish = []
    panel = make(publish=lambda p: (stored_at_publish.append(box.depth()),
                                    sent.append(json.loads(p))))
    panel.connected()
    panel.on_state(state("other", "A001", seq=1))
    p = panel.press("next")
    assert stored_at_publish == [1]
    assert sent == [{"action": "next", "id": p.id, "ts": clock.t, "expect": "A001"}]
    assert panel.mode == "pending"
    clock.t += 0.004
    panel.on_state(state(p.id, "A002", seq=2))
    assert box.depth() == 0 and panel.mode == "steady"
    assert fb.signals[-1][0] == "ack"
    assert panel.health()["last_ack_latency_ms"] == pytest.approx(4.0)


def test_presses_leave_one_at_a_time_in_order_and_chain_their_expect(rig):
    make, sent, fb, clock, box = rig
    panel = make()
    panel.on_state(state(None, "A001", seq=1))
    ids = [panel.press(a).id for a in ("next", "skip", "recall")]   # offline: nothing sent
    assert sent == [] and panel.mode == "offline"
    panel.connected()
    assert [m["id"] for m in sent] == ids[:1] and sent[0]["expect"] == "A001"
    panel.on_state(state(ids[0], "A002", seq=2))
    assert sent[-1] == {"action": "skip", "id": ids[1], "ts": clock.t, "expect": "A002"}
    panel.on_state(state(ids[1], "A003", seq=3))
    assert sent[-1]["id"] == ids[2] and sent[-1]["expect"] == "A003"
    panel.on_state(state(ids[2], "A003", seq=4))
    assert len(sent) == 3 and box.depth() == 0


def test_the_outbox_survives_a_restart_with_its_chain(rig, tmp_path):
    make, sent, fb, clock, box = rig
    panel = make()
    panel.on_state(state(None, "A001", seq=1))
    panel.connected()
    first, second = panel.press("next"), panel.press("next")
    panel.on_state(state(first.id, "A002", seq=2))   # acknowledged, then the panel dies
    box.close()
    again = make(box=Outbox(tmp_path / "outbox.db", "c1"))
    sent.clear()
    again.connected()
    assert sent == [{"action": "next", "id": second.id, "ts": second.ts, "expect": "A002"}]
    third = again.press("next")
    # A new process draws a new token: ids never repeat, even if a power cut rolled the file back.
    assert third.id.rsplit("-", 1)[0] != first.id.rsplit("-", 1)[0]
    assert len({first.id, second.id, third.id}) == 3 and len(third.id) <= 64


def test_a_press_acknowledged_while_the_panel_was_down_is_not_sent_again(rig, tmp_path):
    make, sent, fb, clock, box = rig
    panel = make()
    panel.on_state(state(None, "A001", seq=1))
    p = panel.press("next")                            # stored, never published
    again = make(box=Outbox(tmp_path / "outbox.db", "c1"))
    again.on_state(state(p.id, "A002", seq=2), retained=True)
    again.connected()
    assert sent == [] and again.outbox.depth() == 0


def test_unanswered_press_is_resent_with_the_same_id(rig):
    make, sent, fb, clock, box = rig
    panel = make(resend_s=2.0)
    panel.connected()
    panel.on_state(state(None, None, seq=1))
    p = panel.press("next")
    clock.t += 1.0
    panel.tick()
    assert len(sent) == 1
    assert panel.next_deadline() == pytest.approx(clock.t + 1.0)
    clock.t += 1.0
    panel.tick()
    assert [m["id"] for m in sent] == [p.id, p.id]


def test_a_refused_press_is_done_and_the_next_one_goes(rig):
    make, sent, fb, clock, box = rig
    panel = make()
    panel.connected()
    panel.on_state(state(None, "A001", seq=1))
    a, b = panel.press("recall"), panel.press("next")
    panel.on_error(schemas.Error(error="counter is closed", id=a.id, code="closed"))
    assert fb.signals[-1][0] == "refused"
    # Nothing changed: the chained press expects what the refused one expected.
    assert sent[-1] == {"action": "next", "id": b.id, "ts": clock.t, "expect": "A001"}


def test_a_stale_refusal_drops_the_presses_chained_on_it(rig, caplog):
    make, sent, fb, clock, box = rig
    panel = make()
    panel.connected()
    panel.on_state(state(None, "A001", seq=1))
    a = panel.press("next")
    panel.press("next"), panel.press("next")
    panel.on_error(schemas.Error(error="counter holds A005", id=a.id, code="stale"))
    assert len(sent) == 1 and box.depth() == 0
    assert [k for k, _ in fb.signals] == ["refused", "dropped", "dropped"]
    assert "made on a wrong belief" in caplog.text
    later = panel.press("next")                       # a fresh press starts a fresh belief
    assert sent[-1]["id"] == later.id


def test_presses_older_than_the_limit_are_dropped_with_a_log_line(rig, caplog):
    make, sent, fb, clock, box = rig
    panel = make(max_press_age_s=60)
    panel.on_state(state(None, "A001", seq=1))
    for _ in range(5):
        panel.press("next")                           # the broker is down
    clock.t += 3600                                   # a long outage
    young = panel.press("recall")
    panel.connected()
    assert box.depth() == 0
    assert panel.health()["presses_dropped"] == 6     # five old ones and the one chained on them
    assert "older than max_press_age_s=60" in caplog.text
    assert sent == []
    assert young is not None


def test_toggle_closes_an_open_counter_and_opens_a_closed_one(rig):
    make, sent, fb, clock, box = rig
    panel = make()
    panel.connected()
    panel.on_state(state(None, None, seq=1, open=True))
    c = panel.press("toggle")
    assert sent[-1]["action"] == "close"
    panel.on_state(state(c.id, None, seq=2, open=False))
    assert panel.mode == "off"
    panel.press("toggle")
    assert sent[-1]["action"] == "open"


def test_led_modes_follow_connection_and_presses(rig):
    make, sent, fb, clock, box = rig
    panel = make()
    assert fb.modes == ["offline"]
    panel.connected()
    panel.on_state(state(None, None, seq=1, open=True))
    p = panel.press("next")
    panel.disconnected()
    panel.connected()
    panel.on_state(state(p.id, "A001", seq=2))
    assert fb.modes == ["offline", "off", "steady", "pending", "offline", "pending", "steady"]


def test_an_older_state_is_ignored_unless_it_is_the_retained_one(rig):
    make, sent, fb, clock, box = rig
    panel = make()
    panel.on_state(state(None, "A005", seq=50))
    panel.on_state(state(None, "A001", seq=3))
    assert panel.state.ticket == "A005"
    panel.on_state(state(None, "A001", seq=3), retained=True)   # a service on a fresh database
    assert panel.state.ticket == "A001"


def test_a_v5_reply_acknowledges_when_the_state_moved_past_our_id(rig):
    make, sent, fb, clock, box = rig
    panel = make()
    panel.connected()
    panel.on_state(state(None, "A001", seq=1))
    a, b = panel.press("next"), panel.press("next")
    panel.on_state(state("cli-9", "A003", seq=5))      # someone else pressed after ours
    assert box.depth() == 2
    panel.on_reply({"ok": True, "id": a.id, "data": {"ticket": "A002"}})
    assert sent[-1]["id"] == b.id and sent[-1]["expect"] == "A002"


def test_unknown_state_sends_no_expect(rig):
    make, sent, fb, clock, box = rig
    panel = make()
    panel.connected()
    panel.press("next")
    assert "expect" not in sent[-1]


def test_expect_encoding_round_trips():
    for e in (Expect.known("A1"), Expect.known(None), Expect("chain"), Expect("broken")):
        assert Expect.decode(e.encode()) == e
    assert Expect.decode("garbage").mode == "unset"


def test_the_echo_of_the_press_in_flight_acknowledges_it_even_with_a_lower_seq(rig):
    make, sent, fb, clock, box = rig
    panel = make()
    panel.connected()
    panel.on_state(state(None, "A001", seq=50), retained=True)
    p = panel.press("next")
    # The queue restarted on a fresh database meanwhile: its answer counts from 1 again.
    panel.on_state(state(p.id, "A002", seq=3))
    assert panel.acked == 1 and panel.state.ticket == "A002" and box.depth() == 0


def test_a_state_that_cannot_be_the_queues_is_refused_and_the_panel_keeps_its_own(rig):
    make, sent, fb, clock, box = rig
    panel = make()
    panel.on_state(state(None, "A001", seq=5), retained=True)
    for bad in (state(None, "A\x1b[2J", seq=6), state(None, "A002", seq=2**60),
                state("x" * 100, "A002", seq=7),
                schemas.CounterState(counter="1", name="", open=True, ticket="A002",
                                     service=None, since=None, request=None, services=[],
                                     day="tomorrow", seq=8, ts=0.0)):
        with pytest.raises(ValueError):
            panel.on_state(bad, retained=True)
    assert panel.state.ticket == "A001" and panel.state.seq == 5
    # A newer state of a later day wins over a higher seq of the day before.
    panel.on_state(schemas.CounterState(counter="1", name="", open=True, ticket="A001",
                                        service="ktp", since=None, request=None,
                                        services=["ktp"], day="2026-11-29", seq=1, ts=0.0))
    assert panel.state.day == "2026-11-29"
    panel.on_state(state(None, "A077", seq=999))          # yesterday's, however high
    assert panel.state.day == "2026-11-29" and panel.state.ticket == "A001"


def test_refusals_of_presses_the_panel_never_made_are_not_its_warnings(rig, caplog):
    import logging
    make, sent, fb, clock, box = rig
    panel = make()
    panel.connected()
    with caplog.at_level(logging.DEBUG, logger="hardware.panel"):
        panel.on_error(schemas.Error(error="no ticket to recall", id="cli-1234",
                                     code="not_allowed"))
        panel.on_error(schemas.Error(error="late", id=f"{box.ids.prefix}-x-9", code="stale"))
    said = [(r.levelno, r.getMessage()) for r in caplog.records
            if "service error" in r.getMessage()]
    assert [level for level, _ in said] == [logging.DEBUG, logging.WARNING]
    assert "cli-1234, not one of ours" in said[0][1] and "c1-x-9" in said[1][1]
    assert panel.refused == 0 and fb.signals == []
