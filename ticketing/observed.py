"""What today has shown so far, for the waiting-time estimate: service times, no-show skips,
priority arrivals.

    >>> seen = Observed()
    >>> seen.update(state)                   # cheap: only tickets not yet settled are looked at
    >>> seen.service_s("ktp", prior=300.0)   # the day's mean service time, pulled to the prior
    >>> seen.remaining_s("ktp", spent=420.0, mean=300.0)

The estimate is only as good as these figures. The line's own average (``Line.avg_service_s``,
exponentially weighted, a fifth per visitor) follows the last few visitors: one visitor who takes
an hour on a heavy-tailed day moves it by twelve minutes. Here the figures are plain means of
the day's recent visitors, pulled towards the TOML's prior while there are few, and the time a
busy counter still needs is read from the day's own service times (the longer a visitor has
been at the counter, the longer they still take when service times have a heavy tail).

The caller holds one ``Observed`` per queue (the queue service, a simulated day) and updates it
before each projection; ``estimate.project`` builds a fresh one when given none (a full scan of
the day's tickets: fine for a test, a cost for a busy service).
"""

from __future__ import annotations

import bisect
from collections import deque
from dataclasses import dataclass, field
from itertools import accumulate, islice

from ticketing.model import QueueState, Status

# How many of today's visitors a service's figures remember (a sliding window: staff speed up).
WINDOW = 120
# How many visitors the TOML's prior weighs against the day's own.
PRIOR_WEIGHT = 1.0
# Counters still closed after the building's first one opened (staff late): they open this
# long after it, until the day shows its own delays (worth LATE_WEIGHT counters); past
# LATE_GIVE_UP_S after the first opening a counter never opened is not expected any more.
LATE_PRIOR_S, LATE_WEIGHT, LATE_GIVE_UP_S = 1800.0, 2.0, 3 * 3600.0
# A counter opening this soon after the first one was on time.
ON_TIME_S = 120.0
# An idle counter does not call a new ticket at once (staff look up, press): the day's typical
# delay, from the last PICKUP_WINDOW tickets taken while a counter of their service was idle.
PICKUP_WINDOW = 50
# An open counter that calls nothing for this long while tickets wait for it is not serving
# (staff away without closing; at least STALL_MIN_S, else a few typical pickups). It is
# expected back after STALL_PRIOR_S in all, and in at least a third of that.
STALL_MIN_S, STALL_PICKUPS, STALL_PRIOR_S = 120.0, 4.0, 1200.0
# The spread of service times before the day shows its own, and how many visitors it weighs.
CV_PRIOR, CV_WEIGHT = 0.6, 10.0
# How long a counter waits for a visitor who does not come before skipping, until the day shows.
NO_SHOW_PRIOR_S, NO_SHOW_WEIGHT = 60.0, 5.0
# Service times outside this range are typing slips (a "done" pressed twice, a forgotten desk).
PLAUSIBLE_S = (10.0, 4 * 3600.0)
# Tickets taken within this many seconds set the rate at which more will come; the share of
# priority among them before the day shows its own, and how many tickets that weighs.
PRIORITY_WINDOW_S = 1800.0
PRIORITY_PRIOR, PRIORITY_PRIOR_WEIGHT = 0.05, 20.0
# Below this many of today's visitors longer than the time already spent, the residual leans on
# the rule of thumb (see ``remaining_s``).
TAIL_WEIGHT = 4.0
# A visitor still at the counter after the mean needs at least this share of the mean more.
RESIDUAL_FLOOR = 0.55


UNSETTLED = frozenset({str(Status.WAITING), str(Status.CALLED)})


@dataclass
class ServiceTimes:
    """One service's recent service times, kept sorted for the residual."""
    recent: deque[float] = field(default_factory=lambda: deque(maxlen=WINDOW))
    _sorted: list[float] | None = None
    _sums: list[float] | None = None
    _spread: tuple[float, float] | None = None   # (mean, cv) of ``recent``
    skips: float = 0.0          # seconds counters waited for no-shows, and how many
    skipped: int = 0
    taken_at: deque[float] = field(default_factory=deque)   # tickets taken lately
    taken: int = 0              # tickets taken today, and how many of them with priority
    priority: int = 0

    def add(self, seconds: float) -> None:
        self.recent.append(seconds)
        self._sorted = self._sums = self._spread = None

    def spread(self) -> tuple[float, float]:
        """Mean and coefficient of variation of ``recent`` (at least two)."""
        if self._spread is None:
            n = len(self.recent)
            mean = sum(self.recent) / n
            var = sum((x - mean) ** 2 for x in self.recent) / max(1, n - 1)
            self._spread = (mean, var ** 0.5 / mean if mean > 0 else CV_PRIOR)
        return self._spread

    def ordered(self) -> tuple[list[float], list[float]]:
        if self._sorted is None:
            self._sorted = sorted(self.recent)
            self._sums = list(accumulate(self._sorted, initial=0.0))
        return self._sorted, self._sums  # type: ignore[return-value]


