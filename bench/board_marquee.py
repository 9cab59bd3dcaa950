"""What the running text costs an idle board, by frame rate and method, on a real X server.

    .venv/bin/python bench/board_marquee.py [--sizes 1920x1080,3840x2160] [--seconds 6]

For each screen size, starts its own Xvfb and, in a child process (so /proc's CPU figures are
the board's alone), runs the board's own renderer on the layout's running-text cell, as an idle
board does: paint the strip, present the strip, sleep until the next step. Prints the CPU share of
one core (the child process, and Xvfb apart) for each frame rate and method:

- ``blit``: the strip repainted whole from the cached text at every step;
- ``scroll``: the strip's pixels moved left in place, only the new columns painted (the board's
  way since this measurement).

Steps per second decide smoothness: at 25 fps the text moves 5.6 px per step at 1080p.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from board_present import cpu_of, start_xvfb  # noqa: E402

TEXT = ("Selamat datang di Mal Pelayanan Publik Kota Bogor. Siapkan KTP-el dan berkas Anda "
        "sebelum dipanggil. Terima kasih.")


def child(size: tuple[int, int], fps: float, method: str, seconds: float) -> None:
    import pygame
    from display.fonts import Fonts
    from display.layout import Cell, MARQUEE_BG, WHITE
    from display.render import Renderer
    from display.screen import Screen
    screen = Screen(size=size)
    screen.open()
    u = min(size) / 1080
    h = int(88 * u)
    cell = Cell("marquee", (0, size[1] - h, size[0], h), TEXT, int(52 * u), fg=WHITE,
                bg=MARQUEE_BG, role="marquee", marquee=True)
    renderer = Renderer(screen.canvas, Fonts())
    renderer.scroll = method == "scroll"
    renderer.draw([cell], time.time(), full=True)
    screen.present([screen.canvas.get_rect()])
    rect = pygame.Rect(cell.rect)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        now = time.time()
        renderer.paint(cell, now)
        screen.present([rect])
        pygame.event.pump()
        time.sleep(max(0.0, 1 / fps - (time.time() - now)))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1920x1080,3840x2160")
    ap.add_argument("--seconds", type=float, default=14.0)
    ap.add_argument("--rates", default="25,12.5,8")
    ap.add_argument("--methods", default="blit,scroll")
    ap.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        w, h = (int(v) for v in args.child[0].split("x"))
        child((w, h), float(args.child[1]), args.child[2], float(args.child[3]))
        return 0
    print(f"board_marquee: load average {os.getloadavg()[0]:.1f} (figures under load are "
          "labelled by it)")
    for size in args.sizes.split(","):
        w, h = (int(v) for v in size.split("x"))
        with tempfile.TemporaryDirectory() as fbdir:
            xvfb, display = start_xvfb((w, h), Path(fbdir))
            try:
                for method in args.methods.split(","):
                    for fps in args.rates.split(","):
                        env = dict(os.environ, DISPLAY=display, SDL_VIDEODRIVER="x11",
                                   SDL_AUDIODRIVER="dummy")
                        x0 = cpu_of(xvfb.pid)
                        proc = subprocess.Popen([sys.executable, __file__, "--child", size, fps,
                                                 method, str(args.seconds)], env=env)
                        time.sleep(2.0)   # start-up (imports, fonts) is not the running text
                        c0, x0, t0 = cpu_of(proc.pid), cpu_of(xvfb.pid), time.monotonic()
                        time.sleep(args.seconds - 2.5)
                        span = time.monotonic() - t0
                        cpu = 100 * (cpu_of(proc.pid) - c0) / span
                        xcpu = 100 * (cpu_of(xvfb.pid) - x0) / span
                        proc.wait(30)
                        print(f"  {size} {method:<6} {float(fps):5.1f} fps: board {cpu:5.2f} % "
                              f"of one core, Xvfb {xcpu:5.2f} %")
            finally:
                xvfb.terminate()
                xvfb.wait(5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
