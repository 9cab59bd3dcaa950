"""The queue rules, one at a time: taking tickets, the counter's buttons, the service day.

The tests drive ``ticketing`` the way the queue service does, through ``decide``: a request
already applied is answered with its first outcome without deciding again; otherwise ``handle``
decides and ``apply`` folds the events in.
"""

from __future__ import annotations

import copy
import itertools
from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from ticketing import (Assign, BadRequest, NotAllowed, Press, QueueError, QueueState, ResetLine,
                       Rollover, Stale, Take, UnknownCounter, UnknownService, UnknownTicket,
                       apply, handle, service_day, waiting_order)
from ticketing.model import CALLED, DONE, MISSED, WAITING
from ticketing import Tick, TooSoon, decide
from ticketing.commands import RECALL_COOLDOWN_S
from ticketing.rules import SERVICE_TIME_WEIGHT, repeated

DAY = "2026-11-28"
T0 = 1_795_830_000.0  # 2026-11-28 07:40 WIB
JAKARTA = ZoneInfo("Asia/Jakarta")
UTC = ZoneInfo("UTC")

# (id, prefix, separator, width, prior service seconds)
SERVICES = [("ktp", "A", "", 3, 300.0), ("kk", "B", "", 3, 300.0),
            ("skck", "4K", "-", 2, 600.0), ("pajak", "P", ".", 4, 120.0)]
# (id, name, services): counter 1 serves two services, ktp is served by counters 1 and 2.
COUNTERS = [("1", "Loket 1", ("ktp", "kk")), ("2", "Loket 2", ("ktp",)),
            ("3", "Loket 3", ("skck",)), ("4", "Loket 4", ("pajak",))]


class Desk:
    """One building's queue, driven as the queue service drives it."""

    def __init__(self, day: str = DAY, now: float = T0):
        self.state = QueueState.new(day, SERVICES, COUNTERS)
        self.now = now
        self.events: list[dict] = []
        self._ids = itertools.count(1)

    def send(self, command, *, after: float = 1.0):
        """Decide and apply ``command`` ``after`` seconds later; returns the request's outcome
        (the events for commands that are not requests)."""
        self.now += after
        decision = decide(self.state, command, self.now)
        if decision.error is not None:
            raise decision.error
        self.events.extend(decision.events)
        return decision.outcome if getattr(command, "request", None) else list(decision.events)

    def take(self, service: str, *, priority: bool = False, rid: str | None = None,
             kiosk: str = "k1", offered: tuple[str, ...] | None = None, after: float = 1.0):
        rid = rid or f"t{next(self._ids)}"
        return self.send(Take(service, request=f"kiosk-{kiosk}:{rid}", request_id=rid,
                              kiosk=kiosk, priority=priority, offered=offered), after=after)

    def press(self, counter: str, action: str, *, rid: str | None = None, after: float = 1.0,
              **kw):
        rid = rid or f"p{next(self._ids)}"
        return self.send(Press(counter, action, request=f"counter-{counter}:{rid}",
                               request_id=rid, **kw), after=after)

    def holds(self, counter: str) -> str | None:
        return self.state.counters[counter].ticket

    def ticket(self, label: str):
        return self.state.tickets[label]

    def snapshot(self) -> dict:
        return copy.deepcopy(self.state.to_dict())


@pytest.fixture
def desk() -> Desk:
    return Desk()


# -- taking a ticket -----------------------------------------------------------------------------

def test_numbers_count_up_per_service_starting_at_one(desk):
    labels = [desk.take(s)["ticket"] for s in ("ktp", "ktp", "kk", "ktp", "kk")]
    assert labels == ["A001", "A002", "B001", "A003", "B002"]
    assert desk.state.lines["ktp"].last_number == 3
    assert waiting_order(desk.state, "ktp") == ["A001", "A002", "A003"]


def test_the_label_follows_the_services_prefix_separator_and_width(desk):
    assert desk.take("skck")["ticket"] == "4K-01"
    assert desk.take("pajak")["ticket"] == "P.0001"


