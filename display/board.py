"""A running board: MQTT messages in, frames and announcements out, on one owner thread.

    board = Board(site, board_config(site, "lobby"), size=(1920, 1080))
    board.serve()                  # until SIGTERM, a window close or ``stop()``

paho's thread only posts raw messages to the board's :class:`antrian.loop.Loop`; the owner
thread (where pygame lives) runs them in order and then turns once: window events, model
update, one frame. It sleeps until a message arrives or the next timed change is due (clock
minute, flash phase, page turn, running-text step), so an idle board costs almost nothing and a
call is drawn at once. Maintenance commands reach the owner thread through the same loop
(``loop.call``).

A call and the counter it changed go out in one frame: the queue service publishes the call,
then the counter state, then the service states (those wait for the estimate), so after a call
the frame waits for that counter's state (at most :data:`COALESCE_S`).

Nothing a message holds can stop the board: the model makes every state showable or refuses it
(:mod:`display.clean`, the board's one trust edge); a message that fails to decode or to fold is
logged once per kind and skipped; and each frame is guarded: a failure is logged once per kind,
the last good frame stays on screen, and the loop goes on (:mod:`display.present`).
"""

from __future__ import annotations

import concurrent.futures
import gc
import logging
from collections import deque
import signal
import threading
import time
from pathlib import Path
from typing import Any, Callable

from antrian import sdnotify
from antrian.config import Site
from antrian.loop import Loop
from display.config import BoardConfig
from display.guard import OnceLog, give_back_memory
from display.layout import Cell
from display.model import Announce, BoardModel
from display.present import Drawing
from display.screen import Screen
from mqtt.schemas import BadMessage, Call, CounterState, ServiceState, decode_state
from mqtt.topics import Topics

log = logging.getLogger(__name__)

MARQUEE_FPS = 25
READY_GRACE = 3.0      # s after connecting: ready even if the broker holds no state yet
IDLE_WAKE = 1.0        # s: the longest sleep (window events, watchdog)
COALESCE_S = 0.015     # s: the longest a call's frame waits for the counter state that follows
UNREACHABLE_AFTER = 2.0   # s without a first connection before the board says so
TRIM_EVERY = 60.0      # s between giving free heap pages back (idle turns only)
FOLD_BUDGET = 0.02     # s of messages folded per turn: a flood cannot starve frames or watchdog
MAX_PENDING = 20_000   # messages waiting to be folded; beyond, the oldest are dropped (logged)


