"""The board's state, folded from contract messages (pure: no MQTT, no pygame, time passed in).

    model = BoardModel(site, board)
    model.on_service(state, retained=True, now=t)
    effects = model.on_call(call, now=t)        # [Announce(call)] when the call is live
    model.advance(now=t)                        # the "now calling" panel takes turns

Rules (docs/mqtt-api.md): which of two states is current is decided by the one freshness rule,
:func:`mqtt.consumer.supersedes`. Retained messages replayed at (re)connect never flash or
announce: a call is live only when its ``seq`` is newer than anything seen in retained state, it
was not seen before, and its ``ts`` is within :data:`LIVE_WINDOW` seconds.

Every message is untrusted: each ``on_*`` method passes it through :mod:`display.clean` first
(the one place where text is made printable, times bounded and broken states refused), so the view
and the layout only ever see values they can draw.
"""

from __future__ import annotations

import json
import logging
from collections import deque
from dataclasses import dataclass, field

from antrian.config import Site
from display.clean import (RECENT_MAX, Refused, clean_call, clean_counter, clean_service,
                           clean_text, decode_recent)
from display.config import BoardConfig
from display.names import call_counter_label
from display.speech import announcement
from mqtt.consumer import supersedes
from mqtt.schemas import Call, CounterState, ServiceState

log = logging.getLogger(__name__)

