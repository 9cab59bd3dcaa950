"""The Raspberry Pis at the counters and the entrance: counter panels and ticket kiosks.

Pure parts (no I/O): :mod:`hardware.gesture` (debounce, one-button gestures),
:mod:`hardware.panel` (presses, acknowledgements), :mod:`hardware.kiosk` (taking and printing
tickets), :mod:`hardware.ticket` (the slip), layouts in :mod:`hardware.touch`. Adapters: SQLite
(:mod:`hardware.outbox`, :mod:`hardware.kiosk_store`), gpiozero (:mod:`hardware.inputs`,
:mod:`hardware.feedback`), printers (:mod:`hardware.printer`), and the two processes
(:mod:`hardware.counter_app`, :mod:`hardware.kiosk_app`). See docs/hardware.md.
"""
