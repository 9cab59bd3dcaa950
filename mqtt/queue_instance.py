"""Who runs the queue: a second copy of the queue service for one site is told loudly.

    me = Instance()
    conn.publish(topics.instance("queue"), me.announcement(), retain=True)   # at every connect
    me.seen(payload, retained)        # every announcement heard; True when it is a rival's

Two copies with one client id knock each other off the broker in turn, so each mostly hears
the other's announcement as a retained message at its own reconnect. An announcement made
after this copy started is therefore a rival's, live or retained; one made before is a
previous run's (a copy that died cannot announce after its successor started).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
import uuid

log = logging.getLogger(__name__)


class Instance:
    def __init__(self, site: str = ""):
        self.site = site
        self.me = {"instance": uuid.uuid4().hex[:12], "host": socket.gethostname(),
                   "pid": os.getpid(), "started": time.time()}
        self.rival: dict | None = None

    @property
    def id(self) -> str:
        return self.me["instance"]

    def announcement(self) -> bytes:
        return json.dumps(dict(self.me, announced=time.time())).encode()

    def seen(self, payload: bytes, retained: bool) -> bool:
        """Note an announcement; True (and logged as an error) when it is another copy's."""
        try:
            other = json.loads(payload)
        except (ValueError, UnicodeDecodeError):
            return False
        if not isinstance(other, dict) or not isinstance(other.get("instance"), str) \
                or other["instance"] == self.id:
            return False
        announced = other.get("announced")
        if retained and not (isinstance(announced, (int, float))
                             and announced > self.me["started"]):
            return False
        self.rival = {k: str(other.get(k))[:64] for k in ("instance", "host", "pid", "started")}
        log.error("ANOTHER QUEUE SERVICE for site %s is running (instance %s on %s, pid %s): "
                  "stop one of them; two copies fight over the same tickets", self.site,
                  self.rival["instance"], self.rival["host"], self.rival["pid"])
        return True

    def health(self) -> dict:
        figures: dict = {"instance": self.id}
        if self.rival is not None:
            figures["rival_instance"] = self.rival
            figures["error"] = ("another queue service runs for this site "
                                f"(instance {self.rival['instance']} on {self.rival['host']})")
        return figures
