"""The web role starts as every role does (issue 11): its outside world comes in through the
constructor, with real defaults; a test hands it a fake connection and sees the wiring."""

from __future__ import annotations

import tomllib

from antrian import config
from support.site import SMALL_SITE
from web.role import WebRole


class FakeConnection:
    """What WebRole and its maintenance face use of mqtt.client.Connection."""

    def __init__(self, site):
        from mqtt.topics import Topics
        self.topics = Topics(site.site)
        self.component = "web"
        self.site = site
        self.subscriptions: list[str] = []
        self.connect_hooks, self.disconnect_hooks = [], []

    def on_connect(self, hook):
        self.connect_hooks.append(hook)
        return hook

    def on_disconnect(self, hook):
        self.disconnect_hooks.append(hook)
        return hook


def test_the_role_takes_its_connection_and_wires_presence_into_the_page():
    site = config.parse(tomllib.loads(SMALL_SITE.format(port=1883)))
    conn = FakeConnection(site)
    role = WebRole(site, connection=conn, port=0)
    assert role.connection is conn and role.app.site is site
    assert role.maintenance is not None
    # the broker's presence reaches the page through these (handed to its loop)
    assert len(conn.connect_hooks) == 1 and len(conn.disconnect_hooks) == 1


def test_the_default_connection_subscribes_to_the_state_and_its_own_presence():
    site = config.parse(tomllib.loads(SMALL_SITE.format(port=1883)))
    role = WebRole(site, port=0)
    base = f"antrian/{site.site}"
    assert set(role.connection.subscriptions) == {
        f"{base}/service/+/state", f"{base}/counter/+/state", f"{base}/call", f"{base}/message",
        f"{base}/tele/queue/lwt", f"{base}/tele/web/lwt",
        # booking (issue 15): the places, and the queue's answers to the web's own requests
        f"{base}/booking/+/slots", f"{base}/reply/web/booking/#"}
    # the maintenance face adds cmnd/web/# when it starts (mqtt.maintenance)
    assert role.connection.component == "web"


def test_the_webs_health_names_the_release_not_its_page_version():
    """`antrian watch` showed the web's version as 2: the page's own counter had shadowed the
    release in the health figures."""
    from antrian import __version__
    site = config.parse(tomllib.loads(SMALL_SITE.format(port=1883)))
    import threading
    conn = FakeConnection(site)
    conn.connected = threading.Event()
    role = WebRole(site, connection=conn, port=0)
    health = role.maintenance.status()
    assert health["version"] == __version__ and isinstance(health["page_version"], int)
