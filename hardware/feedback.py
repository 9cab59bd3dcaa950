"""How a panel or kiosk shows itself: an LED and a buzzer through gpiozero, or lines on a terminal.

    fb = LedFeedback(led=24, buzzer=25)          # pin_factory=MockFactory() in tests
    fb.show("pending")                           # blinking while a press is in flight
    fb.signal("refused", "skip ditolak: ...")    # three quick flashes and two beeps, then back

Modes: ``steady`` (LED on), ``off``, ``pending`` (blink 4 Hz), ``offline`` (fast blink 8 Hz);
a kiosk adds ``busy`` (as pending) and ``fault`` (as offline). Signals are short overlays after
which the current mode comes back.
"""

from __future__ import annotations

import logging
import sys
import threading
from typing import TextIO

log = logging.getLogger(__name__)

BLINK = {"pending": (0.25, 0.25), "busy": (0.25, 0.25), "offline": (0.06, 0.06),
         "fault": (0.06, 0.06)}
SIGNAL_S = 0.6         # how long a refusal's flashes take before the mode comes back


class LedFeedback:
    """An LED (and optional buzzer) on GPIO.

    :param led: the LED's pin (None: no LED, the buzzer alone).
    :param buzzer: an active buzzer's pin, or None.
    :param pin_factory: gpiozero's factory (None: ``GPIOZERO_PIN_FACTORY`` or the Pi's own).
    """

    def __init__(self, led=None, buzzer=None, *, pin_factory=None):
        from gpiozero import LED, Buzzer   # imported here: a keyboard panel needs no GPIO stack
        self.led = LED(led, pin_factory=pin_factory) if led is not None else None
        self.buzzer = Buzzer(buzzer, pin_factory=pin_factory) if buzzer is not None else None
        self.mode = "off"
        self._lock = threading.Lock()
        self._overlay: threading.Timer | None = None

    def show(self, mode: str) -> None:
        with self._lock:
            self.mode = mode
            if self._overlay is None:
                self._apply(mode)

    def signal(self, kind: str, text: str = "") -> None:
        if kind == "ack":
            if self.buzzer:
                self.buzzer.beep(0.05, 0.05, n=1)
        elif kind in ("refused", "dropped", "fault"):
            self._flash(0.1, 0.1, 3, beeps=2, seconds=SIGNAL_S)

    def identify(self, seconds: float = 5.0) -> None:
        """A pattern no normal mode uses (long-short), so staff can find this panel."""
        self._flash(0.6, 0.15, None, beeps=3, seconds=seconds)

    def _flash(self, on: float, off: float, n: int | None, *, beeps: int, seconds: float) -> None:
        with self._lock:
            if self._overlay is not None:
                self._overlay.cancel()
            if self.led:
                self.led.blink(on, off, n=n, background=True)
            if self.buzzer and beeps:
                self.buzzer.beep(0.08, 0.08, n=beeps)
            self._overlay = threading.Timer(seconds, self._end_overlay)
            self._overlay.daemon = True
            self._overlay.start()

    def _end_overlay(self) -> None:
        with self._lock:
            self._overlay = None
            self._apply(self.mode)

    def _apply(self, mode: str) -> None:
        if not self.led:
            return
        if mode in BLINK:
            on, off = BLINK[mode]
            self.led.blink(on, off, background=True)
        elif mode == "steady":
            self.led.on()
        else:
            self.led.off()

    @property
    def lit(self) -> bool:
        return bool(self.led and self.led.is_lit)

    def close(self) -> None:
        with self._lock:
            if self._overlay is not None:
                self._overlay.cancel()
                self._overlay = None
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
            print(f"{self.name}: {text}" if self.name else text, file=self.out, flush=True)
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
