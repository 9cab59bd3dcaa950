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

    @property
    def message(self) -> str:
        """Running text for every board (retained)."""
        return f"{self.base}/message"

    def parse(self, topic: str) -> list[str]:
        """The topic's levels below the site, or [] when it is not this site's."""
        prefix = self.base + "/"
        return topic[len(prefix):].split("/") if topic.startswith(prefix) else []
