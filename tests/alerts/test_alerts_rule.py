"""The alerts' rule against the web's real public state, fed the queue's retained messages: who
is told, once, and when a subscription goes (done, a reset, the day's end; a missed ticket
stays, it may come back). A recording pusher and outbox stand in for the network."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from web.alerts import Alerts, AlertStore, PhoneSeal, Subscription
from web.alerts_http import Refused, check_endpoint, check_keys, parse, thresholds
from web.public import PublicState
from antrian import config
from mqtt.topics import Topics

SITE = config.parse({
    "site": "t", "timezone": "Asia/Jakarta",
    "service": [{"id": "ktp", "prefix": "A", "name": "KTP-el", "agency": "Disdukcapil"}],
    "counter": [{"id": "1", "services": ["ktp"]}]})
TOPICS = Topics("t")
NOW = 1_796_000_000.0        # 2026-11-30 07:53 in Jakarta
DAY = "2026-11-30"


def service(**kw) -> bytes:
    body = {"service": "ktp", "name": "KTP-el", "agency": "Disdukcapil", "prefix": "A",
            "day": DAY, "waiting": 2, "waiting_tickets": ["A005", "A006"],
            "priority_waiting": 0, "last_issued": "A006", "issued": 6,
            "serving": [{"ticket": "A004", "counter": "1", "since": NOW - 60}],
            "missed": ["A002"], "counters_open": ["1"], "done": 2, "est_wait_s": 600.0,
            "avg_service_s": 300.0, "seq": 10, "ts": NOW}
    body.update(kw)
    return json.dumps(body).encode()


def counter() -> bytes:
    return json.dumps({"counter": "1", "name": "Loket 1", "open": True, "ticket": "A004",
                       "service": "ktp", "since": NOW - 60, "request": "c1-1",
                       "services": ["ktp"], "day": DAY, "seq": 10, "ts": NOW}).encode()


class Recorder:
    def __init__(self):
        self.sent: list[tuple] = []

    def send(self, *args, **kw) -> bool:
        self.sent.append(args)
        return True

    def figures(self):
        return {}


@pytest.fixture
def public() -> PublicState:
    p = PublicState(SITE)
    p.set_connected(True)
    p.receive(TOPICS.lwt("queue"), b"online")
    p.receive(TOPICS.service_state("ktp"), service(
        waiting_tickets=["A005", "A006", "A007", "A008"], waiting=4, issued=8,
        last_issued="A008"))
    p.receive(TOPICS.counter_state("1"), counter())
    p.receive(TOPICS.lwt("web"), b"online")
    p.rebuild(NOW)
    return p


@pytest.fixture
def alerts(public, tmp_path):
    a = Alerts(public, AlertStore(tmp_path / "alerts.db"), b"s" * 32, pusher=Recorder(),
               outbox=Recorder(), public_url="http://antrian.test")
    yield a
    a.store.close()


def sub(ticket, ahead=1, **kw) -> Subscription:
    return Subscription(day=DAY, ticket=ticket, ahead=ahead, endpoint=f"https://x/{ticket}",
                        p256dh="p", auth="a", **kw)


def move(public, now=NOW, **kw):
    public.receive(TOPICS.service_state("ktp"), service(**{"seq": 11, "ts": now, **kw}))
    public.rebuild(now)


def kinds(alerts) -> list[tuple[str, str]]:
    return [(json.loads(p[3])["ticket"], json.loads(p[3])["kind"]) for p in alerts.pusher.sent]


def test_told_once_when_near_and_once_when_called(public, alerts):
    alerts.add(sub("A008", ahead=1))
    alerts.check(NOW)
    assert kinds(alerts) == []                             # 3 ahead
    move(public, waiting_tickets=["A007", "A008"], waiting=2, issued=8)
    alerts.check(NOW)
    alerts.check(NOW)
    assert kinds(alerts) == [("A008", "near")]
    move(public, waiting_tickets=["A008"], waiting=1, issued=8)
    alerts.check(NOW)
    assert kinds(alerts) == [("A008", "near")]             # nearer still: not told again
    move(public, waiting_tickets=[], waiting=0, issued=8,
         serving=[{"ticket": "A008", "counter": "1", "since": NOW}])
    alerts.check(NOW)
    alerts.check(NOW)
    assert kinds(alerts) == [("A008", "near"), ("A008", "called")]


def test_a_short_estimate_tells_even_with_many_ahead(public, alerts):
    alerts.add(sub("A008", ahead=0, minutes=7))
    assert public.index["A008"].est_wait_s > 420           # ~8 minutes, three ahead
    alerts.check(NOW)
    assert kinds(alerts) == []
    move(public, waiting_tickets=["A007", "A008"], waiting=2, issued=8)
    assert public.index["A008"].est_wait_s <= 420
    alerts.check(NOW)
    assert kinds(alerts) == [("A008", "near")]             # one ahead, under 7 minutes


def test_a_text_goes_to_the_sealed_number_with_the_pages_link(public, alerts):
    alerts.add(Subscription(day=DAY, ticket="A006", ahead=2,
                            phone=PhoneSeal(b"s" * 32).seal("6281234567890")))
    alerts.check(NOW)
    (phone, text), = alerts.outbox.sent
    assert phone == "6281234567890"
    assert text.startswith("Nomor A006: 1 orang lagi di depan Anda")
    assert "http://antrian.test/t/A006?d=2026-11-30&k=" in text


def test_done_reset_and_the_days_end_delete_a_missed_ticket_stays(public, alerts, tmp_path):
    for t in ("A005", "A006", "A007", "A002"):             # A002 is missed
        alerts.add(sub(t, ahead=0))
    alerts.check(NOW)
    move(public, waiting_tickets=["A007"], waiting=1, issued=8, serving=[])  # A005, A006 done
    public.rebuild(NOW + 10)                               # past the transit hold
    alerts.check(NOW + 10)
    assert sorted(t for _, t in alerts.by_ticket) == ["A002", "A007"]
    move(public, now=NOW + 20, waiting_tickets=[], waiting=0, issued=0, missed=[],
         serving=[], last_issued=None)                    # the line was reset
    public.rebuild(NOW + 30)
    alerts.check(NOW + 30)
    assert alerts.by_ticket == {}
    assert AlertStore(tmp_path / "alerts.db").all() == []


def test_yesterdays_subscriptions_go_when_the_queue_starts_a_new_day(public, alerts):
    alerts.add(sub("A002", ahead=0))                       # missed: kept all day
    alerts.check(NOW)
    assert alerts.count() == 1
    tomorrow = NOW + 86400
    move(public, now=tomorrow, day="2026-12-01", waiting_tickets=["A001"], waiting=1,
         issued=1, missed=[], serving=[], last_issued="A001")
    alerts.check(tomorrow)
    assert alerts.count() == 0


def test_nothing_is_told_or_deleted_before_the_state_has_arrived(tmp_path):
    p = PublicState(SITE)
    p.set_connected(True)
    p.rebuild(NOW)                                         # not synced: no barrier yet
    a = Alerts(p, AlertStore(tmp_path / "alerts.db"), b"s" * 32, pusher=Recorder())
    a.add(sub("A005", ahead=9))
    a.check(NOW)
    assert a.count() == 1 and a.pusher.sent == []


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                max_size=4), max_leaves=12)
bodies = st.one_of(
    st.binary(max_size=300),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries({"ticket": json_values, "day": json_values, "key": json_values},
                          optional={"ahead": json_values, "minutes": json_values,
                                    "lang": json_values, "push": json_values,
                                    "phone": json_values}).map(lambda d: json.dumps(d).encode()))


@settings(max_examples=2000, deadline=None)
@given(bodies)
def test_the_edge_refuses_any_body_clearly_and_never_fails(raw):
    """Two thousand hostile bodies: each is taken into bounded values or refused with a code."""
    try:
        body = parse(raw)
        ahead, minutes, lang = thresholds(body)
        assert 0 <= ahead <= 50 and (minutes is None or 1 <= minutes <= 240)
        push = body.get("push")
        if isinstance(push, dict):
            check_endpoint(push.get("endpoint"))
            check_keys(push.get("keys"))
    except Refused as e:
        assert 400 <= e.status < 500 and e.code and e.id and e.en
