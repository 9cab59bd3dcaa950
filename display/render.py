"""Draws cells on a pygame surface, only those that changed since the last frame.

    renderer = Renderer(screen, Fonts())
    dirty = renderer.draw(layout(view, screen.get_size()), now)
    pygame.display.update(dirty)

Cells never overlap, so a changed cell is repainted on its own (background, then its text) and
only its rectangle is pushed to the screen. Rendered text is cached; the running text is rendered
once and only moved.
"""

from __future__ import annotations

import logging
import unicodedata
from collections import OrderedDict

import pygame

from display.fonts import Fonts
from display.layout import Cell

MARQUEE_SPEED = 140     # px per second at u = 1
MARQUEE_GAP = 0.5       # of the cell width, between two passes of the text
MAX_MARQUEE_CHARS = 500
MAX_CHARS = 200         # a cell holds one line: nothing longer is ever shown whole
ELLIPSIS = "…"
# Control, format (bidi overrides, zero-width), surrogate and unassigned code points: SDL_ttf
# refuses a NUL and a lone surrogate outright, and the others only draw boxes or reorder text.
HIDDEN = {"Cc", "Cf", "Cs", "Cn"}

log = logging.getLogger(__name__)


def visible(text: str, limit: int = MAX_CHARS) -> str:
    """``text`` as it may be drawn: hidden characters removed, at most ``limit`` characters."""
    text = text[:limit * 2]
    if text.isprintable() and text.isascii():
        return text[:limit]
    return "".join(ch for ch in text if unicodedata.category(ch) not in HIDDEN)[:limit]


def _bytes(surface: pygame.Surface) -> int:
    return surface.get_width() * surface.get_height() * surface.get_bytesize()


# Rendered texts kept, in bytes (8-bit surfaces): the flashing panel's two colourings and the
# cells of a page fit; a page turn or a call draws its new texts anyway (0.1-0.5 ms each).
# 4 MB held on a 4K board cost 3.5 MB idle and 6.8 MB after calls for no latency
# (bench/press_to_pixel.py, docs/display.md "Memory").
TEXT_CACHE_BYTES = 2**20


