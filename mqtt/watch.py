"""``antrian watch``: a live table of every component's presence and health.

    $ antrian watch --config site.toml            # live table; --once for one snapshot

It reads ``tele/+/lwt``, ``tele/+/state`` and ``stat/+/status`` with the ``ops`` account, asks
every component for its status at start, and waits on conditions (a barrier for the retained
presence, every online component's answer), never a fixed sleep.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, TextIO

from antrian import config as siteconfig
from antrian.config import Site, tables
from mqtt.maintenance_commands import EXIT_FAILED, EXIT_NO_ANSWER, ops_connection

BASE_FIGURES = {"component", "version", "uptime_s", "host", "cpu_temp_c", "memory_mb",
                "mem_available_mb", "load_1m", "connected", "ts", "transaction", "board"}
# The figures a technician looks at first (the list), before the rest in name order.
FIRST_FIGURES = ["tickets_today", "waiting", "events_per_s", "frames", "last_data_age_s",
                 "queue_online", "outbox_depth", "ticket", "printer", "paper_low", "mode"]


def expected_components(site: Site) -> list[str]:
    """What the site TOML says should be online: the queue, each board, each counter that has
    a ``[[panel]]``, each kiosk."""
    from mqtt.broker_config import board_ids
    names = ["queue"] + [f"board-{b}" for b in board_ids(site)]
    for panel in tables(site.raw, "panel"):
        counter = panel.get("counter")
        if isinstance(counter, str):
            names.append(f"counter-{counter}")
    names += [f"kiosk-{k}" for k in site.kiosks]
    return list(dict.fromkeys(names))


class Board:
    """Presence and health of every component, fed by MQTT messages (thread-safe)."""

    def __init__(self, site: Site, clock: Callable[[], float] = time.time):
        from mqtt.topics import Topics
        self.topics = Topics(site.site)
        self.expected = expected_components(site)
        self.presence: dict[str, str] = {}
        self.health: dict[str, dict] = {}
        self.seen: dict[str, float] = {}
        self.clock = clock
        self.lock = threading.RLock()
        self.changed = threading.Event()

    def feed(self, topic: str, payload: bytes) -> None:
        levels = self.topics.parse(topic)
        if len(levels) < 3 or levels[0] not in ("tele", "stat"):
            return
        kind, component, what = levels[0], levels[1], levels[2]
        with self.lock:
            if kind == "tele" and what == "lwt" and len(levels) == 3:
                if payload:
                    self.presence[component] = payload.decode(errors="replace")[:20]
                else:
                    self.presence.pop(component, None)  # retained presence cleared
            elif (kind, what) in (("tele", "state"), ("stat", "status")):
                try:
                    body = json.loads(payload)
                except ValueError:
                    return
                if kind == "stat":
                    if not isinstance(body, dict) or not body.get("ok"):
                        return
                    body = body.get("data")
                if not isinstance(body, dict):
                    return
                self.health[component] = body
                self.seen[component] = self.clock()
            else:
                return
        self.changed.set()

    def components(self) -> list[str]:
        with self.lock:
            extra = sorted((set(self.presence) | set(self.health)) - set(self.expected))
        return self.expected + extra

    def complete(self) -> bool:
        """Every component that says it is online has answered."""
        with self.lock:
            return all(c in self.health for c, p in self.presence.items() if p == "online")

    def snapshot(self) -> dict:
        with self.lock:
            return {c: {"presence": self.presence.get(c),
                        "health": self.health.get(c),
                        "age_s": (round(self.clock() - self.seen[c], 1) if c in self.seen
                                  else None)}
                    for c in self.components()}


def render_table(snapshot: dict, width: int = 120) -> str:
    """The watch table: one line per component."""
    head = f"{'COMPONENT':<18}{'STATE':<9}{'SEEN':>6} {'UPTIME':>8} {'VERSION':<8}{'TEMP':>6}" \
           f"{'MEM':>7}  {'HOST':<16}FIGURES"
    lines = [head[:width]]
    for name, entry in snapshot.items():
        h = entry["health"] or {}
        state = entry["presence"] or ("?" if h else "never")
        temp = h.get("cpu_temp_c")
        mem = h.get("memory_mb")
        figures = "  ".join(f"{k}={_short(h[k])}" for k in sorted(
            (k for k in h if k not in BASE_FIGURES),
            key=lambda k: (FIRST_FIGURES.index(k) if k in FIRST_FIGURES else len(FIRST_FIGURES), k)))
        line = (f"{name[:17]:<18}{state[:8]:<9}{_age(entry['age_s']):>6} "
                f"{_duration(h.get('uptime_s')):>8} {_version(h)[:7]:<8}"
                f"{(f'{temp:.0f}°C' if isinstance(temp, (int, float)) else '-'):>6}"
                f"{(f'{mem:.0f}MB' if isinstance(mem, (int, float)) else '-'):>7}  "
                f"{str(h.get('host', ''))[:15]:<16}{figures}")
        lines.append(line[:width])
    return "\n".join(lines)


def _version(health: dict) -> str:
    """The release a component runs: a string such as "0.9.0". A number under ``version`` is a
    role's own figure that shadowed it (the web's page version was shown as "2")."""
    for key in ("antrian_version", "version"):
        value = health.get(key)
        if isinstance(value, str):
            return value
    return "-"


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.1f}"
    text = json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else str(value)
    return text if len(text) <= 24 else text[:23] + "…"


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds:.0f}s" if seconds < 120 else f"{seconds / 60:.0f}m"


def _duration(seconds: Any) -> str:
    if not isinstance(seconds, (int, float)):
        return "-"
    seconds = int(seconds)
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    if seconds < 86400:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 86400}d{seconds % 86400 // 3600:02d}h"


def watch(args: argparse.Namespace, out: TextIO | None = None) -> int:
    from mqtt.consumer import RequestError, Requester

    out = out or sys.stdout
    site = siteconfig.load(args.config)
    board = Board(site)
    t = board.topics
    conn = ops_connection(site, "watch", [t.lwt(), t.tele_state(), f"{t.base}/stat/+/status"],
                          None)
    requester = Requester(conn, on_other=lambda topic, payload, message: board.feed(topic, payload))
    try:
        requester.start(max(args.timeout, 3.0))
    except RequestError as e:
        print(f"antrian watch: {e}", file=sys.stderr)
        return EXIT_NO_ANSWER
    try:
        # Every retained presence the broker holds has arrived once our own marker comes back
        # (the broker keeps one client's messages in order): ask those components now.
        requester.barrier(timeout=max(args.timeout, 3.0))
        # Health comes every minute; ask now so the table fills within a second.
        for component in board.components():
            conn.publish(t.cmnd(component, "status"), b"{}")
        if args.once:
            deadline = time.monotonic() + args.timeout
            # Until every component that says it is online has answered, or the time is up.
            while not board.complete() and time.monotonic() < deadline:
                board.changed.wait(max(0.0, min(0.1, deadline - time.monotonic())))
                board.changed.clear()
            snap = board.snapshot()
            if args.json:
                print(json.dumps(snap, ensure_ascii=False, indent=1, default=str), file=out)
            else:
                print(render_table(snap, _width(out)), file=out)
            return 0 if all(e["presence"] == "online" for e in snap.values()) else EXIT_FAILED
        return _live(board, out, args.refresh, site.title)
    except KeyboardInterrupt:
        return 0
    finally:
        requester.close()


def _width(out: TextIO) -> int:
    """The terminal's width; lines into a pipe or a file are never cut."""
    return shutil.get_terminal_size((160, 40)).columns if out.isatty() else 10_000


def _live(board: Board, out: TextIO, refresh: float, title: str) -> int:
    tty = out.isatty()
    while True:
        snap = board.snapshot()
        online = sum(1 for e in snap.values() if e["presence"] == "online")
        text = (f"{title} — {online}/{len(snap)} online — {time.strftime('%H:%M:%S')}"
                f"  (Ctrl-C to quit)\n"
                + render_table(snap, _width(out)))
        # On a terminal redraw in place; into a pipe or a file append snapshots.
        out.write(("\x1b[H\x1b[2J" if tty else "\n") + text + "\n")
        out.flush()
        board.changed.wait(refresh)
        board.changed.clear()
        # A burst of answers makes one redraw, not fifty: redraw once the burst has been quiet
        # for 50 ms, or after 200 ms of it.
        burst_end = time.monotonic() + min(refresh, 0.2)
        while time.monotonic() < burst_end and board.changed.wait(0.05):
            board.changed.clear()
