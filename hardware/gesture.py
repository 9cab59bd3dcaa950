"""From raw switch edges to staff actions: our own debounce and the one-button gestures. Pure.

    deb = Debouncer(bounce_time=0.02)
    deb.edge(True, t=0.000)    # -> True: a press is taken at once (no added latency)
    deb.edge(False, t=0.003)   # -> None: contact bounce, ignored
    deb.edge(True, t=0.005)    # -> None
    deb.poll(t=0.020)          # -> None: still pressed when the window closed

    one = OneButton(hold_time=1.5, double_press_s=0.4)
    one.down(0.0); one.up(0.1)      # -> []
    one.poll(0.5)                   # -> ["next"] once no second press came

Why our own: gpiozero's mock pins ignore ``bounce_time``, and a real switch bounces for a few
milliseconds on every press *and* release. Time is passed in, so tests need no sleeps.
"""

from __future__ import annotations

from ticketing.model import Action

# A panel gesture, not a queue action: the close button (key c) toggles, and the panel sends
# ``close`` or ``open`` from what it predicts the counter will be (hardware.panel).
TOGGLE = "toggle"


class Debouncer:
    """Leading-edge debounce with a lockout window and a final reconcile.

    An edge that changes the stable level is accepted at once; for ``bounce_time`` after it every
    edge is ignored; when the window closes (:meth:`poll`) the stable level follows the raw
    level if they differ, so a real release inside the window is not lost.

    :param bounce_time: seconds of lockout after an accepted edge (0 accepts every change).
    :param level: the resting level (False: not pressed).
    """

    def __init__(self, bounce_time: float = 0.02, *, level: bool = False):
        self.bounce_time = bounce_time
        self.stable = level
        self.raw = level
        self._since = float("-inf")      # when the stable level last changed
        self._raw_at = float("-inf")     # when the raw level last changed

    @property
    def since(self) -> float:
        return self._since

    def edge(self, level: bool, t: float) -> bool | None:
        """A raw edge at time ``t``; returns the new stable level when it changed, else None."""
        self.raw = level
        self._raw_at = t
        if t - self._since < self.bounce_time or level == self.stable:
            return None
        self.stable = level
        self._since = t
        return level

    def deadline(self) -> float | None:
        """When :meth:`poll` must run next (the lockout's end), or None."""
        return self._since + self.bounce_time if self.raw != self.stable else None

    def poll(self, t: float) -> bool | None:
        """Close the lockout window: follow the raw level if it settled elsewhere."""
        if self.raw != self.stable and t - self._since >= self.bounce_time:
            self.stable = self.raw
            # The switch settled when its last raw edge came, not when the loop got here: the
            # next lockout runs from then, so a late poll does not swallow the next press.
            self._since = self._raw_at
            return self.stable
        return None


class OneButton:
    """One button for three actions: press = ``next``, hold = ``skip``, double press = ``recall``.

    A single press fires when the double-press window has passed without a second press; a hold
    fires as soon as ``hold_time`` is reached (the release then does nothing). A second press
    that turns into a hold gives ``skip`` only: never two actions from one gesture.

    :param hold_time: seconds held for ``skip``.
    :param double_press_s: seconds after a release in which a second press makes ``recall``.
    """

    def __init__(self, hold_time: float = 1.5, double_press_s: float = 0.4):
        self.hold_time = hold_time
        self.double_press_s = double_press_s
        self._down_at: float | None = None
        self._held = False
        self._clicks = 0              # completed clicks waiting for the double-press window
        self._window_end: float | None = None

    def down(self, t: float) -> list[str]:
        self._down_at = t
        self._held = False
        self._window_end = None       # a second press is under way: the window waits for it
        return []

    def up(self, t: float) -> list[str]:
        if self._down_at is None:
            return []
        self._down_at = None
        if self._held:
            self._held = False
            self._clicks = 0
            return []
        self._clicks += 1
        if self._clicks >= 2:
            self._clicks = 0
            return [Action.RECALL]
        self._window_end = t + self.double_press_s
        return []

    def deadline(self) -> float | None:
        """When :meth:`poll` must run next: the hold time or the end of the double-press window."""
        times = []
        if self._down_at is not None and not self._held:
            times.append(self._down_at + self.hold_time)
        if self._window_end is not None:
            times.append(self._window_end)
        return min(times) if times else None

    def poll(self, t: float) -> list[str]:
        if self._down_at is not None and not self._held and t - self._down_at >= self.hold_time:
            self._held = True
            self._clicks = 0
            self._window_end = None
            return [Action.SKIP]
        if self._window_end is not None and t >= self._window_end:
            self._window_end = None
            self._clicks = 0
            return [Action.NEXT]
        return []


class ButtonInput:
    """One switch: raw edges in, actions out. A plain button maps a press to its action; a
    one-button input runs the gestures.

        b = ButtonInput("next", bounce_time=0.02)
        b.edge(True, 0.0)   # -> ["next"]

    :param action: the action of a plain button, or None for the one-button gestures.
    """

    def __init__(self, action: str | None, *, bounce_time: float = 0.02,
                 hold_time: float = 1.5, double_press_s: float = 0.4):
        self.action = action
        self.debouncer = Debouncer(bounce_time)
        self.gestures = None if action else OneButton(hold_time, double_press_s)

    def _stable(self, level: bool, t: float) -> list[str]:
        if self.gestures is None:
            return [self.action] if level else []
        return self.gestures.down(t) if level else self.gestures.up(t)

    def edge(self, level: bool, t: float) -> list[str]:
        changed = self.debouncer.edge(level, t)
        return [] if changed is None else self._stable(changed, t)

    def deadline(self) -> float | None:
        times = [d for d in (self.debouncer.deadline(),
                             self.gestures.deadline() if self.gestures else None) if d is not None]
        return min(times) if times else None

    def poll(self, t: float) -> list[str]:
        actions = []
        changed = self.debouncer.poll(t)
        if changed is not None:
            actions += self._stable(changed, self.debouncer.since)
        if self.gestures:
            actions += self.gestures.poll(t)
        return actions
