"""One paho-mqtt 2.x connection per component, with presence and safe callbacks.

    conn = Connection(site, "board-lobby", subscriptions=[topics.call], on_message=inbox.put)
    conn.start()                      # connects in the background, reconnects by itself
    conn.publish(topics.call, b"{}")

What every Antrian component gets from here, so none of them repeats it:

- MQTT v5, paho's VERSION2 callbacks, keepalive from the site TOML (<= 20 s);
- presence: ``tele/<component>/lwt`` is the retained last will ``offline``, ``online`` is
  published on every connect and ``offline`` on a clean stop;
- subscriptions renewed in ``on_connect``, so a broker restart loses none of them;
- ``on_connect`` hooks to republish retained state after a reconnect;
- callbacks that never raise into paho's network thread (an exception there kills it).
"""

from __future__ import annotations

import logging
import socket
import ssl
import threading
from collections.abc import Callable, Iterable
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.properties import Properties
from paho.mqtt.packettypes import PacketTypes

from antrian.config import Broker, Site, credentials as site_credentials
from mqtt.topics import Topics

log = logging.getLogger(__name__)

MessageHandler = Callable[[str, bytes, Any], None]


class Connection:
    """A component's connection to the site's broker.

    :param site: the loaded site configuration (broker address and credentials).
    :param component: ``queue``, ``board-<id>``, ``counter-<id>``, ``kiosk-<id>``, ``web``...
    :param subscriptions: topic filters, (re)subscribed at every connect, QoS 1.
    :param on_message: called as ``on_message(topic, payload, message)`` from paho's thread; keep
        it short (hand off to a queue). Exceptions are logged, never raised into paho.
    :param persistent: keep the broker session (fixed client id, clean_start false) so QoS 1
        messages sent while this component is away are delivered when it returns.
    :param credentials: (username, password) overriding the TOML's broker account.
    :param manual_ack: PUBACK a message only when :meth:`ack` is called (after it is stored).
    """

    def __init__(self, site: Site, component: str, *, subscriptions: Iterable[str] = (),
                 on_message: MessageHandler | None = None, persistent: bool = False,
                 client_id: str | None = None, credentials: tuple[str, str] | None = None,
                 broker: Broker | None = None, presence: bool = True, manual_ack: bool = False):
        self.site = site
        self.topics = Topics(site.site)
        self.component = component
        self.subscriptions = list(subscriptions)
        self.on_message = on_message
        self.persistent = persistent
        self.presence = presence
        self.broker = broker or site.broker
        self.connected = threading.Event()
        self._on_connect_hooks: list[Callable[[], None]] = []
        self._on_disconnect_hooks: list[Callable[[], None]] = []
        self._stopping = False
        cid = client_id or f"antrian-{site.site}-{component}"
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id=cid,
                                  protocol=paho.MQTTv5, reconnect_on_failure=True,
                                  manual_ack=manual_ack)
        # Sized so a burst of QoS 1 publishes is never refused locally while waiting for PUBACKs.
        self.client.max_inflight_messages_set(100)
        self.client.max_queued_messages_set(0)
        self.client.reconnect_delay_set(min_delay=1, max_delay=5)
        user, password = (credentials or site_credentials(site, component)
                          or (self.broker.username, self.broker.password))
        if user:
            self.client.username_pw_set(user, password)
        if self.broker.tls:
            self.client.tls_set(ca_certs=self.broker.ca_file, cert_reqs=ssl.CERT_REQUIRED)
        if presence:
            self.client.will_set(self.topics.lwt(component), b"offline", qos=1, retain=True)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message

    # -- hooks ---------------------------------------------------------------------------------

    def on_connect(self, hook: Callable[[], None]) -> Callable[[], None]:
        """Run ``hook()`` after every successful (re)connect, e.g. to republish retained state."""
        self._on_connect_hooks.append(hook)
        return hook

    def on_disconnect(self, hook: Callable[[], None]) -> Callable[[], None]:
        self._on_disconnect_hooks.append(hook)
        return hook

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self, wait: float | None = None) -> bool:
        """Connect in the background (retrying until the broker answers); optionally wait."""
        props = None
        if self.persistent:
            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = 86400
        self.client.connect_async(self.broker.host, self.broker.port,
                                  keepalive=self.broker.keepalive,
                                  clean_start=not self.persistent, properties=props)
        self.client.loop_start()
        return self.connected.wait(wait) if wait else self.connected.is_set()

    def stop(self) -> None:
        """Say ``offline`` and disconnect cleanly (the will is not sent on a clean disconnect)."""
        self._stopping = True
        if self.connected.is_set() and self.presence:
            info = self.client.publish(self.topics.lwt(self.component), b"offline", qos=1,
                                       retain=True)
            try:
                info.wait_for_publish(timeout=2)
            except (RuntimeError, ValueError):
                pass
        self.client.disconnect()
        self.client.loop_stop()
        self.connected.clear()

    # -- publishing ----------------------------------------------------------------------------

    def publish(self, topic: str, payload: bytes | str, *, retain: bool = False, qos: int = 1,
                properties: Properties | None = None) -> paho.MQTTMessageInfo:
        return self.client.publish(topic, payload, qos=qos, retain=retain, properties=properties)

    def ack(self, message: Any) -> None:
        """With ``manual_ack``: acknowledge a QoS 1 message once its effect is durable."""
        if message is not None and message.qos > 0:
            self.client.ack(message.mid, message.qos)

    def reply(self, message: Any, payload: bytes) -> None:
        """Answer an MQTT v5 request on its response topic, echoing its correlation data."""
        props_in = getattr(message, "properties", None)
        topic = getattr(props_in, "ResponseTopic", None) if props_in else None
        if not topic:
            return
        props = Properties(PacketTypes.PUBLISH)
        corr = getattr(props_in, "CorrelationData", None)
        if corr:
            props.CorrelationData = corr
        self.publish(topic, payload, properties=props)

    # -- paho callbacks (never raise) ------------------------------------------------------------

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        try:
            if reason_code.is_failure:
                log.error("broker refused %s: %s", self.component, reason_code)
                return
            # Short-lived console clients (no presence) need not fill the log.
            sock = client.socket()
            if isinstance(sock, socket.socket) and sock.family != socket.AF_UNIX:
                # paho leaves Nagle on: each small request would wait for a delayed ACK (~20 ms).
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            log.log(logging.INFO if self.presence else logging.DEBUG,
                    "%s connected to %s:%s (session present: %s)", self.component,
                     self.broker.host, self.broker.port, flags.session_present)
            if self.subscriptions:
                client.subscribe([(t, 1) for t in self.subscriptions])
            if self.presence:
                client.publish(self.topics.lwt(self.component), b"online", qos=1, retain=True)
            for hook in self._on_connect_hooks:
                hook()
            self.connected.set()
        except Exception:
            log.exception("on_connect failed")

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        try:
            self.connected.clear()
            if not self._stopping:
                log.warning("%s lost the broker (%s); reconnecting", self.component, reason_code)
            for hook in self._on_disconnect_hooks:
                hook()
        except Exception:
            log.exception("on_disconnect failed")

    def _on_message(self, client, userdata, message) -> None:
        if self.on_message is None:
            return
        try:
            self.on_message(message.topic, message.payload, message)
        except Exception:
            log.exception("handling %s failed", message.topic)