def test_a_number_wider_than_the_width_keeps_all_its_digits(desk):
    labels = [desk.take("skck")["ticket"] for _ in range(100)]
    assert labels[8:10] == ["4K-09", "4K-10"]
    assert labels[-1] == "4K-100"
    assert len(set(labels)) == 100


def test_a_taken_ticket_waits_in_its_line(desk):
    out = desk.take("kk", kiosk="k2", rid="k2-7")
    ticket = desk.ticket("B001")
    assert ticket.status == WAITING and ticket.service == "kk" and ticket.kiosk == "k2"
    assert ticket.issued_at == desk.now and ticket.issued_service == "kk"
    assert out["id"] == "k2-7" and out["day"] == DAY and out["kiosk"] == "k2"


def test_an_unknown_service_is_refused_and_changes_nothing(desk):
    before = desk.snapshot()
    with pytest.raises(UnknownService):
        desk.take("sim")
    assert desk.snapshot() == before


def test_a_kiosk_cannot_issue_a_ticket_for_a_service_it_does_not_offer(desk):
    with pytest.raises(UnknownService, match="does not offer"):
        desk.take("ktp", kiosk="k2", offered=("skck",))
    assert desk.take("skck", kiosk="k2", offered=("skck",))["ticket"] == "4K-01"


def test_handle_decides_without_changing_the_state(desk):
    desk.take("ktp")
    before = desk.snapshot()
    events = handle(desk.state, Press("1", "next", "counter-1:x"), desk.now)
    assert [e["type"] for e in events] == ["opened", "called", "pressed"]
    assert desk.snapshot() == before


def test_ahead_counts_the_tickets_that_will_be_called_first(desk):
    assert desk.take("ktp")["ahead"] == 0
    assert desk.take("ktp")["ahead"] == 1
    assert desk.take("ktp", priority=True)["ahead"] == 0
    assert desk.take("ktp")["ahead"] == 3
    assert desk.take("ktp", priority=True)["ahead"] == 1
    assert desk.take("kk")["ahead"] == 0


def test_a_priority_ticket_is_called_before_older_regular_tickets_of_the_same_service(desk):
    desk.take("ktp")                   # A001
    desk.take("ktp")                   # A002
    desk.take("ktp", priority=True)    # A003: an elderly visitor
    assert waiting_order(desk.state, "ktp") == ["A003", "A001", "A002"]
    assert desk.press("2", "next")["ticket"] == "A003"
    assert desk.press("2", "next")["ticket"] == "A001"


def test_priority_tickets_are_called_among_themselves_first_come_first_served(desk):
    desk.take("ktp", priority=True)    # A001
    desk.take("ktp")                   # A002
    desk.take("ktp", priority=True)    # A003
    called = [desk.press("2", "next")["ticket"] for _ in range(3)]
    assert called == ["A001", "A003", "A002"]


def test_a_repeated_take_issues_no_second_ticket_and_gets_the_first_answer(desk):
    first = desk.take("ktp", rid="k1-000007")
    before = desk.snapshot()
    again = desk.take("ktp", rid="k1-000007", after=30)
    assert again == first and again["ticket"] == "A001"
    assert desk.snapshot() == before
    assert desk.take("ktp")["ticket"] == "A002"


def test_the_same_request_id_from_another_kiosk_is_another_request(desk):
    assert desk.take("ktp", rid="7", kiosk="k1")["ticket"] == "A001"
    assert desk.take("ktp", rid="7", kiosk="k2")["ticket"] == "A002"


# -- next ------------------------------------------------------------------------------------------

def test_next_finishes_the_current_ticket_and_calls_the_oldest_waiting_one(desk):
    for _ in range(3):
        desk.take("ktp")
    assert desk.press("2", "next")["ticket"] == "A001"
    out = desk.press("2", "next")
    assert (out["previous"], out["ticket"]) == ("A001", "A002")
    assert desk.ticket("A001").status == DONE
    assert desk.ticket("A002").status == CALLED and desk.ticket("A002").counter == "2"
    assert desk.holds("2") == "A002"
    assert desk.state.lines["ktp"].done == 1
    assert waiting_order(desk.state, "ktp") == ["A003"]


