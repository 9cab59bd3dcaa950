"""``antrian display``'s bootstrap: a :class:`display.board.Board` with its real parts, and the
run options of the command line (``--run-for``, ``--screenshot``, ``--screenshot-every``).

    main(site, board_config(site, "lobby"), size=(1920, 1080))

The board is split in three: :mod:`display.screen` (window, canvas, present),
:mod:`display.board` (the owner-thread loop: messages, model, frames) and
:mod:`display.board_commands` (its maintenance commands).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from antrian.config import Site
from display.board import Board
from display.config import BoardConfig


class RunOptions:
    """Stop after ``run_for`` seconds; with ``screenshot`` alone, save one frame once the board
    has its state (or after ``wait_ready`` s) and stop; with ``screenshot_every``, keep saving
    (``{n}`` in the path numbers the files)."""

    def __init__(self, board: Board, *, run_for: float | None = None,
                 screenshot: Path | None = None, screenshot_every: float | None = None,
                 wait_ready: float = 10.0):
        self.board = board
        self.run_for = run_for
        self.screenshot = screenshot
        self.every = screenshot_every
        self.wait_ready = wait_ready
        self.started = time.monotonic()
        self.next_shot = self.started + (screenshot_every or 0)
        self.shots = 0

    def __call__(self) -> None:
        board, mono = self.board, time.monotonic()
        if self.run_for is not None and mono - self.started >= self.run_for:
            board.stop()
        if not self.screenshot:
            return
        if not self.every:
            if (board.ready and board.model.last_message_at) or \
                    mono - self.started >= self.wait_ready:
                board.draw(board.clock())
                board.screen.save(self.screenshot)
                board.stop()
        elif mono >= self.next_shot:
            self.shots += 1
            board.screen.save(Path(str(self.screenshot).replace("{n}", f"{self.shots:04d}")))
            self.next_shot = mono + self.every


def main(site: Site, board: BoardConfig, *, counter: str | None = None,
         run_for: float | None = None, screenshot: Path | None = None,
         screenshot_every: float | None = None, **kwargs) -> int:
    trace = os.environ.get("ANTRIAN_FRAME_TRACE")
    app = Board(site, board, counter=counter, trace=Path(trace) if trace else None, **kwargs)
    if run_for is not None or screenshot:
        app.after_frame(RunOptions(app, run_for=run_for, screenshot=screenshot,
                                   screenshot_every=screenshot_every))
    return app.serve()
