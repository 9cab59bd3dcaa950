"""Small HTTP helpers shared by the web's faces (public page, survey, manager): headers, JSON
answers, query parsing and the same-origin check for the few POST routes."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

import msgspec
from aiohttp import web

SECURITY = {
    "Content-Security-Policy": ("default-src 'none'; script-src 'self'; style-src 'self'; "
                                "img-src 'self' data:; connect-src 'self'; manifest-src 'self'; "
                                "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Server": "antrian",   # not aiohttp's name and version
}
# JSON is never rendered as a document, so the page's policies are left off it: fewer headers
# to build per request on the hot path, nosniff still keeps it from being read as anything else.
API = {"Content-Type": "application/json; charset=utf-8", "X-Content-Type-Options": "nosniff",
       "Access-Control-Allow-Origin": "*", "Server": "antrian"}
# Answers that depend on who asks (a manager's figures, a survey's outcome): never cached, never
# readable from another origin.
PRIVATE = {"Content-Type": "application/json; charset=utf-8", "X-Content-Type-Options": "nosniff",
           "Cache-Control": "no-store", "Server": "antrian", "Vary": "Cookie"}
MAX_RANGE_DAYS = 366


def error(status: int, text: str, extra: dict[str, str] | None = None) -> web.Response:
    return web.Response(status=status, body=msgspec.json.encode({"error": text}),
                        headers={**API, "Cache-Control": "no-store", **(extra or {})})


def private(status: int, body: Any, extra: dict[str, str] | None = None) -> web.Response:
    return web.Response(status=status, body=msgspec.json.encode(body),
                        headers={**PRIVATE, **(extra or {})})


def refusal(status: int, code: str, text_en: str, text_id: str | None = None,
            extra: dict[str, str] | None = None) -> web.Response:
    """A refusal that says why, in both languages (what the pages show)."""
    return private(status, {"ok": False, "code": code, "error": text_en,
                            "message": {"id": text_id or text_en, "en": text_en}}, extra)


def same_origin(request: web.Request) -> bool:
    """False for a POST a browser sends from another site (a forged form or fetch).

    Browsers say where a request comes from in ``Sec-Fetch-Site``; where they do not, ``Origin``
    must name this host. (The pages' ``Referrer-Policy: no-referrer`` makes a browser send
    ``Origin: null`` with its own form posts, so ``null`` alone proves nothing either way.)
    Clients that send neither (curl, scripts) are not browsers a forged page could drive.
    """
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site in ("same-origin", "none")
    origin = request.headers.get("Origin")
    if origin is None or origin == "null":
        return True
    return urlsplit(origin).netloc == request.host


class BadQuery(ValueError):
    """A query parameter is malformed; the message names it."""


def day_param(request: web.Request, name: str, default: str) -> str:
    text = request.query.get(name, default)
    try:
        if len(text) != 10:
            raise ValueError
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise BadQuery(f"{name}: expected a day YYYY-MM-DD") from None


def day_range(request: web.Request, today: str) -> tuple[str, str]:
    """``from`` and ``to`` (both default to today), at most a year apart."""
    start = day_param(request, "from", today)
    end = day_param(request, "to", today if "from" not in request.query else
                    max(start, today))
    if end < start:
        raise BadQuery("to: must not be before from")
    if date.fromisoformat(end) - date.fromisoformat(start) > timedelta(days=MAX_RANGE_DAYS):
        raise BadQuery(f"from/to: at most {MAX_RANGE_DAYS} days")
    return start, end


class Edge:
    """Who is asking, as far as the network can tell: the client's address (through a trusted
    reverse proxy's ``X-Forwarded-For``) and whether the request came over TLS (a trusted
    proxy's ``X-Forwarded-Proto``). Headers from anyone else are ignored: a visitor could
    otherwise name any address and escape every rate limit.

    :param trusted_proxies: addresses or networks (``"127.0.0.1"``, ``"10.0.0.0/24"``).
    :param hsts_seconds: ``Strict-Transport-Security`` max-age on answers sent over TLS (0: none).
    """

    def __init__(self, trusted_proxies: Iterable[str] = (), hsts_seconds: int = 0):
        self.proxies = [ipaddress.ip_network(p, strict=False) for p in trusted_proxies]
        self.hsts = f"max-age={hsts_seconds}" if hsts_seconds > 0 else None

    def _trusted(self, address: str | None) -> bool:
        ip = _ip(address)
        return ip is not None and any(ip in net for net in self.proxies)

    def address(self, request: web.Request) -> str:
        peer = request.remote or "?"
        if not self.proxies or not self._trusted(peer):
            return peer
        # The proxy appends the address it saw; walk back over our own proxies only.
        hops = [h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",")]
        for hop in reversed([h for h in hops if h]):
            if not self._trusted(hop):
                return hop if _ip(hop) is not None else peer
        return peer

    def secure(self, request: web.Request) -> bool:
        if request.transport is not None and request.transport.get_extra_info("sslcontext"):
            return True
        return (self._trusted(request.remote)
                and request.headers.get("X-Forwarded-Proto", "").strip().lower() == "https")


EDGE = web.AppKey("edge", Edge)


def _ip(text: str | None):
    try:
        ip = ipaddress.ip_address((text or "").split("%")[0])
    except ValueError:
        return None
    return ip.ipv4_mapped or ip if ip.version == 6 else ip


def rate_key(address: str) -> str:
    """What rate limits count: an IPv4 address, or an IPv6 client's /64 (one household or
    phone holds a whole /64 and picks new addresses in it at will)."""
    ip = _ip(address)
    if ip is None or ip.version == 4:
        return str(ip) if ip is not None else address
    return str(ipaddress.ip_network(f"{ip}/64", strict=False))


def client_key(request: web.Request) -> str:
    """What rate limits and per-address caps count by (kept in memory only)."""
    edge = request.app.get(EDGE)
    return rate_key(edge.address(request) if edge is not None else (request.remote or "?"))


def is_secure(request: web.Request) -> bool:
    edge = request.app.get(EDGE)
    return edge.secure(request) if edge is not None else request.secure
