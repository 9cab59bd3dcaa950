"""The network edge (issue 12): who a request comes from and whether it came over TLS, through a
reverse proxy the site trusts and no other, and the ``[web]`` keys that say so."""

from __future__ import annotations

import tomllib

import pytest
from aiohttp.test_utils import make_mocked_request

from antrian import config
from antrian.config import ConfigError
from support.site import SMALL_SITE
from web.http import EDGE, Edge, client_key, is_secure, rate_key
from web.settings import WebSettings


def request(peer: str, headers: dict | None = None, edge: Edge | None = None):
    from unittest.mock import Mock

    from aiohttp import web
    app = web.Application()
    if edge is not None:
        app[EDGE] = edge
    transport = Mock()
    transport.get_extra_info = lambda name, default=None: (
        (peer, 40000) if name == "peername" else default)
    return make_mocked_request("GET", "/", headers=headers or {}, app=app, transport=transport)


def test_an_ipv6_client_counts_as_its_64_and_an_ipv4_client_as_its_address():
    assert rate_key("2001:db8:1:2:aaaa::1") == rate_key("2001:db8:1:2:bbbb::2") == \
        "2001:db8:1:2::/64"
    assert rate_key("2001:db8:1:3::1") != rate_key("2001:db8:1:2::1")
    assert rate_key("::ffff:192.0.2.7") == "192.0.2.7" == rate_key("192.0.2.7")


def test_forwarded_headers_count_only_from_a_trusted_proxy():
    forged = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    untrusted = request("192.0.2.50", forged, Edge(["127.0.0.1"]))
    assert client_key(untrusted) == "192.0.2.50" and not is_secure(untrusted)
    proxied = request("127.0.0.1", forged, Edge(["127.0.0.1"]))
    assert client_key(proxied) == "203.0.113.9" and is_secure(proxied)
    # the visitor's own X-Forwarded-For in front of the proxy's entry is not believed
    chain = request("127.0.0.1", {"X-Forwarded-For": "10.0.0.1, 2001:db8:5:6::9"},
                    Edge(["127.0.0.1"]))
    assert client_key(chain) == "2001:db8:5:6::/64"
    # a proxy that sent nothing usable: the proxy itself
    assert client_key(request("127.0.0.1", {"X-Forwarded-For": "nonsense"},
                              Edge(["127.0.0.1"]))) == "127.0.0.1"


def site_with(web: str):
    return config.parse(tomllib.loads(SMALL_SITE.format(port=1883) + "\n[web]\n" + web))


def test_the_edge_settings_are_read_and_checked():
    s = WebSettings.from_site(site_with('trusted_proxies = ["127.0.0.1", "10.0.0.0/24"]\n'
                                        'hsts_seconds = 600\nmax_streams_per_address = 4\n'
                                        'header_timeout = 5\n'))
    assert s.trusted_proxies == ("127.0.0.1", "10.0.0.0/24") and s.hsts_seconds == 600
    assert s.max_streams_per_address == 4 and s.header_timeout == 5.0
    default = WebSettings.from_site(site_with(""))
    assert default.trusted_proxies == () and default.header_timeout == 10.0
    for bad in ('trusted_proxies = ["proxy.local"]', "hsts_seconds = -1",
                "max_streams_per_address = 0", "header_timeout = 1", "header_timout = 5"):
        with pytest.raises(ConfigError) as e:
            WebSettings.from_site(site_with(bad + "\n"))
        assert "web." in str(e.value) or "header_timout" in str(e.value)


def test_behind_a_trusted_tls_proxy_answers_carry_hsts_and_others_do_not():
    import asyncio

    from support.webprocess import served
    from web.server import WebApp

    async def main():
        app = WebApp(site_with(""), edge=Edge(["127.0.0.1"], hsts_seconds=600))
        async with served(app) as (base, s):
            async with s.get(base + "/", headers={"X-Forwarded-Proto": "https"}) as r:
                assert r.headers["Strict-Transport-Security"] == "max-age=600"
            async with s.get(base + "/") as r:              # plain HTTP: no HSTS
                assert "Strict-Transport-Security" not in r.headers
    asyncio.run(main())
