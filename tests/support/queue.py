"""``antrian serve`` as a real process, plus helpers that speak the contract."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from antrian.devbroker import stop_process
from support.broker import Mosquitto
from support.mqtt import Watcher
from support.site import ROOT
from support.waiting import wait_for


class QueueProcess:
    """``antrian serve`` as a real process, plus helpers that speak the contract."""

    def __init__(self, site_file: Path, db: Path, broker: Mosquitto, env: dict | None = None):
        from antrian import config
        self.site_file, self.db, self.broker = site_file, db, broker
        self.site = config.load(site_file)
        self.base = f"antrian/{self.site.site}"
        self.env = dict(os.environ, **(env or {}))
        self.proc: subprocess.Popen | None = None
        self.log = db.parent / f"serve-{uuid.uuid4().hex[:6]}.log"
        self.watcher = Watcher(broker.port)

    def start(self, wait: bool = True) -> "QueueProcess":
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "antrian", "serve", "--config", str(self.site_file),
             "--db", str(self.db)], cwd=ROOT, env=self.env,
            stdout=self.log.open("ab"), stderr=subprocess.STDOUT)
        if wait:
            try:
                self.wait_online()
            except BaseException:
                # A test whose service never came online must not leave it running.
                self.close()
                raise
        return self

    def wait_online(self, timeout: float = 10.0, since: int | None = None):
        """Until the service says it is online and has published every service's state (a
        timeout says which states never came). ``since``: a mark taken before whatever brought
        it back (a broker restart), else the service may already be back when this starts."""
        start = self.watcher.mark() if since is None else since
        wanted = {("service", s) for s in self.site.services} | {
            ("counter", c) for c in self.site.counters}

        def ready():
            if self.proc and self.proc.poll() is not None:
                raise AssertionError(f"antrian serve exited: {self.log.read_text()}")
            with self.watcher.cond:
                got = self.watcher.messages[start:]
            online = [i for i, (t, p, _) in enumerate(got)
                      if t == f"{self.base}/tele/queue/lwt" and p == b"online"]
            if not online:
                return False
            seen = {tuple(t.split("/")[-3:-1]) for t, _, _ in got[online[0]:]
                    if t.endswith("/state")}
            return wanted <= seen

        try:
            wait_for(ready, timeout, what="the queue service online with its state",
                     interval=0.02)
        except AssertionError:
            with self.watcher.cond:
                got = self.watcher.messages[start:]
            onlines = [i for i, (t, p, _) in enumerate(got) if t.endswith("/tele/queue/lwt")]
            seen = {tuple(t.split("/")[-3:-1]) for t, _, _ in got if t.endswith("/state")}
            raise AssertionError(
                f"queue service not online: heard {len(got)} messages, lwt at {onlines[:5]} "
                f"({[got[i][1] for i in onlines[:5]]}), states missing "
                f"{sorted(wanted - seen)}; its log: {self.log.read_text()}") from None

    def stop(self, sig=signal.SIGTERM):
        stop_process(self.proc, sig)
        self.proc = None

    def kill(self):
        self.stop(signal.SIGKILL)

    # -- the contract ----------------------------------------------------------------------------

    def press(self, counter: str, action: str, wait: bool = True, **fields) -> dict:
        """Publish a press and (by default) wait for its acknowledgement or error."""
        rid = fields.pop("id", None) or f"t-{uuid.uuid4().hex[:10]}"
        body = {"action": action, "id": rid, **fields}
        since = self.watcher.mark()   # a repeated id's answer is the one after this press
        self.watcher.publish(f"{self.base}/counter/{counter}/press", body)
        if not wait:
            return body
        _, answer = self.watcher.wait_for(
            lambda t, b: isinstance(b, dict) and (
                (t == f"{self.base}/counter/{counter}/state" and b.get("request") == rid)
                or (t == f"{self.base}/error/counter-{counter}" and b.get("id") == rid)),
            what=f"answer to press {rid}", since=since)
        return answer

    def take(self, service: str, kiosk: str = "k1", wait: bool = True, **fields) -> dict:
        rid = fields.pop("id", None) or f"t-{uuid.uuid4().hex[:10]}"
        body = {"service": service, "id": rid, **fields}
        since = self.watcher.mark()
        self.watcher.publish(f"{self.base}/kiosk/{kiosk}/take", body)
        if not wait:
            return body
        _, answer = self.watcher.wait_for(
            lambda t, b: isinstance(b, dict) and b.get("id") == rid and (
                t == f"{self.base}/ticket" or t == f"{self.base}/error/kiosk-{kiosk}"),
            what=f"answer to take {rid}", since=since)
        return answer

    def settled(self) -> None:
        """Everything the service sent for what it handled before now has reached the watcher.

        The service handles requests a batch at a time and sends all of a batch before it takes
        the next; the broker keeps one client's messages in order; and within a batch, replies
        to a v5 response topic go out last, after every state. So a take it refuses (a line
        nobody has), asking for a reply, is answered after all of that: the service's own
        barrier, which changes nothing. Read retained states after it, not straight after an
        answer: a press is answered by the counter's state, which goes out before the
        services' states of the same batch."""
        rid = f"settled-{uuid.uuid4().hex[:10]}"
        since = self.watcher.mark()
        props = Properties(PacketTypes.PUBLISH)
        props.ResponseTopic = f"{self.base}/reply/kiosk-settled/{rid}"
        self.watcher.publish(f"{self.base}/kiosk/settled/take",
                             {"service": "~settled~", "id": rid}, properties=props)
        _, answer = self.watcher.wait_for(
            lambda t, b: t == props.ResponseTopic, what="the service's barrier", since=since)
        assert isinstance(answer, dict) and answer.get("ok") is False, answer

    def service_state(self, service: str) -> dict:
        return self.watcher.bodies(f"/service/{service}/state")[-1]

    def counter_state(self, counter: str) -> dict:
        return self.watcher.bodies(f"/counter/{counter}/state")[-1]

    def close(self):
        self.stop()
        self.watcher.close()
