"""Cells and the board's colours: what the layout produces and the renderer paints.

    cells = Cells(u=1.0)
    cells.add("now.ticket", 0, 0, 800, 300, "A012", 240, face="bold")
"""

from __future__ import annotations

from dataclasses import dataclass

from display.measure import Color

NAVY: Color = (9, 27, 54)
PANEL: Color = (20, 52, 96)
ROW: Color = (14, 38, 72)
ROW_ALT: Color = (18, 45, 84)
WHITE: Color = (245, 247, 250)
SOFT: Color = (170, 190, 215)     # 6.5:1 on PANEL
YELLOW: Color = (255, 210, 63)
GREY: Color = (120, 130, 145)     # never for text: 3.2:1 on PANEL
AMBER: Color = (255, 178, 102)    # closed and reopening text: 7:1 on PANEL
RED: Color = (200, 30, 40)
ORANGE: Color = (240, 120, 20)
MARQUEE_BG: Color = (4, 14, 30)


@dataclass(frozen=True)
class Cell:
    key: str
    rect: tuple[int, int, int, int]       # x, y, w, h
    text: str = ""
    px: int = 0                           # font size in pixels
    face: str = "regular"
    fg: Color = WHITE
    bg: Color = NAVY
    align: str = "left"                   # left | center | right
    role: str = ""                        # what it is, for tests and the frame trace
    marquee: bool = False                 # text scrolls right to left


class Cells:
    def __init__(self, u: float):
        self.u = u
        self.items: list[Cell] = []

    def add(self, key, x, y, w, h, text="", px=0, **style) -> None:
        self.items.append(Cell(key, (round(x), round(y), max(0, round(x + w) - round(x)),
                                     max(0, round(y + h) - round(y))), text, int(px), **style))

    def lines(self, key, x, y, w, h, lines: list[str], px, **style) -> None:
        """One cell per line, stacked in the box (``key``, ``key.2``)."""
        step = h / max(1, len(lines))
        for i, line in enumerate(lines):
            self.add(key if i == 0 else f"{key}.{i + 1}", x, y + i * step, w, step, line, px,
                     **style)