def test_next_opens_a_closed_counter(desk):
    desk.take("ktp")
    assert desk.state.counters["2"].open is False
    desk.press("2", "next")
    assert desk.state.counters["2"].open is True


def test_next_with_nothing_waiting_leaves_the_counter_idle_and_open(desk):
    desk.take("ktp")
    desk.press("2", "next")
    out = desk.press("2", "next")
    assert out["ticket"] is None and out["previous"] == "A001"
    assert desk.holds("2") is None and desk.state.counters["2"].open
    assert desk.ticket("A001").status == DONE


def test_next_calls_the_longest_waiting_ticket_across_the_counters_services(desk):
    desk.take("kk")    # B001 joins first
    desk.take("ktp")   # A001
    desk.take("kk")    # B002
    called = [desk.press("1", "next")["ticket"] for _ in range(3)]
    assert called == ["B001", "A001", "B002"]


def test_a_priority_ticket_of_any_of_the_counters_services_goes_first(desk):
    desk.take("ktp")                  # A001
    desk.take("kk", priority=True)    # B001
    assert desk.press("1", "next")["ticket"] == "B001"
    # counter 2 does not serve kk: its priority tickets do not jump counter 2's line
    desk.take("kk", priority=True)    # B002
    assert desk.press("2", "next")["ticket"] == "A001"


def test_next_only_calls_tickets_of_the_services_the_counter_serves(desk):
    desk.take("kk")
    assert desk.press("2", "next")["ticket"] is None
    assert desk.ticket("B001").status == WAITING


def test_two_counters_never_get_the_same_ticket(desk):
    desk.take("ktp")
    desk.take("ktp")
    assert {desk.press("1", "next")["ticket"], desk.press("2", "next")["ticket"]} == \
        {"A001", "A002"}


def test_a_repeated_request_id_does_not_advance_the_queue(desk):
    for _ in range(3):
        desk.take("ktp")
    first = desk.press("2", "next", rid="c2-000042")
    before = desk.snapshot()
    again = desk.press("2", "next", rid="c2-000042", after=5)
    assert again == first and again["ticket"] == "A001"
    assert desk.snapshot() == before
    assert desk.press("2", "next", rid="c2-000043")["ticket"] == "A002"


def test_a_stale_next_does_nothing(desk):
    for _ in range(3):
        desk.take("ktp")
    desk.press("2", "next")                          # the panel is told A001
    desk.press("2", "next", expect="A001")           # A002 now
    before = desk.snapshot()
    with pytest.raises(Stale) as refused:
        desk.press("2", "next", expect="A001")       # the same press sent twice, new id
    assert refused.value.code == "stale"
    assert desk.snapshot() == before
    assert desk.holds("2") == "A002"


def test_expect_null_means_the_panel_believes_the_counter_is_idle(desk):
    desk.take("ktp")
    desk.take("ktp")
    assert desk.press("2", "next", expect=None)["ticket"] == "A001"
    with pytest.raises(Stale):
        desk.press("2", "next", expect=None)


def test_a_press_without_expect_is_never_stale(desk):
    desk.take("ktp")
    desk.press("2", "next")
    assert desk.press("2", "next")["previous"] == "A001"


def test_the_counter_remembers_the_id_of_the_last_press_applied(desk):
    desk.take("ktp")
    desk.press("2", "next", rid="c2-1")
    assert desk.state.counters["2"].request == "c2-1"
    with pytest.raises(Stale):
        desk.press("2", "next", rid="c2-2", expect=None)
    assert desk.state.counters["2"].request == "c2-1"


def test_an_unknown_counter_and_an_unknown_action_are_refused(desk):
    with pytest.raises(UnknownCounter) as e:
        desk.press("99", "next")
    assert e.value.code == "unknown_counter"
    with pytest.raises(BadRequest) as e:
        desk.press("1", "nxt")
    assert e.value.code == "bad_request"


def test_an_unknown_command_is_a_bad_request(desk):
    with pytest.raises(BadRequest):
        handle(desk.state, object(), desk.now)


