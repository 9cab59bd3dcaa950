"""How a board turns its model into a frame on screen, guarded (the drawing half of
:class:`display.board.Board`).

    board.draw(now)     # lay out if something changed, repaint changed cells, present them

A frame that fails leaves the last good frame on screen: nothing is presented before the frame
is complete, and the frame after a failure repaints and presents the whole screen, so no cell
drawn but never shown is left behind.
"""

from __future__ import annotations

import json
import time

from display.layout import Cell, layout
from display.view import build_view

RETRY_AFTER_FAILURE = 1.0   # s: a frame that failed is tried again this soon, not every tick


class Drawing:
    """The drawing methods of a board (mixed into :class:`display.board.Board`)."""

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

    def make_cells(self, now: float) -> list[Cell]:
        return layout(build_view(self.model, now), self.screen.canvas.get_size(), self.kind)

    def draw(self, now: float) -> None:
        """One frame, guarded: whatever fails, the last good frame stays and the loop goes on."""
        if self.renderer is None:
            return
        try:
            self._draw(now)
        except Exception as e:
            self.failed(("frame", type(e).__name__), "a frame failed (%r); the last good frame "
                        "stays", e, exc=True)
            self.next_layout_at = now + RETRY_AFTER_FAILURE
            self.dirty = False
            self.full = True    # what was painted but not presented: all of it, next time
        self._received = None

    def _draw(self, now: float) -> None:
        full, self.full = self.full, False
        if self.dirty or full or now >= self.next_layout_at:
            self.dirty = False
            self.cells = self.make_cells(now)
            self.next_layout_at = self.timed_changes(now)
            dirty = self.renderer.draw(self.cells, now, full=full)
        else:   # only the running text moves
            dirty = [self.renderer.paint(c, now) for c in self.cells if c.marquee and c.text]
            self.renderer.painted = []
        if dirty:
            self.screen.present(dirty)
            self.frames += 1
            if self._trace and self.renderer.painted:
                received = f"{self._received:.6f}" if self._received else "-"
                self._trace.write(f"{time.time():.6f}\t{json.dumps(self.renderer.painted)}\t"
                                  f"{received}\n")

