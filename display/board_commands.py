"""A board's maintenance commands: identify, screenshot, volume, announce-test, reload.

    commands = BoardCommands(board)
    commands.register(maintenance)       # cmnd/board-<id>/<name>

Commands run on the maintenance worker thread; whatever touches pygame or the board's state is
handed to the board's owner thread (``board.loop.call``) and waited for.
"""

from __future__ import annotations

import concurrent.futures
from typing import Any, Callable

from antrian.config import ConfigError, Site, load as load_site
from display.config import BoardConfig, board_config, counter_display_config
from display.speech import announcement
from mqtt.maintenance import CommandError

SAMPLE_CALL = ("A012", "3")
ANSWER_WITHIN = 10.0    # s: a board loop that does not answer by then is reported, not waited on


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class BoardCommands:
    """The commands of one board (``board`` is a :class:`display.board.Board`)."""

    def __init__(self, board):
        self.board = board

    def register(self, maint) -> None:
        maint.command("identify")(self.identify)
        maint.command("screenshot")(self.screenshot)
        maint.command("volume")(self.volume)
        maint.command("announce-test")(self.announce_test)

    def on_owner(self, fn: Callable[[], Any]) -> Any:
        """Run ``fn`` on the board's owner thread and return its result."""
        try:
            return self.board.loop.call(fn, timeout=ANSWER_WITHIN)
        except concurrent.futures.TimeoutError:
            raise CommandError("the board's main loop did not answer in time") from None

    def identify(self, args: dict) -> dict:
        """Show the board's id big on screen for a few seconds ({"seconds": 5})."""
        seconds = args.get("seconds", 5)
        if not _number(seconds) or not 0 < seconds <= 60:
            raise CommandError("seconds must be a number 0..60")
        board = self.board

        def go():
            board.model.identify(board.clock(), float(seconds))
            board.dirty = True
            return {"identifying": board.component, "seconds": seconds}
        return self.on_owner(go)

    def screenshot(self, args: dict) -> dict:
        """A PNG of what the screen shows now (base64 in data.png_base64)."""
        return self.on_owner(self.board.screen.png)

    def volume(self, args: dict) -> dict:
        """Set the announcement volume ({"level": 0..100}); without arguments, report it."""
        level = args.get("level")
        if level is not None and (not isinstance(level, int) or isinstance(level, bool)
                                  or not 0 <= level <= 100):
            raise CommandError("level must be an integer 0..100")
        board = self.board

        def go():
            if board.announcer is None:
                if level is not None:
                    raise CommandError("this display has no voice (voice = false or no audio)")
                return {"level": None, "enabled": False}
            if level is not None:
                board.announcer.volume = level
            return {"level": board.announcer.volume, "enabled": board.announcer.enabled}
        return self.on_owner(go)

    def announce_test(self, args: dict) -> dict:
        """Play the chime and a sample call ({"ticket": "A012", "counter": "3"})."""
        ticket = args.get("ticket", SAMPLE_CALL[0])
        counter = args.get("counter", SAMPLE_CALL[1])
        if not isinstance(ticket, str) or not isinstance(counter, str):
            raise CommandError("ticket and counter must be strings")
        if not (0 < len(ticket) <= 16 and 0 < len(counter) <= 16):
            raise CommandError("ticket and counter must be 1..16 characters")
        board = self.board

        def go():
            if board.announcer is None or not board.announcer.enabled:
                raise CommandError("this display has no voice (voice = false or no audio)")
            words = announcement(ticket, counter)
            board.announcer.say(words)
            return {"words": words, "queued": len(board.announcer.queue)}
        return self.on_owner(go)

    def reload(self) -> dict:
        """Re-read the board's section of the site file; the state received so far stays."""
        board = self.board
        path = board.site.path
        if path is None:
            raise CommandError("the board was not started from a file")
        try:
            site = load_site(path)
            config = (counter_display_config(site, board.counter) if board.counter
                      else board_config(site, board.board.id))
        except ConfigError as e:
            raise CommandError(str(e)) from None

        def go():
            apply_config(board, site, config)
            return {"board": config.id, "services": len(config.services),
                    "counters": len(config.counters), "layout": config.layout}
        return self.on_owner(go)


def apply_config(board, site: Site, config: BoardConfig) -> None:
    """Take a re-read board section (owner thread); the state already received stays."""
    board.site, board.board = site, config
    board.model.reconfigure(site, config)
    if board.announcer:
        board.announcer.volume = config.voice.volume
        board.announcer.gap_ms = config.voice.gap_ms
    elif config.voice.enabled and not board.counter and board.renderer is not None:
        board.make_announcer()
    if config.rotate != board.screen.rotate:
        board.screen.set_rotation(config.rotate)
        if board.renderer is not None:
            board.renderer.surface = board.screen.canvas
    board.dirty = board.full = True
