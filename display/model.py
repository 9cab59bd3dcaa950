"""The board's state, folded from contract messages (pure: no MQTT, no pygame, time passed in).

    model = BoardModel(site, board)
    model.on_service(state, retained=True, now=t)
    effects = model.on_call(call, now=t)        # [Announce(call)] when the call is live
    model.advance(now=t)                        # the "now calling" panel takes turns

Rules (docs/mqtt-api.md): a message whose ``seq`` is lower than the one held for its topic is
dropped, unless it belongs to a later service day. Retained messages replayed at (re)connect
never flash or announce: a call is live only when its ``seq`` is newer than anything seen in
retained state, it was not seen before, and its ``ts`` is within :data:`LIVE_WINDOW` seconds.
"""

from __future__ import annotations

import json
import logging
from collections import deque
from dataclasses import dataclass, field

from antrian.config import Site
from display.config import BoardConfig
from mqtt.schemas import Call, CounterState, ServiceState

log = logging.getLogger(__name__)

LIVE_WINDOW = 120.0   # s: an older call is history, not news (a late broker replay, a skewed clock)
MIN_TURN = 2.0        # s: in a burst each call stays on the big panel at least this long
HISTORY = 6           # the "last calls" list
_SEEN = 2048          # call seqs remembered against duplicates


@dataclass(frozen=True)
class Shown:
    """One call as the board shows it."""
    ticket: str
    counter: str
    counter_name: str
    service: str
    kind: str = "call"
    seq: int = 0
    ts: float = 0.0


@dataclass(frozen=True)
class Announce:
    """Effect: play the chime and the announcement of this call."""
    call: Shown