# -- recall and skip -------------------------------------------------------------------------------

def test_a_recall_inside_the_cooldown_is_refused_and_announces_nothing(desk):
    desk.take("ktp")
    desk.press("2", "next")
    seq = desk.state.seq
    with pytest.raises(TooSoon) as refused:
        desk.press("2", "recall", after=RECALL_COOLDOWN_S - 0.5)
    assert refused.value.code == "too_soon" and desk.state.seq == seq
    desk.press("2", "recall", after=0.5)         # the cooldown is over
    with pytest.raises(TooSoon):                 # and counts again from that recall
        desk.press("2", "recall", after=1.0)
    assert desk.ticket("A001").calls == 2


def test_the_recall_cooldown_is_the_commands_to_set(desk):
    desk.take("ktp")
    desk.press("2", "next")
    out = desk.press("2", "recall", after=0.1, recall_cooldown=0.0)
    assert out["ticket"] == "A001" and desk.ticket("A001").calls == 2


def test_recall_announces_the_current_ticket_again_and_changes_no_line(desk):
    desk.take("ktp")
    desk.take("ktp")
    desk.press("2", "next")
    events_before = len(desk.events)
    out = desk.press("2", "recall", after=RECALL_COOLDOWN_S)
    new = desk.events[events_before:]
    assert [(e.type, getattr(e, "kind", None)) for e in new] == [("called", "recall"),
                                                                  ("pressed", None)]
    assert new[0]["ticket"] == "A001" and out["ticket"] == "A001"
    assert desk.ticket("A001").calls == 2 and desk.ticket("A001").status == CALLED
    assert waiting_order(desk.state, "ktp") == ["A002"]


def test_recall_keeps_the_time_the_visitor_was_first_called(desk):
    desk.take("ktp")
    desk.press("2", "next", after=60)
    called_at = desk.ticket("A001").called_at
    desk.press("2", "recall", after=20)
    assert desk.ticket("A001").called_at == called_at
    assert desk.ticket("A001").wait_time == 60


def test_recall_skip_and_transfer_need_a_current_ticket(desk):
    for action, kw in (("recall", {}), ("skip", {}), ("transfer", {"to": "kk"})):
        with pytest.raises(NotAllowed) as e:
            desk.press("1", action, **kw)
        assert e.value.code == "not_allowed"


def test_skip_records_a_no_show_as_missed_and_calls_the_next(desk):
    desk.take("ktp")
    desk.take("ktp")
    desk.press("2", "next")
    out = desk.press("2", "skip")
    assert (out["previous"], out["ticket"]) == ("A001", "A002")
    assert desk.ticket("A001").status == MISSED
    assert desk.state.lines["ktp"].missed == ["A001"]
    assert desk.state.lines["ktp"].done == 0


def test_a_missed_ticket_is_not_called_again_by_next(desk):
    desk.take("ktp")
    desk.press("2", "next")
    assert desk.press("2", "skip")["ticket"] is None
    assert desk.press("2", "next")["ticket"] is None
    assert desk.ticket("A001").status == MISSED


def test_a_skip_does_not_move_the_average_service_time(desk):
    desk.take("ktp")
    desk.take("ktp")
    desk.press("2", "next")
    desk.press("2", "skip", after=100)
    assert desk.state.lines["ktp"].avg_service_s == 300.0


# -- call a specific ticket ------------------------------------------------------------------------

def test_a_missed_visitor_who_comes_back_is_called_by_their_number(desk):
    desk.take("ktp")
    desk.take("ktp")
    desk.press("2", "next")
    desk.press("2", "skip")                       # A001 missed, A002 called
    out = desk.press("1", "call", ticket="a001")  # typed in lower case at the panel
    assert out["ticket"] == "A001"
    assert desk.ticket("A001").status == CALLED and desk.holds("1") == "A001"
    assert desk.ticket("A001").calls == 2
    assert desk.state.lines["ktp"].missed == []


