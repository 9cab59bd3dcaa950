"""Helpers for the web tests: a simulated building's site and its retained messages."""

from __future__ import annotations

import tomllib
from functools import lru_cache

from antrian import config
from antrian.devbroker import stop_process
from mqtt import schemas, views
from mqtt.topics import Topics
from ticketing.estimate import service_wait
from simulation import mpp_plan, plan_toml, simulate


@lru_cache(maxsize=4)
def simulated_day(n_services: int = 30, seed: int = 1):
    plan = mpp_plan(n_services)
    return plan, simulate(plan, seed=seed, sample_every=0)


def sim_site(plan, port: int = 1883, site: str = "sim"):
    return config.parse(tomllib.loads(plan_toml(plan, site=site, port=port)))


def retained_messages(site, state, now: float) -> list[tuple[str, bytes]]:
    """Every retained message the queue service would hold for ``state`` (contract-exact)."""
    topics = Topics(site.site)
    out = [(topics.service_state(sid),
            schemas.encode(views.service_state(site, state, sid, now,
                                               service_wait(state, sid, now=now))))
           for sid in state.lines if sid in site.services]
    out += [(topics.counter_state(cid), schemas.encode(views.counter_state(state, cid, now)))
            for cid in state.counters if cid in site.counters]
    out.append((topics.lwt("queue"), b"online"))
    return out


# -- Debian's headless Chromium (FIELD-NOTES: never let Playwright fetch its own) --------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True}


# -- the real `antrian web` process ----------------------------------------------------------------

import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import urllib.error  # noqa: E402
import urllib.request  # noqa: E402
import uuid  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


class WebProcess:
    """``antrian web`` as a real process on a free port."""

    def __init__(self, site_file: Path, port: int, log_dir: Path, args: list[str] = ()):
        self.site_file, self.port = site_file, port
        # its state (the survey's file, the session key) in the test's directory, not ./var
        self.args = ["--survey-db", str(log_dir / "survey.db"), *args]
        self.base = f"http://127.0.0.1:{port}"
        self.log = log_dir / f"web-{uuid.uuid4().hex[:6]}.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> "WebProcess":
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "antrian", "web", "--config", str(self.site_file),
             "--host", "127.0.0.1", "--port", str(self.port), *self.args],
            cwd=ROOT, stdout=self.log.open("ab"), stderr=subprocess.STDOUT)
        self.wait(lambda doc: doc["connected"], "/api/v1/services", what="web connected")
        return self

    def get(self, path: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
        request = urllib.request.Request(self.base + path, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=5) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def json(self, path: str) -> dict:
        status, _, body = self.get(path)
        assert status == 200, (path, status, body)
        return json.loads(body)

    def wait(self, predicate, path: str = "/api/v1/services", timeout: float = 10.0,
             what: str = "condition") -> dict:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc and self.proc.poll() is not None:
                raise AssertionError(f"antrian web exited: {self.log.read_text()}")
            try:
                status, _, body = self.get(path)
                last = json.loads(body) if status == 200 else None
                if last is not None and predicate(last):
                    return last
            except (OSError, ValueError):
                pass
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}; last: {last}")

    def stop(self) -> None:
        stop_process(self.proc)
        self.proc = None


def start_web(site_file: Path, tmp_path: Path, args: list[str] = ()) -> WebProcess:
    from support.broker import free_port
    return WebProcess(site_file, free_port(), tmp_path, list(args)).start()
