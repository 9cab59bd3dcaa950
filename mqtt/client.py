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
- callbacks that never raise into paho's network thread (an exception there kills it);
- failures a technician can act on, logged once per change rather than at every retry: a
  refused login names the account and where its password came from, a broker that cannot be
  reached names host:port and the reason (refused, no route, unknown host) within a couple of
  seconds of starting.
"""

from __future__ import annotations

import logging
import socket
import ssl
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.properties import Properties
from paho.mqtt.packettypes import PacketTypes

from antrian.config import Broker, Site, credentials as site_credentials
from mqtt.topics import Topics

log = logging.getLogger(__name__)

MessageHandler = Callable[[str, bytes, Any], None]
SESSION_TAKEN_OVER = 0x8E     # MQTT v5 DISCONNECT reason: a client connected with our id
SHORT_SESSION_S = 10.0        # a session lost sooner than this counts as a short one
FIGHT_REPORT_EVERY = 50       # after the first report (3 in a row), one line per 50 more


def secrets_path(site: Site) -> Path | None:
    """The secrets file ``[broker] secrets`` names, resolved against the site TOML's folder."""
    if not site.broker.secrets:
        return None
    path = Path(site.broker.secrets)
    if not path.is_absolute() and site.path is not None:
        path = Path(site.path).parent / path
    return path


