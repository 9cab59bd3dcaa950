"""The board model: seq order, what is live, turns on the big panel, offline (pure)."""

from __future__ import annotations

import tomllib

import pytest

from antrian.config import parse
from support.site import SMALL_SITE
from display.config import load_boards
from display.model import LIVE_WINDOW, MIN_TURN, BoardModel
from display.view import build_view
from board_fakes import BOARDS, call, counter_state, service_state

T = 1_764_300_000.0


def make(board: str = "lobby", counter: str | None = None) -> BoardModel:
    site = parse(tomllib.loads(SMALL_SITE.format(port=1883) + BOARDS))
    model = BoardModel(site, load_boards(site)[board], counter=counter)
    model.on_connection(True, now=T)
    model.on_queue_presence(b"online", retained=True, now=T)
    return model


def test_an_older_seq_is_dropped_and_a_newer_one_taken():
    m = make()
    assert m.on_service(service_state("ktp", waiting=3, seq=10), retained=True, now=T)
    assert not m.on_service(service_state("ktp", waiting=1, seq=9), retained=False, now=T)
    assert m.services["ktp"].waiting == 3
    assert m.on_service(service_state("ktp", waiting=5, seq=10), retained=False, now=T)
    assert m.on_service(service_state("ktp", waiting=4, seq=11), retained=False, now=T)
    assert m.services["ktp"].waiting == 4


def test_a_new_service_day_is_taken_even_with_a_lower_seq():
    m = make()
    m.on_counter(counter_state("1", "A010", seq=500, day="2026-11-27"), retained=True, now=T)
    assert m.on_counter(counter_state("1", None, seq=3, day="2026-11-28"), retained=False, now=T)
    assert m.counters["1"].ticket is None


def test_retained_state_sets_the_baseline_and_older_calls_are_not_announced():
    m = make()
    m.on_counter(counter_state("1", "A010", seq=40), retained=True, now=T)
    assert m.on_call(call("A010", "1", seq=40, ts=T), now=T) == []
    assert m.on_call(call("A009", "2", seq=12, ts=T), now=T) == []
    effects = m.on_call(call("A011", "1", seq=41, ts=T), now=T)
    assert [e.call for e in effects] == [m.pending[-1]] and effects[0].call.ticket == "A011"


def test_a_call_is_announced_once_by_seq():
    m = make()
    assert len(m.on_call(call("A011", "1", seq=5, ts=T), now=T)) == 1
    assert m.on_call(call("A011", "1", seq=5, ts=T), now=T) == []


def test_a_stale_call_is_not_announced():
    m = make()
    assert m.on_call(call("A011", "1", seq=5, ts=T - LIVE_WINDOW - 1), now=T) == []
    assert len(m.on_call(call("A012", "1", seq=6, ts=T - 5), now=T)) == 1


def test_a_recall_is_announced_again():
    m = make()
    m.on_call(call("A011", "1", seq=5, ts=T), now=T)
    effects = m.on_call(call("A011", "1", seq=6, kind="recall", ts=T), now=T)
    assert effects and effects[0].call.kind == "recall"


def test_calls_for_other_services_or_counters_are_ignored():
    m = make("en")   # skck only
    assert m.on_call(call("A011", "1", service="ktp", seq=5, ts=T), now=T) == []
    c = make("lobby", counter="2")
    assert c.on_call(call("A011", "1", seq=5, ts=T), now=T) == []
    assert len(c.on_call(call("A012", "2", seq=6, ts=T), now=T)) == 1


def test_a_burst_gives_every_call_its_turn_and_loses_none():
    m = make()
    for i, ticket in enumerate(["A001", "A002", "A003", "B001"]):
        m.on_call(call(ticket, str(1 + i % 2), seq=10 + i, ts=T), now=T)
    shown, t = [], T
    while m.pending or m.current is None or m.current.ticket not in shown:
        if m.advance(t):
            shown.append(m.current.ticket)
            start = t
            # it stays for at least MIN_TURN while others wait
            assert not m.advance(t + MIN_TURN - 0.01)
        t += 0.05
        assert t < T + 60
    assert shown == ["A001", "A002", "A003", "B001"]
    assert [c.ticket for c in m.history][:3] == ["A003", "A002", "A001"]
    assert m.flashing(start) and not m.flashing(start + m.board.flash_seconds + 0.01)


def test_a_single_call_takes_the_panel_at_once():
    m = make()
    m.on_call(call("A001", "1", seq=10, ts=T), now=T)
    assert m.advance(T) and m.current.ticket == "A001" and m.flashing(T)


def test_before_any_live_call_the_panel_shows_the_newest_counter_ticket():
    m = make()
    m.on_counter(counter_state("1", "A010", seq=4, since=T - 50), retained=True, now=T)
    m.on_counter(counter_state("2", "A011", seq=5, since=T - 10), retained=True, now=T)
    assert m.current.ticket == "A011" and not m.flashing(T)
    assert [c.ticket for c in m.history] == ["A010"]


