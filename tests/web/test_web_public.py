"""What the public sees, built from retained messages: statuses, validation, staleness."""

from __future__ import annotations

import json

import msgspec
import pytest

from antrian import config
from mqtt.topics import Topics
from web.public import PublicState
from web_fixtures import retained_messages, sim_site, simulated_day

SITE = config.parse({
    "site": "t", "timezone": "Asia/Jakarta",
    "service": [{"id": "ktp", "prefix": "A", "name": "KTP-el", "agency": "Disdukcapil"},
                {"id": "tilang", "prefix": "2A", "separator": "-", "name": "Tilang",
                 "agency": "Kejaksaan"}],
    "counter": [{"id": "1", "services": ["ktp"]}, {"id": "2", "name": "Loket Dua",
                                                   "services": ["tilang"]}]})
TOPICS = Topics("t")
NOW = 1_796_000_000.0        # 2026-11-30 07:53 in Jakarta
DAY = "2026-11-30"


def service(sid="ktp", **kw) -> bytes:
    body = {"service": sid, "name": "KTP-el", "agency": "Disdukcapil", "prefix": "A",
            "day": DAY, "waiting": 2, "waiting_tickets": ["A005", "A006"],
            "priority_waiting": 0, "last_issued": "A006", "issued": 6,
            "serving": [{"ticket": "A004", "counter": "1", "since": NOW - 60}],
            "missed": ["A002"], "counters_open": ["1"], "done": 2, "est_wait_s": 600.0,
            "avg_service_s": 300.0, "seq": 10, "ts": NOW}
    body.update(kw)
    return json.dumps(body).encode()


def counter(cid="1", **kw) -> bytes:
    body = {"counter": cid, "name": "Loket 1", "open": True, "ticket": "A004", "service": "ktp",
            "since": NOW - 60, "request": "c1-1", "services": ["ktp"], "day": DAY, "seq": 10,
            "ts": NOW}
    body.update(kw)
    return json.dumps(body).encode()


@pytest.fixture
def public() -> PublicState:
    p = PublicState(SITE)
    p.set_connected(True)
    p.receive(TOPICS.lwt("queue"), b"online")
    p.receive(TOPICS.service_state("ktp"), service())
    p.receive(TOPICS.counter_state("1"), counter())
    p.receive(TOPICS.lwt("web"), b"online")          # the barrier: the retained state is in
    p.rebuild(NOW)
    return p


def test_a_waiting_ticket_has_its_position_and_estimate(public):
    status, body = public.ticket("A006", None, NOW)
    assert status == 200
    assert body["status"] == "waiting"
    assert (body["position"], body["ahead"]) == (2, 1)
    assert 0 < body["est_wait_s"] <= 600
    assert body["serving"] == [{"ticket": "A004", "counter": "1", "counter_name": "Loket 1"}]


def test_services_name_counters_by_id_and_the_document_maps_the_names(public):
    ktp = public.document["services"][0]
    assert ktp["serving"] == [{"ticket": "A004", "counter": "1"}]
    assert ktp["counters_open"] == ["1"]
    assert public.document["counters"] == {"1": "Loket 1", "2": "Loket Dua"}
    public.receive(TOPICS.counter_state("1"), counter(name="Loket Satu", seq=11))
    update = public.rebuild(NOW)
    assert ("counters", b'{"1":"Loket Satu","2":"Loket Dua"}') in update.frames


def test_called_missed_done_and_unknown_tickets(public):
    assert public.ticket("A004", None, NOW)[1] | {} == public.ticket("a4", None, NOW)[1]
    called = public.ticket("A004", None, NOW)[1]
    assert (called["status"], called["counter_name"], called["est_wait_s"]) == \
        ("called", "Loket 1", 0)
    assert public.ticket("A002", None, NOW)[1]["status"] == "missed"
    assert public.ticket("A003", None, NOW)[1]["status"] == "done"
    assert public.ticket("A007", None, NOW)[1]["status"] == "unknown"     # not issued yet
    assert public.ticket("A006", "2026-11-29", NOW)[1]["status"] == "expired"
    assert public.ticket("A006", DAY, NOW)[1]["status"] == "waiting"


