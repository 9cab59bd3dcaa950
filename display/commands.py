"""``antrian display`` (a board or a counter display) and ``antrian voice`` (voice packs).

    $ antrian display --config site.toml --board lobby
    $ antrian display --config site.toml --counter 3 --size 1024x600
    $ antrian display --config site.toml --board lobby --size 1920x1080 --screenshot board.png
    $ antrian voice build                     # espeak-ng pack in $XDG_DATA_HOME/antrian/voice
    $ antrian voice words A012 3              # the clips of that announcement, one per line
    $ antrian voice check --voice DIR         # which clips a pack lacks
    $ antrian voice say A012 3 --out a.wav    # the announcement as a WAV file
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from antrian.config import ConfigError


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not WIDTHxHEIGHT (e.g. 1920x1080)") from None
    if not (160 <= w <= 8192 and 120 <= h <= 8192):
        raise argparse.ArgumentTypeError(f"{text!r}: size out of range")
    return w, h


def add_commands(subparsers) -> None:
    p = subparsers.add_parser("display", help="run a waiting-room board or a counter display",
                              description=__doc__.splitlines()[0])
    p.add_argument("--config", required=True, help="site TOML")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--board", help="id of a [[board]] table")
    which.add_argument("--counter", help="counter id: the small display above that counter")
    p.add_argument("--size", type=_size, help="window size WxH (default: full screen)")
    p.add_argument("--voice", type=Path, help="voice pack folder (overrides [voice] dir)")
    p.add_argument("--screenshot", type=Path,
                   help="write the frame as PNG once the board has its state, then exit "
                        "(with --screenshot-every: keep running, '{n}' in PATH numbers them)")
    p.add_argument("--screenshot-every", type=float, metavar="SECONDS")
    p.add_argument("--run-for", type=float, metavar="SECONDS", help="exit after this long")
    p.set_defaults(func=run_display)

    v = subparsers.add_parser("voice", help="voice packs: build, check, list an announcement's clips")
    vs = v.add_subparsers(dest="voice_command", metavar="ACTION", required=True)
    b = vs.add_parser("build", help="make the default pack with espeak-ng's Indonesian voice")
    b.add_argument("--out", type=Path, help="folder (default: [voice] dir, else "
                                            "$XDG_DATA_HOME/antrian/voice)")
    b.add_argument("--config", help="site TOML (for its [voice] dir)")
    b.add_argument("--speed", type=int, default=150, help="espeak-ng words per minute")
    b.set_defaults(func=run_voice_build)
    w = vs.add_parser("words", help="print the clips an announcement is made of, one per line")
    w.add_argument("ticket")
    w.add_argument("counter")
    w.add_argument("--config", help="site TOML (to split prefixes such as 4K1-010 exactly)")
    w.set_defaults(func=run_voice_words)
    c = vs.add_parser("check", help="list the clips a voice pack lacks")
    c.add_argument("--voice", type=Path)
    c.add_argument("--config")
    c.set_defaults(func=run_voice_check)
    s = vs.add_parser("say", help="write an announcement (chime and words) as a WAV file")
    s.add_argument("ticket")
    s.add_argument("counter")
    s.add_argument("--out", type=Path, required=True)
    s.add_argument("--voice", type=Path)
    s.add_argument("--config")
    s.set_defaults(func=run_voice_say)


def run_display(args) -> int:
    from antrian.config import load
    from display.app import main
    from display.config import board_config, counter_display_config
    site = load(args.config)
    if args.counter:
        board = counter_display_config(site, args.counter)
    else:
        board = board_config(site, args.board)
    import pygame
    try:
        return main(site, board, counter=args.counter, size=args.size, voice_dir=args.voice,
                    run_for=args.run_for, screenshot=args.screenshot,
                    screenshot_every=args.screenshot_every)
    except pygame.error as e:   # no screen: say so plainly, systemd restarts us
        driver = os.environ.get("SDL_VIDEODRIVER", "SDL's choice")
        print(f"antrian display: cannot open the screen (video driver {driver}): {e}",
              file=sys.stderr)
        return 1


def _voice_dir(args, *, create: bool = False) -> Path | None:
    folder = getattr(args, "voice", None) or getattr(args, "out", None)
    if folder:
        return folder
    if getattr(args, "config", None):
        from antrian.config import load
        from display.config import load_voice
        folder = load_voice(load(args.config)).dir
        if folder:
            return folder
    from display.config import default_voice_dir
    folder = default_voice_dir()
    if folder is None and create:
        xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
        folder = Path(xdg) / "antrian" / "voice"
    return folder


def _words(args) -> list[str]:
    """Every clip a pack needs: with ``--config``, the site's counter names too."""
    from display.speech import vocabulary
    if not getattr(args, "config", None):
        return vocabulary()
    from antrian.config import load
    return vocabulary(load(args.config))


def run_voice_build(args) -> int:
    from display.voice import build_pack
    out = _voice_dir(args, create=True)
    try:
        made = build_pack(out, speed=args.speed, words=_words(args))
    except (RuntimeError, OSError) as e:
        print(f"antrian voice build: {e}", file=sys.stderr)
        return 1
    print(f"{len(made)} clips in {out}")
    return 0


def _prefix(args, ticket: str) -> str | None:
    if not args.config:
        return None
    from antrian.config import load
    service = load(args.config).service_of_ticket(ticket.upper())
    return service.prefix + service.separator if service else None


def run_voice_words(args) -> int:
    from display.speech import announcement
    for word in announcement(args.ticket, args.counter, _prefix(args, args.ticket)):
        print(word)
    return 0


def run_voice_check(args) -> int:
    from display.speech import clip_file
    from display.voice import VoicePack
    folder = _voice_dir(args)
    pack = VoicePack(folder)
    if not pack.exists():
        print(f"no voice pack at {folder}", file=sys.stderr)
        return 1
    words = _words(args)
    missing = pack.missing(words)
    for word in missing:
        print(f"missing: {clip_file(word)}  ({word})")
    print(f"{len(words) - len(missing)}/{len(words)} clips in {folder}")
    return 1 if missing else 0


def run_voice_say(args) -> int:
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")   # assemble only, play nothing
    import pygame
    from display.speech import announcement
    from display.voice import Announcer, VoicePack, write_wav
    announcer = Announcer(VoicePack(_voice_dir(args)))
    if not announcer.enabled:
        print("antrian voice say: no audio mixer available", file=sys.stderr)
        return 1
    words = announcement(args.ticket, args.counter, _prefix(args, args.ticket))
    write_wav(args.out, announcer.assemble(words), pygame.mixer.get_init())
    print(f"{args.out}: {', '.join(words)}")
    return 0


__all__ = ["add_commands", "ConfigError"]
