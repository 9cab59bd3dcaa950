"""``antrian web`` (the visitors' page, the survey and the manager's pages), ``antrian report``
(the manager's day) and ``antrian web-user`` (the manager accounts)."""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

from antrian import config as siteconfig

log = logging.getLogger(__name__)


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("web", help="serve the visitors' live queue page and its JSON API")
    p.add_argument("--config", required=True, help="site TOML")
    p.add_argument("--host", default=None, help="listen address (default: [web] host, 0.0.0.0)")
    p.add_argument("--port", type=int, default=None, help="TCP port (default: [web] port, 8080)")
    p.add_argument("--survey-db", default=None,
                   help="the SKM survey's SQLite file (default: /var/lib/antrian/survey.db, "
                        "else ./var/survey.db)")
    p.add_argument("--managers", default=None,
                   help="the manager accounts file (default: [web] managers)")
    p.add_argument("--db", default=None,
                   help="the queue service's SQLite file, read-only: standards compliance on the "
                        "manager's page (only where the web runs on the queue's Pi)")
    p.add_argument("--reports", default=None,
                   help="directory of `antrian report --out DIR/<day>`: served to managers")
    p.set_defaults(func=web)

    p = sub.add_parser("web-user", help="manager accounts of the web's pages (Argon2id hashes)")
    p.add_argument("action", choices=["add", "remove", "list"],
                   help="add (or change the password of) an account, remove one, list them")
    p.add_argument("--config", required=True, help="site TOML")
    p.add_argument("--managers", default=None, help="the accounts file (default: [web] managers)")
    p.add_argument("--user", default=None, help="user name (lowercase)")
    p.add_argument("--role", choices=["manager", "agency"], default=None,
                   help="manager: every agency; agency: one agency (give --agency)")
    p.add_argument("--agency", default=None, help="the agency an agency account sees")
    p.set_defaults(func=web_user)

    p = sub.add_parser("report", help="the day's report for the building manager (CSV + PNG)")
    p.add_argument("--config", required=True, help="site TOML")
    p.add_argument("--day", default="today",
                   help="YYYY-MM-DD, 'today' or 'yesterday' (the service day, site time zone)")
    p.add_argument("--out", required=True, help="directory for the CSV and PNG files")
    p.add_argument("--db", default=None,
                   help="the queue service's SQLite file (default: as `antrian serve`)")
    p.add_argument("--survey-db", default=None,
                   help="the SKM survey's SQLite file (default: as `antrian web`); the SKM "
                        "section is left out when it does not exist")
    p.set_defaults(func=report)


# -- antrian web ---------------------------------------------------------------------------------

def web(args: argparse.Namespace) -> int:
    from web.settings import WebSettings

    site = siteconfig.load(args.config)
    settings = WebSettings.from_site(site)
    host = args.host or settings.host
    port = args.port or settings.port
    if not 1 <= port <= 65535:
        print(f"antrian web: --port {port} is not a TCP port", file=sys.stderr)
        return 2
    from reports.survey_store import SurveyStore, default_path
    from web.accounts import Accounts
    from web.http import Edge
    from web.role import WebRole

    survey_path = Path(args.survey_db) if args.survey_db else default_path()
    survey = SurveyStore(survey_path) if settings.survey else None
    managers = Path(args.managers) if args.managers else settings.managers
    if managers is not None and not managers.is_file():
        log.warning("no managers file at %s: nobody can log in to /manage/ "
                    "(antrian web-user add ...)", managers)
    accounts = Accounts(managers, site, state_dir=survey_path.parent,
                        session_hours=settings.session_hours)
    queue_db = Path(args.db) if args.db else None
    if queue_db is not None and not queue_db.is_file():
        print(f"antrian web: --db {queue_db}: no such file", file=sys.stderr)
        return 2
    role = WebRole(site, host=host, port=port, max_streams=settings.max_streams,
                   max_streams_per_address=settings.max_streams_per_address,
                   survey=survey, survey_per_minute=settings.survey_per_minute,
                   accounts=accounts, queue_db=queue_db,
                   reports_dir=Path(args.reports) if args.reports else None,
                   edge=Edge(settings.trusted_proxies, settings.hsts_seconds),
                   header_timeout=settings.header_timeout)
    try:
        status = role.serve()
    finally:
        if survey is not None:
            survey.close()
    if status:
        print(f"antrian web: cannot listen on {host}:{port}", file=sys.stderr)
    return status


