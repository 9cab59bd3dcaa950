"""Answers made once and sent many times: the page's files and the live JSON, plain and gzip,
with their ETags; the event-stream frame; the open-file limit for many listeners."""

from __future__ import annotations

import gzip
import hashlib
import logging
import mimetypes
from pathlib import Path

from aiohttp import web

from web.http import SECURITY

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"


# Fixed here: the machine's /etc/mime.types differs between systems.
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml; charset=utf-8",
         ".json": "application/json; charset=utf-8", ".png": "image/png",
         ".webmanifest": "application/manifest+json; charset=utf-8"}


def etag_of(data: bytes) -> str:
    return '"' + hashlib.blake2b(data, digest_size=9).hexdigest() + '"'


def accepts_gzip(request: web.Request) -> bool:
    return "gzip" in request.headers.get("Accept-Encoding", "")


class Prepared:
    """A response body ready to send: plain and gzip, with its ETag and headers."""

    def __init__(self, body: bytes, headers: dict[str, str], compress: bool = True):
        self.body = body
        self.etag = etag_of(body)
        self.gz = gzip.compress(body, 6, mtime=0) if compress and len(body) > 512 else None
        self.headers = {**headers, "ETag": self.etag}
        self.headers_gz = {**self.headers, "Content-Encoding": "gzip"}
        self.headers_304 = {k: v for k, v in self.headers.items() if k != "Content-Type"}

    def respond(self, request: web.Request) -> web.Response:
        if self.etag in request.headers.get("If-None-Match", ""):
            return web.Response(status=304, headers=self.headers_304)
        if self.gz is not None and accepts_gzip(request):
            return web.Response(body=self.gz, headers=self.headers_gz)
        return web.Response(body=self.body, headers=self.headers)


def load_static(root: Path = STATIC) -> dict[str, Prepared]:
    """Every file of web/static, in memory (a few tens of kB), keyed by URL path."""
    files = {}
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.name.startswith("."):
            continue
        kind = TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] \
            or "application/octet-stream"
        # The pages themselves are revalidated each time (they are small; updates show at
        # once); the files they name are cached for a while.
        cache = "no-cache" if path.suffix == ".html" else "public, max-age=600"
        files["/static/" + path.relative_to(root).as_posix()] = Prepared(
            path.read_bytes(), {**SECURITY, "Content-Type": kind, "Cache-Control": cache})
    return files


def frame(event: str, data: bytes, version: int | None = None) -> bytes:
    head = f"id: {version}\n" if version is not None else ""
    return f"{head}event: {event}\ndata: ".encode() + data + b"\n\n"


def parse_version(text: str | None) -> int | None:
    if text is None or not text.isdigit() or len(text) > 12:
        return None
    return int(text)


def raise_file_limit(wanted: int = 16384) -> None:
    """Each live listener holds a socket: lift the soft limit on open files towards the hard one
    (systemd's LimitNOFILE sets both; a sandbox may forbid this, which is fine)."""
    try:
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        if soft < target:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ValueError, OSError) as e:
        log.info("open-file limit left as it is: %s", e)