def test_offline_when_the_link_drops_or_the_queue_says_so_and_the_state_stays():
    m = make()
    m.on_service(service_state("ktp", waiting=3, seq=10), retained=True, now=T)
    assert not m.offline and m.data_age(T) is None
    m.on_queue_presence(b"offline", retained=False, now=T + 5)
    assert m.offline and m.data_age(T + 65) == 60
    assert m.services["ktp"].waiting == 3
    m.on_queue_presence(b"online", retained=False, now=T + 70)
    assert not m.offline
    m.on_connection(False, now=T + 80)
    assert m.offline and m.data_age(T + 90) == 10
    view = build_view(m, T + 90)
    assert view.offline == "TIDAK TERHUBUNG 10 dtk"


def test_a_restarted_queue_service_may_start_its_seqs_again():
    m = make()
    m.on_service(service_state("ktp", waiting=3, seq=900), retained=True, now=T)
    m.on_queue_presence(b"offline", retained=False, now=T)
    m.on_queue_presence(b"online", retained=False, now=T + 1)   # live: it restarted
    assert m.on_service(service_state("ktp", waiting=0, seq=1), retained=False, now=T + 1)
    assert len(m.on_call(call("A001", "1", seq=2, ts=T + 2), now=T + 2)) == 1


def test_garbage_presence_is_ignored():
    m = make()
    assert not m.on_queue_presence(b"maybe", retained=False, now=T)
    assert not m.offline


@pytest.mark.parametrize("payload, text", [
    (b'{"text": "Istirahat 12:00-13:00"}', "Istirahat 12:00-13:00"),
    (b"Loket 5 tutup", "Loket 5 tutup"),
    (b'{"text": ""}', ""),
    (b"", ""),
    (b"{broken", "{broken"),
    (b'{"other": 1}', ""),
])
def test_the_site_message_replaces_the_running_text_and_empty_restores_it(payload, text):
    m = make()
    m.on_message_text(b"something")
    m.on_message_text(payload)
    assert m.message_text == text
    view = build_view(m, T)
    assert view.running_text == (text or "Selamat datang di MPP Uji")


def test_the_view_speaks_the_board_language():
    m = make("en")
    m.on_counter(counter_state("3", None, open=False, service="skck", seq=4), retained=True, now=T)
    m.on_call(call("C001", "3", service="skck", seq=5, ts=T), now=T)
    m.advance(T)
    view = build_view(m, T)
    assert view.labels["now"] == "NOW SERVING" and view.now_counter == "Counter 3"
    assert view.counters[0].open is False
    assert view.date == "Friday, 28 November"


def test_the_clock_and_date_are_in_the_site_timezone():
    m = make()
    view = build_view(m, T)   # 2025-11-28 03:20 UTC = 10:20 WIB
    assert view.clock == "10:20" and view.date == "Jumat, 28 November"


def test_reload_keeps_state_and_changes_what_is_shown():
    import dataclasses
    m = make("en")
    m.on_service(service_state("ktp", waiting=7, seq=3), retained=True, now=T)
    assert [s.name for s in build_view(m, T).services] == ["SKCK"]
    wider = dataclasses.replace(m.board, services=("ktp", "skck"), counters=("1", "2", "3"))
    m.reconfigure(m.site, wider)
    assert [s.waiting for s in build_view(m, T).services] == [7, None]


def test_a_counter_on_a_break_shows_why_and_when_it_reopens():
    m = make()
    m.on_counter(counter_state("2", None, open=False, seq=4, closed_reason="Istirahat",
                               closed_until=T + 3600), retained=True, now=T)
    row = build_view(m, T).counters[-1]      # closed counters come after the open ones
    assert (row.name, row.open, row.note, row.until) == ("Loket 2", False, "Istirahat", "11:20")


def test_a_service_outside_its_hours_says_so_in_the_board_language():
    status = {"open": False, "code": "break", "until": "13:00",
              "text": {"id": "Istirahat sampai 13:00", "en": "Break until 13:00"}}
    m = make()
    m.on_service(service_state("ktp", waiting=2, seq=4, status=status), retained=True, now=T)
    m.on_service(service_state("kk", waiting=1, seq=4, status={"open": True, "code": "open"}),
                 retained=True, now=T)
    rows = build_view(m, T).services
    assert rows[0].status == "Istirahat sampai 13:00" and rows[1].status is None
    en = make("en")
    en.on_service(service_state("skck", seq=4, status=status), retained=True, now=T)
    assert build_view(en, T).services[0].status == "Break until 13:00"
    m.on_service(service_state("ktp", seq=5, status={"open": False, "code": "closed"}),
                 retained=False, now=T)
    assert build_view(m, T).services[0].status == "Tutup"


# -- recent calls (calls/recent, issue 13) ------------------------------------------------------