def password_source(site: Site, account: str, given: bool, found: bool) -> str:
    """Where an account's password came from, for a technician reading a refusal."""
    path = secrets_path(site)
    if given:
        return "password given by the caller"
    if found and path is not None:
        return f"password from {path}"
    if site.broker.username:
        return f"password from [broker] of {site.path or 'the site TOML'}"
    if path is None:
        return "no password: the site TOML names no secrets file ([broker] secrets)"
    if not path.exists():
        return f"no password: {path} not found"
    return f"no password: {path} has none for {account}"


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
    :param account: the secrets file's account to log in with, when it is not ``component``
        (the consoles ``ctl`` and ``watch`` log in as ``ops``).
    """

    def __init__(self, site: Site, component: str, *, subscriptions: Iterable[str] = (),
                 on_message: MessageHandler | None = None, persistent: bool = False,
                 client_id: str | None = None, credentials: tuple[str, str] | None = None,
                 broker: Broker | None = None, presence: bool = True, manual_ack: bool = False,
                 account: str | None = None):
        self.site = site
        self.topics = Topics(site.site)
        self.component = component
        self.subscriptions = list(subscriptions)
        self.on_message = on_message
        self.persistent = persistent
        self.presence = presence
        self.broker = broker or site.broker
        self.connected = threading.Event()
        # Set once the SUBACK of this connection's subscriptions is in (cleared on a disconnect):
        # from then on nothing published to those topics can pass this client by.
        self.subscribed = threading.Event()
        # Set at every outcome of a connection attempt (connected, refused, unreachable), so a
        # short-lived client can tell "wrong password" from "no broker" without waiting it out.
        self.attempted = threading.Event()
        self.refused: str | None = None        # why the broker refused the login, while it does
        self.unreachable: str | None = None    # why the broker could not be reached, while so
        self.failures = 0                      # connection attempts that failed, in all
        self.takeovers = 0                     # times a second copy was suspected (logged)
        self.short_sessions = 0                # sessions in a row that ended right away
        self._connected_at: float | None = None
        self._subscribe_mid: int | None = None
        self._refused_replies: set[str] = set()
        self._on_connect_hooks: list[Callable[[], None]] = []
        self._on_disconnect_hooks: list[Callable[[], None]] = []
        self._stopping = False
        cid = self.client_id = client_id or f"antrian-{site.site}-{component}"
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id=cid,
                                  protocol=paho.MQTTv5, reconnect_on_failure=True,
                                  manual_ack=manual_ack)
        # Sized so a burst of QoS 1 publishes is never refused locally while waiting for PUBACKs.
        self.client.max_inflight_messages_set(100)
        self.client.max_queued_messages_set(0)
        self.client.reconnect_delay_set(min_delay=1, max_delay=5)
        found = None if credentials else site_credentials(site, account or component)
        user, password = (credentials or found or (self.broker.username, self.broker.password))
        self.username = user or None
        self.account = account or component
        self.password_source = password_source(site, self.account, credentials is not None,
                                                found is not None)
        # A long-running role logs its connection troubles; a console says them itself.
        self._trouble_level = logging.ERROR if presence else logging.DEBUG
        if user:
            self.client.username_pw_set(user, password)
        if self.broker.tls:
            self.client.tls_set(ca_certs=self.broker.ca_file, cert_reqs=ssl.CERT_REQUIRED)
        if presence:
            self.client.will_set(self.topics.lwt(component), b"offline", qos=1, retain=True)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe
        self.client.on_connect_fail = self._on_connect_fail

    @property
    def address(self) -> str:
        return f"{self.broker.host}:{self.broker.port}"

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

    def reply(self, message: Any, payload: bytes) -> bool:
        """Answer an MQTT v5 request on its response topic, echoing its correlation data.

        Only a reply topic of this site (``reply/<account>/...``, ``Topics.reply_owner``) or a
        topic of this component's own ``stat/`` tree is answered; any other response topic is
        logged once and ignored, so a requester cannot make this component publish where it may
        not read (issue 12: the broker does not check response topics against the requester's
        rights, and whoever answers publishes with its own).
        """
        props_in = getattr(message, "properties", None)
        topic = getattr(props_in, "ResponseTopic", None) if props_in else None
        if not topic:
            return False
        own = self.topics.stat(self.component, "")
        if self.topics.reply_owner(topic) is None and not (
                isinstance(topic, str) and topic.startswith(own) and len(topic) <= 256
                and not any(c in topic for c in "+#\0")):
            key = str(topic)[:200]
            if key not in self._refused_replies:
                if len(self._refused_replies) < 1000:   # bounded: a flood cannot grow it
                    self._refused_replies.add(key)
                log.warning("%s: not answering on response topic %r (from a request on %s): "
                            "replies go only to antrian/%s/reply/<account>/...", self.component,
                            key, getattr(message, "topic", "?"), self.site.site)
            return False
        props = Properties(PacketTypes.PUBLISH)
        corr = getattr(props_in, "CorrelationData", None)
        if corr:
            props.CorrelationData = corr
        self.publish(topic, payload, properties=props)
        return True

    # -- paho callbacks (never raise) ------------------------------------------------------------

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        try:
            self.unreachable = None
            if reason_code.is_failure:
                why = f"{str(reason_code).lower()} ({self.password_source})"
                if why != self.refused:   # once per change, not at every retry
                    log.log(self._trouble_level, "broker at %s refused %s: %s", self.address,
                            self.username or self.account, why)
                self.refused = why
                self.failures += 1
                self.attempted.set()
                return
            if self.refused:
                log.info("broker at %s accepts %s again", self.address, self.username)
            self.refused = None
            # Short-lived console clients (no presence) need not fill the log.
            sock = client.socket()
            if isinstance(sock, socket.socket) and sock.family != socket.AF_UNIX:
                # paho leaves Nagle on: each small request would wait for a delayed ACK (~20 ms).
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            log.log(logging.INFO if self.presence else logging.DEBUG,
                    "%s connected to %s:%s (session present: %s)", self.component,
                     self.broker.host, self.broker.port, flags.session_present)
            if self.subscriptions:
                _, self._subscribe_mid = client.subscribe([(t, 1) for t in self.subscriptions])
            else:
                self.subscribed.set()
            if self.presence:
                client.publish(self.topics.lwt(self.component), b"online", qos=1, retain=True)
            # Connected before the hooks run: a hook hands work to another thread (the queue
            # service's republish), which may look at ``connected`` before this one goes on;
            # set afterwards, that thread saw "not connected" and dropped the republish.
            self._connected_at = time.monotonic()
            self.connected.set()
            for hook in self._on_connect_hooks:
                hook()
            self.attempted.set()
        except Exception:
            log.exception("on_connect failed")

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties) -> None:
        try:
            if mid != self._subscribe_mid:
                return
            for topic, code in zip(self.subscriptions, reason_codes):
                if code.is_failure:
                    log.error("broker at %s refused %s the subscription to %s: %s", self.address,
                              self.username or self.component, topic, code)
            self.subscribed.set()
        except Exception:
            log.exception("on_subscribe failed")

    def _on_connect_fail(self, client, userdata) -> None:
        # paho calls this inside its `except OSError` around the connect, so the error is at
        # hand here though paho does not pass it.
        try:
            error = sys.exc_info()[1]
            if isinstance(error, socket.gaierror):
                why = f"unknown host ({error.strerror})"
            elif isinstance(error, OSError) and error.strerror:
                why = error.strerror.lower()
            else:
                why = str(error) or type(error).__name__
            if why != self.unreachable:
                log.log(self._trouble_level, "%s cannot reach the broker at %s: %s; retrying",
                        self.component, self.address, why)
            self.unreachable = why
            self.failures += 1
            self.attempted.set()
        except Exception:
            log.exception("on_connect_fail failed")

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        try:
            self.connected.clear()
            self.subscribed.clear()
            lasted = time.monotonic() - self._connected_at if self._connected_at else None
            self._connected_at = None
            taken = getattr(reason_code, "value", None) == SESSION_TAKEN_OVER
            # Mosquitto 2.0 closes the socket of the client whose id was taken, without a
            # reason: sessions that keep ending right after they start tell the same story.
            short = taken or (lasted is not None and lasted < SHORT_SESSION_S)
            self.short_sessions = self.short_sessions + 1 if short and not self._stopping else 0
            if self.short_sessions and (taken or self.short_sessions % FIGHT_REPORT_EVERY == 3):
                self.takeovers += 1
                log.error("%s: the broker at %s keeps dropping this connection right after it "
                          "starts (%d times in a row): is a second copy of %s running with "
                          "client id %s? The two will keep pushing each other off",
                          self.component, self.address, self.short_sessions, self.component,
                          self.client_id)
            elif not self._stopping and not self.refused:   # a refusal was said already
                log.warning("%s lost the broker at %s (%s); reconnecting", self.component,
                            self.address, reason_code)
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
