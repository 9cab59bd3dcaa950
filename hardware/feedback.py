"""How a panel or kiosk shows itself: an LED and a buzzer through gpiozero, or lines on a terminal.

    fb = LedFeedback(led=24, buzzer=25)          # pin_factory=MockFactory() in tests
    fb.show("pending")                           # blinking while a press is in flight
    fb.signal("refused", "skip ditolak: ...")    # three quick flashes and two beeps, then back
    loop.run(deadline=fb.deadline, tick=fb.update)   # the loop turns the pins at the right times

Modes: ``steady`` (LED on), ``off``, ``pending`` (blink 2 Hz), ``offline`` (fast blink 8 Hz);
a kiosk adds ``busy`` (as pending) and ``fault`` (as offline). Signals are short overlays after
which the current mode comes back.

The blinking is computed (:class:`Blink`, pure) and the panel's own loop switches the pins at
the phase boundaries: no thread is started or joined per press (gpiozero's ``blink()`` starts
one each time, half a millisecond here and more on a Pi Zero), and every blink starts with the
LED lit, so a press answered within a quarter second shows no flicker at all.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from mqtt.consumer import clean_text

log = logging.getLogger(__name__)

BLINK = {"pending": (0.25, 0.25), "busy": (0.25, 0.25), "offline": (0.06, 0.06),
         "fault": (0.06, 0.06)}
SIGNAL_S = 0.6         # how long a refusal's flashes take before the mode comes back
EPSILON = 1e-4


@dataclass(frozen=True)
class Flash:
    on: float
    off: float
    start: float
    until: float


class Blink:
    """One on/off output over time: a base mode and, on top, a short flash pattern. Pure.

        b = Blink()
        b.set_mode("pending", t=0.0)
        b.level(0.1), b.level(0.3), b.next_change(0.1)     # True, False, 0.25
    """

    def __init__(self, mode: str = "off"):
        self.mode = mode
        self.since = 0.0
        self.flash: Flash | None = None

    def set_mode(self, mode: str, t: float) -> None:
        if mode != self.mode:
            self.mode, self.since = mode, t

    def flash_for(self, on: float, off: float, seconds: float, t: float) -> None:
        self.flash = Flash(on, off, t, t + seconds)

    def _pattern(self, t: float) -> tuple[float, float, float, float | None] | None:
        """(on, off, start, until) of what runs at ``t``; None for a steady level."""
        if self.flash is not None and t < self.flash.until:
            return self.flash.on, self.flash.off, self.flash.start, self.flash.until
        if self.mode in BLINK:
            on, off = BLINK[self.mode]
            return on, off, self.since, None
        return None

    def level(self, t: float) -> bool:
        pattern = self._pattern(t)
        if pattern is None:
            return self.mode == "steady"
        on, off, start, _ = pattern
        return (t - start) % (on + off) < on

    def next_change(self, t: float) -> float | None:
        pattern = self._pattern(t)
        if pattern is None:
            return None
        on, off, start, until = pattern
        period = on + off
        n, phase = divmod(t - start, period)
        boundary = start + n * period + (on if phase < on else period)
        # Just past the boundary, so the level there has surely flipped despite rounding (else
        # the loop would wake at the boundary, see no change, and spin on it).
        boundary += EPSILON
        return boundary if until is None else min(boundary, until)


class LedFeedback:
    """An LED (and optional buzzer) on GPIO, switched by the owner's loop.

    Call :meth:`update` when :meth:`deadline` (monotonic) has passed; ``show``, ``signal`` and
    ``identify`` apply at once. All calls come from the one loop thread.

    :param led: the LED's pin (None: no LED, the buzzer alone).
    :param buzzer: an active buzzer's pin, or None.
    :param pin_factory: gpiozero's factory (None: ``GPIOZERO_PIN_FACTORY`` or the Pi's own).
    """

    def __init__(self, led=None, buzzer=None, *, pin_factory=None,
                 monotonic: Callable[[], float] = time.monotonic):
        from gpiozero import LED, Buzzer   # imported here: a keyboard panel needs no GPIO stack
        self.led = LED(led, pin_factory=pin_factory) if led is not None else None
        self.buzzer = Buzzer(buzzer, pin_factory=pin_factory) if buzzer is not None else None
        self.monotonic = monotonic
        self.light = Blink("off")
        self.sound = Blink("off")
        self._written: dict[str, bool] = {}

    @property
    def mode(self) -> str:
        return self.light.mode

    def show(self, mode: str) -> None:
        self.light.set_mode(mode, self.monotonic())
        self.update()

    def signal(self, kind: str, text: str = "") -> None:
        now = self.monotonic()
        if kind == "ack":
            self.sound.flash_for(0.05, 0.05, 0.05, now)
        elif kind in ("refused", "dropped", "fault"):
            self.light.flash_for(0.1, 0.1, SIGNAL_S, now)
            self.sound.flash_for(0.08, 0.08, 0.32, now)
        self.update()

    def identify(self, seconds: float = 5.0) -> None:
        """A pattern no mode uses (long on, short off), so staff can find this panel."""
        now = self.monotonic()
        self.light.flash_for(0.6, 0.15, seconds, now)
        self.sound.flash_for(0.08, 0.08, min(seconds, 0.48), now)
        self.update()

    def deadline(self) -> float | None:
        now = self.monotonic()
        times = [t for t in (self.light.next_change(now), self.sound.next_change(now))
                 if t is not None]
        return min(times) if times else None

    def update(self) -> None:
        now = self.monotonic()
        for name, dev, blink in (("led", self.led, self.light), ("buzzer", self.buzzer, self.sound)):
            if dev is None:
                continue
            level = blink.level(now)
            if self._written.get(name) != level:
                dev.on() if level else dev.off()
                self._written[name] = level

    @property
    def lit(self) -> bool:
        return bool(self.led and self.led.is_lit)

    def close(self) -> None:
        for dev in (self.led, self.buzzer):
            if dev is not None:
                dev.close()


PANEL_TEXT = {
    "steady": "siap",
    "off": "loket tutup",
    "pending": "mengirim...",
    "offline": "TIDAK TERSAMBUNG: tekanan disimpan dan dikirim saat tersambung kembali",
}
KIOSK_TEXT = {
    "steady": "siap",
    "busy": "memproses tiket...",
    "fault": "GANGGUAN PRINTER",
    "offline": "TIDAK TERSAMBUNG ke sistem antrean",
}


class TerminalFeedback:
    """Lines on the staff's terminal (``--keys``): modes in brackets, then what happened."""

    def __init__(self, out: TextIO | None = None, *, name: str = "",
                 texts: dict[str, str] | None = None):
        self.out = out or sys.stdout
        self.name = name
        self.texts = PANEL_TEXT if texts is None else texts

    def _line(self, text: str) -> None:
        try:
            # Names from the config and texts from messages: no terminal control sequences.
            line = clean_text(f"{self.name}: {text}" if self.name else text, 500)
            print(line, file=self.out, flush=True)
        except (OSError, ValueError):  # a closed terminal must not stop the panel
            pass

    def show(self, mode: str) -> None:
        self._line(f"[{self.texts.get(mode, mode)}]")

    def signal(self, kind: str, text: str = "") -> None:
        mark = {"ack": "OK", "refused": "DITOLAK", "dropped": "DIBATALKAN"}.get(kind, "--")
        self._line(f"{mark} {text}".rstrip())

    def identify(self, seconds: float = 5.0) -> None:
        self._line(f"*** identify: panel ini ({self.name}) ***")

    def close(self) -> None:
        pass


class Feedbacks:
    """Several feedbacks as one (an LED panel run with ``--keys`` shows on both)."""

    def __init__(self, *parts):
        self.parts = [p for p in parts if p is not None]

    def __getattr__(self, name):
        def each(*args, **kwargs):
            for p in self.parts:
                try:
                    getattr(p, name)(*args, **kwargs)
                except Exception:    # a broken LED must not stop the terminal, or the reverse
                    log.exception("feedback %s failed", name)
        return each
