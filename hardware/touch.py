"""The kiosk's touch screen: the kiosk's services by agency, as large buttons, in Indonesian or
English (a button in the header switches; left alone, the screen goes home in Indonesian).

    screen = TouchScreen(site, cfg, on_tap=lambda sid, t, prio: loop.post(kiosk.tap, sid, t, prio))
    screen.run(stop)             # main thread (SDL wants it); the kiosk's loop runs on another

The layout is a pure function of the services and the screen size (:mod:`hardware.touch_layout`),
tested without a screen; the screen also implements the kiosk's feedback (``show``/``signal``), so
messages ("Silakan ambil tiket Anda: A016", "kertas printer habis") appear in its banner.
Each service's button carries a second line (:func:`button_detail`): why it is closed ("Kuota
habis (80 nomor)", greyed) or its standard ("Gratis - 15 menit"), from ``set_services``.
With ``checkin`` (a kiosk offering booked services), a button opens the booking check-in
screen (:mod:`hardware.touch_checkin`), which sends through ``on_checkin``. Its words are
:mod:`hardware.touch_text`'s; the kiosk's messages carry both languages (:mod:`hardware.said`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from antrian.config import Site
from hardware.config import DEFAULT_DPI, KioskConfig
# the kiosk's own words for its standing states (both languages); READY_TEXT importable from here
from hardware.kiosk import BUSY, NOT_CONNECTED
from hardware.kiosk_printing import READY_TEXT
from hardware.said import Said, in_language
from hardware.touch_checkin import CODE, IDLE_S, CheckinFlow, CheckinView, checkin_layout
from hardware.touch_checkin import draw as draw_checkin
# the layout is pure and lives apart; its names stay importable from here
from hardware.touch_layout import (Button, Layout, Rect, button_detail,  # noqa: F401
                                   group_by_agency, layout, target_px, wrap)
from hardware.touch_text import LABELS
from mqtt.consumer import clean_text

log = logging.getLogger(__name__)

MESSAGE_S = 8.0                    # a message stays this long, then the invitation comes back
FONTS = ["/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf",
         "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"]
COLOURS = {"bg": (245, 247, 250), "header": (13, 71, 161), "heading": (33, 33, 33),
           "button": (25, 118, 210), "button_text": (255, 255, 255), "nav": (96, 125, 139),
           "priority_on": (230, 81, 0), "info": (21, 101, 192), "ack": (46, 125, 50),
           "refused": (198, 40, 40), "busy": (245, 124, 0), "disabled": (158, 158, 158),
           "detail_text": (227, 242, 253), "closed_text": (90, 16, 16), "checkin": (0, 121, 107)}


class TouchScreen:
    """The pygame screen; also the kiosk's feedback (thread-safe ``show``/``signal``).

    :param on_tap: ``on_tap(service, t, priority)`` with the tap's monotonic time.
    :param size: window size; None: the display's own size (full screen).
    :param checkin: offer the booking check-in screen (``on_checkin(code, nik_last4, t)``).
    :param dpi: the screen's dots per inch (the TOML's ``dpi``): every key at least 9 mm.
    :param idle_s: left alone this long, the screen goes home: the services' first page, no
        priority, Indonesian (the check-in screen too).
    """

    def __init__(self, site: Site, cfg: KioskConfig, *, on_tap: Callable[[str, float, bool], None],
                 size: tuple[int, int] | None = None, fullscreen: bool | None = None,
                 checkin: bool = False, dpi: float = DEFAULT_DPI, idle_s: float = IDLE_S):
        self.site = site
        self.cfg = cfg
        self.on_tap = on_tap
        # keys typed on the kiosk (a USB QR scanner is a keyboard): hardware.checkin
        self.on_key: Callable[[str, float], None] | None = None
        self.offers_checkin = checkin
        self.on_checkin: Callable[[str, str, float], None] | None = None
        self.checkin = CheckinFlow(idle_s=idle_s)
        self.dpi = dpi
        self.idle_s = idle_s
        self.language = "id"
        self.touched = 0.0               # monotonic time of the last tap
        self.drawn: list[str] = []       # the texts of the last frame, as rendered
        self.groups = group_by_agency(site, cfg.services)
        self.size = size
        self.fullscreen = cfg.fullscreen if fullscreen is None else fullscreen
        self.page = 0
        self.priority = False
        self.mode = "steady"
        self.message: tuple[str, str] = (READY_TEXT, "info")
        self._message_until = 0.0
        self._fault_text: str = Said(LABELS["id"]["fault"], LABELS["en"]["fault"])
        self._lock = threading.Lock()
        self._dirty = True
        self._wake = None
        self.surface = None
        self.layout: Layout | None = None
        self._fonts: dict[int, object] = {}
        self.frames = 0
        self.details: dict[str, dict] = {}   # service -> its status and standard

    # -- feedback (any thread) -----------------------------------------------------------------------

    def show(self, mode: str) -> None:
        with self._lock:
            self.mode = mode
        self._poke()

    def signal(self, kind: str, text: str = "") -> None:
        with self._lock:
            self.message = (text, kind)
            if kind == "refused":
                self._fault_text = text
            self._message_until = time.monotonic() + MESSAGE_S
        self.checkin.answer(kind, text, time.monotonic())     # the check-in's answer, if awaited
        self._poke()

    def checking_in(self, code: str, t: float) -> None:
        """A check-in is being sent (typed here or scanned): this screen shows its answer."""
        self.checkin.begin(code, t)
        self._poke()

    def entry_refused(self, text: str) -> None:
        """A scanned code the kiosk refused before sending it (hardware.checkin)."""
        if self.checkin.refused(text, time.monotonic()):
            self._poke()

    def checkin_sent(self, rid: str | None) -> None:
        self.checkin.sent(rid)
        self._poke()

    def set_services(self, info: dict[str, dict]) -> None:
        """The services' status and standard (any thread): closed ones are greyed with why."""
        with self._lock:
            self.details = dict(info)
        self._poke()

    def identify(self, seconds: float = 5.0) -> None:
        self.signal("info", Said(*(LABELS[lang]["identify"].format(kiosk=self.cfg.kiosk,
                                                                   name=self.cfg.name)
                                   for lang in ("id", "en"))))

    def close(self) -> None:
        pass

    def _poke(self) -> None:
        self._dirty = True
        if self._wake is not None:
            import pygame
            try:
                pygame.event.post(pygame.event.Event(self._wake))
            except pygame.error:
                pass

    # -- screen (main thread) ------------------------------------------------------------------------

    def open(self) -> None:
        import os
        import pygame
        pygame.display.init()
        pygame.font.init()
        flags = pygame.FULLSCREEN if self.fullscreen and not self.size else 0
        self.surface = pygame.display.set_mode(self.size or (0, 0), flags)
        self.size = self.surface.get_size()
        pygame.display.set_caption(f"Antrian - {self.cfg.name}")
        pygame.mouse.set_visible(os.environ.get("SDL_VIDEODRIVER") not in ("kmsdrm",))
        self._wake = pygame.event.custom_type()
        log.info("touch screen %sx%s on video driver %s", *self.size, pygame.display.get_driver())
        keys = checkin_layout(CheckinView(CODE), self.size, dpi=self.dpi).keys \
            if self.offers_checkin else []
        home = self._layout()
        small = min(min(r[2:]) for r in [k.rect for k in keys] + [home.language.rect] +
                    [b.rect for b in home.buttons])
        if small < target_px(self.dpi):
            log.warning("touch keys are %d px: under 9 mm at %g DPI", small, self.dpi)

    def _layout(self):
        return layout(self.groups, self.size, self.page, priority=self.priority,
                      checkin=self.offers_checkin, dpi=self.dpi, language=self.language)

    def _resting_message(self, mode: str) -> tuple[str, str]:
        """What the banner says once a message has expired."""
        said, kind = {"offline": (NOT_CONNECTED, "refused"), "fault": (self._fault_text, "refused"),
                      "busy": (BUSY, "busy")}.get(mode, (READY_TEXT, "info"))
        return in_language(said, self.language), kind

    def go_home(self) -> None:
        """The screen left alone: the services' first page, no priority chosen, Indonesian."""
        self.checkin.close()
        self.page, self.priority, self.language = 0, False, "id"
        self._dirty = True

    def left_alone(self, t: float) -> bool:
        """Whether the screen should go home: the check-in left alone, or the home screen left
        away from its first page, with priority chosen or in English."""
        if self.checkin.active:
            return self.checkin.expired(t)
        return (self.page or self.priority or self.language != "id") \
            and t - self.touched > self.idle_s

    def font(self, px: int):
        import pygame
        if px not in self._fonts:
            path = next((f for f in FONTS if Path(f).exists()), None)
            self._fonts[px] = pygame.font.Font(path, px)
        return self._fonts[px]

    def tap_at(self, x: int, y: int, t: float) -> str | None:
        """Handle a tap at (x, y); returns the service tapped, if any."""
        self.touched = t
        if self.checkin.active:
            # laid out from the state now, not as last drawn: taps queued behind a redraw meet
            # the keys of the state they were made in
            key = checkin_layout(self.checkin.view(), self.size, dpi=self.dpi,
                                 language=self.language).hit(x, y)
            if key is not None and key.kind == "language":
                self._switch_language()
            sending = self.checkin.press(key, t) if key else None
            if sending and self.on_checkin:
                self.on_checkin(*sending, t)
            self._dirty = True
            return None
        if self.layout is None:
            return None
        b = self.layout.hit(x, y)
        if b is None:
            return None
        if b.kind == "service":
            self.on_tap(b.service, t, self.priority)
            self.priority = False            # priority is asked per ticket
            self._dirty = True
            return b.service
        if b.kind == "prev":
            self.page -= 1
        elif b.kind == "next":
            self.page += 1
        elif b.kind == "priority":
            self.priority = not self.priority
        elif b.kind == "checkin":
            self.checkin.open(t)
        elif b.kind == "language":
            self._switch_language()
        self._dirty = True
        return None

    def _switch_language(self) -> None:
        self.language = "en" if self.language == "id" else "id"

    def draw(self) -> None:
        import pygame
        self.drawn = []
        view = self.checkin.view()
        if view.state is not None:
            draw_checkin(self.surface, view, checkin_layout(view, self.size, dpi=self.dpi,
                                                            language=self.language),
                         COLOURS, self._text, self.language)
            pygame.display.flip()
            self.frames += 1
            self._dirty = False
            return
        words = LABELS[self.language]
        with self._lock:
            mode = self.mode
            text, kind = self.message
            if time.monotonic() > self._message_until:
                text, kind = self._resting_message(mode)
        text = in_language(text, self.language)
        s = self.surface
        self.layout = self._layout()
        self.page = self.layout.page
        s.fill(COLOURS["bg"])
        hx, hy, hw, hh = self.layout.title
        pygame.draw.rect(s, COLOURS["header"], self.layout.header)
        self._text(self.site.title, (hx, hy, hw, hh * 6 // 10), hh * 4 // 10, (255, 255, 255))
        self._text(words["invite"], (hx, hy + hh * 55 // 100, hw, hh * 4 // 10), hh * 22 // 100,
                   (227, 242, 253))
        for rect, heading in self.layout.headings:
            self._text(heading, rect, rect[3] * 7 // 10, COLOURS["heading"], align="left")
        busy = mode != "steady"
        with self._lock:
            details = self.details
        for b in self.layout.buttons + [self.layout.language]:
            is_open, detail = button_detail(details.get(b.service), self.language) \
                if b.kind == "service" else (True, "")
            colour = {"service": COLOURS["disabled"] if busy or not is_open else COLOURS["button"],
                      "priority": COLOURS["priority_on"] if self.priority else COLOURS["nav"],
                      "checkin": COLOURS["checkin"]}.get(b.kind, COLOURS["nav"])
            pygame.draw.rect(s, colour, b.rect, border_radius=12)
            if detail:
                x, y, w, h = b.rect
                top = (x, y + h * 4 // 100, w, h * 58 // 100)
                bottom = (x, y + h * 60 // 100, w, h * 36 // 100)
                self._text(b.label, top, max(18, h // 4), COLOURS["button_text"], wrap_ok=True)
                self._text(detail, bottom, max(15, h // 5),
                           COLOURS["closed_text"] if not is_open else COLOURS["detail_text"],
                           wrap_ok=True)
            else:
                self._text(b.label, b.rect, max(18, b.rect[3] // 4), COLOURS["button_text"],
                           wrap_ok=True)
        pygame.draw.rect(s, COLOURS.get(kind, COLOURS["info"]), self.layout.banner)
        bx, by, bw, bh = self.layout.banner
        self._text(text, (bx + 16, by, bw - 32, bh), bh * 3 // 10, (255, 255, 255), wrap_ok=True)
        if self.layout.pages > 1:
            self._text(words["page"].format(page=self.layout.page + 1, pages=self.layout.pages),
                       (bx, by + bh * 78 // 100, bw - 16, bh * 2 // 10), bh // 8, (255, 255, 255),
                       align="right")
        pygame.display.flip()
        self.frames += 1
        self._dirty = False

    def _text(self, text: str, rect: Rect, px: int, colour, *, align: str = "center",
              wrap_ok: bool = False) -> None:
        x, y, w, h = rect
        # Text from the queue's messages is untrusted: a NUL stops pygame's render for good.
        text = clean_text(text, 300)
        size = max(12, px)
        while True:
            font = self.font(size)
            lines = wrap(text, lambda line: font.size(line)[0] <= w - 16) if wrap_ok else [text]
            height = font.get_linesize() * len(lines)
            if (height <= h and all(font.size(line)[0] <= w - 16 for line in lines)) or size <= 12:
                break
            size -= 2
        ty = y + (h - height) // 2
        self.drawn.append(" ".join(lines))
        for line in lines:
            img = font.render(line, True, colour)
            tx = {"left": x + 8, "right": x + w - img.get_width() - 8}.get(
                align, x + (w - img.get_width()) // 2)
            self.surface.blit(img, (tx, ty))
            ty += font.get_linesize()

    def run(self, stop: threading.Event) -> None:
        import pygame
        if self.surface is None:
            self.open()
        while not stop.is_set():
            if self.left_alone(time.monotonic()):
                self.go_home()
            if self._dirty or time.monotonic() > self._message_until > 0:
                if not self._dirty:
                    self._message_until = 0.0        # the message expired: redraw once
                self.draw()
            event = pygame.event.wait(250)
            t = time.monotonic()
            while event.type != pygame.NOEVENT:
                if event.type == pygame.QUIT:
                    stop.set()
                elif event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
                    self.tap_at(*event.pos, t)
                elif event.type == pygame.KEYDOWN and self.on_key and event.unicode:
                    self.on_key(event.unicode, t)
                event = pygame.event.poll()
        pygame.display.quit()