class Renderer:
    def __init__(self, surface: pygame.Surface, fonts: Fonts, *,
                 cache_bytes: int = TEXT_CACHE_BYTES):
        self.surface = surface
        self.fonts = fonts
        self.cells: dict[str, Cell] = {}
        # Bounded by bytes, not entries: one big ticket at 390 px (4K) is half a megabyte.
        self.cache_bytes = cache_bytes
        self._cached = 0
        self._text: OrderedDict[tuple, pygame.Surface] = OrderedDict()
        self._marquee: tuple[tuple, pygame.Surface] | None = None
        self.frames = 0
        self.ellipsized: set[str] = set()   # keys of cells whose text did not fit (for tests)
        self.painted: list[str] = []        # texts painted by the last draw (the frame trace)
        self.failed: set[str] = set()       # keys of cells whose text could not be drawn
        self._scrolled: tuple | None = None  # ((rect, text key), offset) the strip shows now
        self.scroll = True                  # move the running text in place (False: repaint)

    # -- text ----------------------------------------------------------------------------------

    def text_surface(self, text: str, face: str, px: int, fg, bg) -> pygame.Surface:
        """Antialiased text on its cell's opaque background: an 8-bit surface (SDL_ttf's
        "shaded" mode), a quarter of the memory of per-pixel alpha and quicker to blit."""
        text = visible(text) or " "
        key = (text, face, px, fg, bg)
        surf = self._text.get(key)
        if surf is None:
            surf = self.fonts.get(face, px).render(text, True, fg, bg)
            self._text[key] = surf
            self._cached += _bytes(surf)
            while self._cached > self.cache_bytes and len(self._text) > 1:
                self._cached -= _bytes(self._text.popitem(last=False)[1])
        else:
            self._text.move_to_end(key)
        return surf

    def _fitted(self, cell: Cell, room: int) -> pygame.Surface:
        shown = visible(cell.text)
        surf = self.text_surface(shown, cell.face, cell.px, cell.fg, cell.bg)
        if surf.get_width() <= room:
            self.ellipsized.discard(cell.key)
            return surf
        self.ellipsized.add(cell.key)
        font = self.fonts.get(cell.face, cell.px)
        lo, hi = 0, len(shown)
        while lo < hi:   # the longest prefix that fits with an ellipsis
            mid = (lo + hi + 1) // 2
            if font.size(shown[:mid].rstrip() + ELLIPSIS)[0] <= room:
                lo = mid
            else:
                hi = mid - 1
        return self.text_surface(shown[:lo].rstrip() + ELLIPSIS, cell.face, cell.px, cell.fg,
                                 cell.bg)

    # -- drawing -------------------------------------------------------------------------------

    def paint(self, cell: Cell, now: float) -> pygame.Rect:
        """Repaint one cell; a cell whose text cannot be drawn keeps its background alone (and
        is logged once), so one bad text never costs the rest of the frame."""
        rect = pygame.Rect(cell.rect)
        if not cell.marquee:
            self.surface.fill(cell.bg, rect)
        try:
            self._paint_text(cell, rect, now)
        except (pygame.error, ValueError, UnicodeError, OverflowError, MemoryError) as e:
            self.surface.set_clip(None)
            self.surface.fill(cell.bg, rect)
            self._scrolled = None
            if cell.key not in self.failed:
                log.warning("cell %s: text %r cannot be drawn: %r", cell.key, cell.text[:40], e)
                self.failed.add(cell.key)
        return rect

    def _paint_text(self, cell: Cell, rect: pygame.Rect, now: float) -> None:
        if cell.marquee:
            self._paint_marquee(cell, rect, now)
        elif cell.text and cell.px > 0:
            pad = max(4, min(rect.h // 8, 16)) if cell.align != "center" else 4
            surf = self._fitted(cell, max(1, rect.w - 2 * pad))
            y = rect.y + (rect.h - surf.get_height()) // 2
            if cell.align == "center":
                x = rect.x + (rect.w - surf.get_width()) // 2
            elif cell.align == "right":
                x = rect.right - pad - surf.get_width()
            else:
                x = rect.x + pad
            self.surface.set_clip(rect)
            self.surface.blit(surf, (x, y))
            self.surface.set_clip(None)

    def _paint_marquee(self, cell: Cell, rect: pygame.Rect, now: float) -> None:
        """The running text at ``now``. When the strip on the canvas holds the same text a few
        pixels back, its pixels are moved left in place and only the new columns on the right
        are painted: the same pixels as a full repaint (glyphs land on whole pixels), for about
        a quarter less CPU per step at 4K (bench/board_marquee.py: 1.9 -> 1.5 % of a core)."""
        text = visible(cell.text, MAX_MARQUEE_CHARS)
        if not text:
            self.surface.fill(cell.bg, rect)
            self._scrolled = None
            return
        key = (text, cell.face, cell.px, cell.fg, cell.bg)
        if self._marquee is None or self._marquee[0] != key:
            self._marquee = (key, self.fonts.get(cell.face, cell.px).render(text, True, cell.fg,
                                                                             cell.bg))
        surf = self._marquee[1]
        span = surf.get_width() + int(rect.w * MARQUEE_GAP)
        offset = int(now * MARQUEE_SPEED * rect.h / 88) % span
        where = (tuple(rect), key)
        last = self._scrolled
        step = (offset - last[1]) % span if last and last[0] == where else None
        self._scrolled = (where, offset)
        if step is not None and 0 <= step < rect.w // 2 and self.scroll:
            if step:
                self.surface.set_clip(rect)
                self.surface.scroll(-step, 0)
                self._blit_marquee(surf, pygame.Rect(rect.right - step, rect.y, step, rect.h),
                                   rect, offset, span, cell.bg)
            return
        self._blit_marquee(surf, rect, rect, offset, span, cell.bg)

    def _blit_marquee(self, surf: pygame.Surface, area: pygame.Rect, rect: pygame.Rect,
                      offset: int, span: int, bg) -> None:
        """Paint ``area`` of the strip ``rect``: background, then every copy of the text."""
        self.surface.set_clip(area)
        self.surface.fill(bg, area)
        y = rect.y + (rect.h - surf.get_height()) // 2
        x = rect.right - offset
        while x > rect.x - span:
            self.surface.blit(surf, (x, y))
            x -= span
        x = rect.right - offset + span
        while x < rect.right:
            self.surface.blit(surf, (x, y))
            x += span
        self.surface.set_clip(None)

    def draw(self, cells: list[Cell], now: float, *, full: bool = False) -> list[pygame.Rect]:
        """Repaint what changed; returns the dirty rectangles (the whole screen when ``full``)."""
        dirty: list[pygame.Rect] = []
        new = {c.key: c for c in cells}
        if full:
            self.surface.fill((0, 0, 0))
            self.cells = {}
            self._scrolled = None
        for key, old in self.cells.items():
            # A cell that went away or moved (counters opening move the grid and the services
            # below it) leaves bare background where it was; the gaps between the new cells
            # would otherwise keep its old pixels.
            if key not in new or new[key].rect != old.rect:
                if old.marquee:
                    self._scrolled = None
                rect = pygame.Rect(old.rect)
                self.surface.fill((0, 0, 0), rect)
                dirty.append(rect)
        self.painted = []
        for cell in cells:
            if cell.marquee and cell.text or self.cells.get(cell.key) != cell:
                dirty.append(self.paint(cell, now))
                if not cell.marquee and cell.text:
                    self.painted.append(cell.text)
        self.cells = new
        self.frames += 1
        if full:
            return [self.surface.get_rect()]
        return dirty

    def marquee_active(self) -> bool:
        return any(c.marquee and c.text for c in self.cells.values())
