"""System fonts (Debian's DejaVu, else Noto), each face and size up to ``KEEP_PX`` loaded once.

    fonts = Fonts()
    fonts.get("bold", 120).size("A012")

No font is downloaded or shipped: DejaVu comes with ``fonts-dejavu-core`` (on every Raspberry Pi
OS image); pygame's own default font is the last resort so a board always starts.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pygame

log = logging.getLogger(__name__)

# SDL_ttf keeps every glyph it has drawn as a bitmap inside its font object: a 4K board's four
# sizes above 200 px (240-390 px) held 6.3 MB once tickets and counter names had been drawn.
# Larger fonts are opened for each use and closed with it instead: 0.2-0.5 ms per text, which
# the renderer's text cache pays once per new text (measured, see docs/display.md).
KEEP_PX = 200

FONT_DIRS = [Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/truetype/noto"),
             Path("/usr/share/fonts/opentype/noto"), Path("/usr/share/fonts/TTF"),
             Path("/usr/local/share/fonts")]
CANDIDATES = {
    "regular": ["DejaVuSans.ttf", "NotoSans-Regular.ttf"],
    "bold": ["DejaVuSans-Bold.ttf", "NotoSans-Bold.ttf"],
    "condensed": ["DejaVuSansCondensed.ttf", "NotoSans-Condensed.ttf", "DejaVuSans.ttf",
                  "NotoSans-Regular.ttf"],
    "condensed-bold": ["DejaVuSansCondensed-Bold.ttf", "NotoSans-CondensedBold.ttf",
                       "DejaVuSans-Bold.ttf", "NotoSans-Bold.ttf"],
}


def find_face(face: str, dirs: list[Path] = FONT_DIRS) -> Path | None:
    for name in CANDIDATES[face]:
        for folder in dirs:
            path = folder / name
            if path.is_file():
                return path
    return None


class Fonts:
    """Font objects by (face, pixel size), created on first use and kept up to ``KEEP_PX``."""

    def __init__(self, dirs: list[Path] = FONT_DIRS):
        if not pygame.font.get_init():
            pygame.font.init()
        self.paths = {face: find_face(face, dirs) for face in CANDIDATES}
        for face, path in self.paths.items():
            if path is None:
                log.warning("no system font for %s (install fonts-dejavu-core); using pygame's",
                            face)
        self._cache: dict[tuple[str, int], pygame.font.Font] = {}

    def get(self, face: str, px: int) -> pygame.font.Font:
        key = (face, max(1, int(px)))
        font = self._cache.get(key)
        if font is None:
            path = self.paths.get(face)
            font = pygame.font.Font(str(path) if path else None, key[1])
            if path is None and "bold" in face:
                font.set_bold(True)
            if key[1] <= KEEP_PX:
                self._cache[key] = font
        return font

    def forget_glyphs(self) -> None:
        """Drop the glyph bitmaps the kept fonts hold (setting a font's size again flushes its
        cache in SDL_ttf): 4-6 MB at 4K once service names have been drawn, while the texts
        themselves stay in the renderer's cache. The next new text draws its glyphs again."""
        for font in self._cache.values():
            font.point_size = font.point_size
