"""The ``[web]`` table of the site TOML (all keys optional).

    [web]
    host = "0.0.0.0"        # where the page listens (a reverse proxy in front: "127.0.0.1")
    port = 8080
    max_streams = 3000      # live-stream listeners at most; more poll instead
    managers = "managers.toml"   # the manager accounts (relative to this TOML; `antrian web-user`)
    survey = true           # the SKM survey page and POST /api/v1/survey
    survey_per_minute = 20  # survey answers a minute from one address (a counter tablet: ~1)
    session_hours = 10      # a manager's login lasts this long

    # Behind a TLS reverse proxy (issue 12): only these addresses may say X-Forwarded-For/-Proto
    trusted_proxies = ["127.0.0.1"]
    hsts_seconds = 31536000 # Strict-Transport-Security on answers over TLS (0: none)
    max_streams_per_address = 20   # live-stream listeners from one address (IPv6: one /64)
    header_timeout = 10     # s: a request's headers (and a POST's body) arrive within this
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from antrian.config import ConfigError, Site, need


@dataclass(frozen=True)
class WebSettings:
    host: str = "0.0.0.0"
    port: int = 8080
    max_streams: int = 3000
    managers: Path | None = None
    survey: bool = True
    survey_per_minute: int = 20
    session_hours: float = 10.0
    trusted_proxies: tuple[str, ...] = ()
    hsts_seconds: int = 31_536_000
    max_streams_per_address: int = 20
    header_timeout: float = 10.0

    @classmethod
    def from_site(cls, site: Site) -> "WebSettings":
        # Key names are checked at load against antrian.sections.WEB (add new keys there).
        raw = need(site.raw, "web", dict, "web", {})
        managers = need(raw, "managers", str, "web", None)
        if managers is not None:
            path = Path(managers)
            if not path.is_absolute() and site.path is not None:
                path = site.path.parent / path
            managers = path
        settings = cls(host=need(raw, "host", str, "web", cls.host),
                       port=need(raw, "port", int, "web", cls.port),
                       max_streams=need(raw, "max_streams", int, "web", cls.max_streams),
                       managers=managers,
                       survey=need(raw, "survey", bool, "web", True),
                       survey_per_minute=need(raw, "survey_per_minute", int, "web", 20),
                       session_hours=float(need(raw, "session_hours", (int, float), "web", 10)),
                       **edge_settings(raw))
        if not 1 <= settings.port <= 65535:
            raise ConfigError(f"web.port: {settings.port} is not a TCP port")
        if not 1 <= settings.max_streams <= 100_000:
            raise ConfigError("web.max_streams: must be 1..100000")
        if not 1 <= settings.survey_per_minute <= 600:
            raise ConfigError("web.survey_per_minute: must be 1..600")
        if not 0.25 <= settings.session_hours <= 24 * 7:
            raise ConfigError("web.session_hours: must be between 0.25 and 168")
        return settings


def edge_settings(raw: dict) -> dict:
    """The ``[web]`` keys of the network edge (issue 12), checked."""
    import ipaddress

    proxies = need(raw, "trusted_proxies", list, "web", [])
    for p in proxies:
        try:
            ipaddress.ip_network(p, strict=False)
        except (TypeError, ValueError):
            raise ConfigError(f"web.trusted_proxies: {p!r} is not an address or network") from None
    out = dict(trusted_proxies=tuple(proxies),
               hsts_seconds=need(raw, "hsts_seconds", int, "web", 31_536_000),
               max_streams_per_address=need(raw, "max_streams_per_address", int, "web", 20),
               header_timeout=float(need(raw, "header_timeout", (int, float), "web", 10)))
    if not 0 <= out["hsts_seconds"] <= 2 * 31_536_000:
        raise ConfigError("web.hsts_seconds: must be 0..63072000")
    if not 1 <= out["max_streams_per_address"] <= 10_000:
        raise ConfigError("web.max_streams_per_address: must be 1..10000")
    if not 2 <= out["header_timeout"] <= 300:
        raise ConfigError("web.header_timeout: must be 2..300 seconds")
    return out