# -- antrian report ------------------------------------------------------------------------------

def parse_day(text: str, site: siteconfig.Site) -> str:
    from ticketing.day import service_day

    today = service_day(datetime.now().timestamp(), site.tz, site.reset_at)
    if text == "today":
        return today
    if text == "yesterday":
        return (date.fromisoformat(today) - timedelta(days=1)).isoformat()
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise siteconfig.ConfigError(f"--day: {text!r} is not YYYY-MM-DD") from None


def report(args: argparse.Namespace) -> int:
    from mqtt.commands import default_db
    from reports.daily import write_report

    site = siteconfig.load(args.config)
    day = parse_day(args.day, site)
    db = Path(args.db) if args.db else default_db()
    if not db.is_file():
        print(f"antrian report: no queue database at {db} (give --db)", file=sys.stderr)
        return 2
    from reports.survey_store import default_path
    survey_db = Path(args.survey_db) if args.survey_db else default_path()
    if args.survey_db and not survey_db.is_file():
        print(f"antrian report: no survey file at {survey_db}", file=sys.stderr)
        return 2
    written = write_report(site, db, day, Path(args.out), survey_db=survey_db)
    for path in written:
        print(path)
    return 0


# -- antrian web-user ----------------------------------------------------------------------------

def _read_password() -> str:
    """Asked twice on a terminal; one line from standard input otherwise (scripts)."""
    import getpass
    if sys.stdin.isatty():
        first = getpass.getpass("Kata sandi / password: ")
        if getpass.getpass("Ulangi / again: ") != first:
            raise ValueError("the two passwords differ")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def web_user(args: argparse.Namespace) -> int:
    from web import accounts as acc
    from web.settings import WebSettings

    site = siteconfig.load(args.config)
    path = Path(args.managers) if args.managers else WebSettings.from_site(site).managers
    if path is None:
        print("antrian web-user: no accounts file: add `[web] managers = \"managers.toml\"` to "
              "the site TOML or give --managers", file=sys.stderr)
        return 2
    secret, accounts = acc.read(path, site)
    if args.action == "list":
        for a in accounts.values():
            print(f"{a.user}\t{a.role}\t{a.agency or '(semua instansi)'}")
        return 0
    if not args.user or not acc.USER.match(args.user):
        print("antrian web-user: --user: lowercase letters, digits, '.', '_' or '-'",
              file=sys.stderr)
        return 2
    if args.action == "remove":
        if accounts.pop(args.user, None) is None:
            print(f"antrian web-user: no account {args.user!r}", file=sys.stderr)
            return 1
        acc.write(path, secret, accounts)
        print(f"removed {args.user} from {path}")
        return 0
    old = accounts.get(args.user)
    role = args.role or (old.role if old else None)
    agency = args.agency if args.agency is not None else (old.agency if old else None)
    if role is None:
        print("antrian web-user: --role manager|agency", file=sys.stderr)
        return 2
    if role == "manager":
        agency = None
    elif agency not in site.agencies:
        print(f"antrian web-user: --agency must be one of the site's agencies: "
              f"{', '.join(site.agencies)}", file=sys.stderr)
        return 2
    try:
        password = _read_password()
    except (ValueError, EOFError, KeyboardInterrupt) as e:
        print(f"antrian web-user: {e or 'cancelled'}", file=sys.stderr)
        return 1
    if len(password) < 10:
        print("antrian web-user: the password needs at least 10 characters", file=sys.stderr)
        return 2
    accounts[args.user] = acc.Account(args.user, role, acc.hash_password(password), agency)
    acc.write(path, secret, accounts)
    print(f"{'changed' if old else 'added'} {args.user} ({role}{', ' + agency if agency else ''})"
          f" in {path}")
    return 0
