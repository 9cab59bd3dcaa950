"""What a counter panel and a kiosk process share: one loop, GPIO switches and an LED, the
watchdog, and a clean shutdown. The bootstrap every device follows (issue 11):

    class PanelApp(Device):
        def __init__(self, site, cfg, *, connection=None, loop=None, pin_factory=None,
                     clock=time.time, monotonic=time.monotonic):
            super().__init__(connection or Connection(site, "counter-3"),
                             loop or Loop(monotonic=monotonic))
            self.open_gpio(pins={...}, led=24, buzzer=None, ..., pin_factory=pin_factory)
            self.core = CounterPanel(..., publish=..., clock=clock)  # next_deadline(), tick()
            self.maint = Maintenance(self.conn, health=..., on_reload=self.reload)

    PanelApp(site, cfg).serve()                           # a Pi: real parts from the defaults
    PanelApp(site, cfg, connection=conn, pin_factory=MockFactory(), clock=clock)   # a test

- The outside world comes in as keyword-only arguments with real defaults: the broker
  connection, the owner loop, the pin factory, the printer, the clocks. A test hands in fakes
  through the same constructor and never patches an attribute.
- Paho's and gpiozero's threads only post to the loop; the state lives on the loop's thread.
- ``serve()``: signals, sdnotify READY/WATCHDOG/STOPPING, run until stopped, close cleanly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from gpiozero.exc import GPIOZeroError

from antrian import sdnotify
from antrian.config import ConfigError
from hardware.feedback import LedFeedback
from hardware.inputs import Switches
from antrian.loop import Loop
from mqtt.client import Connection

log = logging.getLogger(__name__)


class Device:
    """The shell around a panel's or kiosk's logic (``self.core``)."""

    def __init__(self, conn: Connection, loop: Loop):
        self.conn = conn
        self.loop = loop
        self.core = None               # set by the subclass: next_deadline(), tick()
        self.led: LedFeedback | None = None
        self.switches: Switches | None = None
        self.keys = None
        self.maint = None
        self.feedback = None
        self.watchdog = sdnotify.Watchdog()

    def open_gpio(self, *, pins: dict, led, buzzer, on_action: Callable[[str, str, float], None],
                  where: str, can_do_without: bool, pin_factory=None, **timings) -> None:
        """The switches and the LED/buzzer. Without GPIO (a laptop), a device that has another
        way in (keys, touch) goes on without them; one that has none stops with a clear error."""
        try:
            if led is not None or buzzer is not None:
                self.led = LedFeedback(led, buzzer, pin_factory=pin_factory)
            if pins:
                self.switches = Switches(pins, post=self.loop.post, on_action=on_action,
                                         pin_factory=pin_factory, **timings)
        except GPIOZeroError as e:
            if not can_do_without:
                raise ConfigError(f"{where}: GPIO unavailable ({e}); on a machine without GPIO "
                                  "run with --keys") from None
            log.warning("GPIO unavailable (%s): going on without buttons and LED", e)
            if self.led is not None:
                self.led.close()
            self.led = None

    def deadline(self) -> float | None:
        times = [t for t in (self.core.next_deadline(),
                             self.switches.deadline() if self.switches else None,
                             self.led.deadline() if self.led else None) if t is not None]
        return min(times) if times else None

    def tick(self) -> None:
        if self.switches:
            self.switches.poll()
        self.core.tick()
        if self.led:
            self.led.update()
        self.watchdog.tick()

    def serve(self) -> int:
        """The command's whole life: start, run until SIGTERM or Ctrl-C, close."""
        import signal
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: self.stop())
        self.start()
        try:
            self.run()
        finally:
            self.close()
        return 0

    def close_io(self) -> None:
        sdnotify.stopping()
        if self.maint:
            self.maint.stop()
        self.conn.stop()
        if self.keys:
            self.keys.restore()
        if self.switches:
            self.switches.close()
        if self.feedback:
            self.feedback.close()
