"""What a present costs on a real X server: the window surface against SDL's GPU renderer.

    .venv/bin/python bench/board_present.py [--size 1920x1080] [--frames 200]

Starts its own Xvfb (``-fbdir``, so the pixels really land in a framebuffer another process can
read) and, in one pygame window, times each way of putting a board frame on screen:

- ``update(rects)``: the window surface, ``pygame.display.update`` with a call frame's dirty
  cells (5 scattered rectangles);
- ``update(union)``: the same cells merged into one bounding rectangle;
- ``update(strip)``: the running-text strip alone (what an idle board presents);
- ``flip``: the whole window surface;
- ``renderer``: ``pygame._sdl2.video`` Renderer + Texture (the frame is uploaded into a
  streaming texture, copied and presented; SDL presents the whole back buffer every time).

Wall time per present (p50/p99) and the CPU this process spent per present; Xvfb's own CPU is
printed apart (on a Pi under KMSDRM there is no X server, the upload and flip are the board's).

The window surface is measured as the board opens it (``SDL_FRAMEBUFFER_ACCELERATION=0`` on X11:
SDL's own MIT-SHM path); run with ``SDL_FRAMEBUFFER_ACCELERATION=1`` in the environment to see
SDL's default, a window surface backed by an OpenGL texture.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def cpu_of(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_xvfb(size: tuple[int, int], fbdir: Path) -> tuple[subprocess.Popen, str]:
    """An X server of its own on a free display number, its framebuffer in ``fbdir``."""
    for n in range(90, 140):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            break
    proc = subprocess.Popen(["Xvfb", f":{n}", "-screen", "0", f"{size[0]}x{size[1]}x24",
                             "-fbdir", str(fbdir), "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not (Path(f"/tmp/.X11-unix/X{n}").exists() and (fbdir / "Xvfb_screen0").exists()):
        if time.monotonic() > deadline or proc.poll() is not None:
            raise RuntimeError("Xvfb did not start")
        time.sleep(0.05)
    return proc, f":{n}"


def figures(name: str, times: list[float], cpu: float, server: float) -> str:
    times = sorted(t * 1000 for t in times)
    p99 = times[min(len(times) - 1, int(0.99 * len(times)))]
    n = len(times)
    return (f"  {name:<16} p50 {statistics.median(times):6.2f} ms  p99 {p99:6.2f} ms  "
            f"CPU board {cpu / n * 1000:5.2f} ms  Xvfb {server / n * 1000:5.2f} ms per present")


def measure(fn, frames: int, xvfb: int) -> tuple[list[float], float, float]:
    fn(0)   # first call allocates (XShm segment, texture)
    times = []
    c0, s0 = time.process_time(), cpu_of(xvfb)
    for i in range(frames):
        t = time.perf_counter()
        fn(i + 1)
        times.append(time.perf_counter() - t)
    return times, time.process_time() - c0, cpu_of(xvfb) - s0


def run(size: tuple[int, int], frames: int, xvfb: int) -> None:
    import pygame
    pygame.display.init()
    w, h = size
    u = min(w, h) / 1080
    cells = [pygame.Rect(int(x * u), int(y * u), int(cw * u), int(ch * u)) for x, y, cw, ch in
             ((40, 140, 900, 300), (40, 440, 900, 120), (1000, 140, 880, 70),
              (1000, 560, 880, 70), (1000, 900, 400, 70))]
    strip = pygame.Rect(0, h - int(88 * u), w, int(88 * u))
    screen = pygame.display.set_mode(size)
    print(f"board_present: {w}x{h}, video driver {pygame.display.get_driver()}, "
          f"SDL_FRAMEBUFFER_ACCELERATION={os.environ.get('SDL_FRAMEBUFFER_ACCELERATION')}, "
          f"{frames} presents each, load average {os.getloadavg()[0]:.1f}")

    def paint(i: int, rects) -> None:
        for r in rects:
            screen.fill(((i * 37) % 256, 80, 160), r)

    union = cells[0].unionall(cells[1:])
    ways = {
        "update(rects)": lambda i: (paint(i, cells), pygame.display.update(cells)),
        "update(union)": lambda i: (paint(i, cells), pygame.display.update(union)),
        "update(strip)": lambda i: (paint(i, [strip]), pygame.display.update(strip)),
        "flip": lambda i: (paint(i, cells), pygame.display.flip()),
    }
    for name, fn in ways.items():
        print(figures(name, *measure(fn, frames, xvfb)))
    pygame.display.quit()
    try:
        from pygame._sdl2.video import Renderer, Texture, Window
    except ImportError:
        print("  renderer: pygame._sdl2.video not available")
        return
    pygame.display.init()
    window = Window("bench", size=size)
    renderer = Renderer(window, accelerated=-1, vsync=False)
    canvas = pygame.Surface(size)
    texture = Texture(renderer, size, streaming=True)

    def gpu(i: int, rects=cells) -> None:
        for r in rects:
            canvas.fill(((i * 37) % 256, 80, 160), r)
        for r in rects:
            texture.update(canvas.subsurface(r), r)
        renderer.blit(texture)
        renderer.present()

    print(figures("renderer", *measure(gpu, frames, xvfb)))
    print(figures("renderer strip", *measure(lambda i: gpu(i, [strip]), frames, xvfb)))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="1920x1080")
    ap.add_argument("--frames", type=int, default=200)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--xvfb-pid", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    if args.child:
        run(size, args.frames, args.xvfb_pid)
        return 0
    if not shutil.which("Xvfb"):
        print("board_present: Xvfb is not installed (Debian: xvfb)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as fbdir:
        xvfb, display = start_xvfb(size, Path(fbdir))
        try:
            env = dict(os.environ, DISPLAY=display, SDL_VIDEODRIVER="x11", SDL_AUDIODRIVER="dummy")
            env.setdefault("SDL_FRAMEBUFFER_ACCELERATION", "0")   # as display/screen.py does
            return subprocess.run([sys.executable, __file__, "--child", "--size", args.size,
                                   "--frames", str(args.frames), "--xvfb-pid", str(xvfb.pid)],
                                  env=env).returncode
        finally:
            xvfb.terminate()
            xvfb.wait(5)


if __name__ == "__main__":
    sys.exit(main())
