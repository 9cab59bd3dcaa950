"""Where presses come from: switches on GPIO, or keys on the terminal (a USB numeric keypad).

    inputs = Switches({"next": 17, "skip": 22}, post=loop.post, bounce_time=0.02)
    keys = KeyReader(PANEL_KEYS, on_key=lambda a: loop.post(panel.press, a)).start()

Switches hand raw edges (with their time) to the loop, where :class:`ButtonInput` debounces
them; the loop asks :meth:`Switches.deadline` when to come back for hold and bounce timers.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable

from hardware.gesture import TOGGLE, ButtonInput
from ticketing.model import Action

log = logging.getLogger(__name__)

# Panel keys: letters on a keyboard, and the same actions on a numeric keypad.
PANEL_KEYS = {"n": Action.NEXT, "1": Action.NEXT, "+": Action.NEXT,
              "r": Action.RECALL, "2": Action.RECALL, "*": Action.RECALL,
              "s": Action.SKIP, "3": Action.SKIP, "-": Action.SKIP,
              "c": TOGGLE, "0": TOGGLE, "/": TOGGLE}


class Switches:
    """Switches on GPIO (pressed = pin pulled low, the usual wiring to ground).

    :param pins: name -> pin; the name is the action of a plain button, or ``ONE`` for a
        one-button panel (press/hold/double press).
    :param post: ``post(fn, *args)`` to the loop thread.
    :param on_action: ``on_action(name, action, t)`` called on the loop thread; ``t`` is the
        monotonic time of the edge that made it (a kiosk ignores taps made while it was busy).
    """

    ONE = "*one*"

    def __init__(self, pins: dict, *, post: Callable, on_action: Callable[[str, str, float], None],
                 bounce_time: float = 0.02, hold_time: float = 1.5, double_press_s: float = 0.4,
                 pin_factory=None, monotonic: Callable[[], float] = time.monotonic):
        from gpiozero import Button
        self.post = post
        self.on_action = on_action
        self.monotonic = monotonic
        self.inputs: dict[str, ButtonInput] = {}
        self.buttons = {}
        for name, pin in pins.items():
            self.inputs[name] = ButtonInput(None if name == self.ONE else name,
                                            bounce_time=bounce_time, hold_time=hold_time,
                                            double_press_s=double_press_s)
            # bounce_time=None: every raw edge reaches us; the debounce is ours (FIELD-NOTES).
            button = Button(pin, pull_up=True, bounce_time=None, pin_factory=pin_factory)
            button.when_pressed = self._edge_handler(name, True)
            button.when_released = self._edge_handler(name, False)
            self.buttons[name] = button

    def _edge_handler(self, name: str, level: bool) -> Callable[[], None]:
        def handler() -> None:
            # gpiozero's thread (or the test's, with mock pins): take the time, hand off.
            self.post(self._edge, name, level, self.monotonic())
        return handler

    def _edge(self, name: str, level: bool, t: float) -> None:
        for action in self.inputs[name].edge(level, t):
            self.on_action(name, action, t)

    def deadline(self) -> float | None:
        times = [d for d in (i.deadline() for i in self.inputs.values()) if d is not None]
        return min(times) if times else None

    def poll(self) -> None:
        now = self.monotonic()
        for name, inp in self.inputs.items():
            for action in inp.poll(now):
                self.on_action(name, action, now)

    def configure(self, *, bounce_time: float, hold_time: float, double_press_s: float) -> None:
        for inp in self.inputs.values():
            inp.debouncer.bounce_time = bounce_time
            if inp.gestures:
                inp.gestures.hold_time = hold_time
                inp.gestures.double_press_s = double_press_s

    def close(self) -> None:
        for b in self.buttons.values():
            b.close()


class KeyReader:
    """Reads single keys from the terminal on a thread (no Enter needed on a real terminal;
    from a pipe, every character counts and whitespace is ignored).

    :param keymap: character -> action; other keys print ``help``.
    :param on_key: ``on_key(action)``, called on the reader's thread: post it to the loop.
    """

    def __init__(self, keymap: dict[str, str], *, on_key: Callable[[str], None],
                 help: str = "", fd: int | None = None, on_eof: Callable[[], None] | None = None):
        self.keymap = keymap
        self.on_key = on_key
        self.help = help
        self.fd = sys.stdin.fileno() if fd is None else fd
        self.on_eof = on_eof
        self._saved = None
        self.thread = threading.Thread(target=self._read, name="keys", daemon=True)

    def start(self) -> "KeyReader":
        if os.isatty(self.fd):
            import termios
            import tty
            self._saved = termios.tcgetattr(self.fd)
            tty.setcbreak(self.fd)
        self.thread.start()
        return self

    def restore(self) -> None:
        if self._saved is not None:
            import termios
            termios.tcsetattr(self.fd, termios.TCSADRAIN, self._saved)
            self._saved = None

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.fd, 64)
            except OSError as e:
                log.error("keyboard read failed: %s", e)
                break
            if not data:
                log.info("keyboard input closed")
                break
            for ch in data.decode("utf-8", "replace"):
                if ch.isspace():
                    continue
                action = self.keymap.get(ch.lower())
                if action is None:
                    if self.help:
                        print(self.help, flush=True)
                    continue
                try:
                    self.on_key(action)
                except Exception:
                    log.exception("key %r failed", ch)
        if self.on_eof:
            self.on_eof()
