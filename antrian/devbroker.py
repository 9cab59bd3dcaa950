"""A private Mosquitto on a free port, for tests, benchmarks and `make demo`.

    with Mosquitto(workdir) as broker:
        ...broker.port...

It never touches the machine's own broker on 1883; a test may stop and restart it.
"""

from __future__ import annotations

import random
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path


def stop_process(proc: subprocess.Popen | None, sig: int = signal.SIGTERM,
                 timeout: float = 10.0) -> None:
    """Send ``sig`` and wait; a process still there after ``timeout`` seconds is killed."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# Not the module's shared generator: Hypothesis seeds that one alike in every test worker.
_PICK = random.SystemRandom()


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port() -> int:
    """A port nothing listens on, for a listener started a moment later.

    Picked below the kernel's ephemeral range: a port the kernel hands out for ``bind(0)`` is
    also what it gives the next outgoing connection, and a busy test run makes thousands of
    those, so one took a broker's port before Mosquitto bound it (a full run under load, CI
    style). Random, so parallel test workers rarely try the same one."""
    low = _ephemeral_low()
    for _ in range(200):
        port = _PICK.randint(min(10_000, low - 1), low - 1)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue           # someone listens (or did a moment ago): another
            return port
    with socket.socket() as s:     # a crowded machine: the kernel's choice, as before
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 10.0, host: str = "127.0.0.1") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise TimeoutError(f"nothing listens on {host}:{port}")


class Mosquitto:
    """``Mosquitto(tmp_path).start()``; ``extra`` lines are appended to the generated config,
    or ``config`` replaces it entirely (a generated site broker config, say)."""

    def __init__(self, workdir: Path, *, port: int | None = None, extra: str = "",
                 config: Path | None = None):
        self.workdir = Path(workdir)
        self.port = port or free_port()
        self._may_move = port is None      # until it first listens
        self.extra = extra
        self.config = config
        self.proc: subprocess.Popen | None = None
        self.log = self.workdir / f"mosquitto-{self.port}.log"

    def conf(self) -> Path:
        if self.config:
            return self.config
        path = self.workdir / f"mosquitto-{self.port}.conf"
        path.write_text(
            f"listener {self.port} 127.0.0.1\n"
            "allow_anonymous true\n"
            "persistence false\n"
            "log_dest stdout\n"
            "user root\n"
            # As the shipped config: never drop a QoS 1 burst (FIELD-NOTES).
            "max_queued_messages 0\n"
            "max_inflight_messages 0\n"
            # Nagle on the broker side adds up to 40 ms per small message (delayed ACKs).
            "set_tcp_nodelay true\n"
            + self.extra)
        return path

    def start(self) -> "Mosquitto":
        exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        for _ in range(3):
            self.proc = subprocess.Popen([exe, "-c", str(self.conf())],
                                         stdout=self.log.open("ab"), stderr=subprocess.STDOUT)
            self._wait_listening()
            # A port picked free can be taken before Mosquitto binds it (by another socket of a
            # busy test run): Mosquitto then exits at once. A fresh broker of our own config
            # moves to another port; a restart keeps its port (clients know it).
            if self.proc.poll() is None or self.config or not self._may_move:
                break
            self.port = free_port()
            self.log = self.workdir / f"mosquitto-{self.port}.log"
        if self.proc.poll() is not None:
            raise RuntimeError(f"mosquitto exited ({self.proc.returncode}): {self.log}")
        self._may_move = False
        return self

    def _wait_listening(self, timeout: float = 10.0) -> None:
        """Until something listens on the port, or Mosquitto has exited (it could not bind)."""
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None:
            try:
                wait_port(self.port, timeout=0.2)
                return
            except TimeoutError:
                if time.monotonic() > deadline:
                    raise

    def stop(self) -> None:
        stop_process(self.proc, timeout=5)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