def test_ticket_numbers_are_validated_and_normalised(public):
    assert public.normalise(" a6 ") == "A006"
    assert public.normalise("2a-5") == "2A-005"
    assert public.normalise("2A5") == "2A-005"
    for bad in ("", "A", "<script>", "A-", "../etc", "A0060000", "AB CD", "Z9"):
        assert public.ticket(bad, None, NOW)[0] == 400, bad
    assert public.ticket("A006", "yesterday", NOW)[0] == 400


def test_a_prefix_that_could_be_read_two_ways_is_refused():
    site = config.parse({"site": "t", "service": [
        {"id": "a", "prefix": "2", "separator": "-", "name": "a", "agency": "x"},
        {"id": "b", "prefix": "21", "name": "b", "agency": "x"}],
        "counter": [{"id": "1", "services": ["a", "b"]}]})
    p = PublicState(site)
    assert p.normalise("2-15") == "2-015"
    assert p.normalise("21-15") is None        # "21" takes no separator
    assert p.normalise("215") is None          # 2-015 or 21-5? neither is guessed


def test_an_older_message_never_overwrites_a_newer_one(public):
    public.receive(TOPICS.service_state("ktp"), service(seq=5, waiting_tickets=["A001"]))
    public.rebuild(NOW)
    assert public.ticket("A006", None, NOW)[1]["status"] == "waiting"
    # ... unless the queue service restarted (offline, then online): its state then wins
    public.receive(TOPICS.lwt("queue"), b"offline")
    public.receive(TOPICS.lwt("queue"), b"online")
    public.receive(TOPICS.service_state("ktp"), service(seq=1, waiting_tickets=[], waiting=0))
    public.rebuild(NOW)
    assert public.document["services"][0]["waiting"] == 0
    # a waiting ticket that vanished is held a moment (it may be moving), then let go
    public.rebuild(NOW + 5)
    assert public.ticket("A006", None, NOW + 5)[1]["status"] == "done"


def test_staleness_says_why(public):
    assert public.document["stale"] is False
    public.receive(TOPICS.lwt("queue"), b"offline")
    public.rebuild(NOW)
    assert public.document["stale_reasons"] == ["queue_offline"]
    public.set_connected(False)
    public.rebuild(NOW)
    assert public.document["stale_reasons"] == ["disconnected", "queue_offline"]
    public.set_connected(True)
    public.receive(TOPICS.lwt("queue"), b"online")
    public.rebuild(NOW + 86400)                    # the next day, no new state yet
    assert public.document["stale_reasons"] == ["old_day"]


def test_bad_messages_are_ignored_and_change_nothing(public):
    before = public.document
    for payload in (b"not json", b'{"service": "ktp"}', b"[]", service(sid="kk")):
        assert public.receive(TOPICS.service_state("ktp"), payload) is False
    assert public.receive(TOPICS.call, b'{"ticket": 1}') is False
    assert public.rebuild(NOW) is None
    assert public.document is before


def test_calls_are_streamed_and_kept_as_the_latest(public):
    call = {"ticket": "A005", "service": "ktp", "counter": "1", "counter_name": "Loket 1",
            "kind": "call", "seq": 11, "ts": NOW}
    assert public.receive(TOPICS.call, json.dumps(call).encode())
    update = public.rebuild(NOW)
    assert ("call", msgspec.json.encode(call)) in update.frames
    assert public.document["recent_calls"][0]["ticket"] == "A005"


def test_nothing_personal_or_internal_is_published():
    plan, result = simulated_day()
    site = sim_site(plan)
    now = plan.at(10.5)
    p = PublicState(site)
    for topic, payload in retained_messages(site, result.state_at(now), now):
        p.receive(topic, payload, retained=True)
    p.receive(Topics(site.site).lwt("web"), b"online")
    p.rebuild(now)
    allowed = {"id", "name", "agency", "prefix", "known", "waiting", "serving", "missed",
               "counters_open", "est_wait_s", "last_issued", "issued", "done", "day", "ts",
               "status", "standard"}
    for s in p.document["services"]:
        assert set(s) == allowed
    text = json.dumps(p.document)
    for internal in ("kiosk", "priority", "request", "since", "avg_service_s", "waiting_tickets"):
        assert f'"{internal}"' not in text
    label = next(iter(p.index))
    body = json.dumps(p.ticket(label, None, now)[1])
    assert "kiosk" not in body and "priority" not in body