def test_call_finishes_the_current_ticket_and_can_take_a_waiting_one_out_of_order(desk):
    for _ in range(3):
        desk.take("ktp")
    desk.press("2", "next")
    out = desk.press("2", "call", ticket="A003")
    assert (out["previous"], out["ticket"]) == ("A001", "A003")
    assert desk.ticket("A001").status == DONE
    assert waiting_order(desk.state, "ktp") == ["A002"]


def test_call_opens_a_closed_counter(desk):
    desk.take("ktp")
    desk.press("2", "call", ticket="A001")
    assert desk.state.counters["2"].open and desk.holds("2") == "A001"


@pytest.mark.parametrize("label, error", [("A999", UnknownTicket), ("", UnknownTicket),
                                          ("B001", UnknownTicket)])
def test_call_refuses_a_ticket_that_does_not_exist_or_is_for_another_service(desk, label, error):
    desk.take("kk")
    before = desk.snapshot()
    with pytest.raises(error) as e:
        desk.press("2", "call", ticket=label)     # counter 2 does not serve kk
    assert e.value.code == "unknown_ticket"
    assert desk.snapshot() == before


def test_call_refuses_a_ticket_being_served_or_already_done(desk):
    desk.take("ktp")
    desk.take("ktp")
    desk.press("1", "next")                       # A001 at counter 1
    with pytest.raises(NotAllowed, match="Loket 1"):
        desk.press("2", "call", ticket="A001")
    desk.press("1", "next")                       # A001 done
    with pytest.raises(NotAllowed, match="done"):
        desk.press("2", "call", ticket="A001")


# -- transfer --------------------------------------------------------------------------------------

def test_transfer_moves_the_current_ticket_to_the_end_of_another_line_keeping_its_number(desk):
    desk.take("ktp")      # A001
    desk.take("kk")       # B001
    desk.press("2", "next")
    out = desk.press("2", "transfer", to="kk")
    assert (out["previous"], out["ticket"]) == ("A001", None)
    assert desk.holds("2") is None
    ticket = desk.ticket("A001")
    assert (ticket.status, ticket.service, ticket.transferred_from) == (WAITING, "kk", "ktp")
    assert ticket.issued_service == "ktp"
    assert waiting_order(desk.state, "kk") == ["B001", "A001"]
    assert waiting_order(desk.state, "ktp") == []
    # a ticket taken after the transfer still comes after it
    desk.take("kk")
    assert [desk.press("1", "next")["ticket"] for _ in range(3)] == ["B001", "A001", "B002"]


def test_a_transferred_priority_ticket_stays_a_priority_ticket(desk):
    desk.take("kk")
    desk.take("ktp", priority=True)
    desk.press("2", "next")
    desk.press("2", "transfer", to="kk")
    assert waiting_order(desk.state, "kk") == ["A001", "B001"]


def test_transfer_to_an_unknown_service_or_the_same_service_is_refused(desk):
    desk.take("ktp")
    desk.press("2", "next")
    with pytest.raises(UnknownService):
        desk.press("2", "transfer", to="sim")
    with pytest.raises(UnknownService):
        desk.press("2", "transfer")
    with pytest.raises(NotAllowed):
        desk.press("2", "transfer", to="ktp")
    assert desk.holds("2") == "A001"


# -- open and close --------------------------------------------------------------------------------

def test_open_and_close_switch_the_counter_and_repeat_harmlessly(desk):
    desk.press("3", "open")
    desk.press("3", "open")
    assert desk.state.counters["3"].open
    desk.press("3", "close")
    desk.press("3", "close")
    assert not desk.state.counters["3"].open
    kinds = [e["type"] for e in desk.events if e["type"] in ("opened", "closed")]
    assert kinds == ["opened", "closed"]


def test_closing_finishes_the_current_ticket(desk):
    desk.take("skck")
    desk.press("3", "next")
    out = desk.press("3", "close")
    assert (out["previous"], out["ticket"]) == ("4K-01", None)
    assert desk.ticket("4K-01").status == DONE
    assert desk.holds("3") is None and not desk.state.counters["3"].open


