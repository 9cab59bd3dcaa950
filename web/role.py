"""The web role: the visitors' page, the survey and the manager's pages, wired to the broker.

    role = WebRole(site, host="0.0.0.0", port=8080)   # builds Connection(site, "web", ...)
    sys.exit(role.serve())                            # until SIGTERM: READY, WATCHDOG, STOPPING

The bootstrap every role follows (issue 11): the outside world comes in as keyword-only
arguments with real defaults (``connection=None`` builds ``mqtt.client.Connection(site,
"web")``; ``app=None`` builds ``web.server.WebApp``), the maintenance face is
``mqtt.maintenance.Maintenance(conn, health=...)``, the state lives on one owner thread (the
asyncio loop: paho's thread only hands messages over), and ``serve()`` returns the exit status.
Tests construct it with their own connection or app through the same constructor.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from typing import Any

from antrian import sdnotify
from antrian.config import Site

log = logging.getLogger(__name__)


class WebRole:
    """:param connection: the broker connection (None: ``Connection(site, "web")``).
    :param app: the HTTP application (None: ``WebApp(site, **app_options)``)."""

    def __init__(self, site: Site, *, host: str = "0.0.0.0", port: int = 8080,
                 connection=None, app=None, **app_options: Any):
        from mqtt.client import Connection
        from mqtt.maintenance import Maintenance
        from mqtt.topics import Topics
        from web.server import WebApp

        self.site, self.host, self.port = site, host, port
        self.app = app or WebApp(site, send_booking=self._send_booking, **app_options)
        topics = Topics(site.site)
        # The page subscribes to the retained state and the calls; it publishes its own presence
        # and health (tele/web/...) and booking requests (web.booking). Its own presence is also
        # the barrier: published right after subscribing, it arrives after every retained
        # message the broker held (web.public.PublicState.receive).
        self.connection = connection or Connection(
            site, "web", on_message=self.app.receive_threadsafe, subscriptions=[
                topics.service_state(), topics.counter_state(), topics.call, topics.lwt("queue"),
                topics.message, topics.booking_slots(), topics.reply("web", "booking/#"),
                topics.lwt("web")])
        # Staff (issue 14): presses as their counters and the supervisors' queue commands go
        # out through web.staff_link; their outcomes come back on the counter state,
        # error/counter-<id> and reply/web/<transaction>, and the `ticket` events give the
        # waiting times. None of these is retained, so they are subscribed apart from the
        # page's state, after its barrier, at every connect. A connection that cannot publish
        # (a test's) leaves staff actions "disconnected".
        self.staff_topics = [topics.ticket, topics.error(), f"{topics.base}/reply/web/#"]
        self.app.staff.publish = getattr(self.connection, "publish", None)
        if hasattr(self.connection, "client"):
            self.connection.on_connect(lambda: self.connection.client.subscribe(
                [(t, 1) for t in self.staff_topics]))
        self.connection.on_connect(lambda: self.app.set_connected_threadsafe(True))
        self.connection.on_disconnect(lambda: self.app.set_connected_threadsafe(False))
        self.maintenance = Maintenance(self.connection, health=self.app.figures)

    def _send_booking(self, topic: str, payload: bytes, response_topic: str) -> None:
        """A booking request to the queue service (web.booking), answered on its own reply
        topic; the only thing the web publishes besides its maintenance face."""
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        props = Properties(PacketTypes.PUBLISH)
        props.ResponseTopic = response_topic
        self.connection.publish(topic, payload, properties=props)

    def serve(self) -> int:
        """Run until SIGTERM or SIGINT; 0 on a clean stop, 1 when the port cannot be opened."""
        try:
            asyncio.run(self._serve())
        except OSError as e:
            log.error("cannot listen on %s:%d: %s", self.host, self.port, e)
            return 1
        return 0

    async def _serve(self) -> None:
        from web.server import raise_file_limit

        raise_file_limit()
        self.app.loop = asyncio.get_running_loop()
        self.maintenance.start()
        self.connection.start()
        try:
            runner = await self.app.start(self.host, self.port)
        except OSError:
            self.maintenance.stop()
            self.connection.stop()
            raise
        # Requests allocate many short-lived objects; the long-lived state (services, index,
        # prepared bodies) need not be traversed by every full collection: fewer, shorter pauses.
        gc.collect()
        gc.freeze()
        gc.set_threshold(20_000, 20, 20)
        log.info("visitors' page of %s on http://%s:%d/ (%d services)", self.site.site,
                 self.host, self.port, len(self.site.services))
        sdnotify.ready(f"listening on {self.host}:{self.port}")
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
            self.maintenance.stop()
            self.connection.stop()
            log.info("visitors' page stopped")