LIVE_WINDOW = 120.0   # s: an older call is history, not news (a late broker replay, a skewed clock)
MIN_TURN = 2.0        # s: in a burst each call stays on the big panel at least this long
HISTORY = 6           # the "last calls" list
_SEEN = 2048          # call seqs remembered against duplicates
_STRANGERS = 256      # states of ids the site TOML does not know, kept at most (a flood of new
                      # ids must not grow the board's memory; a reload may name a few of them)


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
    """Effect: play the chime and the announcement of this call.

    ``words`` are the clips to say (the counter by its name, in the board's language);
    ``fallback`` says the counter by its id, for a voice pack without the name's words:
    ``announcer.say(list(effect.words), fallback=list(effect.fallback))``."""
    call: Shown
    words: tuple[str, ...] = ()
    fallback: tuple[str, ...] = ()


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
    ever_connected: bool = False  # a board that never reached its broker says so, with host:port
    queue_online: bool | None = None
    lost_at: float | None = None  # when the data stopped being fresh (None: fresh)
    last_message_at: float | None = None
    message_text: str = ""        # retained site-wide running text (empty: the board's own)
    current: Shown | None = None
    current_since: float = 0.0
    current_live: bool = False
    pending: deque = field(default_factory=deque)
    known: dict[int, Shown] = field(default_factory=dict)    # seq -> a call shown or in history
    seeded: bool = True          # no live call yet: the panel shows history, not news
    identify_until: float = 0.0
    calls_seen: int = 0
    live_seq: int = 0            # the newest live call taken
    stale_calls: int = 0         # live calls too old to announce
    refused: int = 0             # messages the board could not show (logged once per reason)
    _seen: deque = field(default_factory=lambda: deque(maxlen=_SEEN))
    _counter_seed: list = field(default_factory=list)
    _warned: set = field(default_factory=set)

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

    def _fresh(self, key: str, day: str, seq: int, retained: bool) -> bool:
        if not supersedes(self.held.get(key), day, seq, retained=retained):
            return False
        self.held[key] = (day, seq)
        return True

    def _refuse(self, what: str, error: Refused) -> None:
        self.refused += 1
        reason = f"{what}: {error}"
        if reason not in self._warned and len(self._warned) < 256:
            self._warned.add(reason)
            log.warning("refused %s (the board keeps what it shows)", reason[:300])

    def _room_for(self, kind: str, key: str, held: dict, known) -> bool:
        if key in held or key in known or len(held) < len(known) + _STRANGERS:
            return True
        self._refuse(f"{kind} state", Refused(f"too many unknown {kind} ids (not in the TOML)"))
        return False

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

    def _mine(self, service: str, counter: str) -> bool:
        return service in self._services and (self.counter is None or counter == self.counter)

    @staticmethod
    def _shown(call: Call) -> Shown:
        return Shown(call.ticket, call.counter, call.counter_name, call.service, call.kind,
                     call.seq, call.ts)

    # -- messages ------------------------------------------------------------------------------

    # Every service's and counter's state is kept (a reload may show others); the return value
    # says whether this board's picture changed.

    def on_service(self, state: ServiceState, *, retained: bool, now: float) -> bool:
        try:
            state = clean_service(state)
        except Refused as e:
            self._refuse("service state", e)
            return False
        if not self._room_for("service", state.service, self.services, self.site.services):
            return False
        if not self._fresh(f"service/{state.service}", state.day, state.seq, retained):
            return False
        self._got_data(retained, state.seq, now)
        self.services[state.service] = state
        return state.service in self._services

    def on_counter(self, state: CounterState, *, retained: bool, now: float) -> bool:
        try:
            state = clean_counter(state)
        except Refused as e:
            self._refuse("counter state", e)
            return False
        if not self._room_for("counter", state.counter, self.counters, self.site.counters):
            return False
        if not self._fresh(f"counter/{state.counter}", state.day, state.seq, retained):
            return False
        self._got_data(retained, state.seq, now)
        self.counters[state.counter] = state
        if state.counter not in self._counters:
            return False
        if self.seeded:
            self._seed()
        return True

    def on_recent_calls(self, payload: bytes, *, retained: bool, now: float) -> bool:
        """``antrian/<site>/calls/recent``: the day's last calls, newest first. History only:
        nothing here flashes or is announced, so a board that starts shows what its neighbours
        show. A retained list also marks its calls as seen (a replay of one is not news)."""
        try:
            recent = decode_recent(payload)
        except Refused as e:
            self._refuse("recent calls", e)
            return False
        held = self.held.get("calls/recent")
        if not self._fresh("calls/recent", recent.day, recent.seq, retained):
            return False
        self._got_data(retained, recent.seq, now)
        calls = [c for c in recent.calls if self._mine(c.service, c.counter)]
        if retained:
            for c in calls:
                if c.seq not in self._seen:
                    self._seen.append(c.seq)
            self.baseline = max([self.baseline] + [c.seq for c in calls])
        else:
            # A live list may run ahead of its /call: that call gets its turn first.
            calls = [c for c in calls if c.seq <= max(self.live_seq, self.baseline)]
        same_day = held is not None and held[0] == recent.day
        keep = {s.seq: s for s in self.known.values()
                if same_day and s.seq > recent.seq}
        keep.update({c.seq: self._shown(c) for c in calls})
        self.known = dict(sorted(keep.items(), reverse=True)[:RECENT_MAX + len(self.pending)])
        if self.seeded:
            self._seed()
        return True

    def _seed(self) -> None:
        """Before any live call, the panel and the history show what was called before: the
        recent-calls list when the queue publishes one, else the counters' tickets."""
        rows = sorted((c for c in self.counters.values()
                       if c.ticket and c.since and c.counter in self._counters),
                      key=lambda c: c.since, reverse=True)
        self._counter_seed = [Shown(c.ticket, c.counter, c.name, c.service or "", ts=c.since)
                              for c in rows]
        known = sorted(self.known.values(), key=lambda s: s.seq, reverse=True)
        shown = known or self._counter_seed
        self.current = shown[0] if shown else None
        self.current_live = False

    @property
    def history(self) -> list[Shown]:
        """The last calls, newest first, without the one on the panel or those waiting for it;
        a ticket called again at the same counter (a recall) appears once."""
        if not self.known:
            return self._counter_seed[1:HISTORY + 1] if self.seeded else []
        waiting = {s.seq for s in self.pending}
        skip = {(self.current.ticket, self.current.counter)} if self.current else set()
        out: list[Shown] = []
        for shown in sorted(self.known.values(), key=lambda s: s.seq, reverse=True):
            key = (shown.ticket, shown.counter)
            if shown.seq in waiting or key in skip:
                continue
            skip.add(key)
            out.append(shown)
            if len(out) == HISTORY:
                break
        return out

    def on_call(self, call: Call, *, now: float) -> list[Announce]:
        """Queue a live call for the big panel and say it should be announced."""
        try:
            call = clean_call(call)
        except Refused as e:
            self._refuse("call", e)
            return []
        if not self._mine(call.service, call.counter):
            return []
        if call.seq in self._seen:
            return []
        self._seen.append(call.seq)
        if call.seq <= self.baseline:
            return []   # already part of the state the board started from
        if abs(now - call.ts) > LIVE_WINDOW:
            self.stale_calls += 1
            if self.stale_calls in (1, 10, 100) or self.stale_calls % 1000 == 0:   # no flood
                log.warning("call %s (seq %d) is %.0f s old: shown in state only, not announced "
                            "(check the clocks; %d such calls so far)", call.ticket, call.seq,
                            now - call.ts, self.stale_calls)
            return []
        self.last_message_at = now
        self.calls_seen += 1
        self.live_seq = max(self.live_seq, call.seq)
        shown = self._shown(call)
        if self.seeded:
            self.seeded = False
            if self.current is not None and self.current.seq not in self.known:
                self.known[self.current.seq] = self.current   # the seeded ticket: history now
        self.pending.append(shown)
        return [self._announce(shown)]

    def _announce(self, shown: Shown) -> Announce:
        service = self.site.services.get(shown.service)
        prefix = service.prefix + service.separator if service else None
        lang = self.board.language
        name = call_counter_label(self.site, shown, lang)
        return Announce(shown, tuple(announcement(shown.ticket, shown.counter, prefix, name=name,
                                                  language=lang)),
                        tuple(announcement(shown.ticket, shown.counter, prefix, language=lang)))

    def on_queue_presence(self, payload: bytes, *, retained: bool, now: float) -> bool:
        text = payload.decode("utf-8", "replace").strip().lower()
        if text not in ("online", "offline"):
            log.warning("queue presence %r is neither online nor offline", clean_text(text, 80))
            return False
        was = self.offline
        online = text == "online"
        if online and not retained and self.queue_online is not True:
            # The queue service (re)started: it republishes everything next, maybe from a new
            # database whose seqs start again, so the held seqs no longer apply.
            self.held.clear()
            self.baseline = 0
            self.live_seq = 0
        self.queue_online = online
        self._update_offline(was, now)
        return True

    def on_connection(self, connected: bool, *, now: float) -> bool:
        was = self.offline
        self.connected = connected
        self.ever_connected = self.ever_connected or connected
        self._update_offline(was, now)
        return True

    def on_message_text(self, payload: bytes) -> bool:
        """``{"text": "..."}`` or plain text; empty restores the board's own running text."""
        raw = payload[:16384].decode("utf-8", "replace").strip()
        text = raw
        if raw.startswith("{"):
            try:
                value = json.loads(raw)
                text = str(value.get("text") or "") if isinstance(value, dict) else raw
            except (ValueError, RecursionError):
                text = raw
        text = clean_text(text, 1000)
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
        self.known[nxt.seq] = nxt
        if len(self.known) > 2 * RECENT_MAX:
            for seq in sorted(self.known)[:len(self.known) - 2 * RECENT_MAX]:
                del self.known[seq]
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