def test_a_closed_counter_is_not_counted_as_serving(desk):
    desk.press("2", "open")
    desk.press("2", "close")
    desk.take("ktp")
    assert desk.ticket("A001").status == WAITING


# -- events ---------------------------------------------------------------------------------------

def test_every_event_carries_the_next_seq_the_day_and_the_time(desk):
    desk.take("ktp")
    desk.take("ktp", priority=True)
    desk.press("1", "next")                    # A002, the priority ticket
    desk.press("1", "skip")                    # A002 missed, A001 called
    desk.press("1", "call", ticket="A002")
    desk.press("1", "transfer", to="kk")
    desk.press("1", "close")
    seqs = [e["seq"] for e in desk.events]
    assert seqs == list(range(1, len(seqs) + 1))
    assert desk.state.seq == seqs[-1]
    assert all(e["day"] == DAY and isinstance(e["ts"], float) for e in desk.events)


def test_a_refused_request_uses_no_seq(desk):
    desk.take("ktp")
    with pytest.raises(QueueError):
        desk.press("2", "recall")
    desk.press("2", "next")
    assert [e["seq"] for e in desk.events] == list(range(1, len(desk.events) + 1))


def test_an_outcome_remembers_the_seq_and_time_of_its_request(desk):
    out = desk.take("ktp")
    assert out["seq"] == desk.events[-1]["seq"] and out["ts"] == desk.now


def test_replaying_the_events_on_a_fresh_state_gives_the_same_state(desk):
    desk.take("ktp")
    desk.take("skck", priority=True)
    desk.press("3", "next")
    desk.press("1", "next", after=120)
    desk.press("1", "transfer", to="kk")
    desk.press("1", "next")
    desk.send(Rollover("2026-11-29"))
    desk.take("kk")
    replayed = QueueState.new(DAY, SERVICES, COUNTERS)
    for event in desk.events:
        apply(replayed, event)
    assert replayed.to_dict() == desk.state.to_dict()


def test_an_unknown_event_type_is_refused_by_apply(desk):
    with pytest.raises(ValueError):
        apply(desk.state, {"type": "teleported", "seq": 1, "ts": T0})


# -- service times --------------------------------------------------------------------------------

def test_a_finished_visit_moves_the_average_service_time(desk):
    desk.take("ktp")
    desk.take("ktp")
    desk.press("2", "next")
    desk.press("2", "next", after=100)    # A001 took 100 s
    expected = 300.0 + SERVICE_TIME_WEIGHT * (100.0 - 300.0)
    assert expected == 260.0
    assert desk.state.lines["ktp"].avg_service_s == pytest.approx(260.0)
    assert desk.ticket("A001").service_time == 100.0


@pytest.mark.parametrize("took", [2.0, 5 * 3600.0])
def test_a_visit_too_short_or_too_long_to_be_real_leaves_the_average_alone(desk, took):
    desk.take("ktp")
    desk.press("2", "next")
    desk.press("2", "next", after=took)
    assert desk.ticket("A001").service_time == took
    assert desk.state.lines["ktp"].avg_service_s == 300.0


# -- the service day -------------------------------------------------------------------------------

def _ts(text: str, tz: ZoneInfo) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=tz).timestamp()


@pytest.mark.parametrize("local, reset_at, day", [
    ("2026-11-28 00:00:00", time(0, 0), "2026-11-28"),
    ("2026-11-27 23:59:59", time(0, 0), "2026-11-27"),
    ("2026-11-28 02:59:59", time(3, 0), "2026-11-27"),
    ("2026-11-28 03:00:00", time(3, 0), "2026-11-28"),
    ("2026-11-28 23:59:59", time(3, 0), "2026-11-28"),
    ("2026-01-01 01:00:00", time(3, 0), "2025-12-31"),
])
def test_the_service_day_changes_at_reset_at_local_time(local, reset_at, day):
    assert service_day(_ts(local, JAKARTA), JAKARTA, reset_at) == day


