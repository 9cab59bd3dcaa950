"""A socket that plays systemd's side of the notify protocol, for tests.

    with NotifyListener() as listener:
        env = {**os.environ, "NOTIFY_SOCKET": listener.path}
        proc = subprocess.Popen([...], env=env)
        msg = listener.wait_for("READY=1", timeout=20)
        assert msg.pid == proc.pid

Like systemd, it turns SO_PASSCRED on, so every datagram carries the sender's pid: that is how
``NotifyAccess=main`` tells the main process from its children.
"""

from __future__ import annotations

import os
import shutil
import socket
import struct
import tempfile
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Message:
    text: str
    pid: int
    at: float  # time.monotonic() when received

    @property
    def fields(self) -> dict[str, str]:
        return dict(line.split("=", 1) for line in self.text.split("\n") if "=" in line)


class NotifyListener:
    """An AF_UNIX datagram socket at a short path (sun_path holds at most 107 bytes)."""

    def __init__(self, *, abstract: bool = False):
        self._dir = tempfile.mkdtemp(prefix="sdn-", dir="/tmp")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        if abstract:
            name = f"antrian-test-{os.getpid()}-{id(self)}"
            self.sock.bind("\0" + name)
            self.path = "@" + name  # how systemd writes an abstract address in NOTIFY_SOCKET
        else:
            self.path = os.path.join(self._dir, "notify")
            self.sock.bind(self.path)
        self.messages: list[Message] = []

    def receive(self, timeout: float) -> Message | None:
        """The next datagram, or None after ``timeout`` seconds."""
        self.sock.settimeout(max(timeout, 0.001))
        try:
            data, ancdata, _flags, _addr = self.sock.recvmsg(4096, socket.CMSG_SPACE(12))
        except (socket.timeout, BlockingIOError):
            return None
        pid = -1
        for level, kind, payload in ancdata:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid, _uid, _gid = struct.unpack("iII", payload[:12])
        msg = Message(data.decode(), pid, time.monotonic())
        self.messages.append(msg)
        return msg

    def wait_for(self, line: str, timeout: float) -> Message:
        """The first message holding ``line`` (e.g. ``READY=1``); AssertionError after timeout."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            msg = self.receive(left)
            if msg and line in msg.text.split("\n"):
                return msg
        seen = [m.text for m in self.messages]
        raise AssertionError(f"no {line!r} within {timeout} s; got {seen!r}")

    def collect(self, seconds: float) -> list[Message]:
        """Every message that arrives within the next ``seconds``."""
        got = []
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            msg = self.receive(left)
            if msg:
                got.append(msg)
        return got

    def close(self) -> None:
        self.sock.close()
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> "NotifyListener":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
