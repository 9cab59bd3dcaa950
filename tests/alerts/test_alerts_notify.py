"""The outbound notifier alone: a gateway's HTTP interface (a local mock) and a command, the
building's rate and each number's daily cap, a failing gateway that never stops the next text,
and `antrian web-push-keys`."""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
import sys

from support.site import ROOT, write_site
from web.notify import CommandGateway, HttpGateway, Outbox
from web.push import Vapid

from alerts.mocks import MockGateway


def run(coro):
    return asyncio.run(coro)


def test_texts_reach_the_gateway_with_its_token_and_a_failure_does_not_stop_the_next():
    async def go(gw: MockGateway) -> Outbox:
        outbox = Outbox(HttpGateway(f"{gw.base}/send", token=gw.token), per_minute=600)
        gw.mode = "fail"
        assert outbox.send("6281234567890", "Nomor A016: 2 orang lagi di depan Anda.")
        await outbox.drain()
        gw.mode = "ok"
        assert outbox.send("6281234567891", "Nomor A017 dipanggil! Silakan menuju Loket 2.")
        await outbox.drain()
        await outbox.close()
        return outbox

    with MockGateway() as gw:
        outbox = run(go(gw))
        assert outbox.failed == 1 and outbox.sent == 1
        assert gw.received[-1] == {"to": "6281234567891",
                                   "text": "Nomor A017 dipanggil! Silakan menuju Loket 2."}


def test_one_number_gets_four_texts_a_day_and_the_building_its_rate():
    now = [1000.0]
    outbox = Outbox(HttpGateway("http://127.0.0.1:9/x"), per_minute=30, clock=lambda: now[0])
    assert [outbox._allow("6281234567890") for _ in range(5)] == [True] * 4 + [False]
    assert outbox._allow("6281234567891")
    now[0] += 86_401
    assert outbox._allow("6281234567890")
    assert outbox.interval == 2.0         # 30 a minute: one every 2 s, spread out


def test_a_command_gateway_passes_the_text_as_one_argument_never_through_a_shell(tmp_path):
    out = tmp_path / "sent.txt"
    script = tmp_path / "kirim-sms"
    script.write_text(f"#!/bin/sh\nprintf '%s|%s\\n' \"$1\" \"$2\" >> {out}\n")
    script.chmod(0o755)
    text = "Nomor A016; rm -rf / $(reboot) `id`"
    gateway = CommandGateway([str(script), "{phone}", "{text}"])
    run(gateway.send("6281234567890", text))
    assert out.read_text() == f"6281234567890|{text}\n"
    failing = CommandGateway(["/bin/false"])
    outbox = Outbox(failing)

    async def go():
        outbox.send("6281234567890", "x")
        await outbox.drain()
        await outbox.close()
    run(go())
    assert outbox.failed == 1


def test_web_push_keys_writes_a_private_p256_key_once(tmp_path):
    site = write_site(tmp_path / "site.toml", 1883, '\n[notify]\nvapid_key = "vapid.pem"\n')
    cmd = [sys.executable, "-m", "antrian", "web-push-keys", "--config", str(site)]
    first = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert first.returncode == 0, first.stderr
    pem = tmp_path / "vapid.pem"
    assert stat.S_IMODE(os.stat(pem).st_mode) == 0o600
    public = Vapid.load(pem, "mailto:a@b").public
    assert public in first.stdout
    again = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert again.returncode == 1 and "exists" in again.stderr
    assert Vapid.load(pem, "mailto:a@b").public == public     # not replaced