@dataclass
class BoardModel:
    site: Site
    board: BoardConfig
    # A counter display follows one counter only.
    counter: str | None = None
    services: dict[str, ServiceState] = field(default_factory=dict)
    counters: dict[str, CounterState] = field(default_factory=dict)
    held: dict[str, tuple[str, int]] = field(default_factory=dict)   # topic key -> (day, seq)
    baseline: int = 0            # highest seq seen in retained messages
    connected: bool = False
    queue_online: bool | None = None
    lost_at: float | None = None  # when the data stopped being fresh (None: fresh)
    last_message_at: float | None = None
    message_text: str = ""        # retained site-wide running text (empty: the board's own)
    current: Shown | None = None
    current_since: float = 0.0
    current_live: bool = False
    pending: deque = field(default_factory=deque)
    history: deque = field(default_factory=lambda: deque(maxlen=HISTORY))
    seeded: bool = True          # history still comes from counter states (no live call yet)
    identify_until: float = 0.0
    calls_seen: int = 0
    _seen: deque = field(default_factory=lambda: deque(maxlen=_SEEN))

    def __post_init__(self) -> None:
        self._services = set(self.board.services)
        self._counters = set(self.board.counters)

    def reconfigure(self, site: Site, board: BoardConfig) -> None:
        """A re-read TOML: keep the state, show what the new board section asks for."""
        self.site, self.board = site, board
        self.__post_init__()
        if self.seeded:
            self._seed()

    # -- helpers -------------------------------------------------------------------------------

    def _fresh(self, key: str, day: str, seq: int) -> bool:
        held = self.held.get(key)
        if held is not None and day <= held[0] and seq < held[1]:
            return False
        self.held[key] = (day, seq)
        return True

    def _got_data(self, retained: bool, seq: int, now: float) -> None:
        self.last_message_at = now
        if retained:
            self.baseline = max(self.baseline, seq)

    @property
    def offline(self) -> bool:
        return not self.connected or self.queue_online is False

    def _update_offline(self, was_offline: bool, now: float) -> None:
        if self.offline and not was_offline:
            self.lost_at = now
        elif not self.offline:
            self.lost_at = None

    def data_age(self, now: float) -> float | None:
        """Seconds since the shown data was last known to be current (None: it is current)."""
        return None if self.lost_at is None else max(0.0, now - self.lost_at)

    # -- messages ------------------------------------------------------------------------------

    # Every service's and counter's state is kept (a reload may show others); the return value
    # says whether this board's picture changed.

    def on_service(self, state: ServiceState, *, retained: bool, now: float) -> bool:
        if not self._fresh(f"service/{state.service}", state.day, state.seq):
            return False
        self._got_data(retained, state.seq, now)
        self.services[state.service] = state
        return state.service in self._services

    def on_counter(self, state: CounterState, *, retained: bool, now: float) -> bool:
        if not self._fresh(f"counter/{state.counter}", state.day, state.seq):
            return False
        self._got_data(retained, state.seq, now)
        self.counters[state.counter] = state
        if state.counter not in self._counters:
            return False
        if self.seeded:
            self._seed()
        return True

    def _seed(self) -> None:
        """Before any live call, the panel and the history show the counters' tickets, newest
        first, so a board that starts mid-day is not blank."""
        rows = sorted((c for c in self.counters.values()
                       if c.ticket and c.since and c.counter in self._counters),
                      key=lambda c: c.since, reverse=True)
        shown = [Shown(c.ticket, c.counter, c.name, c.service or "", ts=c.since) for c in rows]
        self.current = shown[0] if shown else None
        self.current_live = False
        self.history = deque(shown[1:HISTORY + 1], maxlen=HISTORY)

    def on_call(self, call: Call, *, now: float) -> list[Announce]:
        """Queue a live call for the big panel and say it should be announced."""
        if call.service not in self._services:
            return []
        if self.counter is not None and call.counter != self.counter:
            return []
        if call.seq in self._seen:
            return []
        self._seen.append(call.seq)
        if call.seq <= self.baseline:
            return []   # already part of the state the board started from
        if abs(now - call.ts) > LIVE_WINDOW:
            log.warning("call %s (seq %d) is %.0f s old: shown in state only, not announced "
                        "(check the clocks)", call.ticket, call.seq, now - call.ts)
            return []
        self.last_message_at = now
        self.calls_seen += 1
        shown = Shown(call.ticket, call.counter, call.counter_name, call.service, call.kind,
                      call.seq, call.ts)
        if self.seeded:
            self.seeded = False
        self.pending.append(shown)
        return [Announce(shown)]

    def on_queue_presence(self, payload: bytes, *, retained: bool, now: float) -> bool:
        text = payload.decode("utf-8", "replace").strip().lower()
        if text not in ("online", "offline"):
            log.warning("queue presence %r is neither online nor offline", text[:80])
            return False
        was = self.offline
        online = text == "online"
        if online and not retained and self.queue_online is not True:
            # The queue service (re)started: it republishes everything next, maybe from a new
            # database whose seqs start again, so the held seqs no longer apply.
            self.held.clear()
            self.baseline = 0
        self.queue_online = online
        self._update_offline(was, now)
        return True

    def on_connection(self, connected: bool, *, now: float) -> bool:
        was = self.offline
        self.connected = connected
        self._update_offline(was, now)
        return True

    def on_message_text(self, payload: bytes) -> bool:
        """``{"text": "..."}`` or plain text; empty restores the board's own running text."""
        raw = payload.decode("utf-8", "replace").strip()
        text = raw
        if raw.startswith("{"):
            try:
                value = json.loads(raw)
                text = str(value.get("text") or "") if isinstance(value, dict) else raw
            except ValueError:
                text = raw
        text = " ".join(text.split())[:1000]
        changed = text != self.message_text
        self.message_text = text
        return changed

    # -- time ----------------------------------------------------------------------------------

    def advance(self, now: float) -> bool:
        """Give the next pending call its turn on the big panel; True when the panel changed."""
        if not self.pending:
            return False
        if self.current_live and now - self.current_since < min(MIN_TURN, self.board.flash_seconds):
            return False
        nxt = self.pending.popleft()
        if self.current is not None and (self.current.ticket, self.current.counter) != (
                nxt.ticket, nxt.counter):   # a recall, or the seeded ticket called live, once
            self.history.appendleft(self.current)
        self.current = nxt
        self.current_since = now
        self.current_live = True
        return True

    def next_turn_at(self) -> float | None:
        if not self.pending:
            return None
        if not self.current_live:
            return 0.0
        return self.current_since + min(MIN_TURN, self.board.flash_seconds)

    def flashing(self, now: float) -> bool:
        return self.current_live and now - self.current_since < self.board.flash_seconds

    def flash_ends_at(self) -> float | None:
        return self.current_since + self.board.flash_seconds if self.current_live else None

    def identify(self, now: float, seconds: float = 5.0) -> None:
        self.identify_until = now + seconds
