"""The floor view in process: what supervisors see (per agency and service, flags) and the
commands they may send (scope, confirmation, the queue's reply on reply/web/<transaction>)."""

from __future__ import annotations

import asyncio

import msgspec

from test_console_api import PASSWORD, hashed, login, rig, run  # noqa: F401  (fixtures)


class CommandStandIn:
    """Answers each maintenance command on its response topic, as the queue's face does."""

    def __init__(self, queue, refuse: str | None = None):
        self.queue, self.refuse, self.sent = queue, refuse, []

    def publish(self, topic, payload, properties=None, **_):
        if "/counter/" in topic:
            return self.queue.publish(topic, payload, properties)
        self.sent.append((topic, msgspec.json.decode(payload), properties.ResponseTopic))
        body = ({"ok": False, "error": self.refuse} if self.refuse else
                {"ok": True, "data": {"ran": topic.rsplit("/", 1)[1]}})
        loop = asyncio.get_running_loop()
        loop.call_soon(self.queue.app.receive, properties.ResponseTopic,
                       msgspec.json.encode(body))


async def floor(s, base):
    async with s.get(base + "/api/v1/floor") as r:
        return r.status, await r.json()


async def command(s, base, name, **body):
    async with s.post(f"{base}/api/v1/floor/{name}", json=body) as r:
        return r.status, await r.json()


def with_commands(rig, test, refuse=None):
    async def wrapped(app, base, s, queue):
        stand_in = CommandStandIn(queue, refuse)
        app.staff.publish = stand_in.publish
        await test(app, base, s, stand_in)
    run(rig, test=wrapped)


def test_the_floor_needs_a_supervisor(rig):
    async def test(app, base, s, cmd):
        assert (await floor(s, base))[0] == 401
        await login(s, base, "sari")
        assert (await floor(s, base))[0] == 403
        status, _ = await command(s, base, "open", counter="3")
        assert status == 403 and cmd.sent == []
    with_commands(rig, test)


def test_the_manager_sees_every_agency_and_the_flags(rig):
    rig[0].press("3", "open")                 # open, idle, and four tickets of SKCK waiting

    async def test(app, base, s, cmd):
        await login(s, base, "pengelola")
        status, doc = await floor(s, base)
        assert status == 200
        assert [a["agency"] for a in doc["agencies"]] == ["Disdukcapil", "Polres"]
        polres = doc["agencies"][1]
        assert polres["services"][0]["waiting"] == 4
        modes = {c["counter"]: c["mode"] for c in doc["counters"]}
        assert modes["3"] == "idle"
        assert "3" in doc["flags"]["idle_with_waiting"]
        assert polres["services"][0]["flag_idle_counters"] == ["3"]
    with_commands(rig, test)


def test_an_agency_supervisor_sees_and_acts_on_its_own_agency_only(rig):
    async def test(app, base, s, cmd):
        await login(s, base, "polres")
        status, doc = await floor(s, base)
        assert [a["agency"] for a in doc["agencies"]] == ["Polres"]
        assert [c["counter"] for c in doc["counters"]] == ["3"]
        status, body = await command(s, base, "close", counter="1", reason="Istirahat")
        assert status == 403 and cmd.sent == []
        status, body = await command(s, base, "assign", counter="3", services=["ktp"])
        assert status == 403 and cmd.sent == []
        status, body = await command(s, base, "reset", service="ktp", confirm=True)
        assert status == 403 and cmd.sent == []
        status, body = await command(s, base, "message", text="Halo")
        assert status == 403 and cmd.sent == []
        status, body = await command(s, base, "close", counter="3", reason="Rapat\u202e",
                                     until="23:59")
        assert status in (200, 400), body        # 400 only after 23:59 local time
        if status == 200:
            topic, args, reply = cmd.sent[0]
            assert topic == "antrian/test/cmnd/queue/close"
            assert args["counter"] == "3" and args["reason"] == "Rapat"
            assert isinstance(args["until"], float) and args["transaction"].startswith("w-")
            assert reply == f"antrian/test/reply/web/{args['transaction']}"
    with_commands(rig, test)


def test_ending_a_line_needs_confirmation(rig):
    async def test(app, base, s, cmd):
        await login(s, base, "dukcapil")
        status, body = await command(s, base, "reset", service="ktp")
        assert status == 422 and body["code"] == "confirm_needed" and cmd.sent == []
        status, body = await command(s, base, "reset", service="ktp", confirm=True)
        assert status == 200 and cmd.sent[0][1]["confirm"] is True
    with_commands(rig, test)


def test_a_refused_command_shows_the_queues_reason(rig):
    async def test(app, base, s, cmd):
        await login(s, base, "pengelola")
        status, body = await command(s, base, "message", text="Loket 5 tutup \x1b[2J pukul 12")
        assert status == 409 and "no such" in body["error"]
        assert cmd.sent[0][1]["text"] == "Loket 5 tutup [2J pukul 12"
    with_commands(rig, test, refuse="no such thing")