def test_the_service_day_is_the_sites_local_day_not_the_utc_day():
    ts = _ts("2026-11-27 18:30:00", UTC)          # 01:30 WIB on the 28th
    assert service_day(ts, JAKARTA) == "2026-11-28"
    assert service_day(ts, UTC) == "2026-11-27"
    assert service_day(ts, JAKARTA, time(3, 0)) == "2026-11-27"
    ts = _ts("2026-11-27 20:00:00", UTC)          # 03:00 WIB on the 28th
    assert service_day(ts, JAKARTA, time(3, 0)) == "2026-11-28"


def test_the_docstring_example_of_service_day_holds():
    assert service_day(1764262800.0, JAKARTA) == "2025-11-28"
    assert service_day(1764262799.0, JAKARTA) == "2025-11-27"


def test_a_new_day_restarts_numbering_and_expires_yesterdays_waiting_and_missed_tickets(desk):
    for _ in range(3):
        desk.take("ktp")
    desk.take("kk")
    desk.press("2", "next")
    desk.press("2", "skip")      # A001 missed, A002 at counter 2
    events = desk.send(Rollover("2026-11-29"))
    assert [e["type"] for e in events] == ["rollover"]
    assert sorted(events[0]["expired"]) == ["A001", "A003", "B001"]
    assert list(events[0].finished) == ["A002"]
    assert events[0]["day"] == "2026-11-29" and events[0]["previous"] == DAY
    assert desk.state.day == "2026-11-29" and desk.state.tickets == {}
    assert all(line.waiting == 0 and line.missed == [] and line.done == 0
               for line in desk.state.lines.values())
    assert desk.take("ktp")["ticket"] == "A001"
    assert desk.take("ktp")["day"] == "2026-11-29"


def test_a_new_day_keeps_each_counter_open_or_closed_but_empties_it(desk):
    desk.take("ktp")
    desk.press("2", "next")      # open, serving A001
    desk.press("3", "open")      # open, idle
    desk.send(Rollover("2026-11-29"))
    assert {cid: c.open for cid, c in desk.state.counters.items()} == \
        {"1": False, "2": True, "3": True, "4": False}
    assert all(c.ticket is None and c.since is None for c in desk.state.counters.values())


def test_a_rollover_to_the_same_or_an_earlier_day_does_nothing(desk):
    desk.take("ktp")
    before = desk.snapshot()
    assert desk.send(Rollover(DAY)) == []
    assert desk.send(Rollover("2026-11-27")) == []
    assert desk.snapshot() == before


def test_yesterdays_request_ids_are_still_recognised_the_next_day_but_not_after(desk):
    first = desk.take("ktp", rid="late")
    desk.send(Rollover("2026-11-29"))
    assert desk.take("ktp", rid="late") == first          # a late resend issues nothing
    assert desk.state.tickets == {}
    desk.send(Rollover("2026-11-30"))
    assert repeated(desk.state, "kiosk-k1:late") is None
    assert desk.take("ktp", rid="late")["ticket"] == "A001"


def test_a_rollover_that_skips_days_still_expires_everything(desk):
    desk.take("ktp")
    events = desk.send(Rollover("2026-12-05"))
    assert list(events[0].expired) == ["A001"]
    assert desk.take("ktp")["ticket"] == "A001"


# -- reset and assign -----------------------------------------------------------------------------

def test_resetting_one_service_restarts_only_its_line(desk):
    desk.take("ktp")
    desk.take("ktp")
    desk.take("kk")
    desk.press("2", "next")      # A001 at counter 2
    events = desk.send(ResetLine("ktp"))
    assert list(events[0].expired) == ["A002"] and list(events[0].finished) == ["A001"]
    assert desk.holds("2") is None and desk.state.counters["2"].open
    assert set(desk.state.tickets) == {"B001"}
    assert desk.take("ktp")["ticket"] == "A001"
    assert desk.take("kk")["ticket"] == "B002"


def test_resetting_every_service_starts_the_day_over(desk):
    desk.take("ktp")
    desk.take("skck")
    desk.send(ResetLine())
    assert desk.state.tickets == {}
    assert desk.take("skck")["ticket"] == "4K-01"


