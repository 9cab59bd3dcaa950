"""Is KMSDRM among the video drivers of the SDL that the installed pygame-ce loads?

    $ python3 kmsdrm.py --out kmsdrm.json

A Pi running Raspberry Pi OS Lite has no X server: the board draws through KMSDRM. It cannot open
a screen in a chroot without a GPU, so this asks SDL itself which drivers it was built with
(``SDL_GetNumVideoDrivers``/``SDL_GetVideoDriver``, from the very libSDL2 pygame has loaded), and
also records what ``SDL_VIDEODRIVER=kmsdrm`` says when it tries (it fails here: no /dev/dri).
Exit status 0 when KMSDRM is compiled in.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import subprocess
import sys
from pathlib import Path


def loaded_sdl() -> str | None:
    """The path of the libSDL2 this process mapped (pygame's bundled one, from its wheel)."""
    for line in Path("/proc/self/maps").read_text().splitlines():
        parts = line.split(maxsplit=5)
        if len(parts) == 6 and "libSDL2-2" in parts[5]:
            return parts[5].strip()
    return None


def compiled_drivers(lib: str) -> list[str]:
    sdl = ctypes.CDLL(lib)
    sdl.SDL_GetVideoDriver.restype = ctypes.c_char_p
    sdl.SDL_GetVideoDriver.argtypes = [ctypes.c_int]
    return [sdl.SDL_GetVideoDriver(i).decode() for i in range(sdl.SDL_GetNumVideoDrivers())]


def try_driver(name: str) -> str:
    """What ``pygame.display.init()`` says with SDL_VIDEODRIVER=name, in a child process so
    that a driver which half-opens leaves nothing behind."""
    code = ("import pygame\ntry:\n    pygame.display.init(); print('opened', "
            "pygame.display.get_driver())\nexcept pygame.error as e:\n    print('error:', e)")
    env = dict(os.environ, SDL_VIDEODRIVER=name)
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=300)
    return (run.stdout.strip().splitlines() or [run.stderr.strip()])[-1]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args(argv)
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import pygame
    lib = loaded_sdl()
    drivers = compiled_drivers(lib) if lib else []
    result = {
        "pygame": pygame.version.ver,
        "sdl": ".".join(map(str, pygame.get_sdl_version())),
        "libsdl": lib,
        "video_drivers": drivers,
        "kmsdrm": "kmsdrm" in (d.lower() for d in drivers),
        "kmsdrm_init": try_driver("kmsdrm"),
        "dummy_init": try_driver("dummy"),
    }
    args.out.write_text(json.dumps(result, indent=1))
    for key, value in result.items():
        print(f"{key}: {value}")
    return 0 if result["kmsdrm"] else 1


if __name__ == "__main__":
    sys.exit(main())
