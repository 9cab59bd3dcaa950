"""``antrian counter`` and ``antrian kiosk``: the Raspberry Pi programs at counters and entrances.

    $ antrian counter --config /etc/antrian/site.toml --counter 3
    $ antrian counter --config site.toml --counter 3 --keys        # keyboard / numeric keypad
    $ antrian kiosk --config site.toml --kiosk k1 --printer file:/tmp/tickets.bin --keys
"""

from __future__ import annotations

import argparse
from pathlib import Path


def _counter(args: argparse.Namespace) -> int:
    from hardware import counter_app
    return counter_app.run(args)


def _kiosk(args: argparse.Namespace) -> int:
    from hardware import kiosk_app
    return kiosk_app.run(args)


def add_commands(subparsers) -> None:
    p = subparsers.add_parser(
        "counter", help="a counter's panel: buttons (or keys) for next, recall, skip",
        description="Counter panel: GPIO buttons with an LED, or the keyboard with --keys. "
                    "Presses are stored in an outbox and delivered once, in order.")
    p.add_argument("--config", required=True, help="site TOML")
    p.add_argument("--counter", required=True, help="counter id ([[counter]] id)")
    p.add_argument("--keys", action="store_true",
                   help="read keys from the terminal: n=next r=recall s=skip c=close/open "
                        "(numeric keypad: 1 2 3 0)")
    p.add_argument("--outbox", type=Path, help="outbox SQLite file (default from [[panel]])")
    p.set_defaults(func=_counter)

    k = subparsers.add_parser(
        "kiosk", help="a ticket kiosk: buttons, touch screen or keys; prints the ticket",
        description="Ticket kiosk: takes a ticket over MQTT and prints it on an ESC/POS printer.")
    k.add_argument("--config", required=True, help="site TOML")
    k.add_argument("--kiosk", required=True, help="kiosk id ([[kiosk]] id)")
    k.add_argument("--keys", action="store_true",
                   help="keypad kiosk: keys 1-9 take a ticket for the kiosk's first nine services")
    k.add_argument("--touch", action="store_true", help="touch screen (pygame), as touch = true")
    k.add_argument("--printer", help="override the TOML's printer: usb:VID:PID, "
                                     "serial:/dev/ttyUSB0[:baud], net:HOST[:PORT], file:PATH")
    k.add_argument("--store", type=Path, help="kiosk SQLite file (default from [[kiosk]])")
    k.set_defaults(func=_kiosk)
