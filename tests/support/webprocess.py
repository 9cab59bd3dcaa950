"""The real ``antrian web`` process and Debian's headless Chromium, for the web, survey and
adversarial tests (tests/web, tests/skm, tests/adversarial)."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from antrian.devbroker import stop_process

# -- Debian's headless Chromium (FIELD-NOTES: never let Playwright fetch its own) --------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True}


def chromium_browser():
    """The browser tests' fixture body (``browser = pytest.fixture(chromium_browser)``): Debian's
    Chromium through Playwright, closed after the test."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


# -- the real `antrian web` process ----------------------------------------------------------------

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

    def start(self, wait: bool = True) -> "WebProcess":
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "antrian", "web", "--config", str(self.site_file),
             "--host", "127.0.0.1", "--port", str(self.port), *self.args],
            cwd=ROOT, stdout=self.log.open("ab"), stderr=subprocess.STDOUT)
        if wait:
            # connected, and the retained state all in (the barrier): lookups answer
            self.wait(lambda doc: doc["connected"] and "loading" not in doc["stale_reasons"],
                      "/api/v1/services", what="web connected and synced")
        return self

    def post(self, path: str, body: bytes | dict, headers: dict | None = None
             ) -> tuple[int, dict, bytes]:
        data = json.dumps(body).encode() if isinstance(body, dict) else body
        request = urllib.request.Request(self.base + path, data=data, method="POST", headers={
            "Content-Type": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=10) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

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


def start_web(site_file: Path, tmp_path: Path, args: list[str] = (), wait: bool = True
              ) -> WebProcess:
    from support.broker import free_port
    return WebProcess(site_file, free_port(), tmp_path, list(args)).start(wait)


@contextlib.asynccontextmanager
async def served(app, **session_kw):
    """``app`` (a ``web.server.WebApp``, in-process) serving on a free port, and a client
    session: yields (base URL, session); both closed after."""
    import aiohttp
    runner = await app.start("127.0.0.1", 0)
    try:
        async with aiohttp.ClientSession(**session_kw) as session:
            yield f"http://127.0.0.1:{runner.addresses[0][1]}", session
    finally:
        await runner.cleanup()