class Board(Drawing):
    """A main board (``counter=None``) or the display above one counter.

    :param site: the loaded site.
    :param board: the board's configuration (``counter_display_config`` for a counter).
    :param counter: the counter id of a counter display.
    :param size: window size; None: full screen at the screen's own size.
    :param voice_dir: overrides the configured voice pack folder.
    :param trace: a file that gets one line per frame: time, the texts newly drawn, and when the
        frame's first message arrived.
    :param connection: an ``mqtt.client.Connection``-like object (default: a real one).
    :param loop: the owner-thread loop (default: a new :class:`antrian.loop.Loop`).
    :param screen: the :class:`display.screen.Screen` (default: a window of ``size``).
    :param clock: wall time (the model's times, the clock on screen).
    :param coalesce: the longest a call's frame waits for the counter state that follows it.
    """

    def __init__(self, site: Site, board: BoardConfig, *, counter: str | None = None,
                 size: tuple[int, int] | None = None, voice_dir: Path | None = None,
                 trace: Path | None = None, connection=None, loop: Loop | None = None,
                 screen: Screen | None = None, clock: Callable[[], float] = time.time,
                 coalesce: float = COALESCE_S):
        self.site, self.board, self.counter = site, board, counter
        self.voice_dir = voice_dir
        self.clock = clock
        self.coalesce = coalesce
        self.model = BoardModel(site, board, counter=counter)
        self.loop = loop or Loop(max_wait=IDLE_WAKE)
        self.screen = screen or Screen(size=size, rotate=board.rotate,
                                       caption=f"Antrian {self.component}")
        self.topics = Topics(site.site)
        self.renderer = None
        self.announcer = None
        self.cells: list[Cell] = []
        self.ready = False
        self.frames = 0
        self.dirty = self.full = True
        self.next_layout_at = 0.0
        self.connected_at: float | None = None
        self.unreachable: str | None = None   # host:port, once the board has said it is
        self.failed = OnceLog(log)
        self._started = time.monotonic()
        self._hold: tuple[str, float] | None = None   # (counter, until): a call's frame waits
        self._received: float | None = None
        self._trace = open(trace, "a", buffering=1) if trace else None
        self._watchdog = sdnotify.Watchdog()
        self._after_frame: list[Callable[[], None]] = []
        self._trim_at = 0.0
        self._pending: deque = deque(maxlen=MAX_PENDING)
        self._dropped = 0
        self.conn = connection if connection is not None else self._connection()
        if not self.conn.subscriptions:   # a connection made elsewhere gets the board's topics
            self.conn.subscriptions.extend(self.subscriptions())
        self.conn.on_message = self._on_mqtt
        self.conn.on_connect(lambda: self.loop.post(self._on_connection, True))
        self.conn.on_disconnect(lambda: self.loop.post(self._on_connection, False))
        from display.board_commands import BoardCommands
        from mqtt.maintenance import Maintenance
        self.commands = BoardCommands(self)
        self.maint = Maintenance(self.conn, health=self.health, on_reload=self.commands.reload)
        self.commands.register(self.maint)

    @property
    def component(self) -> str:
        return f"counter-display-{self.counter}" if self.counter else f"board-{self.board.id}"

    @property
    def kind(self) -> str:
        return "counter" if self.counter else self.board.layout

    def subscriptions(self) -> list[str]:
        t = self.topics
        if self.counter:
            return [t.counter_state(self.counter), t.call, t.lwt("queue")]
        return [t.service_state("+"), t.counter_state("+"), t.call, t.recent_calls,
                t.lwt("queue"), t.message]

    def _connection(self):
        from mqtt.client import Connection
        return Connection(self.site, self.component, subscriptions=self.subscriptions())

    def _on_mqtt(self, topic: str, payload: bytes, message: Any) -> None:
        # paho's thread: hand over, nothing else. Messages wait in a bounded deque; the loop is
        # woken only when it was empty, and folds them a budget at a time (fold_pending).
        pending = self._pending
        idle = not pending
        if len(pending) == MAX_PENDING:
            self._dropped += 1
        pending.append((topic, payload, bool(getattr(message, "retain", False)), time.time()))
        if idle:
            self.loop.post(self.fold_pending)

    def fold_pending(self) -> None:
        """Fold waiting messages for at most :data:`FOLD_BUDGET` (owner thread); what is left
        waits for the next turn, so a flood still leaves room for frames and the watchdog."""
        pending = self._pending
        end = time.monotonic() + FOLD_BUDGET
        while pending and time.monotonic() < end:
            self.on_message(*pending.popleft())
        if self._dropped:
            self.failed(("dropped",), "a flood of messages: %d dropped (the oldest)",
                        self._dropped)
            self._dropped = 0

    # -- life ------------------------------------------------------------------------------------

    def open(self) -> None:
        """Open the screen, the renderer and the voice (owner thread)."""
        from display.fonts import Fonts
        from display.render import Renderer
        self.screen.open()
        self.renderer = Renderer(self.screen.canvas, Fonts())
        if self.board.voice.enabled and not self.counter:
            self.make_announcer()

    def make_announcer(self) -> None:
        from display.voice import Announcer, VoicePack
        folder = self.voice_dir or self.board.voice.dir
        self.announcer = Announcer(VoicePack(folder), volume=self.board.voice.volume,
                                   gap_ms=self.board.voice.gap_ms)

    def serve(self, *, signals: bool = True) -> int:
        """The board's whole life on this thread: open, connect, run until stopped, close."""
        if signals and threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, lambda *_: self.stop())
        try:
            if self.renderer is None:
                self.open()
            self.maint.start()
            self.conn.start()
            self._started = time.monotonic()
            self.loop.run(deadline=self.deadline, tick=self.tick)
        finally:
            self.close()
        return 0

    def stop(self) -> None:
        self.loop.stop()

    def close(self) -> None:
        sdnotify.stopping()
        self.maint.stop()
        self.conn.stop()
        if self.announcer:
            self.announcer.close()
        if self._trace:
            self._trace.close()
            self._trace = None
        self.screen.close()

    def after_frame(self, fn: Callable[[], None]) -> None:
        """Run ``fn()`` after every turn of the loop (screenshots of ``--screenshot``, tests)."""
        self._after_frame.append(fn)

    # -- one turn --------------------------------------------------------------------------------

    def deadline(self) -> float:
        """Monotonic time of the next timed change (the loop sleeps until then or a message)."""
        now = self.clock()
        wakes = [now + IDLE_WAKE, self.next_layout_at]
        if self.renderer and self.renderer.marquee_active():
            wakes.append(now + 1 / MARQUEE_FPS)
        turn = self.model.next_turn_at()
        if turn is not None:
            wakes.append(turn)
        if self.announcer and (self.announcer.queue or self.announcer.busy()):
            wakes.append(now + 0.05)
        due = time.monotonic() + max(0.0, min(wakes) - now)
        if self._hold:
            due = min(due, self._hold[1])
        if not self.model.ever_connected and self.unreachable is None:
            due = min(due, self._started + UNREACHABLE_AFTER)
        return due

    def tick(self) -> None:
        """Window events, the model's timed changes, one frame, the voice, readiness."""
        self.pump_events()
        now = self.clock()
        if self.model.advance(now):
            self.dirty = True
        self._check_reachable()
        if self._hold and time.monotonic() >= self._hold[1]:
            self._hold = None
        if self._hold is None:
            self.draw(now)   # the frame first: the voice can start a few ms later, unnoticed
        if self.announcer:
            self.announcer.poll(time.monotonic())
        if self.ready and self._hold is None and time.monotonic() >= self._trim_at:
            self.renderer.fonts.forget_glyphs()
            give_back_memory()
            self._trim_at = time.monotonic() + TRIM_EVERY
        self._check_ready()
        self._watchdog.tick()
        for fn in self._after_frame:
            fn()
        if self._pending:   # a flood: fold the next share after this frame
            self.loop.post(self.fold_pending)

    def pump_events(self) -> None:
        import pygame
        for event in pygame.event.get():
            if event.type == pygame.QUIT:
                self.stop()
            elif event.type == pygame.KEYDOWN and event.key in (pygame.K_ESCAPE, pygame.K_q):
                self.stop()
            elif event.type in (pygame.VIDEORESIZE, pygame.WINDOWSIZECHANGED):
                self.screen.make_canvas()
                self.renderer.surface = self.screen.canvas
                self.full = True
            elif event.type in (pygame.VIDEOEXPOSE, pygame.WINDOWEXPOSED):
                self.full = True

    # -- messages --------------------------------------------------------------------------------

    def _on_connection(self, connected: bool) -> None:
        self.model.on_connection(connected, now=self.clock())
        self.connected_at = time.monotonic() if connected else None
        self.dirty = True

    def on_message(self, topic: str, payload: bytes, retained: bool, received: float) -> None:
        """Fold one message into the model (owner thread); never raises."""
        try:
            changed = self._fold(self.topics.parse(topic), payload, retained)
        except BadMessage as e:
            self.failed(("bad", topic), "ignored a bad message on %s: %s", topic, e)
            return
        except Exception as e:
            self.failed(("fold", topic, type(e).__name__),
                        "ignored a message on %s the board cannot take: %r", topic, e, exc=True)
            return
        if changed:
            self.dirty = True
            if self._received is None:
                self._received = received

    def _fold(self, levels: list[str], payload: bytes, retained: bool) -> bool:
        now = self.clock()
        model = self.model
        if len(levels) == 3 and levels[0] == "service" and levels[2] == "state":
            state = decode_state(payload, ServiceState)
            return model.on_service(state, retained=retained, now=now)
        if len(levels) == 3 and levels[0] == "counter" and levels[2] == "state":
            state = decode_state(payload, CounterState)
            if self._hold and self._hold[0] == state.counter:
                self._hold = None   # the state that follows the call: draw both now
            return model.on_counter(state, retained=retained, now=now)
        if levels == ["call"]:
            call = decode_state(payload, Call)
            effects = model.on_call(call, now=now)
            for effect in effects:
                self._announce(effect)
            if effects and (self.counter is None or call.counter == self.counter):
                self._hold = (call.counter, time.monotonic() + self.coalesce)
            return bool(effects) | model.advance(now)
        if levels == ["calls", "recent"]:
            return model.on_recent_calls(payload, retained=retained, now=now)
        if levels == ["tele", "queue", "lwt"]:
            return model.on_queue_presence(payload, retained=retained, now=now)
        if levels == ["message"]:
            return model.on_message_text(payload)
        return False

    def _announce(self, effect: Announce) -> None:
        if self.announcer is None:
            return
        # The model chose the words (the counter's name, the board's language) and the fallback
        # (the counter's id) for a pack that lacks a word of the name.
        self.announcer.say(list(effect.words), fallback=list(effect.fallback))

    def _check_ready(self) -> None:
        if self.ready or self.connected_at is None:
            return
        # Ready once the retained state of everything the board shows has arrived (one message
        # per service and counter), or after a grace period with a silent queue.
        complete = (set(self.board.services) <= set(self.model.services)
                    and set(self.board.counters) <= set(self.model.counters))
        if complete or time.monotonic() - self.connected_at >= READY_GRACE:
            self.ready = True
            # Everything made so far (fonts, site, caches) lives as long as the board: keep the
            # collector from walking it again, so a call never waits on a full collection.
            gc.collect()
            gc.freeze()
            self._trim_at = time.monotonic() + 5.0   # once the first frames have settled
            sdnotify.ready(f"{self.component}: {len(self.model.services)} services, "
                           f"{len(self.model.counters)} counters")
            log.info("%s ready", self.component)

    def _check_reachable(self) -> None:
        """A board that never reached its broker says so in the log with host:port, after
        :data:`UNREACHABLE_AFTER` (the screen's badge says it from the start: view.py)."""
        if self.model.ever_connected or self.unreachable is not None:
            return
        if time.monotonic() - self._started < UNREACHABLE_AFTER:
            return
        broker = getattr(self.conn, "broker", None) or self.site.broker
        self.unreachable = f"{broker.host}:{broker.port}"
        log.error("%s cannot reach the broker at %s (not connected after %.0f s); still trying",
                  self.component, self.unreachable, UNREACHABLE_AFTER)

    def health(self) -> dict:
        """The board's figures, read on its owner thread; a loop that does not answer within
        2 s is itself the figure (``loop_answering: false``): a stuck board says so."""
        try:
            return self.loop.call(self.figures, timeout=2.0)
        except concurrent.futures.TimeoutError:
            return {"board": self.board.id, "frames": self.frames, "loop_answering": False}

    def figures(self) -> dict:
        now = self.clock()
        last = self.model.last_message_at
        return {
            "board": self.board.id,
            "frames": self.frames,
            "last_data_age_s": None if last is None else round(now - last, 1),
            "queue_online": self.model.queue_online,
            "offline": self.model.offline,
            "announcements": self.announcer.played if self.announcer else 0,
            "calls": self.model.calls_seen,
            "volume": self.announcer.volume if self.announcer else None,
            "presents": self.screen.presents,
            "pending": len(self._pending),
            "loop_answering": True,
        }

