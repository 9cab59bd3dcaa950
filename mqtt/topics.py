"""Topic names of the contract (docs/mqtt-api.md), built in one place.

    >>> Topics("bogor").counter_press("1")
    'antrian/bogor/counter/1/press'
"""

from __future__ import annotations

from dataclasses import dataclass

ROOT = "antrian"


@dataclass(frozen=True)
class Topics:
    site: str

    @property
    def base(self) -> str:
        return f"{ROOT}/{self.site}"

    # requests in
    def counter_press(self, counter: str = "+") -> str:
        return f"{self.base}/counter/{counter}/press"

    def kiosk_take(self, kiosk: str = "+") -> str:
        return f"{self.base}/kiosk/{kiosk}/take"

    def kiosk_checkin(self, kiosk: str = "+") -> str:
        """A booked visitor checks in at a kiosk (issue 15)."""
        return f"{self.base}/kiosk/{kiosk}/checkin"

    def booking_request(self, op: str = "+") -> str:
        """The web's booking requests: ``book`` and ``cancel`` (issue 15)."""
        return f"{self.base}/booking/{op}"

    def booking_slots(self, service: str = "+") -> str:
        """A service's remaining online places per day and session (retained)."""
        return f"{self.base}/booking/{service}/slots"

    # retained state out
    def service_state(self, service: str = "+") -> str:
        return f"{self.base}/service/{service}/state"

    def counter_state(self, counter: str = "+") -> str:
        return f"{self.base}/counter/{counter}/state"

    # events out
    @property
    def call(self) -> str:
        return f"{self.base}/call"

    @property
    def ticket(self) -> str:
        return f"{self.base}/ticket"

    def error(self, source: str = "+") -> str:
        """``source`` is a component name: ``counter-1``, ``kiosk-k1``."""
        return f"{self.base}/error/{source}"

    # maintenance face (Tasmota style)
    def lwt(self, component: str = "+") -> str:
        return f"{self.base}/tele/{component}/lwt"

    def tele_state(self, component: str = "+") -> str:
        return f"{self.base}/tele/{component}/state"

    def cmnd(self, component: str = "+", command: str = "+") -> str:
        return f"{self.base}/cmnd/{component}/{command}"

    def stat(self, component: str, command: str) -> str:
        return f"{self.base}/stat/{component}/{command}"

    def instance(self, component: str) -> str:
        """Who runs a component now (retained): a second copy of it is told loudly."""
        return f"{self.base}/tele/{component}/instance"

    @property
    def recent_calls(self) -> str:
        """The latest calls, newest first (retained), rebuilt by the queue on start."""
        return f"{self.base}/calls/recent"

    # replies (issue 12): a requester reads only reply/<its own account>/#
    def reply(self, requester: str, rest: str = "#") -> str:
        return f"{self.base}/reply/{requester}/{rest}"

    def reply_owner(self, topic: str | None) -> str | None:
        """The account a response topic belongs to, or None when it is not a reply topic of
        this site (or holds wildcards, or is absurdly long)."""
        if not topic or len(topic) > 256 or "+" in topic or "#" in topic or "\0" in topic:
            return None
        levels = self.parse(topic)
        if len(levels) < 2 or levels[0] != "reply" or not levels[1] or not all(levels[2:]):
            return None
        return levels[1]

    @property
    def message(self) -> str:
        """Running text for every board (retained)."""
        return f"{self.base}/message"

    def parse(self, topic: str) -> list[str]:
        """The topic's levels below the site, or [] when it is not this site's."""
        prefix = self.base + "/"
        return topic[len(prefix):].split("/") if topic.startswith(prefix) else []