def test_resetting_an_unknown_service_is_refused(desk):
    with pytest.raises(UnknownService):
        desk.send(ResetLine("sim"))


def test_a_reset_never_lets_a_number_be_issued_twice_in_a_day(desk):
    """A ticket transferred out of a line that is then reset must not share its label with a
    ticket the restarted line issues: two tickets with one label would be served twice."""
    desk.take("ktp")                         # A001
    desk.press("1", "next")
    desk.press("1", "transfer", to="kk")     # A001 now waits in kk's line
    desk.take("ktp")                         # A002, waiting in ktp
    desk.press("1", "next")                  # counter 1 calls A001 again (kk), A002 waits
    desk.send(ResetLine("ktp"))
    label = desk.take("ktp")["ticket"]
    holders = [c.id for c in desk.state.counters.values() if c.ticket == label]
    in_lines = [sid for sid in desk.state.lines if label in waiting_order(desk.state, sid)]
    assert len(holders) + len(in_lines) == 1, (label, holders, in_lines)
    assert desk.press("2", "next")["ticket"] == label
    assert desk.press("1", "next")["ticket"] != label


def test_assign_changes_which_services_a_counter_calls_from(desk):
    desk.take("skck")
    desk.take("ktp")
    desk.send(Assign("2", ("skck",)))
    assert desk.state.counters["2"].services == ("skck",)
    assert desk.press("2", "next")["ticket"] == "4K-01"


def test_assign_refuses_unknown_counters_unknown_services_and_no_services(desk):
    with pytest.raises(UnknownCounter):
        desk.send(Assign("99", ("ktp",)))
    with pytest.raises(UnknownService):
        desk.send(Assign("2", ("ktp", "sim")))
    with pytest.raises(BadRequest):
        desk.send(Assign("2", ()))
    assert desk.state.counters["2"].services == ("ktp",)


# -- snapshots ------------------------------------------------------------------------------------

def test_a_busy_state_survives_to_dict_and_from_dict(desk):
    import json

    desk.take("ktp", priority=True)
    desk.take("skck")
    desk.press("1", "next")
    desk.press("1", "transfer", to="kk")
    desk.press("3", "next")
    desk.press("3", "skip")
    data = json.loads(json.dumps(desk.state.to_dict()))
    again = QueueState.from_dict(data)
    assert again.to_dict() == desk.state.to_dict()
    assert again.counters["1"].services == ("ktp", "kk")
    assert list(again.lines["kk"].priority) == ["A001"]


# -- events as stored ---------------------------------------------------------------------------

def test_every_event_type_goes_through_its_stored_json_shape_unchanged(desk):
    import json

    from ticketing.events import EVENT_TYPES, from_dict, to_dict
    for _ in range(3):
        desk.take("ktp")
    desk.press("2", "next")
    desk.press("2", "skip")
    desk.press("2", "transfer", to="kk")
    desk.press("1", "close", until=desk.now + 600, reason="Istirahat")
    desk.send(Tick(), after=700)
    desk.send(Assign("3", ("skck", "kk")))
    desk.send(ResetLine("skck"))
    desk.press("2", "next")
    desk.press("2", "next")                     # finishes the ticket it called
    desk.send(Rollover("2026-11-29"))
    seen = {type(e) for e in desk.events}
    # bookings' events go through theirs in tests/booking/test_booking_core.py
    from ticketing.events import Booked, BookingCancelled, BookingsExpired, CheckedIn
    assert seen == set(EVENT_TYPES.values()) - {Booked, BookingCancelled, CheckedIn,
                                                 BookingsExpired}
    for event in desk.events:
        row = json.loads(json.dumps(to_dict(event)))
        assert row["type"] == event.type and from_dict(row) == event


def test_a_stored_row_of_a_type_no_version_wrote_is_refused():
    from ticketing.events import UnknownEvent, from_dict
    with pytest.raises(UnknownEvent):
        from_dict({"type": "teleported", "seq": 1, "ts": T0})
    with pytest.raises(UnknownEvent):
        from_dict({"type": "called", "seq": 1, "ts": T0})      # without its ticket
