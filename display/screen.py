"""The board's screen: the pygame window, the canvas it draws on, and the present.

    screen = Screen(size=(1920, 1080), rotate=0, caption="Antrian board-lobby")
    screen.open()
    renderer = Renderer(screen.canvas, Fonts())
    screen.present(renderer.draw(cells, now))     # only the changed rectangles go out

Everything here runs on the board's owner thread (pygame's rule).

The present is the expensive part of a frame on a real display, not the drawing. Measured with
``bench/board_present.py`` on Xvfb at 1920x1080: SDL's default on X11 backs the window surface
with an OpenGL texture (on a machine without a GPU, Mesa's llvmpipe, on the CPU) and one
``display.update`` cost 9-14 ms of CPU; SDL's own X11 path (MIT-SHM, ``SDL_FRAMEBUFFER_
ACCELERATION=0``) costs 0.07-0.25 ms. So on X11 the board asks for the native path. Under KMSDRM
(a Pi without a desktop) SDL has no native window surface: it always goes through its GLES
renderer, where the upload and flip run on the Pi's GPU.
"""

from __future__ import annotations

import base64
import io
import logging
import os
from pathlib import Path

import pygame

log = logging.getLogger(__name__)

# SDL reads this hint when the window surface is made, from the environment, so it may be set
# after the driver is known. Only drivers with a native window surface may be given it: on
# KMSDRM "0" would leave the window without any surface.
NATIVE_SURFACE_DRIVERS = ("x11",)
MERGE_SLACK = 8     # px: rectangles this close are pushed as one


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


def merge_rects(rects: list, slack: int = MERGE_SLACK) -> list[pygame.Rect]:
    """Overlapping or nearly touching rectangles as one; far-apart ones stay apart (a union of
    the ticket panel and the running text would push most of the screen for two small changes,
    and on X11 several rectangles in one update cost no more than one)."""
    out = [pygame.Rect(r) for r in rects if r[2] > 0 and r[3] > 0]
    while True:
        merged: list[pygame.Rect] = []
        for r in out:
            grown = r.inflate(2 * slack, 2 * slack)
            for i, o in enumerate(merged):
                if grown.colliderect(o):
                    merged[i] = o.union(r)
                    break
            else:
                merged.append(r)
        if len(merged) == len(out):
            return merged
        out = merged


class Screen:
    """A window (or the whole screen) and the canvas the renderer draws on.

    :param size: window size; None: full screen at the screen's own size.
    :param rotate: 0, 90, 180 or 270: the canvas is turned counter-clockwise onto the screen.
    :param caption: the window title.
    """

    def __init__(self, *, size: tuple[int, int] | None = None, rotate: int = 0,
                 caption: str = "Antrian"):
        self.size = size
        self.rotate = rotate
        self.caption = caption
        self.window: pygame.Surface | None = None
        self.canvas: pygame.Surface | None = None
        self.driver = ""
        self.presents = 0

    def open(self) -> None:
        pygame.display.init()
        pygame.font.init()
        self.driver = pygame.display.get_driver()
        if self.driver in NATIVE_SURFACE_DRIVERS:
            os.environ.setdefault("SDL_FRAMEBUFFER_ACCELERATION", "0")
        log.info("video driver: %s", self.driver)
        if self.size:
            self.window = pygame.display.set_mode(
                self.size if self.rotate in (0, 180) else self.size[::-1])
        elif self.driver in ("dummy", "offscreen"):
            self.window = pygame.display.set_mode((1920, 1080))
        else:
            self.window = pygame.display.set_mode((0, 0), pygame.FULLSCREEN)
        pygame.display.set_caption(self.caption)
        pygame.mouse.set_visible(self.driver in ("x11", "wayland", "windows", "cocoa") and
                                 bool(self.size))
        self.make_canvas()

    def make_canvas(self) -> None:
        """(Re)make the canvas for the window's size and the rotation."""
        w, h = self.window.get_size()
        if self.rotate in (90, 270):
            self.canvas = pygame.Surface((h, w)).convert()
        elif self.rotate == 180:
            self.canvas = pygame.Surface((w, h)).convert()
        else:
            self.canvas = self.window
        log.info("screen %dx%d, drawing %dx%d", w, h, *self.canvas.get_size())

    def set_rotation(self, rotate: int) -> None:
        if rotate != self.rotate:
            self.rotate = rotate
            if self.window is not None:
                self.make_canvas()

    def present(self, dirty: list) -> None:
        """Push the dirty rectangles of the canvas to the screen, merged, rotated if needed."""
        if not dirty:
            return
        rects = merge_rects([pygame.Rect(r) for r in dirty])
        if self.canvas is not self.window:
            rects = [self._turn(r) for r in rects]
            rects = [r for r in rects if r is not None]
        pygame.display.update(rects)
        self.presents += 1

    def _turn(self, r: pygame.Rect) -> pygame.Rect | None:
        r = r.clip(self.canvas.get_rect())
        if not r.w or not r.h:
            return None
        piece = pygame.transform.rotate(self.canvas.subsurface(r), self.rotate)
        dest = rotate_rect((r.x, r.y, r.w, r.h), self.canvas.get_size(), self.rotate)
        self.window.blit(piece, dest[:2])
        return pygame.Rect(dest)

    def save(self, path: Path) -> None:
        """The current frame as a PNG file (written aside and renamed: never half a PNG)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        part = path.with_name(f".{path.name}.part.png")
        pygame.image.save(self.window, str(part))
        os.replace(part, path)
        log.info("screenshot %s", path)

    def png(self) -> dict:
        """The current frame as PNG, base64, with its size (the ``screenshot`` command)."""
        buf = io.BytesIO()
        pygame.image.save(self.window, buf, "png")
        w, h = self.window.get_size()
        return {"png_base64": base64.b64encode(buf.getvalue()).decode(), "width": w, "height": h}

    def close(self) -> None:
        pygame.display.quit()
