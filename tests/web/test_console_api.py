"""The staff console's API in process: the web app fed with a building played by the real queue
rules, whose presses come back through a queue stand-in that applies them with those rules and
answers on the contract's topics (the counter state echoing ``request``, ``error/counter-<id>``).
The real broker and queue process are in test_console_live.py."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import msgspec
import pytest

from mqtt import schemas, views
from mqtt.topics import Topics
from skm.skm_fixtures import Building, serve_app
from ticketing import Press, apply, handle
from ticketing.errors import QueueError
from web import accounts as acc
from web.accounts import Account, Accounts
from web.audit import AuditLog

PASSWORD = "rahasia-loket-3"


@dataclass
class QueueStandIn:
    """Applies each press with the real rules and answers as the queue service does; ``hold``
    keeps presses unanswered (a queue that is down)."""
    building: Building
    app: object = None
    hold: bool = False
    published: list = field(default_factory=list)

    def publish(self, topic, payload, properties=None, **_):
        self.published.append((topic, payload))
        if not self.hold:
            asyncio.get_running_loop().call_soon(self.answer, topic, payload)

    def answer(self, topic, payload):
        t = Topics(self.building.site.site)
        cid = topic.split("/")[-2]
        p = msgspec.json.decode(payload)
        rid = p["id"]
        if f"counter-{cid}:{rid}" in self.building.state.requests:
            out = []
        else:
            press = Press(cid, p["action"], f"counter-{cid}:{rid}", request_id=rid,
                          ticket=p.get("ticket"), to=p.get("to"), expect=p.get("expect"),
                          until=p.get("until"), reason=p.get("reason"))
            try:
                out = handle(self.building.state, press, self.building.now)
            except QueueError as e:
                body = schemas.encode(schemas.Error(error=str(e), id=rid, code=e.code))
                self.app.receive(t.error(f"counter-{cid}"), body)
                return
        for e in out:
            apply(self.building.state, e)
        self.building.events += out
        self.building.state.seq += 1
        for topic_, body in self.building.messages():
            self.app.receive(topic_, body)


@pytest.fixture(scope="module")
def hashed():
    return acc.hash_password(PASSWORD)


@pytest.fixture
def rig(tmp_path, hashed):
    building = Building(tmp_path / "site.toml")
    for _ in range(4):
        building.take("skck", kiosk="k2")
    building.take("ktp")
    managers = tmp_path / "managers.toml"
    acc.write(managers, None, {
        "sari": Account("sari", "officer", hashed, counters=("3",)),
        "pengelola": Account("pengelola", "manager", hashed),
        "polres": Account("polres", "agency", hashed, "Polres"),
        "dukcapil": Account("dukcapil", "agency", hashed, "Disdukcapil")})
    accounts = Accounts(managers, building.site, state_dir=tmp_path / "state")
    return building, accounts, AuditLog(tmp_path / "audit.db")


def run(rig, test, hold=False, **kw):
    building, accounts, audit = rig
    queue = QueueStandIn(building, hold=hold)

    async def wrapped(app, base, session):
        queue.app = app
        app.staff.publish = queue.publish
        await test(app, base, session, queue)
    serve_app(building, wrapped, accounts=accounts, audit=audit, **kw)


async def login(s, base, user):
    async with s.post(base + "/manage/login", json={"user": user, "password": PASSWORD}) as r:
        assert r.status == 200
        return await r.json()


async def press(s, base, cid, **body):
    async with s.post(f"{base}/api/v1/counters/{cid}/press", json=body) as r:
        return r.status, await r.json()


def test_without_a_session_the_counter_and_its_press_are_401(rig):
    async def test(app, base, s, queue):
        async with s.get(base + "/api/v1/counters/3") as r:
            assert r.status == 401
        status, body = await press(s, base, "3", action="next", id="w-00000001", expect=None)
        assert status == 401 and body["code"] == "login"
        assert queue.published == []
    run(rig, test)


def test_an_officer_calls_next_and_gets_the_acknowledged_state(rig):
    async def test(app, base, s, queue):
        who = await login(s, base, "sari")
        assert who["role"] == "officer" and who["counters"] == ["3"]
        async with s.get(base + "/api/v1/counters/3") as r:
            doc = await r.json()
        assert [w["ticket"] for w in doc["waiting"]] == ["C001", "C002", "C003", "C004"]
        status, body = await press(s, base, "3", action="next", id="w-00000001", expect=None)
        assert status == 200, body
        assert body["state"]["ticket"] == "C001" and body["state"]["request"] == "w-00000001"
        assert [w["ticket"] for w in body["counter"]["waiting"]] == ["C002", "C003", "C004"]
        topic, payload = queue.published[0]
        assert topic == "antrian/test/counter/3/press"
        assert msgspec.json.decode(payload)["expect"] is None
    run(rig, test)


def test_an_officer_may_not_act_for_another_counter(rig):
    async def test(app, base, s, queue):
        await login(s, base, "sari")
        async with s.get(base + "/api/v1/counters/1") as r:
            assert r.status == 403
        status, body = await press(s, base, "1", action="next", id="w-00000002", expect=None)
        assert status == 403 and body["code"] == "forbidden"
        assert queue.published == []
    run(rig, test)


def test_an_agency_supervisor_acts_on_its_counters_only(rig):
    async def test(app, base, s, queue):
        await login(s, base, "dukcapil")
        status, _ = await press(s, base, "3", action="next", id="w-00000003", expect=None)
        assert status == 403                      # counter 3 serves Polres
        status, body = await press(s, base, "1", action="next", id="w-00000004", expect=None)
        assert status == 200 and body["state"]["ticket"] == "A001"
        # the current ticket is timed against its service's published standard (10 min)
        assert body["counter"]["standard_s"] == 600.0 and body["counter"]["held_s"] == 0.0
    run(rig, test)


def test_a_stale_expect_is_refused_with_the_queues_code_in_indonesian(rig):
    async def test(app, base, s, queue):
        await login(s, base, "sari")
        assert (await press(s, base, "3", action="next", id="w-00000005", expect=None))[0] == 200
        status, body = await press(s, base, "3", action="next", id="w-00000006", expect="C009")
        assert status == 409 and body["code"] == "stale"
        assert "berubah" in body["message"]["id"]
        async with s.get(base + "/api/v1/counters/3") as r:
            assert (await r.json())["ticket"] == "C001"     # nothing changed
    run(rig, test)


def test_a_double_click_does_one_thing(rig):
    async def test(app, base, s, queue):
        await login(s, base, "sari")
        same = dict(action="next", id="w-0000dup1", expect=None)
        (a, ba), (b, bb) = await asyncio.gather(press(s, base, "3", **same),
                                                press(s, base, "3", **same))
        assert a == b == 200 and ba["state"]["ticket"] == bb["state"]["ticket"] == "C001"
        assert len(queue.published) == 1
        # and once more after it was acknowledged: answered from the state, not sent again
        status, body = await press(s, base, "3", **same)
        assert status == 200 and body["state"]["ticket"] == "C001"
        assert len(queue.published) == 1
    run(rig, test)
    # the audit log counts it once: the others are "repeated"
    assert sorted(e.outcome for e in rig[2].between(0, 1e12)) == ["ok", "repeated", "repeated"]


def test_calling_ahead_of_the_line_needs_a_reason_and_is_audited(rig):
    async def test(app, base, s, queue):
        await login(s, base, "sari")
        status, body = await press(s, base, "3", action="call", ticket="C003", id="w-00000007",
                                   expect=None)
        assert status == 422 and body["code"] == "reason_needed"
        assert queue.published == []
        status, body = await press(s, base, "3", action="call", ticket="c003", id="w-00000008",
                                   expect=None, reason="Lansia\u0000 berkursi roda")
        assert status == 200 and body["state"]["ticket"] == "C003"
        # the first in line needs none
        status, _ = await press(s, base, "3", action="call", ticket="C001", id="w-00000009",
                                expect="C003")
        assert status == 200
    run(rig, test)
    entries = rig[2].between(0, 1e12)
    ordered = [e for e in entries if e.out_of_order]
    assert [(e.user, e.ticket, e.reason) for e in ordered] == [("sari", "C003",
                                                               "Lansia berkursi roda")]
    assert [e.outcome for e in entries] == ["reason_needed", "ok", "ok"]


def test_a_press_nobody_acknowledges_answers_504_and_a_resend_does_it_once(rig):
    async def test(app, base, s, queue):
        await login(s, base, "sari")
        status, body = await press(s, base, "3", action="next", id="w-0000lost", expect=None)
        assert status == 504 and body["code"] == "no_ack" and body["pending"] is True
        queue.hold = False
        queue.answer(*queue.published[-1])          # the queue comes back and applies it
        status, body = await press(s, base, "3", action="next", id="w-0000lost", expect=None)
        assert status == 200 and body["state"]["ticket"] == "C001"
        queue.answer(*queue.published[-1])          # even delivered twice: done once
        assert building_tickets_called(queue) == 1
    run(rig, test, hold=True, ack_timeout=0.3)


def building_tickets_called(queue) -> int:
    return sum(1 for e in queue.building.events if e.get("type") == "called")


@pytest.mark.parametrize("body, code", [
    (b'{"action": "explode", "id": "w-00000010", "expect": null}', "bad_request"),
    (b'{"action": "next", "id": "short", "expect": null}', "bad_request"),
    (b'{"action": "next", "id": "w-0000000\\n", "expect": null}', "bad_request"),
    (b'{"action": "next", "id": "w-00000011"}', "bad_request"),
    (b'{"action": "transfer", "id": "w-00000012", "expect": null, "to": "nope"}',
     "unknown_service"),
    (b'{"action": "close", "id": "w-00000013", "expect": null, "until": 1e300}', "bad_request"),
    (b'{"action": "close", "id": "w-00000014", "expect": null, "until": NaN}', "bad_request"),
    (b'{"action": "call", "id": "w-00000015", "expect": null, "ticket": "<b>"}', "bad_request"),
    (b'[1, 2]', "bad_request"),
    (b'{' + b'"a": 1, ' * 400 + b'"b": 2}', "bad_request"),
])
def test_hostile_presses_are_refused_at_the_edge_and_nothing_is_sent(rig, body, code):
    async def test(app, base, s, queue):
        await login(s, base, "sari")
        async with s.post(base + "/api/v1/counters/3/press", data=body,
                          headers={"Content-Type": "application/json"}) as r:
            got = await r.json()
            assert r.status in (400, 404) and got["code"] == code, got
        assert queue.published == []
    run(rig, test)


def test_a_cross_site_press_is_refused(rig):
    async def test(app, base, s, queue):
        await login(s, base, "sari")
        async with s.post(base + "/api/v1/counters/3/press", json={
                "action": "next", "id": "w-00000016", "expect": None},
                headers={"Sec-Fetch-Site": "cross-site"}) as r:
            assert r.status == 403
        assert queue.published == []
    run(rig, test)


def test_a_recall_inside_the_queues_cooldown_shows_its_reason_and_is_audited(rig):
    """The queue refuses a recall within its cooldown (code too_soon, issue 12): the officer
    reads why in Indonesian, the refusal is logged with her name."""
    async def test(app, base, s, queue):
        await login(s, base, "sari")
        assert (await press(s, base, "3", action="next", id="w-00000020", expect=None))[0] == 200
        answer = queue.answer

        def cooling_down(topic, payload):
            body = msgspec.json.decode(payload)
            if body["action"] != "recall":
                return answer(topic, payload)
            app.receive("antrian/test/error/counter-3", schemas.encode(schemas.Error(
                error="recall within the 10 s cooldown", id=body["id"], code="too_soon")))
        queue.answer = cooling_down
        status, body = await press(s, base, "3", action="recall", id="w-00000021",
                                   expect="C001")
        assert status == 429 and body["code"] == "too_soon"
        assert "terlalu cepat" in body["message"]["id"] and "cooldown" in body["error"]
    run(rig, test)
    last = rig[2].between(0, 1e12)[-1]
    assert (last.user, last.action, last.outcome) == ("sari", "recall", "too_soon")