def recent(calls, *, seq: int, day: str = "2026-11-28") -> bytes:
    import json
    import msgspec
    return json.dumps({"day": day, "seq": seq,
                       "calls": [msgspec.to_builtins(c) for c in calls]}).encode()


def test_a_board_that_starts_shows_the_recent_calls_without_flash_or_announcement():
    m = make()
    calls = [call(f"A{n:03d}", str(1 + n % 3), seq=n, ts=T - 60 * (20 - n))
             for n in range(20, 10, -1)]
    assert m.on_recent_calls(recent(calls, seq=21), retained=True, now=T)
    assert m.current.ticket == "A020" and not m.flashing(T) and not m.pending
    assert [s.ticket for s in m.history] == ["A019", "A018", "A017", "A016", "A015", "A014"]
    # The same calls replayed live (a broker that resends) are history, not news.
    assert m.on_call(calls[0], now=T) == [] and m.on_call(calls[3], now=T) == []
    view = build_view(m, T)
    assert view.now_ticket == "A020" and view.recent[0] == ("A019", "Loket 2")


def test_recent_calls_of_other_services_are_not_shown():
    m = make("en")    # skck only
    m.on_recent_calls(recent([call("A001", "1", seq=3), call("C001", "3", service="skck", seq=2)],
                             seq=4), retained=True, now=T)
    assert m.current.ticket == "C001" and m.history == []


def test_a_live_call_after_the_recent_list_takes_the_panel_and_pushes_history_down():
    m = make()
    m.on_recent_calls(recent([call("A005", "1", seq=5), call("A004", "2", seq=4)], seq=6),
                      retained=True, now=T)
    effects = m.on_call(call("A006", "3", seq=7, ts=T), now=T)
    assert len(effects) == 1 and m.advance(T) and m.flashing(T)
    assert [s.ticket for s in m.history][:2] == ["A005", "A004"]
    # The queue's next list (live) carries the call too: nothing moves, nothing repeats.
    m.on_recent_calls(recent([call("A006", "3", seq=7), call("A005", "1", seq=5),
                              call("A004", "2", seq=4)], seq=8), retained=False, now=T)
    assert m.current.ticket == "A006" and [s.ticket for s in m.history][:2] == ["A005", "A004"]


def test_a_live_list_that_runs_ahead_of_its_call_does_not_steal_the_announcement():
    m = make()
    m.on_recent_calls(recent([call("A005", "1", seq=5)], seq=6), retained=True, now=T)
    m.on_recent_calls(recent([call("A006", "2", seq=7), call("A005", "1", seq=5)], seq=8),
                      retained=False, now=T)
    assert "A006" not in [s.ticket for s in m.history]
    assert len(m.on_call(call("A006", "2", seq=7, ts=T), now=T)) == 1


def test_a_recall_appears_once_in_the_history():
    m = make()
    m.on_recent_calls(recent([call("A005", "1", seq=9, kind="recall"), call("A006", "2", seq=8),
                              call("A005", "1", seq=7)], seq=10), retained=True, now=T)
    assert m.current.ticket == "A005" and [s.ticket for s in m.history] == ["A006"]


def test_a_new_day_replaces_the_recent_calls_and_an_older_list_is_ignored():
    m = make()
    m.on_recent_calls(recent([call("A005", "1", seq=50)], seq=51), retained=True, now=T)
    assert not m.on_recent_calls(recent([call("A001", "1", seq=3)], seq=4), retained=False,
                                 now=T)
    assert m.current.ticket == "A005"
    assert m.on_recent_calls(recent([], seq=1, day="2026-11-29"), retained=False, now=T)
    assert m.history == [] and m.current is None


def test_a_counter_is_announced_by_its_name_in_the_board_language():
    m = make()
    c = call("A011", "1", seq=5, ts=T)
    import msgspec
    effects = m.on_call(msgspec.structs.replace(c, counter_name="Loket Prioritas"), now=T)
    assert effects[0].words[-2:] == ("loket", "prioritas")
    assert effects[0].fallback[-2:] == ("loket", "satu")
    en = make("en")
    effects = en.on_call(call("C001", "3", service="skck", seq=5, ts=T), now=T)
    assert " ".join(w[3:] for w in effects[0].words) == \
        "ticket number see one please go to counter three"


def test_a_board_that_never_reached_its_broker_says_so_with_host_and_port():
    site = parse(tomllib.loads(SMALL_SITE.format(port=1999) + BOARDS))
    m = BoardModel(site, load_boards(site)["lobby"])
    assert build_view(m, T).offline == "TIDAK TERHUBUNG - 127.0.0.1:1999"
    m.on_connection(True, now=T)
    assert build_view(m, T).offline is None
    m.on_service(service_state("ktp", waiting=3, seq=10), retained=True, now=T)
    m.on_connection(False, now=T + 1)
    assert build_view(m, T + 61).offline == "TIDAK TERHUBUNG 1 mnt"
