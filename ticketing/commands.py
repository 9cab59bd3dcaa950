"""What can be asked of a building's queue: one frozen dataclass per command.

    >>> Press("3", Action.NEXT, request="counter-3:c3-17", request_id="c3-17")

Commands are the domain's own values: the service builds them from wire messages (which have
their own names in ``mqtt.schemas``: ``PressRequest``, ``TakeRequest``) after validating them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ticketing.hours import OpeningRules
from ticketing.model import Action

UNSET: Any = object()
# A recall inside this many seconds of the last call of the same ticket is refused: a counter
# that floods recall must not make the boards announce without end (issue 12).
RECALL_COOLDOWN_S = 10.0


@dataclass(frozen=True)
class Take:
    """A visitor takes a ticket at a kiosk (``offered``: the kiosk's services, None for all)."""
    service: str
    request: str
    request_id: str = ""
    kiosk: str | None = None
    priority: bool = False
    offered: tuple[str, ...] | None = None
    # The service's opening rules and the site's local time now (None: always open).
    opening: OpeningRules | None = None
    local_time: datetime | None = None


@dataclass(frozen=True)
class Press:
    """A counter's button: next, recall, skip, call, transfer, open, close."""
    counter: str
    action: Action | str
    request: str
    request_id: str = ""
    ticket: str | None = None
    to: str | None = None
    expect: Any = UNSET
    until: float | None = None      # close: reopen by itself at this time
    reason: str | None = None       # close: why, shown on boards ("Istirahat")
    recall_cooldown: float = RECALL_COOLDOWN_S


@dataclass(frozen=True)
class Tick:
    """Time passes: counters closed for a while reopen when their time is up."""


@dataclass(frozen=True)
class Rollover:
    """A new service day begins: numbering restarts, the old day's lines expire."""
    day: str


@dataclass(frozen=True)
class Assign:
    """Change which services a counter serves (a supervisor's decision, not a button).
    ``request``: the console's transaction key, so a redelivered command runs once."""
    counter: str
    services: tuple[str, ...]
    request: str | None = None


@dataclass(frozen=True)
class ResetLine:
    """Start a service's day over (``service`` None: every service): waiting tickets expire and
    numbering restarts. Used after a test run or a mistake at opening time. ``request``: the
    console's transaction key, so a redelivered reset never runs twice."""
    service: str | None = None
    request: str | None = None
