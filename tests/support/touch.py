"""Touch-kiosk test helpers: where a finger lands on a button, and a kiosk app run on its own
thread (real pygame on SDL's dummy driver) and always stopped, joined and closed."""

from __future__ import annotations

import contextlib
import threading


def centre(rect) -> tuple[int, int]:
    x, y, w, h = rect
    return x + w // 2, y + h // 2


@contextlib.contextmanager
def running(app, start: bool = True):
    """``app`` (a ``hardware.kiosk_app.KioskApp``) running its loop; ``start=False`` keeps it
    off the broker (the screen and its wiring alone)."""
    import pygame
    if start:
        app.start()
    runner = threading.Thread(target=app.run, daemon=True)
    runner.start()
    try:
        yield runner
    finally:
        app.stop()
        runner.join(10)
        app.close()
        pygame.display.quit()
    assert not runner.is_alive()