class Observed:
    """Today's figures per service, updated from the queue state (see the module's doc)."""

    def __init__(self) -> None:
        self._start(None)

    def _start(self, day: str | None) -> None:
        self.day = day
        self.tickets: dict | None = None       # the state's ticket table being read
        self.seen = 0                      # tickets of ``state.tickets`` looked at so far
        self.open: set[str] = set()        # labels not yet done or missed
        self.services: dict[str, ServiceTimes] = {}
        self.first_open: float | None = None   # when the first counter was seen open
        self.saw_opening = False               # watched since before any counter was open
        self.opened: dict[str, float] = {}     # counter -> when first seen open today
        self.pickup_watch: set[str] = set()    # taken while a counter for them was idle
        self.stall_since: dict[str, float] = {}  # counter -> idle with work waiting since
        self.pickups: deque[float] = deque(maxlen=PICKUP_WINDOW)

    def update(self, state: QueueState, now: float | None = None) -> "Observed":
        """Take in what changed since the last update (a new day starts afresh)."""
        # A new day, another state, or a line reset (which rebuilds the tickets) starts afresh.
        if (state.day != self.day or state.tickets is not self.tickets
                or len(state.tickets) < self.seen):
            self._start(state.day)
            self.tickets = state.tickets
        if now is not None:
            opened = [c.id for c in state.counters.values() if c.open and c.id not in self.opened]
            if self.first_open is None and not opened:
                self.saw_opening = True
            for cid in opened:
                self.opened[cid] = now
                if self.first_open is None:
                    self.first_open = now
            self._watch_stalls(state, now)
        # Which services have an idle counter now (only worth knowing for tickets just taken:
        # not on the first reading of a day already under way).
        idle = ({sid for c in state.counters.values() if c.open and c.ticket is None
                 for sid in c.services} if self.seen else set())
        for label in islice(state.tickets, self.seen, None):
            self.open.add(label)
            t = state.tickets[label]
            own = self._of(t.issued_service or t.service)
            own.taken_at.append(t.issued_at)
            own.taken += 1
            own.priority += bool(t.priority)
            if t.service in idle and t.status == Status.WAITING:
                self.pickup_watch.add(label)
        self.seen = len(state.tickets)
        self._watch_pickups(state)
        settled = []
        tickets = state.tickets
        for label in self.open:
            t = tickets.get(label)
            if t is None:
                settled.append(label)
            elif t.status in UNSETTLED:
                continue
            elif t.status == Status.DONE:
                settled.append(label)
                took = t.service_time
                if took is not None and PLAUSIBLE_S[0] <= took <= PLAUSIBLE_S[1]:
                    self._of(t.service).add(took)
            elif t.status in (Status.MISSED, Status.EXPIRED):
                settled.append(label)
                if t.called_at is not None and t.finished_at is not None:
                    s = self._of(t.service)
                    s.skips += max(0.0, t.finished_at - t.called_at)
                    s.skipped += 1
        self.open.difference_update(settled)
        return self

    def _watch_stalls(self, state: QueueState, now: float) -> None:
        lines = state.lines
        for c in state.counters.values():
            if c.open and c.ticket is None and any(lines[s].waiting for s in c.services
                                                   if s in lines):
                self.stall_since.setdefault(c.id, now)
            else:
                self.stall_since.pop(c.id, None)

    def back_in(self, counter: str, now: float) -> float | None:
        """Seconds until an open counter that has stopped calling is expected to call again
        (None: it is serving as usual)."""
        since = self.stall_since.get(counter)
        if since is None or now - since < max(STALL_MIN_S, STALL_PICKUPS * self.pickup_s()):
            return None
        return max(STALL_PRIOR_S / 3, STALL_PRIOR_S - (now - since))

    def _watch_pickups(self, state: QueueState) -> None:
        called = []
        for label in self.pickup_watch:
            t = state.tickets.get(label)
            if t is None or t.status not in UNSETTLED or t.first_called_at is not None:
                called.append(label)
                if t is not None and t.first_called_at is not None:
                    self.pickups.append(max(0.0, t.first_called_at - t.issued_at))
        self.pickup_watch.difference_update(called)

    def pickup_s(self) -> float:
        """How long an idle counter typically takes to call a ticket just taken (the median of
        the day's last ones; 0 until there are three)."""
        if len(self.pickups) < 3:
            return 0.0
        return sorted(self.pickups)[len(self.pickups) // 2]

    def _of(self, service: str) -> ServiceTimes:
        s = self.services.get(service)
        if s is None:
            s = self.services[service] = ServiceTimes()
        return s

    def service_s(self, service: str, prior: float) -> float:
        """Mean service time of the day's recent visitors, pulled towards ``prior``."""
        s = self.services.get(service)
        if s is None or not s.recent:
            return prior
        n = len(s.recent)
        mean = s.spread()[0] if n > 1 else s.recent[0]
        return (n * mean + PRIOR_WEIGHT * prior) / (n + PRIOR_WEIGHT)

    def opens_at(self, counter: str, now: float) -> float | None:
        """When a counter not yet open today is expected to open (None: it is not expected,
        or it has been open today: a counter closed without saying until when is not guessed).
        Only known when this watched the building open (not after a restart mid-day)."""
        if not self.saw_opening or self.first_open is None or counter in self.opened:
            return None
        if now - self.first_open > LATE_GIVE_UP_S:
            return None
        late = [t - self.first_open for t in self.opened.values()
                if t - self.first_open > ON_TIME_S]
        delay = (sum(late) + LATE_WEIGHT * LATE_PRIOR_S) / (len(late) + LATE_WEIGHT)
        expected = self.first_open + delay
        return expected if expected > now else now + delay / 2

    def cv(self, service: str) -> float:
        """Spread of the service's service times (standard deviation over mean), pulled
        towards a lognormal's usual 0.6 while there are few."""
        s = self.services.get(service)
        n = len(s.recent) if s else 0
        if n < 2:
            return CV_PRIOR
        cv = s.spread()[1]
        return (n * cv + CV_WEIGHT * CV_PRIOR) / (n + CV_WEIGHT)

    def skip_s(self, service: str) -> float:
        """How long a counter of ``service`` waits for a no-show before it skips."""
        s = self.services.get(service)
        skips, n = (s.skips, s.skipped) if s else (0.0, 0)
        return (skips + NO_SHOW_WEIGHT * NO_SHOW_PRIOR_S) / (n + NO_SHOW_WEIGHT)

    def priority_rate(self, service: str, now: float | None) -> float:
        """Priority tickets per second expected for ``service``: its tickets per second over the
        last half hour times the day's share of priority among them (pulled towards 5 %). A
        burst of priority visitors moves the share a little, not the rate of the next half
        hour by the whole burst. None expected where none came today."""
        s = self.services.get(service)
        if s is None or now is None:
            return 0.0
        while s.taken_at and s.taken_at[0] < now - PRIORITY_WINDOW_S:
            s.taken_at.popleft()
        if not s.priority:
            return 0.0
        share = ((s.priority + PRIORITY_PRIOR * PRIORITY_PRIOR_WEIGHT)
                 / (s.taken + PRIORITY_PRIOR_WEIGHT))
        return share * len(s.taken_at) / PRIORITY_WINDOW_S

    def remaining_s(self, service: str, spent: float, mean: float) -> float:
        """Expected seconds a visitor who has been at the counter ``spent`` seconds still needs:
        today's visitors who took longer than that needed on average this much more; with few
        of them, the rule of thumb (the mean minus the time spent, at least a share of it)."""
        rule = max(mean - spent, RESIDUAL_FLOOR * mean)
        s = self.services.get(service)
        if s is None or not s.recent:
            return rule
        ordered, sums = s.ordered()
        i = bisect.bisect_right(ordered, spent)
        longer = len(ordered) - i
        if not longer:
            return rule
        tail = ordered[i + longer // 2] - spent
        return (longer * tail + TAIL_WEIGHT * rule) / (longer + TAIL_WEIGHT)
