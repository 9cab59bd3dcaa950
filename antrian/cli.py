"""The one ``antrian`` command. Each role adds its own subcommands from its own module.

    $ antrian serve --config /etc/antrian/site.toml
    $ antrian press --config site.toml --counter 1 next

A role module exposes ``add_commands(subparsers)``; each subcommand sets ``func(args) -> int``.
Modules are imported only when present, so a trimmed install (a board Pi) still starts.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys

from antrian import __version__
from antrian.config import ConfigError

# Every module that contributes subcommands, in the order `antrian --help` lists them.
COMMAND_MODULES = [
    "mqtt.commands",        # serve, take, press, status
    "display.commands",     # display, voice
    "hardware.commands",    # counter, kiosk
    "mqtt.maintenance_commands",  # ctl, watch, broker-config
    "web.commands",         # web, report
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="antrian", description="Antrian: the queue system of a public service mall (MPP).")
    parser.add_argument("--version", action="version", version=f"antrian {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name and name.startswith(e.name):
                continue  # that role is not part of this install
            raise
        module.add_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else getattr(logging, os.environ.get("ANTRIAN_LOG", "INFO")),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        return args.func(args) or 0
    except ConfigError as e:
        print(f"antrian: config error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
