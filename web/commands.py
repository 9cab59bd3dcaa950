"""``antrian web`` (the visitors' page and API) and ``antrian report`` (the manager's day)."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import signal
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

from antrian import config as siteconfig
from antrian import sdnotify

log = logging.getLogger(__name__)


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("web", help="serve the visitors' live queue page and its JSON API")
    p.add_argument("--config", required=True, help="site TOML")
    p.add_argument("--host", default=None, help="listen address (default: [web] host, 0.0.0.0)")
    p.add_argument("--port", type=int, default=None, help="TCP port (default: [web] port, 8080)")
    p.set_defaults(func=web)

    p = sub.add_parser("report", help="the day's report for the building manager (CSV + PNG)")
    p.add_argument("--config", required=True, help="site TOML")
    p.add_argument("--day", default="today",
                   help="YYYY-MM-DD, 'today' or 'yesterday' (the service day, site time zone)")
    p.add_argument("--out", required=True, help="directory for the CSV and PNG files")
    p.add_argument("--db", default=None,
                   help="the queue service's SQLite file (default: as `antrian serve`)")
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
    try:
        asyncio.run(_serve(site, host, port, settings.max_streams))
    except OSError as e:
        print(f"antrian web: cannot listen on {host}:{port}: {e}", file=sys.stderr)
        return 1
    return 0


async def _serve(site: siteconfig.Site, host: str, port: int, max_streams: int) -> None:
    from mqtt.client import Connection
    from mqtt.maintenance import Maintenance
    from mqtt.topics import Topics
    from web.server import WebApp, raise_file_limit

    raise_file_limit()
    app = WebApp(site, max_streams=max_streams)
    app.loop = asyncio.get_running_loop()
    topics = Topics(site.site)
    # Read-only: the page subscribes to the retained state and the calls; it publishes nothing
    # but its own presence and health (tele/web/...), and the broker's ACL for user "web" allows
    # no more (docs/web.md).
    conn = Connection(site, "web", on_message=app.receive_threadsafe, subscriptions=[
        topics.service_state(), topics.counter_state(), topics.call, topics.lwt("queue"),
        topics.message])
    conn.on_connect(lambda: app.set_connected_threadsafe(True))
    conn.on_disconnect(lambda: app.set_connected_threadsafe(False))
    maintenance = Maintenance(conn, health=app.figures)
    maintenance.start()
    conn.start()
    runner = await app.start(host, port)
    # Requests allocate many short-lived objects; the long-lived state (services, index,
    # prepared bodies) need not be traversed by every full collection: fewer, shorter pauses.
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)
    log.info("visitors' page of %s on http://%s:%d/ (%d services)", site.site, host, port,
             len(site.services))
    sdnotify.ready(f"listening on {host}:{port}")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    watchdog = sdnotify.Watchdog()
    try:
        while not stop.is_set():
            watchdog.tick()   # from the event loop: a stuck loop stops the pings
            try:
                await asyncio.wait_for(stop.wait(), timeout=2.0)
            except TimeoutError:
                pass
    finally:
        sdnotify.stopping()
        await runner.cleanup()
        maintenance.stop()
        conn.stop()
        log.info("visitors' page stopped")


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
    written = write_report(site, db, day, Path(args.out))
    for path in written:
        print(path)
    return 0
