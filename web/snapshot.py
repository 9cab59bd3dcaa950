"""The pieces of the public view: one rebuild's stream frames, one ticket's place, the snapshot
lookups read, and text made safe to show."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field


@dataclass
class Update:
    """One rebuild's changes: ``frames`` are (event name, JSON bytes) for the live stream."""
    version: int
    frames: list[tuple[str, bytes]] = field(default_factory=list)


def visible(text: str) -> str:
    """Text as a page may show it: control and format characters (Unicode Cc, Cf: NUL, bidi
    overrides, zero-width joiners...) removed, line breaks as spaces."""
    return "".join(" " if ch in "\n\r\t" else ch for ch in text
                   if ch in "\n\r\t" or unicodedata.category(ch) not in ("Cc", "Cf")).strip()


@dataclass(frozen=True)
class Snapshot:
    """What ticket lookups and survey checks read: built at once by ``rebuild``, so the index
    of waiting, called and missed tickets and the counts issued always belong together (a
    ticket never looks ``done`` because its service's new count arrived before its list).

    ``synced``: the retained state present at the broker when this process subscribed has all
    arrived (the barrier, :meth:`PublicState.receive`); before that, nothing is answered."""
    synced: bool = False
    index: dict[str, "TicketInfo"] = field(default_factory=dict)
    issued: dict[str, tuple[str, int]] = field(default_factory=dict)   # sid -> (day, issued)


@dataclass
class TicketInfo:
    status: str
    service: str
    position: int | None = None
    est_wait_s: float | None = None
    counter: str | None = None
