"""The ``[web]`` table of the site TOML (all keys optional).

    [web]
    host = "0.0.0.0"        # where the page listens (a reverse proxy in front: "127.0.0.1")
    port = 8080
    max_streams = 3000      # live-stream listeners at most; more poll instead
"""

from __future__ import annotations

from dataclasses import dataclass

from antrian.config import ConfigError, Site, need, no_unknown


@dataclass(frozen=True)
class WebSettings:
    host: str = "0.0.0.0"
    port: int = 8080
    max_streams: int = 3000

    @classmethod
    def from_site(cls, site: Site) -> "WebSettings":
        raw = need(site.raw, "web", dict, "web", {})
        no_unknown(raw, {"host", "port", "max_streams"}, "web")
        settings = cls(host=need(raw, "host", str, "web", cls.host),
                       port=need(raw, "port", int, "web", cls.port),
                       max_streams=need(raw, "max_streams", int, "web", cls.max_streams))
        if not 1 <= settings.port <= 65535:
            raise ConfigError(f"web.port: {settings.port} is not a TCP port")
        if not 1 <= settings.max_streams <= 100_000:
            raise ConfigError("web.max_streams: must be 1..100000")
        return settings
