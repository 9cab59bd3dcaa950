"""A running board: MQTT messages in, frames and announcements out, on pygame's main thread.

    board = BoardApp(site, board_config(site, "lobby"), size=(1920, 1080))
    board.run()                    # until SIGTERM, a window close or ``stop()``

paho's thread only puts raw messages on a thread-safe inbox; the main thread sleeps on that inbox
until a message arrives or the next timed change is due (clock minute, flash phase, page turn,
running-text frame), so an idle board costs almost nothing and a call is drawn at once. The
inbox is a ``queue.Queue`` rather than ``pygame.event.wait``: SDL's wait polls every millisecond
on video drivers without a wake-up (dummy, KMSDRM), which the Pi Zero would feel.
"""

from __future__ import annotations

import base64
import gc
import io
import json
import logging
import os
import queue
import signal
import threading
import time
from pathlib import Path
from typing import Any, Callable

from antrian import sdnotify
from antrian.config import ConfigError, Site, load as load_site
from display.config import BoardConfig, board_config, counter_display_config
from display.layout import Cell, layout
from display.model import Announce, BoardModel
from display.speech import announcement
from display.view import build_view
from mqtt.maintenance import CommandError
from mqtt.schemas import BadMessage, Call, CounterState, ServiceState, decode_state

log = logging.getLogger(__name__)

MARQUEE_FPS = 25
READY_GRACE = 3.0     # s after connecting: ready even if the broker holds no state yet
IDLE_WAKE = 1.0       # s: the longest sleep (window events, watchdog)
SAMPLE_CALL = ("A012", "3")


