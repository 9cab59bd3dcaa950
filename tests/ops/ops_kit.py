"""The queue service in-process: its connection is a recording fake passed to the constructor."""

from __future__ import annotations

import json
import threading


class RecordingConnection:
    """The face of ``mqtt.client.Connection`` the queue service uses, recording what it sends."""

    def __init__(self, site):
        from mqtt.topics import Topics
        self.site, self.component, self.topics = site, "queue", Topics(site.site)
        self.subscriptions: list[str] = []
        self.on_message = None
        self.connected = threading.Event()
        self.connected.set()
        self.sent: list[tuple[str, dict | None]] = []
        self.retained: dict[str, dict | None] = {}
        self.acked: list = []
        self.replied: list[tuple[str, dict]] = []

    def on_connect(self, hook):
        return hook

    def publish(self, topic, body, *, retain: bool = False, **kw):
        decoded = json.loads(body) if body else None
        self.sent.append((topic, decoded))
        if retain:
            self.retained[topic] = decoded

    def ack(self, message):
        self.acked.append(message)

    def reply(self, message, body):
        self.replied.append((message.properties.ResponseTopic, json.loads(body)))
