"""What a role needs from the site file, checked before anything is installed.

    $ python3 -m antrian.preflight --config /etc/antrian/site.toml counter 12
    install-pi: counter 12: panel: no [[panel]] with counter = '12' (or run with --keys)

scripts/install-pi runs this from the checkout with the system's python3, before it installs a
package or writes a file: a unit that would exit at its first start (status 2, a config error) is
refused with the reason instead. It loads the whole site file (every table and key, as each role
does at start) and then the role's own part, with the same code the role runs. Only the standard
library is needed: it runs before the venv exists.
"""

from __future__ import annotations

import argparse
import sys

from antrian.config import ConfigError, Site, load

ROLES = ("broker", "queue", "board", "counter", "kiosk")


def check(site: Site, role: str, ident: str | None, *, web: bool = False) -> None:
    """Raise ConfigError when ``role`` (with its ``ident``) cannot start with this site."""
    if role == "board":
        from display.config import board_config
        board_config(site, ident or "")
    elif role == "counter":
        from hardware.config import panel_config
        panel_config(site, ident or "")
    elif role == "kiosk":
        from hardware.config import kiosk_config
        kiosk_config(site, ident or "")
    if web:
        from web.settings import WebSettings
        WebSettings.from_site(site)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python3 -m antrian.preflight",
                                description="Check that the site file has what a role needs.")
    p.add_argument("--config", required=True, help="site TOML")
    p.add_argument("--web", action="store_true", help="queue role: the visitors' page too")
    p.add_argument("role", choices=ROLES)
    p.add_argument("id", nargs="?")
    args = p.parse_args(argv)
    name = f"{args.role} {args.id}" if args.id else args.role
    try:
        check(load(args.config), args.role, args.id, web=args.web)
    except ConfigError as e:
        print(f"install-pi: {name}: {e}", file=sys.stderr)
        return 2
    print(f"# {args.config} has what {name} needs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