class BoardApp:
    """A main board (``counter=None``) or the display above one counter.

    :param site: the loaded site.
    :param board: the board's configuration (``counter_display_config`` for a counter).
    :param counter: the counter id of a counter display.
    :param size: window size; None: full screen at the screen's own size.
    :param voice_dir: overrides the configured voice pack folder.
    :param trace: a file that gets one line per frame: time and the texts newly drawn.
    """

    def __init__(self, site: Site, board: BoardConfig, *, counter: str | None = None,
                 size: tuple[int, int] | None = None, voice_dir: Path | None = None,
                 trace: Path | None = None, connect: bool = True):
        self.site = site
        self.board = board
        self.counter = counter
        self.size = size
        self.voice_dir = voice_dir
        self.model = BoardModel(site, board, counter=counter)
        self.inbox: queue.Queue = queue.Queue()
        self.stopping = False
        self.ready = False
        self.connected_at: float | None = None
        self.frames = 0
        self.announcer = None
        self.screen = None
        self.canvas = None
        self.renderer = None
        self.cells: list[Cell] = []
        self.next_layout_at = 0.0
        self.dirty = True
        self.full = True
        self._trace = open(trace, "a", buffering=1) if trace else None
        self._received: float | None = None   # when the oldest message of this frame came in
        self._watchdog = sdnotify.Watchdog()
        self.conn = None
        self.maint = None
        if connect:
            self._make_connection()

    # -- wiring ----------------------------------------------------------------------------------

    @property
    def component(self) -> str:
        return f"counter-display-{self.counter}" if self.counter else f"board-{self.board.id}"

    @property
    def kind(self) -> str:
        return "counter" if self.counter else self.board.layout

    def _make_connection(self) -> None:
        from mqtt.client import Connection
        from mqtt.maintenance import Maintenance
        from mqtt.topics import Topics
        t = Topics(self.site.site)
        if self.counter:
            subs = [t.counter_state(self.counter), t.call, t.lwt("queue")]
        else:
            subs = [t.service_state("+"), t.counter_state("+"), t.call, t.lwt("queue"), t.message]
        self.topics = t
        self.conn = Connection(self.site, self.component, subscriptions=subs,
                               on_message=self._on_mqtt)
        self.conn.on_connect(lambda: self.inbox.put(("conn", True)))
        self.conn.on_disconnect(lambda: self.inbox.put(("conn", False)))
        self.maint = Maintenance(self.conn, health=self.health, on_reload=self._reload_command)
        self.maint.command("identify")(self._identify_command)
        self.maint.command("screenshot")(self._screenshot_command)
        self.maint.command("volume")(self._volume_command)
        self.maint.command("announce-test")(self._announce_test_command)

    def _on_mqtt(self, topic: str, payload: bytes, message: Any) -> None:
        # paho's thread: hand over, nothing else.
        self.inbox.put(("mqtt", topic, payload, bool(getattr(message, "retain", False)),
                        time.time()))

    # -- screen ----------------------------------------------------------------------------------

    def open_screen(self) -> None:
        import pygame
        from display.fonts import Fonts
        from display.render import Renderer
        pygame.display.init()
        pygame.font.init()
        driver = pygame.display.get_driver()
        log.info("video driver: %s", driver)
        if self.size:
            screen_size = self.size if self.board.rotate in (0, 180) else self.size[::-1]
            self.screen = pygame.display.set_mode(screen_size)
        elif driver in ("dummy", "offscreen"):
            self.screen = pygame.display.set_mode((1920, 1080))
        else:
            self.screen = pygame.display.set_mode((0, 0), pygame.FULLSCREEN)
        pygame.display.set_caption(f"Antrian {self.component}")
        pygame.mouse.set_visible(driver in ("x11", "wayland", "windows", "cocoa") and
                                 bool(self.size))
        self._make_canvas()
        self.renderer = Renderer(self.canvas, Fonts())
        if self.board.voice.enabled and not self.counter:
            self._make_announcer()

    def _make_canvas(self) -> None:
        import pygame
        w, h = self.screen.get_size()
        if self.board.rotate in (90, 270):
            self.canvas = pygame.Surface((h, w)).convert()
        elif self.board.rotate == 180:
            self.canvas = pygame.Surface((w, h)).convert()
        else:
            self.canvas = self.screen
        if self.renderer:
            self.renderer.surface = self.canvas
        self.full = True
        log.info("screen %dx%d, drawing %dx%d %s", w, h, *self.canvas.get_size(), self.kind)

    def _make_announcer(self) -> None:
        from display.voice import Announcer, VoicePack
        folder = self.voice_dir or self.board.voice.dir
        self.announcer = Announcer(VoicePack(folder), volume=self.board.voice.volume,
                                   gap_ms=self.board.voice.gap_ms)

    def present(self, dirty: list) -> None:
        """Push the dirty rectangles of the canvas to the screen (rotating them if needed)."""
        import pygame
        if not dirty:
            return
        if self.canvas is self.screen:
            pygame.display.update(dirty)
            return
        cw, ch = self.canvas.get_size()
        out = []
        for r in dirty:
            r = r.clip(self.canvas.get_rect())
            if not r.w or not r.h:
                continue
            piece = pygame.transform.rotate(self.canvas.subsurface(r), self.board.rotate)
            dest = rotate_rect((r.x, r.y, r.w, r.h), (cw, ch), self.board.rotate)
            self.screen.blit(piece, dest[:2])
            out.append(pygame.Rect(dest))
        pygame.display.update(out)

    # -- the loop --------------------------------------------------------------------------------

    def run(self, *, run_for: float | None = None, screenshot: Path | None = None,
            screenshot_every: float | None = None, wait_ready: float = 10.0) -> int:
        """Run until stopped; with ``screenshot`` (and no ``screenshot_every``): run until the
        board has its state (or ``wait_ready`` s), save one frame and return."""
        if self.screen is None:
            self.open_screen()
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, lambda *a: self.stop())
        if self.maint:
            self.maint.start()
        if self.conn:
            self.conn.start()
        started = time.monotonic()
        next_shot = started + (screenshot_every or 0)
        shot_n = 0
        try:
            while not self.stopping:
                self.step()
                mono = time.monotonic()
                if run_for is not None and mono - started >= run_for:
                    break
                if screenshot and not screenshot_every:
                    if (self.ready and self.model.last_message_at) or mono - started >= wait_ready:
                        self.step(block=False)
                        self.save_screenshot(screenshot)
                        break
                if screenshot and screenshot_every and mono >= next_shot:
                    shot_n += 1
                    path = Path(str(screenshot).replace("{n}", f"{shot_n:04d}"))
                    self.save_screenshot(path)
                    next_shot = mono + screenshot_every
        finally:
            self.close()
        return 0

    def stop(self) -> None:
        self.stopping = True
        self.inbox.put(("stop",))

    def close(self) -> None:
        import pygame
        sdnotify.stopping()
        if self.maint:
            self.maint.stop()
        if self.conn:
            self.conn.stop()
        if self.announcer:
            self.announcer.close()
        if self._trace:
            self._trace.close()
            self._trace = None
        pygame.display.quit()

    def next_wake(self, now: float) -> float:
        """Wall time of the next timed change (the loop sleeps until then or a message)."""
        wakes = [now + IDLE_WAKE, self.next_layout_at]
        if self.renderer and self.renderer.marquee_active():
            wakes.append(now + 1 / MARQUEE_FPS)
        turn = self.model.next_turn_at()
        if turn is not None:
            wakes.append(turn)
        if self.announcer and (self.announcer.queue or self.announcer.busy()):
            wakes.append(now + 0.05)
        return min(wakes)

    def step(self, block: bool = True) -> None:
        """One turn of the loop: wait for a message or the next timed change, then draw."""
        now = time.time()
        timeout = max(0.0, self.next_wake(now) - now) if block else 0.0
        try:
            item = self.inbox.get(timeout=timeout) if timeout > 0 else self.inbox.get_nowait()
            self.handle(item)
            while True:   # everything that arrived meanwhile, in one frame
                self.handle(self.inbox.get_nowait())
        except queue.Empty:
            pass
        self.pump_events()
        now = time.time()
        if self.model.advance(now):
            self.dirty = True
        self.draw(now)   # the frame first: the voice can start a few ms later, unnoticed
        if self.announcer:
            self.announcer.poll(time.monotonic())
        self._check_ready(now)
        self._watchdog.tick()

    def pump_events(self) -> None:
        import pygame
        for event in pygame.event.get():
            if event.type == pygame.QUIT:
                self.stop()
            elif event.type == pygame.KEYDOWN and event.key in (pygame.K_ESCAPE, pygame.K_q):
                self.stop()
            elif event.type in (pygame.VIDEORESIZE, pygame.WINDOWSIZECHANGED):
                self._make_canvas()
            elif event.type in (pygame.VIDEOEXPOSE, pygame.WINDOWEXPOSED):
                self.full = True

    # -- messages --------------------------------------------------------------------------------

    def handle(self, item: tuple) -> None:
        kind = item[0]
        now = time.time()
        if kind == "mqtt":
            self.handle_message(item[1], item[2], item[3], now)
            if self._received is None:
                self._received = item[4]
        elif kind == "conn":
            self.model.on_connection(item[1], now=now)
            self.connected_at = time.monotonic() if item[1] else None
            self.dirty = True
        elif kind == "call":
            fn, box = item[1], item[2]
            try:
                box["result"] = fn()
            except Exception as e:   # the caller (maintenance thread) reports it
                box["error"] = e
            box["done"].set()
        elif kind == "stop":
            self.stopping = True

    def handle_message(self, topic: str, payload: bytes, retained: bool, now: float) -> None:
        levels = self.topics.parse(topic) if self.conn else topic.split("/")[2:]
        try:
            if len(levels) == 3 and levels[0] == "service" and levels[2] == "state":
                changed = self.model.on_service(decode_state(payload, ServiceState),
                                                retained=retained, now=now)
            elif len(levels) == 3 and levels[0] == "counter" and levels[2] == "state":
                changed = self.model.on_counter(decode_state(payload, CounterState),
                                                retained=retained, now=now)
            elif levels == ["call"]:
                effects = self.model.on_call(decode_state(payload, Call), now=now)
                for effect in effects:
                    self._effect(effect)
                changed = bool(effects)
                if effects and self.model.advance(now):
                    changed = True
            elif levels == ["tele", "queue", "lwt"]:
                changed = self.model.on_queue_presence(payload, retained=retained, now=now)
            elif levels == ["message"]:
                changed = self.model.on_message_text(payload)
            else:
                return
        except BadMessage as e:
            log.warning("ignored a bad message on %s: %s", topic, e)
            return
        if changed:
            self.dirty = True

    def _effect(self, effect: Announce) -> None:
        if self.announcer is None:
            return
        service = self.site.services.get(effect.call.service)
        prefix = service.prefix + service.separator if service else None
        self.announcer.say(announcement(effect.call.ticket, effect.call.counter, prefix))

    def _check_ready(self, now: float) -> None:
        if self.ready or self.connected_at is None:
            return
        # Ready once the retained state of everything the board shows has arrived (it comes as
        # one message per service and counter), or after a grace period with a silent queue.
        complete = (set(self.board.services) <= set(self.model.services)
                    and set(self.board.counters) <= set(self.model.counters))
        if complete or time.monotonic() - self.connected_at >= READY_GRACE:
            self.ready = True
            # Everything made so far (fonts, site, caches) lives as long as the board: keep the
            # collector from walking it again, so a call never waits on a full collection.
            gc.collect()
            gc.freeze()
            sdnotify.ready(f"{self.component}: {len(self.model.services)} services, "
                           f"{len(self.model.counters)} counters")
            log.info("%s ready", self.component)

    # -- drawing ---------------------------------------------------------------------------------

    def timed_changes(self, now: float) -> float:
        """When the cells change next with no message: minute, flash phase, page, badge age."""
        wakes = [(now // 60 + 1) * 60]
        page = self.board.page_seconds
        wakes.append((now // page + 1) * page)
        if self.model.current_live:
            since = self.model.current_since
            end = since + self.board.flash_seconds
            if now < end:
                wakes.append(min(end, since + (int((now - since) / 0.5) + 1) * 0.5))
        if self.model.lost_at is not None:
            wakes.append(now + 1.0)
        if self.model.identify_until > now:
            wakes.append(self.model.identify_until)
        return min(wakes)

    def draw(self, now: float) -> None:
        if self.renderer is None:
            return
        full, self.full = self.full, False
        if self.dirty or full or now >= self.next_layout_at:
            self.dirty = False
            view = build_view(self.model, now)
            self.cells = layout(view, self.canvas.get_size(), self.kind)
            self.next_layout_at = self.timed_changes(now)
            dirty = self.renderer.draw(self.cells, now, full=full)
        else:   # only the running text moves
            dirty = [self.renderer.paint(c, now) for c in self.cells if c.marquee and c.text]
            self.renderer.painted = []
        if dirty:
            self.present(dirty)
            self.frames += 1
            if self._trace and self.renderer.painted:
                received = f"{self._received:.6f}" if self._received else "-"
                self._trace.write(f"{time.time():.6f}\t{json.dumps(self.renderer.painted)}\t"
                                  f"{received}\n")
        self._received = None

    # -- screenshots and commands ----------------------------------------------------------------

    def save_screenshot(self, path: Path) -> None:
        import pygame
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside and renamed, so a viewer never reads half a PNG.
        part = path.with_name(f".{path.name}.part.png")
        pygame.image.save(self.screen, str(part))
        os.replace(part, path)
        log.info("screenshot %s", path)

    def screenshot_png(self) -> dict:
        """The current frame as PNG (main thread only)."""
        import pygame
        buf = io.BytesIO()
        pygame.image.save(self.screen, buf, "png")
        w, h = self.screen.get_size()
        return {"png_base64": base64.b64encode(buf.getvalue()).decode(), "width": w, "height": h}

    def on_main(self, fn: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Run ``fn`` on the main thread (where pygame lives) and return its result."""
        box: dict = {"done": threading.Event()}
        self.inbox.put(("call", fn, box))
        if not box["done"].wait(timeout):
            raise CommandError("the board's main loop did not answer in time")
        if "error" in box:
            raise box["error"]
        return box["result"]

    def _identify_command(self, args: dict) -> dict:
        """Show the board's id big on screen for a few seconds ({"seconds": 5})."""
        seconds = args.get("seconds", 5)
        if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or not 0 < seconds <= 60:
            raise CommandError("seconds must be a number 0..60")

        def go():
            self.model.identify(time.time(), float(seconds))
            self.dirty = True
            return {"identifying": self.component, "seconds": seconds}
        return self.on_main(go)

    def _screenshot_command(self, args: dict) -> dict:
        """A PNG of what the screen shows now (base64 in data.png_base64)."""
        return self.on_main(self.screenshot_png)

    def _volume_command(self, args: dict) -> dict:
        """Set the announcement volume ({"level": 0..100}); without arguments, report it."""
        level = args.get("level")
        if level is not None and (not isinstance(level, int) or isinstance(level, bool)
                                  or not 0 <= level <= 100):
            raise CommandError("level must be an integer 0..100")

        def go():
            if self.announcer is None:
                if level is not None:
                    raise CommandError("this display has no voice (voice = false or no audio)")
                return {"level": None, "enabled": False}
            if level is not None:
                self.announcer.volume = level
            return {"level": self.announcer.volume, "enabled": self.announcer.enabled}
        return self.on_main(go)

    def _announce_test_command(self, args: dict) -> dict:
        """Play the chime and a sample call ({"ticket": "A012", "counter": "3"})."""
        ticket = args.get("ticket", SAMPLE_CALL[0])
        counter = args.get("counter", SAMPLE_CALL[1])
        if not isinstance(ticket, str) or not isinstance(counter, str):
            raise CommandError("ticket and counter must be strings")

        def go():
            if self.announcer is None or not self.announcer.enabled:
                raise CommandError("this display has no voice (voice = false or no audio)")
            words = announcement(ticket, counter)
            self.announcer.say(words)
            return {"words": words, "queued": len(self.announcer.queue)}
        return self.on_main(go)

    def _reload_command(self) -> dict:
        path = self.site.path
        if path is None:
            raise CommandError("the board was not started from a file")
        try:
            site = load_site(path)
            board = (counter_display_config(site, self.counter) if self.counter
                     else board_config(site, self.board.id))
        except ConfigError as e:
            raise CommandError(str(e)) from None

        def go():
            self.apply_config(site, board)
            return {"board": board.id, "services": len(board.services),
                    "counters": len(board.counters), "layout": board.layout}
        return self.on_main(go)

    def apply_config(self, site: Site, board: BoardConfig) -> None:
        """Take a re-read board section; the state already received stays."""
        rotate_changed = board.rotate != self.board.rotate
        self.site, self.board = site, board
        self.model.reconfigure(site, board)
        if self.announcer:
            self.announcer.volume = board.voice.volume
            self.announcer.gap_ms = board.voice.gap_ms
        elif board.voice.enabled and not self.counter and self.screen is not None:
            self._make_announcer()
        if rotate_changed and self.screen is not None:
            self._make_canvas()
        self.dirty = self.full = True

    def health(self) -> dict:
        now = time.time()
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
        }


def rotate_rect(rect: tuple[int, int, int, int], canvas: tuple[int, int], angle: int):
    """Where a canvas rectangle lands on the screen after rotating the canvas by ``angle``
    degrees counter-clockwise (pygame.transform.rotate's sense)."""
    x, y, w, h = rect
    cw, ch = canvas
    if angle == 90:
        return (y, cw - x - w, h, w)
    if angle == 180:
        return (cw - x - w, ch - y - h, w, h)
    if angle == 270:
        return (ch - y - h, x, h, w)
    return rect


def main(site: Site, board: BoardConfig, *, counter: str | None = None, **kwargs) -> int:
    run_args = {k: kwargs.pop(k) for k in ("run_for", "screenshot", "screenshot_every")
                if k in kwargs}
    trace = os.environ.get("ANTRIAN_FRAME_TRACE")
    app = BoardApp(site, board, counter=counter, trace=Path(trace) if trace else None, **kwargs)
    return app.run(**run_args)