def test_a_service_without_state_yet_is_listed_as_unknown():
    p = PublicState(SITE)
    p.rebuild(NOW)
    assert [s["id"] for s in p.document["services"]] == ["ktp", "tilang"]
    assert all(s["known"] is False for s in p.document["services"])
    assert p.document["stale_reasons"] == ["disconnected", "loading"]
    p.receive(TOPICS.lwt("web"), b"online")        # the barrier: there is no retained state
    p.rebuild(NOW)
    assert p.document["stale_reasons"] == ["disconnected", "no_data"]


def test_a_running_text_is_shown_without_control_or_bidi_characters(public):
    body = {"text": "Loket\u202e 3\u0000 tutup\u200b\nsementara", "ts": "kemarin"}
    assert public.receive(TOPICS.message, json.dumps(body).encode())
    public.rebuild(NOW)
    assert public.document["message"] == {"text": "Loket 3 tutup sementara", "ts": None}


def test_a_presence_that_is_neither_online_nor_offline_changes_nothing(public):
    for word in (b"\x00", b"maybe", b"", b"ONLINE!"):
        assert public.receive(TOPICS.lwt("queue"), word) is False
    assert public.queue_online is True


def test_nothing_is_answered_before_the_barrier_and_a_retained_barrier_is_not_one():
    p = PublicState(SITE)
    p.set_connected(True)
    p.receive(TOPICS.service_state("ktp"), service(), retained=True)
    p.receive(TOPICS.lwt("web"), b"online", retained=True)     # last run's presence: not ours
    p.rebuild(NOW)
    assert p.ticket("A006", None, NOW)[0] == 503
    assert "loading" in p.document["stale_reasons"]
    p.receive(TOPICS.lwt("web"), b"online")                    # ours, live: all is in
    p.rebuild(NOW)
    assert p.ticket("A006", None, NOW)[1]["status"] == "waiting"


def tilang(**kw) -> bytes:
    body = dict(sid="tilang", name="Tilang", agency="Kejaksaan", prefix="2A", waiting=0,
                waiting_tickets=[], last_issued=None, issued=0, serving=[], missed=[],
                counters_open=["2"], done=0)
    body.update(kw)
    return service(**body)


def test_a_ticket_between_two_services_states_is_never_done_for_a_moment(public):
    public.receive(TOPICS.service_state("tilang"), tilang())
    public.rebuild(NOW)
    assert public.ticket("A004", None, NOW)[1]["status"] == "called"
    # A004 is transferred from ktp to tilang: ktp's state comes first, without it, and its
    # count served has not grown (a transfer is not a service done)
    public.receive(TOPICS.service_state("ktp"), service(seq=11, serving=[]))
    public.rebuild(NOW + 0.01)
    assert public.ticket("A004", None, NOW + 0.01)[1]["status"] == "called"
    public.receive(TOPICS.service_state("tilang"), tilang(seq=11, waiting=1,
                                                          waiting_tickets=["A004"]))
    public.rebuild(NOW + 0.02)
    body = public.ticket("A004", None, NOW + 0.02)[1]
    assert (body["status"], body["service"]) == ("waiting", "tilang")


def test_a_ticket_served_is_done_at_once_and_a_lost_one_is_let_go_in_time(public):
    public.receive(TOPICS.service_state("ktp"), service(seq=11, serving=[], done=3))
    public.rebuild(NOW)
    assert public.ticket("A004", None, NOW)[1]["status"] == "done"     # finished: done at once
    public.receive(TOPICS.service_state("ktp"), service(seq=12, serving=[], done=3,
                                                        waiting_tickets=["A006"], waiting=1))
    public.rebuild(NOW + 1)
    assert public.ticket("A005", None, NOW + 1)[1]["status"] == "waiting"  # held: in transit
    public.rebuild(NOW + 5)                    # nothing came for it: let go after TRANSIT_S
    assert public.ticket("A005", None, NOW + 5)[1]["status"] == "done"
