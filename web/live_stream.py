"""The live stream, ``GET /api/v1/events``: server-sent events to every open page.

    live = LiveStream(app, max_streams=3000, max_streams_per_address=20)
    r.add_get("/api/v1/events", live.handle)
    live.broadcast(update)          # one rebuild's frames, built once, copied to every listener

The last ``RING`` frames are kept, so a page that reconnects with ``Last-Event-ID`` (or ``?v=``)
gets what it missed, or a snapshot when that is gone. A listener more than ``STREAM_QUEUE``
frames behind is dropped rather than buffered (its browser reconnects), and listeners are
capped in all and per address (an IPv6 /64): beyond that a page polls ``/api/v1/services``.
"""

from __future__ import annotations

import asyncio
from collections import deque

from aiohttp import web

from web.http import SECURITY, client_key, error
from web.prepared import frame, parse_version
from web.snapshot import Update

RING = 2000             # stream frames kept for clients that reconnect (Last-Event-ID)
STREAM_QUEUE = 256      # frames a slow listener may lag before it is dropped (it reconnects)
SSE = {**SECURITY, "Content-Type": "text/event-stream; charset=utf-8",
       "Cache-Control": "no-cache, no-transform", "X-Accel-Buffering": "no",
       "Access-Control-Allow-Origin": "*"}


class Stream:
    """One listener of the live stream."""
    __slots__ = ("queue", "request", "client")

    def __init__(self, request: web.Request, client: str):
        self.queue: asyncio.Queue[bytes | None] = asyncio.Queue(STREAM_QUEUE)
        self.request = request
        self.client = client

    def send(self, blob: bytes | None) -> bool:
        try:
            self.queue.put_nowait(blob)
            return True
        except asyncio.QueueFull:
            return False


class LiveStream:
    """The listeners of the live stream and the frames kept for those that reconnect.

    :param app: the ``web.server.WebApp`` (its public state's version, the services document
        a snapshot carries, and its request count).
    :param max_streams: listeners at most; more get 503 and poll instead.
    :param max_streams_per_address: listeners from one address (an IPv6 /64) at most."""

    def __init__(self, app, *, max_streams: int, max_streams_per_address: int):
        self.app = app
        self.max_streams = max_streams
        self.max_streams_per_address = max_streams_per_address
        self.streams: set[Stream] = set()
        self.streams_by_client: dict[str, int] = {}
        self.ring: deque[tuple[int, bytes]] = deque(maxlen=RING)
        self.refused_streams = 0
        self.dropped_streams = 0

    def broadcast(self, update: Update) -> None:
        blob = b"".join(frame(name, data, update.version) for name, data in update.frames)
        self.ring.append((update.version, blob))
        self.send_all(blob)

    def send_all(self, blob: bytes) -> None:
        slow = [s for s in self.streams if not s.send(blob)]
        for s in slow:
            # A listener this far behind has lost the thread: drop it; its browser reconnects
            # with Last-Event-ID and catches up from the ring or a snapshot.
            self.dropped_streams += 1
            self.forget(s)
            transport = s.request.transport
            if transport is not None:
                transport.close()

    def backlog(self, since: int | None) -> bytes | None:
        """What a listener that saw ``since`` missed, or None when only a snapshot will do."""
        version = self.app.public.version
        if since is None or since > version:
            return None
        if since == version:
            return b""
        if not self.ring or self.ring[0][0] > since + 1:
            return None
        return b"".join(blob for v, blob in self.ring if v > since)

    def forget(self, stream: Stream) -> None:
        if stream in self.streams:
            self.streams.discard(stream)
            left = self.streams_by_client.get(stream.client, 1) - 1
            if left > 0:
                self.streams_by_client[stream.client] = left
            else:
                self.streams_by_client.pop(stream.client, None)

    def close(self) -> None:
        """Shutting down: every listener's handler ends."""
        for s in list(self.streams):
            s.send(None)
        self.streams.clear()
        self.streams_by_client.clear()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.app.requests += 1
        if request.method == "HEAD":
            return web.Response(headers=SSE)
        if len(self.streams) >= self.max_streams:
            self.refused_streams += 1
            return error(503, "too many listeners; poll /api/v1/services instead",
                         {"Retry-After": "30"})
        client = client_key(request)
        if self.streams_by_client.get(client, 0) >= self.max_streams_per_address:
            # One device (or one /64) cannot take the building's listeners: it polls instead.
            self.refused_streams += 1
            return error(429, "too many live listeners from this address; poll "
                         "/api/v1/services instead", {"Retry-After": "30"})
        since = parse_version(request.headers.get("Last-Event-ID") or request.query.get("v"))
        stream = Stream(request, client)
        self.streams.add(stream)
        self.streams_by_client[client] = self.streams_by_client.get(client, 0) + 1
        try:
            response = web.StreamResponse(headers=SSE)
            await response.prepare(request)
        except BaseException:
            self.forget(stream)
            raise
        backlog = self.backlog(since)
        if backlog is None:
            backlog = frame("snapshot", self.app.services.body, self.app.public.version)
        try:
            await response.write(b"retry: 3000\n\n" + backlog)
            while True:
                blob = await stream.queue.get()
                if blob is None:
                    break
                await response.write(blob)
        except (ConnectionError, RuntimeError, asyncio.CancelledError):
            pass   # the listener left (or was dropped for lagging)
        finally:
            self.forget(stream)
        return response
